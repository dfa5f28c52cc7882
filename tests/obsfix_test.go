package tests

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/helmhooks"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestGrafanaThroughEdgeEgress: on the kubernetes target (prod, update and preview) the edge's
// proxies may send to the monitoring namespace exactly the port Grafana's pod listens on (the chart's
// grafana.service.targetPort): NetworkPolicies match the destination pod's port, and Envoy sends to
// the pod addresses. The monitoring chart needs no hook-only resource (helm.v4.Chart renders none).
func TestGrafanaThroughEdgeEgress(t *testing.T) {
	for _, preview := range []bool{false, true} {
		t.Run(mode(preview), func(t *testing.T) {
			r := plan(t, "prod", "kubernetes", preview)
			chart := named(t, r, "kubernetes:helm.sh/v4:Chart", "monitoring-chart")
			podPort := inspect.Num(chart.Inputs, "values", "grafana", "service", "targetPort")
			if podPort != 3000 {
				t.Errorf("grafana.service.targetPort = %v; want the grafana 12.11.1 container port 3000", podPort)
			}
			values, _ := inspect.Plain(inspect.At(chart.Inputs, "values")).(map[string]any)
			for _, v := range helmhooks.Violations("kube-prometheus-stack", values) {
				t.Error(v)
			}
			rules := named(t, r, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules")
			for _, rule := range inspect.Arr(inspect.At(rules.Inputs, "spec", "groups", 0, "rules")) {
				if u := inspect.Str(inspect.Obj(rule), "annotations", "runbook_url"); !strings.HasPrefix(u, "https://github.com/opendataplatform/dataplatform/blob/main/docs/runbook-alerts.md#") {
					t.Errorf("runbook_url %q is not an absolute link to the docs", u)
				}
			}
			found := false
			for _, np := range resourcesOf(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy") {
				if inspect.Str(np.Inputs, "metadata", "name") != "dataplatform-proxy-egress" {
					continue
				}
				for _, rule := range inspect.Arr(inspect.At(np.Inputs, "spec", "egress")) {
					o := inspect.Obj(rule)
					if inspect.Str(o, "to", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name") != "monitoring" {
						continue
					}
					found = true
					var ports []float64
					for _, p := range inspect.Arr(inspect.At(o, "ports")) {
						ports = append(ports, inspect.Num(inspect.Obj(p), "port"))
					}
					if len(ports) != 1 || ports[0] != podPort {
						t.Errorf("edge egress to monitoring on %v; want Grafana's pod port %v only", ports, podPort)
					}
				}
			}
			if !found {
				t.Error("the edge's egress policy has no rule for the monitoring namespace")
			}
		})
	}
}
