package kubeprometheus

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestEdgeCIDRsAdmittedToGrafana: a load balancer proxying from its own subnet (AGC on azure) is
// admitted to Grafana's container port beside the edge's namespace, and nothing else is; without
// EdgeCIDRs the rule names the namespace alone. NamespaceResource is the monitoring namespace.
func TestEdgeCIDRsAdmittedToGrafana(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args()
		a.EdgeCIDRs = []string{"10.40.255.0/24"}
		m, mon, err := run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		np := inspect.MustNamed(t, m, npType, "monitoring-allow-edge")
		assert.Equal(t, 2, inspect.Len(np.Inputs, "spec", "ingress", 0, "from"))
		assert.Equal(t, "10.40.255.0/24", inspect.Str(np.Inputs, "spec", "ingress", 0, "from", 1, "ipBlock", "cidr"))
		assert.Equal(t, float64(grafanaContainerPort), inspect.Num(np.Inputs, "spec", "ingress", 0, "ports", 0, "port"))
		ns := inspect.MustNamed(t, m, "kubernetes:core/v1:Namespace", "monitoring-namespace")
		assert.NotNil(t, mon.NamespaceResource)
		assert.Equal(t, Namespace, inspect.Str(ns.Inputs, "metadata", "name"))

		m, _, err = run(t, preview, args())
		inspect.RequireRan(t, preview, err)
		np = inspect.MustNamed(t, m, npType, "monitoring-allow-edge")
		assert.Equal(t, 1, inspect.Len(np.Inputs, "spec", "ingress", 0, "from"))
	})
}
