package envoygateway

import (
	"sort"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

// parentRef attaches a route to one listener of the Gateway.
func (b *builder) parentRef(section string) pulumi.Array {
	return pulumi.Array{pulumi.Map{
		"group": pulumi.String("gateway.networking.k8s.io"), "kind": pulumi.String("Gateway"),
		"name": pulumi.String(GatewayName), "namespace": b.ns, "sectionName": pulumi.String(section),
	}}
}

func backendRef(r edge.Route) pulumi.Array {
	return pulumi.Array{pulumi.Map{
		"group": pulumi.String(""), "kind": pulumi.String("Service"),
		"name": pulumi.String(r.Service), "port": pulumi.Int(r.Port),
	}}
}

// streamRouteKind is the route kind of the GRPC and TCP routes: TCPRoute (v1 since Gateway API 1.6),
// or TLSRoute (v1, standard since Gateway API 1.5) with EdgeArgs.TLSRoutes.
func streamRouteKind(tlsRoutes bool) string {
	if tlsRoutes {
		return "TLSRoute"
	}
	return "TCPRoute"
}

// routes creates, beside each backend (so no ReferenceGrant is needed), an HTTPRoute on the host's
// HTTPS listener or a TCPRoute / TLSRoute on the route's TLS listener, and — when there are HTTP
// routes — in the Gateway's namespace the HTTP listener's only route: a 301 redirect to https
// (HTTPRoute RequestRedirect filter, scheme https; the port follows the scheme).
//
// A TLSRoute (sigs.k8s.io/gateway-api@v1.6.1 config/crd/standard/gateway.networking.k8s.io_tlsroutes.yaml
// v1: hostnames required, 1–1024; rules required, exactly one) names the route's host: Envoy Gateway
// matches it against the client's SNI on the terminating listener (envoyproxy/gateway@v1.9.0
// internal/gatewayapi/route.go processTLSRouteParentRefs: "Listener is in terminate mode" →
// TLSInspectorConfig SNIs = the hostnames), so a client that sends no SNI is not routed.
func (b *builder) routes(gateway pulumi.Resource) error {
	a := b.a
	after := pulumi.DependsOn([]pulumi.Resource{gateway})
	for _, r := range a.Routes {
		ns := pulumi.String(r.Namespace)
		var err error
		if r.Protocol == edge.HTTP {
			_, err = b.custom("route-"+r.Name, gatewayAPI, "HTTPRoute", b.meta(r.Name, ns), pulumi.Map{
				"parentRefs": b.parentRef(listenerName(r)),
				"hostnames":  pulumi.ToStringArray([]string{r.FQDN(a.Domain)}),
				"rules": pulumi.Array{pulumi.Map{
					"backendRefs": backendRef(r),
					// HTTPRouteTimeouts (standard since Gateway API v1.2).
					"timeouts": pulumi.Map{"request": pulumi.String(httpRequestTimeout)},
				}},
			}, after)
		} else {
			spec := pulumi.Map{
				"parentRefs": b.parentRef(listenerName(r)),
				"rules":      pulumi.Array{pulumi.Map{"backendRefs": backendRef(r)}},
			}
			if a.TLSRoutes {
				spec["hostnames"] = pulumi.ToStringArray([]string{r.FQDN(a.Domain)})
			}
			_, err = b.custom("route-"+r.Name, gatewayAPI, streamRouteKind(a.TLSRoutes), b.meta(r.Name, ns), spec, after)
		}
		if err != nil {
			return err
		}
	}
	var hosts []string
	for _, r := range a.Routes {
		if r.Protocol == edge.HTTP {
			hosts = append(hosts, r.FQDN(a.Domain))
		}
	}
	if len(hosts) == 0 {
		return nil // no HTTP listener, nothing to redirect
	}
	sort.Strings(hosts)
	_, err := b.custom("https-redirect", gatewayAPI, "HTTPRoute", b.meta("https-redirect", b.ns), pulumi.Map{
		"parentRefs": b.parentRef(HTTPListener),
		"hostnames":  pulumi.ToStringArray(hosts),
		"rules": pulumi.Array{pulumi.Map{"filters": pulumi.Array{pulumi.Map{
			"type":            pulumi.String("RequestRedirect"),
			"requestRedirect": pulumi.Map{"scheme": pulumi.String("https"), "statusCode": pulumi.Int(301)},
		}}}},
	}, after)
	return err
}

// policies attaches Envoy Gateway's policies to the Gateway:
//   - ClientTrafficPolicy tls.minVersion "1.2" (api/v1alpha1/tls_types.go TLSVersion enum Auto, 1.0–1.3);
//     it applies to the HTTPS and to the TLS listeners (internal/gatewayapi/clienttrafficpolicy.go
//     translateClientTrafficPolicyForListener sets the TLS parameters of HTTP and TCP listeners).
//   - SecurityPolicy authorization: deny by default, allow the source ranges
//     (api/v1alpha1/authorization_types.go Principal.clientCIDRs). A Gateway-wide policy reaches the
//     HTTP routes and the TCP listeners' routes (internal/gatewayapi/securitypolicy.go: "Apply to TCP
//     listeners (Authorization only)"). Envoy enforces it on the connection's source address, which
//     the Local traffic policy of the proxies' Service preserves. Chosen over the Service's
//     loadBalancerSourceRanges, which depends on the load balancer implementation ("not guaranteed to
//     be working", shared_types.go KubernetesServiceSpec) and is bypassed through node ports.
func (b *builder) policies(gateway pulumi.Resource) error {
	target := pulumi.Array{pulumi.Map{"group": pulumi.String("gateway.networking.k8s.io"), "kind": pulumi.String("Gateway"), "name": pulumi.String(GatewayName)}}
	after := pulumi.DependsOn([]pulumi.Resource{gateway})
	if _, err := b.custom("client-tls", egAPI, "ClientTrafficPolicy", b.meta("dataplatform-tls", b.ns), pulumi.Map{
		"targetRefs": target,
		"tls":        pulumi.Map{"minVersion": pulumi.String("1.2")},
	}, after); err != nil {
		return err
	}
	// gRPC clients (Arrow Flight: grpc-java, gRPC C++) refuse a TLS connection without ALPN h2, and
	// Envoy Gateway disables ALPN on TLS listeners unless a policy sets it (envoyproxy/gateway@v1.9.0
	// internal/gatewayapi/helpers.go irTLSConfigsForTCPListener sets an empty list;
	// api/v1alpha1/tls_types.go: "Other Routes: ALPN is disabled"). A listener-level policy (targetRef
	// with sectionName) takes precedence over the Gateway-wide one, so it repeats the TLS floor.
	for _, r := range b.a.Routes {
		if r.Protocol != edge.GRPC {
			continue
		}
		l := listenerName(r)
		section := pulumi.Array{pulumi.Map{"group": pulumi.String("gateway.networking.k8s.io"), "kind": pulumi.String("Gateway"),
			"name": pulumi.String(GatewayName), "sectionName": pulumi.String(l)}}
		if _, err := b.custom("client-tls-"+l, egAPI, "ClientTrafficPolicy", b.meta("dataplatform-tls-"+l, b.ns), pulumi.Map{
			"targetRefs": section,
			"tls":        pulumi.Map{"minVersion": pulumi.String("1.2"), "alpnProtocols": pulumi.ToStringArray([]string{"h2"})},
		}, after); err != nil {
			return err
		}
	}
	_, err := b.custom("source-ranges", egAPI, "SecurityPolicy", b.meta("dataplatform-source-ranges", b.ns), pulumi.Map{
		"targetRefs": target,
		"authorization": pulumi.Map{
			"defaultAction": pulumi.String("Deny"),
			"rules": pulumi.Array{pulumi.Map{
				"name":      pulumi.String("source-ranges"),
				"action":    pulumi.String("Allow"),
				"principal": pulumi.Map{"clientCIDRs": pulumi.ToStringArray(b.a.SourceRanges)},
			}},
		},
	}, after)
	return err
}

// Envoy's container ports: a listener port below 1024 is shifted by 10000
// (internal/gatewayapi/translator.go minEphemeralPort, wellKnownPortShift); readiness is on 19003
// (internal/xds/bootstrap/bootstrap.go EnvoyReadinessPort), and the shutdown manager's probes on
// 19002 (internal/infrastructure/kubernetes/proxy/resource.go ShutdownManagerPort): the kubelet
// must reach both.
const (
	wellKnownPortShift  = 10000
	readinessPort       = 19003
	shutdownManagerPort = 19002
)

func containerPort(p int) int {
	if p < 1024 {
		return p + wellKnownPortShift
	}
	return p
}

// ProxySelector selects this Gateway's proxies (internal/infrastructure/kubernetes/proxy/resource.go
// EnvoyAppLabel, internal/gatewayapi/translator.go OwningGatewayNameLabel).
func ProxySelector() map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":                    "envoy",
		"app.kubernetes.io/component":               "proxy",
		"app.kubernetes.io/managed-by":              "envoy-gateway",
		"gateway.envoyproxy.io/owning-gateway-name": GatewayName,
	}
}

// networkPolicies confine the proxies: in, only the listeners' ports (and the kubelet's readiness
// probe); out, only the routes' backends on their ports, the controller's xDS port and the cluster DNS
// that resolves the controller's Service. The backends admit this namespace on the same ports (the
// engine components' ClientNamespaces).
func (b *builder) networkPolicies() error {
	a := b.a
	proxies := &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(ProxySelector())}

	var listen []int
	seen := map[int]bool{}
	if a.hasHTTP() {
		listen = append(listen, containerPort(edge.HTTPPort))
		seen[listen[0]] = true
	}
	for _, r := range a.Routes {
		if p := containerPort(r.PublicPort()); !seen[p] {
			seen[p] = true
			listen = append(listen, p)
		}
	}
	sort.Ints(listen)
	anywhere := networkingv1.NetworkPolicyPeerArray{
		&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("0.0.0.0/0")}},
		&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("::/0")}},
	}
	if _, err := networkingv1.NewNetworkPolicy(b.ctx, b.name+"-proxy-ingress", &networkingv1.NetworkPolicyArgs{
		Metadata: metaArgs(b.meta("dataplatform-proxy-ingress", b.ns)),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: proxies,
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress")},
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{
				&networkingv1.NetworkPolicyIngressRuleArgs{From: anywhere, Ports: k8snet.TCPPorts(listen...)},
				&networkingv1.NetworkPolicyIngressRuleArgs{Ports: k8snet.TCPPorts(readinessPort, shutdownManagerPort)},
			},
		},
	}, b.child); err != nil {
		return err
	}

	// One egress rule per backend namespace, with exactly its routes' ports.
	byNS := map[string][]int{}
	for _, r := range a.Routes {
		byNS[r.Namespace] = append(byNS[r.Namespace], r.Port)
	}
	egress := networkingv1.NetworkPolicyEgressRuleArray{}
	for _, ns := range b.backendNamespaces() {
		ports := byNS[ns]
		sort.Ints(ports)
		egress = append(egress, &networkingv1.NetworkPolicyEgressRuleArgs{
			To:    networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: k8snet.NamespaceSelector(ns)}},
			Ports: k8snet.TCPPorts(dedupe(ports)...),
		})
	}
	egress = append(egress,
		&networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
				PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{controllerLabel: pulumi.String(controllerValue)}},
			}},
			Ports: k8snet.TCPPorts(XDSPort),
		},
		k8snet.DNSEgress(),
	)
	_, err := networkingv1.NewNetworkPolicy(b.ctx, b.name+"-proxy-egress", &networkingv1.NetworkPolicyArgs{
		Metadata: metaArgs(b.meta("dataplatform-proxy-egress", b.ns)),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: proxies,
			PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress:      egress,
		},
	}, b.child)
	return err
}

func dedupe(sorted []int) []int {
	var out []int
	for i, p := range sorted {
		if i == 0 || p != sorted[i-1] {
			out = append(out, p)
		}
	}
	return out
}
