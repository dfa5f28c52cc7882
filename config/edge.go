package config

import (
	"net/netip"
	"net/url"
	"regexp"
	"strings"
)

// KeyEdge is the edge's configuration object (`dataplatform:edge`).
const KeyEdge = "edge"

// Issuers of the edge's certificates.
const (
	// IssuerSelfSigned: a private root CA the platform generates issues the certificates; clients
	// trust the CA the stack exports (local and internal clusters).
	IssuerSelfSigned = "selfSigned"
	// IssuerACME: an ACME CA (Let's Encrypt by default) issues them after a DNS-01 challenge.
	IssuerACME = "acme"
)

// ACME directories (cert-manager@v1.21.1 pkg/apis/acme/v1/types_issuer.go ACMEIssuer.Server: "the URL
// used to access the ACME server's 'directory' endpoint").
const (
	LetsEncryptProduction = "https://acme-v02.api.letsencrypt.org/directory"
	LetsEncryptStaging    = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// DNS-01 providers the edge configures.
const (
	DNS01Cloudflare = "cloudflare"
	DNS01RFC2136    = "rfc2136"
)

// Edge configures the platform's edge (`dataplatform:edge`): the Gateway in front of Dremio and
// Airbyte, its certificates and who may reach it. Only the kubernetes target has an edge so far.
type Edge struct {
	// Enabled deploys the edge. Default: on the kubernetes target when dataplatform:domain is set.
	Enabled *bool `json:"enabled"`
	// Issuer is selfSigned (default) or acme.
	Issuer string `json:"issuer"`
	// ACME configures the acme issuer.
	ACME ACME `json:"acme"`
	// SourceRanges are the client CIDR blocks allowed to connect. Default: anywhere (0.0.0.0/0, ::/0)
	// in dev and staging; the private ranges (RFC 1918, RFC 4193) in prod — internal-only until the
	// stack names its public ranges.
	SourceRanges []string `json:"sourceRanges"`
}

// ACME is the ACME account and its DNS-01 solver.
type ACME struct {
	// Email is the ACME account's contact (expiry notices). Required.
	Email string `json:"email"`
	// Server is the ACME directory URL; default Let's Encrypt production.
	Server string `json:"server"`
	// DNS01 is the challenge solver.
	DNS01 DNS01 `json:"dns01"`
}

// DNS01 names the DNS provider that publishes the challenge records, and the Secret (which the user
// creates in the edge's namespace) holding its credential.
type DNS01 struct {
	// Provider is cloudflare or rfc2136.
	Provider string `json:"provider"`
	// SecretName is the Secret with the Cloudflare API token or the RFC 2136 TSIG secret.
	SecretName string `json:"secretName"`
	// SecretKey is the key in that Secret; default "api-token" (cloudflare) or "tsig-secret" (rfc2136).
	SecretKey string `json:"secretKey"`
	// Nameserver (rfc2136) is the authoritative server's host:port.
	Nameserver string `json:"nameserver"`
	// TSIGKeyName (rfc2136) is the TSIG key's name.
	TSIGKeyName string `json:"tsigKeyName"`
	// TSIGAlgorithm (rfc2136): HMACSHA256 (default), HMACSHA512, HMACSHA1 or HMACMD5.
	TSIGAlgorithm string `json:"tsigAlgorithm"`
}

// On reports whether the stack deploys the edge.
func (e Edge) On() bool { return e.Enabled != nil && *e.Enabled }

// defaultSourceRanges is the edge's default client allowlist per environment.
func defaultSourceRanges(env Environment) []string {
	if env == Prod {
		return []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}
	}
	return []string{"0.0.0.0/0", "::/0"}
}

// edgeDefaults fills what the stack left unset, once the domain and target are known.
func (p *Platform) edgeDefaults() {
	e := &p.Edge
	if e.Enabled == nil {
		on := p.Cloud == Kubernetes && p.Domain != ""
		e.Enabled = &on
	}
	if e.Issuer == "" {
		e.Issuer = IssuerSelfSigned
	}
	if e.SourceRanges == nil {
		e.SourceRanges = defaultSourceRanges(p.Environment)
	}
	if e.Issuer == IssuerACME {
		if e.ACME.Server == "" {
			e.ACME.Server = LetsEncryptProduction
		}
		d := &e.ACME.DNS01
		if d.SecretKey == "" {
			switch d.Provider {
			case DNS01Cloudflare:
				d.SecretKey = "api-token"
			case DNS01RFC2136:
				d.SecretKey = "tsig-secret"
			}
		}
		if d.Provider == DNS01RFC2136 && d.TSIGAlgorithm == "" {
			d.TSIGAlgorithm = "HMACSHA256"
		}
	}
}

var (
	email          = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	secretKeyChars = regexp.MustCompile(`^[-._a-zA-Z0-9]{1,253}$`)
	tsigAlgorithms = []string{"HMACSHA256", "HMACSHA512", "HMACSHA1", "HMACMD5"}
)

// edge checks the edge's settings.
func (v *validator) edge() {
	p := v.p
	p.edgeDefaults()
	e := p.Edge
	if !e.On() {
		return
	}
	if p.Cloud != Kubernetes {
		v.add("edge.enabled", true, "false on %s: the edge is implemented on the kubernetes target only so far", p.Cloud)
		return
	}
	if p.Domain == "" {
		v.add(KeyDomain, "", "a lower-case DNS name such as data.example.com: the edge serves dremio.<domain> and airbyte.<domain> (or set edge.enabled=false)")
	}
	if len(e.SourceRanges) == 0 {
		v.add("edge.sourceRanges", "[]", "at least one CIDR block allowed to connect, e.g. [\"0.0.0.0/0\"] or the office's range")
	}
	for _, c := range e.SourceRanges {
		if pr, err := netip.ParsePrefix(c); err != nil || pr.Masked() != pr {
			v.add("edge.sourceRanges", c, "a CIDR block with its host bits zero, e.g. 203.0.113.0/24 or 2001:db8::/32")
		}
	}
	switch e.Issuer {
	case IssuerSelfSigned:
	case IssuerACME:
		v.acme(e.ACME)
	default:
		v.add("edge.issuer", e.Issuer, "one of %s, %s", IssuerSelfSigned, IssuerACME)
	}
}

func (v *validator) acme(a ACME) {
	if !email.MatchString(a.Email) {
		v.add("edge.acme.email", a.Email, "the ACME account's contact e-mail address (expiry notices)")
	}
	if u, err := url.Parse(a.Server); err != nil || u.Scheme != "https" || u.Host == "" {
		v.add("edge.acme.server", a.Server, "an https ACME directory URL, e.g. %s or %s", LetsEncryptProduction, LetsEncryptStaging)
	}
	d := a.DNS01
	switch d.Provider {
	case DNS01Cloudflare, DNS01RFC2136:
	default:
		v.add("edge.acme.dns01.provider", d.Provider, "one of %s, %s", DNS01Cloudflare, DNS01RFC2136)
		return
	}
	if !dnsLabelRE.MatchString(d.SecretName) {
		v.add("edge.acme.dns01.secretName", d.SecretName, "the name of the Secret you create in the edge namespace with the %s credential", d.Provider)
	}
	if !secretKeyChars.MatchString(d.SecretKey) {
		v.add("edge.acme.dns01.secretKey", d.SecretKey, "a Secret data key (letters, digits, '-', '_', '.')")
	}
	if d.Provider != DNS01RFC2136 {
		for key, val := range map[string]string{"nameserver": d.Nameserver, "tsigKeyName": d.TSIGKeyName, "tsigAlgorithm": d.TSIGAlgorithm} {
			if val != "" {
				v.add("edge.acme.dns01."+key, val, "unset: only the rfc2136 provider uses it")
			}
		}
		return
	}
	if !nameserver(d.Nameserver) {
		v.add("edge.acme.dns01.nameserver", d.Nameserver, "the authoritative DNS server as host:port, e.g. 192.0.2.53:53 or [2001:db8::53]:53")
	}
	if d.TSIGKeyName == "" || strings.ContainsAny(d.TSIGKeyName, " \t") {
		v.add("edge.acme.dns01.tsigKeyName", d.TSIGKeyName, "the TSIG key's name as configured on the DNS server")
	}
	if !contains(tsigAlgorithms, d.TSIGAlgorithm) {
		v.add("edge.acme.dns01.tsigAlgorithm", d.TSIGAlgorithm, "one of %s", strings.Join(tsigAlgorithms, ", "))
	}
}

var hostPort = regexp.MustCompile(`^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+):[0-9]{1,5}$`)

func nameserver(s string) bool { return hostPort.MatchString(s) }

var dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
