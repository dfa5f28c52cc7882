package aks

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/keyvault/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/internal/azurerbac"
)

// kms is the Key Vault, key and permission behind the cluster's KMS encryption of Secrets.
type kms struct {
	keyID   pulumi.StringOutput
	vaultID pulumi.StringOutput
	role    *authorization.RoleAssignment
}

// Key Vault soft-delete retention: the longest window in prod, the shortest elsewhere (the name of a
// deleted vault stays taken for that long; see docs/runbook-azure.md).
const (
	prodSoftDeleteDays = 90
	softDeleteDays     = 7
)

// newKMS creates the vault (Azure RBAC authorisation, soft delete, purge protection when asked), an
// RSA 2048 key, and "Key Vault Crypto User" on the vault for the control-plane identity.
//
// The vault allows public network access without a firewall: AKS KMS with a private vault needs API
// Server VNet Integration (not in containerservice 2024-09-01), and AKS does not support a public
// vault behind a firewall limited to networks or IPs (learn.microsoft.com/azure/aks/use-kms-etcd-encryption,
// "Limitations"). Every data-plane call still needs an Entra token with a Key Vault data role, which
// only the control-plane identity holds.
func newKMS(ctx *pulumi.Context, name, base string, args *ClusterArgs, identity *managedidentity.UserAssignedIdentity,
	roleID func(string) pulumi.StringOutput, parent pulumi.ResourceOrInvokeOption, stateful, disposable pulumi.ResourceOption) (*kms, error) {
	props := &keyvault.VaultPropertiesArgs{
		TenantId:                  authorization.GetClientConfigOutput(ctx, parent).TenantId(),
		Sku:                       &keyvault.SkuArgs{Family: pulumi.String("A"), Name: keyvault.SkuNameStandard},
		EnableRbacAuthorization:   pulumi.Bool(true),
		EnableSoftDelete:          pulumi.Bool(true),
		SoftDeleteRetentionInDays: pulumi.Int(softDeleteDays),
		PublicNetworkAccess:       pulumi.String("Enabled"),
		NetworkAcls: &keyvault.NetworkRuleSetArgs{
			DefaultAction: pulumi.String("Allow"),
			Bypass:        pulumi.String("AzureServices"),
		},
		EnabledForDeployment:         pulumi.Bool(false),
		EnabledForDiskEncryption:     pulumi.Bool(false),
		EnabledForTemplateDeployment: pulumi.Bool(false),
	}
	if args.KeyVaultPurgeProtection {
		// keyvault v2.90.0 VaultPropertiesArgs: "Enabling this functionality is irreversible - the
		// property does not accept false", so it is left unset outside prod.
		props.EnablePurgeProtection = pulumi.Bool(true)
		props.SoftDeleteRetentionInDays = pulumi.Int(prodSoftDeleteDays)
	}
	vault, err := keyvault.NewVault(ctx, name+"-kms-vault", &keyvault.VaultArgs{
		VaultName:         pulumi.String(args.KeyVaultName),
		ResourceGroupName: args.ResourceGroupName,
		Location:          pulumi.String(args.Location),
		Properties:        props,
		Tags:              pulumi.ToStringMap(args.Tags),
	}, parent, stateful)
	if err != nil {
		return nil, err
	}
	// Created through ARM (Microsoft.KeyVault/vaults/keys/write, a management-plane action): the
	// deployer needs no data-plane role on the vault.
	key, err := keyvault.NewKey(ctx, name+"-kms-key", &keyvault.KeyArgs{
		KeyName:           pulumi.String(base + "-etcd"),
		VaultName:         vault.Name,
		ResourceGroupName: args.ResourceGroupName,
		Properties: &keyvault.KeyPropertiesArgs{
			Kty:     pulumi.String("RSA"),
			KeySize: pulumi.Int(2048),
			KeyOps:  pulumi.ToStringArray([]string{"encrypt", "decrypt", "wrapKey", "unwrapKey"}),
		},
		Tags: pulumi.ToStringMap(args.Tags),
	}, parent, stateful)
	if err != nil {
		return nil, err
	}
	vaultID := vault.ID().ToStringOutput()
	cryptoUser := roleID(KeyVaultCryptoUserRole)
	role, err := authorization.NewRoleAssignment(ctx, name+"-kms-crypto-user", &authorization.RoleAssignmentArgs{
		RoleAssignmentName: azurerbac.AssignmentName(vaultID, identity.PrincipalId, cryptoUser),
		PrincipalId:        identity.PrincipalId,
		PrincipalType:      pulumi.String("ServicePrincipal"),
		RoleDefinitionId:   cryptoUser,
		Scope:              vaultID,
	}, parent, disposable)
	if err != nil {
		return nil, err
	}
	// keyvault v2.90.0 key.go: keyUriWithVersion is the versioned identifier AKS requires. Rotating
	// the key in Key Vault creates a new version; `pulumi up --refresh` then hands it to AKS.
	return &kms{keyID: key.KeyUriWithVersion, vaultID: vaultID, role: role}, nil
}

// newAdmins grants "Azure Kubernetes Service RBAC Cluster Admin" to every principal in Admins and to
// the deployer, at the resource group's scope (it holds this stack's cluster only).
//
// Each assignment's name is derived from the scope, the principal and the role, so it never changes
// for a listed admin. The deployer's own assignment exists so that the first `pulumi up` can create
// the namespaces; it follows whoever runs `up`: when CI takes over, the person's assignment is
// replaced by CI's (nothing here is protected). List CI's principal and the operators' group in
// Admins and the deployer's extra assignment disappears. A deployer already in Admins gets no second
// assignment: Azure refuses a duplicate (same principal, role and scope) under another name.
func newAdmins(ctx *pulumi.Context, name string, args *ClusterArgs, role pulumi.StringOutput,
	parent pulumi.ResourceOrInvokeOption, disposable pulumi.ResourceOption) ([]*authorization.RoleAssignment, error) {
	client, err := authorization.GetClientConfig(ctx, parent)
	if err != nil {
		return nil, fmt.Errorf("aks %q: getClientConfig: %w", name, err)
	}
	scope := args.ResourceGroupID.ToStringOutput()
	principals := map[string]string{}
	var order []string
	for _, id := range args.Admins {
		logical := name + "-admin-" + strings.ToLower(id)
		principals[logical] = id
		order = append(order, logical)
	}
	deployer := client.ObjectId
	listed := false
	for _, id := range args.Admins {
		listed = listed || strings.EqualFold(id, deployer)
	}
	if deployer != "" && !listed {
		principals[name+"-deployer-cluster-admin"] = deployer
		order = append(order, name+"-deployer-cluster-admin")
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("aks %q: nobody would administer the cluster: Admins is empty and the deploying identity has no object ID; list Entra object IDs in Admins", name)
	}
	var out []*authorization.RoleAssignment
	for _, logical := range order {
		principal := pulumi.String(principals[logical]).ToStringOutput()
		ra, err := authorization.NewRoleAssignment(ctx, logical, &authorization.RoleAssignmentArgs{
			RoleAssignmentName: azurerbac.AssignmentName(scope, principal, role),
			PrincipalId:        principal,
			RoleDefinitionId:   role,
			Scope:              scope,
		}, parent, disposable)
		if err != nil {
			return nil, err
		}
		out = append(out, ra)
	}
	return out, nil
}

// authorizedRanges are the user's ranges plus the nodes' egress address as a /32.
func authorizedRanges(ranges []string, egress pulumi.StringInput) pulumi.StringArrayOutput {
	return egress.ToStringOutput().ApplyT(func(ip string) ([]string, error) {
		out := append([]string{}, ranges...)
		// A Standard, Static public IP has its address from creation on (network v2.90.0
		// publicIPAddress.go ipAddress); only an offline plan's mocks report none.
		if ip != "" {
			out = append(out, ip+"/32")
		}
		return out, nil
	}).(pulumi.StringArrayOutput)
}

// serverFqdn asks for the public FQDN in a private cluster's kubeconfig (the private address
// published in public DNS), which resolves from peered and VPN networks as well as the VNet.
// containerservice v20240901 listManagedClusterUserCredentials.go: serverFqdn.
func serverFqdn(private bool) pulumi.StringPtrInput {
	if !private {
		return nil
	}
	return pulumi.String("public")
}

func resourcesOf(ras []*authorization.RoleAssignment) []pulumi.Resource {
	out := make([]pulumi.Resource, len(ras))
	for i, r := range ras {
		out[i] = r
	}
	return out
}
