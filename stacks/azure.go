package stacks

import (
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/aks"
	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
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
	return &Foundation{Network: &info, Cluster: c.Info}, nil
}
