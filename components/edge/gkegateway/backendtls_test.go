package gkegateway

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestBackendTLSHealthCheck: a route with BackendTLS (Kibana) gets an HTTPS health check
// (httpsHealthCheck, no httpHealthCheck) on its path; plain routes keep HTTP.
func TestBackendTLSHealthCheck(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := args(false)
		a.Routes = append(a.Routes, edge.Route{
			Name: "kibana", Host: "kibana", Service: "kibana-kb-http", Namespace: "dataplatform-data", Port: 5601, Protocol: edge.HTTP,
			BackendTLS: &edge.BackendTLS{CASecret: "kibana-kb-http-certs-public", Hostname: "kibana-kb-http.dataplatform-data.svc"},
		})
		a.HealthPaths["kibana"] = "/api/status"
		r := mustRun(t, preview, a)
		byService := map[string]*struct{ typ, path string }{}
		for _, hc := range r.m.ByType(hcType) {
			s := spec(hc)
			typ := inspect.Str(s, "default", "config", "type")
			path := inspect.Str(s, "default", "config", "httpHealthCheck", "requestPath")
			if typ == "HTTPS" {
				assert.False(t, inspect.HasKey(s, "default", "config", "httpHealthCheck"), "exactly one protocol block")
				path = inspect.Str(s, "default", "config", "httpsHealthCheck", "requestPath")
			}
			byService[inspect.Str(hc.Inputs, "metadata", "namespace")+"/"+inspect.Str(s, "targetRef", "name")] = &struct{ typ, path string }{typ, path}
		}
		kb := byService["dataplatform-data/kibana-kb-http"]
		require.NotNil(t, kb, "Kibana's HealthCheckPolicy beside its Service")
		assert.Equal(t, "HTTPS", kb.typ)
		assert.Equal(t, "/api/status", kb.path)
		ab := byService[appsNS+"/airbyte-airbyte-server-svc"]
		require.NotNil(t, ab)
		assert.Equal(t, "HTTP", ab.typ)
		assert.Equal(t, "/api/v1/health", ab.path)
	})
}
