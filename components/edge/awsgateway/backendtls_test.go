package awsgateway

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestBackendTLSTargetGroup: a route with BackendTLS (Kibana) gets an HTTPS target group and HTTPS
// health checks on its health path; plain HTTP routes keep HTTP with no protocol set.
func TestBackendTLSTargetGroup(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := args()
		a.Routes = append(a.Routes, edge.Route{
			Name: "kibana", Host: "kibana", Service: "kibana-kb-http", Namespace: "dataplatform-data", Port: 5601, Protocol: edge.HTTP,
			BackendTLS: &edge.BackendTLS{CASecret: "kibana-kb-http-certs-public", Hostname: "kibana-kb-http.dataplatform-data.svc"},
		})
		a.HealthCheckPaths["kibana"] = "/api/status"
		m, _, err := run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		kb := named(t, m, tgconfT, "kibana-kb-http")
		assert.Equal(t, "dataplatform-data", inspect.Str(kb.Inputs, "metadata", "namespace"))
		rcs := inspect.Arr(inspect.At(kb.Inputs, "spec", "routeConfigurations"))
		require.Len(t, rcs, 1)
		p := inspect.Obj(inspect.At(inspect.Obj(rcs[0]), "targetGroupProps"))
		assert.Equal(t, "HTTPS", inspect.Str(p, "protocol"))
		assert.Equal(t, "HTTP1", inspect.Str(p, "protocolVersion"))
		assert.Equal(t, "HTTPS", inspect.Str(p, "healthCheckConfig", "healthCheckProtocol"))
		assert.Equal(t, "/api/status", inspect.Str(p, "healthCheckConfig", "healthCheckPath"))

		airbyte := named(t, m, tgconfT, "airbyte-airbyte-server-svc")
		ap := inspect.Obj(inspect.At(inspect.Obj(inspect.Arr(inspect.At(airbyte.Inputs, "spec", "routeConfigurations"))[0]), "targetGroupProps"))
		assert.False(t, inspect.HasKey(ap, "protocol"), "plain HTTP backends keep the controller's inferred HTTP")
		assert.Equal(t, "HTTP", inspect.Str(ap, "healthCheckConfig", "healthCheckProtocol"))
	})
}
