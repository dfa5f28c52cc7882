package envoygateway

import (
	"fmt"
	"sort"

	apiextensions "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/edge"
)

// EdgeType is the type token of the Edge component.
const EdgeType = "dataplatform:edge:EnvoyGatewayEdge"

// Names of the edge's objects.
const (
	GatewayClassName = "dataplatform"
	GatewayName      = "dataplatform"
	// TLSSecret is the Secret cert-manager writes the edge's certificate to; every TLS listener uses it.
	TLSSecret = "dataplatform-edge-tls"
	// CASecret holds the self-signed root CA the CA issuer signs with.
	CASecret   = "dataplatform-edge-ca"
	issuerName = "dataplatform-edge"
	// HTTPListener is the plain-HTTP listener: it only redirects to HTTPS.
	HTTPListener = "http"
	// httpRequestTimeout bounds an HTTP request through the edge. Envoy's default route timeout is
	// 15 s (EG sets none unless asked: internal/xds/translator/route.go), which would cut Airbyte's
	// schema discovery and Dremio's result downloads.
	httpRequestTimeout = "10m"
)

// Gateway API and Envoy Gateway API versions the objects use (Gateway API v1.6.1 standard channel,
// which Envoy Gateway v1.9.0 installs and reconciles; TCPRoute is v1 since 1.6).
const (
	gatewayAPI = "gateway.networking.k8s.io/v1"
	egAPI      = "gateway.envoyproxy.io/v1alpha1"
	cmAPI      = "cert-manager.io/v1"
)

// Edge is the Edge component.
type Edge struct {
	pulumi.ResourceState

	// Info is what users connect to: URLs for the HTTP routes, Endpoints for the GRPC and TCP routes.
	Info edge.Info
}

type builder struct {
	ctx   *pulumi.Context
	name  string
	a     *EdgeArgs
	child pulumi.ResourceOption
	ns    pulumi.StringOutput
}

func (b *builder) meta(name string, ns pulumi.StringInput) pulumi.Map {
	labels := pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("dataplatform"), "app.kubernetes.io/managed-by": pulumi.String("pulumi")}
	for k, v := range b.a.Labels {
		labels[k] = pulumi.String(v)
	}
	m := pulumi.Map{"name": pulumi.String(name), "labels": labels}
	if ns != nil {
		m["namespace"] = ns
	}
	return m
}

// custom creates a custom resource from plain maps.
func (b *builder) custom(logical, apiVersion, kind string, meta pulumi.Map, spec pulumi.Map, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	return apiextensions.NewCustomResource(b.ctx, b.name+"-"+logical, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(apiVersion),
		Kind:        pulumi.String(kind),
		Metadata:    metaArgs(meta),
		OtherFields: map[string]any{"spec": spec},
	}, append([]pulumi.ResourceOption{b.child, pulumi.DependsOn(b.a.Controllers.Ready())}, opts...)...)
}

func metaArgs(m pulumi.Map) *metav1.ObjectMetaArgs {
	out := &metav1.ObjectMetaArgs{Name: m["name"].(pulumi.String), Labels: m["labels"].(pulumi.StringMap)}
	if ns, ok := m["namespace"]; ok {
		out.Namespace = ns.(pulumi.StringInput)
	}
	return out
}

// NewEdge builds the platform's edge from the routes.
func NewEdge(ctx *pulumi.Context, name string, args *EdgeArgs, opts ...pulumi.ResourceOption) (*Edge, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	a := args
	comp := &Edge{}
	if err := ctx.RegisterComponentResourceV2(EdgeType, name, pulumi.Map{
		"domain":           pulumi.String(a.Domain),
		"issuer":           pulumi.String(a.Issuer),
		"sourceRanges":     pulumi.ToStringArray(a.SourceRanges),
		"hosts":            pulumi.ToStringArray(edge.Hosts(a.Domain, a.Routes)),
		"highAvailability": pulumi.Bool(a.HighAvailability),
		"protect":          pulumi.Bool(a.Protect),
		"tlsRoutes":        pulumi.Bool(a.TLSRoutes),
		"enforceRanges":    pulumi.Bool(a.Service.EnforceSourceRanges),
	}, comp, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, a: a, child: pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false)), ns: a.Controllers.Namespace}

	issuer, ca, err := b.issuer(comp)
	if err != nil {
		return nil, err
	}
	cert, err := b.custom("certificate", cmAPI, "Certificate", b.meta(TLSSecret, b.ns), pulumi.Map{
		"secretName": pulumi.String(TLSSecret),
		"dnsNames":   pulumi.ToStringArray(edge.Hosts(a.Domain, a.Routes)),
		"issuerRef":  pulumi.Map{"group": pulumi.String("cert-manager.io"), "kind": pulumi.String("Issuer"), "name": pulumi.String(issuerName)},
		// cert-manager@v1.21.1 pkg/apis/certmanager/v1/types_certificate.go CertificatePrivateKey:
		// a fresh ECDSA P-256 key on every renewal.
		"privateKey": pulumi.Map{"algorithm": pulumi.String("ECDSA"), "size": pulumi.Int(256), "rotationPolicy": pulumi.String("Always")},
		"usages":     pulumi.ToStringArray([]string{"digital signature", "key encipherment", "server auth"}),
	}, pulumi.DependsOn([]pulumi.Resource{issuer}))
	if err != nil {
		return nil, err
	}

	gateway, err := b.gateway(cert)
	if err != nil {
		return nil, err
	}
	if err := b.routes(gateway); err != nil {
		return nil, err
	}
	if err := b.backendTLS(gateway); err != nil {
		return nil, err
	}
	if err := b.policies(gateway); err != nil {
		return nil, err
	}
	if err := b.networkPolicies(); err != nil {
		return nil, err
	}

	info := edge.Info{URLs: map[string]pulumi.StringOutput{}, Endpoints: map[string]pulumi.StringOutput{}, Namespace: Namespace}
	ready := gateway.URN()
	outputs := pulumi.Map{}
	for _, r := range a.Routes {
		host := r.FQDN(a.Domain)
		var v string
		if r.Protocol == edge.HTTP {
			v = "https://" + host
		} else {
			v = fmt.Sprintf("%s:%d", host, r.ListenPort)
		}
		out := ready.ApplyT(func(pulumi.URN) string { return v }).(pulumi.StringOutput)
		if r.Protocol == edge.HTTP {
			info.URLs[r.Name] = out
		} else {
			info.Endpoints[r.Name] = out
		}
		outputs[r.Name] = out
	}
	info.CACertificate = pulumi.String("").ToStringOutput()
	if ca != nil {
		info.CACertificate = ca.CertPem
		outputs["caCertificate"] = ca.CertPem
	}
	comp.Info = info
	if err := ctx.RegisterResourceOutputs(comp, outputs); err != nil {
		return nil, err
	}
	return comp, nil
}

// listenerName is the Gateway listener of a route.
func listenerName(r edge.Route) string {
	if r.Protocol == edge.HTTP {
		return "https-" + r.Host
	}
	return r.Name
}

// backendNamespaces lists the namespaces routes live in (beside their backends), sorted.
func (b *builder) backendNamespaces() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range b.a.Routes {
		if !seen[r.Namespace] {
			seen[r.Namespace] = true
			out = append(out, r.Namespace)
		}
	}
	sort.Strings(out)
	return out
}

// gateway creates the GatewayClass (with its EnvoyProxy) and the Gateway.
//
// Listeners (Gateway API v1.6.1 standard gateways.yaml CEL: an HTTPS listener's tls.mode is
// Terminate, and Terminate needs certificateRefs):
//   - http :80, HTTP, routes from its own namespace only: the redirect (only with HTTP routes).
//   - https-<host> :443, HTTPS, one per HTTP host, for that host's HTTPRoutes.
//   - <route> :<port>, TLS Terminate, one per GRPC or TCP route, for its TCPRoute (Envoy Gateway
//     v1.9.0 site/content/en/v1.9/tasks/security/tls-termination.md "Single Backend with TCPRoute";
//     internal/gatewayapi/listener.go allowedRouteKindsForProtocol). GRPC rides the same way: Envoy
//     advertises ALPN h2 and http/1.1 on a terminating listener unless told otherwise
//     (internal/xds/translator/listener.go buildALPNProtocols), so gRPC clients negotiate h2, and a
//     TCP proxy has no per-request timeout to cut long Arrow Flight streams. With TLSRoutes the
//     listener admits TLSRoutes instead (allowedRouteKindsForProtocol: a Terminate TLS listener
//     accepts both kinds; tls-termination.md "SNI-Based Routing with TLSRoute").
func (b *builder) gateway(cert pulumi.Resource) (*apiextensions.CustomResource, error) {
	a := b.a
	proxy, err := b.custom("envoyproxy", egAPI, "EnvoyProxy", b.meta(GatewayName, b.ns), envoyProxySpec(a.HighAvailability, a.Scheduling, a.Service, a.SourceRanges))
	if err != nil {
		return nil, err
	}
	class, err := b.custom("gatewayclass", gatewayAPI, "GatewayClass", b.meta(GatewayClassName, nil), pulumi.Map{
		// The controller name Envoy Gateway reconciles (values.tmpl.yaml
		// config.envoyGateway.gateway.controllerName).
		"controllerName": pulumi.String("gateway.envoyproxy.io/gatewayclass-controller"),
		"parametersRef": pulumi.Map{
			"group": pulumi.String("gateway.envoyproxy.io"), "kind": pulumi.String("EnvoyProxy"),
			"name": pulumi.String(GatewayName), "namespace": b.ns,
		},
	}, pulumi.DependsOn([]pulumi.Resource{proxy}))
	if err != nil {
		return nil, err
	}

	certRefs := pulumi.Array{pulumi.Map{"kind": pulumi.String("Secret"), "group": pulumi.String(""), "name": pulumi.String(TLSSecret)}}
	fromBackends := pulumi.Map{"namespaces": pulumi.Map{
		"from": pulumi.String("Selector"),
		"selector": pulumi.Map{"matchExpressions": pulumi.Array{pulumi.Map{
			"key": pulumi.String("kubernetes.io/metadata.name"), "operator": pulumi.String("In"),
			"values": pulumi.ToStringArray(b.backendNamespaces()),
		}}},
	}}
	kinds := func(kind string) pulumi.Array {
		return pulumi.Array{pulumi.Map{"group": pulumi.String("gateway.networking.k8s.io"), "kind": pulumi.String(kind)}}
	}
	listeners := pulumi.Array{}
	if a.hasHTTP() {
		listeners = append(listeners, pulumi.Map{
			"name": pulumi.String(HTTPListener), "port": pulumi.Int(edge.HTTPPort), "protocol": pulumi.String("HTTP"),
			"allowedRoutes": pulumi.Map{"namespaces": pulumi.Map{"from": pulumi.String("Same")}, "kinds": kinds("HTTPRoute")},
		})
	}
	seen := map[string]bool{}
	for _, r := range a.Routes {
		l := listenerName(r)
		if seen[l] {
			continue
		}
		seen[l] = true
		listener := pulumi.Map{
			"name": pulumi.String(l), "port": pulumi.Int(r.PublicPort()),
			"tls": pulumi.Map{"mode": pulumi.String("Terminate"), "certificateRefs": certRefs},
		}
		// HTTPS listeners share 443 and are told apart by hostname (SNI); the TLS listeners have a
		// port each, and a hostname there would become an SNI match that resets clients sending none
		// (envoyproxy/gateway@v1.9.0 internal/gatewayapi/route.go processTCPRouteParentRefs).
		if r.Protocol == edge.HTTP {
			listener["hostname"] = pulumi.String(r.FQDN(a.Domain))
		}
		allowed := pulumi.Map{"namespaces": fromBackends["namespaces"]}
		if r.Protocol == edge.HTTP {
			listener["protocol"] = pulumi.String("HTTPS")
			allowed["kinds"] = kinds("HTTPRoute")
		} else {
			listener["protocol"] = pulumi.String("TLS")
			allowed["kinds"] = kinds(streamRouteKind(a.TLSRoutes))
		}
		listener["allowedRoutes"] = allowed
		listeners = append(listeners, listener)
	}
	return b.custom("gateway", gatewayAPI, "Gateway", b.meta(GatewayName, b.ns), pulumi.Map{
		"gatewayClassName": pulumi.String(GatewayClassName),
		"listeners":        listeners,
	}, pulumi.DependsOn([]pulumi.Resource{class, cert}))
}
