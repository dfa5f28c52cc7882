package tests

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestObservability: on kubernetes every plan installs kube-prometheus-stack with the profile's
// retention and scrapes the metadata database, the object store (with its token and CA), Dremio's
// coordinator and executors and cert-manager, each admitted by a NetworkPolicy on its metrics port
// only; the alert rules, the dashboards and Grafana's route under the domain exist. On aws and gcp
// none of kube-prometheus-stack exists (managed services; aws runs Grafana alone, awsgrafana_test.go);
// azure's is tested in obsazure_test.go.
func TestObservability(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		comps := resourcesOf(r, "dataplatform:clusteraddons:KubePrometheusStack")
		monitors := resourcesOf(r, "kubernetes:monitoring.coreos.com/v1:PodMonitor")
		if target != "kubernetes" {
			// azure installs it too (tests/obsazure_test.go); aws and gcp render on managed services.
			if target != "azure" && len(comps)+len(monitors) != 0 {
				t.Errorf("%s has monitoring objects; it renders on managed services", target)
			}
			return
		}
		if len(comps) != 1 {
			t.Fatalf("%d monitoring stacks; want 1", len(comps))
		}
		chart := named(t, r, "kubernetes:helm.sh/v4:Chart", "monitoring-chart")
		if v := inspect.Str(chart.Inputs, "version"); v != "88.5.3" {
			t.Errorf("kube-prometheus-stack %s; want the pinned 88.5.3", v)
		}
		wantRetention := map[string]string{"dev": "7d", "staging": "15d", "prod": "30d"}[stack]
		if got := inspect.Str(chart.Inputs, "values", "prometheus", "prometheusSpec", "retention"); got != wantRetention {
			t.Errorf("retention %q; want %q from the %s profile", got, wantRetention, stack)
		}
		ns := r.Platform.Network.Namespaces
		want := map[string]struct {
			ns   string
			port float64
		}{
			"metadata-db": {ns.Data, 9187}, "object-store": {ns.Data, 9000},
			"dremio-coordinator": {ns.Apps, 9091}, "dremio-executor": {ns.Apps, 9091}, "cert-manager": {"cert-manager", 9402},
			// Airbyte's jobs-database exporter (tests/exporters_test.go).
			"airbyte-sync-metrics": {ns.Apps, 9399},
			// Dremio's reflection-freshness bridge (tests/reflections_test.go).
			"dremio-reflection-metrics": {ns.Apps, 9110},
		}
		if len(monitors) != len(want) {
			t.Errorf("%d PodMonitors; want %d", len(monitors), len(want))
		}
		for name, w := range want {
			pm := named(t, r, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "monitoring-"+name+"-podmonitor")
			if got := inspect.Str(pm.Inputs, "metadata", "namespace"); got != w.ns {
				t.Errorf("PodMonitor %s in %q; want %q", name, got, w.ns)
			}
			np := named(t, r, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "monitoring-"+name+"-allow-prometheus")
			if got := inspect.Num(np.Inputs, "spec", "ingress", 0, "ports", 0, "port"); got != w.port || inspect.Len(np.Inputs, "spec", "ingress", 0, "ports") != 1 {
				t.Errorf("%s: Prometheus admitted on %v; want %v only", name, got, w.port)
			}
		}
		store := named(t, r, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "monitoring-object-store-podmonitor")
		if inspect.Str(store.Inputs, "spec", "podMetricsEndpoints", 0, "authorization", "credentials", "name") != "minio-metrics" ||
			inspect.Str(store.Inputs, "spec", "podMetricsEndpoints", 0, "scheme") != "https" {
			t.Error("the object store is scraped over TLS with the minio-metrics token")
		}
		if !hasNamed(r, "minio-metrics") {
			t.Error("no minio-metrics Secret (or ExternalSecret) with the token")
		}
		rules := named(t, r, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules")
		if n := len(inspect.Arr(inspect.At(rules.Inputs, "spec", "groups", 0, "rules"))); n < 15 {
			t.Errorf("%d alert rules; want every class of issue 12", n)
		}
		for _, uid := range []string{"dataplatform-postgres", "dataplatform-object-store", "dataplatform-dremio", "dataplatform-volumes"} {
			named(t, r, "kubernetes:core/v1:ConfigMap", "monitoring-dashboard-"+uid)
		}
		host := "grafana." + r.Platform.Domain
		found := false
		for _, hr := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute") {
			if strings.Join(inspect.Strs(hr.Inputs, "spec", "hostnames"), ",") == host && inspect.Str(hr.Inputs, "metadata", "namespace") == "monitoring" {
				found = true
			}
		}
		if !found {
			t.Errorf("no HTTPRoute for %s beside Grafana", host)
		}
		if conf := dremioConf(r); !strings.Contains(conf, `web-admin: { enabled: true, host: "0.0.0.0", port: 9091 }`) {
			t.Error("Dremio's web-admin server (/metrics) is not bound for scraping")
		}
	})
}

func hasNamed(r *planner.Result, object string) bool {
	for _, res := range r.Resources {
		if (res.Type == "kubernetes:core/v1:Secret" || strings.HasSuffix(res.Type, ":ExternalSecret")) && inspect.Str(res.Inputs, "metadata", "name") == object {
			return true
		}
	}
	return false
}

func dremioConf(r *planner.Result) string {
	for _, res := range resourcesOf(r, "kubernetes:core/v1:ConfigMap") {
		if res.Name == "dremio-config" {
			return inspect.Str(res.Inputs, "data", "dremio-coordinator.conf")
		}
	}
	return ""
}
