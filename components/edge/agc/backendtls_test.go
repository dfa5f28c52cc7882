package agc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const btlsType = "kubernetes:alb.networking.azure.io/v1:BackendTLSPolicy"

// TestBackendTLSPolicy: a route with BackendTLS gets an AGC BackendTLSPolicy beside its Service — the
// Service and its port, SNI and subject alt name = the host name, the CA Secret — and plain routes
// none.
func TestBackendTLSPolicy(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, func(_ *ControllerArgs, ea *EdgeArgs) {
			ea.Routes = append(ea.Routes, edge.Route{
				Name: "kibana", Host: "kibana", Service: "kibana-kb-http", Namespace: "dataplatform-data", Port: 5601, Protocol: edge.HTTP,
				BackendTLS: &edge.BackendTLS{CASecret: "kibana-kb-http-certs-public", Hostname: "kibana-kb-http.dataplatform-data.svc"},
			})
		})
		ps := r.m.ByType(btlsType)
		require.Len(t, ps, 1)
		p := ps[0]
		assert.Equal(t, "kibana-kb-http-agc-backend-tls", inspect.Str(p.Inputs, "metadata", "name"))
		assert.Equal(t, "dataplatform-data", inspect.Str(p.Inputs, "metadata", "namespace"))
		s := spec(p)
		assert.Equal(t, "", inspect.Str(s, "targetRef", "group"))
		assert.Equal(t, "Service", inspect.Str(s, "targetRef", "kind"))
		assert.Equal(t, "kibana-kb-http", inspect.Str(s, "targetRef", "name"))
		assert.Equal(t, "dataplatform-data", inspect.Str(s, "targetRef", "namespace"))
		assert.Equal(t, "kibana-kb-http.dataplatform-data.svc", inspect.Str(s, "default", "sni"))
		require.Equal(t, 1, inspect.Len(s, "default", "ports"))
		assert.Equal(t, 5601.0, inspect.Num(s, "default", "ports", 0, "port"))
		assert.Equal(t, "Secret", inspect.Str(s, "default", "verify", "caCertificateRef", "kind"))
		assert.Equal(t, "", inspect.Str(s, "default", "verify", "caCertificateRef", "group"))
		assert.Equal(t, "kibana-kb-http-certs-public", inspect.Str(s, "default", "verify", "caCertificateRef", "name"))
		assert.Equal(t, "kibana-kb-http.dataplatform-data.svc", inspect.Str(s, "default", "verify", "subjectAltName"))
		assert.False(t, inspect.HasKey(s, "default", "clientCertificateRef"), "no client certificate: Kibana does not ask for one")
		assert.True(t, r.m.DependsOn(p, inspect.One(t, r.m, gwType)))
	})
	r := mustRun(t, false, nil)
	assert.Empty(t, r.m.ByType(btlsType), "plain HTTP routes get no policy")
}
