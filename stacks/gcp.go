package stacks

import (
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/gke"
	"github.com/opendataplatform/dataplatform/components/network/gcpvpc"
	"github.com/opendataplatform/dataplatform/config"
)

// gcpFoundation builds the VPC and the GKE cluster with an explicit provider for the stack's project
// and region; every resource that takes labels carries the stack's.
func gcpFoundation(ctx *pulumi.Context, cfg *config.Platform) (*Foundation, error) {
	provider, err := gcp.NewProvider(ctx, "gcp", &gcp.ProviderArgs{
		Project:       pulumi.String(cfg.GCPProject),
		Region:        pulumi.String(cfg.Region),
		DefaultLabels: pulumi.ToStringMap(tags(cfg)),
	})
	if err != nil {
		return nil, err
	}
	prod := cfg.Environment == config.Prod

	net, err := gcpvpc.NewNetwork(ctx, "network", &gcpvpc.NetworkArgs{
		Project:     cfg.GCPProject,
		Region:      cfg.Region,
		CIDR:        cfg.Network.CIDR,
		PodCIDR:     cfg.Network.PodCIDR,
		ServiceCIDR: cfg.Network.ServiceCIDR,
		MasterCIDR:  cfg.Network.ControlPlaneCIDR,
		FlowLogs:    true,
	}, pulumi.Provider(provider), protectInProd(cfg))
	if err != nil {
		return nil, err
	}

	c, err := gke.NewCluster(ctx, "cluster", &gke.ClusterArgs{
		Project:            cfg.GCPProject,
		Region:             cfg.Region,
		Regional:           prod, // a regional control plane and nodes in every zone: the prod SLA
		KubernetesVersion:  cfg.Cluster.KubernetesVersion,
		ReleaseChannel:     cfg.Cluster.ReleaseChannel,
		NetworkSelfLink:    net.NetworkSelfLink,
		SubnetSelfLink:     net.SubnetSelfLink,
		PodRangeName:       net.PodRangeName,
		ServiceRangeName:   net.ServiceRangeName,
		MasterCIDR:         cfg.Network.ControlPlaneCIDR,
		PrivateEndpoint:    cfg.Cluster.EndpointAccess == config.PrivateEndpoint,
		AuthorizedCIDRs:    authorizedCIDRs(cfg),
		SystemPool:         nodePool(cfg.Cluster.SystemPool),
		WorkloadPool:       nodePool(cfg.Cluster.WorkloadPool),
		DeletionProtection: prod,
		StorageClasses:     storageClasses(cfg),
		RetainVolumes:      prod,
	}, pulumi.Provider(provider), protectInProd(cfg))
	if err != nil {
		return nil, err
	}
	info := net.Info
	return &Foundation{Network: &info, Cluster: c.Info}, nil
}
