package envoygateway

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const btlsType = "kubernetes:gateway.networking.k8s.io/v1:BackendTLSPolicy"

// kibanaRoute is a TLS backend as elasticsearch.Routes publishes it (restated, as routes() is).
func kibanaRoute() edge.Route {
	return edge.Route{
		Name: "kibana", Host: "kibana", Service: "kibana-kb-http", Namespace: "dataplatform-data", Port: 5601, Protocol: edge.HTTP,
		BackendTLS: &edge.BackendTLS{CASecret: "kibana-kb-http-certs-public", Hostname: "kibana-kb-http.dataplatform-data.svc"},
	}
}

// TestBackendTLSPolicy: a route with BackendTLS gets a BackendTLSPolicy beside its Service, naming
// the Service (every port), the CA Secret and the host name; plain-HTTP routes get none; the HTTPRoute
// and the proxies' egress port are those of a plain route.
func TestBackendTLSPolicy(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := args()
		a.Routes = append(a.Routes, kibanaRoute())
		r := mustRun(t, preview, a, false)
		policies := r.m.ByType(btlsType)
		require.Len(t, policies, 1, "one BackendTLSPolicy: only Kibana serves TLS")
		p := policies[0]
		assert.Equal(t, "kibana-kb-http-backend-tls", inspect.Str(p.Inputs, "metadata", "name"))
		assert.Equal(t, "dataplatform-data", inspect.Str(p.Inputs, "metadata", "namespace"))
		s := spec(p)
		require.Equal(t, 1, inspect.Len(s, "targetRefs"))
		assert.Equal(t, "", inspect.Str(s, "targetRefs", 0, "group"))
		assert.Equal(t, "Service", inspect.Str(s, "targetRefs", 0, "kind"))
		assert.Equal(t, "kibana-kb-http", inspect.Str(s, "targetRefs", 0, "name"))
		assert.False(t, inspect.HasKey(s, "targetRefs", 0, "sectionName"))
		require.Equal(t, 1, inspect.Len(s, "validation", "caCertificateRefs"))
		assert.Equal(t, "", inspect.Str(s, "validation", "caCertificateRefs", 0, "group"))
		assert.Equal(t, "Secret", inspect.Str(s, "validation", "caCertificateRefs", 0, "kind"))
		assert.Equal(t, "kibana-kb-http-certs-public", inspect.Str(s, "validation", "caCertificateRefs", 0, "name"))
		assert.Equal(t, "kibana-kb-http.dataplatform-data.svc", inspect.Str(s, "validation", "hostname"))
		assert.False(t, inspect.HasKey(s, "validation", "wellKnownCACertificates"))
		// Same keys as the v1 schema's required ones, nothing else.
		assert.ElementsMatch(t, []string{"targetRefs", "validation"}, propKeys(s))

		route := r.m.Named(httpType, "edge-route-kibana")
		require.NotNil(t, route)
		assert.Equal(t, 5601.0, inspect.Num(spec(route), "rules", 0, "backendRefs", 0, "port"))
		assert.True(t, r.m.DependsOn(p, inspect.One(t, r.m, gwType)), "the policy waits for the Gateway")
	})
}

// TestNoBackendTLSPolicyForPlainRoutes: without BackendTLS no policy is rendered.
func TestNoBackendTLSPolicyForPlainRoutes(t *testing.T) {
	r := mustRun(t, false, args(), false)
	assert.Empty(t, r.m.ByType(btlsType))
}

func propKeys(m resource.PropertyMap) []string {
	var out []string
	for _, k := range m.StableKeys() {
		out = append(out, string(k))
	}
	return out
}
