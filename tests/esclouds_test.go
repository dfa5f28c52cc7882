package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/elasticsearch"
	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/opendataplatform/dataplatform/policy/policies"
)

// esClouds are the clouds Elasticsearch is implemented on.
var esClouds = map[string]bool{"gcp": true, "aws": true}

// esCloudSets turns Elasticsearch on for the clouds it is implemented on.
func esCloudSets(stack, target string) []string {
	if !esClouds[target] {
		return nil
	}
	return []string{"dataplatform:elasticsearch.enabled=true"}
}

// TestElasticsearchOnClouds: on gcp and aws every stack with Elasticsearch on gets ECK (its
// API-server egress to any address on 443/6443), an Elasticsearch on the
// cluster's fast class whose pods run as the elasticsearch ServiceAccount bound to the store's
// identity (GKE Workload Identity; IRSA with the projected STS token on aws; no keys), a repository
// of the store's type on the backups bucket under elasticsearch/, the grant scoped to that prefix
// (GCS IAM condition; S3 role policy), the nodes' egress to the cloud's APIs (and on gcp the GKE
// metadata server), the SLM policies (platform-snapshots keeps the retention, the RPO policy a
// bounded day), zone awareness in prod, and Kibana on the cloud edge at kibana.<domain> with
// its health path, and its budget in prod. Azure is not turned on here (tests/esazure_test.go).
func TestElasticsearchOnClouds(t *testing.T) {
	eachPlanWith(t, esCloudSets, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		es := resourcesOf(r, esCRType)
		gcp := target == "gcp"
		if !esClouds[target] {
			if len(es) != 0 {
				t.Errorf("%s has an Elasticsearch without elasticsearch.enabled", target)
			}
			return
		}
		if len(es) != 1 {
			t.Fatalf("%d Elasticsearch resources; want 1", len(es))
		}
		// The policy pack passes with Elasticsearch on, as .ci/run analyzes these plans.
		pcfg, err := r.PolicyConfig(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range r.Evaluate(pcfg) {
			if v.Level == policies.Mandatory {
				t.Errorf("%s", v)
			}
		}
		prod := stack == "prod"
		e := es[0]
		if e.Protect != prod {
			t.Errorf("Elasticsearch protect = %v; want %v", e.Protect, prod)
		}
		if inspect.Has(e.Inputs, "spec", "secureSettings") {
			t.Errorf("keystore entries on gcp; the nodes use Workload Identity")
		}
		for _, v := range inspect.Arr(inspect.At(e.Inputs, "spec", "nodeSets")) {
			n := inspect.Obj(v)
			if sa := inspect.Str(n, "podTemplate", "spec", "serviceAccountName"); sa != elasticsearch.ServiceAccountName {
				t.Errorf("node set %s runs as %q; want %s", inspect.Str(n, "name"), sa, elasticsearch.ServiceAccountName)
			}
			if sc, want := inspect.Str(n, "volumeClaimTemplates", 0, "spec", "storageClassName"), r.Platform.Cluster.StorageClasses.FastSSD; sc != want || sc == "" {
				t.Errorf("node set %s: storage class %q; want the cluster's fast class %q", inspect.Str(n, "name"), sc, want)
			}
			// EKS and GKE nodes carry topology.kubernetes.io/zone: prod spreads across zones.
			if za := inspect.Has(n, "zoneAwareness"); za != prod {
				t.Errorf("node set %s: zoneAwareness = %v; want %v", inspect.Str(n, "name"), za, prod)
			}
		}

		var sa *struct{ annotated bool }
		for _, s := range resourcesOf(r, "kubernetes:core/v1:ServiceAccount") {
			if s.Name == "elasticsearch-serviceaccount" && inspect.Str(s.Inputs, "metadata", "name") == elasticsearch.ServiceAccountName {
				sa = &struct{ annotated bool }{strings.HasSuffix(inspect.Str(s.Inputs, "metadata", "annotations", "iam.gke.io/gcp-service-account"), ".iam.gserviceaccount.com")}
			}
		}
		if sa == nil || (gcp && !preview && !sa.annotated) {
			t.Errorf("no elasticsearch ServiceAccount (bound to a Google service account on gcp): %v", sa)
		}
		if gcp {
			wi, bound := false, false
			for _, m := range resourcesOf(r, "gcp:serviceaccount/iAMMember:IAMMember") {
				if m.Name == "object-store-elasticsearch-workload-identity" {
					bound = true
					// The nodes reach GCS as the Google service account once the binding exists
					// (objectstore.Identity.Ready), not as soon as its email is known.
					if !r.Mocks.DependsOn(e, m) {
						t.Errorf("the Elasticsearch does not wait for the Workload Identity binding %s", m.Name)
					}
				}
				if strings.HasSuffix(inspect.Str(m.Inputs, "member"), "[dataplatform-data/elasticsearch]") {
					wi = true
				}
			}
			if !bound || (!preview && !wi) {
				t.Errorf("no Workload Identity binding object-store-elasticsearch-workload-identity for dataplatform-data/elasticsearch")
			}
			grant := false
			for _, m := range resourcesOf(r, "gcp:storage/bucketIAMMember:BucketIAMMember") {
				if m.Name != "object-store-elasticsearch-backups" {
					continue
				}
				grant = true
				if !r.Mocks.DependsOn(e, m) {
					t.Errorf("the Elasticsearch does not wait for its GCS grant")
				}
				if x := inspect.Str(m.Inputs, "condition", "expression"); !preview && (!strings.Contains(x, "/objects/elasticsearch/\")") || !strings.Contains(x, "objectListPrefix")) {
					t.Errorf("Elasticsearch's GCS grant is not scoped to elasticsearch/: %q", x)
				}
			}
			if !grant {
				t.Errorf("no GCS grant for Elasticsearch on the backups bucket")
			}
		} else {
			c := inspect.Obj(inspect.At(e.Inputs, "spec", "nodeSets", 0, "podTemplate", "spec", "containers", 0))
			env := map[string]string{}
			for _, v := range inspect.Arr(inspect.At(c, "env")) {
				env[inspect.Str(inspect.Obj(v), "name")] = inspect.Str(inspect.Obj(v), "value")
			}
			if env["AWS_WEB_IDENTITY_TOKEN_FILE"] != "/usr/share/elasticsearch/config/repository-s3/aws-web-identity-token-file" || (!preview && !strings.HasPrefix(env["AWS_ROLE_ARN"], "arn:aws:iam::")) {
				t.Errorf("web identity env %v", env)
			}
			if env["AWS_REGION"] != r.Platform.Region || env["AWS_REGION"] == "" || env["AWS_STS_REGIONAL_ENDPOINTS"] != "regional" {
				t.Errorf("the STS client's region: env %v; want AWS_REGION=%q, AWS_STS_REGIONAL_ENDPOINTS=regional", env, r.Platform.Region)
			}
			found := false
			for _, p := range resourcesOf(r, "aws:iam/rolePolicy:RolePolicy") {
				if p.Name != "object-store-elasticsearch-policy" {
					continue
				}
				found = true
				if !r.Mocks.DependsOn(e, p) {
					t.Errorf("the Elasticsearch does not wait for its role's policy")
				}
				if doc := inspect.Str(p.Inputs, "policy"); !preview && (!strings.Contains(doc, "-backups/elasticsearch/*\"") || !strings.Contains(doc, "s3:prefix")) {
					t.Errorf("Elasticsearch's S3 policy is not scoped to elasticsearch/: %s", doc)
				}
			}
			if !found {
				t.Errorf("no S3 role policy for Elasticsearch")
			}
			trusted := false
			for _, role := range resourcesOf(r, "aws:iam/role:Role") {
				if role.Name == "object-store-elasticsearch-role" {
					trusted = strings.Contains(inspect.Str(role.Inputs, "assumeRolePolicy"), "system:serviceaccount:dataplatform-data:elasticsearch")
				}
			}
			if !preview && !trusted {
				t.Errorf("Elasticsearch's role does not trust dataplatform-data/elasticsearch through web identity")
			}
		}

		var cm map[string]any
		for _, c := range resourcesOf(r, "kubernetes:core/v1:ConfigMap") {
			if c.Name == "elasticsearch-snapshot-config" {
				cm = inspect.Obj(inspect.At(c.Inputs, "data")).Mappable()
			}
		}
		if cm == nil {
			t.Fatalf("no snapshot ConfigMap")
		}
		if !preview {
			var repo struct {
				Type     string
				Settings map[string]string
			}
			want := map[bool]string{true: "gcs", false: "s3"}[gcp]
			if s, _ := cm["repository.json"].(string); json.Unmarshal([]byte(s), &repo) != nil || repo.Type != want || repo.Settings["base_path"] != "elasticsearch" ||
				!strings.Contains(repo.Settings["bucket"], "backups") {
				t.Errorf("repository.json = %v", cm["repository.json"])
			}
		}
		// The policy existing stacks' snapshots carry (platform-snapshots) keeps the retention and
		// has no max_count, which would delete the snapshots it took at the RPO before the upgrade;
		// the RPO policy, when the RPO is under a day, is kept a day and bounded by max_count.
		type ret struct {
			ExpireAfter string `json:"expire_after"`
			MaxCount    *int   `json:"max_count"`
		}
		retention := func(f string) (ret, bool) {
			var p struct{ Retention ret }
			s, ok := cm[f].(string)
			return p.Retention, ok && json.Unmarshal([]byte(s), &p) == nil
		}
		sh, _ := cm["register.sh"].(string)
		keepFile := "policy.json"
		if config.SnapshotsPerDay(r.Platform.Profile.RPO) > 1 {
			keepFile = "daily.json"
			rpo, ok := retention("policy.json")
			if !ok || rpo.ExpireAfter != "1d" || rpo.MaxCount == nil || *rpo.MaxCount > 200 {
				t.Errorf("RPO policy retention %+v; want 1d, max_count ≤ 200", rpo)
			}
			if !strings.Contains(sh, "/_slm/policy/"+elasticsearch.RPOPolicy+"\" --data-binary @/config/policy.json") {
				t.Errorf("register.sh does not PUT %s from policy.json:\n%s", elasticsearch.RPOPolicy, sh)
			}
		} else if _, ok := cm["daily.json"]; ok {
			t.Errorf("a second policy at RPO %v", r.Platform.Profile.RPO)
		}
		if keep, ok := retention(keepFile); !ok || keep.ExpireAfter != fmt.Sprintf("%dd", r.Platform.Elasticsearch.SnapshotRetentionDays) || keep.MaxCount != nil {
			t.Errorf("%s retention %+v; want %dd, no max_count", elasticsearch.SLMPolicy, keep, r.Platform.Elasticsearch.SnapshotRetentionDays)
		}
		if !strings.Contains(sh, "/_slm/policy/"+elasticsearch.SLMPolicy+"\" --data-binary @/config/"+keepFile) {
			t.Errorf("register.sh does not PUT %s from %s:\n%s", elasticsearch.SLMPolicy, keepFile, sh)
		}

		egress := map[string]bool{}
		for _, p := range resourcesOf(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy") {
			switch p.Name {
			case "elasticsearch-elasticsearch-objectstore-egress":
				for _, rule := range inspect.Arr(inspect.At(p.Inputs, "spec", "egress")) {
					egress[inspect.Str(inspect.Obj(rule), "to", 0, "ipBlock", "cidr")] = true
				}
			case "eck-allow-kube-api":
				// Any address on the clouds, 443/6443 only: EKS's network policy agent decides on the
				// "kubernetes" ClusterIP before it is translated, and a GKE control plane behind
				// Private Service Connect is outside the configured /28 (stacks.searchAPIServerCIDRs).
				var cidrs []string
				for _, to := range inspect.Arr(inspect.At(p.Inputs, "spec", "egress", 0, "to")) {
					cidrs = append(cidrs, inspect.Str(inspect.Obj(to), "ipBlock", "cidr"))
				}
				if len(cidrs) != 1 || cidrs[0] != "0.0.0.0/0" {
					t.Errorf("ECK reaches the API server at %v; want [0.0.0.0/0]", cidrs)
				}
				var ports []float64
				for _, pt := range inspect.Arr(inspect.At(p.Inputs, "spec", "egress", 0, "ports")) {
					ports = append(ports, inspect.Num(inspect.Obj(pt), "port"))
				}
				if len(ports) != 2 || ports[0] != 443 || ports[1] != 6443 {
					t.Errorf("ECK's API-server egress ports %v; want [443 6443]", ports)
				}
			}
		}
		want := []string{"0.0.0.0/0"}
		if gcp {
			want = append(want, "169.254.169.254/32", "169.254.169.252/32")
		}
		for _, c := range want {
			if !egress[c] {
				t.Errorf("Elasticsearch egress lacks %s (have %v)", c, egress)
			}
		}
		if len(egress) != len(want) {
			t.Errorf("Elasticsearch egress %v; want exactly %v", egress, want)
		}

		routed := false
		for _, hr := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute") {
			if strings.Join(inspect.Strs(hr.Inputs, "spec", "hostnames"), ",") == "kibana."+r.Platform.Domain &&
				inspect.Str(hr.Inputs, "spec", "rules", 0, "backendRefs", 0, "name") == elasticsearch.KibanaService {
				routed = true
			}
		}
		if !routed {
			t.Errorf("no HTTPRoute for kibana.%s", r.Platform.Domain)
		}
		health := ""
		for _, hc := range resourcesOf(r, "kubernetes:networking.gke.io/v1:HealthCheckPolicy") {
			if inspect.Str(hc.Inputs, "spec", "targetRef", "name") == elasticsearch.KibanaService {
				// Kibana serves HTTPS (ECK's certificate): the check is HTTPS (backendtls).
				health = inspect.Str(hc.Inputs, "spec", "default", "config", "httpsHealthCheck", "requestPath")
				if typ := inspect.Str(hc.Inputs, "spec", "default", "config", "type"); typ != "HTTPS" {
					t.Errorf("Kibana's health check type %q; want HTTPS", typ)
				}
			}
		}
		for _, tg := range resourcesOf(r, "kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration") {
			if inspect.Str(tg.Inputs, "spec", "targetReference", "name") == elasticsearch.KibanaService {
				health = inspect.Str(tg.Inputs, "spec", "routeConfigurations", 0, "targetGroupProps", "healthCheckConfig", "healthCheckPath")
			}
		}
		if health != elasticsearch.KibanaHealthPath {
			t.Errorf("Kibana's health check path %q; want %s", health, elasticsearch.KibanaHealthPath)
		}
		if n := len(resourcesOf(r, "kubernetes:policy/v1:PodDisruptionBudget")); prod && n == 0 {
			t.Errorf("no PodDisruptionBudget in prod")
		}
		kibanaPDB := false
		for _, p := range resourcesOf(r, "kubernetes:policy/v1:PodDisruptionBudget") {
			kibanaPDB = kibanaPDB || p.Name == "elasticsearch-kibana-pdb"
		}
		if kibanaPDB != prod {
			t.Errorf("Kibana budget = %v; want %v (two Kibanas in prod only)", kibanaPDB, prod)
		}
	})
}
