package observability_test

import (
	"fmt"
	"time"

	"github.com/opendataplatform/dataplatform/components/observability"
)

// A program of your own describes what to watch in cloud-neutral terms — a scrape target with the
// metric names it is scraped for, an alert with its runbook anchor, a dashboard as code — validates
// it before creating anything, and hands it to the implementation of its target.
func Example() {
	spec := observability.Spec{
		Targets: []observability.ScrapeTarget{{
			Name: "orders-db", Namespace: "shop",
			Selector: map[string]string{"cnpg.io/cluster": "orders-db"}, Port: "metrics", PortNumber: 9187,
			Metrics: []observability.Metric{{Name: "cnpg_backends_total", Source: "cloudnative-pg@v1.29.1 config/manager/default-monitoring.yaml"}},
		}},
		Rules: []observability.AlertRule{{
			Name: "OrdersDBBusy", Expr: `sum(cnpg_backends_total{namespace="shop"}) > 90`, For: 10 * time.Minute,
			Severity: observability.Warning, Summary: "orders-db holds more than 90 connections", Runbook: "connection-saturation",
		}},
		Dashboards: []observability.Dashboard{{UID: "orders", Title: "Orders", Panels: []observability.Panel{
			{Title: "Connections", Queries: []string{"sum(cnpg_backends_total)"}},
		}}},
		Retention: observability.Retention{Metrics: 30 * 24 * time.Hour},
		Receiver:  observability.Receiver{Kind: observability.Webhook, URL: observability.SecretRef{Name: "alert-hook", Key: "url"}},
	}
	if err := spec.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("undeclared metrics:", len(spec.Undeclared()))
	for _, g := range spec.WithDefaults().RuleGroups("shop", "") {
		for _, r := range g.Rules {
			fmt.Println(r["alert"], r["for"], r["annotations"].(map[string]any)["runbook_url"])
		}
	}

	spec.Targets[0].Port = ""
	fmt.Println(spec.Validate())
	// Output:
	// undeclared metrics: 0
	// OrdersDBBusy 10m docs/runbook-alerts.md#connection-saturation
	// observability: Targets[0].Port = "": the name of the container port serving metrics (an IANA_SVC_NAME, at most 15 characters)
}
