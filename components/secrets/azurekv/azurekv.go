// Package azurekv is the platform's secret store on Azure: a Key Vault of its own, reachable only
// through a private endpoint in the VNet, read by the External Secrets Operator under workload
// identity (package secrets is the contract).
//
// The operator reads the vault as a ServiceAccount of its own, "external-secrets-azurekv" in the
// operator's namespace, federated with a user-assigned identity that holds "Key Vault Secrets User"
// on this vault only. The ClusterSecretStore names that ServiceAccount (serviceAccountRef), so the
// controller requests a token for it at each authentication: the controller's own ServiceAccount
// holds no Azure rights, and its chart needs no workload-identity label or annotation
// (external-secrets@v2.9.0 docs/provider/azure-key-vault.md, Workload Identity: "Referenced
// Service Account … This is usually the recommended approach").
package azurekv

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/keyvault/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/internal/azurerbac"
	"github.com/opendataplatform/dataplatform/components/internal/azurewi"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/components/secrets/internal/cloudstore"
)

// StoreType is the component's type token.
const StoreType = "dataplatform:azure:SecretStore"

const (
	// ClusterStoreName is the ClusterSecretStore the platform's ExternalSecrets reference.
	ClusterStoreName = "azure-key-vault"
	// ReaderServiceAccount is the ServiceAccount, in secrets.OperatorNamespace, whose federated
	// identity reads the vault.
	ReaderServiceAccount = "external-secrets-azurekv"
	// SecretsUserRole is "Key Vault Secrets User" ("Read secret contents", Azure built-in roles,
	// Security: 4633458b-17de-408a-b874-0445c86b69e6).
	SecretsUserRole = "4633458b-17de-408a-b874-0445c86b69e6"
	// PrivateDNSZone resolves Key Vault private endpoints (Azure Private Endpoint DNS zone values,
	// "Key Vault: Microsoft.KeyVault/vaults, subresource vault: privatelink.vaultcore.azure.net").
	PrivateDNSZone = "privatelink.vaultcore.azure.net"
	// ClientIDAnnotation tells ESO which identity a referenced ServiceAccount federates with
	// (external-secrets@v2.9.0 providers/v1/azure/keyvault/keyvault.go AnnotationClientID).
	ClientIDAnnotation = "azure.workload.identity/client-id"
	// TokenAudience is the audience ESO requests for the ServiceAccount token and Entra ID expects
	// on a federated credential (keyvault.go AzureDefaultAudience).
	TokenAudience = azurewi.TokenAudience
	// Soft-delete retention: the longest window in prod, the shortest elsewhere (a deleted vault's
	// name stays taken that long; keyvault@v2.90.0 VaultPropertiesArgs: "between 7 and 90").
	prodSoftDeleteDays = 90
	softDeleteDays     = 7
)

// Egress is what the controller reaches over HTTPS: Entra ID's token endpoint
// (login.microsoftonline.com, public) and the vault's private endpoint in the VNet. The controller
// itself needs no workload-identity label or annotation: it authenticates as ReaderServiceAccount.
var Egress = []secrets.Egress{{CIDR: cloudstore.Anywhere, TCPPorts: []int{443}}}

// StoreArgs configures the store.
type StoreArgs struct {
	// ResourceGroupName and Location: where the vault, identity and endpoint live.
	ResourceGroupName pulumi.StringInput
	Location          string
	// VaultName is globally unique (3-24 letters, digits and single hyphens, starting with a letter).
	VaultName string
	// VnetID is the VNet the private DNS zone is linked to; EndpointsSubnetID holds the endpoint.
	VnetID            pulumi.StringInput
	EndpointsSubnetID pulumi.StringInput
	// OIDCIssuerURL is the AKS ServiceAccount token issuer the identity federates with.
	OIDCIssuerURL pulumi.StringInput
	// Namespaces may reference the ClusterSecretStore (the platform's namespaces); empty: all.
	Namespaces []string
	// KubernetesProvider reaches the cluster.
	KubernetesProvider *kubernetes.Provider
	// Prod turns on purge protection (irreversible) and the 90-day soft-delete window, and protects
	// the vault.
	Prod bool
	// Tags are added to every Azure resource.
	Tags map[string]string
}

// Store is the component.
type Store struct {
	pulumi.ResourceState
	// VaultID and VaultURI are the vault's ARM ID and data-plane URI.
	VaultID  pulumi.StringOutput
	VaultURI pulumi.StringOutput
	// ClientID is the operator's identity.
	ClientID pulumi.StringOutput
	// Store is the contract the workloads use.
	Store *secrets.Store

	args  *StoreArgs
	vault *keyvault.Vault
}

var (
	locationRE  = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	vaultNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$`)
)

func (a *StoreArgs) validate() error {
	fail := func(format string, v ...any) error { return fmt.Errorf("azurekv: "+format, v...) }
	switch {
	case a == nil:
		return fail("args is nil; pass an *StoreArgs")
	case !locationRE.MatchString(a.Location):
		return fail("Location = %q; must be an Azure location such as swedencentral", a.Location)
	case !vaultNameRE.MatchString(a.VaultName) || strings.Contains(a.VaultName, "--"):
		return fail("VaultName = %q; allowed 3-24 letters, digits and single hyphens, starting with a letter and ending with a letter or digit", a.VaultName)
	case a.ResourceGroupName == nil:
		return fail("ResourceGroupName is nil")
	case a.VnetID == nil || a.EndpointsSubnetID == nil:
		return fail("VnetID and EndpointsSubnetID are required: the vault is reachable only through its private endpoint")
	case a.OIDCIssuerURL == nil:
		return fail("OIDCIssuerURL is nil; pass the AKS cluster's OIDC issuer URL")
	case a.KubernetesProvider == nil:
		return fail("KubernetesProvider is nil; pass the cluster's provider")
	}
	return cloudstore.CheckNamespaces("azurekv", a.Namespaces)
}

// Subject is the token subject AKS issues for the reader ServiceAccount.
func Subject() string {
	return azurewi.Subject(secrets.OperatorNamespace, ReaderServiceAccount)
}

// NewStore creates the vault and its private endpoint, the operator's identity, installs the
// operator, then the reader ServiceAccount and the ClusterSecretStore.
func NewStore(ctx *pulumi.Context, name string, args *StoreArgs, install cloudstore.Installer, opts ...pulumi.ResourceOption) (*Store, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &Store{args: args}
	if err := ctx.RegisterComponentResourceV2(StoreType, name, pulumi.Map{
		"location": pulumi.String(args.Location), "vaultName": pulumi.String(args.VaultName),
		"prod": pulumi.Bool(args.Prod), "namespaces": pulumi.ToStringArray(args.Namespaces),
	}, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	stateful := pulumi.Composite(parent, pulumi.Protect(args.Prod))
	disposable := pulumi.Composite(parent, pulumi.Protect(false))
	client, err := authorization.GetClientConfig(ctx, parent)
	if err != nil {
		return nil, fmt.Errorf("azurekv: getClientConfig: %w", err)
	}
	labels := pulumi.ToStringMap(args.Tags)

	if err := comp.newVault(ctx, name, client.TenantId, stateful, disposable); err != nil {
		return nil, err
	}
	endpoint, err := comp.newPrivateEndpoint(ctx, name, disposable)
	if err != nil {
		return nil, err
	}

	uai, fic, err := azurewi.New(ctx, name+"-operator", name+"-operator-federation", azurewi.Args{
		IdentityName: args.VaultName + "-eso", FederationName: "kubernetes-" + secrets.OperatorNamespace + "-" + ReaderServiceAccount,
		ResourceGroupName: args.ResourceGroupName, Location: args.Location, Tags: labels,
		Issuer: args.OIDCIssuerURL, Namespace: secrets.OperatorNamespace, ServiceAccount: ReaderServiceAccount,
	}, disposable)
	if err != nil {
		return nil, err
	}
	role := azurerbac.RoleDefinitionID(comp.VaultID, SecretsUserRole)
	reader, err := authorization.NewRoleAssignment(ctx, name+"-operator-secrets-user", &authorization.RoleAssignmentArgs{
		RoleAssignmentName: azurerbac.AssignmentName(comp.VaultID, uai.PrincipalId, role),
		PrincipalId:        uai.PrincipalId,
		// ServicePrincipal skips the directory lookup that fails while a new identity replicates.
		PrincipalType:    pulumi.String("ServicePrincipal"),
		RoleDefinitionId: role,
		Scope:            comp.VaultID,
	}, disposable)
	if err != nil {
		return nil, err
	}
	comp.ClientID = uai.ClientId

	operator, err := cloudstore.Install("azurekv", install, secrets.OperatorSettings{DependsOn: []pulumi.Resource{fic, reader, endpoint}, Egress: Egress})
	if err != nil {
		return nil, err
	}
	css, err := comp.newClusterStore(ctx, name, client.TenantId, operator, disposable)
	if err != nil {
		return nil, err
	}
	comp.Store = &secrets.Store{ClusterStore: ClusterStoreName, Writer: comp, Ready: []pulumi.Resource{operator, css}}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"vaultId": comp.VaultID, "vaultUri": comp.VaultURI, "clientId": comp.ClientID,
		"clusterStore": pulumi.String(ClusterStoreName),
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// newVault creates the vault: Azure RBAC authorization, soft delete, purge protection in prod, no
// public network access.
func (s *Store) newVault(ctx *pulumi.Context, name, tenantID string, stateful, disposable pulumi.ResourceOption) error {
	a := s.args
	props := &keyvault.VaultPropertiesArgs{
		TenantId:                  pulumi.String(tenantID),
		Sku:                       &keyvault.SkuArgs{Family: pulumi.String("A"), Name: keyvault.SkuNameStandard},
		EnableRbacAuthorization:   pulumi.Bool(true),
		EnableSoftDelete:          pulumi.Bool(true),
		SoftDeleteRetentionInDays: pulumi.Int(softDeleteDays),
		// keyvault@v2.90.0 VaultPropertiesArgs.PublicNetworkAccess: "Disabled" refuses every
		// data-plane call from outside a private endpoint, whatever the firewall rules say; ARM
		// (control-plane) calls are not data-plane calls.
		PublicNetworkAccess: pulumi.String("Disabled"),
		// Nothing of Microsoft's trusted services reads these secrets: no bypass.
		NetworkAcls:                  &keyvault.NetworkRuleSetArgs{DefaultAction: pulumi.String("Deny"), Bypass: pulumi.String("None")},
		EnabledForDeployment:         pulumi.Bool(false),
		EnabledForDiskEncryption:     pulumi.Bool(false),
		EnabledForTemplateDeployment: pulumi.Bool(false),
	}
	if a.Prod {
		// keyvault@v2.90.0 VaultPropertiesArgs.EnablePurgeProtection: "Enabling this functionality is
		// irreversible - the property does not accept false": left unset outside prod.
		props.EnablePurgeProtection = pulumi.Bool(true)
		props.SoftDeleteRetentionInDays = pulumi.Int(prodSoftDeleteDays)
	}
	vault, err := keyvault.NewVault(ctx, name+"-vault", &keyvault.VaultArgs{
		VaultName: pulumi.String(a.VaultName), ResourceGroupName: a.ResourceGroupName,
		Location: pulumi.String(a.Location), Properties: props, Tags: pulumi.ToStringMap(a.Tags),
	}, stateful)
	if err != nil {
		return err
	}
	s.vault = vault
	s.VaultID = vault.ID().ToStringOutput()
	// The public cloud's vault DNS suffix, the one ESO's default environmentType (PublicCloud)
	// authenticates for; derived from the name so the URL is known in a preview.
	s.VaultURI = vault.Name.ApplyT(func(n string) string { return "https://" + n + ".vault.azure.net/" }).(pulumi.StringOutput)
	return nil
}

// newPrivateEndpoint connects the vault to the endpoints subnet and resolves its name to the
// endpoint's address in the VNet (the zone, its VNet link and the endpoint's zone group), as the
// storage and registry endpoints are built (components/objectstore/adls, components/network/azurevnet).
func (s *Store) newPrivateEndpoint(ctx *pulumi.Context, name string, disposable pulumi.ResourceOption) (pulumi.Resource, error) {
	a := s.args
	labels := pulumi.ToStringMap(a.Tags)
	zone, err := network.NewPrivateZone(ctx, name+"-dns", &network.PrivateZoneArgs{
		PrivateZoneName: pulumi.String(PrivateDNSZone), ResourceGroupName: a.ResourceGroupName,
		Location: pulumi.String("global"), Tags: labels,
	}, disposable)
	if err != nil {
		return nil, err
	}
	link, err := network.NewVirtualNetworkLink(ctx, name+"-dns-link", &network.VirtualNetworkLinkArgs{
		VirtualNetworkLinkName: pulumi.String(a.VaultName + "-vnet"), PrivateZoneName: zone.Name,
		ResourceGroupName: a.ResourceGroupName, Location: pulumi.String("global"),
		VirtualNetwork: &network.SubResourceArgs{Id: a.VnetID},
		// Resolution only: no VM records are registered into a service zone.
		RegistrationEnabled: pulumi.Bool(false), Tags: labels,
	}, disposable)
	if err != nil {
		return nil, err
	}
	pe, err := network.NewPrivateEndpoint(ctx, name+"-pe", &network.PrivateEndpointArgs{
		PrivateEndpointName: pulumi.String(a.VaultName + "-vault"), ResourceGroupName: a.ResourceGroupName,
		Location: pulumi.String(a.Location), Subnet: &network.SubnetTypeArgs{Id: a.EndpointsSubnetID},
		CustomNetworkInterfaceName: pulumi.String(a.VaultName + "-vault-nic"),
		PrivateLinkServiceConnections: network.PrivateLinkServiceConnectionArray{&network.PrivateLinkServiceConnectionArgs{
			Name: pulumi.String(a.VaultName + "-vault"), PrivateLinkServiceId: s.VaultID,
			// Private Link: the Key Vault sub-resource is "vault".
			GroupIds: pulumi.StringArray{pulumi.String("vault")},
		}},
		Tags: labels,
	}, disposable)
	if err != nil {
		return nil, err
	}
	zg, err := network.NewPrivateDnsZoneGroup(ctx, name+"-pe-dns", &network.PrivateDnsZoneGroupArgs{
		PrivateDnsZoneGroupName: pulumi.String("default"), PrivateEndpointName: pe.Name,
		ResourceGroupName: a.ResourceGroupName,
		PrivateDnsZoneConfigs: network.PrivateDnsZoneConfigArray{&network.PrivateDnsZoneConfigArgs{
			Name: pulumi.String("vault"), PrivateDnsZoneId: zone.ID().ToStringOutput(),
		}},
	}, disposable, pulumi.DependsOn([]pulumi.Resource{link}))
	if err != nil {
		return nil, err
	}
	return zg, nil
}

// newClusterStore creates, once the operator runs, the reader ServiceAccount (annotated with the
// identity's client ID), the permission for the controller to request its tokens, and the store.
func (s *Store) newClusterStore(ctx *pulumi.Context, name, tenantID string, operator pulumi.Resource, disposable pulumi.ResourceOption) (pulumi.Resource, error) {
	a := s.args
	k8s := []pulumi.ResourceOption{disposable, pulumi.Provider(a.KubernetesProvider), pulumi.DependsOn([]pulumi.Resource{operator})}
	meta := func(n string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(n), Namespace: pulumi.String(secrets.OperatorNamespace),
			Labels: pulumi.StringMap{"app.kubernetes.io/managed-by": pulumi.String("pulumi")}}
	}
	sa := meta(ReaderServiceAccount)
	// keyvault.go authorizerForWorkloadIdentity reads the client ID from this annotation; the tenant
	// comes from the store's tenantId (an azure.workload.identity/tenant-id annotation as well would
	// be refused: errMultipleTenantID).
	sa.Annotations = pulumi.StringMap{ClientIDAnnotation: s.ClientID}
	reader, err := corev1.NewServiceAccount(ctx, name+"-reader-sa", &corev1.ServiceAccountArgs{
		Metadata: sa, AutomountServiceAccountToken: pulumi.Bool(false),
	}, k8s...)
	if err != nil {
		return nil, err
	}
	// keyvault.go FetchSAToken: ServiceAccounts(ns).CreateToken(name). The chart grants
	// serviceaccounts/token create cluster-wide only with rbac.serviceAccountTokenCreate (default
	// true, helm-chart-2.9.0 values.yaml: "When set to false, users must create per-ServiceAccount
	// Role/RoleBinding with resourceNames constraint"): this Role is that, so the store keeps working
	// when the cluster-wide grant is turned off.
	role, err := rbacv1.NewRole(ctx, name+"-token-role", &rbacv1.RoleArgs{
		Metadata: meta(ReaderServiceAccount + "-token"),
		Rules: rbacv1.PolicyRuleArray{&rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.StringArray{pulumi.String("")}, Resources: pulumi.StringArray{pulumi.String("serviceaccounts/token")},
			ResourceNames: pulumi.StringArray{pulumi.String(ReaderServiceAccount)}, Verbs: pulumi.StringArray{pulumi.String("create")},
		}},
	}, k8s...)
	if err != nil {
		return nil, err
	}
	binding, err := rbacv1.NewRoleBinding(ctx, name+"-token-binding", &rbacv1.RoleBindingArgs{
		Metadata: meta(ReaderServiceAccount + "-token"),
		RoleRef:  &rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("Role"), Name: role.Metadata.Name().Elem()},
		Subjects: rbacv1.SubjectArray{&rbacv1.SubjectArgs{
			Kind: pulumi.String("ServiceAccount"), Name: pulumi.String(secrets.OperatorServiceAccount), Namespace: pulumi.String(secrets.OperatorNamespace),
		}},
	}, k8s...)
	if err != nil {
		return nil, err
	}
	// external-secrets@v2.9.0 apis/externalsecrets/v1/secretstore_azurekv_types.go AzureKVProvider:
	// authType WorkloadIdentity, vaultUrl, tenantId, serviceAccountRef (a ClusterSecretStore must
	// name the ServiceAccount's namespace, or keyvault.go isReferentSpec looks for it in each ExternalSecret's namespace).
	return cloudstore.ClusterSecretStore(ctx, name+"-cluster-store", ClusterStoreName, map[string]any{
		"azurekv": map[string]any{
			"authType": "WorkloadIdentity", "vaultUrl": s.VaultURI, "tenantId": tenantID,
			"serviceAccountRef": map[string]any{"name": ReaderServiceAccount, "namespace": secrets.OperatorNamespace},
		},
	}, a.Namespaces, disposable, pulumi.Provider(a.KubernetesProvider), pulumi.DependsOn([]pulumi.Resource{operator, reader, binding}))
}

// Put writes data as the vault's secret named key, holding the JSON object.
//
// keyvault@v2.90.0 secret.go: the secret is created and updated through ARM
// (Microsoft.KeyVault/vaults/secrets/write, a control-plane action), so the deployer needs no
// data-plane role and no network path to the private vault. Deleting a secret is a data-plane call
// that ARM refuses ("The operation 'delete' on resource type 'vaults/secrets' is disallowed";
// pulumi-azure-native#2374 shows the provider deleting through the vault's data plane), which a
// vault without public access refuses from outside the VNet: the secrets are retained on delete.
// A renamed key leaves the old secret in the vault (unread: the ExternalSecret follows the new
// name); destroying the stack deletes them with the vault.
func (s *Store) Put(ctx *pulumi.Context, name, key string, data pulumi.StringMapInput, opts ...pulumi.ResourceOption) (secrets.RemoteRef, error) {
	if err := cloudstore.CheckPut("azurekv", name, key, data); err != nil {
		return secrets.RemoteRef{}, err
	}
	a := s.args
	own := append(append([]pulumi.ResourceOption{}, opts...), pulumi.Parent(s), pulumi.Protect(false), pulumi.RetainOnDelete(true))
	secret, err := keyvault.NewSecret(ctx, name, &keyvault.SecretArgs{
		SecretName: pulumi.String(key), VaultName: s.vault.Name, ResourceGroupName: a.ResourceGroupName,
		Properties: &keyvault.SecretPropertiesArgs{
			Value:       cloudstore.SecretJSON(data),
			ContentType: pulumi.String("application/json"),
		},
		Tags: pulumi.ToStringMap(a.Tags),
	}, own...)
	if err != nil {
		return secrets.RemoteRef{}, err
	}
	// remoteRef.key is the secret's name in the store's vault (ESO reads its latest version).
	return secrets.RemoteRef{Key: secret.Name, Resource: secret}, nil
}
