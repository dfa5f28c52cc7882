// Package adls is the Azure implementation of the platform's object store: one StorageV2 account
// with the hierarchical namespace (Azure Data Lake Storage Gen2), reachable only through private
// endpoints for its blob and dfs services, with Entra ID authorisation only (no shared keys), TLS 1.2
// and infrastructure (double) encryption, soft delete of containers and files, and a lifecycle policy
// that moves the lake to the Cool tier. It holds one container per bucket role. Every workload in
// Access gets a user-assigned managed identity federated with its Kubernetes ServiceAccount (AKS
// workload identity) and "Storage Blob Data Contributor" on its containers only.
//
// The one exception is a workload whose client cannot use Entra ID (Access.StaticCredential: Airbyte,
// whose Azure storage client takes only a connection string). Its containers live in a second account,
// the keyed account (KeyedAccountName), a Blob-only StorageV2 account with the same network, TLS,
// encryption and soft-delete settings, which is the only account of the store that accepts shared
// keys. The workload gets no identity but a connection string with the keyed account's key; the main
// account, which holds the lake, keeps shared keys off, so no key to the lake exists. A bucket cannot
// be shared between a static-credential workload and a workload-identity one. An account key opens
// every container of its account, so with several static-credential workloads each one's key also
// opens the others' containers.
package adls

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/storage/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/internal/azurerbac"
	"github.com/opendataplatform/dataplatform/components/internal/azurewi"
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
	TokenAudience = azurewi.TokenAudience
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
	// KeyedAccountName is the name of the keyed account, the only account of the store that accepts
	// shared keys, which holds the containers of static-credential workloads; "" when no workload in
	// Access has StaticCredential (then there is no keyed account).
	KeyedAccountName pulumi.StringOutput
	// ContainerIDs maps each bucket role to its container's ARM ID (the role assignments' scope): in
	// the keyed account for the buckets of static-credential workloads, in the main account otherwise.
	ContainerIDs map[objectstore.Bucket]pulumi.StringOutput
}

var ficNameRE = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// NewObjectStore creates the account, its blob service settings, containers, lifecycle policy,
// private endpoints, and an identity per workload in Access; and, when a workload in Access has
// StaticCredential, the keyed account for that workload's containers and its connection string.
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
			"staticCredential": pulumi.Bool(a.StaticCredential),
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
		"protect":               pulumi.Bool(args.Protect),
		"tags":                  pulumi.ToStringMap(args.Tags),
	}
	if err := ctx.RegisterComponentResourceV2(ObjectStoreType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	stateful := pulumi.Protect(args.Protect)
	base := baseName(name)

	keyedBuckets := args.keyedBuckets()
	keyed := len(keyedBuckets) > 0

	// Every write to one storage account waits for the previous one: the storage resource provider
	// refuses concurrent writes to an account with StorageAccountOperationInProgress (409). Each
	// account has its own chain: settings, containers one by one, lifecycle policy, private
	// endpoints, diagnostic setting, lock.
	account, err := storage.NewStorageAccount(ctx, name+"-account", accountArgs(args, accountName, false), parent, stateful)
	if err != nil {
		return nil, err
	}
	mainChain := &chain{last: account}
	if err := newBlobService(ctx, name+"-blob-service", account, args, parent, mainChain); err != nil {
		return nil, err
	}
	// The keyed account exists only while a workload needs a static credential.
	var keyedAccount *storage.StorageAccount
	var keyedChain *chain
	if keyed {
		keyedAccount, err = storage.NewStorageAccount(ctx, name+"-keyed-account", accountArgs(args, KeyedAccountName(accountName), true), parent, stateful)
		if err != nil {
			return nil, err
		}
		keyedChain = &chain{last: keyedAccount}
		if err := newBlobService(ctx, name+"-keyed-blob-service", keyedAccount, args, parent, keyedChain); err != nil {
			return nil, err
		}
	}

	// Each container goes into the main account, or into the keyed one when a static-credential
	// workload uses it. Its logical name is the same either way.
	mainContainers := map[objectstore.Bucket]*storage.BlobContainer{}
	keyedContainers := map[objectstore.Bucket]*storage.BlobContainer{}
	bucketNames := map[objectstore.Bucket]pulumi.StringOutput{}
	for _, b := range objectstore.Buckets {
		holder, in, ch := account, mainContainers, mainChain
		if keyedBuckets[b] {
			holder, in, ch = keyedAccount, keyedContainers, keyedChain
		}
		c, err := storage.NewBlobContainer(ctx, name+"-"+string(b), &storage.BlobContainerArgs{
			AccountName:       holder.Name,
			ResourceGroupName: args.ResourceGroupName,
			ContainerName:     pulumi.String(string(b)),
			PublicAccess:      storage.PublicAccessNone,
			Metadata:          pulumi.StringMap{"role": pulumi.String(string(b))},
		}, parent, stateful, ch.after())
		if err != nil {
			return nil, err
		}
		ch.last = c
		in[b] = c
		bucketNames[b] = c.Name
		// The ARM ID of a container, the scope role assignments on it take.
		comp.ContainerIDs[b] = pulumi.Sprintf("%s/blobServices/default/containers/%s", holder.ID(), c.Name)
	}

	if err := newLifecycle(ctx, name+"-lifecycle", account, args, mainContainers, parent, mainChain); err != nil {
		return nil, err
	}
	zones := map[string]pulumi.StringInput{"blob": args.BlobPrivateDNSZoneID, "dfs": args.DfsPrivateDNSZoneID}
	for _, svc := range PrivateEndpointServices {
		if err := newPrivateEndpoint(ctx, name+"-pe-"+svc, base+"-"+svc, svc, account, zones[svc], args, parent, mainChain); err != nil {
			return nil, err
		}
	}
	if err := newDiagnostics(ctx, name+"-diagnostics", base, account, args, parent, mainChain); err != nil {
		return nil, err
	}
	if args.DeletionLock {
		if err := newLock(ctx, name+"-lock", account,
			"The platform's data lake and backups. Remove this lock only to retire it.", parent, mainChain); err != nil {
			return nil, err
		}
	}
	if keyed {
		if err := newLifecycle(ctx, name+"-keyed-lifecycle", keyedAccount, args, keyedContainers, parent, keyedChain); err != nil {
			return nil, err
		}
		// Clients of the keyed account use the Blob API only (no hierarchical namespace, no dfs).
		if err := newPrivateEndpoint(ctx, name+"-keyed-pe-blob", base+"-keyed-blob", "blob", keyedAccount, zones["blob"], args, parent, keyedChain); err != nil {
			return nil, err
		}
		if err := newDiagnostics(ctx, name+"-keyed-diagnostics", base+"-keyed", keyedAccount, args, parent, keyedChain); err != nil {
			return nil, err
		}
		if args.DeletionLock {
			if err := newLock(ctx, name+"-keyed-lock", keyedAccount,
				"The containers of workloads that can authenticate only with an account key. Remove this lock only to retire it.", parent, keyedChain); err != nil {
				return nil, err
			}
		}
	}

	identities := map[string]objectstore.Identity{}
	var role pulumi.StringOutput
	for _, a := range args.Access {
		if a.StaticCredential {
			identities[a.Workload] = staticIdentity(ctx, args, a, keyedAccount, bucketNames, comp)
			continue
		}
		if role.OutputState == nil {
			client := authorization.GetClientConfigOutput(ctx, parent)
			role = client.SubscriptionId().ApplyT(func(sub string) string {
				return "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + BlobDataContributorRole
			}).(pulumi.StringOutput)
		}
		id, err := newIdentity(ctx, name, base, args, a, comp, role)
		if err != nil {
			return nil, err
		}
		identities[a.Workload] = id
	}

	comp.AccountID = account.ID().ToStringOutput()
	comp.AccountName = account.Name
	comp.KeyedAccountName = pulumi.String("").ToStringOutput()
	if keyed {
		comp.KeyedAccountName = keyedAccount.Name
	}
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
		"accountId":        comp.AccountID,
		"accountName":      comp.AccountName,
		"keyedAccountName": comp.KeyedAccountName,
		"endpoint":         comp.Info.Endpoint,
		"bucketNames":      names,
		"principals":       principals,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// accountArgs returns a storage account's settings. The main account (keyed false) is Data Lake
// Gen2 and accepts Entra ID only; the keyed account (keyed true) is a plain Blob account that also
// accepts its account keys. Everything else (network, TLS, encryption) is the same for both.
func accountArgs(args *ObjectStoreArgs, accountName string, keyed bool) *storage.StorageAccountArgs {
	encrypted := &storage.EncryptionServiceArgs{Enabled: pulumi.Bool(true), KeyType: pulumi.String("Account")}
	return &storage.StorageAccountArgs{
		AccountName:       pulumi.String(accountName),
		ResourceGroupName: args.ResourceGroupName,
		Location:          pulumi.String(args.Location),
		Kind:              pulumi.String("StorageV2"),
		Sku:               &storage.SkuArgs{Name: pulumi.String("Standard_" + args.Redundancy)},
		AccessTier:        storage.AccessTierHot,
		// The hierarchical namespace makes the main account Data Lake Storage Gen2: real directories,
		// atomic renames and POSIX ACLs, which Dremio's ABFS driver relies on. The keyed account's
		// client (Airbyte) uses the Blob API only, and without the namespace the account could also
		// version blobs.
		IsHnsEnabled:           pulumi.Bool(!keyed),
		EnableHttpsTrafficOnly: pulumi.Bool(true),
		MinimumTlsVersion:      pulumi.String("TLS1_2"),
		AllowBlobPublicAccess:  pulumi.Bool(false),
		// The main account accepts Entra ID only: account keys and SAS tokens signed with them stop
		// working, so no static credential to the lake exists, and workloads authenticate through
		// workload identity. The keyed account accepts its keys because its clients cannot do anything
		// else (Airbyte's Azure storage client takes only a connection string); it holds nothing but
		// those clients' containers, so the keys reach no other data.
		AllowSharedKeyAccess:         pulumi.Bool(keyed),
		DefaultToOAuthAuthentication: pulumi.Bool(true),
		AllowCrossTenantReplication:  pulumi.Bool(false),
		IsLocalUserEnabled:           pulumi.Bool(false),
		IsSftpEnabled:                pulumi.Bool(false),
		// Private endpoints only; trusted Azure services (backup, monitoring) keep their bypass. A
		// leaked key is useless outside the VNet.
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
		Tags: pulumi.ToStringMap(args.Tags),
	}
}

// newBlobService sets an account's soft delete of containers and blobs. Both accounts keep earlier
// states the same way, by soft delete for blobRetentionDays: the main account cannot version blobs
// (hierarchical namespace), and the keyed account, which could, does not either, so that the
// recovery window is the one ObjectStoreArgs.Versioning documents and the frequently rewritten state
// and logs of its clients do not pile up as versions no rule expires.
func newBlobService(ctx *pulumi.Context, logical string, account *storage.StorageAccount, args *ObjectStoreArgs, parent pulumi.ResourceOption, ch *chain) error {
	r, err := storage.NewBlobServiceProperties(ctx, logical, &storage.BlobServicePropertiesArgs{
		AccountName:       account.Name,
		ResourceGroupName: args.ResourceGroupName,
		BlobServicesName:  pulumi.String("default"),
		// Blob versioning and the change feed are not available on hierarchical-namespace accounts:
		// earlier states are kept by soft delete instead (see ObjectStoreArgs.Versioning).
		IsVersioningEnabled: pulumi.Bool(false),
		DeleteRetentionPolicy: &storage.DeleteRetentionPolicyArgs{
			Enabled: pulumi.Bool(true),
			Days:    pulumi.Int(args.blobRetentionDays()),
			// Nobody may purge soft-deleted data before the window ends.
			AllowPermanentDelete: pulumi.Bool(false),
		},
		ContainerDeleteRetentionPolicy: &storage.DeleteRetentionPolicyArgs{
			Enabled: pulumi.Bool(true),
			Days:    pulumi.Int(args.SoftDeleteDays),
		},
	}, parent, disposable, ch.after())
	return ch.then(r, err)
}

// newLifecycle creates an account's lifecycle policy for the rules that apply to the containers it
// holds, if any do.
func newLifecycle(ctx *pulumi.Context, logical string, account *storage.StorageAccount, args *ObjectStoreArgs, containers map[objectstore.Bucket]*storage.BlobContainer, parent pulumi.ResourceOption, ch *chain) error {
	rules, on := lifecycleRules(args, containers)
	if len(rules) == 0 {
		return nil
	}
	r, err := storage.NewManagementPolicy(ctx, logical, &storage.ManagementPolicyArgs{
		AccountName:          account.Name,
		ResourceGroupName:    args.ResourceGroupName,
		ManagementPolicyName: pulumi.String("default"),
		Policy:               &storage.ManagementPolicySchemaArgs{Rules: rules},
	}, parent, disposable, pulumi.DependsOn(append(on, ch.last)))
	return ch.then(r, err)
}

// lifecycleRules moves the lake to Cool after ColdTierAfterDays, when the lake's container is among
// containers. Soft-deleted data expires by the blob service's retention, so no rule deletes anything.
// It also returns the containers the rules refer to, which the policy depends on.
func lifecycleRules(args *ObjectStoreArgs, containers map[objectstore.Bucket]*storage.BlobContainer) (storage.ManagementPolicyRuleArray, []pulumi.Resource) {
	var rules storage.ManagementPolicyRuleArray
	var on []pulumi.Resource
	if lake, ok := containers[objectstore.Lake]; ok && args.ColdTierAfterDays > 0 {
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
		on = append(on, lake)
	}
	return rules, on
}

// newPrivateEndpoint connects one service (blob, dfs) of an account to the endpoints subnet and
// registers its address in the service's private DNS zone.
func newPrivateEndpoint(ctx *pulumi.Context, logical, physical, svc string, account *storage.StorageAccount, zone pulumi.StringInput, args *ObjectStoreArgs, parent pulumi.ResourceOption, ch *chain) error {
	pe, err := network.NewPrivateEndpoint(ctx, logical, &network.PrivateEndpointArgs{
		PrivateEndpointName:        pulumi.String(physical),
		ResourceGroupName:          args.ResourceGroupName,
		Location:                   pulumi.String(args.Location),
		Subnet:                     &network.SubnetTypeArgs{Id: args.EndpointsSubnetID},
		CustomNetworkInterfaceName: pulumi.String(physical + "-nic"),
		PrivateLinkServiceConnections: network.PrivateLinkServiceConnectionArray{&network.PrivateLinkServiceConnectionArgs{
			Name:                 pulumi.String(physical),
			PrivateLinkServiceId: account.ID().ToStringOutput(),
			GroupIds:             pulumi.StringArray{pulumi.String(svc)},
		}},
		Tags: pulumi.ToStringMap(args.Tags),
	}, parent, disposable, ch.after())
	if err != nil {
		return err
	}
	// The zone group writes the endpoint's A record into the private zone and removes it with the
	// endpoint.
	zg, err := network.NewPrivateDnsZoneGroup(ctx, logical+"-dns", &network.PrivateDnsZoneGroupArgs{
		PrivateDnsZoneGroupName: pulumi.String("default"),
		PrivateEndpointName:     pe.Name,
		ResourceGroupName:       args.ResourceGroupName,
		PrivateDnsZoneConfigs: network.PrivateDnsZoneConfigArray{&network.PrivateDnsZoneConfigArgs{
			Name:             pulumi.String(svc),
			PrivateDnsZoneId: zone,
		}},
	}, parent, disposable)
	// The endpoint's connection approval writes to the account; the next write waits for the
	// endpoint and its DNS records.
	return ch.then(zg, err)
}

// newLock puts a CanNotDelete management lock on an account.
func newLock(ctx *pulumi.Context, logical string, account *storage.StorageAccount, notes string, parent pulumi.ResourceOption, ch *chain) error {
	r, err := authorization.NewManagementLockByScope(ctx, logical, &authorization.ManagementLockByScopeArgs{
		LockName: pulumi.String("do-not-delete"),
		Level:    pulumi.String("CanNotDelete"),
		Scope:    account.ID().ToStringOutput(),
		Notes:    pulumi.String(notes),
	}, parent, disposable, ch.after())
	return ch.then(r, err)
}

// staticIdentity is what a static-credential workload gets: no managed identity, federation or role
// assignment (its client could not use them), but a connection string with the keyed account's
// first key, as a secret. The key opens every container of the keyed account, which holds only the
// buckets of static-credential workloads (validate keeps the others out). Regenerating key1 in Azure
// revokes it; the next update hands out the new one.
func staticIdentity(ctx *pulumi.Context, args *ObjectStoreArgs, a objectstore.Access, keyed *storage.StorageAccount,
	containers map[objectstore.Bucket]pulumi.StringOutput, comp *ObjectStore) objectstore.Identity {
	keys := storage.ListStorageAccountKeysOutput(ctx, storage.ListStorageAccountKeysOutputArgs{
		AccountName:       keyed.Name,
		ResourceGroupName: args.ResourceGroupName,
	}, pulumi.Parent(comp))
	key := keys.Keys().ApplyT(func(ks []storage.StorageAccountKeyResponse) (string, error) {
		for _, k := range ks {
			if k.KeyName == "key1" {
				return k.Value, nil
			}
		}
		return "", fmt.Errorf("adls: storage account listKeys returned no key1 (got %d keys); is shared key access enabled on the keyed account?", len(ks))
	}).(pulumi.StringOutput)
	conn := pulumi.Sprintf("DefaultEndpointsProtocol=https;AccountName=%s;AccountKey=%s;EndpointSuffix=core.windows.net",
		keyed.Name, pulumi.ToSecret(key))
	// The credential is handed out once the workload's containers exist, so a client that starts
	// with it finds them.
	ready := []any{conn}
	for _, b := range a.Buckets {
		ready = append(ready, containers[b])
	}
	cred := pulumi.All(ready...).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	return objectstore.Identity{
		ServiceAccountAnnotations: pulumi.StringMap{}.ToStringMapOutput(),
		PodLabels:                 map[string]string{},
		Principal:                 pulumi.String("").ToStringOutput(),
		CredentialsSecret:         pulumi.String("").ToStringOutput(),
		StaticCredential:          pulumi.ToSecret(cred).(pulumi.StringOutput),
	}
}

// newIdentity creates a workload's managed identity, federates it with the workload's
// ServiceAccount, and grants it its containers.
func newIdentity(ctx *pulumi.Context, name, base string, args *ObjectStoreArgs, a objectstore.Access, comp *ObjectStore, role pulumi.StringOutput) (objectstore.Identity, error) {
	parent := pulumi.Parent(comp)
	uai, fic, err := azurewi.New(ctx, name+"-"+a.Workload, name+"-"+a.Workload+"-federation", azurewi.Args{
		IdentityName: base + "-" + a.Workload, FederationName: federationName(a),
		ResourceGroupName: args.ResourceGroupName, Location: args.Location, Tags: pulumi.ToStringMap(args.Tags),
		Issuer: args.OIDCIssuerURL, Namespace: a.Namespace, ServiceAccount: a.ServiceAccount,
	}, parent, disposable)
	if err != nil {
		return objectstore.Identity{}, err
	}
	grants := []any{uai.ClientId, fic.ID()}
	ready := []pulumi.Resource{fic}
	for _, b := range a.Buckets {
		scope := comp.ContainerIDs[b]
		assignment := &authorization.RoleAssignmentArgs{
			RoleAssignmentName: azurerbac.AssignmentName(scope, uai.PrincipalId, role),
			PrincipalId:        uai.PrincipalId,
			// ServicePrincipal skips the directory lookup that fails while a new identity replicates.
			PrincipalType:    pulumi.String("ServicePrincipal"),
			RoleDefinitionId: role,
			Scope:            scope,
		}
		if a.Prefix != "" {
			// The grant reaches the blobs under "<Prefix>/" only (PrefixCondition).
			assignment.Condition = pulumi.String(PrefixCondition(a.Prefix))
			assignment.ConditionVersion = pulumi.String(ConditionVersion)
		}
		ra, err := authorization.NewRoleAssignment(ctx, name+"-"+a.Workload+"-"+string(b), assignment, parent, disposable)
		if err != nil {
			return objectstore.Identity{}, err
		}
		grants = append(grants, ra.ID())
		ready = append(ready, ra)
	}
	// The client ID is handed out once the federation and every grant exist, so a workload that
	// starts with it can authenticate and reach its containers at once.
	clientID := pulumi.All(grants...).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	return objectstore.Identity{
		ServiceAccountAnnotations: pulumi.StringMap{ClientIDAnnotation: clientID}.ToStringMapOutput(),
		PodLabels:                 map[string]string{UseLabel: "true"},
		Principal:                 clientID,
		CredentialsSecret:         pulumi.String("").ToStringOutput(),
		// A workload that exchanges its token as it starts waits for the federation and the grants.
		Ready: ready,
	}, nil
}

// Subject is the ServiceAccount token subject AKS issues for a ServiceAccount.
func Subject(namespace, serviceAccount string) string {
	return azurewi.Subject(namespace, serviceAccount)
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
