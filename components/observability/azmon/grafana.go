package azmon

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/internal/azurerbac"
	"github.com/opendataplatform/dataplatform/components/internal/azurewi"
)

// GrafanaIdentityType is the type token of Grafana's Azure identity.
const GrafanaIdentityType = "dataplatform:azure:GrafanaIdentity"

// MonitoringReaderRole is the built-in "Monitoring Reader" role (read all monitoring data: metric
// definitions and values, no control-plane writes and no data-plane access to the resource itself;
// Azure docs role-based-access-control/built-in-roles/monitor.md#monitoring-reader, the same GUID in
// every tenant).
const MonitoringReaderRole = "43d0d8ad-25c7-4714-9337-8ba259a9fe05"

// GrafanaIdentityArgs configure the identity Grafana's Azure Monitor datasource signs in as.
type GrafanaIdentityArgs struct {
	// Name is the user-assigned identity's name (3–128 letters, digits, '-' and '_').
	Name string
	// ResourceGroupName holds it; Location is the stack's region.
	ResourceGroupName pulumi.StringInput
	Location          string
	// OIDCIssuerURL is the AKS cluster's OIDC issuer: the federated credential trusts the tokens it
	// signs for Namespace/ServiceAccount.
	OIDCIssuerURL pulumi.StringInput
	// Namespace and ServiceAccount are Grafana's (the monitoring namespace; the grafana sub-chart's
	// ServiceAccount, named after its fullname).
	Namespace, ServiceAccount string
	Tags                      map[string]string
}

// GrafanaIdentity is a user-assigned managed identity federated with Grafana's ServiceAccount.
type GrafanaIdentity struct {
	pulumi.ResourceState

	// ClientID is the identity's client ID, resolved once the federated credential exists: the
	// ServiceAccount's azure.workload.identity/client-id annotation.
	ClientID pulumi.StringOutput
	// PrincipalID is the identity's object ID, which role assignments name.
	PrincipalID pulumi.StringOutput
}

var identityNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$`)

// NewGrafanaIdentity creates the identity and its federated credential (issuer the cluster's, subject
// system:serviceaccount:<Namespace>:<ServiceAccount>, audience api://AzureADTokenExchange: the
// pattern of components/objectstore/adls newIdentity; managedidentity@v2.81.0
// UserAssignedIdentity and FederatedIdentityCredential). It grants nothing: GrantMonitoringReader
// does, once the watched resources exist.
func NewGrafanaIdentity(ctx *pulumi.Context, name string, args *GrafanaIdentityArgs, opts ...pulumi.ResourceOption) (*GrafanaIdentity, error) {
	switch {
	case args == nil:
		return nil, fmt.Errorf("azmon: GrafanaIdentityArgs are required")
	case !identityNameRE.MatchString(args.Name):
		return nil, fmt.Errorf("azmon: GrafanaIdentityArgs.Name = %q: 3–128 letters, digits, '-' and '_', starting with a letter or digit", args.Name)
	case args.ResourceGroupName == nil || args.Location == "" || args.OIDCIssuerURL == nil:
		return nil, fmt.Errorf("azmon: GrafanaIdentityArgs need ResourceGroupName, Location and OIDCIssuerURL")
	case !dnsLabelRE.MatchString(args.Namespace) || !dnsLabelRE.MatchString(args.ServiceAccount):
		return nil, fmt.Errorf("azmon: GrafanaIdentityArgs.Namespace = %q, ServiceAccount = %q: Kubernetes names (DNS labels)", args.Namespace, args.ServiceAccount)
	}
	comp := &GrafanaIdentity{}
	if err := ctx.RegisterComponentResourceV2(GrafanaIdentityType, name, pulumi.Map{
		"name": pulumi.String(args.Name), "subject": pulumi.String(azurewi.Subject(args.Namespace, args.ServiceAccount)),
	}, comp, opts...); err != nil {
		return nil, err
	}
	// The identity and its federation hold no data: never protected.
	child := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	uai, fic, err := azurewi.New(ctx, name, name+"-federation", azurewi.Args{
		IdentityName: args.Name, FederationName: "kubernetes-" + args.Namespace + "-" + args.ServiceAccount,
		ResourceGroupName: args.ResourceGroupName, Location: args.Location, Tags: pulumi.ToStringMap(args.Tags),
		Issuer: args.OIDCIssuerURL, Namespace: args.Namespace, ServiceAccount: args.ServiceAccount,
	}, child)
	if err != nil {
		return nil, err
	}
	// Handed out once the federation exists, so Grafana can exchange its token as it starts.
	comp.ClientID = pulumi.All(uai.ClientId, fic.ID()).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	comp.PrincipalID = uai.PrincipalId
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"clientId": comp.ClientID, "principalId": comp.PrincipalID}); err != nil {
		return nil, err
	}
	return comp, nil
}

var dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// ReaderScope is a resource Grafana may read the metrics of.
type ReaderScope struct {
	// Role names the assignment ("metadata-db", "lake"); a DNS label.
	Role string
	// ID is the resource's ARM ID; it must resolve once the resource exists (an output of it).
	ID pulumi.StringInput
}

// GrantMonitoringReader assigns Monitoring Reader to the identity on each scope, and nothing wider:
// the Flexible Server and the storage accounts the dashboard shows (authorization@v2.90.0
// RoleAssignment; deterministic names, azurerbac). It returns the assignments' IDs.
func (g *GrafanaIdentity) GrantMonitoringReader(ctx *pulumi.Context, name string, scopes []ReaderScope, opts ...pulumi.ResourceOption) ([]pulumi.StringOutput, error) {
	seen := map[string]bool{}
	for i, s := range scopes {
		if !roleRE.MatchString(s.Role) || seen[s.Role] || s.ID == nil {
			return nil, fmt.Errorf("azmon: GrantMonitoringReader scopes[%d] = %q: a unique DNS-label role and the resource's ID", i, s.Role)
		}
		seen[s.Role] = true
	}
	var ids []pulumi.StringOutput
	for _, s := range scopes {
		role := azurerbac.RoleDefinitionID(s.ID, MonitoringReaderRole)
		ra, err := authorization.NewRoleAssignment(ctx, name+"-"+s.Role, &authorization.RoleAssignmentArgs{
			RoleAssignmentName: azurerbac.AssignmentName(s.ID, g.PrincipalID, role),
			PrincipalId:        g.PrincipalID,
			// ServicePrincipal skips the directory lookup that fails while a new identity replicates.
			PrincipalType:    pulumi.String("ServicePrincipal"),
			RoleDefinitionId: role,
			Scope:            s.ID,
		}, append([]pulumi.ResourceOption{pulumi.Parent(g), pulumi.Protect(false)}, opts...)...)
		if err != nil {
			return nil, err
		}
		ids = append(ids, ra.ID().ToStringOutput())
	}
	return ids, nil
}
