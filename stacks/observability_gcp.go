package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/gke"
	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/edge/envoygateway"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/gmp"
	"github.com/opendataplatform/dataplatform/components/observability/platform"
	"github.com/opendataplatform/dataplatform/config"
)

// gcpMonitoringArgs are the platform's model on GCP: Dremio's exporters scraped by Managed Service for
// Prometheus (Cloud SQL and Cloud Storage are not scraped: their metrics are Cloud Monitoring's own),
// the platform's rules mapped to GCP's metrics (gmp.Rules; gmp.Dropped says which have no GCP source
// and why), the dashboards, the _Default log bucket's retention and the receiver.
func gcpMonitoringArgs(cfg *config.Platform, names Names) (*gmp.Args, gmp.PlatformArgs) {
	n := cfg.Network.Namespaces
	pa := gmp.PlatformArgs{
		AvailabilityPercent: cfg.Profile.AvailabilityPercent, RPO: cfg.Profile.RPO,
		Targets: dremio.MetricsTargets(n.Apps),
		// The names gcpData gives the Cloud SQL instance and the buckets.
		Project: cfg.GCPProject, Instance: names.Global(), BucketPrefix: names.Global(),
		PointInTimeRecovery: cfg.MetadataDB.PointInTimeRecovery, DRReplica: cfg.MetadataDB.DRReplica,
		JobsNamespace: n.Jobs,
		// Every query is scoped to this stack's cluster (gcp.go names it so) and namespaces.
		Cluster: gcpName(names.Base, "", 40), Namespaces: n.List(),
		// cert-manager issues the stream edge's certificate (gcp_edge.go), scraped by gcpScrapeCertManager.
		CertManager: cfg.Edge.On(),
		// gcpData's Cloud SQL tier: its max_connections bounds the connection alert.
		Tier: cfg.MetadataDB.InstanceClass,
		// The reflection-freshness bridge is scraped (below): the Dremio dashboard keeps its panel.
		ReflectionBridge: true,
	}
	o := cfg.Observability
	a := &gmp.Args{
		Spec:    observability.Spec{Targets: pa.Targets, Rules: gmp.Rules(pa), Dashboards: gmp.Dashboards(pa)},
		Project: cfg.GCPProject, Name: gcpName(names.Base, "", 40), RunbookBase: o.DocsBaseURL,
		LogsRetentionDays: o.LogsRetentionDays, LogsLocation: o.LogsLocation, Labels: partOf(),
		LogMetrics: pa.LogMetrics(),
	}
	// Airbyte's jobs-database exporter, its alerts and dashboard, scoped to this cluster (Cloud
	// Monitoring's PromQL reads the whole project). Not in pa.Targets: the platform's Dremio rules
	// read those.
	airbyteTarget, airbyteRules, airbyteDashboard := airbyteObservability(cfg, pa.ClusterMatcher())
	a.Spec.Targets = append(append([]observability.ScrapeTarget{}, a.Spec.Targets...), airbyteTarget)
	a.Spec.Rules = append(a.Spec.Rules, airbyteRules...)
	a.Spec.Dashboards = append(a.Spec.Dashboards, airbyteDashboard)
	// The reflection-freshness bridge and its alerts, scoped to this cluster (stacks/dremio_reflections.go).
	reflectionTarget, reflectionRules := reflectionObservability(cfg, pa.ClusterMatcher())
	a.Spec.Targets = append(a.Spec.Targets, reflectionTarget)
	a.Spec.Rules = append(a.Spec.Rules, reflectionRules...)
	switch o.Receiver.Kind {
	case config.ReceiverEmail:
		a.Email = o.Receiver.To
	case config.ReceiverWebhook:
		// observability.receiver.credential: a Pulumi secret; it stays one.
		a.WebhookURL = pulumi.ToSecret(pulumi.String(o.Receiver.Credential)).(pulumi.StringOutput)
	}
	return a, pa
}

// gcpMonitoring is the GCP foundation's monitoring hook: it renders the model once the platform's
// namespaces exist (after), with the stack's GCP provider and the cluster's Kubernetes provider.
func gcpMonitoring(cfg *config.Platform, provider *gcp.Provider, names Names, c *gke.Cluster) func(*pulumi.Context, *DataServices, []pulumi.Resource) (pulumi.Map, error) {
	if !cfg.Observability.On() {
		return nil
	}
	return func(ctx *pulumi.Context, _ *DataServices, after []pulumi.Resource) (pulumi.Map, error) {
		a, pa := gcpMonitoringArgs(cfg, names)
		if err := pa.Validate(); err != nil {
			return nil, fmt.Errorf("observability: %w", err)
		}
		a.After = after
		// The policies wait for the exporters the stack runs (the reflection bridge, stacks.go).
		a.PolicyAfter = after
		mon, err := gmp.New(ctx, "monitoring", a, pulumi.Providers(provider, c.Provider))
		if err != nil {
			return nil, fmt.Errorf("observability: %w", err)
		}
		dropped := pulumi.StringMap{}
		for rule, why := range gmp.Dropped(pa) {
			dropped[rule] = pulumi.String(why)
		}
		console := func(page string) pulumi.String {
			return pulumi.String("https://console.cloud.google.com/" + page + "?project=" + cfg.GCPProject)
		}
		return pulumi.Map{
			"enabled":         pulumi.Bool(true),
			"backend":         pulumi.String("Managed Service for Prometheus + Cloud Monitoring"),
			"dashboards":      console("monitoring/dashboards"),
			"alertPolicies":   console("monitoring/alerting/policies"),
			"metricsExplorer": console("monitoring/metrics-explorer"),
			"logs":            console("logs/query"),
			// 0: the project's _Default log bucket is not managed by this stack.
			"logsRetentionDays":   pulumi.Int(cfg.Observability.LogsRetentionDays),
			"notificationChannel": mon.Channel,
			"rulesNotOnGcp":       dropped,
		}, nil
	}
}

// gcpScrapeCertManager has GKE's collectors scrape cert-manager (the stream edge's certificate, the
// CertificateExpiringSoon policy) once the edge's controllers have created its namespace; the
// model itself is rendered before the edge.
func gcpScrapeCertManager(ctx *pulumi.Context, cfg *config.Platform, c *gke.Cluster, controllers pulumi.Resource) error {
	if !cfg.Observability.On() {
		return nil
	}
	if err := gmp.Scrape(ctx, "monitoring-edge", platform.CertManagerTarget(envoygateway.CertManagerNamespace), partOf(),
		pulumi.Provider(c.Provider), pulumi.DependsOn([]pulumi.Resource{controllers})); err != nil {
		return fmt.Errorf("observability: %w", err)
	}
	return nil
}
