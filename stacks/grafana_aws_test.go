package stacks

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/observability/amp"
	"github.com/opendataplatform/dataplatform/config"
)

// TestGrafanaExportsAndEdgePaths: the `observability` output names Grafana's URL under the edge, or
// the port-forward without it; the ALB checks Grafana's route on /api/health and leaves the engine's
// paths as they are; the store admits monitoring on aws with observability on only.
func TestGrafanaExportsAndEdgePaths(t *testing.T) {
	cfg := &config.Platform{Cloud: config.AWS, Domain: "data.example.com"}
	route := edge.Route{Name: amp.GrafanaRoute, Host: amp.GrafanaHost, Service: amp.GrafanaService, Namespace: amp.GrafanaNamespace, Port: amp.GrafanaPort, Protocol: edge.HTTP}
	with := grafanaExports(cfg, &amp.Grafana{Routes: []edge.Route{route}})
	if got := with["grafanaUrl"].(pulumi.String); got != "https://grafana.data.example.com" {
		t.Errorf("grafanaUrl with the edge = %q", got)
	}
	without := grafanaExports(cfg, &amp.Grafana{})
	if got := string(without["grafanaUrl"].(pulumi.String)); !strings.Contains(got, "port-forward svc/grafana 3000") {
		t.Errorf("grafanaUrl without the edge = %q; want the port-forward", got)
	}

	f := &Foundation{extraRoutes: []edge.Route{route}}
	paths := awsEdgeHealthPaths(f, map[string]string{"dremio-ui": "/apiv2/server_status"})
	if len(paths) != 2 || paths["grafana"] != "/api/health" || paths["dremio-ui"] != "/apiv2/server_status" {
		t.Errorf("health paths %v", paths)
	}
	if got := awsEdgeHealthPaths(&Foundation{}, map[string]string{"airbyte": "/api/v1/health"}); len(got) != 1 {
		t.Errorf("without Grafana's route: %v", got)
	}

	on, off := true, false
	cfg.Observability.Enabled = &on
	if got := awsGrafanaStoreNamespaces(cfg); len(got) != 1 || got[0] != "monitoring" {
		t.Errorf("store namespaces on aws: %v", got)
	}
	cfg.Observability.Enabled = &off
	if got := awsGrafanaStoreNamespaces(cfg); len(got) != 0 {
		t.Errorf("observability off: %v", got)
	}
	cfg.Observability.Enabled, cfg.Cloud = &on, config.Azure
	if got := awsGrafanaStoreNamespaces(cfg); len(got) != 0 {
		t.Errorf("azure (kube-prometheus-stack admits its own): %v", got)
	}
}
