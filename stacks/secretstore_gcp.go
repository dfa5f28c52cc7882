package stacks

import (
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/gke"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/components/secrets/gcpsm"
	"github.com/opendataplatform/dataplatform/config"
)

// gcpSecretStore is the stack's Secret Manager store: secrets "<Names.Base>-<key>" replicated in the
// stack's region with the store's own key, each readable by the operator's ServiceAccount through
// Workload Identity Federation.
func gcpSecretStore(cfg *config.Platform, provider *gcp.Provider, names Names, c *gke.Cluster) func(*pulumi.Context, OperatorInstaller) (*secrets.Store, error) {
	return func(ctx *pulumi.Context, install OperatorInstaller) (*secrets.Store, error) {
		s, err := gcpsm.NewStore(ctx, "secret-store", &gcpsm.StoreArgs{
			Project: cfg.GCPProject, Region: cfg.Region, SecretPrefix: gcpName(names.Base, "", 190),
			WorkloadPool: c.WorkloadPool, Namespaces: storeNamespaces(cfg),
			KubernetesProvider: c.Provider, Protect: cfg.Environment == config.Prod, Labels: tags(cfg),
		}, install, pulumi.Provider(provider))
		if err != nil {
			return nil, err
		}
		return s.Store, nil
	}
}
