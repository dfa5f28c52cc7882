package dremio

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

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
func statefulSet(t *testing.T, m *mockcloud.Mocks, name string) *appsv1.StatefulSet {
	t.Helper()
	var sts appsv1.StatefulSet
	inspect.DecodeStrict(t, m.Named(stsType, name), &sts)
	checkSelector(t, name, sts.Spec.Selector, sts.Spec.Template.Labels)
	return &sts
}
