package azurekv

import (
	"strings"
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	tVault     = "azure-native:keyvault:Vault"
	tSecret    = "azure-native:keyvault:Secret"
	tUAI       = "azure-native:managedidentity:UserAssignedIdentity"
	tFIC       = "azure-native:managedidentity:FederatedIdentityCredential"
	tRA        = "azure-native:authorization:RoleAssignment"
	tPE        = "azure-native:network:PrivateEndpoint"
	tZone      = "azure-native:network:PrivateZone"
	tLink      = "azure-native:network:VirtualNetworkLink"
	tZoneGroup = "azure-native:network:PrivateDnsZoneGroup"
	tSA        = "kubernetes:core/v1:ServiceAccount"
	tRole      = "kubernetes:rbac.authorization.k8s.io/v1:Role"
	tBinding   = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
	tCSS       = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
	tOp        = "kubernetes:core/v1:Namespace"
	rg         = "/subscriptions/" + mockcloud.AzureSubscriptionID + "/resourceGroups/rg-dataplatform-dev"
	vnetID     = rg + "/providers/Microsoft.Network/virtualNetworks/dataplatform-dev"
	subnetID   = vnetID + "/subnets/endpoints"
	issuer     = "https://swedencentral.oic.prod-aks.azure.com/tenant/issuer/"
)

func args(prod bool) *StoreArgs {
	return &StoreArgs{
		ResourceGroupName: pulumi.String("rg-dataplatform-dev"), Location: "swedencentral", VaultName: "sec-dataplat-dev-abc123",
		VnetID: pulumi.String(vnetID), EndpointsSubnetID: pulumi.String(subnetID), OIDCIssuerURL: pulumi.String(issuer),
		Namespaces: []string{"dataplatform-apps"}, Prod: prod, Tags: map[string]string{"stack": "dev"},
	}
}

// settings are what the store asked of the installer in the last run.
var settings secrets.OperatorSettings

func run(t *testing.T, preview bool, a *StoreArgs) (*mockcloud.Mocks, *Store, secrets.RemoteRef, error) {
	m := mockcloud.New("dataplatform", "dev", preview)
	var (
		out *Store
		ref secrets.RemoteRef
	)
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String("swedencentral")})
		if err != nil {
			return err
		}
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		if a != nil {
			a.KubernetesProvider = k
		}
		install := func(s secrets.OperatorSettings) (pulumi.Resource, error) {
			settings = s
			return corev1.NewNamespace(ctx, "operator", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(secrets.OperatorNamespace)}},
				pulumi.Provider(k), pulumi.DependsOn(s.DependsOn))
		}
		out, err = NewStore(ctx, "secret-store", a, install, pulumi.Provider(p))
		if err != nil {
			return err
		}
		ref, err = out.Store.Writer.Put(ctx, "airbyte-db", "metadata-db-airbyte", pulumi.StringMap{
			"password": pulumi.ToSecret(pulumi.String("pw")).(pulumi.StringOutput),
		})
		return err
	}, nil)
	return m, out, ref, err
}

// TestStore: a private RBAC vault with soft delete, reachable through its endpoint in the VNet; the
// operator's federated identity reads this vault only, and exists before the operator; the
// ClusterSecretStore authenticates as the reader ServiceAccount.
func TestStore(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, s, ref, err := run(t, preview, args(false))
		inspect.RequireRan(t, preview, err)
		assert.Equal(t, []secrets.Egress{{CIDR: "0.0.0.0/0", TCPPorts: []int{443}}}, settings.Egress)
		assert.Nil(t, settings.ServiceAccountAnnotations, "the controller's own ServiceAccount holds no Azure identity")
		assert.Empty(t, settings.PodLabels)

		vault := inspect.One(t, m, tVault)
		p := inspect.Obj(inspect.At(vault.Inputs, "properties"))
		assert.Equal(t, "sec-dataplat-dev-abc123", inspect.Str(vault.Inputs, "vaultName"))
		assert.True(t, inspect.RequireBool(t, p, "enableRbacAuthorization"))
		assert.True(t, inspect.RequireBool(t, p, "enableSoftDelete"))
		assert.Equal(t, 7.0, inspect.Num(p, "softDeleteRetentionInDays"))
		assert.False(t, inspect.Has(p, "enablePurgeProtection"), "purge protection is irreversible: prod only")
		assert.Equal(t, "Disabled", inspect.Str(p, "publicNetworkAccess"))
		assert.Equal(t, "Deny", inspect.Str(p, "networkAcls", "defaultAction"))
		assert.Equal(t, "None", inspect.Str(p, "networkAcls", "bypass"))
		assert.Equal(t, mockcloud.AzureTenantID, inspect.Str(p, "tenantId"))

		pe := inspect.One(t, m, tPE)
		assert.Equal(t, subnetID, inspect.Str(pe.Inputs, "subnet", "id"))
		conn := inspect.Obj(inspect.Arr(pe.Inputs["privateLinkServiceConnections"])[0])
		assert.Equal(t, []string{"vault"}, inspect.Strs(conn, "groupIds"))
		zone := inspect.One(t, m, tZone)
		assert.Equal(t, "privatelink.vaultcore.azure.net", inspect.Str(zone.Inputs, "privateZoneName"))
		link := inspect.One(t, m, tLink)
		assert.Equal(t, vnetID, inspect.Str(link.Inputs, "virtualNetwork", "id"))
		zg := inspect.One(t, m, tZoneGroup)
		assert.True(t, m.DependsOn(zg, pe) && m.DependsOn(zg, zone) && m.DependsOn(zg, link), "the endpoint's record resolves in the VNet")
		if !preview {
			assert.Equal(t, vault.ID, inspect.Str(conn, "privateLinkServiceId"))
		}

		fic := inspect.One(t, m, tFIC)
		assert.Equal(t, "system:serviceaccount:external-secrets:external-secrets-azurekv", inspect.Str(fic.Inputs, "subject"))
		assert.Equal(t, []string{"api://AzureADTokenExchange"}, inspect.Strs(fic.Inputs, "audiences"))
		assert.Equal(t, issuer, inspect.Str(fic.Inputs, "issuer"))
		ra := inspect.One(t, m, tRA)
		assert.True(t, strings.HasSuffix(inspect.Str(ra.Inputs, "roleDefinitionId"), "/roleDefinitions/"+SecretsUserRole) || preview)
		assert.Equal(t, "ServicePrincipal", inspect.Str(ra.Inputs, "principalType"))
		if !preview {
			assert.Equal(t, vault.ID, inspect.Str(ra.Inputs, "scope"), "the vault only")
			assert.Equal(t, inspect.Str(inspect.One(t, m, tUAI).Outputs, "principalId"), inspect.Str(ra.Inputs, "principalId"))
		}
		op := inspect.MustNamed(t, m, tOp, "operator")
		for _, r := range []*mockcloud.Resource{fic, ra, zg} {
			assert.True(t, m.DependsOn(op, r), "the operator starts with its identity and the vault's endpoint in place: %s", r.Type)
		}

		sa := inspect.One(t, m, tSA)
		assert.Equal(t, ReaderServiceAccount, inspect.Str(sa.Inputs, "metadata", "name"))
		assert.Equal(t, secrets.OperatorNamespace, inspect.Str(sa.Inputs, "metadata", "namespace"))
		assert.True(t, inspect.HasKey(sa.Inputs, "metadata", "annotations", ClientIDAnnotation))
		assert.False(t, inspect.HasKey(sa.Inputs, "metadata", "annotations", "azure.workload.identity/tenant-id"), "the store's tenantId and this annotation together are refused")
		if !preview {
			assert.Equal(t, inspect.Str(inspect.One(t, m, tUAI).Outputs, "clientId"), inspect.Str(sa.Inputs, "metadata", "annotations", ClientIDAnnotation))
		}
		role := inspect.One(t, m, tRole)
		rule := inspect.Obj(inspect.Arr(role.Inputs["rules"])[0])
		assert.Equal(t, []string{"serviceaccounts/token"}, inspect.Strs(rule, "resources"))
		assert.Equal(t, []string{ReaderServiceAccount}, inspect.Strs(rule, "resourceNames"))
		assert.Equal(t, []string{"create"}, inspect.Strs(rule, "verbs"))
		binding := inspect.One(t, m, tBinding)
		subj := inspect.Obj(inspect.Arr(binding.Inputs["subjects"])[0])
		assert.Equal(t, secrets.OperatorServiceAccount, inspect.Str(subj, "name"))

		css := inspect.MustNamed(t, m, tCSS, "secret-store-cluster-store")
		for _, r := range []*mockcloud.Resource{op, sa, binding} {
			assert.True(t, m.DependsOn(css, r), r.Type)
		}
		kv := inspect.Obj(inspect.At(css.Inputs, "spec", "provider", "azurekv"))
		assert.Equal(t, "WorkloadIdentity", inspect.Str(kv, "authType"))
		assert.Equal(t, mockcloud.AzureTenantID, inspect.Str(kv, "tenantId"))
		assert.Equal(t, map[string]any{"name": ReaderServiceAccount, "namespace": secrets.OperatorNamespace}, inspect.Plain(kv["serviceAccountRef"]))
		if !preview {
			assert.Equal(t, "https://sec-dataplat-dev-abc123.vault.azure.net/", inspect.Str(kv, "vaultUrl"))
			assert.Equal(t, "https://sec-dataplat-dev-abc123.vault.azure.net/", inspect.Await(t, s.VaultURI).Value)
		}
		assert.Equal(t, []string{"dataplatform-apps"}, inspect.Strs(inspect.Obj(inspect.Arr(inspect.At(css.Inputs, "spec", "conditions"))[0]), "namespaces"))

		sec := inspect.MustNamed(t, m, tSecret, "airbyte-db")
		assert.Equal(t, "metadata-db-airbyte", inspect.Str(sec.Inputs, "secretName"))
		assert.True(t, sec.Inputs["properties"].ObjectValue()["value"].IsSecret(), "the value is a Pulumi secret")
		assert.Equal(t, "application/json", inspect.Str(sec.Inputs, "properties", "contentType"))
		assert.True(t, sec.RetainOnDelete, "deleting is a data-plane call the private vault refuses from outside the VNet")
		assert.False(t, sec.Protect)
		assert.Equal(t, sec.URN, string(inspect.Await(t, ref.Resource.URN()).Value.(pulumi.URN)))
		if !preview {
			assert.JSONEq(t, `{"password":"pw"}`, inspect.Str(sec.Inputs, "properties", "value"))
			assert.Equal(t, "sec-dataplat-dev-abc123", inspect.Str(sec.Inputs, "vaultName"))
		}
		assert.Empty(t, inspect.Protected(m))
	})
}

// TestProd: purge protection, the longest soft-delete window, and the vault protected.
func TestProd(t *testing.T) {
	m, _, _, err := run(t, false, args(true))
	require.NoError(t, err)
	p := inspect.Obj(inspect.At(inspect.One(t, m, tVault).Inputs, "properties"))
	assert.True(t, inspect.RequireBool(t, p, "enablePurgeProtection"))
	assert.Equal(t, 90.0, inspect.Num(p, "softDeleteRetentionInDays"))
	assert.Equal(t, []string{tVault}, inspect.ProtectedTypes(m))
}

func TestValidation(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*StoreArgs)
		want   string
	}{
		{func(a *StoreArgs) { a.VaultName = "1abc" }, `VaultName = "1abc"`},
		{func(a *StoreArgs) { a.VaultName = "a--b" }, `VaultName = "a--b"`},
		{func(a *StoreArgs) { a.VaultName = strings.Repeat("a", 25) }, "VaultName"},
		{func(a *StoreArgs) { a.Location = "Sweden Central" }, `Location = "Sweden Central"`},
		{func(a *StoreArgs) { a.EndpointsSubnetID = nil }, "private endpoint"},
		{func(a *StoreArgs) { a.OIDCIssuerURL = nil }, "OIDCIssuerURL"},
	} {
		a := args(false)
		tc.mutate(a)
		m, _, _, err := run(t, false, a)
		assert.ErrorContains(t, err, tc.want)
		assert.Empty(t, m.ByType(StoreType))
	}
}
