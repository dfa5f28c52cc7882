// Package acr is the platform's container registry on Azure: an Azure Container Registry without the
// admin user, Premium and zone-redundant in prod, and AcrPull for the AKS kubelet identity.
package acr

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/containerregistry/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/registry"
)

// RegistryType is the component's type token.
const RegistryType = "dataplatform:azure:Registry"

// AcrPullRoleID is the built-in AcrPull role definition.
const AcrPullRoleID = "7f951dba-4ed5-4e7b-9d31-9dbb4e1bd9e1"

// RegistryArgs are the inputs of the registry.
type RegistryArgs struct {
	// ResourceGroupName holds the registry.
	ResourceGroupName pulumi.StringInput
	// Location is the Azure region.
	Location string
	// RegistryName is globally unique: 5–50 letters and digits.
	RegistryName string
	// RepositoryName is the repository of the dbt image inside the registry; default "dbt".
	RepositoryName string
	// KubeletObjectID is the object ID of the AKS kubelet identity, which pulls images.
	KubeletObjectID pulumi.StringInput
	// PublicNetworkAccess allows pushes and pulls from the internet. When false the registry is
	// Premium (private endpoints need it) and reached through a private endpoint.
	PublicNetworkAccess bool
	// Prod selects Premium with zone redundancy.
	Prod bool
	// Tags are added to the registry.
	Tags map[string]string
}

// Registry is the component.
type Registry struct {
	pulumi.ResourceState
	registry.Info
	// LoginServer is <name>.azurecr.io.
	LoginServer pulumi.StringOutput
}

var (
	registryName = regexp.MustCompile(`^[A-Za-z0-9]{5,50}$`)
	repoName     = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)
)

// NewRegistry creates the registry and the kubelet's AcrPull assignment on it.
func NewRegistry(ctx *pulumi.Context, name string, args *RegistryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	if args == nil {
		return nil, fmt.Errorf("acr: args are required")
	}
	a := *args
	if a.RepositoryName == "" {
		a.RepositoryName = "dbt"
	}
	switch {
	case a.ResourceGroupName == nil:
		return nil, fmt.Errorf("acr: ResourceGroupName is required")
	case a.KubeletObjectID == nil:
		return nil, fmt.Errorf("acr: KubeletObjectID is required (the AKS kubelet identity pulls the images)")
	case a.Location == "":
		return nil, fmt.Errorf("acr: Location is empty; set the Azure region")
	case !registryName.MatchString(a.RegistryName):
		return nil, fmt.Errorf("acr: RegistryName = %q; must be 5–50 letters and digits", a.RegistryName)
	case !repoName.MatchString(a.RepositoryName):
		return nil, fmt.Errorf("acr: RepositoryName = %q; must be lower-case letters, digits and . _ - /", a.RepositoryName)
	}
	sku := "Standard"
	if a.Prod || !a.PublicNetworkAccess {
		sku = "Premium"
	}
	zone := "Disabled"
	if a.Prod {
		zone = "Enabled"
	}
	public := "Disabled"
	if a.PublicNetworkAccess {
		public = "Enabled"
	}

	comp := &Registry{}
	if err := ctx.RegisterComponentResourceV2(RegistryType, name, pulumi.Map{
		"registryName": pulumi.String(a.RegistryName), "sku": pulumi.String(sku), "publicNetworkAccess": pulumi.String(public),
	}, comp, opts...); err != nil {
		return nil, err
	}
	reg, err := containerregistry.NewRegistry(ctx, name+"-registry", &containerregistry.RegistryArgs{
		ResourceGroupName: a.ResourceGroupName,
		RegistryName:      pulumi.String(a.RegistryName),
		Location:          pulumi.String(a.Location),
		Sku:               &containerregistry.SkuArgs{Name: pulumi.String(sku)},
		// Pulls use the kubelet identity and pushes Entra ID; no shared admin password.
		AdminUserEnabled:    pulumi.Bool(false),
		PublicNetworkAccess: pulumi.String(public),
		ZoneRedundancy:      pulumi.String(zone),
		Tags:                pulumi.ToStringMap(a.Tags),
	}, pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	// The role definition is addressed in the registry's subscription.
	roleDef := reg.ID().ToStringOutput().ApplyT(func(id string) string {
		sub := id
		if parts := strings.SplitN(strings.TrimPrefix(id, "/"), "/", 3); len(parts) >= 2 && parts[0] == "subscriptions" {
			sub = "/subscriptions/" + parts[1]
		}
		return sub + "/providers/Microsoft.Authorization/roleDefinitions/" + AcrPullRoleID
	}).(pulumi.StringOutput)
	if _, err := authorization.NewRoleAssignment(ctx, name+"-acrpull", &authorization.RoleAssignmentArgs{
		PrincipalId:      a.KubeletObjectID,
		PrincipalType:    pulumi.String("ServicePrincipal"),
		RoleDefinitionId: roleDef,
		Scope:            reg.ID(),
	}, pulumi.Parent(comp)); err != nil {
		return nil, err
	}
	comp.LoginServer = reg.LoginServer
	comp.RepositoryURL = pulumi.Sprintf("%s/%s", reg.LoginServer, a.RepositoryName)
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"repositoryURL": comp.RepositoryURL, "loginServer": comp.LoginServer}); err != nil {
		return nil, err
	}
	return comp, nil
}
