package adls

import (
	"github.com/pulumi/pulumi-azure-native-sdk/insights/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/storage/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// BlobLogCategories are the blob service's resource logs sent to Log Analytics, and
// BlobMetricCategories its metrics (learn.microsoft.com/azure/storage/blobs/monitor-blob-storage-reference:
// StorageRead, StorageWrite, StorageDelete; Transaction).
var (
	BlobLogCategories    = []string{"StorageRead", "StorageWrite", "StorageDelete"}
	BlobMetricCategories = []string{"Transaction"}
)

// newDiagnostics sends an account's blob service logs and metrics to the workspace, when one is set.
// The setting's resource is the blob service, "<account ID>/blobServices/default".
func newDiagnostics(ctx *pulumi.Context, logical, physical string, account *storage.StorageAccount, args *ObjectStoreArgs, parent pulumi.ResourceOption, ch *chain) error {
	if args.LogAnalyticsWorkspaceID == nil {
		return nil
	}
	logs := insights.LogSettingsArray{}
	for _, c := range BlobLogCategories {
		logs = append(logs, &insights.LogSettingsArgs{Category: pulumi.String(c), Enabled: pulumi.Bool(true)})
	}
	metrics := insights.MetricSettingsArray{}
	for _, c := range BlobMetricCategories {
		metrics = append(metrics, &insights.MetricSettingsArgs{Category: pulumi.String(c), Enabled: pulumi.Bool(true)})
	}
	r, err := insights.NewDiagnosticSetting(ctx, logical, &insights.DiagnosticSettingArgs{
		Name:                        pulumi.String(physical + "-blob"),
		ResourceUri:                 pulumi.Sprintf("%s/blobServices/default", account.ID()),
		WorkspaceId:                 args.LogAnalyticsWorkspaceID,
		LogAnalyticsDestinationType: pulumi.String("Dedicated"),
		Logs:                        logs,
		Metrics:                     metrics,
	}, parent, disposable, ch.after())
	return ch.then(r, err)
}

// disposable marks a child that holds no data: it is never protected.
var disposable = pulumi.Protect(false)

// chain orders the writes to one storage account.
type chain struct{ last pulumi.Resource }

// after makes a resource wait for the account's previous write.
func (c *chain) after() pulumi.ResourceOption { return pulumi.DependsOn([]pulumi.Resource{c.last}) }

// then records r as the account's latest write.
func (c *chain) then(r pulumi.Resource, err error) error {
	if err == nil {
		c.last = r
	}
	return err
}
