package stacks

import (
	"fmt"
	"strings"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/aks"
	"github.com/opendataplatform/dataplatform/components/metadatadb/flexibleserver"
	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
	"github.com/opendataplatform/dataplatform/components/objectstore/adls"
	"github.com/opendataplatform/dataplatform/components/registry/acr"
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

	net, err := azurevnet.NewNetwork(ctx, "network", &azurevnet.NetworkArgs{
		Location:          cfg.Region,
		ResourceGroupName: "rg-" + physicalName(cfg),
		CIDR:              cfg.Network.CIDR,
		PodCIDR:           cfg.Network.PodCIDR,
		Tags:              labels,
	}, pulumi.Provider(provider), protectInProd(cfg))
	if err != nil {
		return nil, err
	}

	var zones []string
	if prod {
		zones = []string{"1", "2", "3"}[:cfg.Network.AvailabilityZones]
	}
	c, err := aks.NewCluster(ctx, "cluster", &aks.ClusterArgs{
		ResourceGroupName:  net.ResourceGroupName,
		Location:           cfg.Region,
		KubernetesVersion:  cfg.Cluster.KubernetesVersion,
		SubnetID:           net.AksSubnetID,
		PrivateCluster:     cfg.Cluster.EndpointAccess == config.PrivateEndpoint,
		AuthorizedIPRanges: cfg.Cluster.PublicAccessCIDRs,
		Zones:              zones,
		SystemPool:         nodePool(cfg.Cluster.SystemPool),
		WorkloadPool:       nodePool(cfg.Cluster.WorkloadPool),
		ServiceCIDR:        cfg.Network.ServiceCIDR,
		PodCIDR:            cfg.Network.PodCIDR,
		StorageClasses:     storageClasses(cfg),
		RetainVolumes:      prod,
		LogRetentionDays:   cfg.Network.FlowLogRetentionDays,
		ProductionTier:     prod,
		Tags:               labels,
	}, pulumi.Provider(provider), protectInProd(cfg))
	if err != nil {
		return nil, err
	}
	info := net.Info
	f := &Foundation{Network: &info, Cluster: c.Info}
	f.data = func(ctx *pulumi.Context, ns Namespaces) (*DataServices, error) {
		return azureData(ctx, cfg, provider, net, c, ns)
	}
	return f, nil
}

// azureData builds ADLS Gen2 (private endpoints), Flexible Server (delegated subnet) and ACR.
func azureData(ctx *pulumi.Context, cfg *config.Platform, provider *azurenative.Provider, net *azurevnet.Network, c *aks.Cluster, ns Namespaces) (*DataServices, error) {
	prod := cfg.Environment == config.Prod
	labels := tags(cfg)
	opts := []pulumi.ResourceOption{pulumi.Provider(provider), protectInProd(cfg)}
	redundancy, softDelete := "ZRS", 7
	if prod {
		redundancy, softDelete = "GZRS", 30
	}
	store, err := adls.NewObjectStore(ctx, "object-store", &adls.ObjectStoreArgs{
		ResourceGroupName: net.ResourceGroupName, Location: cfg.Region, Redundancy: redundancy,
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
		ServerName: physicalName(cfg) + "-pg", Version: cfg.MetadataDB.Version,
		SkuName: cfg.MetadataDB.InstanceClass, StorageGiB: cfg.MetadataDB.StorageGiB,
		StorageAutoGrow: cfg.MetadataDB.MaxStorageGiB > 0, HighAvailability: cfg.MetadataDB.HighAvailability,
		BackupRetentionDays: cfg.MetadataDB.BackupRetentionDays, GeoRedundantBackup: prod,
		DelegatedSubnetID: net.PostgresSubnetID, PrivateDNSZoneID: net.PostgresPrivateDNSZoneID,
		ServerCIDRs: []string{cfg.Network.CIDR}, KubernetesProvider: c.Provider, Namespace: ns.Apps, DataNamespace: ns.Data,
		LogAnalyticsWorkspaceID: c.LogAnalyticsWorkspaceID, DeletionLock: cfg.MetadataDB.DeletionProtection, Tags: labels,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("metadata database: %w", err)
	}
	registryName := acrName(physicalName(cfg))
	registry, err := acr.NewRegistry(ctx, "dbt-registry", &acr.RegistryArgs{
		ResourceGroupName: net.ResourceGroupName, Location: cfg.Region, RegistryName: registryName,
		RepositoryName: "dbt", KubeletObjectID: c.KubeletIdentityObjectID, Prod: prod, Tags: labels,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("dbt registry: %w", err)
	}
	repository := registryName + ".azurecr.io/dbt"
	return &DataServices{
		Store: store.Info, DB: db.Connection, DBReady: []pulumi.Resource{db.BootstrapJob},
		DatabaseCIDRs: []string{cfg.Network.CIDR},
		DbtImage:      dbtImage(cfg, repository), RegistryURL: registry.RepositoryURL,
	}, nil
}

// acrName makes a registry name: 5–50 lower-case alphanumerics, globally unique in Azure.
func acrName(base string) string {
	out := []rune{}
	for _, r := range strings.ToLower(base) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			out = append(out, r)
		}
	}
	name := string(out) + "dbt"
	if len(name) > 50 {
		name = name[:50]
	}
	return name
}
