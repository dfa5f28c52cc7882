package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/clusteraddons/externalsecrets"
	"github.com/opendataplatform/dataplatform/components/clusteraddons/kubeprometheus"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/components/secrets/k8sstore"
	"github.com/opendataplatform/dataplatform/config"
)

// anyAddress is the API server's range on the clouds: a managed control plane's endpoint (AKS's
// public API server, GKE's and EKS's endpoints) is not known when the plan is made, so the operator's
// pods may reach 443/6443 anywhere, and nothing else beyond what their store names.
const anyAddress = "0.0.0.0/0"

// deploySecrets installs the External Secrets Operator and the target's store: the cloud's, built by
// f.secretStore, or the in-cluster store (package k8sstore) that needs no cloud.
func deploySecrets(ctx *pulumi.Context, cfg *config.Platform, f *Foundation) (*secrets.Store, error) {
	apiServer := []string{anyAddress}
	if cfg.Cloud == config.Kubernetes {
		apiServer = cfg.Network.APIServerCIDRs
	}
	var installed *externalsecrets.Operator
	install := func(s secrets.OperatorSettings) (pulumi.Resource, error) {
		if installed != nil {
			return nil, fmt.Errorf("the External Secrets Operator is installed once per cluster")
		}
		op, err := externalsecrets.New(ctx, "external-secrets", &externalsecrets.Args{
			HighAvailability: cfg.Environment == config.Prod,
			Scheduling:       f.Cluster.Scheduling,
			APIServerCIDRs:   apiServer,
			Settings:         s,
			Labels:           partOf(),
		}, pulumi.Provider(f.Cluster.Provider))
		if err != nil {
			return nil, err
		}
		installed = op
		return op.Chart, nil
	}
	if f.secretStore != nil {
		store, err := f.secretStore(ctx, install)
		if err != nil {
			return nil, err
		}
		if installed == nil {
			return nil, fmt.Errorf("the %s secret store did not install the External Secrets Operator", cfg.Cloud)
		}
		return store, nil
	}
	op, err := install(secrets.OperatorSettings{})
	if err != nil {
		return nil, err
	}
	st, err := k8sstore.NewStore(ctx, "secret-store", &k8sstore.StoreArgs{
		Namespaces: storeNamespaces(cfg),
		Operator:   op,
		Provider:   f.Cluster.Provider,
		Protect:    cfg.Environment == config.Prod,
		Labels:     partOf(),
	}, pulumi.Provider(f.Cluster.Provider))
	if err != nil {
		return nil, err
	}
	return st.Store, nil
}

// storeNamespaces are the namespaces whose ExternalSecrets the target's ClusterSecretStore admits
// (its spec.conditions; ESO refuses every other): the platform's three, and the add-on namespaces
// that read credentials from the store when they run — the monitoring stack's (Grafana's admin, the
// alert receiver) and central logging's (the shipper's writer credential) on the kubernetes target.
func storeNamespaces(cfg *config.Platform) []string {
	n := cfg.Network.Namespaces
	out := []string{n.Apps, n.Data, n.Jobs}
	// kube-prometheus-stack runs on kubernetes and azure (observability_azure.go).
	if cfg.Observability.On() && (cfg.Cloud == config.Kubernetes || cfg.Cloud == config.Azure) {
		out = append(out, kubeprometheus.Namespace)
	}
	out = append(out, awsGrafanaStoreNamespaces(cfg)...)
	return append(out, loggingStoreNamespaces(cfg)...)
}
