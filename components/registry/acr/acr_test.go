package acr

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	regType  = "azure-native:containerregistry:Registry"
	roleType = "azure-native:authorization:RoleAssignment"
	peType   = "azure-native:network:PrivateEndpoint"
	zgType   = "azure-native:network:PrivateDnsZoneGroup"

	netPrefix       = "/subscriptions/" + mockcloud.AzureSubscriptionID + "/resourceGroups/dp-prod/providers/Microsoft.Network"
	endpointsSubnet = netPrefix + "/virtualNetworks/network-vnet/subnets/endpoints"
	acrZone         = netPrefix + "/privateDnsZones/privatelink.azurecr.io"
)

func args(prod, public bool) *RegistryArgs {
	return &RegistryArgs{
		ResourceGroupName: pulumi.String("dp-prod"), Location: "swedencentral", RegistryName: "dpprodacr",
		KubeletObjectID: pulumi.String("aaaaaaaa-0000-4000-8000-000000000001"), PublicNetworkAccess: public, Prod: prod,
		EndpointsSubnetID: pulumi.String(endpointsSubnet), PrivateDNSZoneID: pulumi.String(acrZone),
	}
}

func run(t *testing.T, preview bool, a *RegistryArgs) (*mockcloud.Mocks, *Registry, error) {
	m := mockcloud.New("dataplatform", "prod", preview)
	var r *Registry
	err := m.Run(func(ctx *pulumi.Context) error {
		var err error
		r, err = NewRegistry(ctx, "registry", a)
		return err
	}, nil)
	return m, r, err
}

func TestRegistry(t *testing.T) {
	for _, tc := range []struct {
		prod, public bool
		sku, zone    string
	}{{true, false, "Premium", "Enabled"}, {false, true, "Standard", "Disabled"}, {false, false, "Premium", "Disabled"}} {
		for _, preview := range []bool{false, true} {
			t.Run(fmt.Sprintf("prod=%v,public=%v,preview=%v", tc.prod, tc.public, preview), func(t *testing.T) {
				m, r, err := run(t, preview, args(tc.prod, tc.public))
				require.NoError(t, err)
				reg := m.Named(regType, "registry-registry")
				require.NotNil(t, reg)
				in := reg.Inputs
				assert.Equal(t, tc.sku, in["sku"].ObjectValue()["name"].StringValue())
				assert.Equal(t, tc.zone, in["zoneRedundancy"].StringValue())
				assert.False(t, in["adminUserEnabled"].BoolValue())
				assert.Equal(t, map[bool]string{true: "Enabled", false: "Disabled"}[tc.public], in["publicNetworkAccess"].StringValue())
				ra := m.Named(roleType, "registry-acrpull")
				require.NotNil(t, ra)
				assert.Equal(t, "aaaaaaaa-0000-4000-8000-000000000001", ra.Inputs["principalId"].StringValue())
				assert.Equal(t, "ServicePrincipal", ra.Inputs["principalType"].StringValue())
				assert.True(t, m.DependsOn(ra, reg))
				if !preview {
					assert.Equal(t, reg.ID, ra.Inputs["scope"].StringValue())
					assert.Equal(t, "/subscriptions/"+mockcloud.AzureSubscriptionID+"/providers/Microsoft.Authorization/roleDefinitions/"+AcrPullRoleID, ra.Inputs["roleDefinitionId"].StringValue())
					res := inspect.Await(t, r.RepositoryURL)
					assert.Equal(t, "dpprodacr.azurecr.io/dbt", res.Value)
				}
			})
		}
	}
}

func TestValidation(t *testing.T) {
	for name, mutate := range map[string]func(a *RegistryArgs){
		"short name":  func(a *RegistryArgs) { a.RegistryName = "acr" },
		"dash name":   func(a *RegistryArgs) { a.RegistryName = "dp-prod-acr" },
		"no kubelet":  func(a *RegistryArgs) { a.KubeletObjectID = nil },
		"no rg":       func(a *RegistryArgs) { a.ResourceGroupName = nil },
		"no location": func(a *RegistryArgs) { a.Location = "" },
		"bad repo":    func(a *RegistryArgs) { a.RepositoryName = "DBT" },
		"no subnet":   func(a *RegistryArgs) { a.EndpointsSubnetID = nil },
		"no zone":     func(a *RegistryArgs) { a.PrivateDNSZoneID = nil },
	} {
		a := args(true, false)
		mutate(a)
		m, _, err := run(t, false, a)
		assert.Error(t, err, name)
		assert.Empty(t, m.ByType(RegistryType), name)
	}
}

// A registry without public access gets a private endpoint for its "registry" sub-resource, with
// its records in privatelink.azurecr.io, and hands its URL out only once they exist; a public one
// has none. Only the registry is protected.
func TestPrivateEndpointAndProtect(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		a := args(true, false)
		a.Protect = true
		m, r, err := run(t, preview, a)
		require.NoError(t, err)
		reg := inspect.MustNamed(t, m, regType, "registry-registry")
		pe := inspect.MustNamed(t, m, peType, "registry-pe")
		zg := inspect.MustNamed(t, m, zgType, "registry-pe-dns")
		conn := inspect.RequireAt(t, pe.Inputs, "privateLinkServiceConnections").ArrayValue()[0].ObjectValue()
		assert.Equal(t, []string{"registry"}, inspect.RequireStrs(t, conn, "groupIds"))
		assert.True(t, inspect.DependsOnInput(pe, "privateLinkServiceConnections", reg))
		assert.Equal(t, endpointsSubnet, inspect.RequireStr(t, pe.Inputs, "subnet", "id"))
		cfg := inspect.RequireAt(t, zg.Inputs, "privateDnsZoneConfigs").ArrayValue()[0].ObjectValue()
		assert.Equal(t, acrZone, inspect.RequireStr(t, cfg, "privateDnsZoneId"))
		assert.True(t, m.DependsOn(zg, pe))
		res := inspect.Await(t, r.RepositoryURL)
		var deps []string
		for _, d := range res.Dependencies {
			deps = append(deps, fmt.Sprint(inspect.Await(t, d.URN()).Value))
		}
		assert.Contains(t, deps, zg.URN, "the repository URL waits for the endpoint's DNS records")
		var protected []string
		for _, x := range m.Resources() {
			if x.Protect {
				protected = append(protected, x.Type)
			}
		}
		assert.Equal(t, []string{regType}, protected)

		m2, _, err := run(t, preview, args(false, true))
		require.NoError(t, err)
		assert.Empty(t, m2.ByType(peType))
	})
}
