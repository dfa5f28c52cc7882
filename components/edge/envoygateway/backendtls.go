package envoygateway

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// BackendTLSPolicyName is the BackendTLSPolicy of a backend Service that serves TLS.
func BackendTLSPolicyName(service string) string { return service + "-backend-tls" }

// backendTLS creates, beside each backend Service whose route carries edge.BackendTLS, a Gateway API
// BackendTLSPolicy (sigs.k8s.io/gateway-api@v1.6.1 config/crd/standard/
// gateway.networking.k8s.io_backendtlspolicies.yaml, v1: targetRefs and validation required;
// validation.hostname required; caCertificateRefs are LocalObjectReferences — group, kind, name, in
// the policy's own namespace — at most 8). Envoy Gateway then connects to the Service with TLS,
// sends the hostname as SNI and verifies the certificate against the CA and that name
// (envoyproxy/gateway@v1.9.0 internal/gatewayapi/backendtlspolicy.go: ir.TLSUpstreamConfig SNI =
// validation.hostname; getCaCertsFromCARefs accepts ConfigMap, Secret and ClusterTrustBundle and
// reads key ca.crt first). The CA is a Secret (ECK publishes its CA only in a Secret); Envoy
// Gateway lists BackendTLSPolicies cluster-wide and reads the Secrets they name
// (internal/provider/kubernetes/controller.go processBackendTLSPolicies →
// processBackendTLSPolicyRefs), and the policy, the Secret and the Service share a namespace, so no
// ReferenceGrant is involved. targetRefs names the Service without sectionName: every port of it
// is TLS. One policy per Service (a second one on the same target would conflict).
//
// The proxies' egress NetworkPolicy is unchanged: TLS runs on the route's backend port.
func (b *builder) backendTLS(gateway pulumi.Resource) error {
	seen := map[string]bool{}
	for _, r := range b.a.Routes {
		t := r.BackendTLS
		if t == nil || seen[r.Namespace+"/"+r.Service] {
			continue
		}
		seen[r.Namespace+"/"+r.Service] = true
		if _, err := b.custom("backend-tls-"+r.Name, gatewayAPI, "BackendTLSPolicy", b.meta(BackendTLSPolicyName(r.Service), pulumi.String(r.Namespace)), pulumi.Map{
			"targetRefs": pulumi.Array{pulumi.Map{
				"group": pulumi.String(""), "kind": pulumi.String("Service"), "name": pulumi.String(r.Service),
			}},
			"validation": pulumi.Map{
				"caCertificateRefs": pulumi.Array{pulumi.Map{
					"group": pulumi.String(""), "kind": pulumi.String("Secret"), "name": pulumi.String(t.CASecret),
				}},
				"hostname": pulumi.String(t.Hostname),
			},
		}, pulumi.DependsOn([]pulumi.Resource{gateway})); err != nil {
			return err
		}
	}
	return nil
}
