package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/edge/envoygateway"
	"github.com/opendataplatform/dataplatform/components/observability/gmp"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// eachGCPPlan runs f for every stack on gcp in both modes.
func eachGCPPlan(t *testing.T, extra func(stack string) []string, f func(t *testing.T, stack string, preview bool, r *planner.Result)) {
	for _, stack := range Stacks {
		for _, preview := range []bool{false, true} {
			stack, preview := stack, preview
			t.Run(fmt.Sprintf("%s/gcp/%s", stack, mode(preview)), func(t *testing.T) {
				var sets []string
				if extra != nil {
					sets = extra(stack)
				}
				f(t, stack, preview, plan(t, stack, "gcp", preview, sets...))
			})
		}
	}
}

func dependsOn(r *planner.Result, a, b *mockcloud.Resource) bool { return r.Mocks.DependsOn(a, b) }

// observabilityOn is the opt-in (observability.enabled is false by default on gcp).
const observabilityOn = `dataplatform:observability={"enabled": true}`

// TestObservabilityOptInOnGCP: by default a gcp stack renders none of the model (its PromQL
// policies cannot be created before their metrics exist), bills no kube-state-metrics package and
// leaves the project's _Default log bucket alone.
func TestObservabilityOptInOnGCP(t *testing.T) {
	eachGCPPlan(t, nil, func(t *testing.T, stack string, preview bool, r *planner.Result) {
		for _, typ := range []string{gmp.Type, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring", "gcp:monitoring/alertPolicy:AlertPolicy",
			"gcp:monitoring/dashboard:Dashboard", "gcp:logging/projectBucketConfig:ProjectBucketConfig"} {
			if n := len(resourcesOf(r, typ)); n != 0 {
				t.Errorf("%d %s with observability off by default", n, typ)
			}
		}
		gke := resourcesOf(r, "gcp:container/cluster:Cluster")[0]
		if comps := inspect.StringsOf(inspect.At(gke.Inputs, "monitoringConfig", "enableComponents")); strings.Join(comps, ",") != "SYSTEM_COMPONENTS" {
			t.Errorf("monitoring components %v; want SYSTEM_COMPONENTS only (no billed kube-state-metrics package)", comps)
		}
	})
}

// TestObservabilityOnGCP: every gcp stack with observability.enabled renders the model: Dremio's
// coordinator and executors scraped by GKE's managed collectors (PodMonitoring in the apps
// namespace, created after it, the collectors admitted on the metrics port only), one PromQL
// alerting policy per GCP rule linking its runbook and scoped to the stack's cluster, the three
// dashboards, no _Default log bucket (unless logsRetentionDays is set), the monitoring and logging
// APIs, and the managed kube-state-metrics packages the rules read.
func TestObservabilityOnGCP(t *testing.T) {
	eachGCPPlan(t, func(string) []string { return []string{observabilityOn} }, func(t *testing.T, stack string, preview bool, r *planner.Result) {
		if n := len(resourcesOf(r, gmp.Type)); n != 1 {
			t.Fatalf("%d %s; want 1", n, gmp.Type)
		}
		apps := r.Platform.Network.Namespaces.Apps
		var appsNS *mockcloud.Resource
		for _, res := range resourcesOf(r, "kubernetes:core/v1:Namespace") {
			if inspect.Str(res.Inputs, "metadata", "name") == apps {
				appsNS = res
			}
		}
		if appsNS == nil {
			t.Fatalf("no Namespace %s", apps)
		}
		for _, job := range []string{"dremio-coordinator", "dremio-executor"} {
			pm := named(t, r, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring", "monitoring-"+job+"-podmonitoring")
			if inspect.Str(pm.Inputs, "metadata", "namespace") != apps || inspect.Str(pm.Inputs, "metadata", "name") != job {
				t.Errorf("PodMonitoring %s in %q", job, inspect.Str(pm.Inputs, "metadata", "namespace"))
			}
			if inspect.Str(pm.Inputs, "spec", "endpoints", 0, "port") != "metrics" || inspect.Str(pm.Inputs, "spec", "endpoints", 0, "path") != "/metrics" {
				t.Errorf("%s: endpoint %v", job, inspect.At(pm.Inputs, "spec", "endpoints", 0))
			}
			if !dependsOn(r, pm, appsNS) {
				t.Errorf("PodMonitoring %s does not wait for namespace %s", job, apps)
			}
			np := named(t, r, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "monitoring-"+job+"-allow-gmp")
			if inspect.Num(np.Inputs, "spec", "ingress", 0, "ports", 0, "port") != 9091 || inspect.Len(np.Inputs, "spec", "ingress", 0, "ports") != 1 {
				t.Errorf("%s: collectors admitted on %v; want 9091 only", job, inspect.At(np.Inputs, "spec", "ingress", 0, "ports"))
			}
		}
		if !r.Platform.Edge.On() {
			t.Fatal("the gcp stacks have an edge (dataplatform:domain)")
		}
		if n := len(resourcesOf(r, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring")); n != 5 {
			t.Errorf("%d PodMonitorings; want Dremio's 2, cert-manager's, Airbyte's jobs exporter and the reflection bridge (Cloud SQL and Cloud Storage are Cloud Monitoring metrics)", n)
		}
		// cert-manager issues the stream edge's certificate: scraped once the edge's controllers exist.
		cm := named(t, r, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring", "monitoring-edge-cert-manager-podmonitoring")
		if inspect.Str(cm.Inputs, "metadata", "namespace") != envoygateway.CertManagerNamespace || inspect.Str(cm.Inputs, "spec", "endpoints", 0, "port") != "http-metrics" {
			t.Errorf("cert-manager's PodMonitoring in %q on %q", inspect.Str(cm.Inputs, "metadata", "namespace"), inspect.Str(cm.Inputs, "spec", "endpoints", 0, "port"))
		}
		// DependsOn the controllers' component waits for its children, cert-manager's chart among them.
		if chart := named(t, r, "kubernetes:helm.sh/v4:Chart", "edge-controllers-cert-manager"); !dependsOn(r, cm, chart) {
			t.Error("cert-manager's PodMonitoring does not wait for cert-manager's chart (its namespace)")
		}
		policies := resourcesOf(r, "gcp:monitoring/alertPolicy:AlertPolicy")
		if len(policies) < 10 {
			t.Errorf("%d alerting policies; want the platform's rules that exist on GCP", len(policies))
		}
		base := r.Platform.Observability.DocsBaseURL + "/docs/runbook-alerts.md#"
		cluster := inspect.Str(resourcesOf(r, "gcp:container/cluster:Cluster")[0].Inputs, "name")
		names := map[string]bool{}
		for _, p := range policies {
			c := inspect.Obj(inspect.At(p.Inputs, "conditions", 0, "conditionPrometheusQueryLanguage"))
			rule := inspect.Str(c, "alertRule")
			names[rule] = true
			if inspect.Str(c, "query") == "" || !strings.HasSuffix(inspect.Str(c, "duration"), "s") {
				t.Errorf("%s: query %q duration %q", rule, inspect.Str(c, "query"), inspect.Str(c, "duration"))
			}
			// Cloud Monitoring's PromQL reads the whole project: the cluster's series are this stack's.
			if q := inspect.Str(c, "query"); (strings.Contains(q, "kube_") || strings.Contains(q, "kubernetes_io:") || strings.Contains(q, "job")) &&
				!strings.Contains(q, `cluster="`+cluster+`"`) && !strings.Contains(q, `cluster_name="`+cluster+`"`) {
				t.Errorf("%s: %s is not scoped to cluster %s", rule, q, cluster)
			}
			if sev := inspect.Str(p.Inputs, "severity"); sev != "CRITICAL" && sev != "WARNING" {
				t.Errorf("%s: severity %q", rule, sev)
			}
			// The GCP-only signals (Cloud SQL's backup audit log, its tier's connection limit) have their
			// sections in docs/runbook-alerts-gcp.md (gmp.RunbookDoc).
			if u := inspect.Str(p.Inputs, "documentation", "links", 0, "url"); !strings.HasPrefix(u, base) && !strings.HasPrefix(u, r.Platform.Observability.DocsBaseURL+"/"+gmp.RunbookDoc+"#") {
				t.Errorf("%s: runbook %q; want under %s or the GCP runbook", rule, u, base)
			}
		}
		for _, want := range []string{"PlatformTargetDown", "PostgresWALArchivingFailing", "DremioExecutorLost", "VolumeFillingUp", "CertificateExpiringSoon"} {
			if !names[want] {
				t.Errorf("no policy for %s", want)
			}
		}
		if r.Platform.MetadataDB.PointInTimeRecovery != names["PostgresWALArchivingBehindRPO"] {
			t.Errorf("WAL RPO policy present %v; point-in-time recovery %v", names["PostgresWALArchivingBehindRPO"], r.Platform.MetadataDB.PointInTimeRecovery)
		}
		for _, uid := range []string{"dataplatform-postgres", "dataplatform-object-store", "dataplatform-dremio"} {
			d := named(t, r, "gcp:monitoring/dashboard:Dashboard", "monitoring-"+uid)
			if !strings.Contains(inspect.Str(d.Inputs, "dashboardJson"), "prometheusQuery") {
				t.Errorf("dashboard %s has no PromQL widget", uid)
			}
		}
		if n := len(resourcesOf(r, "gcp:logging/projectBucketConfig:ProjectBucketConfig")); n != 0 {
			t.Errorf("%d _Default log bucket configs without logsRetentionDays: the project-wide bucket is managed only on request", n)
		}
		apis := map[string]bool{}
		for _, s := range resourcesOf(r, "gcp:projects/service:Service") {
			apis[inspect.Str(s.Inputs, "service")] = true
		}
		if !apis["monitoring.googleapis.com"] || !apis["logging.googleapis.com"] {
			t.Error("monitoring.googleapis.com and logging.googleapis.com are not enabled")
		}
		gke := resourcesOf(r, "gcp:container/cluster:Cluster")[0]
		comps := strings.Join(inspect.StringsOf(inspect.At(gke.Inputs, "monitoringConfig", "enableComponents")), ",")
		if !strings.Contains(comps, "POD") || !strings.Contains(comps, "STATEFULSET") {
			t.Errorf("monitoring components %s; want the POD and STATEFULSET kube-state-metrics packages", comps)
		}
		if len(resourcesOf(r, "gcp:monitoring/notificationChannel:NotificationChannel")) != 0 {
			t.Error("a notification channel without a receiver")
		}
		if len(resourcesOf(r, "dataplatform:clusteraddons:KubePrometheusStack")) != 0 {
			t.Error("kube-prometheus-stack on gcp")
		}
	})
}

// TestObservabilityReceiverOnGCP: an e-mail receiver is a channel every policy notifies; a webhook's
// URL stays a secret; observability.enabled false leaves nothing of it (and no monitoring APIs).
func TestObservabilityReceiverOnGCP(t *testing.T) {
	for _, preview := range []bool{false, true} {
		r := plan(t, "prod", "gcp", preview, `dataplatform:observability={"enabled": true, "logsRetentionDays": 90, "logsLocation": "europe-west1", "receiver": {"kind": "email", "to": "ops@example.com"}}`)
		ch := resourcesOf(r, "gcp:monitoring/notificationChannel:NotificationChannel")
		if len(ch) != 1 || inspect.Str(ch[0].Inputs, "type") != "email" || inspect.Str(ch[0].Inputs, "labels", "email_address") != "ops@example.com" {
			t.Fatalf("channels %v; want one email channel to ops@example.com", ch)
		}
		policies := resourcesOf(r, "gcp:monitoring/alertPolicy:AlertPolicy")
		if len(policies) == 0 {
			t.Fatal("no alerting policies")
		}
		for _, p := range policies {
			// The channel's name is an output: known in normal mode (the mock's id), unknown in preview.
			chans := inspect.At(p.Inputs, "notificationChannels")
			if !chans.IsArray() || len(chans.ArrayValue()) != 1 {
				t.Errorf("policy %s notifies %v; want the one channel", p.Name, chans)
			} else if want := inspect.Str(ch[0].Outputs, "name"); !preview && (want == "" || inspect.StringsOf(chans)[0] != want) {
				t.Errorf("policy %s notifies %v; want the channel %q", p.Name, inspect.StringsOf(chans), want)
			}
		}
		b := named(t, r, "gcp:logging/projectBucketConfig:ProjectBucketConfig", "monitoring-default-logs")
		if inspect.Str(b.Inputs, "bucketId") != "_Default" || inspect.Num(b.Inputs, "retentionDays") != 90 || inspect.Str(b.Inputs, "location") != "europe-west1" || inspect.Str(b.Inputs, "project") != r.Platform.GCPProject {
			t.Errorf("log bucket %s retention %v in %s/%s; want _Default 90 in %s/europe-west1", inspect.Str(b.Inputs, "bucketId"), inspect.Num(b.Inputs, "retentionDays"), inspect.Str(b.Inputs, "project"), inspect.Str(b.Inputs, "location"), r.Platform.GCPProject)
		}
		r = plan(t, "dev", "gcp", preview, `dataplatform:observability={"enabled": true, "receiver": {"kind": "webhook", "credential": "https://hooks.example.com/T0KEN-xyz"}}`)
		ch = resourcesOf(r, "gcp:monitoring/notificationChannel:NotificationChannel")
		if len(ch) != 1 || inspect.Str(ch[0].Inputs, "type") != "webhook_tokenauth" {
			t.Fatalf("channels %v; want one webhook_tokenauth channel", ch)
		}
		if labels := ch[0].Inputs["labels"]; !preview && !labels.IsSecret() && !labels.ObjectValue()["url"].IsSecret() {
			t.Error("the webhook URL is not a secret")
		}
		r = plan(t, "dev", "gcp", preview, `dataplatform:observability={"enabled": false}`)
		if n := len(resourcesOf(r, gmp.Type)) + len(resourcesOf(r, "gcp:monitoring/alertPolicy:AlertPolicy")); n != 0 {
			t.Errorf("%d monitoring resources with observability.enabled false", n)
		}
		for _, s := range resourcesOf(r, "gcp:projects/service:Service") {
			if api := inspect.Str(s.Inputs, "service"); api == "monitoring.googleapis.com" || api == "logging.googleapis.com" {
				t.Errorf("%s enabled with observability off", api)
			}
		}
	}
}
