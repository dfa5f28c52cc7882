package agc

import (
	"fmt"
	"sort"

	apiextensions "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/edge"
)

// EdgeType is the type token of the Edge component.
const EdgeType = "dataplatform:edge:AGCEdge"

const (
	// GatewayClass is the class the ALB Controller reconciles (the Helm quickstart: "Verify
	// GatewayClass azure-alb-external is installed", controllerName alb.networking.azure.io/alb-controller).
	GatewayClass = "azure-alb-external"
	// GatewayName is the platform's AGC Gateway; each Gateway gets one AGC frontend.
	GatewayName = "dataplatform-agc"
	// Annotations that bind a Gateway to a managed ApplicationLoadBalancer (how-to-waf-gateway-api.md,
	// "ALB managed deployment": alb.networking.azure.io/alb-namespace and alb-name).
	ALBNamespaceAnnotation = "alb.networking.azure.io/alb-namespace"
	ALBNameAnnotation      = "alb.networking.azure.io/alb-name"
	// HTTPListener is the plain-HTTP listener: it only redirects to HTTPS.
	HTTPListener = "http"
	// httpRequestTimeout bounds a request through AGC: HTTPRoute timeouts are honoured since ALB
	// Controller 1.11.1 ("Gateway API HTTPRoute timeouts (succeed RoutePolicy timeouts)", release notes);
	// Airbyte's schema discovery and Dremio's downloads outlast short defaults.
	httpRequestTimeout = "10m"
	gatewayAPI         = "gateway.networking.k8s.io/v1"
	cmAPI              = "cert-manager.io/v1"
)

// EdgeArgs are the inputs of the Edge.
type EdgeArgs struct {
	// Domain is dataplatform:domain.
	Domain string
	// Routes are the engine's HTTP routes (AGC listens on 80 and 443 only: GRPC and TCP routes are
	// refused, and served by the stack's L4 edge).
	Routes []edge.Route
	// Controller is the ALB Controller add-on.
	Controller *Controller
	// Namespace is where the Gateway, its certificates and the redirect route live; the cert-manager
	// Issuer named IssuerName must be there (the stack's other edge's issuer, so one CA or one ACME
	// account serves the whole platform). IssuerReady lists what the Issuer waits on.
	Namespace     pulumi.StringInput
	NamespaceName string
	IssuerName    string
	IssuerReady   []pulumi.Resource
	// Labels are added to every object.
	Labels map[string]string
}

// Edge is the Edge component.
type Edge struct {
	pulumi.ResourceState

	// URLs maps each route's name to https://<host>.<domain>, known once the Gateway exists.
	URLs map[string]pulumi.StringOutput
	// Gateway is the AGC Gateway; its status.addresses[0] is the frontend's FQDN, which ExternalDNS
	// publishes for the routes' hosts.
	Gateway *apiextensions.CustomResource
}

func (a *EdgeArgs) validate() error {
	if a == nil {
		return fmt.Errorf("agc: args are required")
	}
	if err := edge.Validate(a.Domain, a.Routes); err != nil {
		return fmt.Errorf("agc: %w", err)
	}
	for _, r := range a.Routes {
		if r.Protocol != edge.HTTP {
			return fmt.Errorf("agc: route %q is %s; Application Gateway for Containers listens on 80 and 443 (HTTP, HTTPS) only, so serve it through the L4 edge", r.Name, r.Protocol)
		}
	}
	switch {
	case a.Controller == nil:
		return fmt.Errorf("agc: Controller is required: the ALB Controller and the ApplicationLoadBalancer serve the Gateway")
	case a.Namespace == nil || !dnsLabel(a.NamespaceName):
		return fmt.Errorf("agc: Namespace and NamespaceName (a DNS label) are required")
	case !dnsLabel(a.IssuerName):
		return fmt.Errorf("agc: IssuerName %q is not a cert-manager Issuer name", a.IssuerName)
	}
	return nil
}

func dnsLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0 && i < len(s)-1
		if !ok {
			return false
		}
	}
	return true
}

type builder struct {
	ctx   *pulumi.Context
	name  string
	a     *EdgeArgs
	child pulumi.ResourceOption
}

func (b *builder) meta(name string, ns pulumi.StringInput, annotations map[string]string) *metav1.ObjectMetaArgs {
	m := &metav1.ObjectMetaArgs{Name: pulumi.String(name), Namespace: ns, Labels: labels(b.a.Labels, nil)}
	if len(annotations) > 0 {
		m.Annotations = pulumi.ToStringMap(annotations)
	}
	return m
}

func (b *builder) custom(logical, apiVersion, kind string, meta *metav1.ObjectMetaArgs, spec pulumi.Map, deps ...pulumi.Resource) (*apiextensions.CustomResource, error) {
	return apiextensions.NewCustomResource(b.ctx, b.name+"-"+logical, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(apiVersion), Kind: pulumi.String(kind), Metadata: meta,
		OtherFields: map[string]any{"spec": spec},
	}, b.child, pulumi.DependsOn(deps))
}

// ListenerName is the HTTPS listener of a host.
func ListenerName(r edge.Route) string { return "https-" + r.Host }

// CertificateSecret is the TLS Secret of a host's certificate.
func CertificateSecret(r edge.Route) string { return "agc-" + r.Host + "-tls" }

// NewEdge builds the Gateway, its certificates and routes. Options: the Kubernetes provider.
func NewEdge(ctx *pulumi.Context, name string, args *EdgeArgs, opts ...pulumi.ResourceOption) (*Edge, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	a := args
	comp := &Edge{URLs: map[string]pulumi.StringOutput{}}
	hosts := edge.Hosts(a.Domain, a.Routes)
	if err := ctx.RegisterComponentResourceV2(EdgeType, name, pulumi.Map{
		"domain": pulumi.String(a.Domain), "hosts": pulumi.ToStringArray(hosts), "issuer": pulumi.String(a.IssuerName),
	}, comp, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, a: a, child: pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))}
	ready := a.Controller.Ready()

	// One certificate per host (AGC selects the listener, and so the certificate, by SNI), issued by
	// the stack's Issuer into the Gateway's namespace (a listener's certificateRefs Secret, as in
	// how-to-cert-manager-lets-encrypt-gateway-api.md). cert-manager@v1.21.1
	// pkg/apis/certmanager/v1/types_certificate.go: ECDSA P-256, a fresh key on every renewal
	// (ecdsa-rsa-certificates.md: AGC serves ECDSA and RSA certificates).
	var certs []pulumi.Resource
	seen := map[string]bool{}
	var routes []edge.Route
	for _, r := range a.Routes {
		if seen[r.Host] {
			continue
		}
		seen[r.Host] = true
		routes = append(routes, r)
		c, err := b.custom("certificate-"+r.Host, cmAPI, "Certificate", b.meta(CertificateSecret(r), a.Namespace, nil), pulumi.Map{
			"secretName": pulumi.String(CertificateSecret(r)),
			"dnsNames":   pulumi.ToStringArray([]string{r.FQDN(a.Domain)}),
			"issuerRef":  pulumi.Map{"group": pulumi.String("cert-manager.io"), "kind": pulumi.String("Issuer"), "name": pulumi.String(a.IssuerName)},
			"privateKey": pulumi.Map{"algorithm": pulumi.String("ECDSA"), "size": pulumi.Int(256), "rotationPolicy": pulumi.String("Always")},
			"usages":     pulumi.ToStringArray([]string{"digital signature", "key encipherment", "server auth"}),
		}, a.IssuerReady...)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}

	gateway, err := b.gateway(routes, append(append([]pulumi.Resource{}, ready...), certs...))
	if err != nil {
		return nil, err
	}
	comp.Gateway = gateway
	if err := b.routes(gateway); err != nil {
		return nil, err
	}
	if err := b.backendTLS(gateway); err != nil {
		return nil, err
	}

	outputs := pulumi.Map{}
	for _, r := range a.Routes {
		u := "https://" + r.FQDN(a.Domain)
		comp.URLs[r.Name] = gateway.URN().ApplyT(func(pulumi.URN) string { return u }).(pulumi.StringOutput)
		outputs[r.Name] = comp.URLs[r.Name]
	}
	if err := ctx.RegisterResourceOutputs(comp, outputs); err != nil {
		return nil, err
	}
	return comp, nil
}

// backendNamespaces lists the namespaces the routes live in (beside their backends), sorted.
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

// gateway creates the Gateway of class azure-alb-external, bound to the ApplicationLoadBalancer by
// its annotations. Listeners (Gateway API v1.6.1 standard CEL: an HTTPS listener's tls.mode is
// Terminate with certificateRefs): http :80, routes from its own namespace only (the redirect), and
// https-<host> :443 per host with that host's certificate, for the routes of the backends'
// namespaces. TLS: AGC's default policy 2023-06 (tls-policy.md, "When no TLS Policy is specified …
// predefined policy 2023-06 will be applied": minimum TLS 1.2; faq.yml: "SSL 2.0, 3.0, TLS 1.0, and
// TLS 1.1 are disabled and not configurable"), so no FrontendTLSPolicy is needed for the 1.2 floor.
func (b *builder) gateway(routes []edge.Route, deps []pulumi.Resource) (*apiextensions.CustomResource, error) {
	a := b.a
	kinds := pulumi.Array{pulumi.Map{"group": pulumi.String("gateway.networking.k8s.io"), "kind": pulumi.String("HTTPRoute")}}
	listeners := pulumi.Array{pulumi.Map{
		"name": pulumi.String(HTTPListener), "port": pulumi.Int(edge.HTTPPort), "protocol": pulumi.String("HTTP"),
		"allowedRoutes": pulumi.Map{"namespaces": pulumi.Map{"from": pulumi.String("Same")}, "kinds": kinds},
	}}
	fromBackends := pulumi.Map{
		"from": pulumi.String("Selector"),
		"selector": pulumi.Map{"matchExpressions": pulumi.Array{pulumi.Map{
			"key": pulumi.String("kubernetes.io/metadata.name"), "operator": pulumi.String("In"),
			"values": pulumi.ToStringArray(b.backendNamespaces()),
		}}},
	}
	for _, r := range routes {
		listeners = append(listeners, pulumi.Map{
			"name": pulumi.String(ListenerName(r)), "port": pulumi.Int(edge.HTTPSPort), "protocol": pulumi.String("HTTPS"),
			"hostname": pulumi.String(r.FQDN(a.Domain)),
			"tls": pulumi.Map{"mode": pulumi.String("Terminate"), "certificateRefs": pulumi.Array{pulumi.Map{
				"kind": pulumi.String("Secret"), "group": pulumi.String(""), "name": pulumi.String(CertificateSecret(r)),
			}}},
			"allowedRoutes": pulumi.Map{"namespaces": fromBackends, "kinds": kinds},
		})
	}
	return b.custom("gateway", gatewayAPI, "Gateway", b.meta(GatewayName, a.Namespace, map[string]string{
		ALBNamespaceAnnotation: Namespace,
		ALBNameAnnotation:      ALBName,
	}), pulumi.Map{
		"gatewayClassName": pulumi.String(GatewayClass),
		"listeners":        listeners,
	}, deps...)
}

func (b *builder) parentRef(section string) pulumi.Array {
	return pulumi.Array{pulumi.Map{
		"group": pulumi.String("gateway.networking.k8s.io"), "kind": pulumi.String("Gateway"),
		"name": pulumi.String(GatewayName), "namespace": b.a.Namespace, "sectionName": pulumi.String(section),
	}}
}

// routes creates an HTTPRoute beside each backend (no ReferenceGrant needed) on its host's HTTPS
// listener, and the HTTP listener's only route: a 301 redirect to https (HTTPRoute RequestRedirect;
// AGC implements it: how-to-url-redirect-gateway-api.md).
func (b *builder) routes(gateway pulumi.Resource) error {
	a := b.a
	var hosts []string
	for _, r := range a.Routes {
		hosts = append(hosts, r.FQDN(a.Domain))
		if _, err := b.custom("route-"+r.Name, gatewayAPI, "HTTPRoute", b.meta(r.Name, pulumi.String(r.Namespace), nil), pulumi.Map{
			"parentRefs": b.parentRef(ListenerName(r)),
			"hostnames":  pulumi.ToStringArray([]string{r.FQDN(a.Domain)}),
			"rules": pulumi.Array{pulumi.Map{
				"backendRefs": pulumi.Array{pulumi.Map{
					"group": pulumi.String(""), "kind": pulumi.String("Service"),
					"name": pulumi.String(r.Service), "port": pulumi.Int(r.Port),
				}},
				"timeouts": pulumi.Map{"request": pulumi.String(httpRequestTimeout)},
			}},
		}, gateway); err != nil {
			return err
		}
	}
	sort.Strings(hosts)
	_, err := b.custom("https-redirect", gatewayAPI, "HTTPRoute", b.meta("agc-https-redirect", a.Namespace, nil), pulumi.Map{
		"parentRefs": b.parentRef(HTTPListener),
		"hostnames":  pulumi.ToStringArray(hosts),
		"rules": pulumi.Array{pulumi.Map{"filters": pulumi.Array{pulumi.Map{
			"type":            pulumi.String("RequestRedirect"),
			"requestRedirect": pulumi.Map{"scheme": pulumi.String("https"), "statusCode": pulumi.Int(301)},
		}}}},
	}, gateway)
	return err
}
