package config

import (
	"strings"
	"testing"
)

func gcpEdge(domain, edge string, extra map[string]string) map[string]string {
	v := map[string]string{"dataplatform:cloud": "gcp", "dataplatform:gcpProject": "my-project-123"}
	if domain != "" {
		v["dataplatform:domain"] = domain
	}
	if edge != "" {
		v["dataplatform:edge"] = edge
	}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

// TestGCPEdgeDefaults: on gcp the edge is on once a domain is set, ACME certificates from Cloud DNS,
// a zone created for the domain, public outside prod and internal (the proxy-only subnet's default
// range) in prod.
func TestGCPEdgeDefaults(t *testing.T) {
	p, err := parse(t, "dev", gcpEdge("data.example.com", "", nil))
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	e := p.Edge
	if !e.On() || e.Issuer != IssuerACME || e.DNSZone != "" || e.InternalOnly() || e.ACME.Server != LetsEncryptProduction {
		t.Errorf("dev edge = %+v; want on, acme (Let's Encrypt), a created zone, public", e)
	}
	if p.Network.ProxyOnlyCIDR != DefaultProxyOnlyCIDR {
		t.Errorf("network.proxyOnlyCidr = %q; want %s", p.Network.ProxyOnlyCIDR, DefaultProxyOnlyCIDR)
	}
	p, err = parse(t, "prod", gcpEdge("data.example.com", "", nil))
	if err != nil {
		t.Fatalf("prod defaults: %v", err)
	}
	if !p.Edge.InternalOnly() {
		t.Errorf("prod edge.sourceRanges = %v; want private ranges, an internal edge", p.Edge.SourceRanges)
	}
	p, err = parse(t, "dev", gcpEdge("", "", nil))
	if err != nil || p.Edge.On() {
		t.Errorf("no domain: edge on = %v, err %v; want off without error", p != nil && p.Edge.On(), err)
	}
	if _, err := parse(t, "dev", gcpEdge("data.example.com", `{"issuer": "selfSigned", "dnsZone": "example-com", "sourceRanges": ["203.0.113.0/24"]}`, nil)); err != nil {
		t.Errorf("a self-signed edge in an existing zone was refused: %v", err)
	}
}

// TestGCPEdgeValidation: bad gcp edge settings are refused, naming the key.
func TestGCPEdgeValidation(t *testing.T) {
	for _, c := range []struct {
		name   string
		values map[string]string
		key    string
		want   string
	}{
		{"zone by DNS name", gcpEdge("data.example.com", `{"dnsZone": "data.example.com"}`, nil), "dataplatform:edge.dnsZone", "managed zone's name"},
		{"acm", gcpEdge("data.example.com", `{"issuer": "acm"}`, nil), "dataplatform:edge.issuer", "selfSigned, acme"},
		{"dns01 solver", gcpEdge("data.example.com", `{"issuer": "acme", "acme": {"dns01": {"provider": "cloudflare", "secretName": "cf"}}}`, nil), "dataplatform:edge.acme.dns01", "edge's DNS zone"},
		{"proxy-only too small", gcpEdge("data.example.com", "", map[string]string{"dataplatform:network": `{"proxyOnlyCidr": "10.41.0.0/27"}`}), "dataplatform:network.proxyOnlyCidr", "/26 or larger"},
		{"proxy-only overlaps nodes", gcpEdge("data.example.com", "", map[string]string{"dataplatform:network": `{"proxyOnlyCidr": "10.40.2.0/23"}`}), "dataplatform:network.proxyOnlyCidr", "network.cidr"},
		{"proxy-only not cidr", gcpEdge("data.example.com", "", map[string]string{"dataplatform:network": `{"proxyOnlyCidr": "10.41.0.1/23"}`}), "dataplatform:network.proxyOnlyCidr", "without host bits"},
		{"proxy-only off gcp", map[string]string{"dataplatform:cloud": "kubernetes", "dataplatform:network": `{"proxyOnlyCidr": "10.41.0.0/23"}`}, "dataplatform:network.proxyOnlyCidr", "only on gcp"},
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
}

// TestGCPEdgeKubernetesVersion: the gcp default is GKE 1.35 (TLSRoute v1 for Flight and JDBC), and a
// 1.34 control plane with the edge on is refused naming the key, the value and the minimum; without
// the edge 1.34 stays allowed.
func TestGCPEdgeKubernetesVersion(t *testing.T) {
	p, err := parse(t, "dev", gcpEdge("data.example.com", "", nil))
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if p.Cluster.KubernetesVersion != "1.35" || p.Cluster.ReleaseChannel != "REGULAR" {
		t.Errorf("gcp cluster = %s on %s; want 1.35 on REGULAR", p.Cluster.KubernetesVersion, p.Cluster.ReleaseChannel)
	}
	old := map[string]string{"dataplatform:cluster": `{"kubernetesVersion": "1.34"}`}
	_, err = parse(t, "dev", gcpEdge("data.example.com", "", old))
	if err == nil {
		t.Fatalf("1.34 with the edge on was accepted")
	}
	if pr := problem(t, err, "dataplatform:cluster.kubernetesVersion"); pr.Value != "1.34" || !strings.Contains(pr.Allowed, "1.35") || !strings.Contains(pr.Allowed, "TLSRoute") {
		t.Errorf("problem %+v; want value 1.34, 1.35 or later, TLSRoute", pr)
	}
	if _, err := parse(t, "dev", gcpEdge("data.example.com", `{"enabled": false}`, old)); err != nil {
		t.Errorf("1.34 without the edge was refused: %v", err)
	}
	if _, err := parse(t, "dev", gcpEdge("", "", old)); err != nil {
		t.Errorf("1.34 without a domain (no edge) was refused: %v", err)
	}
	if _, err := parse(t, "dev", gcpEdge("data.example.com", "", map[string]string{"dataplatform:cluster": `{"kubernetesVersion": "1.36"}`})); err != nil {
		t.Errorf("1.36 with the edge on was refused: %v", err)
	}
}
