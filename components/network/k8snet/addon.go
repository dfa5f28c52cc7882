package k8snet

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PartOfLabels are the labels of every object the platform creates: part of dataplatform, managed by
// Pulumi, and the caller's own labels on top.
func PartOfLabels(extra map[string]string) pulumi.StringMap {
	labels := pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("dataplatform"), "app.kubernetes.io/managed-by": pulumi.String("pulumi")}
	for k, v := range extra {
		labels[k] = pulumi.String(v)
	}
	return labels
}

// NewAddonNamespace creates the namespace of a component that runs apart from the platform's three
// (an operator, a store): labels plus the Pod Security Standard level, enforced, audited and warned
// (pod-security.kubernetes.io/*; "privileged", "baseline" or "restricted"). Whether it is protected
// is the caller's: opts say so (a namespace holding volumes is a stateful leaf).
func NewAddonNamespace(ctx *pulumi.Context, resourceName, namespace, level string, labels pulumi.StringMap, opts ...pulumi.ResourceOption) (*corev1.Namespace, error) {
	switch level {
	case "privileged", "baseline", "restricted":
	default:
		return nil, fmt.Errorf("k8snet: Pod Security level %q of namespace %s; allowed: privileged, baseline, restricted", level, namespace)
	}
	nsLabels := pulumi.StringMap{
		"pod-security.kubernetes.io/enforce": pulumi.String(level),
		"pod-security.kubernetes.io/audit":   pulumi.String(level),
		"pod-security.kubernetes.io/warn":    pulumi.String(level),
	}
	for k, v := range labels {
		nsLabels[k] = v
	}
	return corev1.NewNamespace(ctx, resourceName, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(namespace), Labels: nsLabels},
	}, opts...)
}
