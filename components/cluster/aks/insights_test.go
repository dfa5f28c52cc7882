package aks

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestContainerInsightsAddon: with ContainerInsights the monitoring add-on is on, pointed at the
// cluster's workspace, with managed-identity auth; without it no add-on profile is sent. ClusterID and
// LogAnalyticsWorkspaceName are the cluster's and the workspace's.
func TestContainerInsightsAddon(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, c := deploy(t, preview, func(n *azurevnet.Network) *ClusterArgs {
			a := prodArgs(n)
			a.ContainerInsights = true
			return a
		})
		mc := inspect.MustNamed(t, m, tMC, "aks-aks")
		ws := inspect.MustNamed(t, m, tWS, "aks-logs")
		on, _ := inspect.Bool(mc.Inputs, "addonProfiles", MonitoringAddon, "enabled")
		assert.True(t, on)
		assert.Equal(t, "true", inspect.Str(mc.Inputs, "addonProfiles", MonitoringAddon, "config", "useAADAuth"))
		assert.True(t, inspect.DependsOnInput(mc, "addonProfiles", ws), "the add-on sends to the cluster's workspace")
		if !preview {
			assert.Equal(t, ws.ID, inspect.Str(mc.Inputs, "addonProfiles", MonitoringAddon, "config", "logAnalyticsWorkspaceResourceID"))
			assert.Equal(t, mc.ID, inspect.Await(t, c.ClusterID).Value)
			assert.Equal(t, inspect.Str(ws.Outputs, "name"), inspect.Await(t, c.LogAnalyticsWorkspaceName).Value)
		}

		m, _ = deploy(t, preview, prodArgs)
		mc = inspect.MustNamed(t, m, tMC, "aks-aks")
		assert.False(t, inspect.Has(mc.Inputs, "addonProfiles"), "no add-on without ContainerInsights")
	})
}
