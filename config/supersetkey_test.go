package config

import (
	"strings"
	"testing"
)

// TestSupersetSecretKeyGenerationCeiling: every generation's key stays registered, so the generation
// is bounded; a value above the ceiling is refused with the key, the value and the rule.
func TestSupersetSecretKeyGenerationCeiling(t *testing.T) {
	on := `{"enabled": true, "image": "r.example.com/superset:6.1.0-1", "secretKeyGeneration": %s}`
	if _, err := parse(t, "prod", k8sSuperset(strings.Replace(on, "%s", "100", 1))); err != nil {
		t.Errorf("generation 100: %v", err)
	}
	_, err := parse(t, "prod", k8sSuperset(strings.Replace(on, "%s", "101", 1)))
	if err == nil {
		t.Fatal("generation 101 accepted")
	}
	found := false
	for _, pr := range err.Problems {
		if pr.Key == "dataplatform:superset.secretKeyGeneration" && pr.Value == "101" && strings.Contains(pr.Allowed, "≤ 100") && strings.Contains(pr.Allowed, "raised by one") {
			found = true
		}
	}
	if !found {
		t.Errorf("problems %v; want superset.secretKeyGeneration ≤ 100", err.Problems)
	}
}
