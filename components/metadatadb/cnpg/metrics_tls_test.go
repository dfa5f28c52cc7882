package cnpg

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestMetricsOverTLS: the Cluster serves its metrics over TLS (spec.monitoring.tls.enabled), the
// scraper's CA Secret beside the instances holds the server CA's certificate and nothing else (not
// its key), and the scrape target is https, verified with that Secret against the read-write
// Service's name, a SAN of every server certificate the operator issues.
func TestMetricsOverTLS(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)
		cl := inspect.MustNamed(t, m, clusterType, "pg-cluster")
		on, ok := inspect.Bool(cl.Inputs, "spec", "monitoring", "tls", "enabled")
		assert.True(t, ok && on, "spec.monitoring.tls.enabled")
		ca := inspect.MustNamed(t, m, secretType, "pg-metrics-ca")
		assert.Equal(t, MetricsCASecret("metadata-db"), inspect.Str(ca.Inputs, "metadata", "name"))
		assert.Equal(t, dataNS, inspect.Str(ca.Inputs, "metadata", "namespace"))
		assert.Equal(t, []string{MetricsCAKey}, keys(inspect.Plain(inspect.At(ca.Inputs, "stringData"))), "the CA certificate only")
		if !preview {
			server := inspect.MustNamed(t, m, secretType, "pg-server-ca")
			require.NotEmpty(t, inspect.Str(server.Inputs, "stringData", "ca.crt"))
			assert.Equal(t, inspect.Str(server.Inputs, "stringData", "ca.crt"), inspect.Str(ca.Inputs, "stringData", MetricsCAKey))
		}
	})
	tg := MetricsTarget("metadata-db", "dataplatform-data")
	assert.Equal(t, observability.HTTPS, tg.Scheme)
	require.NotNil(t, tg.TLS)
	assert.Equal(t, observability.SecretRef{Name: "metadata-db-metrics-ca", Key: "ca.crt"}, tg.TLS.CA)
	assert.Equal(t, "metadata-db-rw.dataplatform-data.svc", tg.TLS.ServerName)
	require.NoError(t, observability.Spec{Targets: []observability.ScrapeTarget{tg}}.Validate())
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
