// Package azurewi is AKS workload identity as the platform's Azure components use it: a user-assigned
// managed identity federated with exactly one Kubernetes ServiceAccount, so a pod exchanges its
// projected ServiceAccount token for an Entra ID token and no key is stored anywhere.
package azurewi

import (
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TokenAudience is the audience of the ServiceAccount token the workload identity webhook projects
// and Entra ID accepts (azure-workload-identity@v1.5.1 docs/book/src/topics/federated-identity-credential.md;
// pkg/webhook/consts.go DefaultAudience).
const TokenAudience = "api://AzureADTokenExchange"

// Subject is the federated credential's subject for a ServiceAccount: the `sub` claim of its token.
func Subject(namespace, serviceAccount string) string {
	return "system:serviceaccount:" + namespace + ":" + serviceAccount
}

// Args describe one federated identity.
type Args struct {
	// IdentityName is the identity's Azure resource name.
	IdentityName string
	// FederationName is the federated credential's name, unique per identity.
	FederationName string
	// ResourceGroupName and Location place the identity.
	ResourceGroupName pulumi.StringInput
	Location          string
	// Tags are the identity's tags; optional.
	Tags pulumi.StringMapInput
	// Issuer is the cluster's OIDC issuer URL.
	Issuer pulumi.StringInput
	// Namespace and ServiceAccount name the only ServiceAccount whose tokens the identity accepts.
	Namespace, ServiceAccount string
}

// New creates the identity (Pulumi name identityResource) and its federated credential (federationResource);
// both take opts. The identities hold no data: callers pass Protect(false).
// managedidentity@v2.81.0 federatedIdentityCredential.go (api 2023-01-31): audiences, issuer and
// subject are required.
func New(ctx *pulumi.Context, identityResource, federationResource string, a Args, opts ...pulumi.ResourceOption) (*managedidentity.UserAssignedIdentity, *managedidentity.FederatedIdentityCredential, error) {
	uai, err := managedidentity.NewUserAssignedIdentity(ctx, identityResource, &managedidentity.UserAssignedIdentityArgs{
		ResourceName:      pulumi.String(a.IdentityName),
		ResourceGroupName: a.ResourceGroupName,
		Location:          pulumi.String(a.Location),
		Tags:              a.Tags,
	}, opts...)
	if err != nil {
		return nil, nil, err
	}
	fic, err := managedidentity.NewFederatedIdentityCredential(ctx, federationResource, &managedidentity.FederatedIdentityCredentialArgs{
		FederatedIdentityCredentialResourceName: pulumi.String(a.FederationName),
		ResourceName:                            uai.Name,
		ResourceGroupName:                       a.ResourceGroupName,
		Issuer:                                  a.Issuer,
		Subject:                                 pulumi.String(Subject(a.Namespace, a.ServiceAccount)),
		Audiences:                               pulumi.StringArray{pulumi.String(TokenAudience)},
	}, opts...)
	if err != nil {
		return nil, nil, err
	}
	return uai, fic, nil
}
