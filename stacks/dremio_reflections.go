package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/dremio/reflectionmetrics"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/config"
)

// deployReflectionMetrics runs the reflection-freshness bridge (components/dremio/reflectionmetrics)
// beside Dremio on every target where observability is on: Dremio OSS exports no per-reflection age,
// so the bridge reads it from Dremio's REST API as the "monitor" user the Dremio component creates
// then (engine.go MonitorUser), and waits for Dremio (its bootstrap creates the user).
// It returns the bridge, which the cloud renderings' alert policies wait for (gcp: Cloud Monitoring
// refuses a policy over a metric it has never received).
func deployReflectionMetrics(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, ns Namespaces, e *Engine) ([]pulumi.Resource, error) {
	if !cfg.Observability.On() {
		return nil, nil
	}
	p, err := reflectionmetrics.New(ctx, reflectionmetrics.Name, &reflectionmetrics.Args{
		Namespace: ns.Apps, NamespaceName: ns.Names.Apps, After: []pulumi.Resource{e.Dremio},
		Scheduling: f.Cluster.Scheduling, Labels: partOf(),
	}, pulumi.Provider(f.Cluster.Provider))
	if err != nil {
		return nil, fmt.Errorf("dremio reflection metrics: %w", err)
	}
	return []pulumi.Resource{p}, nil
}

// reflectionObservability is what every target's model adds for reflection freshness: the bridge's
// scrape target and its two rules, scoped by scope (GCP: the cluster's matcher; "" elsewhere). The
// "Reflection freshness" panel is on the platform's Dremio dashboard.
func reflectionObservability(cfg *config.Platform, scope string) (observability.ScrapeTarget, []observability.AlertRule) {
	return reflectionmetrics.Target(cfg.Network.Namespaces.Apps), reflectionmetrics.Rules(scope, cfg.Observability.ReflectionStaleHours)
}
