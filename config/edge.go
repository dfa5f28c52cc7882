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
	// IssuerACME: an ACME CA (Let's Encrypt by default) issues them after a DNS-01 challenge. On
	// azure and gcp the challenge records go to the edge's cloud DNS zone (edge.dnsZone), written by
	// cert-manager under workload identity; on kubernetes to the provider edge.acme.dns01 names.
	IssuerACME = "acme"
	// IssuerACM: AWS Certificate Manager issues public certificates validated in the Route 53 zone
	// (the AWS Load Balancer Controller serves only ACM certificates). The only issuer on aws.
	IssuerACM = "acm"
)

// edgeTargets are the targets the edge is implemented on; each cloud's edge adds itself.
var edgeTargets = map[Cloud]bool{Kubernetes: true}

// defaultIssuer is the issuer a target uses unless edge.issuer names another.
func defaultIssuer(c Cloud) string {
	switch c {
	case AWS:
		return IssuerACM
	case Azure, GCP:
		return IssuerACME // the zone is in the cloud's DNS: DNS-01 needs nothing from the user
	}
	return IssuerSelfSigned
}

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
	// Issuer is selfSigned or acme (kubernetes, azure, gcp) or acm (aws). Default: selfSigned on
	// kubernetes, acm on aws, acme on azure and gcp. On gcp the HTTPS listeners always carry
	// Google-managed Certificate Manager certificates; the issuer covers the TLS endpoints.
	Issuer string `json:"issuer"`
	// ACME configures the acme issuer.
	ACME ACME `json:"acme"`
	// SourceRanges are the client CIDR blocks allowed to connect. Default: anywhere (0.0.0.0/0, ::/0)
	// in dev and staging; the private ranges (RFC 1918, RFC 4193) in prod — internal-only until the
	// stack names its public ranges.
	SourceRanges []string `json:"sourceRanges"`
	// DNSZone is the cloud DNS zone that holds a record for every host of the edge (and the ACME
	// challenges): a Route 53 hosted zone ID (aws), an Azure DNS zone's resource ID (azure), a Cloud
	// DNS managed zone's name (gcp); the zone's name is dataplatform:domain or a parent of it. Empty:
	// the platform creates a public zone named dataplatform:domain and exports its name servers
	// (dnsNameServers), which the parent zone delegates to. On kubernetes, with edge.dnsRecords: the
	// DNS name of the zone at the DNS-01 provider (Cloudflare zone, RFC 2136 zone), the domain or a
	// parent of it; default the domain. Without edge.dnsRecords it stays empty (the records are the
	// cluster owner's).
	DNSZone string `json:"dnsZone"`
	// DNSRecords (kubernetes only) has ExternalDNS write an A/AAAA record for every host of the edge,
	// through the DNS-01 provider of edge.acme.dns01 and its Secret. Default: on with the acme issuer,
	// off (and refused) with selfSigned. Details in config/k8sdns.go.
	DNSRecords *bool `json:"dnsRecords"`
}

// InternalOnly reports whether every source range is private (RFC 1918, RFC 4193, or inside them):
// the clouds then put the edge on an internal load balancer.
func (e Edge) InternalOnly() bool {
	if len(e.SourceRanges) == 0 {
		return false
	}
	for _, r := range e.SourceRanges {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return false
		}
		private := false
		for _, q := range defaultSourceRanges(Prod) {
			pq := netip.MustParsePrefix(q)
			if pq.Bits() <= p.Bits() && pq.Contains(p.Addr()) {
				private = true
			}
		}
		if !private {
			return false
		}
	}
	return true
}

// ACME is the ACME account and its DNS-01 solver.
type ACME struct {
	// Email is the ACME account's contact. Optional (cert-manager@v1.21.1 pkg/apis/acme/v1/
	// types_issuer.go ACMEIssuer.Email is omitempty; Let's Encrypt sends no expiry mail since 2025).
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
		on := edgeTargets[p.Cloud] && p.Domain != ""
		e.Enabled = &on
	}
	if e.Issuer == "" {
		e.Issuer = defaultIssuer(p.Cloud)
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
	p.edgeRecordsDefaults()
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
	if !edgeTargets[p.Cloud] {
		v.add("edge.enabled", true, "false on %s: the edge is not implemented on this target yet", p.Cloud)
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
	v.edgeDNSZone()
	v.edgeRecords()
	switch {
	case p.Cloud == AWS && e.Issuer != IssuerACM:
		v.add("edge.issuer", e.Issuer, "%s on aws: the AWS Load Balancer Controller serves ACM certificates only", IssuerACM)
	case p.Cloud != AWS && e.Issuer == IssuerSelfSigned:
	case p.Cloud != AWS && e.Issuer == IssuerACME:
		v.acme(e.ACME, p.Cloud == Kubernetes)
	case p.Cloud != AWS:
		v.add("edge.issuer", e.Issuer, "one of %s, %s", IssuerSelfSigned, IssuerACME)
	}
}

var (
	route53ZoneID = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	azureDNSZone  = regexp.MustCompile(`(?i)^/subscriptions/[0-9a-f-]{36}/resourceGroups/[-\w._()]{1,90}/providers/Microsoft\.Network/dnszones/([a-z0-9.-]{1,253})$`)
)

// edgeDNSZone checks edge.dnsZone against the target's zone identifiers.
func (v *validator) edgeDNSZone() {
	p := v.p
	z := p.Edge.DNSZone
	if z == "" {
		return
	}
	switch p.Cloud {
	case Kubernetes:
		if !p.Edge.Records() {
			v.add("edge.dnsZone", z, "empty on kubernetes without edge.dnsRecords: the records of dremio.<domain> and airbyte.<domain> are then the cluster owner's")
		} else if p.Domain != z && !strings.HasSuffix(p.Domain, "."+z) {
			v.add("edge.dnsZone", z, "the DNS name of the zone at the DNS-01 provider: %s or a parent of it", p.Domain)
		}
	case AWS:
		if !route53ZoneID.MatchString(z) {
			v.add("edge.dnsZone", z, "a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ, or empty to create a zone for the domain")
		}
	case Azure:
		m := azureDNSZone.FindStringSubmatch(z)
		if m == nil {
			v.add("edge.dnsZone", z, "an Azure DNS zone's resource ID, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/dnszones/<zone>, or empty to create a zone for the domain")
		} else if zone := strings.ToLower(m[1]); p.Domain != zone && !strings.HasSuffix(p.Domain, "."+zone) {
			v.add("edge.dnsZone", z, "a zone for %s or a parent of it; %s is neither", p.Domain, zone)
		}
	case GCP:
		if !dnsLabelRE.MatchString(z) {
			v.add("edge.dnsZone", z, "a Cloud DNS managed zone's name (not its DNS name), such as data-example-com, or empty to create a zone for the domain")
		}
	}
}

// acme checks the ACME settings; the DNS-01 solver is the user's on kubernetes (needSolver) and the
// platform's own (the cloud DNS zone) elsewhere.
func (v *validator) acme(a ACME, needSolver bool) {
	if a.Email != "" && !email.MatchString(a.Email) {
		v.add("edge.acme.email", a.Email, "the ACME account's contact e-mail address, or empty")
	}
	if u, err := url.Parse(a.Server); err != nil || u.Scheme != "https" || u.Host == "" {
		v.add("edge.acme.server", a.Server, "an https ACME directory URL, e.g. %s or %s", LetsEncryptProduction, LetsEncryptStaging)
	}
	d := a.DNS01
	if !needSolver {
		if d != (DNS01{}) {
			v.add("edge.acme.dns01", d.Provider, "unset on %s: the challenges go to the edge's DNS zone (edge.dnsZone)", v.p.Cloud)
		}
		return
	}
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
