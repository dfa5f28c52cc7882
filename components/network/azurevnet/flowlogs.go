package azurevnet

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v2"
	networkv20240501 "github.com/pulumi/pulumi-azure-native-sdk/network/v2/v20240501"
	"github.com/pulumi/pulumi-azure-native-sdk/storage/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/internal/azurerbac"
)

// StorageBlobDataContributorRole is the built-in role the flow log's identity writes blobs with.
const StorageBlobDataContributorRole = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"

// FlowLogType is the flow log's type token. The SDK's default API (2023-02-01) has no identity on a
// flow log; 2024-05-01, the newest the SDK serves (pulumi-azure-native-sdk network v2.90.0
// v20240501/flowLog.go, Identity; the REST API has it since 2024-01-01), lets Network Watcher write
// with a managed identity, so the logs go to an account without shared keys.
const FlowLogType = "azure-native:network/v20240501:FlowLog"

// FlowLogs configures the VNet flow logs (layer-4 flows of every NIC in the VNet; NSG flow logs are
// retired on 30 September 2027 and cannot be created since June 2025).
type FlowLogs struct {
	// Name is the flow log's name. It lives in the Network Watcher's resource group, which every stack
	// of the subscription and region shares, so it must be unique there (the stack's name, e.g.
	// "dataplatform-prod-vnet"): 1-80 letters, digits, '_', '-' and '.'.
	Name string
	// StorageAccountName is the account the logs are written to: 3-24 lower-case letters and digits,
	// unique across Azure, in the network's region. It takes Entra ID only (no shared keys): Network
	// Watcher writes with the flow log's user-assigned identity.
	StorageAccountName string
	// RetentionDays keeps flow records this many days (1-365); Network Watcher deletes older blobs.
	RetentionDays int
	// NetworkWatcherResourceGroup and NetworkWatcherName name the region's Network Watcher, which owns
	// the flow log (one per region and subscription; Azure's own is "NetworkWatcher_<region>" in
	// "NetworkWatcherRG"). An existing watcher is used; a missing one is created (see
	// ensureNetworkWatcher).
	NetworkWatcherResourceGroup string
	NetworkWatcherName          string
	// SoftDeleteDays keeps deleted log blobs and containers recoverable this long (1-365): nobody,
	// Network Watcher's retention included, erases the trail at once.
	SoftDeleteDays int
	// ZoneRedundant stores the logs zone-redundantly (ZRS) instead of locally (LRS).
	ZoneRedundant bool
}

var (
	storageAccountNameRE = regexp.MustCompile(`^[a-z0-9]{3,24}$`)
	flowLogNameRE        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,78}[A-Za-z0-9_]?$`)
)

func (f *FlowLogs) validate() error {
	if f == nil {
		return nil
	}
	if !flowLogNameRE.MatchString(f.Name) {
		return fmt.Errorf("FlowLogs.Name = %q: use 1-80 letters, digits, '_', '-' and '.', unique in the Network Watcher's resource group (e.g. the stack's name)", f.Name)
	}
	if !storageAccountNameRE.MatchString(f.StorageAccountName) {
		return fmt.Errorf("FlowLogs.StorageAccountName = %q: use 3-24 lower-case letters and digits", f.StorageAccountName)
	}
	if f.RetentionDays < 1 || f.RetentionDays > 365 {
		return fmt.Errorf("FlowLogs.RetentionDays = %d: allowed 1-365", f.RetentionDays)
	}
	if f.SoftDeleteDays < 1 || f.SoftDeleteDays > 365 {
		return fmt.Errorf("FlowLogs.SoftDeleteDays = %d: allowed 1-365", f.SoftDeleteDays)
	}
	if !resourceGroupRE.MatchString(f.NetworkWatcherResourceGroup) || f.NetworkWatcherName == "" {
		return fmt.Errorf("FlowLogs: NetworkWatcherResourceGroup = %q, NetworkWatcherName = %q: name the region's Network Watcher (Azure's default: NetworkWatcherRG, NetworkWatcher_<region>)",
			f.NetworkWatcherResourceGroup, f.NetworkWatcherName)
	}
	return nil
}

// DefaultNetworkWatcher is the Network Watcher Azure creates for a region on its own.
func DefaultNetworkWatcher(location string) (resourceGroup, name string) {
	return "NetworkWatcherRG", "NetworkWatcher_" + location
}

// newFlowLogs creates the log account, the identity Network Watcher writes with, its role on the
// account, and the VNet flow log.
func newFlowLogs(ctx *pulumi.Context, name string, args *NetworkArgs, rg pulumi.StringInput, vnetID pulumi.StringInput,
	watcher []pulumi.Resource, parent pulumi.ResourceOption, stateful, disposable pulumi.ResourceOption) error {
	base := baseName(name)
	f := args.FlowLogs
	location := pulumi.String(args.Location)
	tags := pulumi.ToStringMap(args.Tags)
	sku := "Standard_LRS"
	if f.ZoneRedundant {
		sku = "Standard_ZRS"
	}
	// The flow records are the network's audit trail: the account is stateful (protected in prod).
	account, err := storage.NewStorageAccount(ctx, name+"-flow-logs", &storage.StorageAccountArgs{
		AccountName:            pulumi.String(f.StorageAccountName),
		ResourceGroupName:      rg,
		Location:               location,
		Kind:                   pulumi.String("StorageV2"),
		Sku:                    &storage.SkuArgs{Name: pulumi.String(sku)},
		AccessTier:             storage.AccessTierHot,
		EnableHttpsTrafficOnly: pulumi.Bool(true),
		MinimumTlsVersion:      pulumi.String("TLS1_2"),
		AllowBlobPublicAccess:  pulumi.Bool(false),
		// Entra ID only: Network Watcher writes with the flow log's managed identity, so no key exists.
		AllowSharedKeyAccess:         pulumi.Bool(false),
		DefaultToOAuthAuthentication: pulumi.Bool(true),
		AllowCrossTenantReplication:  pulumi.Bool(false),
		IsLocalUserEnabled:           pulumi.Bool(false),
		IsSftpEnabled:                pulumi.Bool(false),
		// The firewall admits no network (deny by default, no rules); Network Watcher writes through
		// the trusted Microsoft services bypass, which a firewalled flow-log account must allow
		// (Network Watcher FAQ: "Enabled from selected virtual networks and IP addresses", then
		// "Allow Azure services on the trusted services list"). "Disabled" would shut it out too.
		PublicNetworkAccess: pulumi.String("Enabled"),
		NetworkRuleSet: &storage.NetworkRuleSetArgs{
			DefaultAction: storage.DefaultActionDeny,
			Bypass:        pulumi.String(string(storage.BypassAzureServices)),
		},
		Encryption: &storage.EncryptionArgs{
			KeySource:                       pulumi.String("Microsoft.Storage"),
			RequireInfrastructureEncryption: pulumi.Bool(true),
			Services: &storage.EncryptionServicesArgs{
				Blob: &storage.EncryptionServiceArgs{Enabled: pulumi.Bool(true), KeyType: pulumi.String("Account")},
			},
		},
		Tags: tags,
	}, parent, stateful)
	if err != nil {
		return err
	}
	// storage v2.90.0 blobServiceProperties.go: soft delete for blobs and containers, with no early purge.
	if _, err := storage.NewBlobServiceProperties(ctx, name+"-flow-logs-blob-service", &storage.BlobServicePropertiesArgs{
		AccountName:       account.Name,
		ResourceGroupName: rg,
		BlobServicesName:  pulumi.String("default"),
		DeleteRetentionPolicy: &storage.DeleteRetentionPolicyArgs{
			Enabled: pulumi.Bool(true), Days: pulumi.Int(f.SoftDeleteDays), AllowPermanentDelete: pulumi.Bool(false),
		},
		ContainerDeleteRetentionPolicy: &storage.DeleteRetentionPolicyArgs{Enabled: pulumi.Bool(true), Days: pulumi.Int(f.SoftDeleteDays)},
	}, parent, disposable); err != nil {
		return err
	}
	identity, err := managedidentity.NewUserAssignedIdentity(ctx, name+"-flow-logs-identity", &managedidentity.UserAssignedIdentityArgs{
		ResourceName:      pulumi.String(base + "-flow-logs"),
		ResourceGroupName: rg,
		Location:          location,
		Tags:              tags,
	}, parent, disposable)
	if err != nil {
		return err
	}
	role := azurerbac.RoleDefinitionID(account.ID().ToStringOutput(), StorageBlobDataContributorRole)
	writer, err := authorization.NewRoleAssignment(ctx, name+"-flow-logs-writer", &authorization.RoleAssignmentArgs{
		RoleAssignmentName: azurerbac.AssignmentName(account.ID().ToStringOutput(), identity.PrincipalId, role),
		PrincipalId:        identity.PrincipalId,
		// ServicePrincipal skips the directory lookup that fails while a new identity replicates. The
		// grant can take minutes to propagate; until then Network Watcher's writes fail and are retried
		// (the first records may be late, the flow log itself is created either way).
		PrincipalType:    pulumi.String("ServicePrincipal"),
		RoleDefinitionId: role,
		Scope:            account.ID(),
	}, parent, disposable)
	if err != nil {
		return err
	}
	_, err = networkv20240501.NewFlowLog(ctx, name+"-flow-log", &networkv20240501.FlowLogArgs{
		FlowLogName:        pulumi.String(f.Name),
		NetworkWatcherName: pulumi.String(f.NetworkWatcherName),
		ResourceGroupName:  pulumi.String(f.NetworkWatcherResourceGroup),
		Location:           location,
		TargetResourceId:   vnetID,
		StorageId:          account.ID(),
		Enabled:            pulumi.Bool(true),
		Format:             &networkv20240501.FlowLogFormatParametersArgs{Type: pulumi.String("JSON"), Version: pulumi.Int(2)},
		RetentionPolicy:    &networkv20240501.RetentionPolicyParametersArgs{Days: pulumi.Int(f.RetentionDays), Enabled: pulumi.Bool(true)},
		Identity: &networkv20240501.ManagedServiceIdentityArgs{
			Type:                   networkv20240501.ResourceIdentityTypeUserAssigned,
			UserAssignedIdentities: pulumi.StringArray{identity.ID().ToStringOutput()},
		},
		Tags: tags,
	}, parent, disposable, pulumi.DependsOn(append([]pulumi.Resource{writer}, watcher...)))
	return err
}
