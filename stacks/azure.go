package stacks

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/aks"
	"github.com/opendataplatform/dataplatform/components/metadatadb/flexibleserver"
	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
	"github.com/opendataplatform/dataplatform/components/objectstore/adls"
	"github.com/opendataplatform/dataplatform/components/registry/acr"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/config"
)

// azureFoundation builds the resource group, VNet and AKS cluster with an explicit provider for the
// stack's location.
func azureFoundation(ctx *pulumi.Context, cfg *config.Platform) (*Foundation, error) {
	provider, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{
		Location: pulumi.String(cfg.Region),
	})
	if err != nil {
		return nil, err
	}
	prod := cfg.Environment == config.Prod
	labels := tags(cfg)
	// The subscription scopes the globally unique names (storage accounts, PostgreSQL server,
	// registry, Key Vault): two subscriptions deploying the same stack get different names.
	client, err := authorization.GetClientConfig(ctx, pulumi.Provider(provider))
	if err != nil {
		return nil, fmt.Errorf("azure getClientConfig: %w", err)
	}
	names := namesFor(cfg, client.SubscriptionId)

	watcherRG, watcher := azurevnet.DefaultNetworkWatcher(cfg.Region)
	if w := cfg.Network.NetworkWatcher; w != "" {
		watcherRG, watcher, _ = strings.Cut(w, "/")
	}
	edgeOpt := azureEdgePlan(cfg)
	net, err := azurevnet.NewNetwork(ctx, "network", &azurevnet.NetworkArgs{
		Location:           cfg.Region,
		ResourceGroupName:  "rg-" + names.Base,
		CIDR:               cfg.Network.CIDR,
		PodCIDR:            cfg.Network.PodCIDR,
		PrivateAccessCIDRs: cfg.Cluster.PrivateAccessCIDRs,
		AGCSubnet:          edgeOpt.agc,
		EdgeIngress:        edgeOpt.ingress,
		FlowLogs: &azurevnet.FlowLogs{
			Name: names.Base + "-vnet", StorageAccountName: flowLogAccountName(names), RetentionDays: cfg.Network.FlowLogRetentionDays,
			NetworkWatcherResourceGroup: watcherRG, NetworkWatcherName: watcher, ZoneRedundant: prod,
			SoftDeleteDays: azureSoftDeleteDays(prod),
		},
		Protect: prod,
		Tags:    labels,
	}, pulumi.Provider(provider))
	if err != nil {
		return nil, err
	}

	var zones []string
	if prod {
		zones = []string{"1", "2", "3"}[:cfg.Network.AvailabilityZones]
	}
	c, err := aks.NewCluster(ctx, "cluster", &aks.ClusterArgs{
		ResourceGroupName:  net.ResourceGroupName,
		ResourceGroupID:    net.ResourceGroupID,
		Location:           cfg.Region,
		KubernetesVersion:  cfg.Cluster.KubernetesVersion,
		SubnetID:           net.AksSubnetID,
		PrivateCluster:     cfg.Cluster.EndpointAccess == config.PrivateEndpoint,
		AuthorizedIPRanges: cfg.Cluster.PublicAccessCIDRs,
		EgressIP:           net.NatPublicIP,
		Admins:             cfg.Cluster.Admins,
		KeyVaultName:       keyVaultName(names),
		// Purge protection is irreversible and keeps a deleted vault's name taken for 90 days: prod only.
		KeyVaultPurgeProtection: prod,
		Zones:                   zones,
		SystemPool:              nodePool(cfg.Cluster.SystemPool),
		WorkloadPool:            nodePool(cfg.Cluster.WorkloadPool),
		WorkloadPoolName:        cfg.Cluster.WorkloadPoolName,
		KubeloginMode:           cfg.Cluster.KubeloginMode,
		ServiceCIDR:             cfg.Network.ServiceCIDR,
		PodCIDR:                 cfg.Network.PodCIDR,
		StorageClasses:          storageClasses(cfg),
		RetainVolumes:           prod,
		LogRetentionDays:        cfg.Network.FlowLogRetentionDays,
		ContainerInsights:       cfg.Observability.On(), // the containers' logs (observability_azure.go)
		ProductionTier:          prod,
		Protect:                 prod,
		Tags:                    labels,
	}, pulumi.Provider(provider), clusterAfterAGCSubnet(net))
	if err != nil {
		return nil, err
	}
	info := net.Info
	f := &Foundation{Network: &info, Cluster: c.Info}
	f.secretStore = azureSecretStore(cfg, provider, names, net, c)
	if cfg.Edge.On() {
		if err := azureEdgeSetup(ctx, cfg, names, provider, client, net, c, edgeOpt, f); err != nil {
			return nil, fmt.Errorf("edge: %w", err)
		}
	}
	f.data = func(ctx *pulumi.Context, ns Namespaces) (*DataServices, error) {
		return azureData(ctx, cfg, names, provider, net, c, ns, f.secrets)
	}
	f.observability = azureObservability(cfg, provider, names, net, c)
	if err := azureGrafana(ctx, cfg, provider, client.SubscriptionId, names, net, c, f); err != nil {
		return nil, err
	}
	return f, nil
}

// azureData builds ADLS Gen2 (private endpoints), Flexible Server (delegated subnet) and ACR.
func azureData(ctx *pulumi.Context, cfg *config.Platform, names Names, provider *azurenative.Provider, net *azurevnet.Network, c *aks.Cluster, ns Namespaces, credStore *secrets.Store) (*DataServices, error) {
	prod := cfg.Environment == config.Prod
	labels := tags(cfg)
	// No Protect option on the components: each protects its own stateful leaves (Protect: prod).
	opts := []pulumi.ResourceOption{pulumi.Provider(provider)}
	redundancy, softDelete := "ZRS", azureSoftDeleteDays(prod)
	if prod {
		redundancy = "GZRS"
	}
	store, err := adls.NewObjectStore(ctx, "object-store", &adls.ObjectStoreArgs{
		ResourceGroupName: net.ResourceGroupName, Location: cfg.Region, Redundancy: redundancy,
		AccountName: storageAccountName(names), LogAnalyticsWorkspaceID: c.LogAnalyticsWorkspaceID, Protect: prod,
		Versioning: cfg.ObjectStore.Versioning, SoftDeleteDays: softDelete,
		NoncurrentVersionDays: cfg.ObjectStore.NoncurrentVersionDays, ColdTierAfterDays: cfg.ObjectStore.ColdTierAfterDays,
		EndpointsSubnetID: net.EndpointsSubnetID, BlobPrivateDNSZoneID: net.BlobPrivateDNSZoneID,
		DfsPrivateDNSZoneID: net.DfsPrivateDNSZoneID, OIDCIssuerURL: c.OIDCIssuerURL,
		Access: storeAccess(cfg, ""), DeletionLock: prod, Tags: labels,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	// The account whose key Airbyte holds (empty when the user manages Airbyte's credential).
	ctx.Export("airbyteStorageAccount", store.KeyedAccountName)
	db, err := flexibleserver.NewMetadataDB(ctx, "metadata-db", &flexibleserver.MetadataDBArgs{
		ResourceGroupName: net.ResourceGroupName, Location: cfg.Region,
		ServerName: postgresServerName(names), Version: cfg.MetadataDB.Version, Protect: prod,
		SkuName: cfg.MetadataDB.InstanceClass, StorageGiB: cfg.MetadataDB.StorageGiB,
		StorageAutoGrow: cfg.MetadataDB.MaxStorageGiB > 0, HighAvailability: cfg.MetadataDB.HighAvailability,
		BackupRetentionDays: cfg.MetadataDB.BackupRetentionDays, GeoRedundantBackup: prod,
		DelegatedSubnetID: net.PostgresSubnetID, PrivateDNSZoneID: net.PostgresPrivateDNSZoneID,
		ServerCIDRs: []string{cfg.Network.CIDR}, KubernetesProvider: c.Provider, Secrets: credStore, Namespace: ns.Apps, DataNamespace: ns.Data,
		Scheduling: c.Info.Scheduling, LogAnalyticsWorkspaceID: c.LogAnalyticsWorkspaceID, DeletionLock: cfg.MetadataDB.DeletionProtection, Tags: labels,
		// The enhanced metrics Grafana's Azure Monitor dashboard reads (observability_azure_grafana.go).
		DatabaseActivityMetrics: cfg.Observability.On(),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("metadata database: %w", err)
	}
	registryName := acrName(names)
	registry, err := acr.NewRegistry(ctx, "dbt-registry", &acr.RegistryArgs{
		ResourceGroupName: net.ResourceGroupName, Location: cfg.Region, RegistryName: registryName,
		RepositoryName: "dbt", KubeletObjectID: c.KubeletIdentityObjectID, Prod: prod, Tags: labels,
		// Private: the nodes pull through the registry's private endpoint (see docs/runbook-azure.md
		// for pushing the dbt image).
		EndpointsSubnetID: net.EndpointsSubnetID, PrivateDNSZoneID: net.RegistryPrivateDNSZoneID, Protect: prod,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("dbt registry: %w", err)
	}
	repository := registryName + ".azurecr.io/dbt"
	return &DataServices{
		Store: store.Info, DB: db.Connection, DBReady: []pulumi.Resource{db.BootstrapJob}, ManagedDBID: db.ServerID,
		DatabaseCIDRs: []string{cfg.Network.CIDR},
		DbtImage:      dbtImage(cfg, repository), RegistryURL: registry.RepositoryURL,
	}, nil
}

// Globally unique Azure names. Each keeps the whole suffix (it is what makes the name unique) and
// shortens the "<project>-<stack>" stem to fit the resource's length and character rules.

// alnum keeps lower-case letters and digits.
func alnum(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// dnsLabel keeps lower-case letters, digits and single hyphens, without leading or trailing hyphens.
func dnsLabel(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// storageAccountName: 3-24 lower-case letters and digits (Microsoft.Storage naming rules).
func storageAccountName(n Names) string {
	return cut(alnum(n.Base), 24-len(n.Suffix)) + n.Suffix
}

// azureSoftDeleteDays is how long deleted blobs and containers stay recoverable: 30 days in prod, 7
// elsewhere (both above every environment's backup-retention floor).
func azureSoftDeleteDays(prod bool) int {
	if prod {
		return 30
	}
	return 7
}

// flowLogAccountName: the VNet flow-log account, with "fl" before the suffix to set it apart from the lake.
func flowLogAccountName(n Names) string {
	return cut(alnum(n.Base), 24-len("fl")-len(n.Suffix)) + "fl" + n.Suffix
}

// postgresServerName: 3-63 lower-case letters, digits and hyphens, neither first nor last a hyphen.
func postgresServerName(n Names) string {
	return strings.Trim(cut(dnsLabel(n.Base), 63-len("-pg-")-len(n.Suffix)), "-") + "-pg-" + n.Suffix
}

// acrName: 5-50 letters and digits (lower case, as the login server is).
func acrName(n Names) string {
	return cut(alnum(n.Base), 50-len("dbt")-len(n.Suffix)) + "dbt" + n.Suffix
}

// keyVaultName: 3-24 letters, digits and single hyphens, starting with a letter, ending with a letter
// or digit.
func keyVaultName(n Names) string {
	stem := strings.Trim(cut(dnsLabel("kv-"+n.Base), 24-1-len(n.Suffix)), "-")
	return stem + "-" + n.Suffix
}
