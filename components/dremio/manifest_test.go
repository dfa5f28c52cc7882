package dremio

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/opendataplatform/dataplatform/tests/harness"
)

// plain turns recorded inputs into plain Go values, secrets unwrapped.
func plain(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsObject():
		m := map[string]any{}
		for k, e := range v.ObjectValue() {
			m[string(k)] = plain(e)
		}
		return m
	case v.IsArray():
		out := make([]any, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			out[i] = plain(e)
		}
		return out
	case v.IsComputed(), v.IsOutput():
		return nil
	}
	return v.V
}

// decodeStrict decodes a Kubernetes resource's recorded inputs into a k8s.io/api type, refusing
// unknown fields: a misspelt or misplaced field fails the test instead of being dropped by the API.
func decodeStrict(t *testing.T, r *harness.Resource, into any) {
	t.Helper()
	require.NotNil(t, r)
	b, err := json.Marshal(plain(resource.NewObjectProperty(r.Inputs)))
	require.NoError(t, err)
	require.NoError(t, yaml.UnmarshalStrict(b, into), "strict decode of %s %s", r.Type, r.Name)
}

// checkSelector asserts the selector is valid and matches the pod template's labels.
func checkSelector(t *testing.T, name string, sel *metav1.LabelSelector, podLabels map[string]string) {
	t.Helper()
	require.NotNil(t, sel, "%s: selector", name)
	s, err := metav1.LabelSelectorAsSelector(sel)
	require.NoError(t, err)
	require.False(t, s.Empty(), "%s: empty selector selects everything", name)
	require.True(t, s.Matches(labels.Set(podLabels)), "%s: selector %v does not match template labels %v", name, sel, podLabels)
}

// statefulSet decodes one recorded StatefulSet strictly and checks its selector.
func statefulSet(t *testing.T, m *harness.Mocks, name string) *appsv1.StatefulSet {
	t.Helper()
	var sts appsv1.StatefulSet
	decodeStrict(t, m.Named(stsType, name), &sts)
	checkSelector(t, name, sts.Spec.Selector, sts.Spec.Template.Labels)
	return &sts
}
