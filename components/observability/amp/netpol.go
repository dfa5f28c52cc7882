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
	return nil
}
