package apicheck

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeAPI is a minimal API server: discovery, objects by path, and a log of the requests.
type fakeAPI struct {
	mu      sync.Mutex
	objects map[string][]byte
	log     []string
	// warn is the Pod Security warn level a merge patch of a namespace last set.
	warn string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	f.log = append(f.log, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+" "+r.Header.Get("Content-Type")+" "+string(body))
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	status := func(code int, reason, msg string) {
		reply(code, metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: "Failure", Reason: metav1.StatusReason(reason), Message: msg, Code: int32(code)})
	}
	switch r.URL.Path {
	case "/api/v1":
		reply(200, metav1.APIResourceList{GroupVersion: "v1", APIResources: []metav1.APIResource{
			{Name: "namespaces", Kind: "Namespace"}, {Name: "namespaces/finalize", Kind: "Namespace"},
			{Name: "configmaps", Namespaced: true, Kind: "ConfigMap"},
			{Name: "persistentvolumeclaims", Namespaced: true, Kind: "PersistentVolumeClaim"},
		}})
		return
	case "/apis":
		reply(200, metav1.APIGroupList{Groups: []metav1.APIGroup{{Name: "apps", Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "apps/v1", Version: "v1"}}}}})
		return
	case "/apis/apps/v1":
		reply(200, metav1.APIResourceList{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{
			{Name: "statefulsets", Namespaced: true, Kind: "StatefulSet"}, {Name: "deployments", Namespaced: true, Kind: "Deployment"}}})
		return
	}
	if r.Method == http.MethodPatch && r.Header.Get("Content-Type") == "application/merge-patch+json" && strings.HasPrefix(r.URL.Path, "/api/v1/namespaces/") {
		var m struct {
			Metadata struct{ Labels map[string]*string }
		}
		_ = json.Unmarshal(body, &m)
		if l, ok := m.Metadata.Labels["pod-security.kubernetes.io/warn"]; ok {
			f.warn = ""
			if l != nil {
				f.warn = *l
			}
		}
	}
	// PodSecurity on a workload: a warning at the namespace's warn level, never a refusal.
	if r.Method == http.MethodPatch && strings.HasSuffix(r.URL.Path, "/deployments/privileged") {
		level := f.warn
		if level == "" {
			level = "restricted" // the namespace's own warn label in the plan below
		}
		w.Header().Add("Warning", `299 - "would violate PodSecurity \"`+level+`:latest\": privileged (container \"c\" must not set securityContext.privileged=true)"`)
	}
	path := r.URL.Path
	switch r.Method {
	case http.MethodGet:
		if _, ok := f.objects[path]; ok {
			reply(200, map[string]any{})
		} else {
			status(404, "NotFound", path+" not found")
		}
	case http.MethodPatch:
		if strings.HasSuffix(path, "/bad") {
			status(422, "Invalid", `ConfigMap "bad" is invalid: data: Invalid value`)
			return
		}
		if r.URL.Query().Get("dryRun") == "" && r.Header.Get("Content-Type") == "application/apply-patch+yaml" {
			f.objects[path] = body
		}
		reply(200, map[string]any{})
	case http.MethodPost:
		var m struct{ Metadata struct{ Name string } }
		_ = json.Unmarshal(body, &m)
		f.objects[path+"/"+m.Metadata.Name] = body
		reply(201, map[string]any{})
	case http.MethodDelete:
		delete(f.objects, path)
		reply(200, map[string]any{})
	case http.MethodPut:
		reply(200, map[string]any{})
	}
}

func fakeChecker(t *testing.T) (*Checker, *fakeAPI) {
	t.Helper()
	api := &fakeAPI{objects: map[string][]byte{}}
	srv := httptest.NewTLSServer(api)
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	c, err := NewClient(srv.URL, "tok", ca)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &Checker{C: c}, api
}

const plan = `apiVersion: v1
kind: Namespace
metadata:
  name: data
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/warn: restricted
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: good
  namespace: data
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: bad
  namespace: data
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  namespace: data
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: minio
  namespace: data
spec:
  replicas: 2
  selector:
    matchLabels:
      app: minio
  volumeClaimTemplates:
    - metadata:
        name: data1
        labels:
          tier: storage
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 10Gi
---
apiVersion: v1
kind: PersistentVolumeClaimPatch
metadata:
  name: data1-minio-1
  namespace: data
  annotations:
    pulumi.com/patchForce: "true"
spec:
  resources:
    requests:
      storage: 10Gi
---
apiVersion: v1
kind: PersistentVolumeClaimPatch
metadata:
  name: data1-minio-2
  namespace: data
spec: {}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: nowhere
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: privileged
  namespace: data
`

func TestCheckAppliesDryRunsAndCleansUp(t *testing.T) {
	k, api := fakeChecker(t)
	objs, err := SplitYAML("plan.yaml", []byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	res, err := k.Check(context.Background(), "dev-kubernetes", objs)
	if err != nil {
		t.Fatal(err)
	}
	var accepted, rejected []string
	for _, a := range res.Accepted {
		accepted = append(accepted, a.How+" "+a.Ref)
	}
	for _, x := range res.Rejected {
		rejected = append(rejected, x.Ref+": "+x.Message)
	}
	wantAccepted := "applied Namespace data|dry run ConfigMap data/good|dry run StatefulSet data/minio|patch PersistentVolumeClaimPatch data/data1-minio-1|dry run ConfigMap default/nowhere"
	if strings.Join(accepted, "|") != wantAccepted {
		t.Errorf("accepted:\n got %s\nwant %s", strings.Join(accepted, "|"), wantAccepted)
	}
	for i, want := range []string{
		`ConfigMap data/bad: 422 Invalid: ConfigMap "bad" is invalid`,
		"Widget data/w: no API serves apiVersion example.com/v1 kind Widget",
		"PersistentVolumeClaimPatch data/data1-minio-2: the patch's target PersistentVolumeClaim data/data1-minio-2 does not exist", // replicas 2: ordinals 0 and 1
		// admitted with a restricted warning, but its pods would break the enforced baseline level
		`Deployment data/privileged: its pods would be refused by the namespace's enforced Pod Security level baseline: would violate PodSecurity "baseline:latest"`,
	} {
		if i >= len(rejected) || !strings.HasPrefix(rejected[i], want) {
			t.Errorf("rejection %d = %q, want prefix %q (all: %q)", i, rejected, want, rejected)
		}
	}
	if len(res.Prepared) != 1 || !strings.HasPrefix(res.Prepared[0], "PersistentVolumeClaim data/data1-minio-1") {
		t.Errorf("prepared = %q", res.Prepared)
	}

	log := strings.Join(api.log, "\n")
	for _, want := range []string{
		// the namespace for real, strict
		"PATCH /api/v1/namespaces/data?fieldManager=dataplatform-apicheck&fieldValidation=Strict application/apply-patch+yaml",
		// every other object a dry run, strict
		"PATCH /api/v1/namespaces/data/configmaps/good?dryRun=All&fieldManager=dataplatform-apicheck&fieldValidation=Strict application/apply-patch+yaml",
		// a namespaced object without namespace goes to "default", as pulumi-kubernetes puts it
		"PATCH /api/v1/namespaces/default/configmaps/nowhere?dryRun=All",
		// the claim the StatefulSet controller would create: template + selector labels
		`POST /api/v1/namespaces/data/persistentvolumeclaims?fieldManager=kube-controller-manager&fieldValidation=Strict application/json {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"labels":{"app":"minio","tier":"storage"},"name":"data1-minio-1","namespace":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"10Gi"}}}}`,
		// the patch as its real kind, forced as pulumi.com/patchForce asks
		`PATCH /api/v1/namespaces/data/persistentvolumeclaims/data1-minio-1?dryRun=All&fieldManager=dataplatform-apicheck&fieldValidation=Strict&force=true application/apply-patch+yaml {"apiVersion":"v1","kind":"PersistentVolumeClaim"`,
		// cleanup: the claim's finalizers cleared, the namespace finalized
		`PATCH /api/v1/namespaces/data/persistentvolumeclaims/data1-minio-1? application/merge-patch+json {"metadata":{"finalizers":null}}`,
		`PUT /api/v1/namespaces/data/finalize? application/json`,
		// the warn level raised to the enforce level for the second dry run, then put back
		`PATCH /api/v1/namespaces/data? application/merge-patch+json {"metadata":{"labels":{"pod-security.kubernetes.io/warn":"baseline","pod-security.kubernetes.io/warn-version":null}}}`,
		`PATCH /api/v1/namespaces/data? application/merge-patch+json {"metadata":{"labels":{"pod-security.kubernetes.io/warn":"restricted","pod-security.kubernetes.io/warn-version":null}}}`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("no request %q in:\n%s", want, log)
		}
	}
	if len(api.objects) != 0 {
		t.Errorf("left behind: %v", api.objects)
	}
}

func TestCheckKeepsNamespacesItDidNotCreate(t *testing.T) {
	k, api := fakeChecker(t)
	api.objects["/api/v1/namespaces/kube-system"] = []byte("{}")
	objs, err := SplitYAML("p.yaml", []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kube-system\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Check(context.Background(), "x", objs); err != nil {
		t.Fatal(err)
	}
	if _, ok := api.objects["/api/v1/namespaces/kube-system"]; !ok {
		t.Error("the check deleted a namespace that existed before it")
	}
}
