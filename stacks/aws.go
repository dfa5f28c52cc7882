package stacks

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/eks"
	"github.com/opendataplatform/dataplatform/components/network/awsvpc"
	"github.com/opendataplatform/dataplatform/config"
)

// awsFoundation builds the VPC and the EKS cluster with an explicit provider for the stack's region,
// so the region comes from one key and every resource carries the stack's default tags.
func awsFoundation(ctx *pulumi.Context, cfg *config.Platform) (*Foundation, error) {
	provider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{
		Region:      pulumi.String(cfg.Region),
		DefaultTags: &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(tags(cfg))},
	})
	if err != nil {
		return nil, err
	}
	clusterName := physicalName(cfg)

	net, err := awsvpc.NewNetwork(ctx, "network", &awsvpc.NetworkArgs{
		CIDR:                 cfg.Network.CIDR,
		AvailabilityZones:    cfg.Network.AvailabilityZones,
		NATGateways:          cfg.Network.NATGateways,
		FlowLogRetentionDays: cfg.Network.FlowLogRetentionDays,
		ClusterName:          clusterName,
	}, pulumi.Provider(provider), protectInProd(cfg))
	if err != nil {
		return nil, err
	}

	c, err := eks.NewCluster(ctx, "cluster", &eks.ClusterArgs{
		ClusterName:         clusterName,
		KubernetesVersion:   cfg.Cluster.KubernetesVersion,
		VpcID:               net.VpcID,
		SubnetIDs:           net.PrivateSubnetIDs,
		PrivateEndpointOnly: cfg.Cluster.EndpointAccess == config.PrivateEndpoint,
		PublicAccessCIDRs:   cfg.Cluster.PublicAccessCIDRs,
		PrivateAccessCIDRs:  []string{cfg.Network.CIDR},
		ServiceCIDR:         cfg.Network.ServiceCIDR,
		SystemPool:          nodePool(cfg.Cluster.SystemPool),
		WorkloadPool:        nodePool(cfg.Cluster.WorkloadPool),
		StorageClasses:      storageClasses(cfg),
		RetainVolumes:       cfg.Environment == config.Prod,
		LogRetentionDays:    cfg.Network.FlowLogRetentionDays,
		Region:              cfg.Region,
		NodeGroupDependsOn:  net.EgressResources,
	}, pulumi.Provider(provider), protectInProd(cfg))
	if err != nil {
		return nil, err
	}
	info := net.Info
	return &Foundation{Network: &info, Cluster: c.Info}, nil
}
