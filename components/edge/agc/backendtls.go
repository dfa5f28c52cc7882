package agc

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// BackendTLSPolicyName is the AGC BackendTLSPolicy of a backend Service that serves TLS.
func BackendTLSPolicyName(service string) string { return service + "-agc-backend-tls" }

// backendTLS creates, beside each backend Service whose route carries edge.BackendTLS, an AGC
// BackendTLSPolicy (api-specification-kubernetes.md BackendTLSPolicySpec: targetRef, a Gateway API
// PolicyTargetReference to the Service; default, a BackendTLSPolicyConfig: sni, ports[].port,
// and CommonTLSPolicy.verify — caCertificateRef, a SecretObjectReference, and subjectAltName).
// AGC then connects to the Service's port with TLS, SNI = BackendTLS.Hostname, and verifies the
// certificate against the CA in the Secret (key ca.crt, as in the docs' backend mTLS example,
// how-to-backend-mtls-gateway-api.md and examples/https-scenario/end-to-end-ssl-with-backend-mtls)
// and the host name as subject alternative name. The health probes follow: with no
// HealthCheckPolicy AGC probes with the pod's readiness probe (custom-health-probe.md: "If there's
// no HealthCheckPolicy CR, then use Readiness probe"), and a backend that serves TLS probes its own
// readiness over HTTPS (ECK's Kibana: pkg/controller/kibana/pod.go readinessProbe, scheme HTTPS); the
// default probe is HTTPS too when a BackendTLSPolicy targets the Service.
//
// The ALB Controller reads the Secret with its own RBAC (chart 1.12.1); the docs' examples keep
// Secret, policy and Service in one namespace, as here. Whether the reference resolved shows in the
// policy's status (ResolvedRefs, reason InvalidCertificateRef).
func (b *builder) backendTLS(gateway pulumi.Resource) error {
	seen := map[string]bool{}
	for _, r := range b.a.Routes {
		t := r.BackendTLS
		if t == nil || seen[r.Namespace+"/"+r.Service] {
			continue
		}
		seen[r.Namespace+"/"+r.Service] = true
		ns := pulumi.String(r.Namespace)
		if _, err := b.custom("backend-tls-"+r.Name, albAPI, "BackendTLSPolicy", b.meta(BackendTLSPolicyName(r.Service), ns, nil), pulumi.Map{
			"targetRef": pulumi.Map{
				"group": pulumi.String(""), "kind": pulumi.String("Service"), "name": pulumi.String(r.Service), "namespace": ns,
			},
			"default": pulumi.Map{
				"sni":   pulumi.String(t.Hostname),
				"ports": pulumi.Array{pulumi.Map{"port": pulumi.Int(r.Port)}},
				"verify": pulumi.Map{
					"caCertificateRef": pulumi.Map{"group": pulumi.String(""), "kind": pulumi.String("Secret"), "name": pulumi.String(t.CASecret)},
					"subjectAltName":   pulumi.String(t.Hostname),
				},
			},
		}, gateway); err != nil {
			return err
		}
	}
	return nil
}
