package tests

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	azGateway   = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	azHTTPRoute = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
	azCert      = "kubernetes:cert-manager.io/v1:Certificate"
	azALB       = "kubernetes:alb.networking.azure.io/v1:ApplicationLoadBalancer"
	azRecord    = "azure-native:network:RecordSet"
	azSubnet    = "azure-native:network:Subnet"
	azRA        = "azure-native:authorization:RoleAssignment"
)

// eachAzurePlan plans the azure target of every stack, as an update and as a preview.
func eachAzurePlan(t *testing.T, f func(t *testing.T, stack string, preview bool, r *planner.Result)) {
	for _, stack := range Stacks {
		for _, preview := range []bool{false, true} {
			stack, preview := stack, preview
			t.Run(stack+"/"+mode(preview), func(t *testing.T) { f(t, stack, preview, plan(t, stack, "azure", preview)) })
		}
	}
}

// gatewaysByClass maps each Gateway's class to it.
func gatewaysByClass(t *testing.T, r *planner.Result) map[string]*mockcloud.Resource {
	out := map[string]*mockcloud.Resource{}
	for _, g := range resourcesOf(r, azGateway) {
		c := inspect.Str(g.Inputs, "spec", "gatewayClassName")
		if out[c] != nil {
			t.Errorf("two Gateways of class %s", c)
		}
		out[c] = g
	}
	return out
}

// listenerSummary is "<name> <protocol> <port>" per listener, sorted; every listener but :80
// terminates TLS with a certificate and, if HTTPS, names a host under the domain.
func listenerSummary(t *testing.T, gw *mockcloud.Resource, domain string) []string {
	var out []string
	for _, l := range inspect.Arr(inspect.At(gw.Inputs, "spec", "listeners")) {
		o := inspect.Obj(l)
		name, proto := inspect.Str(o, "name"), inspect.Str(o, "protocol")
		out = append(out, fmt.Sprintf("%s %s %d", name, proto, int(inspect.Num(o, "port"))))
		if proto == "HTTP" {
			continue
		}
		if inspect.Str(o, "tls", "mode") != "Terminate" || len(inspect.Arr(inspect.At(o, "tls", "certificateRefs"))) == 0 {
			t.Errorf("listener %s does not terminate TLS with a certificate", name)
		}
		if h := inspect.Str(o, "hostname"); proto == "HTTPS" && !strings.HasSuffix(h, "."+domain) {
			t.Errorf("listener %s hostname %q is not under %s", name, h, domain)
		}
	}
	sort.Strings(out)
	return out
}

// TestEdgeOnAzure: every azure plan has an edge. Open to everyone (dev, staging): Application Gateway
// for Containers serves Dremio's UI and Airbyte — the ALB Controller at its pinned chart with its own
// identity and roles, the delegated /24, the ApplicationLoadBalancer, a Gateway of class
// azure-alb-external with an HTTPS listener and certificate per host and :80 only redirecting,
// routes under the domain, and the engine admitting the AGC subnet — while Envoy Gateway serves
// Flight and JDBC on TLS listeners at dremio-data.<domain>, whose A record points at the static
// public IP. Internal-only (prod): no AGC; Envoy Gateway serves every route on a private address.
func TestEdgeOnAzure(t *testing.T) {
	eachAzurePlan(t, func(t *testing.T, stack string, preview bool, r *planner.Result) {
		domain := r.Platform.Domain
		internal := r.Platform.Edge.InternalOnly()
		gws := gatewaysByClass(t, r)
		eg := gws["dataplatform"]
		if eg == nil {
			t.Fatalf("no Envoy Gateway Gateway; classes %v", gws)
		}
		records := map[string]*mockcloud.Resource{}
		for _, rec := range resourcesOf(r, azRecord) {
			records[inspect.Str(rec.Inputs, "relativeRecordSetName")] = rec
			if inspect.Str(rec.Inputs, "recordType") != "A" || inspect.Str(rec.Inputs, "zoneName") != domain {
				t.Errorf("record %s: %s in %s; want A in %s", rec.Name, inspect.Str(rec.Inputs, "recordType"), inspect.Str(rec.Inputs, "zoneName"), domain)
			}
		}
		zones := resourcesOf(r, "azure-native:network:Zone")
		if len(zones) != 1 || inspect.Str(zones[0].Inputs, "zoneName") != domain {
			t.Errorf("%d DNS zones; want one named %s", len(zones), domain)
		}
		if stack == "prod" && len(zones) == 1 && !zones[0].Protect {
			t.Errorf("prod's DNS zone is not protected (a new zone means new name servers to delegate)")
		}

		// cert-manager's chart waits for its identity's zone grant (and the federation before it).
		if r.Platform.Edge.Issuer == "acme" {
			var cm, grant *mockcloud.Resource
			for _, c := range resourcesOf(r, "kubernetes:helm.sh/v4:Chart") {
				if inspect.Str(c.Inputs, "chart") == "cert-manager" {
					cm = c
				}
			}
			for _, ra := range resourcesOf(r, azRA) {
				if ra.Name == "edge-cert-manager-dns-zone-contributor" {
					grant = ra
				}
			}
			if cm == nil || grant == nil || !r.Mocks.DependsOn(cm, grant) {
				t.Errorf("cert-manager's chart does not wait for its DNS zone grant")
			}
		}

		if internal {
			if gws["azure-alb-external"] != nil || len(resourcesOf(r, azALB)) != 0 || len(resourcesOf(r, "dataplatform:edge:ALBController")) != 0 {
				t.Errorf("%s is internal-only but has Application Gateway for Containers", stack)
			}
			want := []string{"dremio-flight TLS 32010", "dremio-jdbc TLS 31010", "http HTTP 80", "https-airbyte HTTPS 443", "https-dremio HTTPS 443"}
			if r.Platform.Observability.On() { // Grafana's route (obsazure_test.go)
				want = append(want, "https-grafana HTTPS 443")
			}
			if got := listenerSummary(t, eg, domain); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("Envoy Gateway listeners %v; want %v", got, want)
			}
			for _, h := range []string{"dremio", "airbyte"} {
				rec := records[h]
				if rec == nil {
					t.Errorf("no A record for %s", h)
					continue
				}
				ip := inspect.Str(inspect.Obj(inspect.Arr(inspect.At(rec.Inputs, "aRecords"))[0]), "ipv4Address")
				if !strings.HasPrefix(ip, "10.") {
					t.Errorf("internal-only %s resolves to %q; want the internal load balancer's private address", h, ip)
				}
			}
			return
		}

		// Application Gateway for Containers.
		agc := gws["azure-alb-external"]
		if agc == nil {
			t.Fatalf("no Gateway of class azure-alb-external")
		}
		wantAGC := []string{"http HTTP 80", "https-airbyte HTTPS 443", "https-dremio HTTPS 443"}
		if r.Platform.Observability.On() { // Grafana's route (obsazure_test.go)
			wantAGC = append(wantAGC, "https-grafana HTTPS 443")
		}
		if got, want := listenerSummary(t, agc, domain), wantAGC; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("AGC listeners %v; want %v", got, want)
		}
		if inspect.Str(agc.Inputs, "metadata", "annotations", "alb.networking.azure.io/alb-name") == "" {
			t.Errorf("the AGC Gateway names no ApplicationLoadBalancer")
		}
		var subnet *mockcloud.Resource
		for _, s := range resourcesOf(r, azSubnet) {
			if inspect.Str(s.Inputs, "subnetName") == "agc" {
				subnet = s
			}
		}
		if subnet == nil {
			t.Fatalf("no AGC subnet")
		}
		cidr := inspect.Str(subnet.Inputs, "addressPrefix")
		if !strings.HasSuffix(cidr, "/24") || inspect.Str(inspect.Obj(inspect.Arr(inspect.At(subnet.Inputs, "delegations"))[0]), "serviceName") != "Microsoft.ServiceNetworking/trafficControllers" {
			t.Errorf("AGC subnet %s: want a /24 delegated to Microsoft.ServiceNetworking/trafficControllers", cidr)
		}
		albs := resourcesOf(r, azALB)
		if len(albs) != 1 {
			t.Fatalf("%d ApplicationLoadBalancers; want 1", len(albs))
		}
		if !preview && (strings.Join(inspect.Strs(albs[0].Inputs, "spec", "associations"), ",") != subnet.ID) {
			t.Errorf("ApplicationLoadBalancer associates %v; want the AGC subnet %s", inspect.Strs(albs[0].Inputs, "spec", "associations"), subnet.ID)
		}
		charts := map[string]string{}
		for _, c := range resourcesOf(r, "kubernetes:helm.sh/v4:Chart") {
			charts[inspect.Str(c.Inputs, "chart")] = inspect.Str(c.Inputs, "version")
			if inspect.Str(c.Inputs, "chart") == "external-dns" {
				if ra := r.Mocks.Named(azRA, "edge-external-dns-dns-zone-contributor"); ra == nil || !r.Mocks.DependsOn(c, ra) {
					t.Errorf("ExternalDNS's chart does not wait for its DNS zone grant")
				}
			}
		}
		if charts["oci://mcr.microsoft.com/application-lb/charts/alb-controller"] != "1.12.1" || charts["external-dns"] == "" || charts["cert-manager"] == "" {
			t.Errorf("charts %v; want the ALB Controller 1.12.1, ExternalDNS and cert-manager", charts)
		}
		// The ALB Controller's roles: Reader and AGC Configuration Manager on the node resource
		// group, Network Contributor on its subnet; each DNS writer: DNS Zone Contributor on the zone.
		roles := map[string]int{}
		for _, ra := range resourcesOf(r, azRA) {
			role := inspect.Str(ra.Inputs, "roleDefinitionId")
			if preview {
				continue
			}
			scope := inspect.Str(ra.Inputs, "scope")
			guid := role[strings.LastIndex(role, "/")+1:]
			if ra.Name == "edge-ip-rg-reader" || ra.Name == "edge-external-dns-rg-reader" {
				continue // the listing Readers on resource groups (TestAzureEdgeListingReaders)
			}
			if ra.Name == "pg-backup-probe-server-reader" {
				continue // the backup probe's Reader on the Flexible Server (TestAzureBackupProbe)
			}
			switch guid {
			case "acdd72a7-3385-48ef-bd42-f606fba81ae7", "fbc52c3f-28ad-4303-a892-8a056630b8f1":
				if !strings.Contains(scope, "/resourceGroups/MC_") {
					t.Errorf("ALB Controller role %s on %s; want the node resource group", guid, scope)
				}
			case "befefa01-2a29-4197-83a8-272ff33ce314":
				if len(zones) == 1 && scope != zones[0].ID {
					t.Errorf("DNS Zone Contributor on %s; want the zone %s only", scope, zones[0].ID)
				}
			}
			roles[guid]++
		}
		if !preview && (roles["acdd72a7-3385-48ef-bd42-f606fba81ae7"] != 1 || roles["fbc52c3f-28ad-4303-a892-8a056630b8f1"] != 1) {
			t.Errorf("role assignments %v; want one Reader and one AGC Configuration Manager", roles)
		}
		if want := 1; r.Platform.Edge.Issuer == "acme" {
			want = 2
			if !preview && roles["befefa01-2a29-4197-83a8-272ff33ce314"] != want {
				t.Errorf("%d DNS Zone Contributor assignments; want cert-manager's and ExternalDNS's", roles["befefa01-2a29-4197-83a8-272ff33ce314"])
			}
		}
		certs := map[string]bool{}
		for _, c := range resourcesOf(r, azCert) {
			for _, n := range inspect.Strs(c.Inputs, "spec", "dnsNames") {
				certs[n] = true
			}
		}
		for _, h := range []string{"dremio", "airbyte", "dremio-data"} {
			if !certs[h+"."+domain] {
				t.Errorf("no certificate for %s.%s", h, domain)
			}
		}
		routes := map[string]*mockcloud.Resource{}
		for _, rt := range resourcesOf(r, azHTTPRoute) {
			routes[rt.Name] = rt
		}
		for _, n := range []string{"agc-route-dremio-ui", "agc-route-airbyte", "agc-https-redirect"} {
			rt := routes[n]
			if rt == nil {
				t.Errorf("no HTTPRoute %s", n)
				continue
			}
			p := inspect.Obj(inspect.Arr(inspect.At(rt.Inputs, "spec", "parentRefs"))[0])
			if inspect.Str(p, "name") != "dataplatform-agc" {
				t.Errorf("%s attaches to %q; want the AGC Gateway", n, inspect.Str(p, "name"))
			}
			for _, h := range inspect.Strs(rt.Inputs, "spec", "hostnames") {
				if !strings.HasSuffix(h, "."+domain) {
					t.Errorf("%s host %s is not under %s", n, h, domain)
				}
			}
		}
		// Envoy Gateway: Flight and JDBC only, on TLS listeners, at dremio-data.<domain>.
		if got, want := listenerSummary(t, eg, domain), []string{"dremio-flight TLS 32010", "dremio-jdbc TLS 31010"}; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("Envoy Gateway listeners %v; want Flight and JDBC", got)
		}
		if records["dremio-data"] == nil || records["dremio"] != nil || records["airbyte"] != nil {
			t.Errorf("A records %v; want dremio-data only (ExternalDNS writes the AGC hosts)", keys(records))
		}
		// The engine admits the AGC subnet on Dremio's routed ports.
		admitted := false
		for _, np := range resourcesOf(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy") {
			if inspect.Str(np.Inputs, "metadata", "name") != "dremio-client-ingress" {
				continue
			}
			for _, from := range inspect.Arr(inspect.At(np.Inputs, "spec", "ingress", 0, "from")) {
				if inspect.Str(inspect.Obj(from), "ipBlock", "cidr") == cidr {
					admitted = true
				}
			}
		}
		if !admitted {
			t.Errorf("Dremio does not admit the AGC subnet %s", cidr)
		}
	})
}

func keys(m map[string]*mockcloud.Resource) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// envoyService is the Service spec Envoy Gateway's proxies get (EnvoyProxy
// spec.provider.kubernetes.envoyService).
func envoyService(t *testing.T, r *planner.Result) map[string]any {
	ps := resourcesOf(r, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
	if len(ps) != 1 {
		t.Fatalf("%d EnvoyProxies; want 1", len(ps))
	}
	m, _ := inspect.Plain(inspect.At(ps[0].Inputs, "spec", "provider", "kubernetes", "envoyService")).(map[string]any)
	return m
}

// TestEdgeOnAzureLoadBalancer: Envoy Gateway's load balancer is internal at the node subnet's last
// usable address when every source range is private (prod), and on the static public IP otherwise —
// the IP named in the Service's annotations, the cluster identity allowed to join it (Network
// Contributor on the IP alone), the cloud's NSG told the IPv4 ranges. With public ranges narrower
// than everyone, AGC (which cannot filter clients outside its preview WAF) is not used: Envoy Gateway
// serves the web UIs too.
func TestEdgeOnAzureLoadBalancer(t *testing.T) {
	for _, preview := range []bool{false, true} {
		t.Run("internal/"+mode(preview), func(t *testing.T) {
			r := plan(t, "prod", "azure", preview)
			ann, _ := envoyService(t, r)["annotations"].(map[string]any)
			if ann["service.beta.kubernetes.io/azure-load-balancer-internal"] != "true" {
				t.Errorf("prod's load balancer annotations %v; want internal", ann)
			}
			ip, _ := ann["service.beta.kubernetes.io/azure-load-balancer-ipv4"].(string)
			if ip != "10.40.127.254" && !strings.HasSuffix(ip, ".254") {
				t.Errorf("internal address %q; want the node subnet's last usable address", ip)
			}
			if len(resourcesOf(r, "azure-native:network:PublicIPAddress")) != 1 {
				t.Errorf("prod has an edge public IP; only the NAT gateway's is expected")
			}
		})
		t.Run("restricted/"+mode(preview), func(t *testing.T) {
			r := plan(t, "staging", "azure", preview, `dataplatform:edge={"sourceRanges": ["203.0.113.0/24"]}`)
			if len(resourcesOf(r, azALB)) != 0 || len(resourcesOf(r, "dataplatform:edge:ALBController")) != 0 {
				t.Errorf("AGC is used with restricted source ranges")
			}
			gws := gatewaysByClass(t, r)
			want := []string{"dremio-flight TLS 32010", "dremio-jdbc TLS 31010", "http HTTP 80", "https-airbyte HTTPS 443", "https-dremio HTTPS 443"}
			if r.Platform.Observability.On() { // Grafana's route (obsazure_test.go)
				want = append(want, "https-grafana HTTPS 443")
			}
			if got := listenerSummary(t, gws["dataplatform"], r.Platform.Domain); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("Envoy Gateway listeners %v; want %v", got, want)
			}
			svc := envoyService(t, r)
			ann, _ := svc["annotations"].(map[string]any)
			var pip *mockcloud.Resource
			for _, p := range resourcesOf(r, "azure-native:network:PublicIPAddress") {
				if p.Name == "edge-ip" {
					pip = p
				}
			}
			if pip == nil {
				t.Fatalf("no edge public IP")
			}
			if inspect.Str(pip.Inputs, "sku", "name") != "Standard" || inspect.Str(pip.Inputs, "publicIPAllocationMethod") != "Static" {
				t.Errorf("edge IP sku %q allocation %q; want Standard, Static", inspect.Str(pip.Inputs, "sku", "name"), inspect.Str(pip.Inputs, "publicIPAllocationMethod"))
			}
			if !preview {
				if ann["service.beta.kubernetes.io/azure-pip-name"] != inspect.Str(pip.Inputs, "publicIpAddressName") || ann["service.beta.kubernetes.io/azure-load-balancer-resource-group"] != inspect.Str(pip.Inputs, "resourceGroupName") {
					t.Errorf("annotations %v do not name the edge IP %s", ann, pip.ID)
				}
				found := false
				for _, ra := range resourcesOf(r, azRA) {
					if inspect.Str(ra.Inputs, "scope") == pip.ID && strings.HasSuffix(inspect.Str(ra.Inputs, "roleDefinitionId"), "/4d97b98b-1d4f-4787-a291-c67834d212e7") {
						found = true
					}
				}
				if !found {
					t.Errorf("the cluster identity cannot join the edge IP")
				}
				if ra := r.Mocks.Named(azRA, "edge-ip-network-contributor"); ra == nil || !r.Mocks.DependsOn(gws["dataplatform"], ra) {
					t.Errorf("Envoy Gateway's Gateway (and so its Service) does not wait for the IP grant")
				}
				// The mock allocates no address, so the records' link to the IP is their dependency.
				recs := map[string]bool{}
				for _, rec := range resourcesOf(r, azRecord) {
					if r.Mocks.DependsOn(rec, pip) {
						recs[inspect.Str(rec.Inputs, "relativeRecordSetName")] = true
					}
				}
				// Grafana's too when observability is on (its default on azure: obsazure_test.go).
				want := 2
				if r.Platform.Observability.On() {
					want = 3
				}
				if !recs["dremio"] || !recs["airbyte"] || (want == 3 && !recs["grafana"]) || len(recs) != want {
					t.Errorf("A records at the edge IP %v; want dremio and airbyte (and grafana with observability)", recs)
				}
			}
			if got := svc["loadBalancerSourceRanges"]; got == nil {
				t.Errorf("the load balancer's NSG is not told the source ranges")
			}
		})
	}
}
