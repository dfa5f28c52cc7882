package awsgateway

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	apiextensions "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/edge"
)

// lbKind is one of the two load balancers.
type lbKind struct {
	l4                      bool
	kind, class, controller string
	gateway                 string
}

var (
	albKind = lbKind{kind: "alb", class: ALBClass, controller: ALBController, gateway: ALBGateway}
	nlbKind = lbKind{l4: true, kind: "nlb", class: NLBClass, controller: NLBController, gateway: NLBGateway}
)

func (k lbKind) routes(all []edge.Route) []edge.Route {
	var out []edge.Route
	for _, r := range all {
		if (r.Protocol == edge.TCP) == k.l4 {
			out = append(out, r)
		}
	}
	return out
}

func labels() pulumi.StringMap {
	return pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("dataplatform"), "app.kubernetes.io/managed-by": pulumi.String("pulumi")}
}

// SchemeAnnotation carries the load balancers' scheme on each Gateway; a change of it replaces the
// Gateway (see gateway).
const SchemeAnnotation = "dataplatform.io/load-balancer-scheme"

// custom creates a Gateway API or gateway.k8s.aws object from plain maps, after the controller.
func (b *builder) custom(logical, apiVersion, kind, name string, ns pulumi.StringInput, annotations map[string]string, spec pulumi.Map, deps ...pulumi.Resource) (*apiextensions.CustomResource, error) {
	return b.customWith(nil, logical, apiVersion, kind, name, ns, annotations, spec, deps...)
}

// customWith is custom with extra resource options (the Gateways' replace-on-scheme-change).
func (b *builder) customWith(extra []pulumi.ResourceOption, logical, apiVersion, kind, name string, ns pulumi.StringInput, annotations map[string]string, spec pulumi.Map, deps ...pulumi.Resource) (*apiextensions.CustomResource, error) {
	meta := &metav1.ObjectMetaArgs{Name: pulumi.String(name), Labels: labels()}
	if ns != nil {
		meta.Namespace = ns
	}
	if len(annotations) > 0 {
		meta.Annotations = pulumi.ToStringMap(annotations)
	}
	return apiextensions.NewCustomResource(b.ctx, b.name+"-"+logical, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(apiVersion), Kind: pulumi.String(kind), Metadata: meta,
		OtherFields: map[string]any{"spec": spec},
	}, append([]pulumi.ResourceOption{b.child, pulumi.DependsOn(append(append([]pulumi.Resource{}, b.a.Controller...), deps...))}, extra...)...)
}

// gateways creates the namespace, then per load balancer the GatewayClass, the
// LoadBalancerConfiguration, the Gateway, its routes and target group configurations, and an alias
// record for every host it serves.
func (b *builder) gateways(zone *hostedZone, cert pulumi.StringOutput) error {
	ns, err := corev1.NewNamespace(b.ctx, b.name+"-namespace", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(Namespace), Labels: pulumi.StringMap{
			"app.kubernetes.io/part-of":          pulumi.String("dataplatform"),
			"pod-security.kubernetes.io/enforce": pulumi.String("restricted"),
		}},
	}, b.child)
	if err != nil {
		return err
	}
	nsName := ns.Metadata.Name().Elem()
	if err := b.targetGroups(); err != nil {
		return err
	}
	b.records = map[string]pulumi.StringOutput{}
	for _, k := range []lbKind{albKind, nlbKind} {
		routes := k.routes(b.a.Routes)
		if len(routes) == 0 {
			continue
		}
		gw, err := b.gateway(k, routes, nsName, cert)
		if err != nil {
			return err
		}
		if err := b.attach(k, routes, nsName, gw); err != nil {
			return err
		}
		if err := b.aliases(k, zone, gw); err != nil {
			return err
		}
	}
	return nil
}

// gateway creates one load balancer's GatewayClass, LoadBalancerConfiguration and Gateway.
//
// ALB listeners (l7gateway.md@v3.5.0): http :80 (its one route redirects), https-<host> :443 HTTPS
// with the host's name, one per HTTP host, and <route> :<port> HTTPS for each gRPC route (the
// controller gives a gRPC route's target group protocol version GRPC only behind an HTTPS listener:
// pkg/gateway/model/model_build_target_group.go buildTargetGroupProtocolVersion). NLB listeners: <route>
// :<port> TLS, mode Terminate, one per TCP route (pkg/gateway/routeutils/loader.go: "TLS | Terminate |
// TCPRoute").
//
// Certificates come from the LoadBalancerConfiguration: "ListenerTLSConfig - CertificateRefs ❌ --
// Use LB Config" (l7gateway.md). Gateway API's CEL still wants certificateRefs or options on a
// Terminate listener (gateway-api@v1.6.1 gateways.yaml: "certificateRefs or options must be
// specified when mode is Terminate"), so the TLS listeners carry an option naming the certificate;
// the controller reads neither field (no reference to TLS.Options or CertificateRefs under pkg/ at
// v3.5.0). HTTPS listeners need no tls block (CEL: "tls mode must be Terminate for protocol HTTPS"
// applies only when tls is set).
func (b *builder) gateway(k lbKind, routes []edge.Route, ns pulumi.StringOutput, cert pulumi.StringOutput) (*apiextensions.CustomResource, error) {
	a := b.a
	class, err := b.custom(k.kind+"-gatewayclass", gatewayAPI, "GatewayClass", k.class, nil, nil, pulumi.Map{
		"controllerName": pulumi.String(k.controller),
	})
	if err != nil {
		return nil, err
	}

	// LoadBalancerConfiguration (config/crd/gateway/gateway.k8s.aws_loadbalancerconfigurations.yaml
	// @v3.5.0, served v1): scheme (default internal), the subnets (else subnet discovery by the
	// kubernetes.io/role/elb or internal-elb tags, which the VPC's subnets also carry), the client
	// ranges the managed security group admits (IPv6 ranges are skipped on an ipv4 load balancer:
	// pkg/gateway/model/model_build_security_group.go), and per secure listener the certificate and
	// the TLS policy.
	var listenerConfigs pulumi.Array
	seenPorts := map[string]bool{}
	for _, r := range routes {
		proto := "HTTPS"
		if k.l4 {
			proto = "TLS"
		}
		pp := fmt.Sprintf("%s:%d", proto, r.PublicPort())
		if seenPorts[pp] {
			continue
		}
		seenPorts[pp] = true
		lc := pulumi.Map{"protocolPort": pulumi.String(pp), "defaultCertificate": cert, "sslPolicy": pulumi.String(SSLPolicy)}
		if k.l4 {
			// ALPN is an NLB setting (loadbalancerconfig.md "ALPNPolicy … Only applies to Network
			// LoadBalancer Gateways"); JDBC negotiates none. The ALB offers h2 to gRPC clients itself.
			lc["alpnPolicy"] = pulumi.String("None")
		}
		listenerConfigs = append(listenerConfigs, lc)
	}
	subnets := a.SubnetIDs.ToStringArrayOutput().ApplyT(func(ids []string) []map[string]string {
		out := make([]map[string]string, 0, len(ids))
		for _, id := range ids {
			out = append(out, map[string]string{"identifier": id})
		}
		return out
	})
	spec := pulumi.Map{
		"loadBalancerName":       pulumi.String(lbName(a.LoadBalancerPrefix, k.kind)),
		"scheme":                 pulumi.String(b.scheme),
		"ipAddressType":          pulumi.String("ipv4"),
		"loadBalancerSubnets":    subnets,
		"sourceRanges":           pulumi.ToStringArray(a.SourceRanges),
		"listenerConfigurations": listenerConfigs,
		"tags":                   pulumi.ToStringMap(a.Tags),
	}
	if !k.l4 {
		spec["loadBalancerAttributes"] = pulumi.Array{
			// ALB attributes (Elastic Load Balancing API LoadBalancerAttribute): drop requests with
			// malformed header fields; 10 minutes of idle connection, as the kubernetes edge allows a
			// request (Airbyte's schema discovery and Dremio's downloads outlast the default 60 s).
			pulumi.Map{"key": pulumi.String("routing.http.drop_invalid_header_fields.enabled"), "value": pulumi.String("true")},
			pulumi.Map{"key": pulumi.String("idle_timeout.timeout_seconds"), "value": pulumi.String("600")},
		}
	}
	lbc, err := b.custom(k.kind+"-lbconfig", lbcAPI, "LoadBalancerConfiguration", k.gateway, ns, nil, spec)
	if err != nil {
		return nil, err
	}

	kinds := func(kind string) pulumi.Array {
		return pulumi.Array{pulumi.Map{"group": pulumi.String("gateway.networking.k8s.io"), "kind": pulumi.String(kind)}}
	}
	fromBackends := pulumi.Map{
		"from": pulumi.String("Selector"),
		"selector": pulumi.Map{"matchExpressions": pulumi.Array{pulumi.Map{
			"key": pulumi.String("kubernetes.io/metadata.name"), "operator": pulumi.String("In"),
			"values": pulumi.ToStringArray(backendNamespaces(routes)),
		}}},
	}
	var listeners pulumi.Array
	if !k.l4 {
		listeners = append(listeners, pulumi.Map{
			"name": pulumi.String(HTTPListener), "port": pulumi.Int(edge.HTTPPort), "protocol": pulumi.String("HTTP"),
			"allowedRoutes": pulumi.Map{"namespaces": pulumi.Map{"from": pulumi.String("Same")}, "kinds": kinds("HTTPRoute")},
		})
	}
	seen := map[string]bool{}
	for _, r := range routes {
		l := listenerName(r)
		if seen[l] {
			continue
		}
		seen[l] = true
		listener := pulumi.Map{"name": pulumi.String(l), "port": pulumi.Int(r.PublicPort())}
		switch r.Protocol {
		case edge.HTTP:
			// HTTPS listeners share 443 and are told apart by host name.
			listener["protocol"] = pulumi.String("HTTPS")
			listener["hostname"] = pulumi.String(r.FQDN(a.Domain))
			listener["allowedRoutes"] = pulumi.Map{"namespaces": fromBackends, "kinds": kinds("HTTPRoute")}
		case edge.GRPC:
			// A port of its own, so no host name: gRPC clients send :authority host:port, and a
			// host condition would only add a way to miss.
			listener["protocol"] = pulumi.String("HTTPS")
			listener["allowedRoutes"] = pulumi.Map{"namespaces": fromBackends, "kinds": kinds("GRPCRoute")}
		case edge.TCP:
			listener["protocol"] = pulumi.String("TLS")
			listener["tls"] = pulumi.Map{"mode": pulumi.String("Terminate"), "options": pulumi.Map{
				"dataplatform.io/certificate": pulumi.String("acm: LoadBalancerConfiguration " + k.gateway + " listenerConfigurations"),
			}}
			listener["allowedRoutes"] = pulumi.Map{"namespaces": fromBackends, "kinds": kinds("TCPRoute")}
		}
		listeners = append(listeners, listener)
	}
	// Wait until the controller has provisioned the load balancer (it sets Programmed=True once
	// it is active: controllers/gateway/gateway_controller.go@v3.5.0), so the alias records can
	// look it up on the first run (pulumi-kubernetes pkg/metadata/overrides.go ReadyCondition:
	// "pulumi.com/waitFor … condition=").
	wait := map[string]string{"pulumi.com/waitFor": "condition=Programmed", "pulumi.com/timeoutSeconds": "1200", SchemeAnnotation: b.scheme}
	// A scheme change (Edge.InternalOnly flips) changes only the LoadBalancerConfiguration, and the
	// controller then deletes and recreates the load balancer under the same loadBalancerName
	// (aws-load-balancer-controller@v3.5.0 pkg/deploy/elbv2/load_balancer_synthesizer.go
	// isSDKLoadBalancerRequiresReplacement: a differing scheme requires replacement). An update of
	// the Gateway would not wait for that, and the alias lookup (DependsOn the Gateway) would read
	// the old load balancer's DNS name. So the scheme is an annotation of the Gateway and a change of
	// it replaces the Gateway, deleting first (same object name): the new Gateway waits for
	// Programmed again, and the lookup runs after it (pulumi sdk/v3 go/pulumi/resource.go
	// ReplaceOnChanges, DeleteBeforeReplace).
	replace := []pulumi.ResourceOption{
		pulumi.ReplaceOnChanges([]string{`metadata.annotations["` + SchemeAnnotation + `"]`}),
		pulumi.DeleteBeforeReplace(true),
	}
	return b.customWith(replace, k.kind+"-gateway", gatewayAPI, "Gateway", k.gateway, ns, wait, pulumi.Map{
		"gatewayClassName": pulumi.String(k.class),
		"infrastructure": pulumi.Map{"parametersRef": pulumi.Map{
			"group": pulumi.String("gateway.k8s.aws"), "kind": pulumi.String("LoadBalancerConfiguration"), "name": pulumi.String(k.gateway),
		}},
		"listeners": listeners,
	}, class, lbc)
}

// listenerName is a route's listener.
func listenerName(r edge.Route) string {
	if r.Protocol == edge.HTTP {
		return "https-" + r.Host
	}
	return r.Name
}

// backendNamespaces lists the namespaces routes live in (beside their backends), sorted.
func backendNamespaces(routes []edge.Route) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range routes {
		if !seen[r.Namespace] {
			seen[r.Namespace] = true
			out = append(out, r.Namespace)
		}
	}
	sort.Strings(out)
	return out
}

// attach creates the routes beside their backends (no ReferenceGrant needed) and, on the ALB, the
// redirect route of the :80 listener.
func (b *builder) attach(k lbKind, routes []edge.Route, ns pulumi.StringOutput, gw *apiextensions.CustomResource) error {
	a := b.a
	parent := func(section string) pulumi.Array {
		return pulumi.Array{pulumi.Map{
			"group": pulumi.String("gateway.networking.k8s.io"), "kind": pulumi.String("Gateway"),
			"name": pulumi.String(k.gateway), "namespace": ns, "sectionName": pulumi.String(section),
		}}
	}
	if !k.l4 {
		// HTTPRoute RequestRedirect is supported (l7gateway.md "RequestRedirect … ✅"): scheme https,
		// permanent, to the same host and path on 443.
		if _, err := b.custom("http-redirect", gatewayAPI, "HTTPRoute", "https-redirect", ns, nil, pulumi.Map{
			"parentRefs": parent(HTTPListener),
			"rules": pulumi.Array{pulumi.Map{"filters": pulumi.Array{pulumi.Map{
				"type":            pulumi.String("RequestRedirect"),
				"requestRedirect": pulumi.Map{"scheme": pulumi.String("https"), "statusCode": pulumi.Int(301)},
			}}}},
		}, gw); err != nil {
			return err
		}
	}
	for _, r := range routes {
		backend := pulumi.Array{pulumi.Map{"name": pulumi.String(r.Service), "port": pulumi.Int(r.Port)}}
		var kind string
		spec := pulumi.Map{"parentRefs": parent(listenerName(r))}
		switch r.Protocol {
		case edge.HTTP:
			kind = "HTTPRoute"
			spec["hostnames"] = pulumi.ToStringArray([]string{r.FQDN(a.Domain)})
			spec["rules"] = pulumi.Array{pulumi.Map{
				"matches":     pulumi.Array{pulumi.Map{"path": pulumi.Map{"type": pulumi.String("PathPrefix"), "value": pulumi.String("/")}}},
				"backendRefs": backend,
			}}
		case edge.GRPC:
			kind = "GRPCRoute"
			spec["rules"] = pulumi.Array{pulumi.Map{"backendRefs": backend}}
		case edge.TCP:
			kind = "TCPRoute"
			spec["rules"] = pulumi.Array{pulumi.Map{"backendRefs": backend}}
		}
		if _, err := b.custom("route-"+r.Name, gatewayAPI, kind, r.Name, pulumi.String(r.Namespace), nil, spec, gw); err != nil {
			return err
		}
	}
	return nil
}

// targetGroups creates a TargetGroupConfiguration per backend Service
// (gateway.k8s.aws_targetgroupconfigurations.yaml@v3.5.0; targetgroupconfig.md): ip targets (pods are
// registered directly, docs: "ip: Pods with containerPort for your service will be registered"), and
// per route its target group's protocol version and health check. Route configurations replace the
// default one for their route, so each repeats the target type.
//
// A route with edge.BackendTLS gets targetGroupProps.protocol HTTPS (enum HTTP, HTTPS, TCP, TLS, UDP,
// TCP_UDP; the controller takes it as the target group's protocol, pkg/gateway/model/
// model_build_target_group.go@v3.5.0 buildTargetGroupProtocol) and healthCheckProtocol HTTPS (enum
// HTTP, HTTPS, TCP): the ALB then speaks TLS to the pods. An ALB does not verify a target's
// certificate (Elastic Load Balancing, Application Load Balancer target groups, routing
// configuration: "The load balancer establishes TLS connections with the targets using certificates
// that you install on the targets. The load balancer does not validate these certificates."), and
// target groups have no SNI or CA setting, so BackendTLS.CASecret and Hostname are not used here:
// the hop is encrypted but not authenticated; only pods inside the VPC, admitted by the backend's
// NetworkPolicy from the load balancer's subnets, can answer it.
func (b *builder) targetGroups() error {
	type svc struct{ ns, name string }
	bySvc := map[svc][]edge.Route{}
	var order []svc
	for _, r := range b.a.Routes {
		s := svc{r.Namespace, r.Service}
		if _, ok := bySvc[s]; !ok {
			order = append(order, s)
		}
		bySvc[s] = append(bySvc[s], r)
	}
	for _, s := range order {
		var rcs pulumi.Array
		for _, r := range bySvc[s] {
			props := pulumi.Map{"targetType": pulumi.String("ip")}
			kind := "TCPRoute"
			switch r.Protocol {
			case edge.HTTP:
				kind = "HTTPRoute"
				props["protocolVersion"] = pulumi.String("HTTP1")
				hc := "HTTP"
				if r.BackendTLS != nil {
					// backendProtocol: a TLS backend gets an HTTPS target group and HTTPS health checks.
					props["protocol"], hc = pulumi.String("HTTPS"), "HTTPS"
				}
				props["healthCheckConfig"] = pulumi.Map{
					"healthCheckPath": pulumi.String(b.a.HealthCheckPaths[r.Name]), "healthCheckProtocol": pulumi.String(hc),
					"matcher":             pulumi.Map{"httpCode": pulumi.String("200")},
					"healthCheckInterval": pulumi.Int(15), "healthCheckTimeout": pulumi.Int(5),
					"healthyThresholdCount": pulumi.Int(2), "unhealthyThresholdCount": pulumi.Int(3),
				}
			case edge.GRPC:
				// The ALB's gRPC health check calls /AWS.ALB/healthcheck and counts gRPC status 12
				// (UNIMPLEMENTED) healthy: any serving gRPC server answers it (the controller's
				// defaults, model_build_target_group.go@v3.5.0 defaultHealthCheckPathGRPC and
				// defaultHealthCheckMatcherGRPCCode, stated here).
				kind = "GRPCRoute"
				props["protocolVersion"] = pulumi.String("GRPC")
				props["healthCheckConfig"] = pulumi.Map{
					"healthCheckPath": pulumi.String("/AWS.ALB/healthcheck"), "matcher": pulumi.Map{"grpcCode": pulumi.String("12")},
					"healthCheckInterval": pulumi.Int(15), "healthCheckTimeout": pulumi.Int(5),
				}
			case edge.TCP:
				props["healthCheckConfig"] = pulumi.Map{
					"healthCheckProtocol": pulumi.String("TCP"), "healthCheckInterval": pulumi.Int(15), "healthCheckTimeout": pulumi.Int(5),
				}
			}
			rcs = append(rcs, pulumi.Map{
				"routeIdentifier":  pulumi.Map{"kind": pulumi.String(kind), "namespace": pulumi.String(r.Namespace), "name": pulumi.String(r.Name)},
				"targetGroupProps": props,
			})
		}
		if _, err := b.custom("tgconfig-"+s.ns+"-"+s.name, lbcAPI, "TargetGroupConfiguration", s.name, pulumi.String(s.ns), nil, pulumi.Map{
			"targetReference":      pulumi.Map{"group": pulumi.String(""), "kind": pulumi.String("Service"), "name": pulumi.String(s.name)},
			"defaultConfiguration": pulumi.Map{"targetType": pulumi.String("ip")},
			"routeConfigurations":  rcs,
		}); err != nil {
			return err
		}
	}
	return nil
}

// aliases looks the load balancer up by its name once its Gateway is programmed, and points an
// alias A record of every host it serves at it (the alias target is the load balancer's DNS name and
// canonical hosted zone; Route 53 answers with its current addresses).
func (b *builder) aliases(k lbKind, zone *hostedZone, gw *apiextensions.CustomResource) error {
	name := lbName(b.a.LoadBalancerPrefix, k.kind)
	found := lb.LookupLoadBalancerOutput(b.ctx, lb.LookupLoadBalancerOutputArgs{Name: pulumi.String(name)},
		pulumi.Parent(b.comp), pulumi.DependsOn([]pulumi.Resource{gw}))
	for _, h := range hostsOf(b.a.Domain, k.routes(b.a.Routes), k.l4) {
		rec, err := route53.NewRecord(b.ctx, b.name+"-record-"+strings.ReplaceAll(h, ".", "-"), &route53.RecordArgs{
			ZoneId: zone.id, Name: pulumi.String(h), Type: pulumi.String("A"),
			Aliases: route53.RecordAliasArray{route53.RecordAliasArgs{
				Name: found.DnsName(), ZoneId: found.ZoneId(), EvaluateTargetHealth: pulumi.Bool(true),
			}},
		}, b.child)
		if err != nil {
			return err
		}
		b.records[h] = rec.Fqdn
	}
	return nil
}
