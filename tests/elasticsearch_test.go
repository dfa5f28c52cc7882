package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	esCRType = "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch"
	kbCRType = "kubernetes:kibana.k8s.elastic.co/v1:Kibana"
)

// TestElasticsearchPlans: on kubernetes every stack runs ECK 3.5.0 and an Elasticsearch whose node
// sets follow the environment (dev one node, staging three master-eligible data nodes, prod three
// dedicated masters and three data nodes with zone awareness), protected with its volumes kept in
// prod only; Kibana of the same version behind the edge at kibana.<domain>; the SLM Job on the
// environment's RPO; MinIO's grant scoped to the snapshot prefix; the NetworkPolicies. The clouds
// have none of it yet (config refuses elasticsearch.enabled there).
func TestElasticsearchPlans(t *testing.T) {
	// Opt-in: turned on (with zone awareness in prod) on kubernetes, left at the default elsewhere.
	sets := func(stack, target string) []string {
		if target != "kubernetes" {
			return nil
		}
		out := []string{"dataplatform:elasticsearch.enabled=true"}
		if stack == "prod" {
			out = append(out, "dataplatform:elasticsearch.zoneAwareness=true")
		}
		return out
	}
	eachPlanWith(t, sets, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		es := resourcesOf(r, esCRType)
		charts := map[string]string{}
		for _, c := range resourcesOf(r, "kubernetes:helm.sh/v4:Chart") {
			charts[inspect.Str(c.Inputs, "chart")] = inspect.Str(c.Inputs, "version")
		}
		if target != "kubernetes" {
			if len(es) != 0 || len(resourcesOf(r, kbCRType)) != 0 || charts["eck-operator"] != "" {
				t.Errorf("%s has Elasticsearch, Kibana or ECK; they are implemented on kubernetes only", target)
			}
			return
		}
		if len(es) != 1 {
			t.Fatalf("%d Elasticsearch resources; want 1", len(es))
		}
		if charts["eck-operator"] != "3.5.0" {
			t.Errorf("eck-operator chart = %q; want 3.5.0", charts["eck-operator"])
		}
		prod := stack == "prod"
		e := es[0]
		if e.Protect != prod {
			t.Errorf("Elasticsearch protect = %v; want %v (prod only)", e.Protect, prod)
		}
		wantPolicy := map[bool]string{true: "DeleteOnScaledownOnly", false: "DeleteOnScaledownAndClusterDeletion"}[prod]
		if got := inspect.Str(e.Inputs, "spec", "volumeClaimDeletePolicy"); got != wantPolicy {
			t.Errorf("volumeClaimDeletePolicy = %q; want %q", got, wantPolicy)
		}
		version := inspect.Str(e.Inputs, "spec", "version")
		if version != config.ElasticsearchVersion {
			t.Errorf("version = %q; want %s", version, config.ElasticsearchVersion)
		}
		fastClass := ""
		for _, c := range resourcesOf(r, "kubernetes:postgresql.cnpg.io/v1:Cluster") {
			fastClass = inspect.Str(c.Inputs, "spec", "storage", "storageClass")
		}
		type set struct {
			count int
			roles string
			zone  bool
		}
		got := map[string]set{}
		for _, v := range inspect.Arr(inspect.At(e.Inputs, "spec", "nodeSets")) {
			n := inspect.Obj(v)
			got[inspect.Str(n, "name")] = set{int(inspect.Num(n, "count")), strings.Join(inspect.Strs(n, "config", "node.roles"), ","), inspect.Has(n, "zoneAwareness")}
			c := inspect.Obj(inspect.At(n, "podTemplate", "spec", "containers", 0))
			if inspect.Str(c, "resources", "requests", "memory") != inspect.Str(c, "resources", "limits", "memory") || inspect.Str(c, "resources", "limits", "memory") == "" {
				t.Errorf("node set %s: memory requests %q ≠ limits %q", inspect.Str(n, "name"), inspect.Str(c, "resources", "requests", "memory"), inspect.Str(c, "resources", "limits", "memory"))
			}
			// The fast class, the one CloudNativePG's volumes get (empty on an existing cluster whose
			// stack names none: the cluster's default class).
			if sc, want := inspect.Str(n, "volumeClaimTemplates", 0, "spec", "storageClassName"), fastClass; sc != want {
				t.Errorf("node set %s: storage class %q; want %q", inspect.Str(n, "name"), sc, want)
			}
		}
		want := map[string]map[string]set{
			"dev":     {"nodes": {1, "master,data,ingest", false}},
			"staging": {"nodes": {3, "master,data,ingest", false}},
			"prod":    {"masters": {3, "master", true}, "data": {3, "data,ingest", true}},
		}[stack]
		if len(got) != len(want) {
			t.Errorf("node sets = %v; want %v", got, want)
		}
		for name, w := range want {
			if got[name] != w {
				t.Errorf("node set %s = %+v; want %+v", name, got[name], w)
			}
		}

		kbs := resourcesOf(r, kbCRType)
		if len(kbs) != 1 || inspect.Str(kbs[0].Inputs, "spec", "version") != version {
			t.Fatalf("Kibana: %d, or not version %s", len(kbs), version)
		}
		host := "kibana." + r.Platform.Domain
		routed := false
		for _, hr := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute") {
			if strings.Join(inspect.Strs(hr.Inputs, "spec", "hostnames"), ",") != host {
				continue
			}
			b := inspect.Obj(inspect.At(hr.Inputs, "spec", "rules", 0, "backendRefs", 0))
			// The route sits beside its backend (components/edge/envoygateway routes.go).
			routed = inspect.Str(b, "name") == "kibana-kb-http" && inspect.Num(b, "port") == 5601 && inspect.Str(hr.Inputs, "metadata", "namespace") == "dataplatform-data"
		}
		if !routed {
			t.Errorf("no HTTPRoute for %s to kibana-kb-http:5601 in dataplatform-data", host)
		}

		var cm, setup map[string]any
		for _, c := range resourcesOf(r, "kubernetes:core/v1:ConfigMap") {
			switch c.Name {
			case "elasticsearch-snapshot-config":
				cm = inspect.Obj(inspect.At(c.Inputs, "data")).Mappable()
			case "object-store-setup": // MinIO's setup files (components/objectstore/minio)
				setup = inspect.Obj(inspect.At(c.Inputs, "data")).Mappable()
			}
		}
		if cm == nil {
			t.Fatalf("no snapshot ConfigMap")
		}
		var policy struct{ Schedule string }
		if s, ok := cm["policy.json"].(string); !ok || json.Unmarshal([]byte(s), &policy) != nil {
			t.Fatalf("policy.json = %v", cm["policy.json"])
		}
		if wantSchedule := config.SnapshotSchedule(r.Platform.Profile.RPO); policy.Schedule != wantSchedule {
			t.Errorf("SLM schedule %q; want %q (RPO %v)", policy.Schedule, wantSchedule, r.Platform.Profile.RPO)
		}
		jobs := 0
		for _, j := range resourcesOf(r, "kubernetes:batch/v1:Job") {
			if j.Name == "elasticsearch-snapshots" {
				jobs++
			}
		}
		if jobs != 1 {
			t.Errorf("%d snapshot Jobs; want 1", jobs)
		}
		if p, _ := setup["policy-elasticsearch.json"].(string); !strings.Contains(p, "arn:aws:s3:::backups/elasticsearch/*") || strings.Contains(p, "arn:aws:s3:::backups/*") {
			t.Errorf("MinIO policy of the elasticsearch user is not scoped to backups/elasticsearch/: %s", p)
		}

		policies := map[string]bool{}
		for _, p := range resourcesOf(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy") {
			policies[p.Name] = true
		}
		for _, n := range []string{"eck-default-deny", "eck-allow-kube-api", "eck-allow-elasticsearch", "eck-webhook-allow-api-server",
			"elasticsearch-elasticsearch-allow-operator", "elasticsearch-kibana-allow-edge"} {
			if !policies[n] {
				t.Errorf("no NetworkPolicy %s", n)
			}
		}
	})
}
