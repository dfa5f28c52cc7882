package stacks

import (
	"strings"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/aks"
	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/components/secrets/azurekv"
	"github.com/opendataplatform/dataplatform/config"
)

// azureSecretStore is the stack's Key Vault store: a private vault of its own (not the cluster's KMS
// vault, which AKS needs public), read by the operator under workload identity.
func azureSecretStore(cfg *config.Platform, provider *azurenative.Provider, names Names, net *azurevnet.Network, c *aks.Cluster) func(*pulumi.Context, OperatorInstaller) (*secrets.Store, error) {
	return func(ctx *pulumi.Context, install OperatorInstaller) (*secrets.Store, error) {
		s, err := azurekv.NewStore(ctx, "secret-store", &azurekv.StoreArgs{
			ResourceGroupName: net.ResourceGroupName, Location: cfg.Region, VaultName: secretsVaultName(names),
			VnetID: net.VnetID, EndpointsSubnetID: net.EndpointsSubnetID, OIDCIssuerURL: c.OIDCIssuerURL,
			Namespaces: storeNamespaces(cfg), KubernetesProvider: c.Provider,
			Prod: cfg.Environment == config.Prod, Tags: tags(cfg),
		}, install, pulumi.Provider(provider))
		if err != nil {
			return nil, err
		}
		return s.Store, nil
	}
}

// secretsVaultName: the secrets vault, "kvs-" before the stem to set it apart from the KMS vault
// (keyVaultName); the same rules (3-24 letters, digits and single hyphens, starting with a letter).
func secretsVaultName(n Names) string {
	stem := strings.Trim(cut(dnsLabel("kvs-"+n.Base), 24-1-len(n.Suffix)), "-")
	return stem + "-" + n.Suffix
}
