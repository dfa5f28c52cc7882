package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/airbyte/syncmetrics"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	grafanaComp  = "dataplatform:aws:Grafana"
	grafanaChart = "kubernetes:helm.sh/v4:Chart"
	k8sNP        = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
)

// TestGrafanaOnAWS (issue 12): every aws plan runs Grafana on EKS reading the AMP workspace through
// the SigV4 proxy under a Pod Identity role allowed only the query actions on that workspace, with
// the dashboards whose every series AMP receives (Dremio's queries and reflections, Airbyte's sync
// success, records and duration, volume usage) as sidecar ConfigMaps, and serves it through the ALB
// edge at grafana.<domain> with the edge's certificate, health-checked on /api/health and admitted
// from the load balancer's subnets only.
func TestGrafanaOnAWS(t *testing.T) {
	eachAWSPlan(t, func(t *testing.T, stack string, preview bool, r *planner.Result) {
		if n := len(resourcesOf(r, grafanaComp)); n != 1 {
			t.Fatalf("%d Grafana components on aws; want 1", n)
		}
		chart := named(t, r, grafanaChart, "grafana-chart")
		if v := inspect.Str(chart.Inputs, "version"); v != "12.11.1" {
			t.Errorf("grafana chart %s; want the pinned 12.11.1", v)
		}
		ws := named(t, r, "aws:amp/workspace:Workspace", "observability-workspace")
		if !preview {
			ds := inspect.Obj(inspect.At(chart.Inputs, "values", "datasources", "datasources.yaml", "datasources", 0))
			wantURL := "http://127.0.0.1:8005/workspaces/" + ws.ID
			if got := inspect.Str(ds, "url"); got != wantURL || inspect.Str(ds, "type") != "prometheus" || inspect.Str(ds, "uid") != "amp" {
				t.Errorf("data source %s %q (uid %q); want prometheus %q (uid amp): the proxy under the workspace's path", inspect.Str(ds, "type"), got, inspect.Str(ds, "uid"), wantURL)
			}
			proxy := inspect.Str(chart.Inputs, "values", "extraContainers")
			for _, want := range []string{"image: public.ecr.aws/aws-observability/aws-sigv4-proxy:1.11.1", "- aps\n", "- aps-workspaces.eu-north-1.amazonaws.com\n", "- 127.0.0.1:8005\n"} {
				if !strings.Contains(proxy, want) {
					t.Errorf("the SigV4 proxy container has no %q:\n%s", want, proxy)
				}
			}
		}
		if anon, ok := inspect.Bool(chart.Inputs, "values", "grafana.ini", "auth.anonymous", "enabled"); !ok || anon {
			t.Error("anonymous access must be off")
		}
		if got, want := inspect.Str(chart.Inputs, "values", "grafana.ini", "server", "root_url"), "https://grafana."+r.Platform.Domain+"/"; got != want {
			t.Errorf("root_url %q; want %q", got, want)
		}

		role := named(t, r, "aws:iam/role:Role", "grafana-role")
		rp := named(t, r, "aws:iam/rolePolicy:RolePolicy", "grafana-query-policy")
		if !preview {
			var doc struct {
				Statement []struct {
					Effect   string
					Action   []string
					Resource []string
				}
			}
			if err := json.Unmarshal([]byte(inspect.Str(rp.Inputs, "policy")), &doc); err != nil {
				t.Fatal(err)
			}
			wsARN := inspect.Str(ws.Outputs, "arn")
			if len(doc.Statement) != 1 || strings.Join(doc.Statement[0].Action, ",") != "aps:GetLabels,aps:GetMetricMetadata,aps:GetSeries,aps:QueryMetrics" ||
				len(doc.Statement[0].Resource) != 1 || doc.Statement[0].Resource[0] != wsARN || wsARN == "" {
				t.Errorf("the query policy %+v; want exactly the four query actions on %s", doc.Statement, wsARN)
			}
		}
		assoc := named(t, r, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "grafana-pod-identity")
		if inspect.Str(assoc.Inputs, "namespace") != "monitoring" || inspect.Str(assoc.Inputs, "serviceAccount") != "grafana" || !inspect.DependsOnInput(assoc, "roleArn", role) {
			t.Error("the association must give monitoring/grafana the Grafana role")
		}
		if !r.Mocks.DependsOn(chart, assoc) {
			t.Error("Grafana's pod is admitted before its Pod Identity association exists")
		}
		pw := named(t, r, "random:index/randomPassword:RandomPassword", "grafana-admin-password")
		if pw.Protect != (stack == "prod") {
			t.Errorf("admin password protected = %v; want only in prod", pw.Protect)
		}
		if !hasNamed(r, "grafana-admin") {
			t.Error("no grafana-admin ExternalSecret in the monitoring namespace")
		}

		dashboards := map[string][]string{
			"dataplatform-dremio":    {"jobs_total", "jobs_failed_total", "reflections_active", "reflections_failed"},
			syncmetrics.DashboardUID: {"airbyte_sync_jobs", "airbyte_sync_records_committed", "airbyte_sync_attempt_duration_seconds"},
			"dataplatform-volumes":   {"kubelet_volume_stats_available_bytes", "kubelet_volume_stats_capacity_bytes"},
		}
		cms := 0
		for _, cm := range resourcesOf(r, "kubernetes:core/v1:ConfigMap") {
			if inspect.Str(cm.Inputs, "metadata", "labels", "grafana_dashboard") == "1" {
				cms++
			}
		}
		if cms != len(dashboards) {
			t.Errorf("%d dashboard ConfigMaps; want %d (the PostgreSQL and object-store dashboards read series AMP never receives)", cms, len(dashboards))
		}
		for uid, series := range dashboards {
			cm := named(t, r, "kubernetes:core/v1:ConfigMap", "grafana-dashboard-"+uid)
			doc := inspect.Str(cm.Inputs, "data", uid+".json")
			if inspect.Str(cm.Inputs, "metadata", "namespace") != "monitoring" || !strings.Contains(doc, `"uid":"amp"`) {
				t.Errorf("dashboard %s: not in monitoring on the amp data source", uid)
			}
			for _, s := range series {
				if !strings.Contains(doc, s) {
					t.Errorf("dashboard %s has no panel on %s", uid, s)
				}
			}
		}

		// The edge: the route beside Grafana, after its namespace; the ALB's health check; ingress.
		ns := named(t, r, "kubernetes:core/v1:Namespace", "grafana-namespace")
		var route *mockcloud.Resource
		for _, hr := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute") {
			if inspect.Str(hr.Inputs, "metadata", "namespace") == "monitoring" {
				route = hr
			}
		}
		if route == nil {
			t.Fatal("no HTTPRoute for Grafana in monitoring")
		}
		if strings.Join(inspect.Strs(route.Inputs, "spec", "hostnames"), ",") != "grafana."+r.Platform.Domain {
			t.Errorf("Grafana's route serves %v; want grafana.%s", inspect.Strs(route.Inputs, "spec", "hostnames"), r.Platform.Domain)
		}
		if !r.Mocks.DependsOn(route, ns) {
			t.Error("Grafana's HTTPRoute does not wait for the monitoring namespace")
		}
		tg := named(t, r, "kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration", "edge-tgconfig-monitoring-grafana")
		if got := inspect.Str(tg.Inputs, "spec", "routeConfigurations", 0, "targetGroupProps", "healthCheckConfig", "healthCheckPath"); got != "/api/health" {
			t.Errorf("Grafana's health check path %q; want /api/health", got)
		}
		if !r.Mocks.DependsOn(tg, ns) {
			t.Error("Grafana's TargetGroupConfiguration does not wait for the monitoring namespace")
		}
		in := named(t, r, k8sNP, "grafana-allow-alb-to-grafana")
		if inspect.Num(in.Inputs, "spec", "ingress", 0, "ports", 0, "port") != 3000 || inspect.Len(in.Inputs, "spec", "ingress", 0, "from") < 2 {
			t.Error("Grafana must admit the load balancer's subnets on 3000 only")
		}
		for _, p := range inspect.Arr(inspect.At(in.Inputs, "spec", "ingress", 0, "from")) {
			if inspect.Str(inspect.Obj(p), "ipBlock", "cidr") == "" {
				t.Error("Grafana admits a peer that is not the load balancer's subnet")
			}
		}
		deny := named(t, r, k8sNP, "grafana-default-deny")
		if strings.Join(inspect.Strs(deny.Inputs, "spec", "policyTypes"), ",") != "Ingress,Egress" {
			t.Error("the monitoring namespace must deny ingress and egress by default")
		}
	})
}

// TestGrafanaOnAWSWithoutEdge: with the edge off Grafana is still deployed (kubectl port-forward),
// without a route or an ingress policy; with observability off there is no Grafana.
func TestGrafanaOnAWSWithoutEdge(t *testing.T) {
	for _, preview := range []bool{false, true} {
		r := plan(t, "dev", "aws", preview, `dataplatform:edge={"enabled": false}`)
		if len(resourcesOf(r, grafanaComp)) != 1 {
			t.Fatalf("preview=%v: no Grafana with the edge off", preview)
		}
		if r.Mocks.Named(k8sNP, "grafana-allow-alb-to-grafana") != nil {
			t.Error("an ingress policy for a load balancer that does not exist")
		}
		for _, hr := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute") {
			if inspect.Str(hr.Inputs, "metadata", "namespace") == "monitoring" {
				t.Error("a route for Grafana without the edge")
			}
		}
		r = plan(t, "dev", "aws", preview, `dataplatform:observability={"enabled": false}`)
		if n := len(resourcesOf(r, grafanaComp)) + len(resourcesOf(r, "aws:amp/workspace:Workspace")); n != 0 {
			t.Errorf("preview=%v: observability off still plans Grafana or the workspace", preview)
		}
	}
}

// TestGrafanaOnlyOnAWS: the other targets have their own dashboards (kube-prometheus-stack's Grafana,
// Cloud Monitoring) and no aws Grafana.
func TestGrafanaOnlyOnAWS(t *testing.T) {
	for _, target := range []string{"kubernetes", "azure", "gcp"} {
		if n := len(resourcesOf(plan(t, "dev", target, false), grafanaComp)); n != 0 {
			t.Errorf("%s plans %d aws Grafana components", target, n)
		}
	}
}
