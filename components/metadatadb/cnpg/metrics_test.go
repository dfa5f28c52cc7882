package cnpg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/observability"
)

// TestMetricsTargetNamesExist: every cnpg_<query>_<column> the target declares is a query and a
// metric column of the operator's default monitoring ConfigMap in the module cache (when present),
// and the target validates.
func TestMetricsTargetNamesExist(t *testing.T) {
	tg := MetricsTarget("metadata-db", "dataplatform-data")
	if err := (observability.Spec{Targets: []observability.ScrapeTarget{tg}}).Validate(); err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(os.Getenv("HOME"), "go/pkg/mod/github.com/cloudnative-pg/cloudnative-pg@v1.29.1/config/manager/default-monitoring.yaml")
	if gm := os.Getenv("GOMODCACHE"); gm != "" {
		mod = filepath.Join(gm, "github.com/cloudnative-pg/cloudnative-pg@v1.29.1/config/manager/default-monitoring.yaml")
	}
	raw, err := os.ReadFile(mod)
	if err != nil {
		t.Skipf("cloudnative-pg@v1.29.1 not in the module cache: %v", err)
	}
	doc := string(raw)
	for _, m := range tg.Metrics {
		if m.Source != defaultsSrc {
			continue
		}
		rest := strings.TrimPrefix(m.Name, "cnpg_")
		found := false
		for _, q := range []string{"backends", "pg_stat_database", "pg_settings", "pg_replication", "pg_stat_archiver"} {
			if col, ok := strings.CutPrefix(rest, q+"_"); ok && strings.Contains(doc, "\n    "+q+":\n") && strings.Contains(doc, "- "+col+":\n") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no such query and column in %s", m.Name, mod)
		}
	}
}
