package stacks

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/clusteraddons/kubeprometheus"
	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/edge/envoygateway"
	"github.com/opendataplatform/dataplatform/components/metadatadb/cnpg"
	"github.com/opendataplatform/dataplatform/components/objectstore/minio"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/platform"
	"github.com/opendataplatform/dataplatform/config"
)

// Names the kubernetes target gives the data services (kubernetesData), which the scrape targets
// select by.
const (
	objectStoreName = "object-store"
	metadataDBName  = "metadata-db"
)

// observabilitySpec is the platform's model on the kubernetes target: the data services' and
// Dremio's exporters (and cert-manager's with the edge), the dashboards and the alert rules.
func observabilitySpec(cfg *config.Platform) observability.Spec {
	n := cfg.Network.Namespaces
	targets := []observability.ScrapeTarget{
		cnpg.MetricsTarget(metadataDBName, n.Data),
		minio.MetricsTarget(objectStoreName, n.Data),
	}
	targets = append(targets, dremio.MetricsTargets(n.Apps)...)
	targets = append(targets, loggingTargets(cfg)...)
	airbyteTarget, airbyteRules, airbyteDashboard := airbyteObservability(cfg, "")
	targets = append(targets, airbyteTarget)
	reflectionTarget, reflectionRules := reflectionObservability(cfg, "")
	targets = append(targets, reflectionTarget)
	if cfg.Edge.On() {
		targets = append(targets, platform.CertManagerTarget(envoygateway.CertManagerNamespace))
	}
	o := cfg.Observability
	r := o.Receiver
	return observability.Spec{
		Targets:    targets,
		Rules:      append(append(platform.Rules(platform.RulesArgs{AvailabilityPercent: cfg.Profile.AvailabilityPercent, RPO: cfg.Profile.RPO, JobsNamespace: n.Jobs, CertManager: cfg.Edge.On()}), loggingRules(cfg)...), append(airbyteRules, reflectionRules...)...),
		Dashboards: append(platform.Dashboards(), airbyteDashboard, platform.VolumesDashboard()),
		Retention:  observability.Retention{Metrics: time.Duration(o.MetricsRetentionDays) * 24 * time.Hour},
		Receiver: observability.Receiver{
			Kind: observability.ReceiverKind(r.Kind), To: r.To, From: r.From, Smarthost: r.Smarthost, Username: r.Username,
			Password: observability.SecretRef{Name: r.PasswordSecret.Name, Key: r.PasswordSecret.Key},
			URL:      observability.SecretRef{Name: r.URLSecret.Name, Key: r.URLSecret.Key},
		},
	}
}

// deployObservability installs the monitoring stack where it is rendered (kubernetes) once the data
// services and the engine exist, and hands Grafana's route to the edge. Elsewhere it does nothing
// (config refuses observability.enabled there).
func deployObservability(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, after []pulumi.Resource) (*kubeprometheus.KubePrometheusStack, error) {
	if !cfg.Observability.On() || (cfg.Cloud != config.Kubernetes && cfg.Cloud != config.Azure) {
		return nil, nil
	}
	spec := observabilitySpec(cfg)
	if cfg.Cloud == config.Azure {
		// stacks/observability_azure.go: the in-cluster half on AKS.
		spec = azureObservabilitySpec(cfg)
	}
	args := &kubeprometheus.Args{
		Spec:                 spec,
		HighAvailability:     cfg.Environment == config.Prod,
		StorageClass:         f.Cluster.StorageClasses.Standard,
		PrometheusStorageGiB: cfg.Observability.PrometheusStorageGiB,
		Secrets:              f.secrets,
		After:                after,
		Scheduling:           f.Cluster.Scheduling,
		Labels:               partOf(),
		Protect:              cfg.Environment == config.Prod,
		RunbookBase:          cfg.Observability.DocsBaseURL,
		APIServerCIDRs:       monitoringAPIServerCIDRs(cfg), WebhookPort: webhookPort(cfg),
		AzureMonitor: f.azureMonitor, // azure: stacks/observability_azure_grafana.go
	}
	if c := cfg.Observability.Receiver.Credential; c != "" {
		// observability.receiver.credential: a Pulumi secret; it stays one.
		args.ReceiverCredential = pulumi.ToSecret(pulumi.String(c)).(pulumi.StringOutput)
	}
	if f.edge != nil {
		args.Domain, args.EdgeNamespace, args.EdgeCIDRs = cfg.Domain, f.edgeNamespace, f.edgeCIDRs
	}
	mon, err := kubeprometheus.New(ctx, "monitoring", args, pulumi.Provider(f.Cluster.Provider))
	if err != nil {
		return nil, fmt.Errorf("observability: %w", err)
	}
	f.extraRoutes = append(f.extraRoutes, mon.Routes...)
	f.edgeAfter = append(f.edgeAfter, mon.NamespaceResource)
	return mon, nil
}

// exportObservability says where the dashboards are (cloud: the target's own rendering's export), or
// that the target has none yet.
func exportObservability(ctx *pulumi.Context, cfg *config.Platform, mon *kubeprometheus.KubePrometheusStack, cloud pulumi.Map) {
	if cloud != nil && mon == nil {
		ctx.Export("observability", cloud)
		return
	}
	if mon == nil {
		reason := "observability.enabled is false"
		if cfg.Cloud == config.GCP && !cfg.Observability.On() {
			// config/observability_gcp.go: opt-in there.
			reason = "observability.enabled is false (opt-in on gcp: enable it once the stack has run, Dremio scraped; Cloud Monitoring refuses a PromQL alert policy over a metric it has never received)"
		} else if cfg.Cloud != config.Kubernetes {
			reason = "not rendered on " + string(cfg.Cloud) + " yet: metrics, dashboards and alerts exist on the kubernetes target only"
		}
		ctx.Export("observability", pulumi.Map{"enabled": pulumi.Bool(false), "reason": pulumi.String(reason)})
		return
	}
	out := pulumi.Map{
		"enabled":            pulumi.Bool(true),
		"namespace":          pulumi.String(kubeprometheus.Namespace),
		"grafanaAdminSecret": mon.GrafanaAdminSecret,
		"prometheus":         pulumi.String("http://prometheus-operated." + kubeprometheus.Namespace + ".svc:9090"),
	}
	for _, r := range mon.Routes {
		if r.Protocol == edge.HTTP {
			out["grafanaUrl"] = pulumi.String("https://" + r.FQDN(cfg.Domain))
		}
	}
	if _, ok := out["grafanaUrl"]; !ok {
		out["grafanaUrl"] = pulumi.String(fmt.Sprintf("http://%s.%s.svc:%d (no edge: kubectl port-forward)", kubeprometheus.GrafanaService, kubeprometheus.Namespace, kubeprometheus.GrafanaPort))
	}
	// azure: the Azure Monitor half's outputs beside the in-cluster stack's.
	for k, v := range cloud {
		out[k] = v
	}
	ctx.Export("observability", out)
}
