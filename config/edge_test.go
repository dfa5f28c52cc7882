package config

import (
	"strings"
	"testing"
)

func k8sEdge(domain, edge string) map[string]string {
	v := map[string]string{"dataplatform:cloud": "kubernetes"}
	if domain != "" {
		v["dataplatform:domain"] = domain
	}
	if edge != "" {
		v["dataplatform:edge"] = edge
	}
	return v
}

// TestEdgeDefaults: on kubernetes the edge is on once a domain is set, self-signed, open outside
// prod and internal-only in prod; elsewhere it is off.
func TestEdgeDefaults(t *testing.T) {
	p, err := parse(t, "dev", k8sEdge("data.example.com", ""))
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if !p.Edge.On() || p.Edge.Issuer != IssuerSelfSigned || strings.Join(p.Edge.SourceRanges, ",") != "0.0.0.0/0,::/0" {
		t.Errorf("dev edge = %+v; want on, selfSigned, open", p.Edge)
	}
	p, err = parse(t, "prod", k8sEdge("data.example.com", ""))
	if err != nil {
		t.Fatalf("prod defaults: %v", err)
	}
	if got := strings.Join(p.Edge.SourceRanges, ","); got != "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7" {
		t.Errorf("prod edge.sourceRanges = %s; want the private ranges", got)
	}
	p, err = parse(t, "dev", k8sEdge("", ""))
	if err != nil || p.Edge.On() {
		t.Errorf("no domain: edge on = %v, err %v; want off without error", p != nil && p.Edge.On(), err)
	}
	p, err = parse(t, "dev", map[string]string{"dataplatform:cloud": "gcp", "dataplatform:gcpProject": "my-project-123", "dataplatform:domain": "data.example.com"})
	if err != nil || !p.Edge.On() {
		t.Errorf("gcp: edge on = %v, err %v; want on (GKE Gateway and Envoy Gateway)", p != nil && p.Edge.On(), err)
	}
	p, err = parse(t, "dev", k8sEdge("data.example.com", `{"issuer": "acme", "acme": {"email": "ops@example.com", "dns01": {"provider": "rfc2136", "secretName": "tsig", "nameserver": "192.0.2.53:53", "tsigKeyName": "edge"}}}`))
	if err != nil {
		t.Fatalf("acme rfc2136: %v", err)
	}
	d := p.Edge.ACME.DNS01
	if p.Edge.ACME.Server != LetsEncryptProduction || d.SecretKey != "tsig-secret" || d.TSIGAlgorithm != "HMACSHA256" {
		t.Errorf("acme defaults = %+v", p.Edge.ACME)
	}
}

// TestEdgeValidation: every bad edge setting is refused before anything runs, naming the key, the
// value and what is allowed.
func TestEdgeValidation(t *testing.T) {
	acme := func(rest string) string {
		return `{"issuer": "acme", "acme": {"email": "ops@example.com", "dns01": {"provider": "cloudflare", "secretName": "cloudflare"` + rest + `}}}`
	}
	for _, c := range []struct {
		name   string
		values map[string]string
		key    string
		want   string
	}{
		{"on without domain", k8sEdge("", `{"enabled": true}`), "dataplatform:domain", "dremio.<domain>"},
		{"issuer", k8sEdge("d.example.com", `{"issuer": "letsencrypt"}`), "dataplatform:edge.issuer", "selfSigned, acme"},
		{"range host bits", k8sEdge("d.example.com", `{"sourceRanges": ["10.0.0.1/8"]}`), "dataplatform:edge.sourceRanges", "host bits zero"},
		{"range not cidr", k8sEdge("d.example.com", `{"sourceRanges": ["office"]}`), "dataplatform:edge.sourceRanges", "CIDR"},
		{"no ranges", k8sEdge("d.example.com", `{"sourceRanges": []}`), "dataplatform:edge.sourceRanges", "at least one"},
		{"acme email", k8sEdge("d.example.com", `{"issuer": "acme", "acme": {"email": "ops", "dns01": {"provider": "cloudflare", "secretName": "cf"}}}`), "dataplatform:edge.acme.email", "e-mail"},
		{"dns zone on kubernetes", k8sEdge("d.example.com", `{"dnsZone": "Z0123456789"}`), "dataplatform:edge.dnsZone", "cluster owner's"},
		{"acme server", k8sEdge("d.example.com", `{"issuer": "acme", "acme": {"email": "ops@example.com", "server": "http://acme.example.com/dir", "dns01": {"provider": "cloudflare", "secretName": "cf"}}}`), "dataplatform:edge.acme.server", "https ACME directory"},
		{"acme provider", k8sEdge("d.example.com", `{"issuer": "acme", "acme": {"email": "ops@example.com", "dns01": {"provider": "route53"}}}`), "dataplatform:edge.acme.dns01.provider", "cloudflare, rfc2136"},
		{"acme secret", k8sEdge("d.example.com", `{"issuer": "acme", "acme": {"email": "ops@example.com", "dns01": {"provider": "cloudflare"}}}`), "dataplatform:edge.acme.dns01.secretName", "Secret"},
		{"rfc2136 field on cloudflare", k8sEdge("d.example.com", acme(`, "nameserver": "192.0.2.53:53"`)), "dataplatform:edge.acme.dns01.nameserver", "only the rfc2136"},
		{"rfc2136 nameserver", k8sEdge("d.example.com", `{"issuer": "acme", "acme": {"email": "ops@example.com", "dns01": {"provider": "rfc2136", "secretName": "tsig", "tsigKeyName": "k", "nameserver": "ns.example.com"}}}`), "dataplatform:edge.acme.dns01.nameserver", "host:port"},
		{"rfc2136 algorithm", k8sEdge("d.example.com", `{"issuer": "acme", "acme": {"email": "ops@example.com", "dns01": {"provider": "rfc2136", "secretName": "tsig", "tsigKeyName": "k", "nameserver": "192.0.2.53:53", "tsigAlgorithm": "SHA256"}}}`), "dataplatform:edge.acme.dns01.tsigAlgorithm", "HMACSHA256"},
		{"unknown field", k8sEdge("d.example.com", `{"issuers": "acme"}`), "dataplatform:edge.issuers", "issuer"},
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
	// A target without an edge refuses edge.enabled (gcp has one now; whichever cloud still lacks one).
	for _, cloud := range []Cloud{AWS, Azure} {
		if edgeTargets[cloud] {
			continue
		}
		_, err := parse(t, "dev", map[string]string{"dataplatform:cloud": string(cloud), "dataplatform:domain": "d.example.com", "dataplatform:edge": `{"enabled": true}`})
		if err == nil {
			t.Fatalf("%s: edge.enabled accepted", cloud)
		}
		if pr := problem(t, err, "dataplatform:edge.enabled"); !strings.Contains(pr.Allowed, "not implemented on this target") {
			t.Errorf("%s: problem %+v", cloud, pr)
		}
	}
	if _, err := parse(t, "dev", k8sEdge("d.example.com", acme(""))); err != nil {
		t.Errorf("a valid cloudflare acme edge was refused: %v", err)
	}
	if _, err := parse(t, "dev", k8sEdge("d.example.com", `{"issuer": "acme", "acme": {"dns01": {"provider": "cloudflare", "secretName": "cf"}}}`)); err != nil {
		t.Errorf("an acme edge without e-mail (optional for cert-manager and Let's Encrypt) was refused: %v", err)
	}
}

// TestEdgeInternalOnly: the clouds put the edge on an internal load balancer exactly when every
// source range is private.
func TestEdgeInternalOnly(t *testing.T) {
	for ranges, want := range map[string]bool{
		"10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7": true,
		"10.20.0.0/16":                  true,
		"10.0.0.0/8,203.0.113.0/24":     false,
		"0.0.0.0/0":                     false,
		"172.0.0.0/8":                   false, // wider than 172.16.0.0/12
		"fd12:3456::/48,192.168.1.0/24": true,
	} {
		if got := (Edge{SourceRanges: strings.Split(ranges, ",")}).InternalOnly(); got != want {
			t.Errorf("InternalOnly(%s) = %v; want %v", ranges, got, want)
		}
	}
	if (Edge{}).InternalOnly() {
		t.Errorf("no ranges: InternalOnly = true; want false")
	}
}
