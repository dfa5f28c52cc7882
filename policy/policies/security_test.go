package policies

import (
	"strings"
	"testing"
)

func cmk(c *Config) { c.RequireCustomerManagedKeys = true }

func TestEncryptionAtRest(t *testing.T) {
	sse := func(alg, key string) Resource {
		d := M{"sseAlgorithm": alg}
		if key != "" {
			d["kmsMasterKeyId"] = key
		}
		return res(AWSS3SSEConfigV2, "sse", M{"bucket": "b", "rules": A{M{"applyServerSideEncryptionByDefault": d}}})
	}
	runPolicy(t, "encryption-at-rest", []tc{
		{name: "rds encrypted", rs: []Resource{res(AWSRDSInstance, "db", M{"storageEncrypted": true})}},
		{name: "rds unencrypted", rs: []Resource{res(AWSRDSInstance, "db", M{})}, want: "storageEncrypted is not true"},
		{name: "rds cluster encrypted", rs: []Resource{res(AWSRDSCluster, "db", M{"storageEncrypted": true})}},
		{name: "rds cluster unencrypted", rs: []Resource{res(AWSRDSCluster, "db", M{"storageEncrypted": false})}, want: "storageEncrypted is not true"},
		{name: "rds cmk", cfg: cmk, rs: []Resource{res(AWSRDSInstance, "db", M{"storageEncrypted": true, "kmsKeyId": "arn:aws:kms:k"})}},
		{name: "rds cmk missing", cfg: cmk, rs: []Resource{res(AWSRDSInstance, "db", M{"storageEncrypted": true})}, want: "kmsKeyId is not set"},
		{name: "s3 sse aes256", rs: []Resource{sse("AES256", "")}},
		{name: "s3 sse kms with cmk", cfg: cmk, rs: []Resource{sse("aws:kms", "arn:aws:kms:k")}},
		{name: "s3 sse aes256 with cmk", cfg: cmk, rs: []Resource{sse("AES256", "")}, want: "uses AES256 without kmsMasterKeyId"},
		{name: "s3 sse bogus", rs: []Resource{sse("none", "")}, want: `sseAlgorithm "none"`},
		{name: "eks no cmk required", rs: []Resource{res(AWSEKSCluster, "eks", M{})}},
		{name: "eks secrets encrypted", cfg: cmk, rs: []Resource{res(AWSEKSCluster, "eks", M{"encryptionConfig": M{
			"resources": A{"secrets"}, "provider": M{"keyArn": "arn:aws:kms:k"}}})}},
		{name: "eks secrets not encrypted", cfg: cmk, rs: []Resource{res(AWSEKSCluster, "eks", M{})}, want: "EKS encryptionConfig does not encrypt secrets"},
		{name: "azure pg cmk", cfg: cmk, rs: []Resource{res(AzurePostgresServer, "db", M{"dataEncryption": M{"type": "AzureKeyVault", "primaryKeyURI": "https://kv/keys/k"}})}},
		{name: "azure pg system key", cfg: cmk, rs: []Resource{res(AzurePostgresServer, "db", M{"dataEncryption": M{"type": "SystemManaged"}})},
			want: "dataEncryption is not AzureKeyVault"},
		{name: "storage account cmk", cfg: cmk, rs: []Resource{res(AzureStorageAccount, "sa", M{"encryption": M{"keySource": "Microsoft.Keyvault"}})}},
		{name: "storage account platform key", cfg: cmk, rs: []Resource{res(AzureStorageAccount, "sa", M{"encryption": M{"keySource": "Microsoft.Storage"}})},
			want: `encryption.keySource is "Microsoft.Storage"`},
		{name: "cloud sql cmek", cfg: cmk, rs: []Resource{res(GCPSQLInstance, "db", M{"encryptionKeyName": "projects/p/locations/l/keyRings/r/cryptoKeys/k"})}},
		{name: "cloud sql no cmek", cfg: cmk, rs: []Resource{res(GCPSQLInstance, "db", M{})}, want: "encryptionKeyName is not set"},
		{name: "gcs cmek", cfg: cmk, rs: []Resource{res(GCPStorageBucket, "b", M{"encryption": M{"defaultKmsKeyName": "k"}})}},
		{name: "gcs no cmek", cfg: cmk, rs: []Resource{res(GCPStorageBucket, "b", M{})}, want: "encryption.defaultKmsKeyName is not set"},
		{name: "gke secrets encrypted", cfg: cmk, rs: []Resource{res(GCPContainerCluster, "gke", M{"databaseEncryption": M{"state": "ENCRYPTED", "keyName": "k"}})}},
		{name: "gke secrets not encrypted", cfg: cmk, rs: []Resource{res(GCPContainerCluster, "gke", M{"databaseEncryption": M{"state": "DECRYPTED"}})},
			want: "databaseEncryption is not ENCRYPTED"},
	})
}

func TestNoPublicDataStores(t *testing.T) {
	pab := func(all bool) Resource {
		return res(AWSS3PublicAccessBlock, "pab", M{"bucket": "b", "blockPublicAcls": true, "blockPublicPolicy": all,
			"ignorePublicAcls": true, "restrictPublicBuckets": true})
	}
	runPolicy(t, "no-public-data-stores", []tc{
		{name: "rds private", rs: []Resource{res(AWSRDSInstance, "db", M{"publiclyAccessible": false})}},
		{name: "rds public", rs: []Resource{res(AWSRDSInstance, "db", M{"publiclyAccessible": true})}, want: "publiclyAccessible is true"},
		{name: "public access block complete", rs: []Resource{pab(true)}},
		{name: "public access block partial", rs: []Resource{pab(false)}, want: "leaves blockPublicPolicy off"},
		{name: "bucket private acl", rs: []Resource{res(AWSS3BucketV2, "b", M{"acl": "private"})}},
		{name: "bucket public acl", rs: []Resource{res(AWSS3BucketV2, "b", M{"acl": "public-read"})}, want: `bucket acl "public-read"`},
		{name: "storage account no public blobs", rs: []Resource{res(AzureStorageAccount, "sa", M{"allowBlobPublicAccess": false})}},
		{name: "storage account public blobs", rs: []Resource{res(AzureStorageAccount, "sa", M{})}, want: "allowBlobPublicAccess is not false"},
		{name: "azure pg vnet", rs: []Resource{res(AzurePostgresServer, "db", M{"network": M{"delegatedSubnetResourceId": "/subnets/db"}})}},
		{name: "azure pg public", rs: []Resource{res(AzurePostgresServer, "db", M{})}, want: "has no network.delegatedSubnetResourceId"},
		{name: "cloud sql private", rs: []Resource{res(GCPSQLInstance, "db", M{"settings": M{"ipConfiguration": M{"ipv4Enabled": false, "privateNetwork": "vpc"}}})}},
		{name: "cloud sql public ip", rs: []Resource{res(GCPSQLInstance, "db", M{"settings": M{"ipConfiguration": M{"ipv4Enabled": true}}})},
			want: "ipv4Enabled is not false"},
		{name: "cloud sql open network", rs: []Resource{res(GCPSQLInstance, "db", M{"settings": M{"ipConfiguration": M{"ipv4Enabled": false,
			"authorizedNetworks": A{M{"value": "0.0.0.0/0"}}}}})}, want: "authorizes 0.0.0.0/0"},
		{name: "gcs private", rs: []Resource{res(GCPStorageBucket, "b", M{"publicAccessPrevention": "enforced", "uniformBucketLevelAccess": true})}},
		{name: "gcs inherited", rs: []Resource{res(GCPStorageBucket, "b", M{"publicAccessPrevention": "inherited", "uniformBucketLevelAccess": true})},
			want: `publicAccessPrevention is "inherited"`},
		{name: "gcs fine-grained acl", rs: []Resource{res(GCPStorageBucket, "b", M{"publicAccessPrevention": "enforced"})},
			want: "uniformBucketLevelAccess is not true"},
		{name: "eks private endpoint", rs: []Resource{res(AWSEKSCluster, "eks", M{"vpcConfig": M{"endpointPublicAccess": false, "endpointPrivateAccess": true}})}},
		{name: "eks restricted cidrs", rs: []Resource{res(AWSEKSCluster, "eks", M{"vpcConfig": M{"publicAccessCidrs": A{"203.0.113.0/24"}}})}},
		{name: "eks public in prod", rs: []Resource{res(AWSEKSCluster, "eks", M{"vpcConfig": M{"endpointPublicAccess": true}})},
			want: "EKS API endpoint is public to the internet in prod"},
		{name: "eks public in dev", env: Dev, rs: []Resource{res(AWSEKSCluster, "eks", M{"vpcConfig": M{"endpointPublicAccess": true}})}},
		{name: "aks private", rs: []Resource{res(AzureManagedCluster, "aks", M{"apiServerAccessProfile": M{"enablePrivateCluster": true}})}},
		{name: "aks authorized ranges", rs: []Resource{res(AzureManagedCluster, "aks", M{"apiServerAccessProfile": M{"authorizedIPRanges": A{"203.0.113.0/24"}}})}},
		{name: "aks public", rs: []Resource{res(AzureManagedCluster, "aks", M{})}, want: "AKS API server is public"},
		{name: "gke private", rs: []Resource{res(GCPContainerCluster, "gke", M{"privateClusterConfig": M{"enablePrivateNodes": true, "enablePrivateEndpoint": true}})}},
		{name: "gke authorized networks", rs: []Resource{res(GCPContainerCluster, "gke", M{"privateClusterConfig": M{"enablePrivateNodes": true},
			"masterAuthorizedNetworksConfig": M{"cidrBlocks": A{M{"cidrBlock": "10.0.0.0/8"}}}})}},
		{name: "gke public nodes", rs: []Resource{res(GCPContainerCluster, "gke", M{"privateClusterConfig": M{"enablePrivateEndpoint": true}})},
			want: "GKE nodes have public IPs in prod"},
		{name: "gke public endpoint", rs: []Resource{res(GCPContainerCluster, "gke", M{"privateClusterConfig": M{"enablePrivateNodes": true}})},
			want: "GKE control plane is public"},
	})
}

// under re-parents r below a chain of component types, outermost first, as the engine names it:
// urn:pulumi:<stack>::<project>::<types joined by $>$<r's type>::<name>.
func under(r Resource, types ...string) Resource {
	chain := append(append([]string{}, types...), r.Type)
	r.URN = "urn:pulumi:prod::dataplatform::" + strings.Join(chain, "$") + "::" + r.Name
	if len(types) > 0 {
		r.Parent = "urn:pulumi:prod::dataplatform::" + strings.Join(types, "$") + "::parent"
	}
	return r
}

func TestNoStaticCloudKeys(t *testing.T) {
	key := res(GCPServiceAccountKey, "store-airbyte-key", M{"serviceAccountId": "projects/p/serviceAccounts/airbyte@p.iam.gserviceaccount.com",
		"keyAlgorithm": "KEY_ALG_RSA_2048", "privateKeyType": "TYPE_GOOGLE_CREDENTIALS_FILE"})
	const keyViolation = "service account key creates a static GCP credential"
	runPolicy(t, "no-static-cloud-keys", []tc{
		{name: "aws access key", env: Dev, rs: []Resource{res(AWSIAMAccessKey, "k", M{"user": "airbyte"})}, want: "IAM access key creates a static AWS credential"},
		{name: "aws access key under the gcs object store", rs: []Resource{under(res(AWSIAMAccessKey, "k", M{"user": "airbyte"}), GCPObjectStoreType)},
			want: "IAM access key creates a static AWS credential"},
		{name: "gcp service account key", env: Dev, rs: []Resource{res(GCPServiceAccountKey, "k", M{"serviceAccountId": "sa"})}, want: keyViolation},
		{name: "gcp key at top level", rs: []Resource{under(key)}, want: keyViolation},
		{name: "gcp key minted by the gcs object store", rs: []Resource{under(key, GCPObjectStoreType)}},
		{name: "gcp key minted by a nested gcs object store", env: Dev, rs: []Resource{under(key, "dataplatform:index:Platform", GCPObjectStoreType)}},
		{name: "gcp key under another component", rs: []Resource{under(key, "dataplatform:gcp:Airbyte")}, want: keyViolation},
		{name: "gcp key under a look-alike component type", rs: []Resource{under(key, "dataplatform:gcp:ObjectStoreX")}, want: keyViolation},
		{name: "gcp key under the aws object store", rs: []Resource{under(key, "dataplatform:aws:ObjectStore")}, want: keyViolation},
		{name: "gcp key named after the object store", rs: []Resource{under(res(GCPServiceAccountKey, GCPObjectStoreType, M{}))}, want: keyViolation},
		{name: "azure account without keys", rs: []Resource{res(AzureStorageAccount, "lake", M{"allowSharedKeyAccess": false})}},
		{name: "azure account with keys", rs: []Resource{res(AzureStorageAccount, "lake", M{"allowSharedKeyAccess": true})},
			want: "allowSharedKeyAccess is true"},
		{name: "azure account leaving keys at the default", env: Dev, rs: []Resource{res(AzureStorageAccount, "lake", M{})},
			want: "allowSharedKeyAccess is unset"},
		{name: "azure keyed account of the adls object store", rs: []Resource{under(res(AzureStorageAccount, "keyed", M{"allowSharedKeyAccess": true}), AzureObjectStoreType)}},
		{name: "azure keyed account under another component", rs: []Resource{under(res(AzureStorageAccount, "keyed", M{"allowSharedKeyAccess": true}), GCPObjectStoreType)},
			want: "allowSharedKeyAccess is true"},
		{name: "iam role is fine", rs: []Resource{res("aws:iam/role:Role", "r", M{})}},
		{name: "gcp service account is fine", rs: []Resource{res("gcp:serviceaccount/account:Account", "sa", M{})}},
	})
}
