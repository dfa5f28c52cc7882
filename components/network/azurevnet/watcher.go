package azurevnet

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/resources/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// WatcherOwnerTag marks a Network Watcher (and its resource group) this component created, with the
// "<component name>@<resource group>" that created it: on later runs it keeps declaring what it
// owns instead of dropping it from the state.
const WatcherOwnerTag = "dataplatform.io/network-watcher-owner"

// ensureNetworkWatcher makes sure the region's Network Watcher exists before the VNet and its flow
// log. Azure creates one as a side effect of a subscription's first VNet in a region, but
// asynchronously and not at all where auto-enablement is off (Network Watcher FAQ), and a second
// watcher in a region is refused (NetworkWatcherCountLimitReached). So: an existing watcher is used
// as it is; a missing one is created here, with its resource group if that is missing too, before
// the VNet (so Azure's own creation never races it), and kept on destroy (RetainOnDelete), since
// every VNet of the region comes to rely on it. The returned resources are what the VNet and the
// flow log must wait for.
func ensureNetworkWatcher(ctx *pulumi.Context, name string, args *NetworkArgs, owner string, parent pulumi.ResourceOrInvokeOption) ([]pulumi.Resource, error) {
	f := args.FlowLogs
	found, err := network.LookupNetworkWatcher(ctx, &network.LookupNetworkWatcherArgs{
		ResourceGroupName: f.NetworkWatcherResourceGroup, NetworkWatcherName: f.NetworkWatcherName,
	}, parent)
	switch {
	case err == nil && found.Tags[WatcherOwnerTag] != owner:
		return nil, nil // the subscription's own watcher: used, not managed
	case err != nil && !notFound(err):
		return nil, fmt.Errorf("azurevnet %q: looking up Network Watcher %s/%s: %w", name, f.NetworkWatcherResourceGroup, f.NetworkWatcherName, err)
	}
	// Missing, or created by this component on an earlier run: declared (again) here.
	tags := pulumi.StringMap{WatcherOwnerTag: pulumi.String(owner)}
	retain := []pulumi.ResourceOption{parent, pulumi.Protect(false), pulumi.RetainOnDelete(true)}
	deps := []pulumi.Resource{}
	rg, rgErr := resources.LookupResourceGroup(ctx, &resources.LookupResourceGroupArgs{ResourceGroupName: f.NetworkWatcherResourceGroup}, parent)
	if rgErr != nil && !notFound(rgErr) {
		return nil, fmt.Errorf("azurevnet %q: looking up resource group %s: %w", name, f.NetworkWatcherResourceGroup, rgErr)
	}
	if rgErr != nil || rg.Tags[WatcherOwnerTag] == owner {
		group, err := resources.NewResourceGroup(ctx, name+"-network-watcher-rg", &resources.ResourceGroupArgs{
			ResourceGroupName: pulumi.String(f.NetworkWatcherResourceGroup),
			Location:          pulumi.String(args.Location),
			Tags:              tags,
		}, retain...)
		if err != nil {
			return nil, err
		}
		deps = append(deps, group)
	}
	watcher, err := network.NewNetworkWatcher(ctx, name+"-network-watcher", &network.NetworkWatcherArgs{
		NetworkWatcherName: pulumi.String(f.NetworkWatcherName),
		ResourceGroupName:  pulumi.String(f.NetworkWatcherResourceGroup),
		Location:           pulumi.String(args.Location),
		Tags:               tags,
	}, append(retain, pulumi.DependsOn(deps))...)
	if err != nil {
		return nil, err
	}
	return append(deps, watcher), nil
}

// notFound reports whether an invoke failed because the resource (or its resource group) does not
// exist: ARM answers 404 with the codes ResourceNotFound, ResourceGroupNotFound or NotFound.
func notFound(err error) bool {
	s := err.Error()
	return strings.Contains(s, "NotFound") || strings.Contains(s, "404")
}
