package clusteraddons

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheck(t *testing.T) {
	pools := []Pool{{"system", 1, 1}, {"workloads", 2, 6}}
	assert.ErrorContains(t, Check(pools, Provided{Metrics: MetricsServer}, true), `pool "workloads" may grow from 2 to 6`)
	assert.ErrorContains(t, Check(pools, Provided{Autoscaler: ClusterAutoscaler}, true), "metrics.k8s.io")
	assert.NoError(t, Check(pools, Provided{Autoscaler: ClusterAutoscaler, Metrics: MetricsServer}, true))
	assert.NoError(t, Check([]Pool{{"fixed", 2, 2}}, Provided{}, false))
	assert.False(t, Pool{"p", 3, 3}.Growable())
	assert.True(t, Pool{"p", 1, 3}.Growable())
}
