package externalsecrets

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

// Pod labels of the chart's deployments (templates/_helpers.tpl external-secrets.selectorLabels,
// external-secrets-webhook.selectorLabels).
const (
	nameLabel      = "app.kubernetes.io/name"
	controllerName = "external-secrets"
	webhookName    = "external-secrets-webhook"
)

// networkPolicies isolate the operator's namespace: everything is denied, then each pod may resolve
// names and reach the API server, the controller may reach what its store needs, and the API server
// may call the webhook. The API server's calls come from the control plane, whose source addresses a
// cluster does not publish (a managed control plane's differ per cloud), so the webhook admits its
// port from any address; nothing else is admitted.
func networkPolicies(ctx *pulumi.Context, name string, ns pulumi.StringOutput, labels pulumi.StringMap, a *Args, child pulumi.ResourceOption) ([]pulumi.Resource, error) {
	all := &metav1.LabelSelectorArgs{}
	pods := func(n string) *metav1.LabelSelectorArgs {
		return &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{nameLabel: pulumi.String(n)}}
	}
	egressTypes := pulumi.ToStringArray([]string{"Egress"})
	specs := []struct {
		suffix string
		spec   *networkingv1.NetworkPolicySpecArgs
	}{
		{"default-deny", &networkingv1.NetworkPolicySpecArgs{PodSelector: all, PolicyTypes: pulumi.ToStringArray([]string{"Ingress", "Egress"})}},
		{"allow-dns", &networkingv1.NetworkPolicySpecArgs{PodSelector: all, PolicyTypes: egressTypes,
			Egress: networkingv1.NetworkPolicyEgressRuleArray{k8snet.DNSEgress()}}},
		// The "kubernetes" Service's ClusterIP is DNAT'ed to the API server's endpoints before
		// NetworkPolicies apply, so the rule names those endpoints.
		{"allow-kube-api", &networkingv1.NetworkPolicySpecArgs{PodSelector: all, PolicyTypes: egressTypes,
			Egress: networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
				To: k8snet.Peers(nil, a.APIServerCIDRs), Ports: k8snet.TCPPorts(443, 6443),
			}}}},
		{"webhook-allow-api-server", &networkingv1.NetworkPolicySpecArgs{PodSelector: pods(webhookName),
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				Ports: k8snet.TCPPorts(WebhookPort),
			}}}},
	}
	if len(a.Settings.Egress) > 0 {
		rules := networkingv1.NetworkPolicyEgressRuleArray{}
		for _, e := range a.Settings.Egress {
			rules = append(rules, &networkingv1.NetworkPolicyEgressRuleArgs{To: k8snet.Peers(nil, []string{e.CIDR}), Ports: k8snet.TCPPorts(e.TCPPorts...)})
		}
		specs = append(specs, struct {
			suffix string
			spec   *networkingv1.NetworkPolicySpecArgs
		}{"controller-allow-store", &networkingv1.NetworkPolicySpecArgs{PodSelector: pods(controllerName), PolicyTypes: egressTypes, Egress: rules}})
	}
	var out []pulumi.Resource
	for _, s := range specs {
		p, err := networkingv1.NewNetworkPolicy(ctx, name+"-"+s.suffix, &networkingv1.NetworkPolicyArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(s.suffix), Namespace: ns, Labels: labels},
			Spec:     s.spec,
		}, child)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
