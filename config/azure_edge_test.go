package config

import (
	"strings"
	"testing"
)

func azureEdge(domain, edge, cluster string) map[string]string {
	v := map[string]string{"dataplatform:cloud": "azure", "dataplatform:region": "swedencentral"}
	if domain != "" {
		v["dataplatform:domain"] = domain
	}
	if edge != "" {
		v["dataplatform:edge"] = edge
	}
	if cluster != "" {
		v["dataplatform:cluster"] = cluster
	}
	return v
}

// TestAzureEdgeDefaults: on azure the edge is on once a domain is set, its certificates come from
// ACME (Let's Encrypt, DNS-01 into the edge's Azure DNS zone), it is open outside prod and
// internal-only in prod; without a domain it is off.
func TestAzureEdgeDefaults(t *testing.T) {
	p, err := parse(t, "dev", azureEdge("data.example.com", "", ""))
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if !p.Edge.On() || p.Edge.Issuer != IssuerACME || p.Edge.ACME.Server != LetsEncryptProduction || p.Edge.InternalOnly() {
		t.Errorf("dev edge = %+v; want on, acme from Let's Encrypt, public", p.Edge)
	}
	p, err = parse(t, "prod", azureEdge("data.example.com", "", ""))
	if err != nil {
		t.Fatalf("prod defaults: %v", err)
	}
	if !p.Edge.InternalOnly() {
		t.Errorf("prod edge.sourceRanges = %v; want internal-only", p.Edge.SourceRanges)
	}
	p, err = parse(t, "dev", azureEdge("", "", ""))
	if err != nil || p.Edge.On() {
		t.Errorf("no domain: edge on = %v, err %v; want off without error", p != nil && p.Edge.On(), err)
	}
	p, err = parse(t, "staging", azureEdge("data.example.com", `{"issuer": "selfSigned", "dnsZone": "/subscriptions/5b1f4c1e-3a7d-4a55-9b0e-1d2c3b4a5f60/resourceGroups/dns/providers/Microsoft.Network/dnszones/example.com"}`, ""))
	if err != nil || p.Edge.Issuer != IssuerSelfSigned {
		t.Errorf("selfSigned with a parent zone: %v, %+v", err, p)
	}
}

// TestAzureEdgeValidation: what the Azure edge cannot take is refused with the key, the value and
// what is allowed.
func TestAzureEdgeValidation(t *testing.T) {
	for _, c := range []struct {
		name, edge, cluster, key, value, allowed string
	}{
		{"acm", `{"issuer": "acm"}`, "", "dataplatform:edge.issuer", "acm", "selfSigned"},
		{"solver", `{"acme": {"dns01": {"provider": "cloudflare", "secretName": "cf"}}}`, "", "dataplatform:edge.acme.dns01", "cloudflare", "edge.dnsZone"},
		{"zone id", `{"dnsZone": "example.com"}`, "", "dataplatform:edge.dnsZone", "example.com", "resource ID"},
		{"zone not a parent", `{"dnsZone": "/subscriptions/5b1f4c1e-3a7d-4a55-9b0e-1d2c3b4a5f60/resourceGroups/dns/providers/Microsoft.Network/dnszones/example.org"}`, "", "dataplatform:edge.dnsZone", "", "parent"},
		{"old cluster", "", `{"kubernetesVersion": "1.31"}`, "dataplatform:cluster.kubernetesVersion", "1.31", "1.32"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, "dev", azureEdge("data.example.com", c.edge, c.cluster))
			p := problem(t, err, c.key)
			if c.value != "" && p.Value != c.value {
				t.Errorf("%s value = %v; want %s", c.key, p.Value, c.value)
			}
			if !strings.Contains(p.Allowed, c.allowed) {
				t.Errorf("%s allowed = %q; want it to mention %q", c.key, p.Allowed, c.allowed)
			}
		})
	}
	// Without the edge, an older control plane is the platform's floor's business only.
	if _, err := parse(t, "dev", azureEdge("", "", `{"kubernetesVersion": "1.31"}`)); err != nil {
		t.Errorf("1.31 without the edge refused: %v", err)
	}
}
