package azurewi

import (
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestNew: the identity is named as asked, and its one federated credential trusts exactly the
// ServiceAccount's tokens from the cluster's issuer, with the audience the webhook projects.
func TestNew(t *testing.T) {
	const issuer = "https://swedencentral.oic.prod-aks.azure.com/tenant/cluster/"
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "dev", preview)
		err := m.Run(func(ctx *pulumi.Context) error {
			p, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String("swedencentral")})
			if err != nil {
				return err
			}
			_, _, err = New(ctx, "probe-identity", "probe-federation", Args{
				IdentityName: "dp-dev-probe", FederationName: "kubernetes-apps-probe",
				ResourceGroupName: pulumi.String("rg-dp-dev"), Location: "swedencentral",
				Tags: pulumi.StringMap{"stack": pulumi.String("dev")}, Issuer: pulumi.String(issuer),
				Namespace: "apps", ServiceAccount: "probe",
			}, pulumi.Provider(p))
			return err
		}, nil)
		inspect.RequireRan(t, preview, err)
		uai := inspect.MustNamed(t, m, "azure-native:managedidentity:UserAssignedIdentity", "probe-identity")
		assert.Equal(t, "dp-dev-probe", inspect.Str(uai.Inputs, "resourceName"))
		assert.Equal(t, "rg-dp-dev", inspect.Str(uai.Inputs, "resourceGroupName"))
		assert.Equal(t, "dev", inspect.Str(uai.Inputs, "tags", "stack"))
		fic := inspect.MustNamed(t, m, "azure-native:managedidentity:FederatedIdentityCredential", "probe-federation")
		assert.Equal(t, "kubernetes-apps-probe", inspect.Str(fic.Inputs, "federatedIdentityCredentialResourceName"))
		assert.Equal(t, issuer, inspect.Str(fic.Inputs, "issuer"))
		assert.Equal(t, "system:serviceaccount:apps:probe", inspect.Str(fic.Inputs, "subject"))
		assert.Equal(t, []string{"api://AzureADTokenExchange"}, inspect.Strs(fic.Inputs, "audiences"))
		assert.True(t, m.DependsOn(fic, uai), "the federation names the identity")
	})
}
