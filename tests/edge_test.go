package tests

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestEdgeOnKubernetes: every kubernetes plan (its stacks set dataplatform:domain) serves Dremio and
// Airbyte through Envoy Gateway — a Gateway whose every listener but :80 terminates TLS, the routes,
// the add-ons at pinned versions — and the engine admits the edge's namespace; the clouds have their
// own tests (TestEdgeOnAWS, TestEdgeOnAzure, TestEdgeOnGCP).
func TestEdgeOnKubernetes(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		gws := resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:Gateway")
		if target == "azure" {
			return // TestEdgeOnAzure (edge_azure_test.go)
		}
		if target == "aws" {
			return // the AWS Load Balancer Controller's edge: TestEdgeOnAWS (edge_aws_test.go)
		}
		if target == "gcp" {
			return // GKE Gateway and Envoy Gateway: TestEdgeOnGCP (edge_gcp_test.go)
		}
		if target != "kubernetes" {
			if len(gws) != 0 || len(resourcesOf(r, "dataplatform:edge:EnvoyGatewayEdge")) != 0 {
				t.Errorf("%s has an edge; only the kubernetes target has one so far", target)
			}
			return
		}
		if len(gws) != 1 {
			t.Fatalf("%d Gateways; want 1", len(gws))
		}
		domain := r.Platform.Domain
		hosts := map[string]bool{}
		for _, l := range inspect.Arr(inspect.At(gws[0].Inputs, "spec", "listeners")) {
			o := inspect.Obj(l)
			if inspect.Str(o, "protocol") == "HTTP" {
				continue
			}
			if inspect.Str(o, "tls", "mode") != "Terminate" || len(inspect.Arr(inspect.At(o, "tls", "certificateRefs"))) == 0 {
				t.Errorf("listener %s does not terminate TLS with a certificate", inspect.Str(o, "name"))
			}
			// HTTPS listeners share 443 and are chosen by hostname, which must be under the domain. A
			// TLS listener has a port of its own and no hostname, so clients need not send SNI; the
			// certificate it serves still names the host under the domain.
			h := inspect.Str(o, "hostname")
			switch inspect.Str(o, "protocol") {
			case "HTTPS":
				if !strings.HasSuffix(h, "."+domain) {
					t.Errorf("listener %s hostname %q is not under %s", inspect.Str(o, "name"), h, domain)
				}
				hosts[h] = true
			case "TLS":
				if h != "" {
					t.Errorf("listener %s has hostname %q: on a port of its own it only makes SNI mandatory", inspect.Str(o, "name"), h)
				}
			default:
				t.Errorf("listener %s protocol %q", inspect.Str(o, "name"), inspect.Str(o, "protocol"))
			}
		}
		for _, h := range []string{"dremio." + domain, "airbyte." + domain} {
			if !hosts[h] {
				t.Errorf("no listener for %s", h)
			}
		}
		if n := len(resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:TCPRoute")); n != 2 {
			t.Errorf("%d TCPRoutes; want Flight and JDBC", n)
		}
		if n := len(resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")); n != 4 {
			t.Errorf("%d HTTPRoutes; want Dremio, Airbyte, Grafana (observability, on by default here), Kibana (when elasticsearch.enabled) and the redirect", n)
		}
		charts := map[string]string{}
		for _, c := range resourcesOf(r, "kubernetes:helm.sh/v4:Chart") {
			charts[inspect.Str(c.Inputs, "chart")] = inspect.Str(c.Inputs, "version")
		}
		if charts["cert-manager"] != "v1.21.1" || charts["oci://docker.io/envoyproxy/gateway-helm"] != "v1.9.0" {
			t.Errorf("add-on charts = %v; want cert-manager v1.21.1 and gateway-helm v1.9.0", charts)
		}
		found := false
		for _, np := range resourcesOf(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy") {
			if inspect.Str(np.Inputs, "metadata", "name") == "dremio-client-ingress" {
				found = true
				// k8snet.Peers: one peer per namespace, selected by its kubernetes.io/metadata.name label.
				var vals []string
				for _, p := range inspect.Arr(inspect.At(np.Inputs, "spec", "ingress", 0, "from")) {
					if ns := inspect.Str(inspect.Obj(p), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"); ns != "" {
						vals = append(vals, ns)
					}
				}
				if len(vals) != 1 || vals[0] != "envoy-gateway-system" {
					t.Errorf("Dremio admits %v; want the edge's namespace", vals)
				}
			}
		}
		if !found {
			t.Errorf("Dremio does not admit the edge's namespace")
		}
	})
}
