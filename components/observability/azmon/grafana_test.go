package azmon

import (
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	uaiType = "azure-native:managedidentity:UserAssignedIdentity"
	ficType = "azure-native:managedidentity:FederatedIdentityCredential"
	raType  = "azure-native:authorization:RoleAssignment"
	issuer  = "https://swedencentral.oic.prod-aks.azure.com/tenant/cluster/"
)

func identityArgs() *GrafanaIdentityArgs {
	return &GrafanaIdentityArgs{
		Name: "dp-prod-grafana", ResourceGroupName: pulumi.String("rg-dp-prod"), Location: "swedencentral",
		OIDCIssuerURL: pulumi.String(issuer), Namespace: "monitoring", ServiceAccount: "grafana",
	}
}

func runIdentity(preview bool, a *GrafanaIdentityArgs, scopes []ReaderScope) (*mockcloud.Mocks, error) {
	m := mockcloud.New("dataplatform", "prod", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String("swedencentral")})
		if err != nil {
			return err
		}
		g, err := NewGrafanaIdentity(ctx, "grafana-identity", a, pulumi.Provider(p))
		if err != nil {
			return err
		}
		_, err = g.GrantMonitoringReader(ctx, "grafana-reader", scopes)
		return err
	}, nil)
	return m, err
}

// TestGrafanaIdentity: an identity federated with monitoring/grafana's tokens from the cluster's
// issuer, granted Monitoring Reader on the server and the account and nowhere else.
func TestGrafanaIdentity(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := runIdentity(preview, identityArgs(), []ReaderScope{{Role: "metadata-db", ID: pulumi.String(serverID)}, {Role: "lake", ID: pulumi.String(accountID)}})
		inspect.RequireRan(t, preview, err)
		uai := inspect.MustNamed(t, m, uaiType, "grafana-identity")
		assert.Equal(t, "dp-prod-grafana", inspect.Str(uai.Inputs, "resourceName"))
		fic := inspect.One(t, m, ficType)
		assert.Equal(t, issuer, inspect.Str(fic.Inputs, "issuer"))
		assert.Equal(t, "system:serviceaccount:monitoring:grafana", inspect.Str(fic.Inputs, "subject"))
		assert.Equal(t, []string{"api://AzureADTokenExchange"}, inspect.Strs(fic.Inputs, "audiences"))
		assert.True(t, m.DependsOn(fic, uai))

		ras := m.ByType(raType)
		require.Len(t, ras, 2)
		scopes := map[string]bool{}
		for _, ra := range ras {
			assert.Equal(t, "ServicePrincipal", inspect.Str(ra.Inputs, "principalType"))
			assert.True(t, m.DependsOn(ra, uai), "the assignment names the identity's principal")
			if preview {
				continue
			}
			scope := inspect.Str(ra.Inputs, "scope")
			scopes[scope] = true
			assert.Equal(t, "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/"+MonitoringReaderRole,
				inspect.Str(ra.Inputs, "roleDefinitionId"))
			assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, inspect.Str(ra.Inputs, "roleAssignmentName"))
		}
		if !preview {
			assert.Equal(t, map[string]bool{serverID: true, accountID: true}, scopes, "the server and the account only")
		}
	})
}

// TestGrafanaIdentityValidation: bad names and scopes are refused before anything is registered.
func TestGrafanaIdentityValidation(t *testing.T) {
	for name, mutate := range map[string]func(*GrafanaIdentityArgs){
		"name":    func(a *GrafanaIdentityArgs) { a.Name = "x" },
		"issuer":  func(a *GrafanaIdentityArgs) { a.OIDCIssuerURL = nil },
		"account": func(a *GrafanaIdentityArgs) { a.ServiceAccount = "Grafana" },
	} {
		t.Run(name, func(t *testing.T) {
			a := identityArgs()
			mutate(a)
			m, err := runIdentity(false, a, nil)
			require.Error(t, err)
			assert.Empty(t, m.ByType(uaiType))
		})
	}
	m, err := runIdentity(false, identityArgs(), []ReaderScope{{Role: "lake", ID: pulumi.String(accountID)}, {Role: "lake", ID: pulumi.String(serverID)}})
	require.Error(t, err, "duplicate roles")
	assert.Empty(t, m.ByType(raType))
}
