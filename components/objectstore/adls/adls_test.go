package adls

import (
	"regexp"
	"strings"
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/opendataplatform/dataplatform/policy/policies"
)

const (
	tAccount   = "azure-native:storage:StorageAccount"
	tBlobSvc   = "azure-native:storage:BlobServiceProperties"
	tContainer = "azure-native:storage:BlobContainer"
	tPolicy    = "azure-native:storage:ManagementPolicy"
	tPE        = "azure-native:network:PrivateEndpoint"
	tZoneGroup = "azure-native:network:PrivateDnsZoneGroup"
	tUAI       = "azure-native:managedidentity:UserAssignedIdentity"
	tFIC       = "azure-native:managedidentity:FederatedIdentityCredential"
	tRA        = "azure-native:authorization:RoleAssignment"
	tLock      = "azure-native:authorization:ManagementLockByScope"

	sub       = "/subscriptions/" + mockcloud.AzureSubscriptionID
	rgPrefix  = sub + "/resourceGroups/rg-dataplatform-prod/providers/Microsoft.Network"
	subnetID  = rgPrefix + "/virtualNetworks/network-vnet/subnets/endpoints"
	blobZone  = rgPrefix + "/privateDnsZones/privatelink.blob.core.windows.net"
	dfsZone   = rgPrefix + "/privateDnsZones/privatelink.dfs.core.windows.net"
	issuerURL = "https://swedencentral.oic.prod-aks.azure.com/" + mockcloud.AzureTenantID + "/11111111-2222-4333-8444-555555555555/"
	roleID    = sub + "/providers/Microsoft.Authorization/roleDefinitions/" + BlobDataContributorRole
)

func access() []objectstore.Access {
	return []objectstore.Access{
		{Workload: "dremio", Namespace: "dataplatform", ServiceAccount: "dremio", Buckets: []objectstore.Bucket{objectstore.Lake, objectstore.Dremio}},
		{Workload: "airbyte", Namespace: "dataplatform", ServiceAccount: "airbyte-admin", Buckets: []objectstore.Bucket{objectstore.Airbyte, objectstore.Lake}},
		{Workload: "dbt", Namespace: "dataplatform-jobs", ServiceAccount: "dbt", Buckets: []objectstore.Bucket{objectstore.Lake}},
	}
}

// prodArgs mirrors config.Defaults(Azure, Prod); devArgs mirrors Dev.
func prodArgs() *ObjectStoreArgs {
	return &ObjectStoreArgs{
		ResourceGroupName:     pulumi.String("rg-dataplatform-prod"),
		Location:              "swedencentral",
		AccountName:           "dataplatformprodlake",
		Redundancy:            "GZRS",
		Versioning:            true,
		SoftDeleteDays:        30,
		NoncurrentVersionDays: 90,
		ColdTierAfterDays:     90,
		EndpointsSubnetID:     pulumi.String(subnetID),
		BlobPrivateDNSZoneID:  pulumi.String(blobZone),
		DfsPrivateDNSZoneID:   pulumi.String(dfsZone),
		OIDCIssuerURL:         pulumi.String(issuerURL),
		Access:                access(),
		DeletionLock:          true,
		Tags:                  map[string]string{"environment": "prod"},
	}
}

func devArgs() *ObjectStoreArgs {
	a := prodArgs()
	a.AccountName = ""
	a.Redundancy = "ZRS"
	a.SoftDeleteDays = 7
	a.NoncurrentVersionDays = 30
	a.ColdTierAfterDays = 0
	a.DeletionLock = false
	a.Tags = map[string]string{"environment": "dev"}
	return a
}

func run(t *testing.T, preview bool, args *ObjectStoreArgs, opts ...pulumi.ResourceOption) (*mockcloud.Mocks, *ObjectStore, error) {
	return runStack(t, "prod", preview, args, opts...)
}

func runStack(t *testing.T, stack string, preview bool, args *ObjectStoreArgs, opts ...pulumi.ResourceOption) (*mockcloud.Mocks, *ObjectStore, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", stack, preview)
	var s *ObjectStore
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String("swedencentral")})
		if err != nil {
			return err
		}
		s, err = NewObjectStore(ctx, "object-store", args, append(opts, pulumi.Provider(p))...)
		return err
	}, nil)
	return m, s, err
}

func deploy(t *testing.T, preview bool, args *ObjectStoreArgs) (*mockcloud.Mocks, *ObjectStore) {
	t.Helper()
	m, s, err := run(t, preview, args)
	require.NoError(t, err)
	require.NotNil(t, s)
	return m, s
}

func TestAccountSecurity(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, prodArgs())
		comp := inspect.MustNamed(t, m, ObjectStoreType, "object-store")
		acct := inspect.MustNamed(t, m, tAccount, "object-store-account")
		in := acct.Inputs
		assert.Equal(t, comp.URN, acct.Parent)
		assert.Equal(t, "dataplatformprodlake", inspect.RequireStr(t, in, "accountName"))
		assert.Equal(t, "StorageV2", inspect.RequireStr(t, in, "kind"))
		assert.True(t, inspect.RequireBool(t, in, "isHnsEnabled"), "Data Lake Gen2")
		assert.True(t, inspect.RequireBool(t, in, "enableHttpsTrafficOnly"))
		assert.Equal(t, "TLS1_2", inspect.RequireStr(t, in, "minimumTlsVersion"))
		assert.False(t, inspect.RequireBool(t, in, "allowBlobPublicAccess"))
		assert.False(t, inspect.RequireBool(t, in, "allowSharedKeyAccess"), "no account keys")
		assert.True(t, inspect.RequireBool(t, in, "defaultToOAuthAuthentication"))
		assert.Equal(t, "Disabled", inspect.RequireStr(t, in, "publicNetworkAccess"))
		assert.Equal(t, "Deny", inspect.RequireStr(t, in, "networkRuleSet", "defaultAction"))
		assert.Equal(t, "AzureServices", inspect.RequireStr(t, in, "networkRuleSet", "bypass"))
		assert.True(t, inspect.RequireBool(t, in, "encryption", "requireInfrastructureEncryption"))
		assert.True(t, inspect.RequireBool(t, in, "encryption", "services", "blob", "enabled"))
		assert.Equal(t, "Standard_GZRS", inspect.RequireStr(t, in, "sku", "name"))

		lock := inspect.MustNamed(t, m, tLock, "object-store-lock")
		assert.Equal(t, "CanNotDelete", inspect.RequireStr(t, lock.Inputs, "level"))
		assert.Contains(t, lock.PropertyDependencies["scope"], acct.URN)
	})
}

func TestDevVsProd(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, s := deploy(t, preview, devArgs())
		acct := inspect.MustNamed(t, m, tAccount, "object-store-account")
		assert.Equal(t, "Standard_ZRS", inspect.RequireStr(t, acct.Inputs, "sku", "name"))
		derived := DeriveAccountName("dataplatform", "prod", "object-store")
		assert.Equal(t, derived, inspect.RequireStr(t, acct.Inputs, "accountName"))
		assert.Empty(t, m.ByType(tLock))
		assert.Empty(t, m.ByType(tPolicy), "no tiering, no lifecycle policy")
		svc := inspect.MustNamed(t, m, tBlobSvc, "object-store-blob-service")
		assert.Equal(t, 30.0, inspect.RequireNum(t, svc.Inputs, "deleteRetentionPolicy", "days"), "versioning keeps deleted data NoncurrentVersionDays")
		assert.Equal(t, 7.0, inspect.RequireNum(t, svc.Inputs, "containerDeleteRetentionPolicy", "days"))
		// Security does not depend on the environment.
		assert.Equal(t, "Disabled", inspect.RequireStr(t, acct.Inputs, "publicNetworkAccess"))
		assert.False(t, inspect.RequireBool(t, acct.Inputs, "allowSharedKeyAccess"))
		if !preview {
			assert.Equal(t, derived, inspect.Await(t, s.AccountName).Value)
		}
	})
}

func TestBlobService(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, prodArgs())
		acct := inspect.MustNamed(t, m, tAccount, "object-store-account")
		svc := inspect.MustNamed(t, m, tBlobSvc, "object-store-blob-service")
		in := svc.Inputs
		assert.Equal(t, "default", inspect.RequireStr(t, in, "blobServicesName"))
		assert.False(t, inspect.RequireBool(t, in, "isVersioningEnabled"), "hierarchical-namespace accounts cannot version blobs")
		assert.True(t, inspect.RequireBool(t, in, "deleteRetentionPolicy", "enabled"))
		assert.Equal(t, 90.0, inspect.RequireNum(t, in, "deleteRetentionPolicy", "days"))
		assert.False(t, inspect.RequireBool(t, in, "deleteRetentionPolicy", "allowPermanentDelete"))
		assert.True(t, inspect.RequireBool(t, in, "containerDeleteRetentionPolicy", "enabled"))
		assert.Equal(t, 30.0, inspect.RequireNum(t, in, "containerDeleteRetentionPolicy", "days"))
		assert.Contains(t, svc.PropertyDependencies["accountName"], acct.URN)

		// Without Versioning the blob window is SoftDeleteDays.
		a := prodArgs()
		a.Versioning = false
		m2, _ := deploy(t, preview, a)
		assert.Equal(t, 30.0, inspect.RequireNum(t, inspect.MustNamed(t, m2, tBlobSvc, "object-store-blob-service").Inputs, "deleteRetentionPolicy", "days"))
	})
}

func TestContainersAndLifecycle(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, s := deploy(t, preview, prodArgs())
		acct := inspect.MustNamed(t, m, tAccount, "object-store-account")
		require.Len(t, m.ByType(tContainer), len(objectstore.Buckets))
		for _, b := range objectstore.Buckets {
			c := inspect.MustNamed(t, m, tContainer, "object-store-"+string(b))
			assert.Equal(t, string(b), inspect.RequireStr(t, c.Inputs, "containerName"))
			assert.Equal(t, "None", inspect.RequireStr(t, c.Inputs, "publicAccess"))
			assert.Contains(t, c.PropertyDependencies["accountName"], acct.URN)
			if !preview {
				assert.Equal(t, string(b), inspect.Await(t, s.Info.BucketNames[b]).Value)
			}
		}

		p := inspect.MustNamed(t, m, tPolicy, "object-store-lifecycle")
		assert.Equal(t, "default", inspect.RequireStr(t, p.Inputs, "managementPolicyName"))
		rules := inspect.RequireAt(t, p.Inputs, "policy", "rules").ArrayValue()
		require.Len(t, rules, 1)
		r := rules[0].ObjectValue()
		assert.Equal(t, "lake-to-cool", inspect.RequireStr(t, r, "name"))
		assert.Equal(t, []string{"lake/"}, inspect.RequireStrs(t, r, "definition", "filters", "prefixMatch"))
		assert.Equal(t, []string{"blockBlob"}, inspect.RequireStrs(t, r, "definition", "filters", "blobTypes"))
		assert.Equal(t, 90.0, inspect.RequireNum(t, r, "definition", "actions", "baseBlob", "tierToCool", "daysAfterModificationGreaterThan"))
		assert.True(t, m.DependsOn(p, inspect.MustNamed(t, m, tContainer, "object-store-lake")))
	})
}

func TestPrivateEndpoints(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, prodArgs())
		acct := inspect.MustNamed(t, m, tAccount, "object-store-account")
		require.Len(t, m.ByType(tPE), 2)
		require.Len(t, m.ByType(tZoneGroup), 2)
		for svc, zone := range map[string]string{"blob": blobZone, "dfs": dfsZone} {
			pe := inspect.MustNamed(t, m, tPE, "object-store-pe-"+svc)
			assert.Equal(t, subnetID, inspect.RequireStr(t, pe.Inputs, "subnet", "id"))
			conns := inspect.RequireAt(t, pe.Inputs, "privateLinkServiceConnections").ArrayValue()
			require.Len(t, conns, 1)
			assert.Equal(t, []string{svc}, inspect.RequireStrs(t, conns[0].ObjectValue(), "groupIds"))
			assert.Contains(t, pe.PropertyDependencies["privateLinkServiceConnections"], acct.URN)
			if !preview {
				assert.Equal(t, acct.ID, inspect.RequireStr(t, conns[0].ObjectValue(), "privateLinkServiceId"))
			}

			zg := inspect.MustNamed(t, m, tZoneGroup, "object-store-pe-"+svc+"-dns")
			configs := inspect.RequireAt(t, zg.Inputs, "privateDnsZoneConfigs").ArrayValue()
			require.Len(t, configs, 1)
			assert.Equal(t, zone, inspect.RequireStr(t, configs[0].ObjectValue(), "privateDnsZoneId"))
			assert.Contains(t, zg.PropertyDependencies["privateEndpointName"], pe.URN)
			if !preview {
				assert.Equal(t, "object-store-"+svc, inspect.RequireStr(t, zg.Inputs, "privateEndpointName"))
			}
		}
	})
}

func TestIdentities(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, s := deploy(t, preview, prodArgs())
		acct := inspect.MustNamed(t, m, tAccount, "object-store-account")
		require.Len(t, m.ByType(tUAI), 3)
		require.Len(t, m.ByType(tFIC), 3)
		require.Len(t, m.ByType(tRA), 5, "dremio 2 + airbyte 2 + dbt 1 containers")

		for _, a := range access() {
			uai := inspect.MustNamed(t, m, tUAI, "object-store-"+a.Workload)
			assert.Equal(t, "object-store-"+a.Workload, inspect.RequireStr(t, uai.Inputs, "resourceName"))

			fic := inspect.MustNamed(t, m, tFIC, "object-store-"+a.Workload+"-federation")
			assert.Equal(t, issuerURL, inspect.RequireStr(t, fic.Inputs, "issuer"))
			assert.Equal(t, "system:serviceaccount:"+a.Namespace+":"+a.ServiceAccount, inspect.RequireStr(t, fic.Inputs, "subject"))
			assert.Equal(t, []string{"api://AzureADTokenExchange"}, inspect.RequireStrs(t, fic.Inputs, "audiences"))
			assert.Contains(t, fic.PropertyDependencies["resourceName"], uai.URN)

			for _, b := range a.Buckets {
				ra := inspect.MustNamed(t, m, tRA, "object-store-"+a.Workload+"-"+string(b))
				assert.Equal(t, roleID, inspect.RequireStr(t, ra.Inputs, "roleDefinitionId"))
				assert.Equal(t, "ServicePrincipal", inspect.RequireStr(t, ra.Inputs, "principalType"))
				container := inspect.MustNamed(t, m, tContainer, "object-store-"+string(b))
				assert.Contains(t, ra.PropertyDependencies["scope"], container.URN, "scoped to its container")
				assert.Contains(t, ra.PropertyDependencies["principalId"], uai.URN)
				if !preview {
					assert.Equal(t, acct.ID+"/blobServices/default/containers/"+string(b), inspect.RequireStr(t, ra.Inputs, "scope"))
					assert.Equal(t, inspect.RequireStr(t, uai.Outputs, "principalId"), inspect.RequireStr(t, ra.Inputs, "principalId"))
					assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, inspect.RequireStr(t, ra.Inputs, "roleAssignmentName"))
				}
			}
			// Nothing beyond its own containers.
			for _, b := range objectstore.Buckets {
				if !contains(a.Buckets, b) {
					assert.Nil(t, m.Named(tRA, "object-store-"+a.Workload+"-"+string(b)), "%s must not get %s", a.Workload, b)
				}
			}

			id, ok := s.Info.Identities[a.Workload]
			require.True(t, ok)
			assert.Equal(t, map[string]string{"azure.workload.identity/use": "true"}, id.PodLabels)
			ann := inspect.Await(t, id.ServiceAccountAnnotations)
			principal := inspect.Await(t, id.Principal)
			if preview {
				assert.False(t, principal.Known)
			} else {
				clientID := inspect.RequireStr(t, uai.Outputs, "clientId")
				assert.Equal(t, clientID, principal.Value)
				assert.Equal(t, map[string]string{"azure.workload.identity/client-id": clientID}, ann.Value)
				assert.Equal(t, "", inspect.Await(t, id.CredentialsSecret).Value)
			}
		}

		// Role assignment names are distinct.
		if !preview {
			seen := map[string]bool{}
			for _, ra := range m.ByType(tRA) {
				n := inspect.RequireStr(t, ra.Inputs, "roleAssignmentName")
				assert.False(t, seen[n], "duplicate role assignment name %s", n)
				seen[n] = true
			}
		}
	})
}

func contains(bs []objectstore.Bucket, b objectstore.Bucket) bool {
	for _, x := range bs {
		if x == b {
			return true
		}
	}
	return false
}

func TestInfo(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		_, s := deploy(t, preview, prodArgs())
		assert.Equal(t, objectstore.ADLS, s.Info.Kind)
		assert.Equal(t, "swedencentral", s.Info.Region)
		assert.False(t, s.Info.PathStyle)
		assert.Len(t, s.Info.BucketNames, len(objectstore.Buckets))
		assert.Len(t, s.Info.Identities, 3)
		assert.Equal(t, "", inspect.Await(t, s.Info.CABundle).Value)
		if !preview {
			assert.Equal(t, "https://dataplatformprodlake.dfs.core.windows.net", inspect.Await(t, s.Info.Endpoint).Value)
			assert.Equal(t, "dataplatformprodlake", inspect.Await(t, s.Info.Account).Value)
			assert.Contains(t, inspect.Await(t, s.AccountID).Value, "/storageAccounts/dataplatformprodlake")
		}
	})
}

func TestNoAccessNeedsNoIssuer(t *testing.T) {
	a := prodArgs()
	a.Access, a.OIDCIssuerURL = nil, nil
	m, s := deploy(t, false, a)
	assert.Empty(t, m.ByType(tUAI))
	assert.Empty(t, m.ByType(tRA))
	assert.Empty(t, s.Info.Identities)
}

func TestDeriveAccountName(t *testing.T) {
	a := DeriveAccountName("dataplatform", "prod", "object-store")
	assert.Equal(t, a, DeriveAccountName("dataplatform", "prod", "object-store"), "deterministic")
	assert.Regexp(t, `^[a-z0-9]{3,24}$`, a)
	assert.Equal(t, "dataplatformprod", a[:16])
	assert.NotEqual(t, a, DeriveAccountName("dataplatform", "staging", "object-store"))
	assert.NotEqual(t, a, DeriveAccountName("dataplatform", "prod", "other-store"))
	long := DeriveAccountName("My-Very.Long_Project", "Production-EU", "x")
	assert.Regexp(t, `^[a-z0-9]{3,24}$`, long)
	assert.Len(t, long, 24)
}

func TestValidation(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *ObjectStoreArgs) *ObjectStoreArgs
		want   string
	}{
		"nil args":        {func(*ObjectStoreArgs) *ObjectStoreArgs { return nil }, "args are nil"},
		"no rg":           {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.ResourceGroupName = nil; return a }, "ResourceGroupName is nil"},
		"no subnet":       {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.EndpointsSubnetID = nil; return a }, "EndpointsSubnetID is nil"},
		"no blob zone":    {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.BlobPrivateDNSZoneID = nil; return a }, "BlobPrivateDNSZoneID is nil"},
		"no dfs zone":     {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.DfsPrivateDNSZoneID = nil; return a }, "DfsPrivateDNSZoneID is nil"},
		"bad location":    {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.Location = "West Europe"; return a }, `Location = "West Europe"`},
		"upper account":   {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.AccountName = "DataLake"; return a }, `AccountName = "DataLake"`},
		"hyphen account":  {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.AccountName = "data-lake"; return a }, `AccountName = "data-lake"`},
		"long account":    {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.AccountName = "abcdefghijklmnopqrstuvwxy"; return a }, "3-24 lower-case"},
		"short account":   {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.AccountName = "ab"; return a }, `AccountName = "ab"`},
		"bad redundancy":  {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.Redundancy = "Standard_ZRS"; return a }, `Redundancy = "Standard_ZRS"`},
		"no soft delete":  {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.SoftDeleteDays = 0; return a }, "SoftDeleteDays = 0; allowed 1-365"},
		"long soft del":   {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.SoftDeleteDays = 400; return a }, "SoftDeleteDays = 400"},
		"long noncurrent": {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.NoncurrentVersionDays = 366; return a }, "NoncurrentVersionDays = 366"},
		"negative tier":   {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.ColdTierAfterDays = -1; return a }, "ColdTierAfterDays = -1"},
		"no issuer":       {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.OIDCIssuerURL = nil; return a }, "OIDCIssuerURL is nil but Access lists 3 workloads"},
		"bad workload":    {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.Access[0].Workload = "Dremio"; return a }, `Access[0].Workload = "Dremio"`},
		"dup workload":    {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.Access[1].Workload = "dremio"; return a }, `Access[1].Workload = "dremio" appears twice`},
		"bad namespace":   {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.Access[2].Namespace = "jobs_ns"; return a }, `Access[2] (dbt): Namespace = "jobs_ns"`},
		"bad sa":          {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.Access[2].ServiceAccount = ""; return a }, `Access[2] (dbt): ServiceAccount = ""`},
		"no buckets":      {func(a *ObjectStoreArgs) *ObjectStoreArgs { a.Access[2].Buckets = nil; return a }, "Access[2] (dbt): Buckets is empty"},
		"unknown bucket": {func(a *ObjectStoreArgs) *ObjectStoreArgs {
			a.Access[2].Buckets = []objectstore.Bucket{"raw"}
			return a
		}, `Access[2] (dbt): bucket "raw" is unknown`},
		"dup bucket": {func(a *ObjectStoreArgs) *ObjectStoreArgs {
			a.Access[2].Buckets = []objectstore.Bucket{objectstore.Lake, objectstore.Lake}
			return a
		}, `bucket "lake" listed twice`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, _, err := run(t, false, c.mutate(prodArgs()))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), `"object-store"`)
			assert.Nil(t, m.Named(ObjectStoreType, "object-store"), "nothing is registered for invalid args")
			assert.Empty(t, m.ByType(tAccount))
		})
	}
}

// TestPolicies runs the project's CrossGuard policies on everything the component creates, protected
// in prod as the stack does.
func TestPolicies(t *testing.T) {
	for stack, args := range map[string]func() *ObjectStoreArgs{"prod": prodArgs, "dev": devArgs} {
		t.Run(stack, func(t *testing.T) {
			inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
				// Changed with the Protect contract: the component protects its own stateful leaves when
				// Args.Protect is set; a Protect option on the component no longer reaches them.
				a := args()
				a.Protect = stack == "prod"
				m, _, err := runStack(t, stack, preview, a)
				require.NoError(t, err)
				var rs []policies.Resource
				for _, r := range m.Resources() {
					rs = append(rs, policies.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Properties: r.Inputs,
						Protect: r.Protect, Parent: r.Parent, Dependencies: r.AllDependencies(), Provider: r.Provider})
				}
				require.NotEmpty(t, rs)
				for _, v := range policies.Evaluate(rs, policies.DefaultConfig(stack)) {
					assert.NotEqual(t, policies.Mandatory, v.Level, v.String())
				}
			})
		})
	}
}

const (
	tLifecycle = tPolicy
	keysInvoke = "azure-native:storage:listStorageAccountKeys"
)

// staticAccess gives Airbyte a static credential and a bucket of its own; Dremio and dbt keep
// workload identity on the lake and Dremio's bucket.
func staticAccess() []objectstore.Access {
	return []objectstore.Access{
		{Workload: "dremio", Namespace: "dataplatform", ServiceAccount: "dremio", Buckets: []objectstore.Bucket{objectstore.Lake, objectstore.Dremio}},
		{Workload: "airbyte", Namespace: "dataplatform", ServiceAccount: "airbyte-admin", Buckets: []objectstore.Bucket{objectstore.Airbyte}, StaticCredential: true},
		{Workload: "dbt", Namespace: "dataplatform-jobs", ServiceAccount: "dbt", Buckets: []objectstore.Bucket{objectstore.Lake}},
	}
}

func staticArgs() *ObjectStoreArgs {
	a := prodArgs()
	a.Access = staticAccess()
	return a
}

// keyedName is the keyed account's name for prodArgs' account "dataplatformprodlake".
var keyedName = KeyedAccountName("dataplatformprodlake")

func hasKeyedName(m *mockcloud.Mocks) []string {
	var out []string
	for _, r := range m.Resources() {
		if strings.Contains(r.Name, "keyed") {
			out = append(out, r.Type+" "+r.Name)
		}
	}
	return out
}

func TestNoStaticCredentialNoKeyedAccount(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, s := deploy(t, preview, prodArgs())
		acct := inspect.One(t, m, tAccount)
		assert.Equal(t, "object-store-account", acct.Name)
		assert.False(t, inspect.RequireBool(t, acct.Inputs, "allowSharedKeyAccess"))
		assert.Empty(t, hasKeyedName(m), "no keyed resources")
		assert.Len(t, m.ByType(tBlobSvc), 1)
		assert.Len(t, m.ByType(tPE), 2)
		assert.Len(t, m.ByType(tLock), 1)
		for _, b := range objectstore.Buckets {
			c := inspect.MustNamed(t, m, tContainer, "object-store-"+string(b))
			assert.Equal(t, []string{acct.URN}, c.PropertyDependencies["accountName"], "%s in the main account", b)
		}
		for _, inv := range m.Invokes() {
			assert.NotEqual(t, keysInvoke, inv.Token, "no account keys are listed")
		}
		for w, id := range s.Info.Identities {
			assert.Nil(t, id.StaticCredential.OutputState, "%s has no static credential", w)
		}
		if !preview {
			assert.Equal(t, "", inspect.Await(t, s.KeyedAccountName).Value)
		}
	})
}

func TestKeyedAccount(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, s := deploy(t, preview, staticArgs())
		comp := inspect.MustNamed(t, m, ObjectStoreType, "object-store")
		require.Len(t, m.ByType(tAccount), 2)

		// The lake account is unchanged: Data Lake Gen2, Entra ID only.
		main := inspect.MustNamed(t, m, tAccount, "object-store-account")
		assert.Equal(t, "dataplatformprodlake", inspect.RequireStr(t, main.Inputs, "accountName"))
		assert.False(t, inspect.RequireBool(t, main.Inputs, "allowSharedKeyAccess"), "no keys to the lake")
		assert.True(t, inspect.RequireBool(t, main.Inputs, "isHnsEnabled"))

		k := inspect.MustNamed(t, m, tAccount, "object-store-keyed-account")
		in := k.Inputs
		assert.Equal(t, comp.URN, k.Parent)
		assert.Equal(t, keyedName, inspect.RequireStr(t, in, "accountName"))
		assert.NotEqual(t, "dataplatformprodlake", inspect.RequireStr(t, in, "accountName"))
		assert.True(t, inspect.RequireBool(t, in, "allowSharedKeyAccess"), "the only account with keys")
		assert.Equal(t, "StorageV2", inspect.RequireStr(t, in, "kind"))
		assert.False(t, inspect.RequireBool(t, in, "isHnsEnabled"), "Blob API only")
		assert.Equal(t, "Standard_GZRS", inspect.RequireStr(t, in, "sku", "name"), "same redundancy as the lake")
		assert.Equal(t, "swedencentral", inspect.RequireStr(t, in, "location"))
		assert.True(t, inspect.RequireBool(t, in, "enableHttpsTrafficOnly"))
		assert.Equal(t, "TLS1_2", inspect.RequireStr(t, in, "minimumTlsVersion"))
		assert.False(t, inspect.RequireBool(t, in, "allowBlobPublicAccess"))
		assert.True(t, inspect.RequireBool(t, in, "defaultToOAuthAuthentication"))
		assert.False(t, inspect.RequireBool(t, in, "allowCrossTenantReplication"))
		assert.False(t, inspect.RequireBool(t, in, "isLocalUserEnabled"))
		assert.False(t, inspect.RequireBool(t, in, "isSftpEnabled"))
		assert.Equal(t, "Disabled", inspect.RequireStr(t, in, "publicNetworkAccess"))
		assert.Equal(t, "Deny", inspect.RequireStr(t, in, "networkRuleSet", "defaultAction"))
		assert.Equal(t, "AzureServices", inspect.RequireStr(t, in, "networkRuleSet", "bypass"))
		assert.True(t, inspect.RequireBool(t, in, "encryption", "requireInfrastructureEncryption"))
		assert.True(t, inspect.RequireBool(t, in, "encryption", "services", "blob", "enabled"))
		assert.Equal(t, map[string]any{"environment": "prod"}, inspect.Plain(inspect.RequireAt(t, in, "tags")))

		svc := inspect.MustNamed(t, m, tBlobSvc, "object-store-keyed-blob-service")
		assert.Contains(t, svc.PropertyDependencies["accountName"], k.URN)
		assert.NotContains(t, svc.PropertyDependencies["accountName"], main.URN)
		assert.True(t, inspect.RequireBool(t, svc.Inputs, "deleteRetentionPolicy", "enabled"))
		assert.Equal(t, 90.0, inspect.RequireNum(t, svc.Inputs, "deleteRetentionPolicy", "days"))
		assert.False(t, inspect.RequireBool(t, svc.Inputs, "deleteRetentionPolicy", "allowPermanentDelete"))
		assert.True(t, inspect.RequireBool(t, svc.Inputs, "containerDeleteRetentionPolicy", "enabled"))
		assert.Equal(t, 30.0, inspect.RequireNum(t, svc.Inputs, "containerDeleteRetentionPolicy", "days"))
		mainSvc := inspect.MustNamed(t, m, tBlobSvc, "object-store-blob-service")
		assert.Contains(t, mainSvc.PropertyDependencies["accountName"], main.URN)

		// One private endpoint, for blob, into the same subnet and zone as the lake's.
		require.Len(t, m.ByType(tPE), 3, "lake blob + dfs, keyed blob")
		require.Len(t, m.ByType(tZoneGroup), 3)
		assert.Nil(t, m.Named(tPE, "object-store-keyed-pe-dfs"))
		pe := inspect.MustNamed(t, m, tPE, "object-store-keyed-pe-blob")
		assert.Equal(t, "object-store-keyed-blob", inspect.RequireStr(t, pe.Inputs, "privateEndpointName"))
		assert.Equal(t, "object-store-keyed-blob-nic", inspect.RequireStr(t, pe.Inputs, "customNetworkInterfaceName"))
		assert.Equal(t, subnetID, inspect.RequireStr(t, pe.Inputs, "subnet", "id"))
		conns := inspect.RequireAt(t, pe.Inputs, "privateLinkServiceConnections").ArrayValue()
		require.Len(t, conns, 1)
		assert.Equal(t, []string{"blob"}, inspect.RequireStrs(t, conns[0].ObjectValue(), "groupIds"))
		assert.Equal(t, []string{k.URN}, pe.PropertyDependencies["privateLinkServiceConnections"])
		zg := inspect.MustNamed(t, m, tZoneGroup, "object-store-keyed-pe-blob-dns")
		configs := inspect.RequireAt(t, zg.Inputs, "privateDnsZoneConfigs").ArrayValue()
		require.Len(t, configs, 1)
		assert.Equal(t, blobZone, inspect.RequireStr(t, configs[0].ObjectValue(), "privateDnsZoneId"))
		assert.Equal(t, "blob", inspect.RequireStr(t, configs[0].ObjectValue(), "name"))
		assert.Contains(t, zg.PropertyDependencies["privateEndpointName"], pe.URN)
		// The lake's endpoints still point at the lake.
		for _, svc := range PrivateEndpointServices {
			assert.Equal(t, []string{main.URN}, inspect.MustNamed(t, m, tPE, "object-store-pe-"+svc).PropertyDependencies["privateLinkServiceConnections"])
		}

		// Deletion lock like the lake's.
		require.Len(t, m.ByType(tLock), 2)
		lock := inspect.MustNamed(t, m, tLock, "object-store-keyed-lock")
		assert.Equal(t, "CanNotDelete", inspect.RequireStr(t, lock.Inputs, "level"))
		assert.Equal(t, []string{k.URN}, lock.PropertyDependencies["scope"])
		assert.Equal(t, []string{main.URN}, inspect.MustNamed(t, m, tLock, "object-store-lock").PropertyDependencies["scope"])

		// The lake stays in the main account, so its tiering rule stays there too.
		assert.Nil(t, m.Named(tLifecycle, "object-store-keyed-lifecycle"))
		inspect.MustNamed(t, m, tLifecycle, "object-store-lifecycle")

		if !preview {
			assert.Equal(t, keyedName, inspect.Await(t, s.KeyedAccountName).Value)
			assert.Equal(t, k.ID, inspect.RequireStr(t, conns[0].ObjectValue(), "privateLinkServiceId"))
			assert.Equal(t, k.ID, inspect.RequireStr(t, lock.Inputs, "scope"))
			assert.Equal(t, keyedName, inspect.RequireStr(t, svc.Inputs, "accountName"))
			// Info still describes the lake account.
			assert.Equal(t, "dataplatformprodlake", inspect.Await(t, s.Info.Account).Value)
			assert.Equal(t, "https://dataplatformprodlake.dfs.core.windows.net", inspect.Await(t, s.Info.Endpoint).Value)
		}
	})
}

func TestKeyedAccountDevHasNoLock(t *testing.T) {
	a := devArgs()
	a.Access = staticAccess()
	m, _ := deploy(t, false, a)
	k := inspect.MustNamed(t, m, tAccount, "object-store-keyed-account")
	assert.Equal(t, "Standard_ZRS", inspect.RequireStr(t, k.Inputs, "sku", "name"))
	assert.Equal(t, KeyedAccountName(DeriveAccountName("dataplatform", "prod", "object-store")), inspect.RequireStr(t, k.Inputs, "accountName"))
	assert.Empty(t, m.ByType(tLock))
	assert.Equal(t, 30.0, inspect.RequireNum(t, inspect.MustNamed(t, m, tBlobSvc, "object-store-keyed-blob-service").Inputs, "deleteRetentionPolicy", "days"))
}

func TestStaticContainersInKeyedAccount(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, s := deploy(t, preview, staticArgs())
		main := inspect.MustNamed(t, m, tAccount, "object-store-account")
		k := inspect.MustNamed(t, m, tAccount, "object-store-keyed-account")
		require.Len(t, m.ByType(tContainer), len(objectstore.Buckets), "one container per bucket, in one account each")
		for _, b := range objectstore.Buckets {
			c := inspect.MustNamed(t, m, tContainer, "object-store-"+string(b))
			assert.Equal(t, string(b), inspect.RequireStr(t, c.Inputs, "containerName"))
			assert.Equal(t, "None", inspect.RequireStr(t, c.Inputs, "publicAccess"))
			want, other, wantName := main, k, "dataplatformprodlake"
			if b == objectstore.Airbyte {
				want, other, wantName = k, main, keyedName
			}
			assert.Contains(t, c.PropertyDependencies["accountName"], want.URN, "%s", b)
			assert.NotContains(t, c.PropertyDependencies["accountName"], other.URN, "%s", b)
			if !preview {
				assert.Equal(t, wantName, inspect.RequireStr(t, c.Inputs, "accountName"), "%s", b)
				assert.Equal(t, want.ID+"/blobServices/default/containers/"+string(b), inspect.Await(t, s.ContainerIDs[b]).Value)
				assert.Equal(t, string(b), inspect.Await(t, s.Info.BucketNames[b]).Value)
			}
		}
	})
}

func TestStaticIdentity(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, s := deploy(t, preview, staticArgs())
		// Airbyte gets nothing of workload identity; Dremio and dbt keep theirs.
		require.Len(t, m.ByType(tUAI), 2)
		require.Len(t, m.ByType(tFIC), 2)
		require.Len(t, m.ByType(tRA), 3, "dremio 2 + dbt 1 containers")
		assert.Nil(t, m.Named(tUAI, "object-store-airbyte"))
		assert.Nil(t, m.Named(tFIC, "object-store-airbyte-federation"))
		for _, b := range objectstore.Buckets {
			assert.Nil(t, m.Named(tRA, "object-store-airbyte-"+string(b)))
		}
		for _, r := range m.ByType(tRA) {
			assert.NotContains(t, r.PropertyDependencies["scope"], inspect.MustNamed(t, m, tAccount, "object-store-keyed-account").URN,
				"no role assignment on the keyed account (%s)", r.Name)
		}
		for _, w := range []string{"dremio", "dbt"} {
			inspect.MustNamed(t, m, tUAI, "object-store-"+w)
			inspect.MustNamed(t, m, tFIC, "object-store-"+w+"-federation")
			id := s.Info.Identities[w]
			assert.Equal(t, map[string]string{"azure.workload.identity/use": "true"}, id.PodLabels)
			assert.Nil(t, id.StaticCredential.OutputState, "%s has no static credential", w)
		}
		inspect.MustNamed(t, m, tRA, "object-store-dremio-lake")
		inspect.MustNamed(t, m, tRA, "object-store-dremio-dremio")
		inspect.MustNamed(t, m, tRA, "object-store-dbt-lake")

		id, ok := s.Info.Identities["airbyte"]
		require.True(t, ok)
		assert.Empty(t, id.PodLabels)
		require.NotNil(t, id.StaticCredential.OutputState)
		cred := inspect.Await(t, id.StaticCredential)
		assert.True(t, cred.Secret, "the connection string is a secret")
		var keyCalls []mockcloud.Invoke
		for _, inv := range m.Invokes() {
			if inv.Token == keysInvoke {
				keyCalls = append(keyCalls, inv)
			}
		}
		// The engine would report the key unknown in a preview; the harness knows the new account's
		// name there and answers listStorageAccountKeys, so both modes check the same credential.
		require.Len(t, keyCalls, 1)
		assert.Equal(t, keyedName, inspect.Str(keyCalls[0].Args, "accountName"))
		assert.Equal(t, "rg-dataplatform-prod", inspect.Str(keyCalls[0].Args, "resourceGroupName"))
		key := mockcloud.MockStorageAccountKey(keyedName, 1)
		assert.Len(t, key, 88)
		assert.Equal(t, "DefaultEndpointsProtocol=https;AccountName="+keyedName+";AccountKey="+key+";EndpointSuffix=core.windows.net", cred.Value)
		assert.NotContains(t, cred.Value, mockcloud.MockStorageAccountKey(keyedName, 2), "key1, not key2")
		assert.NotContains(t, cred.Value, "dataplatformprodlake", "no key to the lake")
		assert.Equal(t, map[string]string{}, inspect.Await(t, id.ServiceAccountAnnotations).Value)
		assert.Equal(t, "", inspect.Await(t, id.Principal).Value)
		assert.Equal(t, "", inspect.Await(t, id.CredentialsSecret).Value)
	})
}

func TestStaticOnlyNeedsNoIssuer(t *testing.T) {
	a := prodArgs()
	a.OIDCIssuerURL = nil
	a.Access = []objectstore.Access{staticAccess()[1]}
	m, s := deploy(t, false, a)
	assert.Empty(t, m.ByType(tUAI))
	assert.Empty(t, m.ByType(tRA))
	for _, inv := range m.Invokes() {
		assert.NotEqual(t, "azure-native:authorization:getClientConfig", inv.Token, "no role to look up")
	}
	assert.Contains(t, inspect.Await(t, s.Info.Identities["airbyte"].StaticCredential).Value, "AccountName="+keyedName+";")
}

// When only a static-credential workload uses the lake, the lake's container and its tiering rule
// move to the keyed account.
func TestKeyedLifecycle(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := prodArgs()
		a.Access = []objectstore.Access{
			{Workload: "dremio", Namespace: "dataplatform", ServiceAccount: "dremio", Buckets: []objectstore.Bucket{objectstore.Dremio}},
			{Workload: "airbyte", Namespace: "dataplatform", ServiceAccount: "airbyte-admin", Buckets: []objectstore.Bucket{objectstore.Airbyte, objectstore.Lake}, StaticCredential: true},
		}
		m, _ := deploy(t, preview, a)
		k := inspect.MustNamed(t, m, tAccount, "object-store-keyed-account")
		assert.Nil(t, m.Named(tLifecycle, "object-store-lifecycle"), "no rule applies to the main account's containers")
		p := inspect.MustNamed(t, m, tLifecycle, "object-store-keyed-lifecycle")
		assert.Contains(t, p.PropertyDependencies["accountName"], k.URN)
		rules := inspect.RequireAt(t, p.Inputs, "policy", "rules").ArrayValue()
		require.Len(t, rules, 1)
		assert.Equal(t, "lake-to-cool", inspect.RequireStr(t, rules[0].ObjectValue(), "name"))
		assert.Equal(t, []string{"lake/"}, inspect.RequireStrs(t, rules[0].ObjectValue(), "definition", "filters", "prefixMatch"))
		assert.True(t, m.DependsOn(p, inspect.MustNamed(t, m, tContainer, "object-store-lake")))
		assert.Contains(t, inspect.MustNamed(t, m, tContainer, "object-store-lake").PropertyDependencies["accountName"], k.URN)
	})
}

func TestStaticValidation(t *testing.T) {
	cases := map[string]struct {
		access func() []objectstore.Access
		want   []string
	}{
		"static shares the lake": {func() []objectstore.Access {
			a := access()
			a[1].StaticCredential = true // airbyte: airbyte + lake; dremio and dbt use the lake
			return a
		}, []string{`bucket "lake"`, `"airbyte" with StaticCredential`, `"dremio" with workload identity`}},
		"identity workload joins a static bucket": {func() []objectstore.Access {
			a := staticAccess()
			a[2].Buckets = append(a[2].Buckets, objectstore.Airbyte)
			return a
		}, []string{`bucket "airbyte"`, `"airbyte" with StaticCredential`, `"dbt" with workload identity`}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			a := prodArgs()
			a.Access = c.access()
			m, _, err := run(t, false, a)
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Contains(t, err.Error(), `"object-store"`)
			assert.Nil(t, m.Named(ObjectStoreType, "object-store"), "nothing is registered for invalid args")
			assert.Empty(t, m.ByType(tAccount))
		})
	}

	// Two static-credential workloads may share a bucket: both are in the keyed account.
	a := prodArgs()
	a.Access = append(staticAccess(), objectstore.Access{Workload: "airbyte-jobs", Namespace: "dataplatform-jobs",
		ServiceAccount: "airbyte-jobs", Buckets: []objectstore.Bucket{objectstore.Airbyte}, StaticCredential: true})
	m, s := deploy(t, false, a)
	assert.Len(t, m.ByType(tAccount), 2)
	assert.Equal(t, inspect.Await(t, s.Info.Identities["airbyte"].StaticCredential).Value,
		inspect.Await(t, s.Info.Identities["airbyte-jobs"].StaticCredential).Value)
}

func TestKeyedAccountName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9]{3,24}$`)
	for _, main := range []string{"abc", "dataplatformprodlake", "abcdefghijklmnopqrstuvwx", DeriveAccountName("My-Very.Long_Project", "Production-EU", "x")} {
		k := KeyedAccountName(main)
		assert.Regexp(t, valid, k, "from %q", main)
		assert.LessOrEqual(t, len(k), 24)
		assert.NotEqual(t, main, k)
		assert.Equal(t, k, KeyedAccountName(main), "deterministic")
		stem := main[:min(len(main), 15)]
		assert.Equal(t, stem+"k", k[:len(stem)+1], "the main name's first 15 characters, then k")
		assert.Regexp(t, `^[0-9a-f]{8}$`, k[len(stem)+1:])
	}
	assert.Len(t, KeyedAccountName("abc"), 12, "shortest main name")
	assert.Len(t, KeyedAccountName("abcdefghijklmnopqrstuvwx"), 24, "longest main name")
	// Main names alike in their first 15 characters still get different keyed accounts.
	assert.NotEqual(t, KeyedAccountName("dataplatformprod1111aaaa"), KeyedAccountName("dataplatformprod2222bbbb"))
	// Pinned: changing the rule would rename (replace) every keyed account.
	assert.Equal(t, "dataplatformprok12a468ff", keyedName)
}

func TestPoliciesWithKeyedAccount(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := staticArgs()
		a.Protect = true // the Args field, not a component option (Protect contract)
		m, _, err := runStack(t, "prod", preview, a)
		require.NoError(t, err)
		require.NotNil(t, m.Named(tAccount, "object-store-keyed-account"))
		var rs []policies.Resource
		for _, r := range m.Resources() {
			rs = append(rs, policies.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Properties: r.Inputs,
				Protect: r.Protect, Parent: r.Parent, Dependencies: r.AllDependencies(), Provider: r.Provider})
		}
		for _, v := range policies.Evaluate(rs, policies.DefaultConfig("prod")) {
			assert.NotEqual(t, policies.Mandatory, v.Level, v.String())
		}
	})
}
