package k8snet

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestAddonNamespace: an add-on's namespace carries the platform's labels, the caller's, and the Pod
// Security level enforced, audited and warned alike; protection is the caller's option; an unknown
// level is refused before anything is registered.
func TestAddonNamespace(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "prod", preview)
		require.NoError(t, m.Run(func(ctx *pulumi.Context) error {
			_, err := NewAddonNamespace(ctx, "op-namespace", "operator-system", "restricted",
				PartOfLabels(map[string]string{"team": "data"}), pulumi.Protect(true))
			return err
		}, nil))
		ns := inspect.MustNamed(t, m, "kubernetes:core/v1:Namespace", "op-namespace")
		assert.True(t, ns.Protect)
		assert.Equal(t, "operator-system", inspect.Str(ns.Inputs, "metadata", "name"))
		for k, v := range map[string]string{
			"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/audit": "restricted",
			"pod-security.kubernetes.io/warn": "restricted", "app.kubernetes.io/part-of": "dataplatform",
			"app.kubernetes.io/managed-by": "pulumi", "team": "data",
		} {
			assert.Equal(t, v, inspect.Str(ns.Inputs, "metadata", "labels", k), k)
		}
	})
	m := mockcloud.New("dataplatform", "dev", false)
	err := m.Run(func(ctx *pulumi.Context) error {
		_, err := NewAddonNamespace(ctx, "op-namespace", "operator-system", "strict", nil)
		return err
	}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"strict"`)
	assert.Nil(t, m.Named("kubernetes:core/v1:Namespace", "op-namespace"))
}
