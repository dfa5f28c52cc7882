package policies

import (
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func encryptionAtRest() Policy {
	return Policy{
		Name: "encryption-at-rest",
		Description: "Data stores are encrypted at rest, with keys the stack owns (AWS KMS, Azure Key Vault, Cloud KMS) " +
			"when the stack asks for customer-managed keys, so a leaked disk or snapshot is unreadable and key " +
			"access is auditable (design document: defence in depth).",
		Level: Mandatory,
		ConfigSchema: map[string]map[string]any{
			"requireCustomerManagedKeys": {
				"type":        "boolean",
				"description": "Require customer-managed keys (KMS/CMK) on databases, buckets, storage accounts and cluster secrets.",
			},
		},
		Resources: []string{AWSRDSInstance, AWSRDSCluster, AWSS3SSEConfigV2, AWSEKSCluster, AzurePostgresServer,
			AzureStorageAccount, GCPSQLInstance, GCPStorageBucket, GCPContainerCluster},
		ValidateResource: func(r Resource, cfg Config) []Finding {
			e := newEval(r.URN)
			p := r.Properties
			cmk := cfg.RequireCustomerManagedKeys
			switch r.Type {
			case AWSRDSInstance, AWSRDSCluster:
				e.rule(func() {
					if enc, _ := e.boolean(p, "storageEncrypted"); !enc {
						e.fail("storageEncrypted is not true: the database's storage and snapshots are unencrypted")
					}
					if _, ok := e.str(p, "kmsKeyId"); cmk && !ok {
						e.fail("kmsKeyId is not set: the stack requires a customer-managed KMS key")
					}
				})
			case AWSS3SSEConfigV2:
				e.rule(func() {
					rules := e.objs(p, "rules")
					if len(rules) == 0 {
						e.fail("server-side encryption configuration has no rules")
					}
					for _, rule := range rules {
						alg, _ := e.str(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
						key, hasKey := e.str(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
						switch {
						case alg != "aws:kms" && alg != "aws:kms:dsse" && alg != "AES256":
							e.fail("sseAlgorithm %q is not a server-side encryption algorithm", alg)
						case cmk && (alg == "AES256" || !hasKey || key == ""):
							e.fail("bucket encryption uses %s without kmsMasterKeyId: the stack requires a customer-managed KMS key", alg)
						}
					}
				})
			case AWSEKSCluster:
				if !cmk {
					return nil
				}
				e.rule(func() {
					res := e.strs(p, "encryptionConfig", "resources")
					key, _ := e.str(p, "encryptionConfig", "provider", "keyArn")
					if !contains(res, "secrets") || key == "" {
						e.fail("EKS encryptionConfig does not encrypt secrets with a KMS key (resources [\"secrets\"], provider.keyArn)")
					}
				})
			case AzurePostgresServer:
				if !cmk {
					return nil
				}
				e.rule(func() {
					t, _ := e.str(p, "dataEncryption", "type")
					if _, ok := e.str(p, "dataEncryption", "primaryKeyURI"); t != "AzureKeyVault" || !ok {
						e.fail("dataEncryption is not AzureKeyVault with a primaryKeyURI: the stack requires a customer-managed key")
					}
				})
			case AzureStorageAccount:
				if !cmk {
					return nil
				}
				e.rule(func() {
					if src, _ := e.str(p, "encryption", "keySource"); !strings.EqualFold(src, "Microsoft.Keyvault") {
						e.fail("encryption.keySource is %q: the stack requires Microsoft.Keyvault (customer-managed key)", src)
					}
				})
			case GCPSQLInstance:
				if !cmk {
					return nil
				}
				e.rule(func() {
					if _, ok := e.str(p, "encryptionKeyName"); !ok {
						e.fail("encryptionKeyName is not set: the stack requires a Cloud KMS key (CMEK)")
					}
				})
			case GCPStorageBucket:
				if !cmk {
					return nil
				}
				e.rule(func() {
					if _, ok := e.str(p, "encryption", "defaultKmsKeyName"); !ok {
						e.fail("encryption.defaultKmsKeyName is not set: the stack requires a Cloud KMS key (CMEK)")
					}
				})
			case GCPContainerCluster:
				if !cmk {
					return nil
				}
				e.rule(func() {
					state, _ := e.str(p, "databaseEncryption", "state")
					if _, ok := e.str(p, "databaseEncryption", "keyName"); state != "ENCRYPTED" || !ok {
						e.fail("databaseEncryption is not ENCRYPTED with a keyName: cluster secrets need a Cloud KMS key")
					}
				})
			}
			return e.findings
		},
	}
}

func noPublicDataStores() Policy {
	return Policy{
		Name: "no-public-data-stores",
		Description: "No data store is reachable from the internet: S3 public access blocks, no public ACLs or blob " +
			"access, no public IPs on databases, and private (or IP-restricted) Kubernetes API endpoints in prod " +
			"(design document: defence in depth, network policies).",
		Level: Mandatory,
		Resources: []string{AWSRDSInstance, AWSS3PublicAccessBlock, AWSS3BucketV2, AzureStorageAccount, AzurePostgresServer,
			GCPSQLInstance, GCPStorageBucket, AWSEKSCluster, AzureManagedCluster, GCPContainerCluster},
		ValidateResource: func(r Resource, cfg Config) []Finding {
			e := newEval(r.URN)
			p := r.Properties
			switch r.Type {
			case AWSRDSInstance:
				e.rule(func() {
					if pub, _ := e.boolean(p, "publiclyAccessible"); pub {
						e.fail("publiclyAccessible is true: the database gets a public IP")
					}
				})
			case AWSS3PublicAccessBlock:
				e.rule(func() {
					var off []string
					for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
						if v, _ := e.boolean(p, k); !v {
							off = append(off, k)
						}
					}
					if len(off) > 0 {
						e.fail("public access block leaves %s off: set all four to true", joinAnd(off))
					}
				})
			case AWSS3BucketV2, AWSS3Bucket:
				e.rule(func() {
					if acl, _ := e.str(p, "acl"); strings.HasPrefix(acl, "public-") {
						e.fail("bucket acl %q makes objects public", acl)
					}
				})
			case AzureStorageAccount:
				e.rule(func() {
					if v, ok := e.boolean(p, "allowBlobPublicAccess"); !ok || v {
						e.fail("allowBlobPublicAccess is not false: containers could be made public")
					}
				})
			case AzurePostgresServer:
				e.rule(func() {
					if _, ok := e.str(p, "network", "delegatedSubnetResourceId"); !ok {
						e.fail("PostgreSQL Flexible Server has no network.delegatedSubnetResourceId: without VNet integration it gets a public endpoint")
					}
				})
			case GCPSQLInstance:
				e.rule(func() {
					if v, ok := e.boolean(p, "settings", "ipConfiguration", "ipv4Enabled"); !ok || v {
						e.fail("Cloud SQL settings.ipConfiguration.ipv4Enabled is not false: the instance gets a public IP (use privateNetwork)")
					}
					for _, n := range e.objs(p, "settings", "ipConfiguration", "authorizedNetworks") {
						if v, _ := e.str(n, "value"); isOpenCIDR(v) {
							e.fail("Cloud SQL authorizes %s: the whole internet", v)
						}
					}
				})
			case GCPStorageBucket:
				e.rule(func() {
					if v, _ := e.str(p, "publicAccessPrevention"); v != "enforced" {
						e.fail("publicAccessPrevention is %q: set enforced", v)
					}
					if v, _ := e.boolean(p, "uniformBucketLevelAccess"); !v {
						e.fail("uniformBucketLevelAccess is not true: per-object ACLs could make objects public")
					}
				})
			case AWSEKSCluster:
				if !cfg.IsProd() {
					return nil
				}
				e.rule(func() {
					pub, ok := e.boolean(p, "vpcConfig", "endpointPublicAccess")
					if ok && !pub {
						return
					}
					if !restrictedCIDRs(e.strs(p, "vpcConfig", "publicAccessCidrs")) {
						e.fail("EKS API endpoint is public to the internet in prod: set vpcConfig.endpointPublicAccess false (or restrict publicAccessCidrs)")
					}
				})
			case AzureManagedCluster:
				if !cfg.IsProd() {
					return nil
				}
				e.rule(func() {
					if v, _ := e.boolean(p, "apiServerAccessProfile", "enablePrivateCluster"); v {
						return
					}
					if !restrictedCIDRs(e.strs(p, "apiServerAccessProfile", "authorizedIPRanges")) {
						e.fail("AKS API server is public to the internet in prod: set apiServerAccessProfile.enablePrivateCluster (or authorizedIPRanges)")
					}
				})
			case GCPContainerCluster:
				if !cfg.IsProd() {
					return nil
				}
				e.rule(func() {
					if v, _ := e.boolean(p, "privateClusterConfig", "enablePrivateNodes"); !v {
						e.fail("GKE nodes have public IPs in prod: set privateClusterConfig.enablePrivateNodes")
					}
					if v, _ := e.boolean(p, "privateClusterConfig", "enablePrivateEndpoint"); v {
						return
					}
					var cidrs []string
					for _, b := range e.objs(p, "masterAuthorizedNetworksConfig", "cidrBlocks") {
						if c, ok := e.str(b, "cidrBlock"); ok {
							cidrs = append(cidrs, c)
						}
					}
					if !restrictedCIDRs(cidrs) {
						e.fail("GKE control plane is public to the internet in prod: set privateClusterConfig.enablePrivateEndpoint (or masterAuthorizedNetworksConfig)")
					}
				})
			}
			return e.findings
		},
	}
}

// restrictedCIDRs reports whether a list of allowed source ranges is non-empty and excludes the
// whole internet.
func restrictedCIDRs(cidrs []string) bool {
	if len(cidrs) == 0 {
		return false
	}
	for _, c := range cidrs {
		if isOpenCIDR(c) {
			return false
		}
	}
	return true
}

func isOpenCIDR(c string) bool {
	c = strings.TrimSpace(c)
	return c == "0.0.0.0/0" || c == "::/0" || c == "*"
}

// GCPObjectStoreType and AzureObjectStoreType are the type tokens of the platform's GCS and ADLS object
// store components (components/objectstore/gcs, adls), the only places a service account key or a
// shared-key storage account may come from. The pack does not import the components, which would link
// the cloud SDKs into it.
const (
	GCPObjectStoreType   = "dataplatform:gcp:ObjectStore"
	AzureObjectStoreType = "dataplatform:azure:ObjectStore"
)

func noStaticCloudKeys() Policy {
	return Policy{
		Name: "no-static-cloud-keys",
		Description: "No long-lived cloud access keys: workloads authenticate with workload identity (EKS IRSA / Pod " +
			"Identity, GKE Workload Identity, AKS Workload Identity), so there is no static secret to leak or rotate. " +
			"Azure storage accounts must set allowSharedKeyAccess to false (Azure allows account keys when it is unset). " +
			"One exception per cloud, for a workload whose client takes only a key (Airbyte's GCS and Azure storage " +
			"clients): a GCP service account key minted by the platform's GCS object store (" + GCPObjectStoreType + "), " +
			"and the shared-key account the ADLS object store (" + AzureObjectStoreType + ") creates for such workloads' " +
			"containers only; the credential stays in encrypted Pulumi state and the workload's Kubernetes Secret. " +
			"Any other key is a violation. Kubernetes Secrets are checked too: no data or stringData value may hold an AWS " +
			"access key ID (AKIA…/ASIA…), an Azure storage account key (AccountKey=) or a GCP service account key file, " +
			"except Airbyte's storage credential (GCS, ADLS) inside the Airbyte component.",
		Level:     Mandatory,
		Resources: []string{AWSIAMAccessKey, GCPServiceAccountKey, AzureStorageAccount, K8sSecret},
		ValidateResource: func(r Resource, cfg Config) []Finding {
			switch r.Type {
			case K8sSecret:
				return secretStaticKeys(r)
			case AWSIAMAccessKey:
				return []Finding{{URN: r.URN, Message: "IAM access key creates a static AWS credential: use an IAM role for the service account (IRSA/Pod Identity)"}}
			case GCPServiceAccountKey:
				if mintedBy(r.URN, GCPObjectStoreType) {
					return nil
				}
				return []Finding{{URN: r.URN, Message: "service account key creates a static GCP credential: use GKE Workload Identity " +
					"(only the GCS object store component may mint a key, for a workload that sets StaticCredential)"}}
			case AzureStorageAccount:
				if mintedBy(r.URN, AzureObjectStoreType) {
					return nil
				}
				e := newEval(r.URN)
				e.rule(func() {
					if on, present := e.boolean(r.Properties, "allowSharedKeyAccess"); on || !present {
						e.fail("allowSharedKeyAccess is %s: account keys and SAS tokens signed with them are static credentials "+
							"to every container; set it to false and use workload identity (Entra ID)", map[bool]string{true: "true", false: "unset (Azure's default allows keys)"}[present])
					}
				})
				return e.findings
			}
			return nil
		},
	}
}

// mintedBy reports whether the resource with this URN was created inside a component of type
// component: the URN's type chain ("<ancestor types joined by $>$<own type>") lists it among the
// resource's ancestors. It reads the URN only, so it holds in preview and on state files alike.
func mintedBy(urn, component string) bool {
	u, err := resource.ParseURN(urn)
	if err != nil {
		return false
	}
	chain := strings.Split(string(u.QualifiedType()), "$")
	return slices.Contains(chain[:len(chain)-1], component)
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
