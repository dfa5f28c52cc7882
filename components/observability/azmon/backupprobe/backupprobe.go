// Package backupprobe watches an Azure Database for PostgreSQL Flexible Server's backups. The server
// has no backup-health metric (Azure Monitor's backup_storage_used is a size), but Azure Resource
// Manager lists its completed backups, so a probe written here (probe.py, Python's standard library
// only) reads them as a workload identity that may only read the server, and serves the newest full
// backup's completion time to the in-cluster Prometheus; Rules alert on it.
//
// What New creates:
//   - Azure: a user-assigned managed identity; its federated credential for the probe's
//     ServiceAccount (issuer: the AKS OIDC issuer; subject system:serviceaccount:<ns>:<sa>); the
//     built-in Reader role on the server's resource ID only (Reader is "*/read": it lists backups,
//     Backups_ListByServer being a GET, and reads the server; nothing else in the subscription).
//   - Kubernetes, through components/observability/probe: that ServiceAccount (annotated with the
//     identity's client ID), the script's ConfigMap, a one-replica Deployment of the official
//     python image, and an egress NetworkPolicy (DNS, and HTTPS to Entra ID and ARM).
//
// Ordering on a first run: the Deployment waits for the federated credential and the role
// assignment, but Entra ID and ARM take minutes to propagate both. Until then the token exchange
// fails (AADSTS70021) or ARM answers 403; the probe reports scrape_success 0, retries every minute,
// and PostgresBackupProbeDown waits 30 minutes before it fires.
package backupprobe

import (
	"fmt"
	"regexp"

	authorization "github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/internal/azurerbac"
	"github.com/opendataplatform/dataplatform/components/internal/azurewi"
	"github.com/opendataplatform/dataplatform/components/observability/probe"
)

// Type is the component's Pulumi type.
const Type = "dataplatform:observability:FlexibleServerBackupProbe"

// Name names the Kubernetes objects (the probe package names them all after it) and is the pods'
// app.kubernetes.io/name; ServiceAccount is the federated one.
const (
	Name           = "pg-backup-probe"
	ServiceAccount = Name
)

// ReaderRole is the built-in Reader role's definition ID, the same in every tenant
// (MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles.md, "Reader",
// acdd72a7-3385-48ef-bd42-f606fba81ae7; components/edge/agc uses it too).
const ReaderRole = "acdd72a7-3385-48ef-bd42-f606fba81ae7"

// TokenAudience is the audience of the ServiceAccount token the AKS workload identity webhook
// projects and the federated credential accepts (Azure/azure-workload-identity docs/book/src/topics/
// federated-identity-credential.md: "api://AzureADTokenExchange").
const TokenAudience = azurewi.TokenAudience

// Workload identity's wiring (Azure/azure-workload-identity v1.5.1 and v1.6.0, docs/book/src/topics/
// service-account-labels-and-annotations.md and pkg/webhook/webhook.go): the webhook mutates pods
// labelled azure.workload.identity/use: "true", injecting AZURE_CLIENT_ID (from the ServiceAccount's
// azure.workload.identity/client-id), AZURE_TENANT_ID, AZURE_AUTHORITY_HOST and
// AZURE_FEDERATED_TOKEN_FILE, and projecting the token there (probe.py reads them).
const (
	UseLabel           = "azure.workload.identity/use"
	ClientIDAnnotation = "azure.workload.identity/client-id"
)

// Args configure the probe.
type Args struct {
	// ServerID is the Flexible Server's ARM resource ID: the Reader grant's scope and what the probe
	// reads.
	ServerID pulumi.StringInput
	// ResourceGroupName holds the identity; Location and Tags are the identity's.
	ResourceGroupName pulumi.StringInput
	Location          string
	Tags              map[string]string
	// IdentityName is the managed identity's name (unique in its resource group; 3–128 characters).
	IdentityName string
	// OIDCIssuerURL is the AKS cluster's ServiceAccount token issuer (aks.Cluster.OIDCIssuerURL).
	OIDCIssuerURL pulumi.StringInput
	// Namespace is where the probe runs (NamespaceName its name, the federated subject's).
	Namespace     pulumi.StringInput
	NamespaceName string
	// ARMEndpoint is Resource Manager's endpoint for a sovereign cloud (default
	// https://management.azure.com). Entra ID's authority comes from the webhook
	// (AZURE_AUTHORITY_HOST, the cluster's cloud).
	ARMEndpoint string
	// Image overrides Image (a mirror); pinned by tag or digest.
	Image string
	// Scheduling places the pod on the workload pool.
	Scheduling cluster.Scheduling
	// Labels are added to every Kubernetes object.
	Labels map[string]string
}

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	identityName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$`)
	armEndpoint  = regexp.MustCompile(`^https://[a-z0-9.-]+(:[0-9]+)?/?$`)
)

func (a *Args) validate() error {
	switch {
	case a == nil:
		return fmt.Errorf("backupprobe: args are required")
	case a.ServerID == nil || a.ResourceGroupName == nil || a.OIDCIssuerURL == nil || a.Namespace == nil:
		return fmt.Errorf("backupprobe: ServerID, ResourceGroupName, OIDCIssuerURL and Namespace are required")
	case !dnsLabel.MatchString(a.NamespaceName):
		return fmt.Errorf("backupprobe: NamespaceName = %q: the namespace the probe runs in (a DNS label)", a.NamespaceName)
	case !identityName.MatchString(a.IdentityName):
		return fmt.Errorf("backupprobe: IdentityName = %q: 3–128 letters, digits, '-' or '_', starting with a letter or digit", a.IdentityName)
	case a.Location == "":
		return fmt.Errorf("backupprobe: Location is empty: the identity's region")
	case a.ARMEndpoint != "" && !armEndpoint.MatchString(a.ARMEndpoint):
		return fmt.Errorf("backupprobe: ARMEndpoint = %q: an https URL with no path (https://management.usgovcloudapi.net), or empty for the public cloud", a.ARMEndpoint)
	}
	if a.Image != "" {
		return dremio.ValidateImage("backupprobe: Image", a.Image)
	}
	return nil
}

// FederatedSubject is the token subject AKS issues for the probe's ServiceAccount in namespace ns.
func FederatedSubject(ns string) string { return azurewi.Subject(ns, ServiceAccount) }

// Selector are the probe pods' labels the scrape target selects.
func Selector() map[string]string { return probe.Selector(Name) }

// Probe is the deployed probe.
type Probe struct {
	pulumi.ResourceState
	// ClientID and PrincipalID are the probe's managed identity.
	ClientID    pulumi.StringOutput `pulumi:"clientId"`
	PrincipalID pulumi.StringOutput `pulumi:"principalId"`
	// Deployment is the probe's Deployment name.
	Deployment pulumi.StringOutput `pulumi:"deployment"`
}

// New creates the identity, its federation and grant, and the probe. Pass the azure-native and the
// cluster's Kubernetes provider (pulumi.Providers). Nothing here holds state.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Probe, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	a := *args
	comp := &Probe{}
	if err := ctx.RegisterComponentResourceV2(Type, name, pulumi.Map{
		"identityName": pulumi.String(a.IdentityName), "namespace": pulumi.String(a.NamespaceName),
	}, comp, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))

	identity, fic, err := azurewi.New(ctx, name+"-identity", name+"-federation", azurewi.Args{
		IdentityName: a.IdentityName, FederationName: "kubernetes-" + a.NamespaceName + "-" + ServiceAccount,
		ResourceGroupName: a.ResourceGroupName, Location: a.Location, Tags: pulumi.ToStringMap(a.Tags),
		Issuer: a.OIDCIssuerURL, Namespace: a.NamespaceName, ServiceAccount: ServiceAccount,
	}, child)
	if err != nil {
		return nil, err
	}
	// Reader on the server only. The principal type is stated: a new identity's directory lookup can
	// fail while it replicates (authorization@v2.90.0 roleAssignment.go PrincipalType).
	role := azurerbac.RoleDefinitionID(a.ServerID, ReaderRole)
	grant, err := authorization.NewRoleAssignment(ctx, name+"-server-reader", &authorization.RoleAssignmentArgs{
		RoleAssignmentName: azurerbac.AssignmentName(a.ServerID, identity.PrincipalId, role),
		PrincipalId:        identity.PrincipalId,
		PrincipalType:      pulumi.String("ServicePrincipal"),
		RoleDefinitionId:   role,
		Scope:              a.ServerID,
	}, child)
	if err != nil {
		return nil, err
	}

	dep, err := workload(ctx, name, &a, identity.ClientId, []pulumi.Resource{fic, grant}, child)
	if err != nil {
		return nil, err
	}
	comp.ClientID, comp.PrincipalID, comp.Deployment = identity.ClientId, identity.PrincipalId, dep
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"clientId": comp.ClientID, "principalId": comp.PrincipalID, "deployment": comp.Deployment,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
