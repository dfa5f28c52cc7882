package stacks

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/config"
)

// TestRecordHosts: the kubernetes edge's hosts are those its HTTPRoutes name; a host served only by
// TCP/GRPC routes (TCPRoutes, which ExternalDNS v0.22.0 cannot read) is refused rather than left
// without a record.
func TestRecordHosts(t *testing.T) {
	routes := []edge.Route{
		{Name: "dremio-ui", Host: "dremio", Protocol: edge.HTTP},
		{Name: "dremio-flight", Host: "dremio", Protocol: edge.GRPC},
		{Name: "dremio-jdbc", Host: "dremio", Protocol: edge.TCP},
		{Name: "airbyte", Host: "airbyte", Protocol: edge.HTTP},
	}
	hosts, err := recordHosts("d.example.com", routes)
	if err != nil || strings.Join(hosts, ",") != "airbyte.d.example.com,dremio.d.example.com" {
		t.Errorf("hosts = %v, %v", hosts, err)
	}
	_, err = recordHosts("d.example.com", append(routes, edge.Route{Name: "pg", Host: "pg", Protocol: edge.TCP}))
	if err == nil || !strings.Contains(err.Error(), "host pg.d.example.com has no HTTP route") {
		t.Errorf("stream-only host: err = %v", err)
	}
}

// TestDNSRecordsExport: the dnsRecords output names the writer, or says that none writes the records
// and why.
func TestDNSRecordsExport(t *testing.T) {
	on, off := true, false
	hosts := []string{"dremio.d.example.com"}
	str := func(m pulumi.Map, k string) string { s, _ := m[k].(pulumi.String); return string(s) }

	cfg := &config.Platform{Project: "dataplatform", Stack: "prod", Domain: "d.example.com"}
	cfg.Edge = config.Edge{Issuer: config.IssuerSelfSigned, DNSRecords: &off}
	m := dnsRecordsExport(cfg, hosts)
	if str(m, "writer") != "none" || !strings.Contains(str(m, "reason"), "selfSigned edge names no DNS provider") {
		t.Errorf("self-signed: %v", m)
	}
	cfg.Edge = config.Edge{Issuer: config.IssuerACME, DNSRecords: &off}
	if m := dnsRecordsExport(cfg, hosts); str(m, "writer") != "none" || !strings.Contains(str(m, "reason"), "edge.dnsRecords is false") {
		t.Errorf("records off: %v", m)
	}
	cfg.Edge = config.Edge{Issuer: config.IssuerACME, DNSRecords: &on, DNSZone: "example.com", ACME: config.ACME{DNS01: config.DNS01{Provider: config.DNS01RFC2136}}}
	m = dnsRecordsExport(cfg, hosts)
	if str(m, "writer") != "external-dns" || str(m, "provider") != "rfc2136" || str(m, "zone") != "example.com" || str(m, "ownerId") != "dataplatform-prod" {
		t.Errorf("records on: %v", m)
	}
}
