package envoygateway

import (
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

// The clouds' L4 edge: Envoy Gateway beside the cloud's L7 gateway, serving only Dremio's Flight and
// JDBC routes, on a cloud load balancer, with TLSRoutes where the cluster lacks TCPRoute v1.

const (
	tlsRouteType = "kubernetes:gateway.networking.k8s.io/v1:TLSRoute"
	chartType    = "kubernetes:helm.sh/v4:Chart"
	issuerType   = "kubernetes:cert-manager.io/v1:Issuer"
	proxyType    = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
)

// runCloud runs the controllers with cargs and, when a is not nil, the edge.
func runCloud(t *testing.T, preview bool, cargs *ControllersArgs, a *EdgeArgs) (result, error) {
	t.Helper()
	var r result
	r.m = mockcloud.New("dataplatform", "dev", preview)
	err := r.m.Run(func(ctx *pulumi.Context) error {
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		r.c, err = NewControllers(ctx, "edge-controllers", cargs, pulumi.Provider(k))
		if err != nil || a == nil {
			return err
		}
		a.Controllers = r.c
		r.edge, err = NewEdge(ctx, "edge", a, pulumi.Provider(k))
		return err
	}, nil)
	return r, err
}

func mustRunCloud(t *testing.T, preview bool, cargs *ControllersArgs, a *EdgeArgs) result {
	t.Helper()
	r, err := runCloud(t, preview, cargs, a)
	inspect.RequireRan(t, preview, err)
	return r
}

// l4Args is the GCP shape: Flight and JDBC only (renamed off the L7 gateway's host), TLSRoutes.
func l4Args() *EdgeArgs {
	a := args()
	a.Routes = StreamRoutes(routes(), "-data")
	a.TLSRoutes = true
	return a
}

func TestStreamRoutes(t *testing.T) {
	in := routes()
	out := StreamRoutes(in, "-data")
	require.Len(t, out, 2)
	for _, r := range out {
		assert.NotEqual(t, edge.HTTP, r.Protocol)
		assert.Equal(t, "dremio-data", r.Host)
	}
	assert.Equal(t, "dremio", in[1].Host, "the engine's routes are not modified")
	require.NoError(t, edge.Validate(domain, out))
	assert.Equal(t, []string{"dremio-data." + domain}, edge.Hosts(domain, out))
}

// TestStreamOnlyEdge: an edge of only GRPC and TCP routes has no port 80 listener and no redirect, its
// proxies accept only the two TLS ports, and its Info has Endpoints and no URLs.
func TestStreamOnlyEdge(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := args()
		a.Routes = StreamRoutes(routes(), "")
		r := mustRunCloud(t, preview, nil, a)
		ls := listeners(t, inspect.One(t, r.m, gwType))
		assert.ElementsMatch(t, []string{"dremio-flight", "dremio-jdbc"}, keys(ls))
		assert.Empty(t, r.m.ByType(httpType), "no HTTP route, no redirect")
		assert.Len(t, r.m.ByType(tcpType), 2)

		in := inspect.MustNamed(t, r.m, npType, "edge-proxy-ingress")
		rules := inspect.Arr(inspect.At(in.Inputs, "spec", "ingress"))
		require.NotEmpty(t, rules)
		assert.ElementsMatch(t, []float64{31010, 32010}, ports(inspect.Obj(rules[0])))

		assert.Empty(t, r.edge.Info.URLs)
		assert.Len(t, r.edge.Info.Endpoints, 2)
		if !preview {
			assert.Equal(t, "dremio."+domain+":32010", inspect.Await(t, r.edge.Info.Endpoints["dremio-flight"]).Value)
		}
	})
}

func keys(m map[string]resource.PropertyMap) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestTLSRoutes: with TLSRoutes the GRPC and TCP routes are TLSRoutes naming their host (the SNI
// Envoy matches; the v1 CRD requires hostnames) on their own Terminate listener, which admits
// TLSRoutes only; there is no TCPRoute. Without it (kubernetes), TCPRoutes without hostnames.
func TestTLSRoutes(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRunCloud(t, preview, nil, l4Args())
		assert.Empty(t, r.m.ByType(tcpType))
		trs := r.m.ByType(tlsRouteType)
		require.Len(t, trs, 2)
		for _, tr := range trs {
			s := spec(tr)
			name := inspect.Str(tr.Inputs, "metadata", "name")
			assert.Equal(t, []string{"dremio-data." + domain}, inspect.Strs(s, "hostnames"), name)
			assert.Equal(t, appsNS, inspect.Str(tr.Inputs, "metadata", "namespace"))
			assert.Equal(t, name, inspect.Str(inspect.Obj(inspect.Arr(inspect.At(s, "parentRefs"))[0]), "sectionName"))
			rules := inspect.Arr(inspect.At(s, "rules"))
			require.Len(t, rules, 1, "TLSRoute v1: exactly one rule")
			assert.Equal(t, "dremio-client", inspect.Str(inspect.Obj(inspect.Arr(inspect.At(inspect.Obj(rules[0]), "backendRefs"))[0]), "name"))
		}
		ls := listeners(t, inspect.One(t, r.m, gwType))
		for _, name := range []string{"dremio-flight", "dremio-jdbc"} {
			l := ls[name]
			require.NotNil(t, l, name)
			assert.Equal(t, "TLS", inspect.Str(l, "protocol"))
			assert.Equal(t, "Terminate", inspect.Str(l, "tls", "mode"))
			assert.Equal(t, "TLSRoute", inspect.Str(inspect.Obj(inspect.Arr(inspect.At(l, "allowedRoutes", "kinds"))[0]), "kind"))
		}
		// Flight still gets ALPN h2 on its listener, and every listener TLS 1.2 at least.
		var alpn []string
		for _, ctp := range r.m.ByType("kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy") {
			assert.Equal(t, "1.2", inspect.Str(spec(ctp), "tls", "minVersion"))
			if inspect.Str(inspect.Obj(inspect.Arr(inspect.At(spec(ctp), "targetRefs"))[0]), "sectionName") == "dremio-flight" {
				alpn = inspect.Strs(spec(ctp), "tls", "alpnProtocols")
			}
		}
		assert.Equal(t, []string{"h2"}, alpn)
		cert := inspect.One(t, r.m, "kubernetes:cert-manager.io/v1:Certificate")
		assert.Equal(t, []string{"dremio-data." + domain}, inspect.Strs(spec(cert), "dnsNames"))

		// The kubernetes target keeps TCPRoutes, without hostnames.
		k := mustRunCloud(t, preview, nil, args())
		assert.Empty(t, k.m.ByType(tlsRouteType))
		for _, tr := range k.m.ByType(tcpType) {
			assert.False(t, inspect.Has(spec(tr), "hostnames"))
		}
	})
}

// TestProxyService: the cloud's Service settings reach the EnvoyProxy's envoyService; the source
// ranges handed to the load balancer are the IPv4 ones. The default is the kubernetes target's plain
// LoadBalancer Service with the Local traffic policy.
func TestProxyService(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := l4Args()
		a.SourceRanges = []string{"10.0.0.0/8", "192.168.0.0/16", "fc00::/7"}
		a.Service = ProxyService{
			Annotations:         pulumi.StringMap{"networking.gke.io/load-balancer-type": pulumi.String("Internal")},
			LoadBalancerIP:      pulumi.String("10.20.0.40"),
			EnforceSourceRanges: true,
		}
		r := mustRunCloud(t, preview, nil, a)
		svc := inspect.RequireObj(t, spec(inspect.One(t, r.m, proxyType)), "provider", "kubernetes", "envoyService")
		assert.Equal(t, "LoadBalancer", inspect.Str(svc, "type"))
		assert.Equal(t, "Local", inspect.Str(svc, "externalTrafficPolicy"))
		assert.Equal(t, "Internal", inspect.Str(svc, "annotations", "networking.gke.io/load-balancer-type"))
		assert.Equal(t, "10.20.0.40", inspect.Str(svc, "loadBalancerIP"))
		assert.Equal(t, []string{"10.0.0.0/8", "192.168.0.0/16"}, inspect.Strs(svc, "loadBalancerSourceRanges"))
		// Envoy still enforces every range.
		sp := inspect.MustNamed(t, r.m, "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy", "edge-source-ranges")
		rule := inspect.Obj(inspect.Arr(inspect.At(spec(sp), "authorization", "rules"))[0])
		assert.Equal(t, a.SourceRanges, inspect.Strs(rule, "principal", "clientCIDRs"))

		d := mustRunCloud(t, preview, nil, args())
		svc = inspect.RequireObj(t, spec(inspect.One(t, d.m, proxyType)), "provider", "kubernetes", "envoyService")
		assert.Equal(t, "Local", inspect.Str(svc, "externalTrafficPolicy"))
		for _, k := range []string{"annotations", "loadBalancerIP", "loadBalancerSourceRanges"} {
			assert.False(t, inspect.Has(svc, k), k)
		}
	})
}

func TestIPv4Ranges(t *testing.T) {
	assert.Equal(t, []string{"0.0.0.0/0"}, ipv4Ranges([]string{"0.0.0.0/0", "::/0"}))
	assert.Empty(t, ipv4Ranges([]string{"fc00::/7"}))
}

// TestCloudDNSSolvers: the azureDNS and cloudDNS solvers carry the zone and the identity and no
// credential Secret; an empty e-mail is left out of the account.
func TestCloudDNSSolvers(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		azure := ACMEIssuer{Server: "https://acme-v02.api.letsencrypt.org/directory", Provider: DNS01AzureDNS, AzureDNS: &AzureDNSSolver{
			SubscriptionID: pulumi.String("00000000-0000-0000-0000-000000000001"), ResourceGroupName: pulumi.String("dp-dev-dns"),
			HostedZoneName: pulumi.String("example.com"), ClientID: pulumi.String("00000000-0000-0000-0000-0000000000c1"),
		}}
		gcp := ACMEIssuer{Email: "ops@example.com", Server: "https://acme-v02.api.letsencrypt.org/directory", Provider: DNS01CloudDNS, CloudDNS: &CloudDNSSolver{
			Project: pulumi.String("dp-dev"), HostedZoneName: pulumi.String("data-example-com"),
		}}
		for _, c := range []struct {
			acme  ACMEIssuer
			id    *CertManagerIdentity
			email bool
			want  map[string]string
		}{
			{azure, AzureWorkloadIdentity(pulumi.String("00000000-0000-0000-0000-0000000000c1")), false, map[string]string{
				"azureDNS.subscriptionID": "00000000-0000-0000-0000-000000000001", "azureDNS.resourceGroupName": "dp-dev-dns",
				"azureDNS.hostedZoneName": "example.com", "azureDNS.environment": "AzurePublicCloud",
				"azureDNS.managedIdentity.clientID": "00000000-0000-0000-0000-0000000000c1",
			}},
			{gcp, GKEWorkloadIdentity(), true, map[string]string{"cloudDNS.project": "dp-dev", "cloudDNS.hostedZoneName": "data-example-com"}},
		} {
			a := l4Args()
			a.Issuer, a.ACME = ACME, c.acme
			r := mustRunCloud(t, preview, &ControllersArgs{CertManagerIdentity: c.id, ProviderGatewayAPI: c.acme.Provider == DNS01CloudDNS}, a)
			s := spec(inspect.One(t, r.m, issuerType))
			assert.Equal(t, c.email, inspect.HasKey(s, "acme", "email"), c.acme.Provider)
			solver := inspect.Obj(inspect.At(inspect.Obj(inspect.Arr(inspect.At(s, "acme", "solvers"))[0]), "dns01"))
			for path, want := range c.want {
				assert.Equal(t, want, inspect.Str(solver, dotted(path)...), path)
			}
			// No secret-based credential: the solver authenticates as cert-manager's identity.
			for _, k := range []string{"clientID", "clientSecretSecretRef", "tenantID"} {
				assert.False(t, inspect.Has(solver, "azureDNS", k), k)
			}
			assert.False(t, inspect.Has(solver, "cloudDNS", "serviceAccountSecretRef"))
		}
	})
}

func dotted(path string) []any {
	var out []any
	start := 0
	for i := 0; i <= len(path); i++ {
		if i == len(path) || path[i] == '.' {
			out = append(out, path[start:i])
			start = i + 1
		}
	}
	return out
}

// TestCertManagerIdentity: Azure's identity annotates the ServiceAccount and labels the pods; GKE's
// needs neither; both turn on ambient credentials for Issuers. Without one, none of these values.
func TestCertManagerIdentity(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		for _, c := range []struct {
			name              string
			id                *CertManagerIdentity
			annotated, labels bool
		}{
			{"none", nil, false, false},
			{"azure", AzureWorkloadIdentity(pulumi.String("client-1")), true, true},
			{"gke", GKEWorkloadIdentity(), false, false},
		} {
			r := mustRunCloud(t, preview, &ControllersArgs{CertManagerIdentity: c.id}, nil)
			v := inspect.Obj(inspect.At(inspect.MustNamed(t, r.m, chartType, "edge-controllers-cert-manager").Inputs, "values"))
			if c.annotated {
				assert.Equal(t, "client-1", inspect.Str(v, "serviceAccount", "annotations", "azure.workload.identity/client-id"), c.name)
			} else {
				assert.False(t, inspect.Has(v, "serviceAccount"), c.name)
			}
			if c.labels {
				assert.Equal(t, "true", inspect.Str(v, "podLabels", "azure.workload.identity/use"), c.name)
			} else {
				assert.False(t, inspect.Has(v, "podLabels"), c.name)
			}
			if c.id != nil {
				assert.Equal(t, []string{"--issuer-ambient-credentials"}, inspect.Strs(v, "extraArgs"), c.name)
			} else {
				assert.False(t, inspect.Has(v, "extraArgs"), c.name)
			}
			assert.Equal(t, "cert-manager", CertManagerServiceAccount)
		}
	})
}

// TestProviderGatewayAPI: where the provider owns the Gateway API CRDs, Envoy Gateway's chart
// installs no CRDs, a gateway-crds-helm chart at the same version installs Envoy Gateway's own only,
// and the controller's chart and the edge's objects wait for it.
func TestProviderGatewayAPI(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRunCloud(t, preview, &ControllersArgs{ProviderGatewayAPI: true}, l4Args())
		crds := inspect.MustNamed(t, r.m, chartType, "edge-controllers-envoy-gateway-crds")
		assert.Equal(t, EnvoyGatewayCRDsChart, inspect.Str(crds.Inputs, "chart"))
		assert.Equal(t, EnvoyGatewayVersion, inspect.Str(crds.Inputs, "version"))
		cv := inspect.Obj(inspect.At(crds.Inputs, "values"))
		gw, _ := inspect.Bool(cv, "crds", "gatewayAPI", "enabled")
		own, _ := inspect.Bool(cv, "crds", "envoyGateway", "enabled")
		assert.False(t, gw)
		assert.True(t, own)

		eg := inspect.MustNamed(t, r.m, chartType, "edge-controllers-envoy-gateway")
		on, ok := inspect.Bool(inspect.Obj(inspect.At(eg.Inputs, "values")), "crds", "enabled")
		assert.True(t, ok)
		assert.False(t, on)
		assert.True(t, r.m.DependsOn(eg, crds))
		assert.True(t, r.m.DependsOn(inspect.One(t, r.m, gwType), crds))

		d := mustRunCloud(t, preview, nil, nil)
		assert.Nil(t, d.m.Named(chartType, "edge-controllers-envoy-gateway-crds"))
		on, _ = inspect.Bool(inspect.Obj(inspect.At(inspect.MustNamed(t, d.m, chartType, "edge-controllers-envoy-gateway").Inputs, "values")), "crds", "enabled")
		assert.True(t, on)
	})
}

// TestCloudBadArgs: incomplete cloud solvers, and a cloud solver without cert-manager's identity,
// fail before anything registers.
func TestCloudBadArgs(t *testing.T) {
	full := &AzureDNSSolver{SubscriptionID: pulumi.String("s"), ResourceGroupName: pulumi.String("g"), HostedZoneName: pulumi.String("z"), ClientID: pulumi.String("c")}
	for name, c := range map[string]struct {
		id   *CertManagerIdentity
		acme ACMEIssuer
	}{
		"azure, no identity":  {nil, ACMEIssuer{Server: "x", Provider: DNS01AzureDNS, AzureDNS: full}},
		"gcp, no identity":    {nil, ACMEIssuer{Server: "x", Provider: DNS01CloudDNS, CloudDNS: &CloudDNSSolver{Project: pulumi.String("p"), HostedZoneName: pulumi.String("z")}}},
		"azure, no solver":    {GKEWorkloadIdentity(), ACMEIssuer{Server: "x", Provider: DNS01AzureDNS}},
		"azure, no client ID": {GKEWorkloadIdentity(), ACMEIssuer{Server: "x", Provider: DNS01AzureDNS, AzureDNS: &AzureDNSSolver{SubscriptionID: pulumi.String("s"), ResourceGroupName: pulumi.String("g"), HostedZoneName: pulumi.String("z")}}},
		"azure, bad cloud": {GKEWorkloadIdentity(), ACMEIssuer{Server: "x", Provider: DNS01AzureDNS, AzureDNS: &AzureDNSSolver{SubscriptionID: pulumi.String("s"),
			ResourceGroupName: pulumi.String("g"), HostedZoneName: pulumi.String("z"), ClientID: pulumi.String("c"), Environment: "AzureMoonCloud"}}},
		"gcp, no zone": {GKEWorkloadIdentity(), ACMEIssuer{Server: "x", Provider: DNS01CloudDNS, CloudDNS: &CloudDNSSolver{Project: pulumi.String("p")}}},
		"route53":      {GKEWorkloadIdentity(), ACMEIssuer{Server: "x", Provider: "route53"}},
	} {
		t.Run(name, func(t *testing.T) {
			a := l4Args()
			a.Issuer, a.ACME = ACME, c.acme
			r, err := runCloud(t, false, &ControllersArgs{CertManagerIdentity: c.id}, a)
			require.Error(t, err)
			assert.Empty(t, r.m.ByType(gwType))
			assert.Empty(t, r.m.ByType(issuerType))
		})
	}
}

// TestBadLoadBalancerIP: a known static address must be IPv4 (the EnvoyProxy CRD's CEL rule), checked
// before anything registers; an address from another resource is left to the API server.
func TestBadLoadBalancerIP(t *testing.T) {
	for _, ip := range []string{"2001:db8::10", "10.0.0.300", "internal-ip"} {
		a := l4Args()
		a.Service.LoadBalancerIP = pulumi.String(ip)
		r, err := runCloud(t, false, nil, a)
		require.Error(t, err, ip)
		assert.Empty(t, r.m.ByType(gwType), ip)
	}
	a := l4Args()
	a.Service.LoadBalancerIP = pulumi.String("203.0.113.7")
	_, err := runCloud(t, false, nil, a)
	require.NoError(t, err)
}

// TestUnknownCloudIDs: in a first preview the identity's client ID and the zone's group come from
// resources not created yet; the edge still registers, with those fields unknown.
func TestUnknownCloudIDs(t *testing.T) {
	unknown := func() pulumi.StringOutput { return pulumi.UnsafeUnknownOutput(nil).(pulumi.AnyOutput).AsStringOutput() }
	a := l4Args()
	a.Issuer = ACME
	a.ACME = ACMEIssuer{Server: "https://acme-v02.api.letsencrypt.org/directory", Provider: DNS01AzureDNS, AzureDNS: &AzureDNSSolver{
		SubscriptionID: pulumi.String("s"), ResourceGroupName: unknown(), HostedZoneName: pulumi.String("example.com"), ClientID: unknown(),
	}}
	a.Service.LoadBalancerIP = unknown()
	r := mustRunCloud(t, true, &ControllersArgs{CertManagerIdentity: AzureWorkloadIdentity(unknown())}, a)
	s := spec(inspect.One(t, r.m, issuerType))
	assert.True(t, inspect.Unwrap(inspect.At(s, "acme", "solvers", 0, "dns01", "azureDNS", "managedIdentity", "clientID")).IsComputed())
	assert.Equal(t, "example.com", inspect.Str(s, "acme", "solvers", 0, "dns01", "azureDNS", "hostedZoneName"))
	svc := inspect.RequireObj(t, spec(inspect.One(t, r.m, proxyType)), "provider", "kubernetes", "envoyService")
	assert.True(t, inspect.Unwrap(inspect.At(svc, "loadBalancerIP")).IsComputed())
}
