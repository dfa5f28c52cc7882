package config

import (
	"strings"
	"testing"
)

func k8sSuperset(superset string) map[string]string {
	v := map[string]string{"dataplatform:cloud": "kubernetes", "dataplatform:domain": "data.example.com"}
	if superset != "" {
		v["dataplatform:superset"] = superset
	}
	return v
}

// TestSupersetDefaults: off by default; when on, prod runs 2–6 web replicas and 2 workers, other
// environments one of each without an HPA; the Valkey image and the first key generation are set.
func TestSupersetDefaults(t *testing.T) {
	p, err := parse(t, "dev", k8sSuperset(""))
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if p.Superset.Enabled {
		t.Errorf("superset.enabled defaults to true; want false (it needs an image the user builds)")
	}
	on := `{"enabled": true, "image": "registry.example.com:5000/dataplatform/superset:6.1.0-1"}`
	for _, c := range []struct {
		stack             string
		web, max, workers int
		cpu               float64
	}{{"dev", 1, 1, 1, 1}, {"staging", 1, 1, 1, 1}, {"prod", 2, 6, 2, 2}} {
		p, err := parse(t, c.stack, k8sSuperset(on))
		if err != nil {
			t.Fatalf("%s: %v", c.stack, err)
		}
		s := p.Superset
		if s.WebReplicas != c.web || s.WebMaxReplicas != c.max || s.WorkerReplicas != c.workers || s.Web.CPU != c.cpu || s.Worker.CPU != c.cpu {
			t.Errorf("%s: superset = %+v; want web %d–%d, %d workers, %v CPU", c.stack, s, c.web, c.max, c.workers, c.cpu)
		}
		if s.ValkeyImage != DefaultValkeyImage || s.SecretKeyGeneration != 1 {
			t.Errorf("%s: valkeyImage %q, secretKeyGeneration %d", c.stack, s.ValkeyImage, s.SecretKeyGeneration)
		}
	}
	p, err = parse(t, "prod", k8sSuperset(`{"enabled": true, "image": "r.example.com/superset@sha256:`+strings.Repeat("a", 64)+`", "webReplicas": 8}`))
	if err != nil {
		t.Fatalf("digest: %v", err)
	}
	if p.Superset.WebMaxReplicas != 8 {
		t.Errorf("webMaxReplicas = %d; want it raised to webReplicas (8)", p.Superset.WebMaxReplicas)
	}
}

// TestSupersetValidation: each bad setting is refused before anything is registered, naming the key.
func TestSupersetValidation(t *testing.T) {
	for _, c := range []struct {
		stack, value, key, allowed string
	}{
		{"dev", `{"enabled": true}`, "superset.image", "images/superset/Dockerfile"},
		{"dev", `{"enabled": true, "image": "apache/superset"}`, "superset.image", "pinned"},
		{"dev", `{"enabled": true, "image": "r.example.com/superset:latest"}`, "superset.image", "pinned"},
		{"dev", `{"enabled": true, "image": "r.example.com/superset:6.1.0-1", "valkeyImage": "valkey/valkey"}`, "superset.valkeyImage", "pinned"},
		{"prod", `{"enabled": true, "image": "r.example.com/superset:6.1.0-1", "webReplicas": 1}`, "superset.webReplicas", "prod floor"},
		{"dev", `{"enabled": true, "image": "r.example.com/superset:6.1.0-1", "webReplicas": 3, "webMaxReplicas": 2}`, "superset.webMaxReplicas", "webReplicas"},
		{"dev", `{"enabled": true, "image": "r.example.com/superset:6.1.0-1", "workerReplicas": -1}`, "superset.workerReplicas", "≥ 1"},
		{"dev", `{"enabled": true, "image": "r.example.com/superset:6.1.0-1", "web": {"cpu": 0.1, "memoryGiB": 2}}`, "superset.web", "0.25 CPU"},
		{"dev", `{"enabled": true, "image": "r.example.com/superset:6.1.0-1", "secretKeyGeneration": -2}`, "superset.secretKeyGeneration", "≥ 1"},
		{"dev", `{"enabled": true, "imag": "x"}`, "superset.imag", "a known field"},
		{"dev", `{"enabled": "yes"}`, "superset.enabled", "boolean"},
	} {
		_, err := parse(t, c.stack, k8sSuperset(c.value))
		if err == nil {
			t.Errorf("%s %s: accepted; want a problem with %s", c.stack, c.value, c.key)
			continue
		}
		found := false
		for _, pr := range err.Problems {
			if pr.Key == "dataplatform:"+c.key && strings.Contains(pr.Allowed, c.allowed) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %s: problems %v; want %s (%q)", c.stack, c.value, err.Problems, c.key, c.allowed)
		}
	}
	// Off: nothing is checked, not even a missing image.
	if _, err := parse(t, "prod", k8sSuperset(`{"enabled": false, "webReplicas": 1}`)); err != nil {
		t.Errorf("superset off: %v", err)
	}
}
