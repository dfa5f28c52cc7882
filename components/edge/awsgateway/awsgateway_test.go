package awsgateway

import (
	"strings"
	"sync"
	"testing"

	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	gatewayT = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	lbconfT  = "kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration"
	tgconfT  = "kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration"
	recordT  = "aws:route53/record:Record"
	domain   = "data.example.com"
)

// routes are what the engine publishes (dremio.Routes, airbyte.Routes).
func routes() []edge.Route {
	return []edge.Route{
		{Name: "dremio-ui", Host: "dremio", Service: "dremio-client", Namespace: "dataplatform-apps", Port: 9047, Protocol: edge.HTTP},
		{Name: "dremio-flight", Host: "dremio", Service: "dremio-client", Namespace: "dataplatform-apps", Port: 32010, Protocol: edge.GRPC, ListenPort: 32010},
		{Name: "dremio-jdbc", Host: "dremio", Service: "dremio-client", Namespace: "dataplatform-apps", Port: 31010, Protocol: edge.TCP, ListenPort: 31010},
		{Name: "airbyte", Host: "airbyte", Service: "airbyte-airbyte-server-svc", Namespace: "dataplatform-apps", Port: 8001, Protocol: edge.HTTP},
	}
}

func args() *EdgeArgs {
	return &EdgeArgs{
		Domain: domain, Routes: routes(),
		HealthCheckPaths:   map[string]string{"dremio-ui": "/apiv2/server_status", "airbyte": "/api/v1/health"},
		SourceRanges:       []string{"0.0.0.0/0", "::/0"},
		SubnetIDs:          pulumi.ToStringArray([]string{"subnet-0a", "subnet-0b"}),
		LoadBalancerPrefix: "dataplatform-dev",
		Tags:               map[string]string{"stack": "dev"},
	}
}

func run(t *testing.T, preview bool, a *EdgeArgs) (*mockcloud.Mocks, *Edge, error) {
	m := mockcloud.New("dataplatform", "dev", preview)
	var out *Edge
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
		if err != nil {
			return err
		}
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		ctrl, err := corev1.NewConfigMap(ctx, "controller", &corev1.ConfigMapArgs{}, pulumi.Provider(k))
		if err != nil {
			return err
		}
		if a != nil && a.Controller == nil {
			a.Controller = []pulumi.Resource{ctrl}
		}
		out, err = NewEdge(ctx, "edge", a, pulumi.Providers(p, k))
		return err
	}, nil)
	return m, out, err
}

func named(t *testing.T, m *mockcloud.Mocks, typ, metaName string) *mockcloud.Resource {
	t.Helper()
	for _, r := range m.ByType(typ) {
		if inspect.Str(r.Inputs, "metadata", "name") == metaName {
			return r
		}
	}
	t.Fatalf("no %s named %s", typ, metaName)
	return nil
}

// TestEdgeListenersAndRoutes: an ALB Gateway whose listeners are HTTPS but the :80 redirect, an NLB
// Gateway with a TLS listener, both on classes of the AWS Load Balancer Controller, and routes under
// the domain attached to their listeners.
func TestEdgeListenersAndRoutes(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, args())
		require.NoError(t, err)
		classes := map[string]string{}
		for _, c := range m.ByType("kubernetes:gateway.networking.k8s.io/v1:GatewayClass") {
			classes[inspect.Str(c.Inputs, "metadata", "name")] = inspect.Str(c.Inputs, "spec", "controllerName")
		}
		assert.Equal(t, map[string]string{ALBClass: "gateway.k8s.aws/alb", NLBClass: "gateway.k8s.aws/nlb"}, classes)

		alb := named(t, m, gatewayT, ALBGateway)
		assert.Equal(t, ALBClass, inspect.Str(alb.Inputs, "spec", "gatewayClassName"))
		assert.Equal(t, "LoadBalancerConfiguration", inspect.Str(alb.Inputs, "spec", "infrastructure", "parametersRef", "kind"))
		assert.Equal(t, "condition=Programmed", inspect.Str(alb.Inputs, "metadata", "annotations", "pulumi.com/waitFor"))
		got := map[string]string{}
		for _, l := range inspect.Arr(inspect.At(alb.Inputs, "spec", "listeners")) {
			o := inspect.Obj(l)
			got[inspect.Str(o, "name")] = inspect.Str(o, "protocol") + ":" + inspect.Str(o, "hostname")
			if inspect.Num(o, "port") == 80 {
				assert.Equal(t, "HTTP", inspect.Str(o, "protocol"), "only :80 is plain HTTP")
			} else {
				assert.Equal(t, "HTTPS", inspect.Str(o, "protocol"), inspect.Str(o, "name"))
			}
		}
		assert.Equal(t, map[string]string{"http": "HTTP:", "https-dremio": "HTTPS:dremio." + domain, "https-airbyte": "HTTPS:airbyte." + domain, "dremio-flight": "HTTPS:"}, got)

		nlb := named(t, m, gatewayT, NLBGateway)
		ls := inspect.Arr(inspect.At(nlb.Inputs, "spec", "listeners"))
		require.Len(t, ls, 1, "L4 and L7 cannot share a Gateway")
		l := inspect.Obj(ls[0])
		assert.Equal(t, "TLS", inspect.Str(l, "protocol"))
		assert.Equal(t, 31010.0, inspect.Num(l, "port"))
		assert.Equal(t, "Terminate", inspect.Str(l, "tls", "mode"))
		assert.NotEmpty(t, inspect.Obj(inspect.At(l, "tls", "options")), "Gateway API CEL: Terminate needs certificateRefs or options")

		redirect := named(t, m, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "https-redirect")
		rule := inspect.Obj(inspect.Arr(inspect.At(redirect.Inputs, "spec", "rules"))[0])
		assert.Equal(t, "https", inspect.Str(inspect.Obj(inspect.Arr(rule["filters"])[0]), "requestRedirect", "scheme"))
		assert.Empty(t, inspect.Arr(rule["backendRefs"]), "the :80 route only redirects")

		for _, tc := range []struct{ typ, name, gw, section, host string }{
			{"HTTPRoute", "dremio-ui", ALBGateway, "https-dremio", "dremio." + domain},
			{"HTTPRoute", "airbyte", ALBGateway, "https-airbyte", "airbyte." + domain},
			{"GRPCRoute", "dremio-flight", ALBGateway, "dremio-flight", ""},
			{"TCPRoute", "dremio-jdbc", NLBGateway, "dremio-jdbc", ""},
		} {
			r := named(t, m, "kubernetes:gateway.networking.k8s.io/v1:"+tc.typ, tc.name)
			assert.Equal(t, "dataplatform-apps", inspect.Str(r.Inputs, "metadata", "namespace"), tc.name)
			p := inspect.Obj(inspect.Arr(inspect.At(r.Inputs, "spec", "parentRefs"))[0])
			assert.Equal(t, tc.gw, inspect.Str(p, "name"), tc.name)
			assert.Equal(t, tc.section, inspect.Str(p, "sectionName"), tc.name)
			hosts := inspect.Strs(r.Inputs, "spec", "hostnames")
			if tc.host == "" {
				assert.Empty(t, hosts, tc.name)
			} else {
				assert.Equal(t, []string{tc.host}, hosts, tc.name)
			}
			assert.True(t, m.DependsOn(r, inspect.MustNamed(t, m, "kubernetes:core/v1:ConfigMap", "controller")), "%s waits for the controller's CRDs", tc.name)
		}
	})
}

// TestEdgeLoadBalancerConfiguration: scheme per InternalOnly, the subnets, the source ranges, and a
// TLS 1.2+ policy with the issued ACM certificate on every secure listener.
func TestEdgeLoadBalancerConfiguration(t *testing.T) {
	for _, internal := range []bool{false, true} {
		inspect.Modes(t, func(t *testing.T, preview bool) {
			a := args()
			a.Internal = internal
			if internal {
				a.SourceRanges = []string{"10.0.0.0/8"}
			}
			m, e, err := run(t, preview, a)
			require.NoError(t, err)
			want := map[string][]string{ALBGateway: {"HTTPS:443", "HTTPS:32010"}, NLBGateway: {"TLS:31010"}}
			for gw, ports := range want {
				c := named(t, m, lbconfT, gw)
				spec := inspect.Obj(c.Inputs["spec"])
				if internal {
					assert.Equal(t, "internal", inspect.Str(spec, "scheme"))
				} else {
					assert.Equal(t, "internet-facing", inspect.Str(spec, "scheme"))
				}
				assert.Equal(t, a.SourceRanges, inspect.Strs(spec, "sourceRanges"))
				assert.Equal(t, "dataplatform-dev-"+map[string]string{ALBGateway: "alb", NLBGateway: "nlb"}[gw], inspect.Str(spec, "loadBalancerName"))
				var got []string
				for _, l := range inspect.Arr(spec["listenerConfigurations"]) {
					o := inspect.Obj(l)
					got = append(got, inspect.Str(o, "protocolPort"))
					assert.Equal(t, "ELBSecurityPolicy-TLS13-1-2-2021-06", inspect.Str(o, "sslPolicy"), "TLS 1.2+")
					if !preview {
						assert.Contains(t, inspect.Str(o, "defaultCertificate"), "arn:aws:acm:")
					}
				}
				assert.ElementsMatch(t, ports, got, gw)
				if !preview {
					subnets := inspect.Arr(spec["loadBalancerSubnets"])
					require.Len(t, subnets, 2)
					assert.Equal(t, "subnet-0a", inspect.Str(inspect.Obj(subnets[0]), "identifier"))
				}
			}
			if !preview {
				arn := inspect.Await(t, e.CertificateArn).Value
				assert.Contains(t, arn.(string), "arn:aws:acm:")
			}
		})
	}
}

// TestEdgeCertificateAndRecords: one DNS-validated certificate covers every served host, its
// validation records are in the zone, the listeners get its ARN only once it is issued, every host
// has an alias record to its load balancer, and the URLs and endpoints are under the domain.
func TestEdgeCertificateAndRecords(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, e, err := run(t, preview, args())
		require.NoError(t, err)
		hosts := []string{"airbyte." + domain, "dremio." + domain, "dremio-jdbc." + domain}
		cert := inspect.MustNamed(t, m, "aws:acm/certificate:Certificate", "edge-certificate")
		assert.ElementsMatch(t, hosts, append([]string{inspect.Str(cert.Inputs, "domainName")}, inspect.Strs(cert.Inputs, "subjectAlternativeNames")...))
		assert.Equal(t, "DNS", inspect.Str(cert.Inputs, "validationMethod"))
		zone := inspect.MustNamed(t, m, "aws:route53/zone:Zone", "edge-zone")
		assert.Equal(t, domain, inspect.Str(zone.Inputs, "name"))
		validation := inspect.MustNamed(t, m, "aws:acm/certificateValidation:CertificateValidation", "edge-certificate-validation")
		for _, h := range hosts {
			v := inspect.MustNamed(t, m, recordT, "edge-validation-"+strings.ReplaceAll(h, ".", "-"))
			assert.True(t, m.DependsOn(validation, v), h)
			if !preview {
				assert.Equal(t, "CNAME", inspect.Str(v.Inputs, "type"))
				assert.True(t, strings.HasSuffix(inspect.Str(v.Inputs, "name"), "."+h+"."), inspect.Str(v.Inputs, "name"))
			}
			a := inspect.MustNamed(t, m, recordT, "edge-record-"+strings.ReplaceAll(h, ".", "-"))
			assert.Equal(t, h, inspect.Str(a.Inputs, "name"))
			assert.Equal(t, "A", inspect.Str(a.Inputs, "type"))
			gw := named(t, m, gatewayT, ALBGateway)
			if strings.HasPrefix(h, "dremio-jdbc.") {
				gw = named(t, m, gatewayT, NLBGateway)
			}
			assert.True(t, m.DependsOn(a, gw), "%s is looked up once its Gateway is programmed", h)
			if !preview {
				lbDNS := inspect.Str(inspect.Obj(inspect.Arr(a.Inputs["aliases"])[0]), "name")
				want := "dataplatform-dev-alb"
				if strings.HasPrefix(h, "dremio-jdbc.") {
					want = "dataplatform-dev-nlb"
				}
				assert.True(t, strings.HasPrefix(lbDNS, want), "%s → %s", h, lbDNS)
			}
		}
		for _, gw := range []string{ALBGateway, NLBGateway} {
			assert.True(t, m.DependsOn(named(t, m, lbconfT, gw), validation), "%s references the issued certificate", gw)
		}
		if preview {
			return
		}
		for name, want := range map[string]string{"dremio-ui": "https://dremio." + domain, "airbyte": "https://airbyte." + domain} {
			v := inspect.Await(t, e.Info.URLs[name]).Value
			assert.Equal(t, want, v)
		}
		for name, want := range map[string]string{"dremio-flight": "dremio." + domain + ":32010", "dremio-jdbc": "dremio-jdbc." + domain + ":31010"} {
			v := inspect.Await(t, e.Info.Endpoints[name]).Value
			assert.Equal(t, want, v)
		}
		ca := inspect.Await(t, e.Info.CACertificate).Value
		assert.Equal(t, "", ca, "ACM certificates chain to public roots")
	})
}

// TestEdgeTargetGroups: ip targets, HTTP health checks on the paths the backends answer, gRPC for
// the Flight route.
func TestEdgeTargetGroups(t *testing.T) {
	m, _, err := run(t, false, args())
	require.NoError(t, err)
	dremio := named(t, m, tgconfT, "dremio-client")
	assert.Equal(t, "dremio-client", inspect.Str(dremio.Inputs, "spec", "targetReference", "name"))
	assert.Equal(t, "ip", inspect.Str(dremio.Inputs, "spec", "defaultConfiguration", "targetType"))
	props := map[string]resource.PropertyMap{}
	for _, rc := range inspect.Arr(inspect.At(dremio.Inputs, "spec", "routeConfigurations")) {
		o := inspect.Obj(rc)
		props[inspect.Str(o, "routeIdentifier", "kind")+"/"+inspect.Str(o, "routeIdentifier", "name")] = inspect.Obj(o["targetGroupProps"])
	}
	require.Len(t, props, 3)
	assert.Equal(t, "/apiv2/server_status", inspect.Str(props["HTTPRoute/dremio-ui"], "healthCheckConfig", "healthCheckPath"))
	assert.Equal(t, "GRPC", inspect.Str(props["GRPCRoute/dremio-flight"], "protocolVersion"))
	assert.Equal(t, "12", inspect.Str(props["GRPCRoute/dremio-flight"], "healthCheckConfig", "matcher", "grpcCode"))
	assert.Equal(t, "TCP", inspect.Str(props["TCPRoute/dremio-jdbc"], "healthCheckConfig", "healthCheckProtocol"))
	for k, p := range props {
		assert.Equal(t, "ip", inspect.Str(p, "targetType"), k)
	}
	airbyte := named(t, m, tgconfT, "airbyte-airbyte-server-svc")
	rc := inspect.Obj(inspect.Arr(inspect.At(airbyte.Inputs, "spec", "routeConfigurations"))[0])
	assert.Equal(t, "/api/v1/health", inspect.Str(rc, "targetGroupProps", "healthCheckConfig", "healthCheckPath"))
}

// TestEdgeExistingZone: edge.dnsZone names a public zone for the domain (or a parent); the records go
// there and no zone is created.
func TestEdgeExistingZone(t *testing.T) {
	a := args()
	a.DNSZoneID = "Z0123456789ABCDEFGHIJ"
	m, e, err := run(t, false, a)
	require.NoError(t, err)
	assert.Empty(t, m.ByType("aws:route53/zone:Zone"))
	for _, r := range m.ByType(recordT) {
		assert.Equal(t, "Z0123456789ABCDEFGHIJ", inspect.Str(r.Inputs, "zoneId"), r.Name)
	}
	z := inspect.Await(t, e.ZoneID).Value
	assert.Equal(t, "Z0123456789ABCDEFGHIJ", z)

	// The mock zone is data.example.com: another domain is refused before anything is created.
	a = args()
	a.DNSZoneID, a.Domain = "Z0123456789ABCDEFGHIJ", "data.other.org"
	m, _, err = run(t, false, a)
	assert.ErrorContains(t, err, "is data.example.com; the domain data.other.org is neither")
	assert.Empty(t, m.ByType("aws:acm/certificate:Certificate"))
}

// TestEdgeProtectsOnlyTheZone: the zone it creates is protected when asked, nothing else is.
func TestEdgeProtectsOnlyTheZone(t *testing.T) {
	a := args()
	a.Protect = true
	m, _, err := run(t, false, a)
	require.NoError(t, err)
	for _, r := range m.Resources() {
		if r.Type == "aws:route53/zone:Zone" {
			assert.True(t, r.Protect, r.Name)
			assert.False(t, inspect.At(r.Inputs, "forceDestroy").BoolValue())
		} else if r.Custom {
			assert.False(t, r.Protect, "%s %s", r.Type, r.Name)
		}
	}
}

func TestEdgeArgsValidation(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*EdgeArgs)
		want   string
	}{
		{func(a *EdgeArgs) { a.HealthCheckPaths = map[string]string{"dremio-ui": "/x"} }, `HealthCheckPaths["airbyte"]`},
		{func(a *EdgeArgs) { a.HealthCheckPaths["ghost"] = "/" }, `route "ghost"`},
		{func(a *EdgeArgs) { a.SourceRanges = nil }, "SourceRanges is empty"},
		{func(a *EdgeArgs) { a.SourceRanges = []string{"10.0.0.1/8"} }, "host bits"},
		{func(a *EdgeArgs) { a.DNSZoneID = "zone" }, "DNSZoneID"},
		{func(a *EdgeArgs) { a.LoadBalancerPrefix = "Bad_Prefix" }, "LoadBalancerPrefix"},
		{func(a *EdgeArgs) { a.Tags = map[string]string{"aws:x": "y"} }, "Tags"},
		{func(a *EdgeArgs) { a.Domain = "Data.Example.com" }, "domain"},
		{func(a *EdgeArgs) {
			a.Routes = append(a.Routes, edge.Route{Name: "airbyte-x", Host: "dremio-jdbc", Service: "s", Namespace: "n", Port: 1, Protocol: edge.HTTP})
			a.HealthCheckPaths["airbyte-x"] = "/"
		}, `TCP route "dremio-jdbc"`},
	} {
		a := args()
		tc.mutate(a)
		m, _, err := run(t, false, a)
		assert.ErrorContains(t, err, tc.want)
		assert.Empty(t, m.ByType(EdgeType))
	}
}

func TestLoadBalancerNames(t *testing.T) {
	assert.Equal(t, "dataplatform-prod-alb", lbName("dataplatform-prod", "alb"))
	long := lbName("a-very-long-project-name-for-the-platform-prod", "nlb")
	assert.LessOrEqual(t, len(long), 32)
	assert.True(t, strings.HasSuffix(long, "-nlb"))
	assert.NotEqual(t, long, lbName("a-very-long-project-name-for-the-platform-stag", "nlb"), "the hash keeps shortened names apart")
}

// TestEdgeSchemeChangeReplacesGateways: both Gateways carry the scheme in an annotation, and a change
// of it replaces them, deleting first, so the alias lookup waits for the new load balancer
// (aws-load-balancer-controller@v3.5.0 pkg/deploy/elbv2/load_balancer_synthesizer.go
// isSDKLoadBalancerRequiresReplacement recreates the load balancer under the same name).
func TestEdgeSchemeChangeReplacesGateways(t *testing.T) {
	for _, internal := range []bool{false, true} {
		want := "internet-facing"
		if internal {
			want = "internal"
		}
		inspect.Modes(t, func(t *testing.T, preview bool) {
			a := args()
			a.Internal = internal
			m, _, err := run(t, preview, a)
			require.NoError(t, err)
			for _, name := range []string{ALBGateway, NLBGateway} {
				gw := named(t, m, gatewayT, name)
				assert.Equal(t, want, inspect.Str(gw.Inputs, "metadata", "annotations", SchemeAnnotation), name)
				assert.Equal(t, []string{`metadata.annotations["dataplatform.io/load-balancer-scheme"]`}, gw.ReplaceOnChanges, name)
				assert.True(t, gw.DeleteBeforeReplace, name)
			}
		})
	}
}

// TestEdgeLogsNameServersEarly: a created zone's name servers are logged as soon as the zone exists
// (not only as the dnsNameServers export after the ACM wait); a named zone logs nothing.
func TestEdgeLogsNameServersEarly(t *testing.T) {
	var mu sync.Mutex
	var logged []string
	old := logInfo
	logInfo = func(_ *pulumi.Context, msg string, _ pulumi.Resource) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, msg)
	}
	defer func() { logInfo = old }()

	_, _, err := run(t, false, args())
	require.NoError(t, err)
	mu.Lock()
	got := append([]string(nil), logged...)
	logged = nil
	mu.Unlock()
	require.Len(t, got, 1)
	assert.Contains(t, got[0], "delegate "+args().Domain+" to ns-101.awsdns-12.com, ns-602.awsdns-07.net")

	a := args()
	a.DNSZoneID = "Z0123456789ABCDEFGHIJ"
	_, _, err = run(t, false, a)
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, logged)
}
