package edge_test

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/edge"
)

// TestValidateBackendTLS: a BackendTLS is accepted on an HTTP route with a Secret name and an
// in-cluster host name, and refused on GRPC/TCP routes or with malformed names.
func TestValidateBackendTLS(t *testing.T) {
	good := &edge.BackendTLS{CASecret: "kibana-kb-http-certs-public", Hostname: "kibana-kb-http.data.svc"}
	ok := edge.Route{Name: "kibana", Host: "kibana", Service: "kibana-kb-http", Namespace: "data", Port: 5601, Protocol: edge.HTTP, BackendTLS: good}
	if err := edge.Validate("d.example.com", []edge.Route{ok}); err != nil {
		t.Fatalf("valid BackendTLS refused: %v", err)
	}
	for name, c := range map[string]struct {
		r    edge.Route
		want string
	}{
		"grpc":        {edge.Route{Name: "f", Host: "f", Service: "s", Namespace: "data", Port: 1, Protocol: edge.GRPC, ListenPort: 32010, BackendTLS: good}, "only HTTP routes"},
		"tcp":         {edge.Route{Name: "j", Host: "j", Service: "s", Namespace: "data", Port: 1, Protocol: edge.TCP, ListenPort: 31010, BackendTLS: good}, "only HTTP routes"},
		"no secret":   {withTLS(ok, "", "kibana-kb-http.data.svc"), "CASecret"},
		"bad secret":  {withTLS(ok, "Kibana_CA", "kibana-kb-http.data.svc"), "CASecret"},
		"no host":     {withTLS(ok, "ca", ""), "Hostname"},
		"single":      {withTLS(ok, "ca", "kibana"), "Hostname"},
		"upper host":  {withTLS(ok, "ca", "Kibana.data.svc"), "Hostname"},
		"scheme host": {withTLS(ok, "ca", "https://kibana.data.svc"), "Hostname"},
	} {
		err := edge.Validate("d.example.com", []edge.Route{c.r})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error naming %q", name, err, c.want)
		}
	}
}

func withTLS(r edge.Route, secret, host string) edge.Route {
	r.BackendTLS = &edge.BackendTLS{CASecret: secret, Hostname: host}
	return r
}
