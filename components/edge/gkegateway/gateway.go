package gkegateway

import (
	"sort"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/edge"
)

// API versions: Gateway API v1 (GKE-managed CRDs, standard channel: 1.4 on GKE 1.34, 1.5 on 1.35;
// research wave2 §1c) and the GKE policies networking.gke.io/v1 (GoogleCloudPlatform/gke-gateway-api
// apis/networking/v1: HealthCheckPolicy, GCPBackendPolicy, GCPGatewayPolicy).
const (
	gatewayAPI = "gateway.networking.k8s.io/v1"
	gkeAPI     = "networking.gke.io/v1"
	// certMapAnnotation attaches a Certificate Manager map to a Gateway of a global class (GKE docs
	// "Secure a Gateway": not together with tls.certificateRefs).
	certMapAnnotation = "networking.gke.io/certmap"
	// certManagerCertsOption names regional Certificate Manager certificates in an HTTPS listener's
	// tls.options (GKE docs "Secure a Gateway", regional Gateways).
	certManagerCertsOption = "networking.gke.io/cert-manager-certs"
)

// listenerName is the HTTPS listener of an HTTP route's host.
func listenerName(r edge.Route) string { return "https-" + r.Host }

func (b *builder) meta(name string, ns pulumi.StringInput, annotations map[string]pulumi.StringInput) *metav1.ObjectMetaArgs {
	labels := pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("dataplatform"), "app.kubernetes.io/managed-by": pulumi.String("pulumi")}
	for k, v := range b.a.Labels {
		labels[k] = pulumi.String(v)
	}
	m := &metav1.ObjectMetaArgs{Name: pulumi.String(name), Namespace: ns, Labels: labels}
	if len(annotations) > 0 {
		m.Annotations = pulumi.StringMap(annotations)
	}
	return m
}

func (b *builder) custom(logical, apiVersion, kind string, meta *metav1.ObjectMetaArgs, spec pulumi.Map, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	return apiextensions.NewCustomResource(b.ctx, b.name+"-"+logical, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(apiVersion), Kind: pulumi.String(kind), Metadata: meta,
		OtherFields: map[string]any{"spec": spec},
	}, append([]pulumi.ResourceOption{b.child()}, opts...)...)
}

// routeNamespaces lists the namespaces the HTTP routes live in (beside their backends), sorted.
func (b *builder) routeNamespaces() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range b.a.httpRoutes() {
		if !seen[r.Namespace] {
			seen[r.Namespace] = true
			out = append(out, r.Namespace)
		}
	}
	sort.Strings(out)
	return out
}

// gateway creates the Gateway, its policy, the routes and their backends' policies, and the DNS
// records of the hosts.
func (b *builder) gateway() error {
	a := b.a
	class, annotations := ExternalClass, map[string]pulumi.StringInput{}
	if a.Internal {
		class = InternalClass
	} else {
		annotations[certMapAnnotation] = b.certMapName
	}
	// HTTPS listeners accept routes only from the backends' namespaces; the HTTP listener only from
	// its own (the redirect).
	fromBackends := pulumi.Map{"namespaces": pulumi.Map{
		"from": pulumi.String("Selector"),
		"selector": pulumi.Map{"matchExpressions": pulumi.Array{pulumi.Map{
			"key": pulumi.String("kubernetes.io/metadata.name"), "operator": pulumi.String("In"),
			"values": pulumi.ToStringArray(b.routeNamespaces()),
		}}},
	}}
	listeners := pulumi.Array{pulumi.Map{
		"name": pulumi.String(HTTPListener), "protocol": pulumi.String("HTTP"), "port": pulumi.Int(edge.HTTPPort),
		"allowedRoutes": pulumi.Map{"namespaces": pulumi.Map{"from": pulumi.String("Same")}},
	}}
	for _, r := range a.httpRoutes() {
		host := r.FQDN(a.Domain)
		l := pulumi.Map{
			"name": pulumi.String(listenerName(r)), "protocol": pulumi.String("HTTPS"), "port": pulumi.Int(edge.HTTPSPort),
			"hostname": pulumi.String(host), "allowedRoutes": fromBackends,
		}
		if a.Internal {
			// Gateway API CEL (gateways.yaml): a Terminate listener needs certificateRefs or options.
			l["tls"] = pulumi.Map{"mode": pulumi.String("Terminate"), "options": pulumi.StringMap{certManagerCertsOption: b.certs[host]}}
		}
		// Public: no tls block; the certificate map serves the host's certificate by SNI (CEL allows
		// an HTTPS listener without tls; GKE refuses certificateRefs beside the certmap annotation).
		listeners = append(listeners, l)
	}
	deps := append([]pulumi.Resource{}, b.cloud...)
	if a.Internal {
		deps = append(deps, a.ProxyOnlySubnet)
	}
	gw, err := b.custom("gateway", gatewayAPI, "Gateway", b.meta(GatewayName, a.Namespace, annotations), pulumi.Map{
		"gatewayClassName": pulumi.String(class),
		"addresses":        pulumi.Array{pulumi.Map{"type": pulumi.String("NamedAddress"), "value": b.addressName}},
		"listeners":        listeners,
	}, pulumi.DependsOn(deps))
	if err != nil {
		return err
	}
	afterGateway := pulumi.DependsOn([]pulumi.Resource{gw})
	gatewayRef := pulumi.Map{"group": pulumi.String("gateway.networking.k8s.io"), "kind": pulumi.String("Gateway"), "name": pulumi.String(GatewayName)}

	// GCPGatewayPolicy (gke-gateway-api apis/networking/v1/gcpgatewaypolicy_types.go): the SSL policy
	// by name (its region follows the load balancer); the internal VIP answers clients in every region
	// of the VPC (allowGlobalAccess; GKE docs "Configure Gateway resources using Policies": "Configure
	// global access for your regional internal Gateway"), e.g. a VPN landing in another region. The
	// policies live in their target's namespace (same page, Limitations).
	policy := pulumi.Map{"sslPolicy": b.sslPolicy}
	if a.Internal {
		policy["allowGlobalAccess"] = pulumi.Bool(true)
	}
	if _, err := b.custom("gateway-policy", gkeAPI, "GCPGatewayPolicy", b.meta(GatewayName, a.Namespace, nil), pulumi.Map{
		"targetRef": gatewayRef, "default": policy,
	}, afterGateway); err != nil {
		return err
	}

	var hosts []string
	for _, r := range a.httpRoutes() {
		hosts = append(hosts, r.FQDN(a.Domain))
	}
	// The HTTP listener's only route: a 301 to https (HTTPRoute RequestRedirect filter).
	if _, err := b.custom("https-redirect", gatewayAPI, "HTTPRoute", b.meta("https-redirect", a.Namespace, nil), pulumi.Map{
		"parentRefs": pulumi.Array{withSection(gatewayRef, nil, HTTPListener)},
		"hostnames":  pulumi.ToStringArray(hosts),
		"rules": pulumi.Array{pulumi.Map{"filters": pulumi.Array{pulumi.Map{
			"type":            pulumi.String("RequestRedirect"),
			"requestRedirect": pulumi.Map{"scheme": pulumi.String("https"), "statusCode": pulumi.Int(301)},
		}}}},
	}, afterGateway); err != nil {
		return err
	}

	routeDeps := pulumi.DependsOn(append([]pulumi.Resource{gw}, a.Backends...))
	services := map[string]bool{}
	for _, r := range a.httpRoutes() {
		ns := pulumi.String(r.Namespace)
		if _, err := b.custom("route-"+r.Name, gatewayAPI, "HTTPRoute", b.meta(r.Name, ns, nil), pulumi.Map{
			"parentRefs": pulumi.Array{withSection(gatewayRef, a.Namespace, listenerName(r))},
			"hostnames":  pulumi.ToStringArray([]string{r.FQDN(a.Domain)}),
			"rules": pulumi.Array{pulumi.Map{"backendRefs": pulumi.Array{pulumi.Map{
				"group": pulumi.String(""), "kind": pulumi.String("Service"),
				"name": pulumi.String(r.Service), "port": pulumi.Int(r.Port),
			}}}},
		}, routeDeps); err != nil {
			return err
		}
		// One HealthCheckPolicy and one GCPBackendPolicy per Service, in its namespace (GKE: a policy
		// targets a Service of its own namespace; one GCPBackendPolicy per Service).
		if key := r.Namespace + "/" + r.Service; services[key] {
			continue
		} else {
			services[key] = true
		}
		serviceRef := pulumi.Map{"group": pulumi.String(""), "kind": pulumi.String("Service"), "name": pulumi.String(r.Service)}
		// healthcheck_types.go: config.type HTTP with httpHealthCheck.requestPath (HTTPS with
		// httpsHealthCheck for a TLS backend, healthCheckConfig); no port, so the check uses each NEG
		// endpoint's serving port (USE_SERVING_PORT). timeoutSec ≤ checkIntervalSec.
		if _, err := b.custom("health-"+r.Name, gkeAPI, "HealthCheckPolicy", b.meta(r.Service, ns, nil), pulumi.Map{
			"targetRef": serviceRef,
			"default": pulumi.Map{
				"checkIntervalSec": pulumi.Int(10), "timeoutSec": pulumi.Int(5),
				"healthyThreshold": pulumi.Int(2), "unhealthyThreshold": pulumi.Int(3),
				"config": healthCheckConfig(r, a.HealthPaths[r.Name]),
			},
		}, routeDeps); err != nil {
			return err
		}
		// gcpbackendpolicy_types.go: timeoutSec, logging, securityPolicy (Cloud Armor, by name).
		backend := pulumi.Map{
			"timeoutSec": pulumi.Int(backendTimeoutSec),
			"logging":    pulumi.Map{"enabled": pulumi.Bool(true)},
		}
		if !a.Internal {
			backend["securityPolicy"] = b.armorPolicy
		}
		if _, err := b.custom("backend-"+r.Name, gkeAPI, "GCPBackendPolicy", b.meta(r.Service, ns, nil), pulumi.Map{
			"targetRef": serviceRef, "default": backend,
		}, routeDeps); err != nil {
			return err
		}
	}

	if err := a.Zone.ARecords(b.ctx, b.name, hosts, b.comp.Address, b.child()); err != nil {
		return err
	}
	b.comp.Info = edge.Info{URLs: b.urls(gw.Metadata.Name().Elem())}
	return nil
}

// withSection is a parentRef to one listener of the Gateway (in ns, when the route lives elsewhere).
func withSection(ref pulumi.Map, ns pulumi.StringInput, section string) pulumi.Map {
	out := pulumi.Map{"sectionName": pulumi.String(section)}
	for k, v := range ref {
		out[k] = v
	}
	if ns != nil {
		out["namespace"] = ns
	}
	return out
}

// healthCheckConfig is a HealthCheckPolicy's config: HTTP, or HTTPS for a route with edge.BackendTLS
// (GoogleCloudPlatform/gke-gateway-api apis/networking/v1/healthcheck_types.go HealthCheck: type
// enum TCP, HTTP, HTTPS, HTTP2, GRPC, with exactly the matching httpHealthCheck / httpsHealthCheck).
//
// A TLS backend is reached with TLS because its Service port declares appProtocol HTTPS (GKE docs
// "Secure a Gateway", encryption from the load balancer to the application: the Gateway takes the
// backend service's protocol from the Service port's appProtocol) — the backend's own Service,
// which this package does not create: elasticsearch renders Kibana's. Google's load balancers do
// not verify the backend's certificate (Cloud Load Balancing, encryption from the load balancer to
// the backends: the backend's certificate is not validated), and GCPBackendPolicy has no CA or SNI
// setting (apis/networking/v1/gcpbackendpolicy_types.go), so BackendTLS.CASecret and Hostname are
// not used here: the hop is encrypted, not authenticated; the backend's NetworkPolicy admits only
// Google's front-end and health-check ranges (and the proxy-only subnet) on its port.
func healthCheckConfig(r edge.Route, path string) pulumi.Map {
	if r.BackendTLS != nil {
		return pulumi.Map{"type": pulumi.String("HTTPS"), "httpsHealthCheck": pulumi.Map{"requestPath": pulumi.String(path)}}
	}
	return pulumi.Map{"type": pulumi.String("HTTP"), "httpHealthCheck": pulumi.Map{"requestPath": pulumi.String(path)}}
}
