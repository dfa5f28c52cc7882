package externaldns

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Providers whose credential is a Kubernetes Secret the user creates: the same Secret cert-manager's
// DNS-01 solver reads on the kubernetes target (external-dns@v0.22.0 provider/cloudflare,
// provider/rfc2136). ExternalDNS must then run in that Secret's namespace (Args.Namespace): a pod can
// only take an environment variable from a Secret of its own namespace, and the platform keeps no
// second copy of the credential.
const (
	// Cloudflare reads an API token (Zone:Read and DNS:Edit) from CF_API_TOKEN.
	Cloudflare Provider = "cloudflare"
	// RFC2136 sends dynamic updates signed with a TSIG key and reads the zone by AXFR.
	RFC2136 Provider = "rfc2136"
)

// SecretRef names a key of a Secret in Args.Namespace.
type SecretRef struct {
	Name, Key string
}

// CloudflareDNS is the Cloudflare provider's credential. The zone is found by name: the Cloudflare
// provider keeps only the zones that match the domain filter (external-dns@v0.22.0
// provider/cloudflare/cloudflare.go Zones(): "if !p.domainFilter.Match(zone.Name)"), so a zone named a
// parent of Domain goes into Args.Domains.
type CloudflareDNS struct {
	// Token is the Secret key holding the API token (environment variable CF_API_TOKEN,
	// provider/cloudflare/cloudflare.go cfAPITokenEnvKey).
	Token SecretRef
}

// RFC2136DNS is an authoritative server that accepts TSIG-signed updates (external-dns@v0.22.0
// docs/flags.md, pkg/apis/externaldns/types.go bindFlags).
type RFC2136DNS struct {
	// Host is the server's IP address or name (--rfc2136-host; provider/rfc2136/rfc2136.go joins it
	// with the port by net.JoinHostPort, so an IPv6 address goes without brackets). Port is
	// --rfc2136-port.
	Host string
	Port int
	// Zone is the zone updated and transferred (--rfc2136-zone): the domain or a parent of it.
	Zone string
	// TSIGKeyName is --rfc2136-tsig-keyname; TSIGAlgorithm is --rfc2136-tsig-secret-alg, one of the
	// provider's tsigAlgs: hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512.
	TSIGKeyName, TSIGAlgorithm string
	// TSIGSecret is the Secret key holding the base64 TSIG secret, handed over as the environment
	// variable EXTERNAL_DNS_RFC2136_TSIG_SECRET (pkg/apis/externaldns/types.go App():
	// app.DefaultEnvars(), "`--flag value` -> `EXTERNAL_DNS_FLAG=value`"), never as an argument that
	// `kubectl get pod -o yaml` would show.
	TSIGSecret SecretRef
}

// TSIGAlgorithms are the values --rfc2136-tsig-secret-alg accepts (provider/rfc2136/rfc2136.go tsigAlgs).
var TSIGAlgorithms = []string{"hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"}

var (
	secretName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
	secretKey  = regexp.MustCompile(`^[-._a-zA-Z0-9]{1,253}$`)
	hostName   = regexp.MustCompile(`^[a-zA-Z0-9]([-a-zA-Z0-9.]{0,251}[a-zA-Z0-9.])?$`)
)

func (s SecretRef) validate(what string) error {
	if !secretName.MatchString(s.Name) || !secretKey.MatchString(s.Key) {
		return fmt.Errorf("externaldns: %s = %+v; name a Secret (lower-case DNS name) and its key", what, s)
	}
	return nil
}

// validateSecretProvider checks the Cloudflare and RFC 2136 settings.
func (a *Args) validateSecretProvider() error {
	if a.Namespace == nil {
		return fmt.Errorf("externaldns: %s reads its credential from a Secret; set Namespace to the Secret's namespace", a.Provider)
	}
	switch a.Provider {
	case Cloudflare:
		if a.Cloudflare == nil {
			return fmt.Errorf("externaldns: cloudflare needs Cloudflare (the API token's Secret)")
		}
		return a.Cloudflare.Token.validate("Cloudflare.Token")
	case RFC2136:
		r := a.RFC2136
		if r == nil {
			return fmt.Errorf("externaldns: rfc2136 needs RFC2136 (server, zone, TSIG key)")
		}
		if _, err := netip.ParseAddr(r.Host); err != nil && !hostName.MatchString(r.Host) {
			return fmt.Errorf("externaldns: RFC2136.Host %q is neither an IP address (no brackets) nor a host name", r.Host)
		}
		if r.Port < 1 || r.Port > 65535 {
			return fmt.Errorf("externaldns: RFC2136.Port %d; allowed: 1-65535", r.Port)
		}
		if !dnsName.MatchString(r.Zone) || (a.Domain != r.Zone && !strings.HasSuffix(a.Domain, "."+r.Zone)) {
			return fmt.Errorf("externaldns: RFC2136.Zone %q must be Domain %q or a parent of it", r.Zone, a.Domain)
		}
		if r.TSIGKeyName == "" || strings.ContainsAny(r.TSIGKeyName, " \t\n") {
			return fmt.Errorf("externaldns: RFC2136.TSIGKeyName %q is not a TSIG key name", r.TSIGKeyName)
		}
		if !slices.Contains(TSIGAlgorithms, r.TSIGAlgorithm) {
			return fmt.Errorf("externaldns: RFC2136.TSIGAlgorithm %q; allowed: %v", r.TSIGAlgorithm, TSIGAlgorithms)
		}
		return r.TSIGSecret.validate("RFC2136.TSIGSecret")
	}
	return nil
}

// fromSecret is an env entry taking its value from a Secret key (the chart's `env` is copied into the
// container verbatim: templates/deployment.yaml "env: {{- toYaml . }}").
func fromSecret(env string, s SecretRef) pulumi.Map {
	return pulumi.Map{"name": pulumi.String(env), "valueFrom": pulumi.Map{"secretKeyRef": pulumi.Map{
		"name": pulumi.String(s.Name), "key": pulumi.String(s.Key),
	}}}
}

// secretProviderValues adds the provider's flags and credential to the chart values. extraArgs is a
// map: templates/deployment.yaml renders a string value as "--key=value" and a bool as "--key" or
// "--no-key".
func secretProviderValues(v pulumi.Map, a *Args) {
	switch a.Provider {
	case Cloudflare:
		v["env"] = pulumi.Array{fromSecret("CF_API_TOKEN", a.Cloudflare.Token)}
		// DNS-only records (--[no-]cloudflare-proxied, default off, stated here): Cloudflare's proxy
		// carries HTTP(S) only, not the TLS endpoints of Arrow Flight (32010) and JDBC (31010), and
		// would terminate TLS with Cloudflare's certificate instead of the edge's.
		v["extraArgs"] = pulumi.Map{"cloudflare-proxied": pulumi.Bool(false)}
	case RFC2136:
		r := a.RFC2136
		v["env"] = pulumi.Array{fromSecret("EXTERNAL_DNS_RFC2136_TSIG_SECRET", r.TSIGSecret)}
		v["extraArgs"] = pulumi.Map{
			"rfc2136-host":            pulumi.String(r.Host),
			"rfc2136-port":            pulumi.String(strconv.Itoa(r.Port)),
			"rfc2136-zone":            pulumi.String(r.Zone),
			"rfc2136-tsig-keyname":    pulumi.String(r.TSIGKeyName),
			"rfc2136-tsig-secret-alg": pulumi.String(r.TSIGAlgorithm),
			// docs/flags.md --rfc2136-axfr: "without it ExternalDNS cannot read records and behaves
			// as if --policy=create-only" — the TXT registry and sync need to read the zone.
			"rfc2136-axfr": pulumi.Bool(true),
		}
	}
}

// nameserverEgress admits the RFC 2136 server on its port, UDP (updates) and TCP (AXFR, large
// answers): only that address when Host is an IP address; any address on that port when it is a
// name (a NetworkPolicy cannot select by name).
func nameserverEgress(r *RFC2136DNS) *networkingv1.NetworkPolicyEgressRuleArgs {
	ports := networkingv1.NetworkPolicyPortArray{
		&networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("UDP"), Port: pulumi.Int(r.Port)},
		&networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(r.Port)},
	}
	var peers networkingv1.NetworkPolicyPeerArray
	if ip, err := netip.ParseAddr(r.Host); err == nil {
		peers = append(peers, &networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{
			Cidr: pulumi.String(netip.PrefixFrom(ip, ip.BitLen()).String()),
		}})
	} else {
		peers = anywhere()
	}
	return &networkingv1.NetworkPolicyEgressRuleArgs{To: peers, Ports: ports}
}

// anywhere is every address but the cloud instance metadata endpoint.
func anywhere() networkingv1.NetworkPolicyPeerArray {
	return networkingv1.NetworkPolicyPeerArray{
		&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("0.0.0.0/0"), Except: pulumi.StringArray{pulumi.String(metadataEndpoint)}}},
		&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("::/0")}},
	}
}
