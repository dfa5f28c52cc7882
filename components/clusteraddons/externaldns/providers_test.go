package externaldns

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const edgeNS = "envoy-gateway-system"

func cloudflareArgs() *Args {
	return &Args{
		Provider: Cloudflare, Domain: "data.example.com", Domains: []string{"example.com"}, OwnerID: "dataplatform-prod",
		Sources:    []Source{HTTPRoute},
		Namespace:  pulumi.String(edgeNS),
		Cloudflare: &CloudflareDNS{Token: SecretRef{Name: "cloudflare", Key: "api-token"}},
	}
}

func rfc2136Args(host string) *Args {
	return &Args{
		Provider: RFC2136, Domain: "data.example.com", Domains: []string{"example.com"}, OwnerID: "dataplatform-prod",
		Sources:        []Source{HTTPRoute},
		Namespace:      pulumi.String(edgeNS),
		APIServerCIDRs: []string{"192.0.2.10/32"},
		RFC2136: &RFC2136DNS{
			Host: host, Port: 5353, Zone: "example.com", TSIGKeyName: "edge-key", TSIGAlgorithm: "hmac-sha256",
			TSIGSecret: SecretRef{Name: "tsig", Key: "tsig-secret"},
		},
	}
}

// TestCloudflare: the API token comes from the user's Secret by reference (templates/deployment.yaml
// copies env verbatim), records are DNS-only, the pod runs in the Secret's namespace without creating
// a namespace or a Secret, and its policy selects only its own pod there.
func TestCloudflare(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, cloudflareArgs())
		require.NoError(t, err)
		c := inspect.MustNamed(t, m, "kubernetes:helm.sh/v4:Chart", "external-dns-chart")
		v := func(path ...any) string { return inspect.Str(c.Inputs, append([]any{"values"}, path...)...) }
		assert.Equal(t, edgeNS, inspect.Str(c.Inputs, "namespace"))
		assert.Equal(t, "cloudflare", v("provider", "name"))
		assert.Equal(t, "sync", v("policy"))
		assert.Equal(t, "txt", v("registry"))
		assert.Equal(t, "CF_API_TOKEN", v("env", 0, "name"))
		assert.Equal(t, "cloudflare", v("env", 0, "valueFrom", "secretKeyRef", "name"))
		assert.Equal(t, "api-token", v("env", 0, "valueFrom", "secretKeyRef", "key"))
		assert.False(t, inspect.Has(c.Inputs, "values", "env", 0, "value"), "no credential value in the chart values")
		off, ok := inspect.Bool(c.Inputs, "values", "extraArgs", "cloudflare-proxied")
		assert.True(t, ok && !off, "cloudflare-proxied false renders --no-cloudflare-proxied")
		assert.Equal(t, []string{"data.example.com", "example.com"}, inspect.Strs(c.Inputs, "values", "domainFilters"))
		assert.Equal(t, []string{"gateway-httproute"}, inspect.Strs(c.Inputs, "values", "sources"))

		assert.Empty(t, m.ByType("kubernetes:core/v1:Namespace"))
		assert.Empty(t, m.ByType("kubernetes:core/v1:Secret"))
		np := inspect.MustNamed(t, m, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "external-dns-network-policy")
		assert.Equal(t, edgeNS, inspect.Str(np.Inputs, "metadata", "namespace"))
		assert.Equal(t, "external-dns", inspect.Str(np.Inputs, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name"))
		assert.Equal(t, "external-dns", inspect.Str(np.Inputs, "spec", "podSelector", "matchLabels", "app.kubernetes.io/instance"))
		assert.Equal(t, 2, inspect.Len(np.Inputs, "spec", "egress"), "cluster DNS, and HTTPS for the API server and api.cloudflare.com")
		assert.Empty(t, inspect.Protected(m))

		// With the API server's addresses known, HTTPS to anywhere is for the Cloudflare API only.
		a := cloudflareArgs()
		a.APIServerCIDRs = []string{"192.0.2.10/32"}
		m, err = run(t, preview, a)
		require.NoError(t, err)
		np = inspect.MustNamed(t, m, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "external-dns-network-policy")
		require.Equal(t, 3, inspect.Len(np.Inputs, "spec", "egress"))
		assert.Equal(t, "192.0.2.10/32", inspect.Str(np.Inputs, "spec", "egress", 1, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, 1, inspect.Len(np.Inputs, "spec", "egress", 2, "ports"))
		assert.Equal(t, 443.0, inspect.Num(np.Inputs, "spec", "egress", 2, "ports", 0, "port"))
	})
}

// TestRFC2136: the provider flags as docs/flags.md names them, AXFR on (without it the TXT registry
// cannot read the zone), the TSIG secret through EXTERNAL_DNS_RFC2136_TSIG_SECRET from the Secret,
// and egress to the server's address on its port, UDP and TCP, besides the API server.
func TestRFC2136(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, rfc2136Args("2001:db8::53"))
		require.NoError(t, err)
		c := inspect.MustNamed(t, m, "kubernetes:helm.sh/v4:Chart", "external-dns-chart")
		v := func(path ...any) string { return inspect.Str(c.Inputs, append([]any{"values"}, path...)...) }
		assert.Equal(t, "rfc2136", v("provider", "name"))
		for flag, want := range map[string]string{
			"rfc2136-host": "2001:db8::53", "rfc2136-port": "5353", "rfc2136-zone": "example.com",
			"rfc2136-tsig-keyname": "edge-key", "rfc2136-tsig-secret-alg": "hmac-sha256",
		} {
			assert.Equal(t, want, v("extraArgs", flag), flag)
		}
		axfr, ok := inspect.Bool(c.Inputs, "values", "extraArgs", "rfc2136-axfr")
		assert.True(t, ok && axfr)
		assert.False(t, inspect.Has(c.Inputs, "values", "extraArgs", "rfc2136-tsig-secret"), "the secret is never an argument")
		assert.Equal(t, "EXTERNAL_DNS_RFC2136_TSIG_SECRET", v("env", 0, "name"))
		assert.Equal(t, "tsig", v("env", 0, "valueFrom", "secretKeyRef", "name"))
		assert.Equal(t, "tsig-secret", v("env", 0, "valueFrom", "secretKeyRef", "key"))

		np := inspect.MustNamed(t, m, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "external-dns-network-policy")
		require.Equal(t, 3, inspect.Len(np.Inputs, "spec", "egress"), "cluster DNS, the API server, the RFC 2136 server; no HTTPS to anywhere")
		assert.Equal(t, []string{"192.0.2.10/32"}, []string{inspect.Str(np.Inputs, "spec", "egress", 1, "to", 0, "ipBlock", "cidr")})
		assert.Equal(t, 1, inspect.Len(np.Inputs, "spec", "egress", 1, "to"))
		assert.Equal(t, "2001:db8::53/128", inspect.Str(np.Inputs, "spec", "egress", 2, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, 1, inspect.Len(np.Inputs, "spec", "egress", 2, "to"))
		assert.Equal(t, "UDP", inspect.Str(np.Inputs, "spec", "egress", 2, "ports", 0, "protocol"))
		assert.Equal(t, "TCP", inspect.Str(np.Inputs, "spec", "egress", 2, "ports", 1, "protocol"))
		assert.Equal(t, 5353.0, inspect.Num(np.Inputs, "spec", "egress", 2, "ports", 1, "port"))

		// A server given by name: any address, on that port only.
		m, err = run(t, preview, rfc2136Args("ns1.example.com"))
		require.NoError(t, err)
		np = inspect.MustNamed(t, m, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "external-dns-network-policy")
		assert.Equal(t, "0.0.0.0/0", inspect.Str(np.Inputs, "spec", "egress", 2, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, 5353.0, inspect.Num(np.Inputs, "spec", "egress", 2, "ports", 0, "port"))
	})
}

// TestSecretProviderValidation: bad Cloudflare and RFC 2136 input is refused before anything is
// registered.
func TestSecretProviderValidation(t *testing.T) {
	for name, c := range map[string]struct {
		args *Args
		want string
	}{
		"no namespace":  {func() *Args { a := cloudflareArgs(); a.Namespace = nil; return a }(), "set Namespace"},
		"no token":      {func() *Args { a := cloudflareArgs(); a.Cloudflare = nil; return a }(), "Cloudflare (the API token"},
		"token key":     {func() *Args { a := cloudflareArgs(); a.Cloudflare.Token.Key = ""; return a }(), "Cloudflare.Token"},
		"no server":     {func() *Args { a := rfc2136Args("x"); a.RFC2136 = nil; return a }(), "rfc2136 needs RFC2136"},
		"bracketed ip":  {rfc2136Args("[2001:db8::53]"), `Host "[2001:db8::53]"`},
		"port":          {func() *Args { a := rfc2136Args("192.0.2.53"); a.RFC2136.Port = 0; return a }(), "Port 0"},
		"zone":          {func() *Args { a := rfc2136Args("192.0.2.53"); a.RFC2136.Zone = "example.org"; return a }(), `Zone "example.org"`},
		"md5":           {func() *Args { a := rfc2136Args("192.0.2.53"); a.RFC2136.TSIGAlgorithm = "hmac-md5"; return a }(), `TSIGAlgorithm "hmac-md5"`},
		"key name":      {func() *Args { a := rfc2136Args("192.0.2.53"); a.RFC2136.TSIGKeyName = "edge key"; return a }(), "TSIGKeyName"},
		"tsig secret":   {func() *Args { a := rfc2136Args("192.0.2.53"); a.RFC2136.TSIGSecret.Name = "Bad_Name"; return a }(), "RFC2136.TSIGSecret"},
		"api server ip": {func() *Args { a := rfc2136Args("192.0.2.53"); a.APIServerCIDRs = []string{"192.0.2.10"}; return a }(), "APIServerCIDRs"},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := run(t, false, c.args)
			require.ErrorContains(t, err, c.want)
			assert.Empty(t, m.ByType("kubernetes:helm.sh/v4:Chart"))
			assert.Empty(t, m.ByType("kubernetes:networking.k8s.io/v1:NetworkPolicy"))
		})
	}
}
