package policies

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// awsGatewayCertificates: every HTTPS/TLS listener of an AWS Load Balancer Controller Gateway has its
// certificate entry in the LoadBalancerConfiguration the Gateway names.
func awsGatewayCertificates() Policy {
	return Policy{
		Name: "aws-gateway-listener-certificates",
		Description: "Every HTTPS or TLS listener of a Gateway of the AWS Load Balancer Controller has a listenerConfigurations " +
			"entry (its ACM certificate and TLS policy) in the LoadBalancerConfiguration the Gateway names: tls-in-transit " +
			"exempts such Gateways from certificateRefs (design document: TLS on every external endpoint).",
		Level:         Mandatory,
		Resources:     []string{K8sGateway, AWSLoadBalancerConfiguration},
		ValidateStack: awsGatewayListenerCertificates,
	}
}

// awsGatewayListenerCertificates is the stack check for Gateways of the AWS Load Balancer
// Controller: such a Gateway's HTTPS and TLS listeners take their ACM certificate and TLS policy from
// the listenerConfigurations entry of the LoadBalancerConfiguration it names, keyed "PROTOCOL:port"
// (aws-load-balancer-controller@v3.5.0 docs/guide/gateway/l7gateway.md "CertificateRefs ❌ -- Use LB
// Config", docs/guide/gateway/loadbalancerconfig.md listenerConfigurations protocolPort). The per-
// resource rule exempts them from certificateRefs; this checks that every secure listener port has
// that entry (the entry's certificate and policy are checked on the LoadBalancerConfiguration).
func awsGatewayListenerCertificates(rs []Resource, _ Config) []Finding {
	e := newEval("")
	for _, gw := range rs {
		if !isGateway(gw.Type) {
			continue
		}
		if group, _ := e.str(gw.Properties, "spec", "infrastructure", "parametersRef", "group"); group != "gateway.k8s.aws" {
			continue
		}
		e.urn = gw.URN
		e.rule(func() {
			ref, _ := e.str(gw.Properties, "spec", "infrastructure", "parametersRef", "name")
			gwNS, gwNSKnown := knownStr(gw.Properties, "metadata", "namespace")
			var cfg *Resource
			for i, r := range rs {
				if r.Type != AWSLoadBalancerConfiguration {
					continue
				}
				name, _ := k8sName(e, r)
				ns, nsKnown := knownStr(r.Properties, "metadata", "namespace")
				// parametersRef is a local reference: the configuration is in the Gateway's namespace
				// (compared only when both are known: a namespace created in the same run is not).
				if name == ref && (!gwNSKnown || !nsKnown || ns == gwNS) {
					cfg = &rs[i]
				}
			}
			if cfg == nil {
				e.fail("Gateway names LoadBalancerConfiguration %q, which the stack does not declare: its HTTPS/TLS listeners would have no certificate", ref)
				return
			}
			configured := map[string]bool{}
			for _, l := range e.objs(cfg.Properties, "spec", "listenerConfigurations") {
				pp, _ := e.str(l, "protocolPort")
				configured[strings.ToUpper(pp)] = true
			}
			for _, l := range e.objs(gw.Properties, "spec", "listeners") {
				proto, _ := e.str(l, "protocol")
				proto = strings.ToUpper(proto)
				if proto != "HTTPS" && proto != "TLS" {
					continue
				}
				port, _ := e.num(l, "port")
				name, _ := e.str(l, "name")
				if pp := fmt.Sprintf("%s:%d", proto, int(port)); !configured[pp] {
					// Attributed to the configuration: the missing entry is what to add.
					e.failOn(cfg.URN, "Gateway listener %q (%s) has no listenerConfigurations entry %q in LoadBalancerConfiguration %q: it would have no ACM certificate", name, pp, pp, ref)
				}
			}
		})
	}
	return e.findings
}

// knownStr reads a string without recording an unknown (for optional comparisons).
func knownStr(m resource.PropertyMap, path ...string) (string, bool) {
	v := resource.NewObjectProperty(m)
	for _, k := range path {
		if !v.IsObject() {
			return "", false
		}
		v = v.ObjectValue()[resource.PropertyKey(k)]
	}
	if !v.IsString() {
		return "", false
	}
	return v.StringValue(), true
}
