package config

import (
	"net"
	"strconv"
)

// DNS records of the kubernetes target's edge (edge.dnsRecords).
//
// The clouds write a record for every host of the edge into their DNS zone (edge.dnsZone). On the
// kubernetes target the only DNS service the platform knows is the ACME DNS-01 provider the stack
// names in edge.acme.dns01 (Cloudflare with an API token, RFC 2136 with a TSIG key), so ExternalDNS
// writes the records there, with the same Secret. A self-signed edge names no provider and writes no
// records: they stay the cluster owner's (the stack exports dnsRecords saying so).

// Records reports whether ExternalDNS writes the edge's records (kubernetes target).
func (e Edge) Records() bool { return e.DNSRecords != nil && *e.DNSRecords }

// edgeRecordsDefaults turns the records on for a kubernetes edge with the acme issuer and names the
// zone after the domain; idempotent.
func (p *Platform) edgeRecordsDefaults() {
	e := &p.Edge
	if p.Cloud != Kubernetes || !e.On() {
		return
	}
	if e.DNSRecords == nil {
		on := e.Issuer == IssuerACME
		e.DNSRecords = &on
	}
	if e.Records() && e.DNSZone == "" {
		e.DNSZone = p.Domain
	}
}

// edgeRecords checks edge.dnsRecords (edge.dnsZone on kubernetes is checked by edgeDNSZone).
func (v *validator) edgeRecords() {
	p := v.p
	e := p.Edge
	if p.Cloud != Kubernetes {
		if e.DNSRecords != nil {
			v.add("edge.dnsRecords", *e.DNSRecords, "unset on %s: the platform writes the record of every host into the edge's DNS zone (edge.dnsZone)", p.Cloud)
		}
		return
	}
	if !e.Records() {
		return
	}
	if e.Issuer != IssuerACME {
		v.add("edge.dnsRecords", true, "false with edge.issuer=%s, or edge.issuer=%s: ExternalDNS writes the records through the DNS-01 provider of edge.acme.dns01, and a %s edge has none", e.Issuer, IssuerACME, e.Issuer)
		return
	}
	// external-dns@v0.22.0 provider/rfc2136/rfc2136.go tsigAlgs: hmac-sha1, -sha224, -sha256,
	// -sha384, -sha512; no hmac-md5.
	d := e.ACME.DNS01
	if d.Provider != DNS01RFC2136 {
		return
	}
	if d.TSIGAlgorithm == "HMACMD5" {
		v.add("edge.acme.dns01.tsigAlgorithm", d.TSIGAlgorithm, "HMACSHA256, HMACSHA512 or HMACSHA1 while edge.dnsRecords is on (ExternalDNS signs no HMAC-MD5), or set edge.dnsRecords=false")
	}
	// ExternalDNS takes the server as --rfc2136-host and --rfc2136-port.
	if _, port, err := net.SplitHostPort(d.Nameserver); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			v.add("edge.acme.dns01.nameserver", d.Nameserver, "host:port with a port from 1 to 65535")
		}
	}
}

// ExternalDNSTSIGAlgorithm is the name ExternalDNS (--rfc2136-tsig-secret-alg) gives the TSIG
// algorithm edge.acme.dns01.tsigAlgorithm names in cert-manager's spelling (tsigAlgorithms); empty for
// HMACMD5, which edgeRecords refuses while the records are on.
func ExternalDNSTSIGAlgorithm(certManager string) string {
	return map[string]string{"HMACSHA1": "hmac-sha1", "HMACSHA256": "hmac-sha256", "HMACSHA512": "hmac-sha512"}[certManager]
}
