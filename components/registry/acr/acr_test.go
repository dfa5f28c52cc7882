package acr

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/tests/harness"
	"github.com/opendataplatform/dataplatform/tests/harness/inspect"
)

const (
	regType  = "azure-native:containerregistry:Registry"
	roleType = "azure-native:authorization:RoleAssignment"
)

func args(prod, public bool) *RegistryArgs {
	return &RegistryArgs{
		ResourceGroupName: pulumi.String("dp-prod"), Location: "swedencentral", RegistryName: "dpprodacr",
		KubeletObjectID: pulumi.String("aaaaaaaa-0000-4000-8000-000000000001"), PublicNetworkAccess: public, Prod: prod,
	}
}

func run(t *testing.T, preview bool, a *RegistryArgs) (*harness.Mocks, *Registry, error) {
	m := harness.New("dataplatform", "prod", preview)
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
					assert.Equal(t, "/subscriptions/"+harness.AzureSubscriptionID+"/providers/Microsoft.Authorization/roleDefinitions/"+AcrPullRoleID, ra.Inputs["roleDefinitionId"].StringValue())
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
	} {
		a := args(true, false)
		mutate(a)
		m, _, err := run(t, false, a)
		assert.Error(t, err, name)
		assert.Empty(t, m.ByType(RegistryType), name)
	}
}
