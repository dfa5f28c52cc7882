// Package acr is the platform's container registry on Azure: an Azure Container Registry without the
// admin user, Premium and zone-redundant in prod, and AcrPull for the AKS kubelet identity. Without
// public network access it is reached through a private endpoint in the VNet, whose records go into
// the privatelink.azurecr.io zone: the login server "<name>.azurecr.io" and the data endpoint
// "<name>.<region>.data.azurecr.io" the nodes download layers from.
package acr

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/containerregistry/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/internal/azurerbac"
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
	// EndpointsSubnetID is the subnet of the registry's private endpoint; required when
	// PublicNetworkAccess is false.
	EndpointsSubnetID pulumi.StringInput
	// PrivateDNSZoneID is privatelink.azurecr.io, linked to the VNet; required when
	// PublicNetworkAccess is false.
	PrivateDNSZoneID pulumi.StringInput
	// Protect marks the stateful resource (the registry, which holds the images) protected: destroy
	// and replacement stop at it. Disposable children (role assignment, private endpoint, its DNS
	// records) are never protected.
	Protect bool
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
	case !a.PublicNetworkAccess && (a.EndpointsSubnetID == nil || a.PrivateDNSZoneID == nil):
		return nil, fmt.Errorf("acr: EndpointsSubnetID and PrivateDNSZoneID are required without PublicNetworkAccess: the nodes pull through the private endpoint")
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
		"protect": pulumi.Bool(a.Protect),
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
	}, pulumi.Parent(comp), pulumi.Protect(a.Protect))
	if err != nil {
		return nil, err
	}
	// The role definition is addressed in the registry's subscription.
	roleDef := azurerbac.RoleDefinitionID(reg.ID().ToStringOutput(), AcrPullRoleID)
	if _, err := authorization.NewRoleAssignment(ctx, name+"-acrpull", &authorization.RoleAssignmentArgs{
		PrincipalId:      a.KubeletObjectID,
		PrincipalType:    pulumi.String("ServicePrincipal"),
		RoleDefinitionId: roleDef,
		Scope:            reg.ID(),
	}, pulumi.Parent(comp), pulumi.Protect(false)); err != nil {
		return nil, err
	}
	pull := []any{reg.LoginServer}
	if !a.PublicNetworkAccess {
		zg, err := privateEndpoint(ctx, name, &a, reg, pulumi.Parent(comp))
		if err != nil {
			return nil, err
		}
		pull = append(pull, zg.ID())
	}
	// The repository is handed out once the nodes can reach the registry (its private endpoint and
	// DNS records exist).
	login := pulumi.All(pull...).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	comp.LoginServer = login
	comp.RepositoryURL = pulumi.Sprintf("%s/%s", login, a.RepositoryName)
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"repositoryURL": comp.RepositoryURL, "loginServer": comp.LoginServer}); err != nil {
		return nil, err
	}
	return comp, nil
}

// privateEndpoint connects the registry ("registry" sub-resource) to the endpoints subnet and writes
// its records into privatelink.azurecr.io.
func privateEndpoint(ctx *pulumi.Context, name string, a *RegistryArgs, reg *containerregistry.Registry, parent pulumi.ResourceOption) (*network.PrivateDnsZoneGroup, error) {
	opts := []pulumi.ResourceOption{parent, pulumi.Protect(false)}
	pe, err := network.NewPrivateEndpoint(ctx, name+"-pe", &network.PrivateEndpointArgs{
		PrivateEndpointName:        pulumi.String(a.RegistryName + "-registry"),
		ResourceGroupName:          a.ResourceGroupName,
		Location:                   pulumi.String(a.Location),
		Subnet:                     &network.SubnetTypeArgs{Id: a.EndpointsSubnetID},
		CustomNetworkInterfaceName: pulumi.String(a.RegistryName + "-registry-nic"),
		PrivateLinkServiceConnections: network.PrivateLinkServiceConnectionArray{&network.PrivateLinkServiceConnectionArgs{
			Name:                 pulumi.String(a.RegistryName + "-registry"),
			PrivateLinkServiceId: reg.ID().ToStringOutput(),
			// learn.microsoft.com/azure/container-registry/container-registry-private-link: group ID "registry".
			GroupIds: pulumi.StringArray{pulumi.String("registry")},
		}},
		Tags: pulumi.ToStringMap(a.Tags),
	}, opts...)
	if err != nil {
		return nil, err
	}
	return network.NewPrivateDnsZoneGroup(ctx, name+"-pe-dns", &network.PrivateDnsZoneGroupArgs{
		PrivateDnsZoneGroupName: pulumi.String("default"),
		PrivateEndpointName:     pe.Name,
		ResourceGroupName:       a.ResourceGroupName,
		PrivateDnsZoneConfigs: network.PrivateDnsZoneConfigArray{&network.PrivateDnsZoneConfigArgs{
			Name:             pulumi.String("registry"),
			PrivateDnsZoneId: a.PrivateDNSZoneID,
		}},
	}, opts...)
}
