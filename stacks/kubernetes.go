package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/existing"
	"github.com/opendataplatform/dataplatform/config"
)

// kubernetesFoundation connects to an existing cluster; there is no cloud network to build.
func kubernetesFoundation(ctx *pulumi.Context, cfg *config.Platform) (*Foundation, error) {
	c, err := existing.NewCluster(ctx, "cluster", &existing.ClusterArgs{
		Kubeconfig:     cfg.Cluster.Kubeconfig,
		Context:        cfg.Cluster.Context,
		StorageClasses: storageClasses(cfg),
	})
	if err != nil {
		return nil, err
	}
	return &Foundation{Cluster: c.Info}, nil
}
