package aks

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestEdgeOutputs: the node resource group's ID (the ALB Controller's Reader and AGC Configuration
// Manager scope) and the control plane's principal (granted the edge's static public IP) come out of
// the cluster.
func TestEdgeOutputs(t *testing.T) {
	m, c := deploy(t, false, devArgs)
	rg, err := internals.UnsafeAwaitOutput(t.Context(), c.NodeResourceGroupID)
	require.NoError(t, err)
	mc := inspect.MustNamed(t, m, tMC, "aks-aks")
	nodeRG := mc.Outputs["nodeResourceGroup"].StringValue()
	assert.Contains(t, nodeRG, "MC_dataplatform-prod_")
	assert.Equal(t, subPrefix+"/resourceGroups/"+nodeRG, rg.Value)
	pid, err := internals.UnsafeAwaitOutput(t.Context(), c.ControlPlanePrincipalID)
	require.NoError(t, err)
	id := inspect.MustNamed(t, m, tUAI, "aks-identity")
	assert.NotEmpty(t, pid.Value)
	assert.Equal(t, id.Outputs["principalId"].StringValue(), pid.Value)
}
