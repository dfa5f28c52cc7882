package config

import (
	"strings"
	"testing"
)

const (
	cloudflareEdge = `"issuer": "acme", "acme": {"dns01": {"provider": "cloudflare", "secretName": "cloudflare"}}`
	rfc2136Edge    = `"issuer": "acme", "acme": {"dns01": {"provider": "rfc2136", "secretName": "tsig", "nameserver": "192.0.2.53:53", "tsigKeyName": "edge"}}`
)

// TestDNSRecordsDefaults: an acme edge on kubernetes writes its records into a zone named the domain
// unless told otherwise; a self-signed edge writes none; the clouds leave the key unset.
func TestDNSRecordsDefaults(t *testing.T) {
	for _, c := range []struct {
		name, edge, zone string
		on               bool
	}{
		{"cloudflare", `{` + cloudflareEdge + `}`, "data.example.com", true},
		{"rfc2136 parent zone", `{` + rfc2136Edge + `, "dnsZone": "example.com"}`, "example.com", true},
		{"cloudflare, records off", `{` + cloudflareEdge + `, "dnsRecords": false}`, "", false},
		{"self-signed", ``, "", false},
		{"self-signed, records off", `{"dnsRecords": false}`, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := parse(t, "prod", k8sEdge("data.example.com", c.edge))
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			e := p.Edge
			if e.DNSRecords == nil || e.Records() != c.on || e.DNSZone != c.zone {
				t.Errorf("dnsRecords = %v, dnsZone = %q; want %v, %q", e.DNSRecords, e.DNSZone, c.on, c.zone)
			}
		})
	}
	p, err := parse(t, "dev", k8sEdge("", ""))
	if err != nil || p.Edge.Records() {
		t.Errorf("no edge: records %v, err %v; want off", p != nil && p.Edge.Records(), err)
	}
	p, err = parse(t, "dev", map[string]string{"dataplatform:cloud": "gcp", "dataplatform:gcpProject": "my-project-123", "dataplatform:domain": "data.example.com"})
	if err != nil || p.Edge.DNSRecords != nil {
		t.Errorf("gcp: dnsRecords = %v, err %v; want unset (the cloud edge writes its records)", p != nil && p.Edge.DNSRecords != nil, err)
	}
	if got := ExternalDNSTSIGAlgorithm("HMACSHA512"); got != "hmac-sha512" {
		t.Errorf("ExternalDNSTSIGAlgorithm(HMACSHA512) = %q", got)
	}
}

// TestDNSRecordsValidation: bad combinations are refused before anything runs, naming the key.
func TestDNSRecordsValidation(t *testing.T) {
	for _, c := range []struct {
		name   string
		values map[string]string
		key    string
		want   string
	}{
		{"self-signed with records", k8sEdge("data.example.com", `{"dnsRecords": true}`), "dataplatform:edge.dnsRecords", "DNS-01 provider"},
		{"zone not a parent", k8sEdge("data.example.com", `{`+cloudflareEdge+`, "dnsZone": "example.org"}`), "dataplatform:edge.dnsZone", "data.example.com or a parent"},
		{"zone, records off", k8sEdge("data.example.com", `{`+cloudflareEdge+`, "dnsRecords": false, "dnsZone": "example.com"}`), "dataplatform:edge.dnsZone", "without edge.dnsRecords"},
		{"md5", k8sEdge("data.example.com", `{`+strings.Replace(rfc2136Edge, `"edge"}`, `"edge", "tsigAlgorithm": "HMACMD5"}`, 1)+`}`), "dataplatform:edge.acme.dns01.tsigAlgorithm", "no HMAC-MD5"},
		{"port", k8sEdge("data.example.com", `{`+strings.Replace(rfc2136Edge, "192.0.2.53:53", "192.0.2.53:99999", 1)+`}`), "dataplatform:edge.acme.dns01.nameserver", "1 to 65535"},
		{"on a cloud", map[string]string{"dataplatform:cloud": "gcp", "dataplatform:gcpProject": "my-project-123", "dataplatform:domain": "data.example.com", "dataplatform:edge": `{"dnsRecords": false}`}, "dataplatform:edge.dnsRecords", "unset on gcp"},
		{"not a bool", k8sEdge("data.example.com", `{`+cloudflareEdge+`, "dnsRecords": "yes"}`), "dataplatform:edge.dnsRecords", "boolean"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, "dev", c.values)
			if err == nil {
				t.Fatalf("accepted")
			}
			if pr := problem(t, err, c.key); !strings.Contains(pr.Allowed, c.want) {
				t.Errorf("problem %+v; want it to say %q", pr, c.want)
			}
		})
	}
	// HMACMD5 stays valid for the ACME solver alone.
	if _, err := parse(t, "dev", k8sEdge("data.example.com", `{`+strings.Replace(rfc2136Edge, `"edge"}`, `"edge", "tsigAlgorithm": "HMACMD5"}`, 1)+`, "dnsRecords": false}`)); err != nil {
		t.Errorf("HMACMD5 without records refused: %v", err)
	}
}
