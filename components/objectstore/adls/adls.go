// Package adls is the Azure implementation of the platform's object store: one StorageV2 account
// with the hierarchical namespace (Azure Data Lake Storage Gen2), reachable only through private
// endpoints for its blob and dfs services, with Entra ID authorisation only (no shared keys), TLS 1.2
// and infrastructure (double) encryption, soft delete of containers and files, and a lifecycle policy
// that moves the lake to the Cool tier. It holds one container per bucket role. Every workload in
// Access gets a user-assigned managed identity federated with its Kubernetes ServiceAccount (AKS
// workload identity) and "Storage Blob Data Contributor" on its containers only.
package adls

import (
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/storage/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// ObjectStoreType is the component's type token.
const ObjectStoreType = "dataplatform:azure:ObjectStore"

// BlobDataContributorRole is the built-in "Storage Blob Data Contributor" role: read, write and
// delete blobs and ADLS paths, nothing on the account itself.
const BlobDataContributorRole = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"

// Workload identity conventions of AKS.
const (
	// TokenAudience is the audience the workload identity webhook requests ServiceAccount tokens for.
	TokenAudience = "api://AzureADTokenExchange"
	// ClientIDAnnotation names the managed identity a ServiceAccount acts as.
	ClientIDAnnotation = "azure.workload.identity/client-id"
	// UseLabel makes the webhook inject the token volume and AZURE_* variables into a pod.
	UseLabel = "azure.workload.identity/use"
)

// PrivateEndpointServices are the account's sub-resources that get a private endpoint: blob for
// the Blob API (Airbyte, lifecycle, tools), dfs for the Data Lake API (Dremio's ABFS driver).
var PrivateEndpointServices = []string{"blob", "dfs"}

// ObjectStore is the ADLS Gen2 component.
type ObjectStore struct {
	pulumi.ResourceState

	// Info is the cloud-neutral view workloads consume.
	Info objectstore.Info
	// AccountID is the storage account's ARM ID.
	AccountID pulumi.StringOutput
	// AccountName is the storage account's name.
	AccountName pulumi.StringOutput
	// ContainerIDs maps each bucket role to its container's ARM ID (the role assignments' scope).
	ContainerIDs map[objectstore.Bucket]pulumi.StringOutput
}

var ficNameRE = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// NewObjectStore creates the account, its blob service settings, containers, lifecycle policy,
// private endpoints, and an identity per workload in Access.
func NewObjectStore(ctx *pulumi.Context, name string, args *ObjectStoreArgs, opts ...pulumi.ResourceOption) (*ObjectStore, error) {
	if args == nil {
		return nil, fmt.Errorf("adls %q: args are nil; pass *ObjectStoreArgs", name)
	}
	accountName := args.AccountName
	if accountName == "" {
		accountName = DeriveAccountName(ctx.Project(), ctx.Stack(), name)
	}
	if err := args.validate(name, accountName); err != nil {
		return nil, err
	}
	comp := &ObjectStore{ContainerIDs: map[objectstore.Bucket]pulumi.StringOutput{}}
	access := pulumi.Array{}
	for _, a := range args.Access {
		buckets := pulumi.StringArray{}
		for _, b := range a.Buckets {
			buckets = append(buckets, pulumi.String(string(b)))
		}
		access = append(access, pulumi.Map{
			"workload": pulumi.String(a.Workload), "namespace": pulumi.String(a.Namespace),
			"serviceAccount": pulumi.String(a.ServiceAccount), "buckets": buckets,
		})
	}
	props := pulumi.Map{
		"resourceGroupName":     args.ResourceGroupName,
		"location":              pulumi.String(args.Location),
		"accountName":           pulumi.String(accountName),
		"redundancy":            pulumi.String(args.Redundancy),
		"versioning":            pulumi.Bool(args.Versioning),
		"softDeleteDays":        pulumi.Int(args.SoftDeleteDays),
		"noncurrentVersionDays": pulumi.Int(args.NoncurrentVersionDays),
		"coldTierAfterDays":     pulumi.Int(args.ColdTierAfterDays),
		"endpointsSubnetId":     args.EndpointsSubnetID,
		"access":                access,
		"deletionLock":          pulumi.Bool(args.DeletionLock),
		"tags":                  pulumi.ToStringMap(args.Tags),
	}
	if err := ctx.RegisterComponentResourceV2(ObjectStoreType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	base := baseName(name)
	location := pulumi.String(args.Location)
	tags := pulumi.ToStringMap(args.Tags)
	encrypted := &storage.EncryptionServiceArgs{Enabled: pulumi.Bool(true), KeyType: pulumi.String("Account")}

	account, err := storage.NewStorageAccount(ctx, name+"-account", &storage.StorageAccountArgs{
		AccountName:       pulumi.String(accountName),
		ResourceGroupName: args.ResourceGroupName,
		Location:          location,
		Kind:              pulumi.String("StorageV2"),
		Sku:               &storage.SkuArgs{Name: pulumi.String("Standard_" + args.Redundancy)},
		AccessTier:        storage.AccessTierHot,
		// The hierarchical namespace makes the account Data Lake Storage Gen2: real directories,
		// atomic renames and POSIX ACLs, which Dremio's ABFS driver relies on.
		IsHnsEnabled:           pulumi.Bool(true),
		EnableHttpsTrafficOnly: pulumi.Bool(true),
		MinimumTlsVersion:      pulumi.String("TLS1_2"),
		AllowBlobPublicAccess:  pulumi.Bool(false),
		// Entra ID only: account keys and SAS tokens signed with them stop working, so no static
		// credential to the data exists. Workloads authenticate through workload identity.
		AllowSharedKeyAccess:         pulumi.Bool(false),
		DefaultToOAuthAuthentication: pulumi.Bool(true),
		AllowCrossTenantReplication:  pulumi.Bool(false),
		IsLocalUserEnabled:           pulumi.Bool(false),
		IsSftpEnabled:                pulumi.Bool(false),
		// Private endpoints only; trusted Azure services (backup, monitoring) keep their bypass.
		PublicNetworkAccess: pulumi.String("Disabled"),
		NetworkRuleSet: &storage.NetworkRuleSetArgs{
			DefaultAction: storage.DefaultActionDeny,
			Bypass:        pulumi.String(string(storage.BypassAzureServices)),
		},
		// Platform-managed keys, plus a second, infrastructure layer of encryption (set at creation).
		Encryption: &storage.EncryptionArgs{
			KeySource:                       pulumi.String("Microsoft.Storage"),
			RequireInfrastructureEncryption: pulumi.Bool(true),
			Services:                        &storage.EncryptionServicesArgs{Blob: encrypted, File: encrypted},
		},
		Tags: tags,
	}, parent)
	if err != nil {
		return nil, err
	}

	blobDays := args.blobRetentionDays()
	if _, err := storage.NewBlobServiceProperties(ctx, name+"-blob-service", &storage.BlobServicePropertiesArgs{
		AccountName:       account.Name,
		ResourceGroupName: args.ResourceGroupName,
		BlobServicesName:  pulumi.String("default"),
		// Blob versioning and the change feed are not available on hierarchical-namespace accounts:
		// earlier states are kept by soft delete instead (see ObjectStoreArgs.Versioning).
		IsVersioningEnabled: pulumi.Bool(false),
		DeleteRetentionPolicy: &storage.DeleteRetentionPolicyArgs{
			Enabled: pulumi.Bool(true),
			Days:    pulumi.Int(blobDays),
			// Nobody may purge soft-deleted data before the window ends.
			AllowPermanentDelete: pulumi.Bool(false),
		},
		ContainerDeleteRetentionPolicy: &storage.DeleteRetentionPolicyArgs{
			Enabled: pulumi.Bool(true),
			Days:    pulumi.Int(args.SoftDeleteDays),
		},
	}, parent); err != nil {
		return nil, err
	}

	containers := map[objectstore.Bucket]*storage.BlobContainer{}
	bucketNames := map[objectstore.Bucket]pulumi.StringOutput{}
	for _, b := range objectstore.Buckets {
		c, err := storage.NewBlobContainer(ctx, name+"-"+string(b), &storage.BlobContainerArgs{
			AccountName:       account.Name,
			ResourceGroupName: args.ResourceGroupName,
			ContainerName:     pulumi.String(string(b)),
			PublicAccess:      storage.PublicAccessNone,
			Metadata:          pulumi.StringMap{"role": pulumi.String(string(b))},
		}, parent)
		if err != nil {
			return nil, err
		}
		containers[b] = c
		bucketNames[b] = c.Name
		// The ARM ID of a container, the scope role assignments on it take.
		comp.ContainerIDs[b] = pulumi.Sprintf("%s/blobServices/default/containers/%s", account.ID(), c.Name)
	}

	if rules := lifecycleRules(args); len(rules) > 0 {
		if _, err := storage.NewManagementPolicy(ctx, name+"-lifecycle", &storage.ManagementPolicyArgs{
			AccountName:          account.Name,
			ResourceGroupName:    args.ResourceGroupName,
			ManagementPolicyName: pulumi.String("default"),
			Policy:               &storage.ManagementPolicySchemaArgs{Rules: rules},
		}, parent, pulumi.DependsOn([]pulumi.Resource{containers[objectstore.Lake]})); err != nil {
			return nil, err
		}
	}

	zones := map[string]pulumi.StringInput{"blob": args.BlobPrivateDNSZoneID, "dfs": args.DfsPrivateDNSZoneID}
	for _, svc := range PrivateEndpointServices {
		pe, err := network.NewPrivateEndpoint(ctx, name+"-pe-"+svc, &network.PrivateEndpointArgs{
			PrivateEndpointName:        pulumi.String(base + "-" + svc),
			ResourceGroupName:          args.ResourceGroupName,
			Location:                   location,
			Subnet:                     &network.SubnetTypeArgs{Id: args.EndpointsSubnetID},
			CustomNetworkInterfaceName: pulumi.String(base + "-" + svc + "-nic"),
			PrivateLinkServiceConnections: network.PrivateLinkServiceConnectionArray{&network.PrivateLinkServiceConnectionArgs{
				Name:                 pulumi.String(base + "-" + svc),
				PrivateLinkServiceId: account.ID().ToStringOutput(),
				GroupIds:             pulumi.StringArray{pulumi.String(svc)},
			}},
			Tags: tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		// The zone group writes the endpoint's A record into the private zone and removes it with
		// the endpoint.
		if _, err := network.NewPrivateDnsZoneGroup(ctx, name+"-pe-"+svc+"-dns", &network.PrivateDnsZoneGroupArgs{
			PrivateDnsZoneGroupName: pulumi.String("default"),
			PrivateEndpointName:     pe.Name,
			ResourceGroupName:       args.ResourceGroupName,
			PrivateDnsZoneConfigs: network.PrivateDnsZoneConfigArray{&network.PrivateDnsZoneConfigArgs{
				Name:             pulumi.String(svc),
				PrivateDnsZoneId: zones[svc],
			}},
		}, parent); err != nil {
			return nil, err
		}
	}

	if args.DeletionLock {
		if _, err := authorization.NewManagementLockByScope(ctx, name+"-lock", &authorization.ManagementLockByScopeArgs{
			LockName: pulumi.String("do-not-delete"),
			Level:    pulumi.String("CanNotDelete"),
			Scope:    account.ID().ToStringOutput(),
			Notes:    pulumi.String("The platform's data lake and backups. Remove this lock only to retire it."),
		}, parent); err != nil {
			return nil, err
		}
	}

	identities := map[string]objectstore.Identity{}
	if len(args.Access) > 0 {
		client := authorization.GetClientConfigOutput(ctx, parent)
		role := client.SubscriptionId().ApplyT(func(sub string) string {
			return "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + BlobDataContributorRole
		}).(pulumi.StringOutput)
		for _, a := range args.Access {
			id, err := newIdentity(ctx, name, base, args, a, comp, role)
			if err != nil {
				return nil, err
			}
			identities[a.Workload] = id
		}
	}

	comp.AccountID = account.ID().ToStringOutput()
	comp.AccountName = account.Name
	comp.Info = objectstore.Info{
		Kind:        objectstore.ADLS,
		Region:      args.Location,
		Endpoint:    pulumi.Sprintf("https://%s.dfs.core.windows.net", account.Name),
		PathStyle:   false,
		Account:     account.Name,
		BucketNames: bucketNames,
		Identities:  identities,
		// Azure's endpoints carry publicly trusted certificates.
		CABundle: pulumi.String("").ToStringOutput(),
	}

	names := pulumi.StringMap{}
	for b, n := range bucketNames {
		names[string(b)] = n
	}
	principals := pulumi.StringMap{}
	for w, id := range identities {
		principals[w] = id.Principal
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"accountId":   comp.AccountID,
		"accountName": comp.AccountName,
		"endpoint":    comp.Info.Endpoint,
		"bucketNames": names,
		"principals":  principals,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// lifecycleRules moves the lake to Cool after ColdTierAfterDays. Soft-deleted data expires by the
// blob service's retention, so no rule deletes anything.
func lifecycleRules(args *ObjectStoreArgs) storage.ManagementPolicyRuleArray {
	var rules storage.ManagementPolicyRuleArray
	if args.ColdTierAfterDays > 0 {
		rules = append(rules, &storage.ManagementPolicyRuleArgs{
			Name:    pulumi.String("lake-to-cool"),
			Type:    pulumi.String("Lifecycle"),
			Enabled: pulumi.Bool(true),
			Definition: &storage.ManagementPolicyDefinitionArgs{
				Filters: &storage.ManagementPolicyFilterArgs{
					BlobTypes:   pulumi.StringArray{pulumi.String("blockBlob")},
					PrefixMatch: pulumi.StringArray{pulumi.String(string(objectstore.Lake) + "/")},
				},
				Actions: &storage.ManagementPolicyActionArgs{
					BaseBlob: &storage.ManagementPolicyBaseBlobArgs{
						TierToCool: &storage.DateAfterModificationArgs{DaysAfterModificationGreaterThan: pulumi.Float64(float64(args.ColdTierAfterDays))},
					},
				},
			},
		})
	}
	return rules
}

// newIdentity creates a workload's managed identity, federates it with the workload's
// ServiceAccount, and grants it its containers.
func newIdentity(ctx *pulumi.Context, name, base string, args *ObjectStoreArgs, a objectstore.Access, comp *ObjectStore, role pulumi.StringOutput) (objectstore.Identity, error) {
	parent := pulumi.Parent(comp)
	uai, err := managedidentity.NewUserAssignedIdentity(ctx, name+"-"+a.Workload, &managedidentity.UserAssignedIdentityArgs{
		ResourceName:      pulumi.String(base + "-" + a.Workload),
		ResourceGroupName: args.ResourceGroupName,
		Location:          pulumi.String(args.Location),
		Tags:              pulumi.ToStringMap(args.Tags),
	}, parent)
	if err != nil {
		return objectstore.Identity{}, err
	}
	fic, err := managedidentity.NewFederatedIdentityCredential(ctx, name+"-"+a.Workload+"-federation", &managedidentity.FederatedIdentityCredentialArgs{
		FederatedIdentityCredentialResourceName: pulumi.String(federationName(a)),
		ResourceName:                            uai.Name,
		ResourceGroupName:                       args.ResourceGroupName,
		Issuer:                                  args.OIDCIssuerURL,
		Subject:                                 pulumi.String(Subject(a.Namespace, a.ServiceAccount)),
		Audiences:                               pulumi.StringArray{pulumi.String(TokenAudience)},
	}, parent)
	if err != nil {
		return objectstore.Identity{}, err
	}
	grants := []any{uai.ClientId, fic.ID()}
	for _, b := range a.Buckets {
		scope := comp.ContainerIDs[b]
		ra, err := authorization.NewRoleAssignment(ctx, name+"-"+a.Workload+"-"+string(b), &authorization.RoleAssignmentArgs{
			RoleAssignmentName: pulumi.All(scope, uai.PrincipalId, role).ApplyT(func(v []any) string {
				return deterministicGUID(v[0].(string), v[1].(string), v[2].(string))
			}).(pulumi.StringOutput),
			PrincipalId: uai.PrincipalId,
			// ServicePrincipal skips the directory lookup that fails while a new identity replicates.
			PrincipalType:    pulumi.String("ServicePrincipal"),
			RoleDefinitionId: role,
			Scope:            scope,
		}, parent)
		if err != nil {
			return objectstore.Identity{}, err
		}
		grants = append(grants, ra.ID())
	}
	// The client ID is handed out once the federation and every grant exist, so a workload that
	// starts with it can authenticate and reach its containers at once.
	clientID := pulumi.All(grants...).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	return objectstore.Identity{
		ServiceAccountAnnotations: pulumi.StringMap{ClientIDAnnotation: clientID}.ToStringMapOutput(),
		PodLabels:                 map[string]string{UseLabel: "true"},
		Principal:                 clientID,
		CredentialsSecret:         pulumi.String("").ToStringOutput(),
	}, nil
}

// Subject is the ServiceAccount token subject AKS issues for a ServiceAccount.
func Subject(namespace, serviceAccount string) string {
	return "system:serviceaccount:" + namespace + ":" + serviceAccount
}

// federationName names the federated credential after the ServiceAccount it trusts (3-120 letters,
// digits, '-' and '_', starting with a letter or digit).
func federationName(a objectstore.Access) string {
	n := ficNameRE.ReplaceAllString("kubernetes-"+a.Namespace+"-"+a.ServiceAccount, "-")
	if len(n) > 120 {
		n = n[:120]
	}
	return strings.TrimRight(n, "-")
}

// deterministicGUID derives a role assignment's name from its scope, principal and role, as Bicep's
// guid() does: the same assignment always gets the same name, and a changed one is replaced.
func deterministicGUID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.ToLower(strings.Join(parts, "|"))))
	h[6] = h[6]&0x0f | 0x50 // version 5 (name-based)
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
