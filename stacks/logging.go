package stacks

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/clusteraddons/eck"
	"github.com/opendataplatform/dataplatform/components/clusteraddons/kubeprometheus"
	"github.com/opendataplatform/dataplatform/components/edge/envoygateway"
	"github.com/opendataplatform/dataplatform/components/elasticsearch"
	"github.com/opendataplatform/dataplatform/components/logging"
	"github.com/opendataplatform/dataplatform/components/metadatadb/cnpg"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/config"
)

// loggingSetup is what the Elasticsearch cluster needs from central logging before it exists: the
// shipper's namespace and its users (file realm). nil when logging is off.
type loggingSetup struct {
	namespace pulumi.StringOutput
	realm     *logging.Realm
}

// clientRealms are the users the cluster loads for logging.
func (l *loggingSetup) clientRealms() []elasticsearch.FileRealm {
	if l == nil {
		return nil
	}
	return []elasticsearch.FileRealm{l.realm.FileRealm}
}

// prepareLogging creates the shipper's namespace — Pod Security "privileged", because Fluent Bit
// reads the nodes' /var/log through a hostPath volume, which "baseline" forbids; the data namespace
// stays "baseline" — and its Elasticsearch users, when logging is on (config: kubernetes with
// Elasticsearch only).
func prepareLogging(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, ns Namespaces) (*loggingSetup, error) {
	if !cfg.Logging.On() {
		return nil, nil
	}
	k8s := pulumi.Provider(f.Cluster.Provider)
	n, err := k8snet.NewAddonNamespace(ctx, "logging-namespace", logging.Namespace, "privileged", k8snet.PartOfLabels(nil), k8s)
	if err != nil {
		return nil, fmt.Errorf("logging: %w", err)
	}
	namespace := n.Metadata.Name().Elem()
	realm, err := logging.NewRealm(ctx, "logging-users", &logging.RealmArgs{
		Namespace: namespace, DataNamespace: ns.Data, Secrets: f.secrets, Labels: partOf(),
		Protect: cfg.Environment == config.Prod,
	}, k8s)
	if err != nil {
		return nil, fmt.Errorf("logging: %w", err)
	}
	return &loggingSetup{namespace: namespace, realm: realm}, nil
}

// loggedNamespaces are the namespaces whose containers' logs are shipped: the platform's three, the
// add-ons' it installs on the kubernetes target, and the shipper's own.
func loggedNamespaces(cfg *config.Platform, f *Foundation) []string {
	n := cfg.Network.Namespaces
	// The kubernetes target (the only one with logging) always runs the metadata database's CNPG
	// operator in its default namespace (stacks/kubernetes.go sets no OperatorNamespace).
	out := []string{n.Apps, n.Data, n.Jobs, eck.Namespace, logging.Namespace, cnpg.DefaultOperatorNamespace}
	if cfg.Edge.On() {
		out = append(out, envoygateway.Namespace, envoygateway.CertManagerNamespace)
	}
	if f.edgeNamespace != "" {
		out = append(out, f.edgeNamespace)
	}
	if cfg.Observability.On() {
		out = append(out, kubeprometheus.Namespace)
	}
	if f.secrets != nil {
		out = append(out, secrets.OperatorNamespace)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// deployLogging starts the shipper and the retention Job once the cluster exists.
func deployLogging(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, ns Namespaces, l *loggingSetup, search *elasticsearch.Search) error {
	if l == nil {
		return nil
	}
	lg, err := logging.New(ctx, "logging", &logging.Args{
		Namespace: l.namespace, NamespaceName: logging.Namespace,
		DataNamespace: ns.Data, DataNamespaceName: ns.Names.Data,
		Realm:  l.realm,
		Search: search, ClusterUID: search.ClusterUID,
		RetentionDays:  cfg.Logging.RetentionDays,
		LogNamespaces:  loggedNamespaces(cfg, f),
		APIServerCIDRs: cfg.Network.APIServerCIDRs,
		Scheduling:     f.Cluster.Scheduling,
		Labels:         partOf(),
	}, pulumi.Provider(f.Cluster.Provider))
	if err != nil {
		return fmt.Errorf("logging: %w", err)
	}
	ctx.Export("logging", pulumi.Map{
		"dataStream":    lg.DataStream,
		"retentionDays": pulumi.Int(cfg.Logging.RetentionDays),
		"namespace":     pulumi.String(logging.Namespace),
		"kibana":        pulumi.String("Discover → data view " + logging.DataStreamPattern + " (timestamp @timestamp)"),
	})
	return nil
}

// loggingStoreNamespaces are the namespaces central logging adds to the in-cluster secret store's
// (the ClusterSecretStore's conditions admit only the namespaces named): the shipper's, where its
// writer credential is materialized.
func loggingStoreNamespaces(cfg *config.Platform) []string {
	if !cfg.Logging.On() {
		return nil
	}
	return []string{logging.Namespace}
}

// loggingTargets are the shipper's scrape targets when logging is on.
func loggingTargets(cfg *config.Platform) []observability.ScrapeTarget {
	if !cfg.Logging.On() {
		return nil
	}
	return []observability.ScrapeTarget{logging.MetricsTarget(logging.Namespace)}
}

// loggingRules are the shipper's alert rules when logging is on.
func loggingRules(cfg *config.Platform) []observability.AlertRule {
	if !cfg.Logging.On() {
		return nil
	}
	return logging.AlertRules()
}
