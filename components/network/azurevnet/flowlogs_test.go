package azurevnet

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	tAccount    = "azure-native:storage:StorageAccount"
	tIdentity   = "azure-native:managedidentity:UserAssignedIdentity"
	tAssignment = "azure-native:authorization:RoleAssignment"
)

func flowLogArgs() *NetworkArgs {
	a := testArgs()
	rg, watcher := DefaultNetworkWatcher(a.Location)
	a.FlowLogs = &FlowLogs{Name: "dataplatform-prod-vnet", StorageAccountName: "dataplatformprodfl1a2b3c", RetentionDays: 90,
		NetworkWatcherResourceGroup: rg, NetworkWatcherName: watcher, SoftDeleteDays: 30, ZoneRedundant: true}
	return a
}

// Issue 9 class 10: the VNet has flow logs, written keylessly. The account takes no shared key (the
// no-static-cloud-keys policy holds without an exception); Network Watcher writes with a user-assigned
// identity that holds Storage Blob Data Contributor on that account only, granted before the flow log
// is created; the flow log lives under the region's existing Network Watcher.
func TestVNetFlowLogsAreKeyless(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, flowLogArgs())
		account := inspect.MustNamed(t, m, tAccount, "net-flow-logs")
		assert.Equal(t, "dataplatformprodfl1a2b3c", inspect.RequireStr(t, account.Inputs, "accountName"))
		assert.False(t, inspect.RequireBool(t, account.Inputs, "allowSharedKeyAccess"))
		assert.False(t, inspect.RequireBool(t, account.Inputs, "allowBlobPublicAccess"))
		assert.Equal(t, "Deny", inspect.RequireStr(t, account.Inputs, "networkRuleSet", "defaultAction"))
		assert.Equal(t, "AzureServices", inspect.RequireStr(t, account.Inputs, "networkRuleSet", "bypass"))
		assert.False(t, inspect.HasKey(account.Inputs, "networkRuleSet", "ipRules"), "no network may reach the log account")
		assert.Equal(t, "Standard_ZRS", inspect.RequireStr(t, account.Inputs, "sku", "name"))
		assert.Equal(t, "TLS1_2", inspect.RequireStr(t, account.Inputs, "minimumTlsVersion"))

		blobs := inspect.MustNamed(t, m, "azure-native:storage:BlobServiceProperties", "net-flow-logs-blob-service")
		assert.True(t, inspect.DependsOnInput(blobs, "accountName", account))
		assert.True(t, inspect.RequireBool(t, blobs.Inputs, "deleteRetentionPolicy", "enabled"))
		assert.Equal(t, 30.0, inspect.RequireNum(t, blobs.Inputs, "deleteRetentionPolicy", "days"))
		assert.False(t, inspect.RequireBool(t, blobs.Inputs, "deleteRetentionPolicy", "allowPermanentDelete"))
		assert.Equal(t, 30.0, inspect.RequireNum(t, blobs.Inputs, "containerDeleteRetentionPolicy", "days"))

		identity := inspect.MustNamed(t, m, tIdentity, "net-flow-logs-identity")
		writer := inspect.MustNamed(t, m, tAssignment, "net-flow-logs-writer")
		assert.True(t, inspect.DependsOnInput(writer, "scope", account), "the grant is scoped to the log account")
		assert.True(t, inspect.DependsOnInput(writer, "principalId", identity))
		if !preview {
			assert.Equal(t, account.ID, inspect.RequireStr(t, writer.Inputs, "scope"))
			assert.Regexp(t, `^/subscriptions/[0-9a-f-]{36}/providers/Microsoft.Authorization/roleDefinitions/`+StorageBlobDataContributorRole+`$`,
				inspect.RequireStr(t, writer.Inputs, "roleDefinitionId"))
			assert.Regexp(t, `^[0-9a-f]{8}-`, inspect.RequireStr(t, writer.Inputs, "roleAssignmentName"), "a deterministic GUID, the same whoever deploys")
		}

		fl := inspect.MustNamed(t, m, FlowLogType, "net-flow-log")
		assert.Equal(t, "NetworkWatcherRG", inspect.RequireStr(t, fl.Inputs, "resourceGroupName"))
		assert.Equal(t, "NetworkWatcher_swedencentral", inspect.RequireStr(t, fl.Inputs, "networkWatcherName"))
		assert.Equal(t, "dataplatform-prod-vnet", inspect.RequireStr(t, fl.Inputs, "flowLogName"), "the stack's name: the watcher's resource group is shared by every stack")
		// The subscription already has the region's watcher: it is used, not declared.
		assert.Empty(t, m.ByType("azure-native:network:NetworkWatcher"))
		assert.True(t, inspect.DependsOnInput(fl, "targetResourceId", inspect.MustNamed(t, m, tVNet, "net-vnet")), "a VNet flow log, not an NSG one")
		assert.True(t, inspect.DependsOnInput(fl, "storageId", account))
		assert.Equal(t, "UserAssigned", inspect.RequireStr(t, fl.Inputs, "identity", "type"))
		assert.True(t, inspect.DependsOnInput(fl, "identity", identity))
		assert.True(t, m.DependsOn(fl, writer), "the identity may write before Network Watcher starts writing")
		assert.True(t, inspect.RequireBool(t, fl.Inputs, "enabled"))
		assert.Equal(t, 2.0, inspect.RequireNum(t, fl.Inputs, "format", "version"))
		assert.Equal(t, 90.0, inspect.RequireNum(t, fl.Inputs, "retentionPolicy", "days"))
		assert.True(t, inspect.RequireBool(t, fl.Inputs, "retentionPolicy", "enabled"))

	})
}

func TestFlowLogAccountIsProtectedInProd(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := flowLogArgs()
		a.Protect = true
		m, _ := deploy(t, preview, a)
		assert.Equal(t, []string{tVNet, tRG, tAccount}, inspect.ProtectedTypes(m))
		for _, r := range []*mockcloud.Resource{inspect.MustNamed(t, m, FlowLogType, "net-flow-log"),
			inspect.MustNamed(t, m, tIdentity, "net-flow-logs-identity"), inspect.MustNamed(t, m, tAssignment, "net-flow-logs-writer")} {
			assert.False(t, r.Protect, "%s is disposable", r.Name)
		}
	})
}

func TestFlowLogValidation(t *testing.T) {
	for what, mutate := range map[string]func(*FlowLogs){
		"account name":   func(f *FlowLogs) { f.StorageAccountName = "Flow-Logs" },
		"retention low":  func(f *FlowLogs) { f.RetentionDays = 0 },
		"retention high": func(f *FlowLogs) { f.RetentionDays = 400 },
		"watcher":        func(f *FlowLogs) { f.NetworkWatcherName = "" },
		"name":           func(f *FlowLogs) { f.Name = "" },
		"soft delete":    func(f *FlowLogs) { f.SoftDeleteDays = 0 },
	} {
		a := flowLogArgs()
		mutate(a.FlowLogs)
		_, err := a.validate("net")
		require.Error(t, err, what)
		assert.Contains(t, err.Error(), "FlowLogs", what)
	}
}

// Operators and CI on peered or VPN networks push the dbt image through the registry's private
// endpoint: the endpoints subnet admits HTTPS from cluster.privateAccessCidrs, ahead of the VNet deny
// (the VirtualNetwork tag covers peered and VPN ranges), and nothing else from them.
func TestEndpointsSubnetAdmitsPrivateAccessNetworks(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := testArgs()
		a.PrivateAccessCIDRs = []string{"10.8.0.0/16", "192.168.10.0/24"}
		m, net := deploy(t, preview, a)
		ep := rulesOf(t, inspect.MustNamed(t, m, tNSG, "net-nsg-endpoints"))
		var deny float64
		for _, r := range ep {
			if r.access == "Deny" && r.src == "VirtualNetwork" {
				deny = r.priority
			}
		}
		require.NotZero(t, deny)
		for i, cidr := range a.PrivateAccessCIDRs {
			var found *nsgRule
			for j, r := range ep {
				if r.src == cidr {
					found = &ep[j]
				}
			}
			require.NotNil(t, found, cidr)
			assert.Equal(t, nsgRule{name: found.name, access: "Allow", protocol: "Tcp", src: cidr, dst: net.Subnets.Endpoints, port: "443", priority: float64(110 + i)}, *found)
			assert.Less(t, found.priority, deny)
		}
		// The database subnet stays closed to them.
		for _, r := range rulesOf(t, inspect.MustNamed(t, m, tNSG, "net-nsg-postgres")) {
			assert.NotContains(t, a.PrivateAccessCIDRs, r.src)
		}
	})
	_, err := (&NetworkArgs{Location: "swedencentral", ResourceGroupName: "rg", CIDR: "10.40.0.0/16", PrivateAccessCIDRs: []string{"10.8.0.1/16"}}).validate("net")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"10.8.0.1/16"`)
}

// A fresh subscription may have no Network Watcher in the region yet (Azure creates it
// asynchronously with the first VNet, or never when auto-enablement is off): the component creates
// it, and its resource group when that is missing too, before the VNet, and keeps both on destroy.
func TestMissingNetworkWatcherIsCreatedBeforeTheVNet(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		for _, missing := range [][]string{{"NetworkWatcher_swedencentral"}, {"NetworkWatcherRG", "NetworkWatcher_swedencentral"}} {
			m := mockcloud.New("dataplatform", "prod", preview).Without(missing...)
			require.NoError(t, m.Run(func(ctx *pulumi.Context) error {
				p, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String("swedencentral")})
				if err != nil {
					return err
				}
				_, err = NewNetwork(ctx, "net", flowLogArgs(), pulumi.Provider(p))
				return err
			}, nil))
			watcher := inspect.MustNamed(t, m, "azure-native:network:NetworkWatcher", "net-network-watcher")
			assert.Equal(t, "NetworkWatcher_swedencentral", inspect.RequireStr(t, watcher.Inputs, "networkWatcherName"))
			assert.Equal(t, "net@dataplatform-prod", inspect.RequireStr(t, watcher.Inputs, "tags", WatcherOwnerTag))
			assert.True(t, watcher.RetainOnDelete, "every VNet of the region relies on it: never deleted with the stack")
			assert.False(t, watcher.Protect)
			assert.True(t, m.DependsOn(inspect.MustNamed(t, m, tVNet, "net-vnet"), watcher), "created before the VNet, so Azure's own creation never races it")
			assert.True(t, m.DependsOn(inspect.MustNamed(t, m, FlowLogType, "net-flow-log"), watcher))
			rgs := 0
			for _, rg := range m.ByType(tRG) {
				if rg.Name == "net-network-watcher-rg" {
					rgs++
					assert.True(t, rg.RetainOnDelete)
					assert.True(t, m.DependsOn(watcher, rg))
				}
			}
			assert.Equal(t, len(missing)-1, rgs, "the resource group is created only when it is missing")
		}
	})
}
