package tests

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/logging"
	"github.com/opendataplatform/dataplatform/components/metadatadb/cnpg"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestLoggingPlans: with Elasticsearch on, the kubernetes target ships its containers' logs — Fluent
// Bit on every node in its own privileged namespace (the data namespace stays baseline), writing as a
// file-realm user the Elasticsearch cluster loads, a retention Job keeping the environment's log
// retention (dev 7, staging 14, prod 30 days), the shipper scraped by the monitoring stack, its
// credential from the secret store (whose ClusterSecretStore admits the shipper's namespace). The
// clouds have none of it (config refuses logging.enabled there).
func TestLoggingPlans(t *testing.T) {
	sets := func(stack, target string) []string {
		if target != "kubernetes" {
			return nil
		}
		return []string{"dataplatform:elasticsearch.enabled=true"}
	}
	days := map[string]string{"dev": "7d", "staging": "14d", "prod": "30d"}
	eachPlanWith(t, sets, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		ds := resourcesOf(r, "kubernetes:apps/v1:DaemonSet")
		if target != "kubernetes" {
			if len(ds) != 0 || r.Mocks.Named("dataplatform:logging:Logging", "logging") != nil {
				t.Errorf("%s ships logs into Elasticsearch; the shipper runs on kubernetes only", target)
			}
			return
		}
		if !r.Platform.Logging.On() {
			t.Fatal("logging is off with Elasticsearch on")
		}
		if len(ds) != 1 || inspect.Str(ds[0].Inputs, "metadata", "namespace") != logging.Namespace {
			t.Fatalf("%d DaemonSets; want Fluent Bit in %s", len(ds), logging.Namespace)
		}
		levels := map[string]string{}
		for _, n := range resourcesOf(r, "kubernetes:core/v1:Namespace") {
			levels[inspect.Str(n.Inputs, "metadata", "name")] = inspect.Str(n.Inputs, "metadata", "labels", "pod-security.kubernetes.io/enforce")
		}
		if levels[logging.Namespace] != "privileged" {
			t.Errorf("%s enforces %q; the shipper's hostPath needs privileged", logging.Namespace, levels[logging.Namespace])
		}
		if data := r.Platform.Network.Namespaces.Data; levels[data] == "privileged" {
			t.Errorf("the data namespace %s was relaxed to privileged", data)
		}
		es := resourcesOf(r, esCRType)
		if len(es) != 1 {
			t.Fatalf("%d Elasticsearch resources", len(es))
		}
		if n := inspect.Len(es[0].Inputs, "spec", "auth", "fileRealm"); n != 4 {
			t.Errorf("spec.auth.fileRealm has %d Secrets; want the superuser's, the snapshot user's, logging's writer's and its admin's", n)
		}
		if n := inspect.Len(es[0].Inputs, "spec", "auth", "roles"); n != 2 {
			t.Errorf("spec.auth.roles has %d Secrets; want the snapshot role's and logging's", n)
		}
		cm := r.Mocks.Named("kubernetes:core/v1:ConfigMap", "logging-retention-config")
		if cm == nil {
			t.Fatal("no retention ConfigMap")
		}
		var tpl struct {
			Template struct {
				Lifecycle struct {
					DataRetention string `json:"data_retention"`
				} `json:"lifecycle"`
			} `json:"template"`
		}
		if err := json.Unmarshal([]byte(inspect.Str(cm.Inputs, "data", "template.json")), &tpl); err != nil {
			t.Fatal(err)
		}
		if tpl.Template.Lifecycle.DataRetention != days[stack] {
			t.Errorf("%s keeps logs %q; want %s", stack, tpl.Template.Lifecycle.DataRetention, days[stack])
		}
		job := r.Mocks.Named("kubernetes:batch/v1:Job", "logging-retention")
		if job == nil || !r.Mocks.DependsOn(ds[0], job) {
			t.Error("the DaemonSet does not wait for the retention Job")
		}
		monitors := map[string]string{}
		for _, p := range resourcesOf(r, "kubernetes:monitoring.coreos.com/v1:PodMonitor") {
			monitors[inspect.Str(p.Inputs, "metadata", "name")] = inspect.Str(p.Inputs, "metadata", "namespace")
		}
		if r.Platform.Observability.On() && monitors["log-shipper"] != logging.Namespace {
			t.Errorf("no PodMonitor log-shipper in %s (monitors: %v)", logging.Namespace, monitors)
		}
		if r.Platform.Observability.On() {
			alerts := map[string]bool{}
			for _, pr := range resourcesOf(r, "kubernetes:monitoring.coreos.com/v1:PrometheusRule") {
				for _, g := range inspect.Arr(inspect.At(pr.Inputs, "spec", "groups")) {
					for _, rule := range inspect.Arr(inspect.At(inspect.Obj(g), "rules")) {
						alerts[inspect.Str(inspect.Obj(rule), "alert")] = true
					}
				}
			}
			if !alerts["LogShipperStalled"] || !alerts["LogShipperDroppingChunks"] {
				t.Error("no alert rules for the log shipper (LogShipperStalled, LogShipperDroppingChunks)")
			}
		}
		if pc := inspect.Str(ds[0].Inputs, "spec", "template", "spec", "priorityClassName"); pc != logging.PriorityClass {
			t.Errorf("the shipper's priority class is %q; want %s", pc, logging.PriorityClass)
		}
		stores := resourcesOf(r, clusterSecretStoreType)
		if len(stores) != 1 || !slices.Contains(inspect.Strs(stores[0].Inputs, "spec", "conditions", 0, "namespaces"), logging.Namespace) {
			t.Errorf("the ClusterSecretStore does not admit %s", logging.Namespace)
		}
		found := false
		for _, x := range resourcesOf(r, externalSecretType) {
			if inspect.Str(x.Inputs, "metadata", "namespace") == logging.Namespace && inspect.Str(x.Inputs, "metadata", "name") == logging.WriterSecret {
				found = true
			}
		}
		if !found {
			t.Errorf("no ExternalSecret %s in %s", logging.WriterSecret, logging.Namespace)
		}
		conf := inspect.Str(r.Mocks.Named("kubernetes:core/v1:ConfigMap", "logging-config").Inputs, "data", "fluent-bit.conf")
		for _, ns := range []string{r.Platform.Network.Namespaces.Apps, r.Platform.Network.Namespaces.Data, r.Platform.Network.Namespaces.Jobs, logging.Namespace, cnpg.DefaultOperatorNamespace} {
			if !strings.Contains(conf, "/var/log/containers/*_"+ns+"_*.log") {
				t.Errorf("the shipper does not read namespace %s", ns)
			}
		}
	})
}

// TestLoggingOffByDefault: the default plans (Elasticsearch off) have no shipper, no privileged
// namespace, and the store admits only the platform's three namespaces.
func TestLoggingOffByDefault(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		if r.Platform.Logging.On() || len(resourcesOf(r, "kubernetes:apps/v1:DaemonSet")) != 0 {
			t.Error("logging on by default without Elasticsearch")
		}
		for _, n := range resourcesOf(r, "kubernetes:core/v1:Namespace") {
			if inspect.Str(n.Inputs, "metadata", "name") == logging.Namespace {
				t.Errorf("namespace %s without logging", logging.Namespace)
			}
		}
	})
}
