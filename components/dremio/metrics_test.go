package dremio

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestWebAdminServesMetrics: every node's dremio.conf binds the web-admin server (the /metrics
// servlet) to all interfaces on MetricsPort — its default is loopback on a random port, which no
// scraper can reach — and every Dremio container names that port "metrics", the name the scrape
// targets use.
func TestWebAdminServesMetrics(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, prodArgs(objectstore.GCS))
		inspect.RequireRan(t, preview, err)
		data := configData(t, m)
		for _, role := range []string{"coordinator", "executor"} {
			conf := data["dremio-"+role+".conf"]
			require.NotEmpty(t, conf, role)
			assert.Equal(t, 1, strings.Count(conf, "web-admin:"), role)
			assert.Contains(t, conf, `  web-admin: { enabled: true, host: "0.0.0.0", port: 9091 }`+"\n", role)
			if preview {
				continue
			}
			sts := statefulSet(t, m, "dremio-"+role)
			c := container(t, sts.Spec.Template.Spec, "dremio")
			found := false
			for _, p := range c.Ports {
				if p.Name == "metrics" {
					found = true
					assert.Equal(t, int32(MetricsPort), p.ContainerPort)
				}
			}
			assert.True(t, found, "%s has a metrics port", role)
			targets := MetricsTargets("dataplatform")
			assert.Equal(t, sts.Spec.Selector.MatchLabels, targets[map[string]int{"coordinator": 0, "executor": 1}[role]].Selector, "the target selects the %s pods", role)
		}
	})
	require.NoError(t, observability.Spec{Targets: MetricsTargets("dataplatform")}.Validate())
}
