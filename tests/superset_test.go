package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/superset"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/opendataplatform/dataplatform/policy/policies"
)

// supersetSets turn Superset on with an image in the platform's registry.
var supersetSets = []string{
	"dataplatform:superset.enabled=true",
	"dataplatform:superset.image=registry.example.com/dataplatform/superset:6.1.0-1",
}

func supersetNamed(r *planner.Result, typ, name string) *mockcloud.Resource {
	for _, res := range resourcesOf(r, typ) {
		if res.Name == name {
			return res
		}
	}
	return nil
}

// TestSupersetOnEveryTarget: with superset.enabled, every stack on every target plans Superset —
// web (2+ with an HPA and a PDB in prod), workers, exactly one beat, the init Job the Deployments
// wait for, Valkey, the secret key from the store — routes superset.<domain> on the target's edge to
// the web Service, admits the edge on the web port, creates Dremio's "superset" user, and breaks
// no mandatory policy; prod protects only its generated passwords.
func TestSupersetOnEveryTarget(t *testing.T) {
	for _, stack := range Stacks {
		for _, target := range Targets {
			for _, preview := range []bool{false, true} {
				stack, target, preview := stack, target, preview
				t.Run(fmt.Sprintf("%s/%s/%s", stack, target, mode(preview)), func(t *testing.T) {
					r := plan(t, stack, target, preview, supersetSets...)
					checkSuperset(t, r, stack, preview)
				})
			}
		}
	}
}

func checkSuperset(t *testing.T, r *planner.Result, stack string, preview bool) {
	t.Helper()
	if len(resourcesOf(r, "dataplatform:superset:Superset")) != 1 {
		t.Fatalf("no Superset component")
	}
	const dep = "kubernetes:apps/v1:Deployment"
	const sts = "kubernetes:apps/v1:StatefulSet"
	web, worker, beat := supersetNamed(r, dep, "superset-web"), supersetNamed(r, dep, "superset-worker"), supersetNamed(r, sts, "superset-beat")
	job := supersetNamed(r, "kubernetes:batch/v1:Job", "superset-init")
	if web == nil || worker == nil || beat == nil || job == nil || supersetNamed(r, sts, "superset-valkey") == nil {
		t.Fatalf("missing web, worker, beat, Valkey or init Job")
	}
	for _, d := range []*mockcloud.Resource{web, worker, beat} {
		if !r.Mocks.DependsOn(d, job) {
			t.Errorf("%s does not wait for the init Job", d.Name)
		}
	}
	// No service links on any Superset pod: the Service "superset" would set SUPERSET_PORT=tcp://….
	for _, d := range []*mockcloud.Resource{web, worker, beat, job} {
		if links, ok := inspect.Bool(d.Inputs, "spec", "template", "spec", "enableServiceLinks"); !ok || links {
			t.Errorf("%s: enableServiceLinks = %v (set: %v); want false", d.Name, links, ok)
		}
	}
	prod := stack == "prod"
	if hpa := supersetNamed(r, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "superset-web"); (hpa != nil) != prod {
		t.Errorf("web HPA present = %v; want %v", hpa != nil, prod)
	}
	if pdb := supersetNamed(r, "kubernetes:policy/v1:PodDisruptionBudget", "superset-web"); (pdb != nil) != prod {
		t.Errorf("web PDB present = %v; want %v", pdb != nil, prod)
	}
	if supersetNamed(r, "kubernetes:external-secrets.io/v1:ExternalSecret", "superset-secret-key") == nil {
		t.Errorf("the secret key is not materialized from the store")
	}
	if np := supersetNamed(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "superset-ingress-web"); np == nil {
		t.Errorf("the edge is not admitted on the web port")
	}

	// The edge routes superset.<domain> to the web Service on 8088.
	host := "superset." + r.Platform.Domain
	routed := false
	for _, rt := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute") {
		if !contains(inspect.Strs(rt.Inputs, "spec", "hostnames"), host) {
			continue
		}
		for _, rule := range inspect.Arr(inspect.At(rt.Inputs, "spec", "rules")) {
			for _, ref := range inspect.Arr(inspect.At(inspect.Obj(rule), "backendRefs")) {
				o := inspect.Obj(ref)
				if inspect.Str(o, "name") == "superset" && inspect.Num(o, "port") == 8088 {
					routed = true
				}
			}
		}
	}
	if !routed {
		t.Errorf("no HTTPRoute sends %s to superset:8088", host)
	}

	cfg, err := r.PolicyConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range r.Evaluate(cfg) {
		if v.Level == policies.Mandatory {
			t.Errorf("%s", v)
		}
	}
	if preview {
		return
	}

	replicas := func(d *mockcloud.Resource) int { return int(inspect.Num(d.Inputs, "spec", "replicas")) }
	if want := map[bool]int{true: 2, false: 1}[prod]; replicas(web) != want {
		t.Errorf("web replicas %d; want %d", replicas(web), want)
	}
	if replicas(beat) != 1 || len(resourcesOf(r, "kubernetes:apps/v1:Deployment")) == 0 || supersetNamed(r, dep, "superset-beat") != nil {
		t.Errorf("beat: %d replicas; want exactly one, in a StatefulSet", replicas(beat))
	}
	cm := supersetNamed(r, "kubernetes:core/v1:ConfigMap", "superset-config")
	if cm == nil {
		t.Fatalf("no superset_config.py")
	}
	py := inspect.Str(cm.Inputs, "data", "superset_config.py")
	mode := "verify-full"
	if r.Platform.Cloud == "gcp" {
		mode = "verify-ca" // Cloud SQL's per-instance CA (metadatadb.Connection)
	}
	// Google's global external load balancer appends the client's and its own address to
	// X-Forwarded-For; every other edge (and GCP's internal one, in prod) is trusted for one.
	hops := 1
	if r.Platform.Cloud == "gcp" && !prod {
		hops = 2
	}
	xfor := fmt.Sprintf(`PROXY_FIX_CONFIG = {"x_for": %d,`, hops)
	for _, want := range []string{"sslmode=" + mode + "&sslrootcert=/etc/superset/db-ca/ca.crt", "ENABLE_PROXY_FIX = True", "rediss://", xfor, "RATELIMIT_STORAGE_URI = "} {
		if !strings.Contains(py, want) {
			t.Errorf("superset_config.py lacks %q", want)
		}
	}
	boot := supersetNamed(r, "kubernetes:batch/v1:Job", "dremio-bootstrap")
	if boot == nil || !strings.Contains(fmt.Sprint(inspect.Plain(inspect.At(boot.Inputs, "spec", "template", "spec", "containers"))), "SUPERSET_PASSWORD") {
		t.Errorf("Dremio's bootstrap does not create the superset user")
	}
	for _, res := range r.Resources {
		if res.Protect && strings.Contains(res.URN, "superset") && res.Type != "random:index/randomPassword:RandomPassword" {
			t.Errorf("%s %s is protected; only the generated passwords are", res.Type, res.Name)
		}
	}
}

// TestSupersetIsOffByDefault: a stack that does not ask for Superset plans none of it.
func TestSupersetIsOffByDefault(t *testing.T) {
	r := plan(t, "dev", "kubernetes", false)
	for _, res := range r.Resources {
		if strings.Contains(res.Type, "superset") || strings.HasPrefix(res.Name, "superset-") {
			t.Errorf("%s %s is planned without superset.enabled", res.Type, res.Name)
		}
	}
}

// TestSupersetDatabaseBudget: the in-cluster PostgreSQL is sized for Superset's pods at their
// ceiling (superset.DatabasePods × DatabaseConnectionsPerPod) when Superset is on, and for none
// when it is off: max_connections moves by exactly that many.
func TestSupersetDatabaseBudget(t *testing.T) {
	maxConns := func(r *planner.Result) int {
		clusters := resourcesOf(r, "kubernetes:postgresql.cnpg.io/v1:Cluster")
		if len(clusters) != 1 {
			t.Fatalf("%d CNPG clusters", len(clusters))
		}
		v := inspect.Str(clusters[0].Inputs, "spec", "postgresql", "parameters", "max_connections")
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil {
			t.Fatalf("max_connections %q: %v", v, err)
		}
		return n
	}
	off := maxConns(plan(t, "prod", "kubernetes", false))
	on := maxConns(plan(t, "prod", "kubernetes", false, supersetSets...))
	// prod's defaults: 2–6 web pods, 2 workers.
	want := superset.DatabasePods(6, 2) * superset.DatabaseConnectionsPerPod
	if on-off != want {
		t.Errorf("max_connections %d with Superset, %d without; want a difference of %d (%d pods × %d)", on, off, want, superset.DatabasePods(6, 2), superset.DatabaseConnectionsPerPod)
	}
}
