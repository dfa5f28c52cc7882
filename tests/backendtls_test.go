package tests

import (
	"fmt"
	"testing"

	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/elasticsearch"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestKibanaBackendTLS: wherever Kibana runs behind an edge, the edge reaches it with TLS. Kibana
// keeps ECK's self-signed certificate (no http.tls override) on a Service port that declares
// appProtocol HTTPS, and the target's edge renders the route's BackendTLS:
//   - kubernetes (Envoy Gateway): a Gateway API BackendTLSPolicy beside kibana-kb-http naming ECK's
//     CA Secret and kibana-kb-http.<ns>.svc;
//   - aws (ALB): Kibana's target group HTTPS with HTTPS health checks on /api/status;
//   - gcp (GKE Gateway): Kibana's HealthCheckPolicy HTTPS on /api/status;
//   - azure (once Elasticsearch runs there, esClouds): an AGC BackendTLSPolicy when AGC serves the
//     HTTP routes, else Envoy Gateway's.
func TestKibanaBackendTLS(t *testing.T) {
	for _, target := range Targets {
		if target != "kubernetes" && !esClouds[target] {
			continue
		}
		for _, stack := range []string{"dev", "prod"} {
			for _, preview := range []bool{false, true} {
				target, stack, preview := target, stack, preview
				t.Run(fmt.Sprintf("%s/%s/%s", stack, target, mode(preview)), func(t *testing.T) {
					r := plan(t, stack, target, preview, "dataplatform:elasticsearch.enabled=true")
					checkKibanaBackendTLS(t, target, r)
				})
			}
		}
	}
}

func checkKibanaBackendTLS(t *testing.T, target string, r *planner.Result) {
	t.Helper()
	ns := r.Platform.Network.Namespaces.Data
	kbs := resourcesOf(r, kbCRType)
	if len(kbs) != 1 {
		t.Fatalf("%d Kibana resources; want 1", len(kbs))
	}
	kb := kbs[0]
	if inspect.Has(kb.Inputs, "spec", "http", "tls") {
		t.Errorf("Kibana overrides http.tls; ECK's self-signed certificate must stay on")
	}
	if p := inspect.Str(kb.Inputs, "spec", "http", "service", "spec", "ports", 0, "appProtocol"); p != "HTTPS" {
		t.Errorf("Kibana's Service port appProtocol %q; want HTTPS", p)
	}
	host := elasticsearch.KibanaService + "." + ns + ".svc"
	switch target {
	case "kubernetes":
		requireGatewayBackendTLS(t, r, ns, host)
	case "aws":
		tg := findByTarget(r, "kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration", "targetReference")
		if tg == nil {
			t.Fatalf("no TargetGroupConfiguration for %s", elasticsearch.KibanaService)
		}
		p := inspect.Obj(inspect.At(tg.Inputs, "spec", "routeConfigurations", 0, "targetGroupProps"))
		if inspect.Str(p, "protocol") != "HTTPS" || inspect.Str(p, "healthCheckConfig", "healthCheckProtocol") != "HTTPS" ||
			inspect.Str(p, "healthCheckConfig", "healthCheckPath") != elasticsearch.KibanaHealthPath {
			t.Errorf("Kibana's target group %v; want protocol and health checks HTTPS on %s", inspect.Plain(inspect.At(tg.Inputs, "spec", "routeConfigurations", 0)), elasticsearch.KibanaHealthPath)
		}
	case "gcp":
		hc := findByTarget(r, "kubernetes:networking.gke.io/v1:HealthCheckPolicy", "targetRef")
		if hc == nil {
			t.Fatalf("no HealthCheckPolicy for %s", elasticsearch.KibanaService)
		}
		if inspect.Str(hc.Inputs, "spec", "default", "config", "type") != "HTTPS" ||
			inspect.Str(hc.Inputs, "spec", "default", "config", "httpsHealthCheck", "requestPath") != elasticsearch.KibanaHealthPath {
			t.Errorf("Kibana's health check %v; want HTTPS on %s", inspect.Plain(inspect.At(hc.Inputs, "spec", "default", "config")), elasticsearch.KibanaHealthPath)
		}
	case "azure":
		if agc := findByTarget(r, "kubernetes:alb.networking.azure.io/v1:BackendTLSPolicy", "targetRef"); agc != nil {
			s := inspect.Obj(inspect.At(agc.Inputs, "spec", "default"))
			if inspect.Str(s, "sni") != host || inspect.Str(s, "verify", "subjectAltName") != host ||
				inspect.Str(s, "verify", "caCertificateRef", "name") != elasticsearch.KibanaCASecret {
				t.Errorf("AGC BackendTLSPolicy %v; want SNI and SAN %s, CA %s", inspect.Plain(inspect.At(agc.Inputs, "spec")), host, elasticsearch.KibanaCASecret)
			}
			return
		}
		requireGatewayBackendTLS(t, r, ns, host)
	}
}

// requireGatewayBackendTLS finds Envoy Gateway's BackendTLSPolicy for Kibana.
func requireGatewayBackendTLS(t *testing.T, r *planner.Result, ns, host string) {
	t.Helper()
	for _, p := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:BackendTLSPolicy") {
		if inspect.Str(p.Inputs, "spec", "targetRefs", 0, "name") != elasticsearch.KibanaService {
			continue
		}
		if got := inspect.Str(p.Inputs, "metadata", "namespace"); got != ns {
			t.Errorf("BackendTLSPolicy in %q; want Kibana's namespace %s", got, ns)
		}
		v := inspect.Obj(inspect.At(p.Inputs, "spec", "validation"))
		if inspect.Str(v, "hostname") != host || inspect.Str(v, "caCertificateRefs", 0, "kind") != "Secret" ||
			inspect.Str(v, "caCertificateRefs", 0, "name") != elasticsearch.KibanaCASecret {
			t.Errorf("BackendTLSPolicy validation %v; want hostname %s and Secret %s (key %s)", inspect.Plain(inspect.At(p.Inputs, "spec", "validation")), host, elasticsearch.KibanaCASecret, edge.BackendCAKey)
		}
		return
	}
	t.Errorf("no BackendTLSPolicy for %s", elasticsearch.KibanaService)
}

// findByTarget is the resource of typ whose spec.<ref>.name is Kibana's Service.
func findByTarget(r *planner.Result, typ, ref string) *mockcloud.Resource {
	for _, x := range resourcesOf(r, typ) {
		if inspect.Str(x.Inputs, "spec", ref, "name") == elasticsearch.KibanaService {
			return x
		}
	}
	return nil
}

// TestValkeyCertificateRenewal: with Superset on, Valkey's serving certificate is a cert-manager
// Certificate (renewed in the cluster, 90 days renewed 30 ahead) where cert-manager runs —
// kubernetes, azure and gcp (the edge's controllers, installed with the foundation) — and the tls
// provider's one-year certificate, renewed by an up, on aws.
func TestValkeyCertificateRenewal(t *testing.T) {
	for _, target := range Targets {
		for _, preview := range []bool{false, true} {
			target, preview := target, preview
			t.Run(fmt.Sprintf("dev/%s/%s", target, mode(preview)), func(t *testing.T) {
				r := plan(t, "dev", target, preview, supersetSets...)
				var valkeyCert *mockcloud.Resource
				for _, c := range resourcesOf(r, "kubernetes:cert-manager.io/v1:Certificate") {
					if inspect.Str(c.Inputs, "spec", "secretName") == "superset-valkey-tls-issued" {
						valkeyCert = c
					}
				}
				pulumiCert := false
				for _, c := range resourcesOf(r, "tls:index/locallySignedCert:LocallySignedCert") {
					pulumiCert = pulumiCert || c.Name == "superset-valkey-cert"
				}
				expiryCheck := false
				for _, c := range resourcesOf(r, "kubernetes:batch/v1:CronJob") {
					expiryCheck = expiryCheck || c.Name == "superset-valkey-cert-expiry"
				}
				if expiryCheck != pulumiCert {
					t.Errorf("expiry check CronJob %v; want it exactly with the up-renewed certificate (%v)", expiryCheck, pulumiCert)
				}
				inCluster := target != "aws"
				if inCluster {
					if valkeyCert == nil || pulumiCert {
						t.Fatalf("want Valkey's certificate from cert-manager only (Certificate %v, tls provider %v)", valkeyCert != nil, pulumiCert)
					}
					if d, rb := inspect.Str(valkeyCert.Inputs, "spec", "duration"), inspect.Str(valkeyCert.Inputs, "spec", "renewBefore"); d != "2160h" || rb != "720h" {
						t.Errorf("Valkey certificate duration %s renewBefore %s; want 2160h, 720h", d, rb)
					}
					return
				}
				if valkeyCert != nil || !pulumiCert {
					t.Errorf("want the tls provider's certificate on %s (Certificate %v, tls provider %v)", target, valkeyCert != nil, pulumiCert)
				}
			})
		}
	}
}
