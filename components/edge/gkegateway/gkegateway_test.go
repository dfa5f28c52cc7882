package gkegateway

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
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
	domain    = "data.example.com"
	appsNS    = "dataplatform"
	gwType    = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	httpType  = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
	hcType    = "kubernetes:networking.gke.io/v1:HealthCheckPolicy"
	bpType    = "kubernetes:networking.gke.io/v1:GCPBackendPolicy"
	gpType    = "kubernetes:networking.gke.io/v1:GCPGatewayPolicy"
	entryType = "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry"
	certType  = "gcp:certificatemanager/certificate:Certificate"
	authType  = "gcp:certificatemanager/dnsAuthorization:DnsAuthorization"
	recType   = "gcp:dns/recordSet:RecordSet"
	zoneType  = "gcp:dns/managedZone:ManagedZone"
)

// routes are what Dremio and Airbyte publish (restated, so that this package's tests do not depend on
// the engine packages).
func routes() []edge.Route {
	return []edge.Route{
		{Name: "dremio-ui", Host: "dremio", Service: "dremio-client", Namespace: appsNS, Port: 9047, Protocol: edge.HTTP},
		{Name: "dremio-flight", Host: "dremio", Service: "dremio-client", Namespace: appsNS, Port: 32010, Protocol: edge.GRPC, ListenPort: 32010},
		{Name: "dremio-jdbc", Host: "dremio", Service: "dremio-client", Namespace: appsNS, Port: 31010, Protocol: edge.TCP, ListenPort: 31010},
		{Name: "airbyte", Host: "airbyte", Service: "airbyte-airbyte-server-svc", Namespace: appsNS, Port: 8001, Protocol: edge.HTTP},
	}
}

func args(internal bool) *EdgeArgs {
	a := &EdgeArgs{
		Project: "acme-data-dev", Region: "europe-north1", Domain: domain, Routes: routes(),
		HealthPaths:  map[string]string{"dremio-ui": "/apiv2/server_status", "airbyte": "/api/v1/health"},
		SourceRanges: []string{"0.0.0.0/0", "::/0"}, Name: "acme-data-dev",
		Namespace: pulumi.String(appsNS), NamespaceName: appsNS, Protect: true,
		Labels: map[string]string{"app.kubernetes.io/part-of": "dataplatform"}, CloudLabels: map[string]string{"environment": "dev"},
	}
	if internal {
		a.Internal = true
		a.SourceRanges = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}
		a.Subnetwork = pulumi.String("https://www.googleapis.com/compute/v1/projects/acme-data-dev/regions/europe-north1/subnetworks/nodes")
	}
	return a
}

type result struct {
	m    *mockcloud.Mocks
	edge *Edge
	zone *Zone
}

// run builds the zone (existing names a managed zone to look up) and the edge; mutate changes the
// args once the test's providers and subnet exist.
func run(t *testing.T, preview bool, a *EdgeArgs, existing string) (result, error) {
	t.Helper()
	r := result{m: mockcloud.New("dataplatform", "dev", preview)}
	err := r.m.Run(func(ctx *pulumi.Context) error {
		g, err := gcp.NewProvider(ctx, "gcp", &gcp.ProviderArgs{Project: pulumi.String("acme-data-dev"), Region: pulumi.String("europe-north1")})
		if err != nil {
			return err
		}
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		providers := pulumi.Providers(g, k)
		r.zone, err = NewZone(ctx, "edge-dns", &ZoneArgs{Project: "acme-data-dev", Domain: domain, Existing: existing, Protect: true}, providers)
		if err != nil {
			return err
		}
		if a != nil {
			a.Zone = r.zone
			if a.Internal {
				sub, err := compute.NewSubnetwork(ctx, "proxy-only", &compute.SubnetworkArgs{
					IpCidrRange: pulumi.String("10.41.0.0/23"), Network: pulumi.String("vpc"),
					Purpose: pulumi.String("REGIONAL_MANAGED_PROXY"), Role: pulumi.String("ACTIVE"),
				}, pulumi.Provider(g))
				if err != nil {
					return err
				}
				a.ProxyOnlySubnet = sub
			}
		}
		r.edge, err = NewEdge(ctx, "edge", a, providers)
		return err
	}, nil)
	return r, err
}

func mustRun(t *testing.T, preview bool, a *EdgeArgs) result {
	t.Helper()
	r, err := run(t, preview, a, "")
	inspect.RequireRan(t, preview, err)
	return r
}

func spec(r *mockcloud.Resource) resource.PropertyMap {
	return inspect.Obj(inspect.At(r.Inputs, "spec"))
}

func listeners(t *testing.T, gw *mockcloud.Resource) map[string]resource.PropertyMap {
	out := map[string]resource.PropertyMap{}
	for _, l := range inspect.Arr(inspect.RequireAt(t, spec(gw), "listeners")) {
		o := inspect.Obj(l)
		out[inspect.Str(o, "name")] = o
	}
	return out
}

// TestPublicEdge: the global external class on a reserved global address; every listener but the
// HTTP one is HTTPS on 443 for one host under the domain, its certificate from the map the Gateway
// annotation names (one entry per host, each with its own DNS-authorized managed certificate).
func TestPublicEdge(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, args(false))
		gw := inspect.One(t, r.m, gwType)
		assert.Equal(t, ExternalClass, inspect.Str(spec(gw), "gatewayClassName"))
		assert.Equal(t, appsNS, inspect.Str(gw.Inputs, "metadata", "namespace"))
		addrs := inspect.Arr(inspect.RequireAt(t, spec(gw), "addresses"))
		require.Len(t, addrs, 1)
		assert.Equal(t, "NamedAddress", inspect.Str(inspect.Obj(addrs[0]), "type"))
		ip := inspect.One(t, r.m, "gcp:compute/globalAddress:GlobalAddress")
		assert.Equal(t, "EXTERNAL", inspect.Str(ip.Inputs, "addressType"))
		assert.True(t, ip.Protect, "the static IP is protected")
		assert.Equal(t, "dev", inspect.Str(ip.Inputs, "labels", "environment"), "Google Cloud resources carry CloudLabels")
		assert.Equal(t, "dataplatform", inspect.Str(gw.Inputs, "metadata", "labels", "app.kubernetes.io/part-of"), "Kubernetes objects carry Labels")
		if !preview {
			assert.Equal(t, inspect.Str(ip.Inputs, "name"), inspect.Str(inspect.Obj(addrs[0]), "value"))
			assert.Equal(t, "acme-data-dev-edge", inspect.Str(gw.Inputs, "metadata", "annotations", certMapAnnotation))
		}

		ls := listeners(t, gw)
		var names []string
		for n, l := range ls {
			names = append(names, n)
			if n == HTTPListener {
				assert.Equal(t, "HTTP", inspect.Str(l, "protocol"))
				assert.Equal(t, float64(80), inspect.Num(l, "port"))
				continue
			}
			assert.Equal(t, "HTTPS", inspect.Str(l, "protocol"), n)
			assert.Equal(t, float64(443), inspect.Num(l, "port"), n)
			assert.True(t, strings.HasSuffix(inspect.Str(l, "hostname"), "."+domain), n)
			assert.False(t, inspect.Has(l, "tls", "certificateRefs"), "GKE refuses certificateRefs beside the certmap annotation")
		}
		sort.Strings(names)
		assert.Equal(t, []string{"http", "https-airbyte", "https-dremio"}, names)

		entries := map[string]*mockcloud.Resource{}
		for _, e := range r.m.ByType(entryType) {
			entries[inspect.Str(e.Inputs, "hostname")] = e
		}
		require.Len(t, entries, 2)
		for _, h := range []string{"dremio." + domain, "airbyte." + domain} {
			e := entries[h]
			require.NotNil(t, e, "no certificate map entry for %s", h)
			if !preview { // certificate IDs are unknown in a preview
				assert.Len(t, inspect.Strs(e.Inputs, "certificates"), 1)
			}
		}
		for _, c := range r.m.ByType(certType) {
			assert.Equal(t, "global", inspect.Str(c.Inputs, "location"))
			require.Len(t, inspect.Strs(c.Inputs, "managed", "domains"), 1)
			if !preview {
				assert.Len(t, inspect.Strs(c.Inputs, "managed", "dnsAuthorizations"), 1)
			}
		}
		for _, a := range r.m.ByType(authType) {
			assert.Equal(t, "PER_PROJECT_RECORD", inspect.Str(a.Inputs, "type"), "a FIXED_RECORD CNAME would shadow cert-manager's _acme-challenge TXT")
		}
		assert.Len(t, r.m.ByType(certType), 2)
		assert.Len(t, r.m.ByType(authType), 2)
	})
}

// TestRoutesAndPolicies: each HTTP route is an HTTPRoute beside its backend on its host's listener;
// the HTTP listener's only route redirects to https; each backend Service has a health check on its
// health path and a backend policy with the Cloud Armor policy; the Gateway's policy names a TLS 1.2
// SSL policy; GRPC and TCP routes are not served here.
func TestRoutesAndPolicies(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, args(false))
		gw := inspect.One(t, r.m, gwType)
		ls := listeners(t, gw)
		hrs := r.m.ByType(httpType)
		require.Len(t, hrs, 3, "dremio-ui, airbyte and the redirect; no route for Flight or JDBC")
		for _, rt := range routes() {
			res := r.m.Named(httpType, "edge-route-"+rt.Name)
			if rt.Protocol != edge.HTTP {
				assert.Nil(t, res, rt.Name)
				continue
			}
			require.NotNil(t, res, rt.Name)
			assert.Equal(t, rt.Namespace, inspect.Str(res.Inputs, "metadata", "namespace"))
			assert.Equal(t, []string{rt.FQDN(domain)}, inspect.Strs(spec(res), "hostnames"))
			p := inspect.Obj(inspect.Arr(inspect.RequireAt(t, spec(res), "parentRefs"))[0])
			assert.Equal(t, GatewayName, inspect.Str(p, "name"))
			l, ok := ls[inspect.Str(p, "sectionName")]
			require.True(t, ok)
			assert.Equal(t, "HTTPS", inspect.Str(l, "protocol"))
			assert.Equal(t, rt.FQDN(domain), inspect.Str(l, "hostname"))
			be := inspect.Obj(inspect.Arr(inspect.At(inspect.Obj(inspect.Arr(inspect.At(spec(res), "rules"))[0]), "backendRefs"))[0])
			assert.Equal(t, rt.Service, inspect.Str(be, "name"))
			assert.Equal(t, float64(rt.Port), inspect.Num(be, "port"))

			hc := inspect.MustNamed(t, r.m, hcType, "edge-health-"+rt.Name)
			assert.Equal(t, rt.Namespace, inspect.Str(hc.Inputs, "metadata", "namespace"))
			assert.Equal(t, rt.Service, inspect.Str(spec(hc), "targetRef", "name"))
			assert.Equal(t, "HTTP", inspect.Str(spec(hc), "default", "config", "type"))
			assert.Equal(t, args(false).HealthPaths[rt.Name], inspect.Str(spec(hc), "default", "config", "httpHealthCheck", "requestPath"))
			bp := inspect.MustNamed(t, r.m, bpType, "edge-backend-"+rt.Name)
			assert.Equal(t, rt.Service, inspect.Str(spec(bp), "targetRef", "name"))
			assert.Equal(t, float64(backendTimeoutSec), inspect.Num(spec(bp), "default", "timeoutSec"))
			if !preview {
				assert.Equal(t, "acme-data-dev-edge-sources", inspect.Str(spec(bp), "default", "securityPolicy"))
			}
		}
		redirect := inspect.MustNamed(t, r.m, httpType, "edge-https-redirect")
		p := inspect.Obj(inspect.Arr(inspect.At(spec(redirect), "parentRefs"))[0])
		assert.Equal(t, HTTPListener, inspect.Str(p, "sectionName"))
		f := inspect.Obj(inspect.Arr(inspect.At(inspect.Obj(inspect.Arr(inspect.At(spec(redirect), "rules"))[0]), "filters"))[0])
		assert.Equal(t, "RequestRedirect", inspect.Str(f, "type"))
		assert.Equal(t, "https", inspect.Str(f, "requestRedirect", "scheme"))
		assert.False(t, inspect.Has(inspect.Obj(inspect.Arr(inspect.At(spec(redirect), "rules"))[0]), "backendRefs"))

		ssl := inspect.One(t, r.m, "gcp:compute/sSLPolicy:SSLPolicy")
		assert.Equal(t, "TLS_1_2", inspect.Str(ssl.Inputs, "minTlsVersion"))
		gp := inspect.One(t, r.m, gpType)
		assert.Equal(t, "Gateway", inspect.Str(spec(gp), "targetRef", "kind"))
		if !preview {
			assert.Equal(t, inspect.Str(ssl.Inputs, "name"), inspect.Str(spec(gp), "default", "sslPolicy"))
		}

		armor := inspect.One(t, r.m, "gcp:compute/securityPolicy:SecurityPolicy")
		rules := inspect.Arr(inspect.At(armor.Inputs, "rules"))
		require.Len(t, rules, 2)
		allow, deny := inspect.Obj(rules[0]), inspect.Obj(rules[1])
		assert.Equal(t, "allow", inspect.Str(allow, "action"))
		assert.Equal(t, []string{"0.0.0.0/0", "::/0"}, inspect.Strs(allow, "match", "config", "srcIpRanges"))
		assert.Equal(t, "deny(403)", inspect.Str(deny, "action"))
		assert.Equal(t, float64(2147483647), inspect.Num(deny, "priority"))
	})
}

// TestArmorChunksRanges: Cloud Armor takes at most 10 ranges per rule.
func TestArmorChunksRanges(t *testing.T) {
	a := args(false)
	a.SourceRanges = nil
	for i := 0; i < 12; i++ {
		a.SourceRanges = append(a.SourceRanges, fmt.Sprintf("203.0.%d.0/24", i))
	}
	r := mustRun(t, false, a)
	rules := inspect.Arr(inspect.At(inspect.One(t, r.m, "gcp:compute/securityPolicy:SecurityPolicy").Inputs, "rules"))
	require.Len(t, rules, 3)
	assert.Len(t, inspect.Strs(inspect.Obj(rules[0]), "match", "config", "srcIpRanges"), 10)
	assert.Len(t, inspect.Strs(inspect.Obj(rules[1]), "match", "config", "srcIpRanges"), 2)
	assert.Equal(t, float64(1001), inspect.Num(inspect.Obj(rules[1]), "priority"))
}

// TestInternalEdge: the regional internal class on an internal shared VIP in the nodes subnet, after
// the proxy-only subnet; regional certificates named by each HTTPS listener (Terminate + options, as
// the Gateway CEL requires without certificateRefs); a regional TLS 1.2 SSL policy with global access;
// no certificate map and no Cloud Armor.
func TestInternalEdge(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, args(true))
		gw := inspect.One(t, r.m, gwType)
		assert.Equal(t, InternalClass, inspect.Str(spec(gw), "gatewayClassName"))
		assert.False(t, inspect.Has(gw.Inputs, "metadata", "annotations", certMapAnnotation))
		assert.True(t, r.m.DependsOn(gw, inspect.MustNamed(t, r.m, "gcp:compute/subnetwork:Subnetwork", "proxy-only")), "the Gateway waits for the proxy-only subnet")
		ip := inspect.One(t, r.m, "gcp:compute/address:Address")
		assert.Equal(t, "INTERNAL", inspect.Str(ip.Inputs, "addressType"))
		assert.Equal(t, "SHARED_LOADBALANCER_VIP", inspect.Str(ip.Inputs, "purpose"))
		for n, l := range listeners(t, gw) {
			if n == HTTPListener {
				continue
			}
			assert.Equal(t, "Terminate", inspect.Str(l, "tls", "mode"), n)
			if !preview {
				// The host's Certificate: its label and a hash of its FQDN (TestHostResourceNamesFollowTheDomain).
				label := strings.TrimPrefix(n, "https-")
				assert.Equal(t, args(true).hostResourceName(label, label+"."+domain), inspect.Str(l, "tls", "options", certManagerCertsOption), n)
			}
		}
		for _, c := range r.m.ByType(certType) {
			assert.Equal(t, "europe-north1", inspect.Str(c.Inputs, "location"))
		}
		assert.Empty(t, r.m.ByType(entryType))
		assert.Empty(t, r.m.ByType("gcp:certificatemanager/certificateMap:CertificateMap"))
		assert.Empty(t, r.m.ByType("gcp:compute/securityPolicy:SecurityPolicy"))
		ssl := inspect.One(t, r.m, "gcp:compute/regionSslPolicy:RegionSslPolicy")
		assert.Equal(t, "TLS_1_2", inspect.Str(ssl.Inputs, "minTlsVersion"))
		gp := inspect.One(t, r.m, gpType)
		v, _ := inspect.Bool(spec(gp), "default", "allowGlobalAccess")
		assert.True(t, v)
		for _, bp := range r.m.ByType(bpType) {
			assert.False(t, inspect.Has(spec(bp), "default", "securityPolicy"))
		}
	})
}

// TestDNSRecords: a created public zone named the domain (protected, DNSSEC on); an A record per HTTP
// host at the address and a CNAME per DNS authorization.
func TestDNSRecords(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, args(false))
		z := inspect.One(t, r.m, zoneType)
		assert.Equal(t, domain+".", inspect.Str(z.Inputs, "dnsName"))
		assert.Equal(t, "on", inspect.Str(z.Inputs, "dnssecConfig", "state"))
		assert.True(t, z.Protect)
		a := map[string]string{}
		cnames := 0
		for _, rec := range r.m.ByType(recType) {
			switch inspect.Str(rec.Inputs, "type") {
			case "A":
				a[inspect.Str(rec.Inputs, "name")] = strings.Join(inspect.Strs(rec.Inputs, "rrdatas"), ",")
			case "CNAME":
				cnames++
				assert.True(t, strings.HasPrefix(inspect.Str(rec.Inputs, "name"), "_acme-challenge_"))
			}
		}
		require.Len(t, a, 2)
		for _, h := range []string{"dremio." + domain + ".", "airbyte." + domain + "."} {
			_, ok := a[h]
			assert.True(t, ok, "no A record for %s", h)
			if !preview {
				assert.Equal(t, inspect.Await(t, r.edge.Address).Value, a[h])
				assert.NotEmpty(t, a[h])
			}
		}
		if !preview {
			assert.Equal(t, 2, cnames)
			urls := map[string]string{}
			for k, v := range r.edge.Info.URLs {
				urls[k] = inspect.Await(t, v).Value.(string)
			}
			assert.Equal(t, map[string]string{"dremio-ui": "https://dremio." + domain, "airbyte": "https://airbyte." + domain}, urls)
		}
	})
}

// TestExistingZone: a named zone is looked up, not created; one that holds another domain is refused.
func TestExistingZone(t *testing.T) {
	r, err := run(t, false, args(false), "example-com")
	require.NoError(t, err)
	assert.Empty(t, r.m.ByType(zoneType))
	for _, rec := range r.m.ByType(recType) {
		assert.Equal(t, "example-com", inspect.Str(rec.Inputs, "managedZone"))
	}
	_, err = run(t, false, args(false), "other-org")
	require.ErrorContains(t, err, `edge.dnsZone = "other-org" holds other.org, which is neither data.example.com nor a parent of it`)
}

// TestValidation: bad input fails before anything is registered.
func TestValidation(t *testing.T) {
	cases := map[string]struct {
		mut  func(a *EdgeArgs)
		want string
	}{
		"no health path":     {func(a *EdgeArgs) { delete(a.HealthPaths, "airbyte") }, `HealthPaths["airbyte"]`},
		"bad health path":    {func(a *EdgeArgs) { a.HealthPaths["airbyte"] = "health" }, `HealthPaths["airbyte"] = "health"`},
		"no ranges":          {func(a *EdgeArgs) { a.SourceRanges = nil }, "SourceRanges is empty"},
		"host bits":          {func(a *EdgeArgs) { a.SourceRanges = []string{"10.0.0.1/8"} }, `"10.0.0.1/8"`},
		"public on internal": {func(a *EdgeArgs) { a.Internal = true; a.SourceRanges = []string{"0.0.0.0/0"} }, `"0.0.0.0/0" is public`},
		"bad name":           {func(a *EdgeArgs) { a.Name = "Acme" }, `Name = "Acme"`},
		"bad domain":         {func(a *EdgeArgs) { a.Domain = "Data" }, "domain"},
		"no http routes":     {func(a *EdgeArgs) { a.Routes = routes()[1:3] }, "no HTTP routes"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			a := args(false)
			c.mut(a)
			r, err := run(t, false, a, "")
			require.ErrorContains(t, err, c.want)
			assert.Empty(t, r.m.ByType(gwType))
			assert.Empty(t, r.m.ByType(certType))
		})
	}
	_, err := run(t, false, nil, "")
	require.ErrorContains(t, err, "args are required")
}
