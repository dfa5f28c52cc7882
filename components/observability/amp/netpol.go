package amp

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

// admitCollector lets the managed collector reach each target's pods on the metrics port only. The
// collector scrapes through network interfaces it places in SubnetIDs (AMP user guide
// AMP-collector.md: "creates an Elastic Network Interface (ENI) per subnet specified"), so its source
// addresses are those subnets' (CollectorCIDRs); the VPC CNI enforces NetworkPolicies on them like on
// any peer. NetworkPolicies add up: the targets' own default-deny and allow policies stay as they are.
func admitCollector(ctx *pulumi.Context, name string, a *Args, parent pulumi.ResourceOption) error {
	for _, t := range a.Spec.Targets {
		if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-"+t.Name+"-allow-collector", &networkingv1.NetworkPolicyArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name: pulumi.String("allow-amp-collector-" + t.Name), Namespace: pulumi.String(t.Namespace),
				Labels: k8snet.PartOfLabels(nil),
			},
			Spec: &networkingv1.NetworkPolicySpecArgs{
				PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(t.Selector)},
				PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
				Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
					From: k8snet.Peers(nil, a.CollectorCIDRs), Ports: k8snet.TCPPorts(t.PortNumber),
				}},
			},
		}, parent, pulumi.Provider(a.KubernetesProvider), pulumi.DependsOn(a.After)); err != nil {
			return err
		}
	}
	if ns := a.KubeStateMetricsNamespace; ns != "" {
		// kube-state-metrics' /metrics describes every pod, label and annotation of the cluster: only
		// the collector may read it. The add-on's namespace holds nothing else (community-addons.adoc),
		// so the policy selects every pod there; ingress only — kube-state-metrics' own egress to the
		// API server is not restricted. It waits (After) for the add-on, which creates the namespace.
		if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-kube-state-metrics-allow-collector", &networkingv1.NetworkPolicyArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name: pulumi.String("allow-amp-collector-kube-state-metrics"), Namespace: pulumi.String(ns),
				Labels: k8snet.PartOfLabels(nil),
			},
			Spec: &networkingv1.NetworkPolicySpecArgs{
				PodSelector: &metav1.LabelSelectorArgs{},
				PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
				Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
					From: k8snet.Peers(nil, a.CollectorCIDRs), Ports: k8snet.TCPPorts(KubeStateMetricsPort),
				}},
			},
		}, parent, pulumi.Provider(a.KubernetesProvider), pulumi.DependsOn(a.After)); err != nil {
			return err
		}
	}
	return nil
}
