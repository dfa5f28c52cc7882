package eksaddons

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

func runKSM(t *testing.T, preview bool, a *KubeStateMetricsArgs) (*mockcloud.Mocks, error) {
	return runAddon(preview, func(ctx *pulumi.Context, k *kubernetes.Provider, p pulumi.ResourceOption) error {
		if a.Provider == nil {
			a.Provider = k
		}
		_, err := NewKubeStateMetrics(ctx, "ksm", a, p)
		return err
	})
}

// TestKubeStateMetricsIsTheCommunityAddon: kube-state-metrics is the EKS community add-on at the
// version EKS resolves for the control plane, created once the cluster's provider (its nodes) is up,
// and the component names the namespace the add-on runs it in, which the collector scrapes.
func TestKubeStateMetricsIsTheCommunityAddon(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := &KubeStateMetricsArgs{Cluster: pulumi.String("dataplatform-dev"), KubernetesVersion: "1.34", Tags: map[string]string{"env": "dev"}}
		m, err := runKSM(t, preview, a)
		require.NoError(t, err)
		addon := inspect.MustNamed(t, m, "aws:eks/addon:Addon", "ksm-addon")
		assert.Equal(t, "kube-state-metrics", inspect.Str(addon.Inputs, "addonName"))
		assert.Equal(t, "v1.0.0-eksbuild.1", inspect.Str(addon.Inputs, "addonVersion"), "the version the invoke resolved")
		assert.Equal(t, "OVERWRITE", inspect.Str(addon.Inputs, "resolveConflictsOnUpdate"))
		assert.Equal(t, "dev", inspect.Str(addon.Inputs, "tags", "env"))
		if !preview {
			assert.Equal(t, "dataplatform-dev", inspect.Str(addon.Inputs, "clusterName"))
		}
		var k8s *mockcloud.Resource
		for _, r := range m.Resources() {
			if r.Type == "pulumi:providers:kubernetes" {
				k8s = r
			}
		}
		require.NotNil(t, k8s)
		assert.True(t, m.DependsOn(addon, k8s), "the add-on waits for the cluster's nodes (the provider)")
		assert.Equal(t, "kube-state-metrics", KubeStateMetricsNamespace)
	})
}

// TestKubeStateMetricsRefusesBadInput: a missing cluster or provider, a version that is not a minor,
// and a reserved tag key are errors before anything is registered.
func TestKubeStateMetricsRefusesBadInput(t *testing.T) {
	for name, a := range map[string]*KubeStateMetricsArgs{
		"version": {Cluster: pulumi.String("c"), KubernetesVersion: "latest"},
		"cluster": {KubernetesVersion: "1.34"},
		"tag":     {Cluster: pulumi.String("c"), KubernetesVersion: "1.34", Tags: map[string]string{"aws:x": "y"}},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := runKSM(t, false, a)
			require.Error(t, err)
			for _, r := range m.Resources() {
				assert.NotEqual(t, "aws:eks/addon:Addon", r.Type)
			}
		})
	}
}
