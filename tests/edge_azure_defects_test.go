package tests

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// aksEdgeRule is the aks NSG's allow-edge-in rule as "<sources> <ports>", "" when there is none.
func aksEdgeRule(t *testing.T, r *planner.Result) string {
	t.Helper()
	for _, n := range resourcesOf(r, "azure-native:network:NetworkSecurityGroup") {
		if !strings.HasSuffix(inspect.Str(n.Inputs, "networkSecurityGroupName"), "-nsg-aks") {
			continue
		}
		for _, v := range inspect.Arr(inspect.At(n.Inputs, "securityRules")) {
			o := inspect.Obj(v)
			if inspect.Str(o, "name") != "allow-edge-in" {
				continue
			}
			src := inspect.Str(o, "sourceAddressPrefix")
			if src == "" {
				src = strings.Join(inspect.Strs(o, "sourceAddressPrefixes"), ",")
			}
			return src + " " + strings.Join(inspect.Strs(o, "destinationPortRanges"), ",") + " " + inspect.Str(o, "protocol")
		}
	}
	return ""
}

// TestAzureEdgeNSG: Envoy Gateway's public load balancer keeps the client's address, so the aks
// subnet's NSG lets the edge's IPv4 ranges in on the ports Envoy listens on (below its
// deny-internet rule); an internal edge (prod) needs no such rule.
func TestAzureEdgeNSG(t *testing.T) {
	for _, preview := range []bool{false, true} {
		cases := []struct {
			stack string
			cfg   []string
			want  string
		}{
			{"staging", nil, "Internet 31010,32010 Tcp"},
			{"staging", []string{`dataplatform:edge={"sourceRanges": ["203.0.113.0/24", "2001:db8::/32"]}`}, "203.0.113.0/24 80,443,31010,32010 Tcp"},
			{"prod", nil, ""},
		}
		for _, c := range cases {
			t.Run(c.stack+"/"+c.want+"/"+mode(preview), func(t *testing.T) {
				r := plan(t, c.stack, "azure", preview, c.cfg...)
				if got := aksEdgeRule(t, r); got != c.want {
					t.Errorf("aks NSG edge rule %q; want %q", got, c.want)
				}
			})
		}
	}
}

const readerRole = "/acdd72a7-3385-48ef-bd42-f606fba81ae7"

// networkRG is the platform's resource group.
func networkRG(t *testing.T, r *planner.Result) *mockcloud.Resource {
	t.Helper()
	rgs := resourcesOf(r, "azure-native:resources:ResourceGroup")
	for _, rg := range rgs {
		if strings.HasPrefix(inspect.Str(rg.Inputs, "resourceGroupName"), "rg-") {
			return rg
		}
	}
	t.Fatalf("no platform resource group among %d", len(rgs))
	return nil
}

// TestAzureEdgeListingReaders: cloud-provider-azure lists the public IPs of the IP's resource group
// and ExternalDNS the zones of the zone's resource group, so each identity holds Reader on that group
// (besides its write role on the one resource), and what uses the identity waits for it.
func TestAzureEdgeListingReaders(t *testing.T) {
	for _, preview := range []bool{false, true} {
		t.Run(mode(preview), func(t *testing.T) {
			r := plan(t, "staging", "azure", preview)
			ipReader := r.Mocks.Named(azRA, "edge-ip-rg-reader")
			dnsReader := r.Mocks.Named(azRA, "edge-external-dns-rg-reader")
			if ipReader == nil || dnsReader == nil {
				t.Fatalf("listing Readers: IP group %v, zone group %v", ipReader != nil, dnsReader != nil)
			}
			if gw := gatewaysByClass(t, r)["dataplatform"]; gw == nil || !r.Mocks.DependsOn(gw, ipReader) {
				t.Errorf("Envoy Gateway's Gateway does not wait for the IP group's Reader")
			}
			for _, c := range resourcesOf(r, "kubernetes:helm.sh/v4:Chart") {
				if inspect.Str(c.Inputs, "chart") == "external-dns" && !r.Mocks.DependsOn(c, dnsReader) {
					t.Errorf("ExternalDNS's chart does not wait for the zone group's Reader")
				}
			}
			if preview {
				return
			}
			rg := networkRG(t, r)
			contributor := r.Mocks.Named(azRA, "edge-ip-network-contributor")
			zoneWriter := r.Mocks.Named(azRA, "edge-external-dns-dns-zone-contributor")
			for _, c := range []struct {
				ra, peer *mockcloud.Resource
			}{{ipReader, contributor}, {dnsReader, zoneWriter}} {
				if got := inspect.Str(c.ra.Inputs, "scope"); got != rg.ID {
					t.Errorf("%s on %s; want the resource group %s", c.ra.Name, got, rg.ID)
				}
				if !strings.HasSuffix(inspect.Str(c.ra.Inputs, "roleDefinitionId"), readerRole) {
					t.Errorf("%s role %s; want Reader", c.ra.Name, inspect.Str(c.ra.Inputs, "roleDefinitionId"))
				}
				if c.peer == nil || inspect.Str(c.ra.Inputs, "principalId") != inspect.Str(c.peer.Inputs, "principalId") {
					t.Errorf("%s is not for the identity of %v", c.ra.Name, c.peer)
				}
			}
		})
	}
}

// TestAzureEdgeForeignParentZone: edge.dnsZone a parent zone in another subscription. ExternalDNS
// filters on the zone's name too (or its Azure provider drops the zone), reads the zone's group, and
// the A record sets are written through a provider for the zone's subscription.
func TestAzureEdgeForeignParentZone(t *testing.T) {
	const sub = "11111111-2222-4333-8444-555555555555"
	zoneID := "/subscriptions/" + sub + "/resourceGroups/dns-rg/providers/Microsoft.Network/dnszones/data.example.com"
	for _, preview := range []bool{false, true} {
		t.Run(mode(preview), func(t *testing.T) {
			r := plan(t, "staging", "azure", preview, `dataplatform:edge={"dnsZone": "`+zoneID+`"}`)
			if r.Platform.Domain != "staging.data.example.com" {
				t.Fatalf("staging's domain is %s; the test needs a parent zone of it", r.Platform.Domain)
			}
			for _, c := range resourcesOf(r, "kubernetes:helm.sh/v4:Chart") {
				if inspect.Str(c.Inputs, "chart") != "external-dns" {
					continue
				}
				if got := strings.Join(inspect.Strs(c.Inputs, "values", "domainFilters"), ","); got != "staging.data.example.com,data.example.com" {
					t.Errorf("ExternalDNS domainFilters %s; want the domain and the zone", got)
				}
			}
			var foreign *mockcloud.Resource
			for _, p := range resourcesOf(r, "pulumi:providers:azure-native") {
				if inspect.Str(p.Inputs, "subscriptionId") == sub {
					foreign = p
				}
			}
			if foreign == nil {
				t.Fatalf("no azure-native provider for the zone's subscription %s", sub)
			}
			recs := resourcesOf(r, azRecord)
			if len(recs) == 0 {
				t.Fatalf("no record sets")
			}
			for _, rec := range recs {
				if !strings.HasPrefix(rec.Provider, foreign.URN+"::") {
					t.Errorf("record %s uses provider %s; want the zone subscription's", rec.Name, rec.Provider)
				}
				if inspect.Str(rec.Inputs, "zoneName") != "data.example.com" || inspect.Str(rec.Inputs, "relativeRecordSetName") != "dremio-data.staging" {
					t.Errorf("record %s: %s in %s", rec.Name, inspect.Str(rec.Inputs, "relativeRecordSetName"), inspect.Str(rec.Inputs, "zoneName"))
				}
			}
			if ra := r.Mocks.Named(azRA, "edge-external-dns-rg-reader"); !preview && (ra == nil || inspect.Str(ra.Inputs, "scope") != "/subscriptions/"+sub+"/resourceGroups/dns-rg") {
				t.Errorf("ExternalDNS's Reader is not on the zone's resource group")
			}
		})
	}
	// A zone in the deployment's own subscription needs no second provider.
	r := plan(t, "staging", "azure", false, `dataplatform:edge={"dnsZone": "/subscriptions/`+mockcloud.AzureSubscriptionID+`/resourceGroups/dns-rg/providers/Microsoft.Network/dnszones/data.example.com"}`)
	if n := len(resourcesOf(r, "pulumi:providers:azure-native")); n != 1 {
		t.Errorf("%d azure-native providers for a zone in the same subscription; want 1", n)
	}
}

// TestAzureEdgeDestroyOrder: a destroy deletes dependents first. The Envoy public IP and its grants
// depend on the cluster (its load balancer frontend holds the IP), and the cluster on the AGC subnet
// (AGC's association holds the subnet), so neither is deleted while in use.
func TestAzureEdgeDestroyOrder(t *testing.T) {
	for _, preview := range []bool{false, true} {
		t.Run(mode(preview), func(t *testing.T) {
			r := plan(t, "staging", "azure", preview)
			mcs := resourcesOf(r, "azure-native:containerservice/v20240901:ManagedCluster")
			if len(mcs) != 1 {
				t.Fatalf("%d managed clusters", len(mcs))
			}
			mc := mcs[0]
			pip := r.Mocks.Named("azure-native:network:PublicIPAddress", "edge-ip")
			if pip == nil {
				t.Fatalf("no edge public IP")
			}
			for _, n := range []string{"edge-ip-network-contributor", "edge-ip-rg-reader"} {
				if ra := r.Mocks.Named(azRA, n); ra == nil || !r.Mocks.DependsOn(ra, mc) {
					t.Errorf("%s does not depend on the cluster", n)
				}
			}
			if !r.Mocks.DependsOn(pip, mc) {
				t.Errorf("the edge public IP does not depend on the cluster")
			}
			var agcSubnet *mockcloud.Resource
			for _, s := range resourcesOf(r, azSubnet) {
				if inspect.Str(s.Inputs, "subnetName") == "agc" {
					agcSubnet = s
				}
			}
			if agcSubnet == nil || !r.Mocks.DependsOn(mc, agcSubnet) {
				t.Errorf("the cluster does not depend on the AGC subnet")
			}
		})
	}
}
