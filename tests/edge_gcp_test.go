package tests

import (
	"sort"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestEdgeOnGCP: every gcp plan (its stacks set dataplatform:domain) serves Dremio's UI and Airbyte
// through the GKE Gateway — the global external class outside prod, the regional internal class with
// its proxy-only subnet in prod (whose default source ranges are private) — with an HTTPS listener per
// host under the domain, certificates per host, only a redirect on :80, health checks, a TLS 1.2 SSL
// policy and (public) a Cloud Armor policy with the source ranges; Flight and JDBC through Envoy
// Gateway; a Cloud DNS zone for the domain with a record per host; and the engine admits Google's
// load-balancer ranges and Envoy Gateway's namespace on its routed ports.
func TestEdgeOnGCP(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		if target != "gcp" {
			return
		}
		domain := r.Platform.Domain
		internal := stack == "prod"
		var gke *mockcloud.Resource
		for _, gw := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:Gateway") {
			if c := inspect.Str(gw.Inputs, "spec", "gatewayClassName"); strings.HasPrefix(c, "gke-") {
				if gke != nil {
					t.Fatalf("two GKE Gateways")
				}
				gke = gw
			}
		}
		if gke == nil {
			t.Fatalf("no GKE Gateway")
		}
		wantClass := "gke-l7-global-external-managed"
		if internal {
			wantClass = "gke-l7-rilb"
		}
		if c := inspect.Str(gke.Inputs, "spec", "gatewayClassName"); c != wantClass {
			t.Errorf("gatewayClassName %s; want %s", c, wantClass)
		}
		hosts := map[string]bool{}
		for _, l := range inspect.Arr(inspect.At(gke.Inputs, "spec", "listeners")) {
			o := inspect.Obj(l)
			name, proto, port := inspect.Str(o, "name"), inspect.Str(o, "protocol"), inspect.Num(o, "port")
			if proto == "HTTP" {
				if port != 80 {
					t.Errorf("HTTP listener %s on %v", name, port)
				}
				continue
			}
			h := inspect.Str(o, "hostname")
			if proto != "HTTPS" || port != 443 || !strings.HasSuffix(h, "."+domain) {
				t.Errorf("listener %s: %s :%v %q; want HTTPS :443 under %s", name, proto, port, h, domain)
			}
			hosts[h] = true
			if internal && inspect.Str(o, "tls", "mode") != "Terminate" {
				t.Errorf("internal listener %s does not terminate TLS", name)
			}
		}
		if len(hosts) != 2 || !hosts["dremio."+domain] || !hosts["airbyte."+domain] {
			t.Errorf("HTTPS hosts %v; want dremio and airbyte under %s", hosts, domain)
		}
		entries := resourcesOf(r, "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry")
		if internal {
			if len(entries) != 0 || len(resourcesOf(r, "gcp:compute/subnetwork:Subnetwork")) != 2 {
				t.Errorf("internal edge: %d map entries (want none), subnets %d (want nodes and proxy-only)", len(entries), len(resourcesOf(r, "gcp:compute/subnetwork:Subnetwork")))
			}
		} else {
			got := map[string]bool{}
			for _, e := range entries {
				got[inspect.Str(e.Inputs, "hostname")] = true
			}
			if len(got) != 2 || !got["dremio."+domain] || !got["airbyte."+domain] {
				t.Errorf("certificate map entries for %v; want one per host", got)
			}
		}
		if n := len(resourcesOf(r, "gcp:certificatemanager/certificate:Certificate")); n != 2 {
			t.Errorf("%d certificates; want one per host", n)
		}

		routes := map[string]*mockcloud.Resource{}
		for _, hr := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute") {
			p := inspect.Obj(inspect.Arr(inspect.At(hr.Inputs, "spec", "parentRefs"))[0])
			if inspect.Str(p, "name") == inspect.Str(gke.Inputs, "metadata", "name") {
				routes[inspect.Str(hr.Inputs, "metadata", "name")] = hr
			}
		}
		var names []string
		for n, hr := range routes {
			names = append(names, n)
			for _, h := range inspect.Strs(hr.Inputs, "spec", "hostnames") {
				if !strings.HasSuffix(h, "."+domain) {
					t.Errorf("route %s hostname %s is not under %s", n, h, domain)
				}
			}
			if n != "https-redirect" && inspect.Str(inspect.Obj(inspect.Arr(inspect.At(hr.Inputs, "spec", "parentRefs"))[0]), "sectionName") == "http" {
				t.Errorf("route %s serves plain HTTP", n)
			}
		}
		sort.Strings(names)
		if strings.Join(names, ",") != "airbyte,dremio-ui,https-redirect" {
			t.Errorf("GKE Gateway routes %v; want airbyte, dremio-ui and the redirect", names)
		}
		paths := map[string]string{}
		for _, hc := range resourcesOf(r, "kubernetes:networking.gke.io/v1:HealthCheckPolicy") {
			paths[inspect.Str(hc.Inputs, "spec", "targetRef", "name")] = inspect.Str(hc.Inputs, "spec", "default", "config", "httpHealthCheck", "requestPath")
		}
		if paths["dremio-client"] != "/apiv2/server_status" || paths["airbyte-airbyte-server-svc"] != "/api/v1/health" {
			t.Errorf("health checks %v", paths)
		}
		if n := len(resourcesOf(r, "kubernetes:networking.gke.io/v1:GCPBackendPolicy")); n != 2 {
			t.Errorf("%d GCPBackendPolicies; want one per backend Service", n)
		}
		sslType := "gcp:compute/sSLPolicy:SSLPolicy"
		if internal {
			sslType = "gcp:compute/regionSslPolicy:RegionSslPolicy"
		}
		ssl := resourcesOf(r, sslType)
		if len(ssl) != 1 || inspect.Str(ssl[0].Inputs, "minTlsVersion") != "TLS_1_2" {
			t.Errorf("SSL policies %d; want one with TLS_1_2", len(ssl))
		}
		armor := resourcesOf(r, "gcp:compute/securityPolicy:SecurityPolicy")
		if internal != (len(armor) == 0) {
			t.Errorf("%d Cloud Armor policies; want one on the public edge only", len(armor))
		} else if !internal {
			allowed := inspect.Strs(inspect.Obj(inspect.Arr(inspect.At(armor[0].Inputs, "rules"))[0]), "match", "config", "srcIpRanges")
			if strings.Join(allowed, ",") != strings.Join(r.Platform.Edge.SourceRanges, ",") {
				t.Errorf("Cloud Armor allows %v; want edge.sourceRanges %v", allowed, r.Platform.Edge.SourceRanges)
			}
		}

		// DNS: a zone for the domain, an A record per host (dremio-data for Flight and JDBC).
		zones := resourcesOf(r, "gcp:dns/managedZone:ManagedZone")
		if len(zones) != 1 || inspect.Str(zones[0].Inputs, "dnsName") != domain+"." {
			t.Fatalf("zones %d; want one for %s", len(zones), domain)
		}
		a := map[string]bool{}
		for _, rec := range resourcesOf(r, "gcp:dns/recordSet:RecordSet") {
			if inspect.Str(rec.Inputs, "type") == "A" {
				a[inspect.Str(rec.Inputs, "name")] = true
			}
		}
		for _, h := range []string{"dremio.", "airbyte.", "dremio-data."} {
			if !a[h+domain+"."] {
				t.Errorf("no A record for %s%s (have %v)", h, domain, a)
			}
		}

		// cert-manager (ACME DNS-01 for dremio-data) writes into the zone as its own principal.
		grants := resourcesOf(r, "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember")
		if len(grants) != 1 || inspect.Str(grants[0].Inputs, "role") != "roles/dns.admin" {
			t.Errorf("%d Cloud DNS grants; want roles/dns.admin on the zone for cert-manager", len(grants))
		} else if m := inspect.Str(grants[0].Inputs, "member"); !preview && (!strings.HasPrefix(m, "principal://iam.googleapis.com/projects/") ||
			!strings.HasSuffix(m, "/workloadIdentityPools/"+r.Platform.GCPProject+".svc.id.goog/subject/ns/cert-manager/sa/cert-manager")) {
			t.Errorf("grant member %q; want cert-manager's Workload Identity Federation principal", m)
		}

		// The engine admits the load balancers' ranges and Envoy Gateway's namespace.
		wantCIDRs := "35.191.0.0/16,130.211.0.0/22"
		if internal {
			wantCIDRs += "," + r.Platform.Network.ProxyOnlyCIDR
		}
		found := false
		for _, np := range resourcesOf(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy") {
			if inspect.Str(np.Inputs, "metadata", "name") != "dremio-client-ingress" {
				continue
			}
			found = true
			var cidrs []string
			ns := false
			for _, from := range inspect.Arr(inspect.At(np.Inputs, "spec", "ingress", 0, "from")) {
				o := inspect.Obj(from)
				if c := inspect.Str(o, "ipBlock", "cidr"); c != "" {
					cidrs = append(cidrs, c)
				}
				if inspect.Str(o, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name") == "envoy-gateway-system" {
					ns = true
				}
				for _, e := range inspect.Arr(inspect.At(o, "namespaceSelector", "matchExpressions")) {
					if strings.Contains(strings.Join(inspect.Strs(inspect.Obj(e), "values"), ","), "envoy-gateway-system") {
						ns = true
					}
				}
			}
			if strings.Join(cidrs, ",") != wantCIDRs || !ns {
				t.Errorf("Dremio admits %v (edge namespace %v); want %s and envoy-gateway-system", cidrs, ns, wantCIDRs)
			}
		}
		if !found {
			t.Errorf("Dremio admits no client on its routed ports")
		}
	})
}

// TestGCPEdgeOverrides: prod with public source ranges, an existing zone and the self-signed issuer
// moves the HTTP edge to the global external class (no proxy-only subnet, Cloud Armor with the
// ranges), writes the records into the named zone without creating one, and gives cert-manager no
// Cloud DNS grant.
func TestGCPEdgeOverrides(t *testing.T) {
	for _, preview := range []bool{false, true} {
		r := plan(t, "prod", "gcp", preview, `dataplatform:edge={"sourceRanges": ["203.0.113.0/24"], "dnsZone": "example-com", "issuer": "selfSigned"}`)
		classes := map[string]bool{}
		for _, gw := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:Gateway") {
			classes[inspect.Str(gw.Inputs, "spec", "gatewayClassName")] = true
		}
		if !classes["gke-l7-global-external-managed"] || classes["gke-l7-rilb"] {
			t.Errorf("classes %v; want the global external class", classes)
		}
		if n := len(resourcesOf(r, "gcp:compute/subnetwork:Subnetwork")); n != 1 {
			t.Errorf("%d subnets; want the nodes subnet only (no proxy-only subnet for a public edge)", n)
		}
		armor := resourcesOf(r, "gcp:compute/securityPolicy:SecurityPolicy")
		if len(armor) != 1 || strings.Join(inspect.Strs(inspect.Obj(inspect.Arr(inspect.At(armor[0].Inputs, "rules"))[0]), "match", "config", "srcIpRanges"), ",") != "203.0.113.0/24" {
			t.Errorf("Cloud Armor policies %d; want one allowing 203.0.113.0/24", len(armor))
		}
		if n := len(resourcesOf(r, "gcp:dns/managedZone:ManagedZone")); n != 0 {
			t.Errorf("%d zones created; want none with edge.dnsZone", n)
		}
		for _, rec := range resourcesOf(r, "gcp:dns/recordSet:RecordSet") {
			if z := inspect.Str(rec.Inputs, "managedZone"); z != "example-com" {
				t.Errorf("record %s in zone %q; want example-com", inspect.Str(rec.Inputs, "name"), z)
			}
		}
		if n := len(resourcesOf(r, "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember")); n != 0 {
			t.Errorf("%d Cloud DNS grants; the self-signed issuer needs none", n)
		}
	}
}

// TestGCPEdgeL4AndOrdering: the Flight/JDBC static IP has a distinct name when internal (a flip of
// addressType replaces it create-before-delete), the internal one is a SHARED_LOADBALANCER_VIP and
// its Service asks for global access; cert-manager's chart, Issuer and Certificates wait for its Cloud
// DNS grant; and Envoy Gateway's namespace waits for the address (destroy releases the IP only after
// the namespace, and so GKE's forwarding rule for the proxies' Service, is gone).
func TestGCPEdgeL4AndOrdering(t *testing.T) {
	internalName := ""
	for _, stack := range []string{"dev", "prod"} {
		for _, preview := range []bool{false, true} {
			r := plan(t, stack, "gcp", preview)
			internal := stack == "prod"
			var addr *mockcloud.Resource
			for _, a := range resourcesOf(r, "gcp:compute/address:Address") {
				if a.Name == "edge-l4-ip" {
					addr = a
				}
			}
			if addr == nil {
				t.Fatalf("%s: no edge-l4-ip address", stack)
			}
			name, typ, purpose := inspect.Str(addr.Inputs, "name"), inspect.Str(addr.Inputs, "addressType"), inspect.Str(addr.Inputs, "purpose")
			if internal {
				internalName = name
			}
			var proxy *mockcloud.Resource
			for _, ep := range resourcesOf(r, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy") {
				proxy = ep
			}
			if proxy == nil {
				t.Fatalf("%s: no EnvoyProxy", stack)
			}
			global := inspect.Str(proxy.Inputs, "spec", "provider", "kubernetes", "envoyService", "annotations", "networking.gke.io/internal-load-balancer-allow-global-access")
			if internal {
				if typ != "INTERNAL" || purpose != "SHARED_LOADBALANCER_VIP" || !strings.HasSuffix(name, "-edge-l4-int") {
					t.Errorf("prod L4 address %s %s purpose %q; want INTERNAL SHARED_LOADBALANCER_VIP named *-edge-l4-int", name, typ, purpose)
				}
				if !preview && global != "true" {
					t.Errorf("internal proxy Service global access %q; want \"true\"", global)
				}
			} else {
				if typ != "EXTERNAL" || purpose != "" || !strings.HasSuffix(name, "-edge-l4") {
					t.Errorf("dev L4 address %s %s purpose %q; want EXTERNAL named *-edge-l4", name, typ, purpose)
				}
				if global != "" {
					t.Errorf("external proxy Service has the internal global-access annotation")
				}
			}

			var egNS *mockcloud.Resource
			for _, ns := range resourcesOf(r, "kubernetes:core/v1:Namespace") {
				if inspect.Str(ns.Inputs, "metadata", "name") == "envoy-gateway-system" {
					egNS = ns
				}
			}
			if egNS == nil || !r.Mocks.DependsOn(egNS, addr) {
				t.Errorf("%s: Envoy Gateway's namespace does not wait for the L4 address", stack)
			}

			if r.Platform.Edge.Issuer != "acme" {
				continue
			}
			grants := resourcesOf(r, "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember")
			if len(grants) != 1 {
				t.Fatalf("%s: %d Cloud DNS grants", stack, len(grants))
			}
			var cm *mockcloud.Resource
			for _, c := range resourcesOf(r, "kubernetes:helm.sh/v4:Chart") {
				if inspect.Str(c.Inputs, "chart") == "cert-manager" {
					cm = c
				}
			}
			if cm == nil || !r.Mocks.DependsOn(cm, grants[0]) {
				t.Errorf("%s: cert-manager's chart does not wait for its Cloud DNS grant", stack)
			}
			n := 0
			for _, res := range r.Resources {
				if !strings.HasPrefix(res.Type, "kubernetes:cert-manager.io/") {
					continue
				}
				n++
				if !r.Mocks.DependsOn(res, grants[0]) {
					t.Errorf("%s: %s %s does not wait for the Cloud DNS grant", stack, res.Type, res.Name)
				}
			}
			if n == 0 {
				t.Errorf("%s: no cert-manager Issuer or Certificate", stack)
			}
		}
	}
	// The same stack with public source ranges: the external address must not take the internal
	// one's name (nor the reverse), or the replacement would collide.
	r := plan(t, "prod", "gcp", false, `dataplatform:edge={"sourceRanges": ["203.0.113.0/24"]}`)
	for _, a := range resourcesOf(r, "gcp:compute/address:Address") {
		if a.Name == "edge-l4-ip" && (inspect.Str(a.Inputs, "addressType") != "EXTERNAL" || inspect.Str(a.Inputs, "name") == internalName) {
			t.Errorf("prod's public L4 address %s %s; want EXTERNAL under a name other than the internal %s", inspect.Str(a.Inputs, "name"), inspect.Str(a.Inputs, "addressType"), internalName)
		}
	}
}
