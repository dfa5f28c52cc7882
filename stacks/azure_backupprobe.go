package stacks

import (
	"fmt"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/aks"
	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
	"github.com/opendataplatform/dataplatform/components/observability/azmon/backupprobe"
	"github.com/opendataplatform/dataplatform/config"
)

// azureBackupProbe runs the Flexible Server backup probe (components/observability/azmon/backupprobe)
// in the apps namespace: Azure Monitor has no backup signal for the server, so the in-cluster
// Prometheus scrapes the probe (azureObservabilitySpec adds its target and rules). after are the
// platform's namespaces; the probe waits for them.
func azureBackupProbe(ctx *pulumi.Context, cfg *config.Platform, provider *azurenative.Provider, names Names, net *azurevnet.Network, c *aks.Cluster, data *DataServices, after []pulumi.Resource) error {
	_, err := backupprobe.New(ctx, "pg-backup-probe", &backupprobe.Args{
		ServerID:          data.ManagedDBID,
		ResourceGroupName: net.ResourceGroupName, Location: cfg.Region, Tags: tags(cfg),
		IdentityName:  names.Base + "-" + backupprobe.Name,
		OIDCIssuerURL: c.OIDCIssuerURL,
		Namespace:     pulumi.String(cfg.Network.Namespaces.Apps), NamespaceName: cfg.Network.Namespaces.Apps,
		Scheduling: c.Info.Scheduling, Labels: partOf(),
	}, pulumi.Providers(provider, c.Provider), pulumi.DependsOn(after))
	if err != nil {
		return fmt.Errorf("flexible server backup probe: %w", err)
	}
	return nil
}
