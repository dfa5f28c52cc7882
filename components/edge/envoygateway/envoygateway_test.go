package envoygateway

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	domain   = "data.example.com"
	appsNS   = "dataplatform"
	gwType   = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	httpType = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
	tcpType  = "kubernetes:gateway.networking.k8s.io/v1:TCPRoute"
	npType   = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
)

// routes are what Dremio and Airbyte publish (the engine packages' Routes, restated here so that this
// package's tests do not depend on theirs).
func routes() []edge.Route {
	return []edge.Route{
		{Name: "dremio-ui", Host: "dremio", Service: "dremio-client", Namespace: appsNS, Port: 9047, Protocol: edge.HTTP},
		{Name: "dremio-flight", Host: "dremio", Service: "dremio-client", Namespace: appsNS, Port: 32010, Protocol: edge.GRPC, ListenPort: 32010},
		{Name: "dremio-jdbc", Host: "dremio", Service: "dremio-client", Namespace: appsNS, Port: 31010, Protocol: edge.TCP, ListenPort: 31010},
		{Name: "airbyte", Host: "airbyte", Service: "airbyte-airbyte-server-svc", Namespace: appsNS, Port: 8001, Protocol: edge.HTTP},
	}
}

func args() *EdgeArgs {
	return &EdgeArgs{Domain: domain, Routes: routes(), Issuer: SelfSigned, SourceRanges: []string{"0.0.0.0/0", "::/0"}}
}

type result struct {
	m    *mockcloud.Mocks
	c    *Controllers
	edge *Edge
}

func run(t *testing.T, preview bool, a *EdgeArgs, ha bool) (result, error) {
	t.Helper()
	var r result
	r.m = mockcloud.New("dataplatform", "dev", preview)
	err := r.m.Run(func(ctx *pulumi.Context) error {
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		r.c, err = NewControllers(ctx, "edge-controllers", &ControllersArgs{HighAvailability: ha}, pulumi.Provider(k))
		if err != nil {
			return err
		}
		if a != nil {
			a.Controllers = r.c
			a.HighAvailability = ha
		}
		r.edge, err = NewEdge(ctx, "edge", a, pulumi.Provider(k))
		return err
	}, nil)
	return r, err
}

func mustRun(t *testing.T, preview bool, a *EdgeArgs, ha bool) result {
	t.Helper()
	r, err := run(t, preview, a, ha)
	inspect.RequireRan(t, preview, err)
	return r
}

func spec(r *mockcloud.Resource) resource.PropertyMap {
	return inspect.Obj(inspect.At(r.Inputs, "spec"))
}

// listeners maps a Gateway's listeners by name.
func listeners(t *testing.T, gw *mockcloud.Resource) map[string]resource.PropertyMap {
	out := map[string]resource.PropertyMap{}
	for _, l := range inspect.Arr(inspect.RequireAt(t, spec(gw), "listeners")) {
		o := inspect.Obj(l)
		out[inspect.Str(o, "name")] = o
	}
	return out
}

// TestRoutesBecomeGatewayRoutes: every published route is served — HTTP routes as HTTPRoutes on
// their host's HTTPS listener, GRPC and TCP routes as TCPRoutes on their own TLS listener — beside its
// backend, pointing at the backend Service and port.
func TestRoutesBecomeGatewayRoutes(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, args(), false)
		gw := inspect.One(t, r.m, gwType)
		assert.Equal(t, Namespace, inspect.Str(gw.Inputs, "metadata", "namespace"))
		assert.Equal(t, GatewayClassName, inspect.Str(spec(gw), "gatewayClassName"))
		ls := listeners(t, gw)
		names := make([]string, 0, len(ls))
		for n := range ls {
			names = append(names, n)
		}
		sort.Strings(names)
		assert.Equal(t, []string{"dremio-flight", "dremio-jdbc", "http", "https-airbyte", "https-dremio"}, names)

		for _, rt := range routes() {
			kind := httpType
			if rt.Protocol != edge.HTTP {
				kind = tcpType
			}
			res := inspect.MustNamed(t, r.m, kind, "edge-route-"+rt.Name)
			assert.Equal(t, rt.Namespace, inspect.Str(res.Inputs, "metadata", "namespace"), rt.Name)
			s := spec(res)
			parents := inspect.Arr(inspect.RequireAt(t, s, "parentRefs"))
			require.Len(t, parents, 1)
			p := inspect.Obj(parents[0])
			assert.Equal(t, GatewayName, inspect.Str(p, "name"))
			assert.Equal(t, "Gateway", inspect.Str(p, "kind"))
			if !preview {
				assert.Equal(t, Namespace, inspect.Str(p, "namespace"))
			}
			section := inspect.Str(p, "sectionName")
			l, ok := ls[section]
			require.True(t, ok, "%s attaches to listener %q, which the Gateway lacks", rt.Name, section)
			if rt.Protocol == edge.HTTP {
				assert.Equal(t, rt.FQDN(domain), inspect.Str(l, "hostname"), "HTTPS listeners share 443 by hostname")
			} else {
				assert.False(t, inspect.Has(l, "hostname"), "a TLS listener has its own port; a hostname would make SNI mandatory")
			}
			assert.Equal(t, float64(rt.PublicPort()), inspect.Num(l, "port"))
			rules := inspect.Arr(inspect.RequireAt(t, s, "rules"))
			require.Len(t, rules, 1)
			backends := inspect.Arr(inspect.RequireAt(t, inspect.Obj(rules[0]), "backendRefs"))
			require.Len(t, backends, 1)
			assert.Equal(t, rt.Service, inspect.Str(inspect.Obj(backends[0]), "name"))
			assert.Equal(t, float64(rt.Port), inspect.Num(inspect.Obj(backends[0]), "port"))
			if rt.Protocol == edge.HTTP {
				assert.Equal(t, "HTTPS", inspect.Str(l, "protocol"))
				assert.Equal(t, []string{rt.FQDN(domain)}, inspect.Strs(s, "hostnames"))
			} else {
				assert.Equal(t, "TLS", inspect.Str(l, "protocol"))
				assert.Equal(t, "TCPRoute", inspect.Str(inspect.Obj(inspect.Arr(inspect.At(l, "allowedRoutes", "kinds"))[0]), "kind"))
			}
		}
		assert.Len(t, r.m.ByType("kubernetes:gateway.networking.k8s.io/v1:GRPCRoute"), 0)
	})
}

// TestHTTPOnlyRedirects: the :80 listener admits routes from its own namespace only, and the one
// route there is a 301 RequestRedirect to https with no backend.
func TestHTTPOnlyRedirects(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, args(), false)
		l := listeners(t, inspect.One(t, r.m, gwType))[HTTPListener]
		assert.Equal(t, "HTTP", inspect.Str(l, "protocol"))
		assert.Equal(t, float64(80), inspect.Num(l, "port"))
		assert.Equal(t, "Same", inspect.Str(l, "allowedRoutes", "namespaces", "from"))
		var onHTTP []*mockcloud.Resource
		for _, rt := range r.m.ByType(httpType) {
			for _, p := range inspect.Arr(inspect.At(spec(rt), "parentRefs")) {
				if inspect.Str(inspect.Obj(p), "sectionName") == HTTPListener {
					onHTTP = append(onHTTP, rt)
				}
			}
		}
		require.Len(t, onHTTP, 1)
		rule := inspect.Obj(inspect.Arr(inspect.At(spec(onHTTP[0]), "rules"))[0])
		assert.False(t, inspect.Has(rule, "backendRefs"))
		f := inspect.Obj(inspect.Arr(inspect.At(rule, "filters"))[0])
		assert.Equal(t, "RequestRedirect", inspect.Str(f, "type"))
		assert.Equal(t, "https", inspect.Str(f, "requestRedirect", "scheme"))
		assert.Equal(t, float64(301), inspect.Num(f, "requestRedirect", "statusCode"))
		assert.ElementsMatch(t, []string{"dremio." + domain, "airbyte." + domain}, inspect.Strs(spec(onHTTP[0]), "hostnames"))
	})
}

// TestEveryOtherListenerTerminatesTLS: each listener but :80 terminates TLS with the certificate
// cert-manager writes, and a ClientTrafficPolicy on the Gateway sets TLS 1.2 as the minimum.
func TestEveryOtherListenerTerminatesTLS(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, args(), false)
		for name, l := range listeners(t, inspect.One(t, r.m, gwType)) {
			if name == HTTPListener {
				assert.False(t, inspect.Has(l, "tls"))
				continue
			}
			assert.Equal(t, "Terminate", inspect.Str(l, "tls", "mode"), name)
			refs := inspect.Arr(inspect.At(l, "tls", "certificateRefs"))
			require.Len(t, refs, 1, name)
			assert.Equal(t, TLSSecret, inspect.Str(inspect.Obj(refs[0]), "name"))
		}
		cert := inspect.One(t, r.m, "kubernetes:cert-manager.io/v1:Certificate")
		assert.Equal(t, TLSSecret, inspect.Str(spec(cert), "secretName"))
		assert.Equal(t, []string{"airbyte." + domain, "dremio." + domain}, inspect.Strs(spec(cert), "dnsNames"))
		assert.Equal(t, issuerName, inspect.Str(spec(cert), "issuerRef", "name"))

		// One Gateway-wide policy, and one per gRPC listener that adds ALPN h2 (gRPC clients refuse a
		// TLS connection without it; Envoy Gateway disables ALPN on TLS listeners by default). Both set
		// the TLS 1.2 floor, since the listener's policy replaces the Gateway's there.
		all := r.m.ByType("kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy")
		require.Len(t, all, 2)
		var gatewayWide, flight bool
		for _, ctp := range all {
			assert.Equal(t, "1.2", inspect.Str(spec(ctp), "tls", "minVersion"))
			target := inspect.Obj(inspect.Arr(inspect.At(spec(ctp), "targetRefs"))[0])
			assert.Equal(t, "Gateway", inspect.Str(target, "kind"))
			assert.Equal(t, GatewayName, inspect.Str(target, "name"))
			switch section := inspect.Str(target, "sectionName"); section {
			case "":
				gatewayWide = true
				assert.False(t, inspect.Has(spec(ctp), "tls", "alpnProtocols"))
			default:
				flight = true
				listener, ok := listeners(t, inspect.One(t, r.m, gwType))[section]
				require.True(t, ok, "policy for an unknown listener %q", section)
				assert.Equal(t, "TLS", inspect.Str(listener, "protocol"))
				assert.Equal(t, []string{"h2"}, inspect.Strs(spec(ctp), "tls", "alpnProtocols"))
			}
		}
		assert.True(t, gatewayWide && flight)
		// The TLS listeners have a port each and no hostname: a hostname would make SNI mandatory.
		for name, l := range listeners(t, inspect.One(t, r.m, gwType)) {
			if inspect.Str(l, "protocol") == "TLS" {
				assert.False(t, inspect.Has(l, "hostname"), name)
			}
		}
	})
}

// TestSelfSignedIssuer: the self-signed issuer is a CA Issuer over a generated root whose key is
// protected only when asked (prod), and whose certificate is the edge's CA output.
func TestSelfSignedIssuer(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		for _, protect := range []bool{false, true} {
			a := args()
			a.Protect = protect
			r := mustRun(t, preview, a, protect)
			issuer := inspect.One(t, r.m, "kubernetes:cert-manager.io/v1:Issuer")
			assert.Equal(t, CASecret, inspect.Str(spec(issuer), "ca", "secretName"))
			assert.False(t, inspect.Has(spec(issuer), "acme"))
			key := inspect.One(t, r.m, "tls:index/privateKey:PrivateKey")
			assert.Equal(t, protect, key.Protect)
			ca := inspect.One(t, r.m, "tls:index/selfSignedCert:SelfSignedCert")
			isCA, _ := inspect.Bool(ca.Inputs, "isCaCertificate")
			assert.True(t, isCA)
			if protect {
				assert.Equal(t, []string{"tls:index/privateKey:PrivateKey edge-ca-key"}, inspect.Protected(r.m))
			} else {
				assert.Empty(t, inspect.Protected(r.m))
			}
			if !preview {
				pem := inspect.Await(t, r.edge.Info.CACertificate)
				assert.True(t, strings.HasPrefix(pem.Value.(string), "-----BEGIN CERTIFICATE-----"), "CA output: %v", pem.Value)
			}
		}
	})
}

// TestACMEIssuer: the acme issuer is an ACME Issuer with the configured account and DNS-01 solver;
// no CA is generated.
func TestACMEIssuer(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		for _, c := range []struct {
			acme ACMEIssuer
			want map[string]string
		}{
			{ACMEIssuer{Email: "ops@example.com", Server: "https://acme-staging-v02.api.letsencrypt.org/directory", Provider: "cloudflare", SecretName: "cloudflare", SecretKey: "api-token"},
				map[string]string{"cloudflare.apiTokenSecretRef.name": "cloudflare", "cloudflare.apiTokenSecretRef.key": "api-token"}},
			{ACMEIssuer{Email: "ops@example.com", Server: "https://acme-v02.api.letsencrypt.org/directory", Provider: "rfc2136", SecretName: "tsig", SecretKey: "tsig-secret", Nameserver: "192.0.2.53:53", TSIGKeyName: "edge", TSIGAlgorithm: "HMACSHA256"},
				map[string]string{"rfc2136.nameserver": "192.0.2.53:53", "rfc2136.tsigKeyName": "edge", "rfc2136.tsigAlgorithm": "HMACSHA256", "rfc2136.tsigSecretSecretRef.name": "tsig", "rfc2136.tsigSecretSecretRef.key": "tsig-secret"}},
		} {
			a := args()
			a.Issuer, a.ACME = ACME, c.acme
			r := mustRun(t, preview, a, false)
			s := spec(inspect.One(t, r.m, "kubernetes:cert-manager.io/v1:Issuer"))
			assert.Equal(t, c.acme.Email, inspect.Str(s, "acme", "email"))
			assert.Equal(t, c.acme.Server, inspect.Str(s, "acme", "server"))
			assert.NotEmpty(t, inspect.Str(s, "acme", "privateKeySecretRef", "name"))
			solver := inspect.Obj(inspect.At(inspect.Obj(inspect.Arr(inspect.At(s, "acme", "solvers"))[0]), "dns01"))
			for path, want := range c.want {
				var p []any
				for _, k := range strings.Split(path, ".") {
					p = append(p, k)
				}
				assert.Equal(t, want, inspect.Str(solver, p...), path)
			}
			assert.Empty(t, r.m.ByType("tls:index/privateKey:PrivateKey"))
			assert.Empty(t, inspect.Protected(r.m))
		}
	})
}

// TestNetworkPoliciesAdmitExactlyTheBackends: the proxies may reach the routes' backend namespace on
// exactly the routes' ports (plus the controller's xDS port and DNS), and accept connections on the
// listeners' container ports only.
func TestNetworkPoliciesAdmitExactlyTheBackends(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, args(), false)
		eg := inspect.MustNamed(t, r.m, npType, "edge-proxy-egress")
		s := spec(eg)
		assert.Equal(t, ProxySelector(), toStrings(inspect.Plain(inspect.At(s, "podSelector", "matchLabels"))))
		rules := inspect.Arr(inspect.At(s, "egress"))
		require.Len(t, rules, 3)
		backends := inspect.Obj(rules[0])
		to := inspect.Obj(inspect.Arr(inspect.At(backends, "to"))[0])
		assert.Equal(t, appsNS, inspect.Str(to, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		assert.Equal(t, []float64{8001, 9047, 31010, 32010}, ports(backends))
		assert.Equal(t, []float64{XDSPort}, ports(inspect.Obj(rules[1])))

		in := spec(inspect.MustNamed(t, r.m, npType, "edge-proxy-ingress"))
		assert.Equal(t, []float64{10080, 10443, 31010, 32010}, ports(inspect.Obj(inspect.Arr(inspect.At(in, "ingress"))[0])))
	})
}

func ports(rule resource.PropertyMap) []float64 {
	var out []float64
	for _, p := range inspect.Arr(inspect.At(rule, "ports")) {
		out = append(out, inspect.Num(inspect.Obj(p), "port"))
	}
	return out
}

func toStrings(v any) map[string]string {
	out := map[string]string{}
	for k, x := range v.(map[string]any) {
		out[k] = x.(string)
	}
	return out
}

// TestSourceRanges: a SecurityPolicy on the Gateway denies every client outside the ranges.
func TestSourceRanges(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := args()
		a.SourceRanges = []string{"10.0.0.0/8", "203.0.113.0/24"}
		r := mustRun(t, preview, a, false)
		s := spec(inspect.One(t, r.m, "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"))
		assert.Equal(t, "Deny", inspect.Str(s, "authorization", "defaultAction"))
		rule := inspect.Obj(inspect.Arr(inspect.At(s, "authorization", "rules"))[0])
		assert.Equal(t, "Allow", inspect.Str(rule, "action"))
		assert.Equal(t, a.SourceRanges, inspect.Strs(rule, "principal", "clientCIDRs"))
		assert.Equal(t, "Local", inspect.Str(spec(inspect.One(t, r.m, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")), "provider", "kubernetes", "envoyService", "externalTrafficPolicy"))
	})
}

// TestOutputs: the edge reports https URLs for HTTP routes and host:port for the others.
func TestOutputs(t *testing.T) {
	r := mustRun(t, false, args(), false)
	assert.Equal(t, "https://dremio."+domain, inspect.Await(t, r.edge.Info.URLs["dremio-ui"]).Value)
	assert.Equal(t, "https://airbyte."+domain, inspect.Await(t, r.edge.Info.URLs["airbyte"]).Value)
	assert.Equal(t, "dremio."+domain+":32010", inspect.Await(t, r.edge.Info.Endpoints["dremio-flight"]).Value)
	assert.Equal(t, "dremio."+domain+":31010", inspect.Await(t, r.edge.Info.Endpoints["dremio-jdbc"]).Value)
}

// TestControllers: pinned charts, replicas and PDBs in HA, the certgen Job the chart's hook would
// have run (with its hash), and nothing protected.
func TestControllers(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		for _, ha := range []bool{false, true} {
			r := mustRun(t, preview, args(), ha)
			n := float64(1)
			if ha {
				n = 2
			}
			cm := inspect.MustNamed(t, r.m, "kubernetes:helm.sh/v4:Chart", "edge-controllers-cert-manager")
			assert.Equal(t, CertManagerVersion, inspect.Str(cm.Inputs, "version"))
			assert.Equal(t, CertManagerRepo, inspect.Str(cm.Inputs, "repositoryOpts", "repo"))
			v := inspect.Obj(inspect.At(cm.Inputs, "values"))
			enabled, _ := inspect.Bool(v, "crds", "enabled")
			assert.True(t, enabled)
			for _, c := range []string{"", "webhook", "cainjector"} {
				vv := v
				if c != "" {
					vv = inspect.Obj(inspect.At(v, c))
				}
				assert.Equal(t, n, inspect.Num(vv, "replicaCount"), c)
				pdb, _ := inspect.Bool(vv, "podDisruptionBudget", "enabled")
				assert.Equal(t, ha, pdb, c)
				assert.True(t, inspect.Has(vv, "resources", "limits", "memory"), c)
			}

			eg := inspect.MustNamed(t, r.m, "kubernetes:helm.sh/v4:Chart", "edge-controllers-envoy-gateway")
			assert.Equal(t, EnvoyGatewayChart, inspect.Str(eg.Inputs, "chart"))
			assert.Equal(t, EnvoyGatewayVersion, inspect.Str(eg.Inputs, "version"))
			ev := inspect.Obj(inspect.At(eg.Inputs, "values"))
			assert.Equal(t, n, inspect.Num(ev, "deployment", "replicas"))
			assert.Equal(t, n-1, inspect.Num(ev, "podDisruptionBudget", "minAvailable"))
			job := inspect.MustNamed(t, r.m, "kubernetes:batch/v1:Job", "edge-controllers-certgen")
			assert.True(t, r.m.DependsOn(eg, job), "the chart waits for certgen's Secrets")
			assert.Len(t, inspect.Str(job.Inputs, "spec", "template", "metadata", "annotations", "dataplatform.io/config-sha256"), 64)
			assert.False(t, inspect.Has(job.Inputs, "spec", "ttlSecondsAfterFinished"))
			assert.Empty(t, inspect.Protected(r.m))
		}
	})
}

// TestBadArgs: bad input fails before anything registers.
func TestBadArgs(t *testing.T) {
	for name, mutate := range map[string]func(a *EdgeArgs){
		"no domain": func(a *EdgeArgs) { a.Domain = "" },
		"bad range": func(a *EdgeArgs) { a.SourceRanges = []string{"10.0.0.1/8"} },
		"no ranges": func(a *EdgeArgs) { a.SourceRanges = nil },
		"issuer":    func(a *EdgeArgs) { a.Issuer = "letsencrypt" },
		// The e-mail is optional since the config made it so (cert-manager ACMEIssuer.Email omitempty);
		// the directory is not.
		"acme, no server": func(a *EdgeArgs) {
			a.Issuer = ACME
			a.ACME = ACMEIssuer{Email: "ops@example.com", Provider: "cloudflare", SecretName: "s", SecretKey: "k"}
		},
		"acme, cloudflare without secret": func(a *EdgeArgs) {
			a.Issuer = ACME
			a.ACME = ACMEIssuer{Server: "x", Provider: "cloudflare", SecretName: "s"}
		},
		"port clash": func(a *EdgeArgs) {
			a.Routes = append(a.Routes, edge.Route{Name: "x", Host: "x", Service: "s", Namespace: appsNS, Port: 1, Protocol: edge.TCP, ListenPort: 31010})
		},
	} {
		t.Run(name, func(t *testing.T) {
			a := args()
			mutate(a)
			r, err := run(t, false, a, false)
			require.Error(t, err)
			assert.Empty(t, r.m.ByType(gwType))
		})
	}
}

// TestCertManagerFirst: the option makes a Helm chart (and nothing else) wait for cert-manager's
// chart, keeping what it already depended on.
func TestCertManagerFirst(t *testing.T) {
	r := mustRun(t, false, args(), false)
	other := r.c.EnvoyGateway
	tr := chartsWaitFor(r.c.CertManager)
	res := tr(context.Background(), &pulumi.ResourceTransformArgs{Type: "kubernetes:helm.sh/v4:Chart", Name: "metadata-db-backup-plugin",
		Props: pulumi.Map{}, Opts: pulumi.ResourceOptions{DependsOn: []pulumi.Resource{other}}})
	require.NotNil(t, res)
	assert.Equal(t, []pulumi.Resource{other, r.c.CertManager}, res.Opts.DependsOn)
	assert.Nil(t, tr(context.Background(), &pulumi.ResourceTransformArgs{Type: "kubernetes:core/v1:Secret", Name: "x"}))
}
