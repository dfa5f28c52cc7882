package gcpvpc

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tNetwork   = "gcp:compute/network:Network"
	tSubnet    = "gcp:compute/subnetwork:Subnetwork"
	tRouter    = "gcp:compute/router:Router"
	tNat       = "gcp:compute/routerNat:RouterNat"
	tFirewall  = "gcp:compute/firewall:Firewall"
	tAddress   = "gcp:compute/globalAddress:GlobalAddress"
	tPSA       = "gcp:servicenetworking/connection:Connection"
	tProvider  = "pulumi:providers:gcp"
	testRegion = "europe-north1"
)

func prodArgs() *NetworkArgs {
	return &NetworkArgs{
		Project:     "acme-data-prod",
		Region:      testRegion,
		CIDR:        "10.40.0.0/16",
		PodCIDR:     "10.64.0.0/14",
		ServiceCIDR: "172.20.0.0/16",
		MasterCIDR:  "172.16.0.0/28",
		Labels:      map[string]string{"environment": "prod", "managed-by": "pulumi"},
	}
}

// run builds the network under the harness and returns the recorder and the component.
func run(t *testing.T, preview bool, args *NetworkArgs) (*mockcloud.Mocks, *Network, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	var net *Network
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := gcp.NewProvider(ctx, "gcp", &gcp.ProviderArgs{Project: pulumi.String("acme-data-prod"), Region: pulumi.String(testRegion)})
		if err != nil {
			return err
		}
		net, err = NewNetwork(ctx, "net", args, pulumi.Provider(p))
		return err
	}, nil)
	return m, net, err
}

func TestNetworkResources(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, net, err := run(t, preview, prodArgs())
		require.NoError(t, err)

		comp := inspect.One(t, m, NetworkType)
		assert.Equal(t, "net", comp.Name)
		assert.Equal(t, "10.40.0.0/16", inspect.Str(comp.Inputs, "cidr"), "the component records its inputs (V2)")
		assert.EqualValues(t, 16, comp.Inputs["privateServiceAccessPrefixLength"].NumberValue(), "prefix length defaults to 16")
		provider := inspect.One(t, m, tProvider)

		// Every child is parented to the component, named after it, and uses the explicit provider.
		children := m.Children(comp.URN)
		require.Len(t, children, 9)
		for _, c := range children {
			assert.True(t, strings.HasPrefix(c.Name, "net-"), "child %s is named after the component", c.Name)
			assert.True(t, strings.HasPrefix(c.Provider, provider.URN+"::"), "child %s inherits the gcp provider", c.Name)
			if n := inspect.Str(c.Inputs, "name"); n != "" {
				assert.LessOrEqual(t, len(n), 63)
				assert.Equal(t, strings.ToLower(n), n)
			}
			if _, hasProject := c.Inputs["project"]; hasProject {
				assert.Equal(t, "acme-data-prod", inspect.Str(c.Inputs, "project"), "%s is pinned to the project", c.Name)
			}
		}

		vpc := inspect.One(t, m, tNetwork)
		assert.Equal(t, comp.URN, vpc.Parent)
		assert.False(t, vpc.Inputs["autoCreateSubnetworks"].BoolValue(), "custom-mode VPC")
		assert.Equal(t, "REGIONAL", inspect.Str(vpc.Inputs, "routingMode"))
		assert.Equal(t, "net", inspect.Str(vpc.Inputs, "name"))

		subnet := inspect.One(t, m, tSubnet)
		assert.Equal(t, "10.40.0.0/16", inspect.Str(subnet.Inputs, "ipCidrRange"))
		assert.Equal(t, testRegion, inspect.Str(subnet.Inputs, "region"))
		assert.True(t, subnet.Inputs["privateIpGoogleAccess"].BoolValue(), "private nodes reach Google APIs")
		assert.True(t, inspect.DependsOnInput(subnet, "network", vpc))
		ranges := map[string]string{}
		for _, r := range subnet.Inputs["secondaryIpRanges"].ArrayValue() {
			o := r.ObjectValue()
			ranges[inspect.Str(o, "rangeName")] = inspect.Str(o, "ipCidrRange")
		}
		assert.Equal(t, map[string]string{"pods": "10.64.0.0/14", "services": "172.20.0.0/16"}, ranges)
		_, hasLog := subnet.Inputs["logConfig"]
		assert.False(t, hasLog, "no flow logs unless asked")

		router := inspect.One(t, m, tRouter)
		assert.Equal(t, testRegion, inspect.Str(router.Inputs, "region"))
		assert.True(t, inspect.DependsOnInput(router, "network", vpc))
		nat := inspect.One(t, m, tNat)
		assert.Equal(t, "AUTO_ONLY", inspect.Str(nat.Inputs, "natIpAllocateOption"))
		assert.Equal(t, "ALL_SUBNETWORKS_ALL_IP_RANGES", inspect.Str(nat.Inputs, "sourceSubnetworkIpRangesToNat"))
		natLog := nat.Inputs["logConfig"].ObjectValue()
		assert.True(t, natLog["enable"].BoolValue())
		assert.Equal(t, "ERRORS_ONLY", inspect.Str(natLog, "filter"))
		assert.True(t, inspect.DependsOnInput(nat, "router", router), "NAT is attached to the router")

		fw := map[string]*mockcloud.Resource{}
		for _, r := range m.ByType(tFirewall) {
			fw[r.Name] = r
			assert.True(t, inspect.DependsOnInput(r, "network", vpc))
			assert.Equal(t, "INGRESS", inspect.Str(r.Inputs, "direction"))
		}
		require.Len(t, fw, 3)
		internal := fw["net-allow-internal"]
		require.NotNil(t, internal)
		assert.ElementsMatch(t, []string{"10.40.0.0/16", "10.64.0.0/14"}, inspect.StringsOf(internal.Inputs["sourceRanges"]))
		var protocols []string
		for _, a := range internal.Inputs["allows"].ArrayValue() {
			protocols = append(protocols, inspect.Str(a.ObjectValue(), "protocol"))
		}
		assert.ElementsMatch(t, []string{"tcp", "udp", "icmp"}, protocols)

		master := fw["net-allow-master-webhooks"]
		require.NotNil(t, master)
		assert.Equal(t, []string{"172.16.0.0/28"}, inspect.StringsOf(master.Inputs["sourceRanges"]))
		allows := master.Inputs["allows"].ArrayValue()
		require.Len(t, allows, 1)
		assert.Equal(t, "tcp", inspect.Str(allows[0].ObjectValue(), "protocol"))
		assert.ElementsMatch(t, []string{"443", "8443", "9443", "10250"}, inspect.StringsOf(allows[0].ObjectValue()["ports"]))

		deny := fw["net-deny-all-ingress"]
		require.NotNil(t, deny)
		assert.EqualValues(t, 65534, deny.Inputs["priority"].NumberValue(), "below every allow rule, above the implied deny")
		assert.Equal(t, []string{"0.0.0.0/0"}, inspect.StringsOf(deny.Inputs["sourceRanges"]))
		denies := deny.Inputs["denies"].ArrayValue()
		require.Len(t, denies, 1)
		assert.Equal(t, "all", inspect.Str(denies[0].ObjectValue(), "protocol"))
		assert.Equal(t, "INCLUDE_ALL_METADATA", inspect.Str(deny.Inputs["logConfig"].ObjectValue(), "metadata"), "drops are logged")
		_, allowsToo := deny.Inputs["allows"]
		assert.False(t, allowsToo)

		addr := inspect.One(t, m, tAddress)
		assert.Equal(t, "VPC_PEERING", inspect.Str(addr.Inputs, "purpose"))
		assert.Equal(t, "INTERNAL", inspect.Str(addr.Inputs, "addressType"))
		assert.EqualValues(t, 16, addr.Inputs["prefixLength"].NumberValue())
		assert.True(t, inspect.DependsOnInput(addr, "network", vpc))
		assert.Equal(t, "prod", inspect.Str(addr.Inputs["labels"].ObjectValue(), "environment"))

		psa := inspect.One(t, m, tPSA)
		assert.Equal(t, "servicenetworking.googleapis.com", inspect.Str(psa.Inputs, "service"))
		assert.True(t, inspect.DependsOnInput(psa, "reservedPeeringRanges", addr), "the connection uses the reserved range")
		assert.True(t, inspect.DependsOnInput(psa, "network", vpc))
		assert.Equal(t, "ABANDON", inspect.Str(psa.Inputs, "deletionPolicy"))

		// The zones invoke went through the component's provider.
		var zoneCalls int
		for _, inv := range m.Invokes() {
			if inv.Token == "gcp:compute/getZones:getZones" {
				zoneCalls++
				assert.Equal(t, testRegion, inspect.Str(inv.Args, "region"))
			}
		}
		assert.Equal(t, 1, zoneCalls)

		// Outputs.
		assert.Equal(t, "pods", net.PodRangeName)
		assert.Equal(t, "services", net.ServiceRangeName)
		assert.Equal(t, "gcp", net.Info.Cloud)
		assert.Equal(t, testRegion, net.Info.Region)
		assert.Equal(t, "10.40.0.0/16", net.Info.CIDR)
		zones := inspect.Await(t, net.Info.Zones)
		require.True(t, zones.Known, "zones come from an invoke, known in preview too")
		assert.Equal(t, []string{"europe-north1-a", "europe-north1-b", "europe-north1-c"}, zones.Value)
		dbSubnets := inspect.Await(t, net.Info.DatabaseSubnetIDs)
		assert.True(t, dbSubnets.Known)
		assert.Empty(t, dbSubnets.Value, "Cloud SQL uses private service access, not a subnet")

		selfLink := inspect.Await(t, net.SubnetSelfLink)
		subnetID := inspect.Await(t, net.SubnetID)
		privateSubnets := inspect.Await(t, net.Info.PrivateSubnetIDs)
		psaID := inspect.Await(t, net.PrivateServiceAccessConnectionID)
		routerName := inspect.Await(t, net.RouterName)
		netName := inspect.Await(t, net.NetworkName)
		assert.True(t, routerName.Known, "the router name is an input")
		assert.Equal(t, "net-router", routerName.Value)
		assert.Equal(t, "net", netName.Value)
		if preview {
			assert.False(t, subnetID.Known, "IDs are unknown in preview")
			assert.False(t, psaID.Known)
			assert.False(t, privateSubnets.Known)
			return
		}
		assert.Contains(t, selfLink.Value, "/regions/europe-north1/subnetworks/net-nodes")
		assert.Contains(t, inspect.Await(t, net.NetworkSelfLink).Value, "/global/networks/net")
		assert.Equal(t, subnet.ID, subnetID.Value)
		assert.Equal(t, []string{subnet.ID}, privateSubnets.Value)
		assert.Equal(t, psa.ID, psaID.Value)
		assert.NotEmpty(t, psaID.Value)
		assert.Equal(t, vpc.ID, inspect.Await(t, net.NetworkID).Value)
		assert.Equal(t, "servicenetworking-googleapis-com", inspect.Str(psa.Outputs, "peering"))
	})
}

func TestNetworkFlowLogsAndPrefix(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := prodArgs()
		args.FlowLogs = true
		args.PrivateServiceAccessPrefixLength = 20
		m, _, err := run(t, preview, args)
		require.NoError(t, err)

		log := inspect.One(t, m, tSubnet).Inputs["logConfig"]
		require.True(t, log.IsObject(), "flow logs configured")
		assert.Equal(t, "INTERVAL_5_SEC", inspect.Str(log.ObjectValue(), "aggregationInterval"))
		assert.Equal(t, 0.5, log.ObjectValue()["flowSampling"].NumberValue())
		assert.EqualValues(t, 20, inspect.One(t, m, tAddress).Inputs["prefixLength"].NumberValue())
	})
}

func TestPinnedPrivateServiceAccessRange(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := prodArgs()
		args.PrivateServiceAccessCIDR = "10.96.0.0/16"
		m, _, err := run(t, preview, args)
		require.NoError(t, err)
		addr := inspect.One(t, m, tAddress).Inputs
		assert.Equal(t, "10.96.0.0", addr["address"].StringValue())
		assert.EqualValues(t, 16, addr["prefixLength"].NumberValue())
	})
	args := prodArgs()
	args.PrivateServiceAccessCIDR = "10.96.0.0/28"
	_, _, err := run(t, false, args)
	require.ErrorContains(t, err, "PrivateServiceAccessCIDR")
}

func TestNetworkValidation(t *testing.T) {
	mut := func(f func(a *NetworkArgs)) *NetworkArgs { a := prodArgs(); f(a); return a }
	cases := []struct {
		name string
		args *NetworkArgs
		want []string
	}{
		{"nil args", nil, []string{"args are nil"}},
		{"bad project", mut(func(a *NetworkArgs) { a.Project = "Acme_Prod" }), []string{"Project", `"Acme_Prod"`}},
		{"empty project", mut(func(a *NetworkArgs) { a.Project = "" }), []string{"Project", `""`}},
		{"bad region", mut(func(a *NetworkArgs) { a.Region = "europe-north1-a" }), []string{"Region", "europe-north1-a", "region"}},
		{"bad cidr", mut(func(a *NetworkArgs) { a.CIDR = "10.40.0.0" }), []string{"CIDR", "10.40.0.0", "IPv4 CIDR"}},
		{"host bits", mut(func(a *NetworkArgs) { a.PodCIDR = "10.64.0.1/14" }), []string{"PodCIDR", "host bits", "10.64.0.0/14"}},
		{"ipv6", mut(func(a *NetworkArgs) { a.ServiceCIDR = "fd00::/64" }), []string{"ServiceCIDR", "IPv6"}},
		{"overlap", mut(func(a *NetworkArgs) { a.PodCIDR = "10.40.128.0/17" }), []string{"PodCIDR", "overlaps", "CIDR"}},
		{"master overlap", mut(func(a *NetworkArgs) { a.MasterCIDR = "172.20.0.0/28" }), []string{"MasterCIDR", "overlaps", "ServiceCIDR"}},
		{"master size", mut(func(a *NetworkArgs) { a.MasterCIDR = "172.16.0.0/24" }), []string{"MasterCIDR", "/28"}},
		{"missing master", mut(func(a *NetworkArgs) { a.MasterCIDR = "" }), []string{"MasterCIDR"}},
		{"psa prefix", mut(func(a *NetworkArgs) { a.PrivateServiceAccessPrefixLength = 28 }), []string{"PrivateServiceAccessPrefixLength", "28", "between 8 and 24"}},
		{"label key", mut(func(a *NetworkArgs) { a.Labels = map[string]string{"Team": "data"} }), []string{"Labels", "Team"}},
		{"label value", mut(func(a *NetworkArgs) { a.Labels = map[string]string{"team": "Data Eng"} }), []string{"Labels", "Data Eng"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, net, err := run(t, false, c.args)
			require.Error(t, err)
			assert.Nil(t, net)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, r := range m.Resources() {
				assert.Contains(t, []string{string(resource.RootStackType), tProvider}, r.Type, "nothing registered after a validation error, got %s", r.URN)
			}
		})
	}
}

func TestNetworkEmptyName(t *testing.T) {
	m := mockcloud.New("dataplatform", "prod", false)
	err := m.Run(func(ctx *pulumi.Context) error {
		_, err := NewNetwork(ctx, "", prodArgs())
		return err
	}, nil)
	require.ErrorContains(t, err, "name is empty")
	assert.Len(t, m.Resources(), 1)
}
