package edge_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/airbyte"
	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/edge"
)

// TestPublishedRoutes: what Dremio and Airbyte publish is a valid route set: the UI on 9047, Flight
// (GRPC) on 32010 and JDBC (TCP, TLS at the edge) on 31010 of the client Service; Airbyte's server
// (UI and API) on 8001.
func TestPublishedRoutes(t *testing.T) {
	routes := append(dremio.Routes("dataplatform"), airbyte.Routes("dataplatform")...)
	if err := edge.Validate("data.example.com", routes); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range routes {
		got[r.Name] = fmt.Sprintf("%s:%d/%s/%d", r.Service, r.Port, r.Protocol, r.PublicPort())
	}
	want := map[string]string{
		"dremio-ui":     "dremio-client:9047/HTTP/443",
		"dremio-flight": "dremio-client:32010/GRPC/32010",
		"dremio-jdbc":   "dremio-client:31010/TCP/31010",
		"airbyte":       "airbyte-airbyte-server-svc:8001/HTTP/443",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q; want %q", k, got[k], v)
		}
	}
	if h := strings.Join(edge.Hosts("data.example.com", routes), ","); h != "airbyte.data.example.com,dremio.data.example.com" {
		t.Errorf("hosts = %s", h)
	}
}

// TestValidate refuses route sets an edge cannot serve.
func TestValidate(t *testing.T) {
	ok := edge.Route{Name: "ui", Host: "ui", Service: "svc", Namespace: "apps", Port: 80, Protocol: edge.HTTP}
	for name, c := range map[string]struct {
		domain string
		routes []edge.Route
		want   string
	}{
		"domain":         {"Data.Example", []edge.Route{ok}, "domain"},
		"none":           {"d.example.com", nil, "no routes"},
		"duplicate name": {"d.example.com", []edge.Route{ok, ok}, "used twice"},
		"http twice":     {"d.example.com", []edge.Route{ok, {Name: "ui2", Host: "ui", Service: "s", Namespace: "apps", Port: 80, Protocol: edge.HTTP}}, "routed twice"},
		"http port":      {"d.example.com", []edge.Route{{Name: "ui", Host: "ui", Service: "s", Namespace: "apps", Port: 80, Protocol: edge.HTTP, ListenPort: 8443}}, "served on 443"},
		"tcp no port":    {"d.example.com", []edge.Route{{Name: "db", Host: "db", Service: "s", Namespace: "apps", Port: 5432, Protocol: edge.TCP}}, "own port"},
		"protocol":       {"d.example.com", []edge.Route{{Name: "db", Host: "db", Service: "s", Namespace: "apps", Port: 53, Protocol: "UDP", ListenPort: 5353}}, "allowed: HTTP, GRPC, TCP"},
		"backend":        {"d.example.com", []edge.Route{{Name: "db", Host: "db", Service: "", Namespace: "apps", Port: 1, Protocol: edge.HTTP}}, "backend"},
	} {
		err := edge.Validate(c.domain, c.routes)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", name, err, c.want)
		}
	}
}
