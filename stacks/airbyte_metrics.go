package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/airbyte/syncmetrics"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/config"
)

// deployAirbyteMetrics runs Airbyte's jobs-database exporter (components/airbyte/syncmetrics) on every
// target where observability is on: Airbyte OSS emits no metrics of its own, so its sync success,
// records and durations come from its database, read as the read-only role the metadata database
// creates. The grant waits for Airbyte's release (its bootloader creates the tables).
func deployAirbyteMetrics(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, ns Namespaces, data *DataServices, e *Engine) error {
	if !cfg.Observability.On() {
		return nil
	}
	a := &syncmetrics.Args{
		Namespace: ns.Apps, NamespaceName: ns.Names.Apps, Database: data.DB,
		After: append([]pulumi.Resource{e.Airbyte.Release}, data.DBReady...), AirbyteVersion: cfg.Airbyte.ChartVersion,
		Scheduling: f.Cluster.Scheduling, Labels: partOf(),
	}
	if data.InCluster {
		a.DatabaseNamespace = ns.Names.Data
	} else {
		a.DatabaseCIDRs = data.DatabaseCIDRs
	}
	if _, err := syncmetrics.New(ctx, "airbyte-sync-metrics", a, pulumi.Provider(f.Cluster.Provider)); err != nil {
		return fmt.Errorf("airbyte sync metrics: %w", err)
	}
	return nil
}

// airbyteObservability is what every target's model adds for Airbyte: the exporter's scrape target,
// its alert rules and its dashboard, scoped by scope (GCP: the cluster's matcher; "" elsewhere).
func airbyteObservability(cfg *config.Platform, scope string) (observability.ScrapeTarget, []observability.AlertRule, observability.Dashboard) {
	return syncmetrics.Target(cfg.Network.Namespaces.Apps), syncmetrics.Rules(scope), syncmetrics.Dashboard(scope)
}
