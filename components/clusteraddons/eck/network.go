package eck

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

// ElasticsearchPodSelector selects the Elasticsearch pods ECK creates (the label every node carries:
// pkg/controller/elasticsearch/label/label.go: commonv1.TypeLabelName = Type "elasticsearch"; the chart's own
// templates/operator-network-policy.yaml selects them the same way).
func ElasticsearchPodSelector() pulumi.StringMap {
	return pulumi.StringMap{"common.k8s.elastic.co/type": pulumi.String("elasticsearch")}
}

// networkPolicies isolate the operator's namespace: everything denied, then the operator may resolve
// names, reach the API server and the Elasticsearch API of the clusters in its managed namespaces,
// and the API server may call its webhook (from the control plane, whose addresses a managed cluster
// does not publish, so the port is admitted from anywhere). The managed namespaces admit the operator
// on 9200 themselves (package elasticsearch).
func networkPolicies(ctx *pulumi.Context, name string, ns pulumi.StringOutput, labels pulumi.StringMap, a *Args, child pulumi.ResourceOption) ([]pulumi.Resource, error) {
	all := &metav1.LabelSelectorArgs{}
	operator := &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(PodName)}}
	egress := pulumi.ToStringArray([]string{"Egress"})
	clusters := networkingv1.NetworkPolicyPeerArray{}
	for _, n := range a.ManagedNamespaces {
		clusters = append(clusters, &networkingv1.NetworkPolicyPeerArgs{
			NamespaceSelector: k8snet.NamespaceSelector(n),
			PodSelector:       &metav1.LabelSelectorArgs{MatchLabels: ElasticsearchPodSelector()},
		})
	}
	specs := []struct {
		suffix string
		spec   *networkingv1.NetworkPolicySpecArgs
	}{
		{"default-deny", &networkingv1.NetworkPolicySpecArgs{PodSelector: all, PolicyTypes: pulumi.ToStringArray([]string{"Ingress", "Egress"})}},
		{"allow-dns", &networkingv1.NetworkPolicySpecArgs{PodSelector: all, PolicyTypes: egress,
			Egress: networkingv1.NetworkPolicyEgressRuleArray{k8snet.DNSEgress()}}},
		// The "kubernetes" Service's ClusterIP is DNAT'ed to the API server's endpoints before
		// NetworkPolicies apply, so the rule names those endpoints.
		{"allow-kube-api", &networkingv1.NetworkPolicySpecArgs{PodSelector: operator, PolicyTypes: egress,
			Egress: networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
				To: k8snet.Peers(nil, a.APIServerCIDRs), Ports: k8snet.TCPPorts(443, 6443),
			}}}},
		{"allow-elasticsearch", &networkingv1.NetworkPolicySpecArgs{PodSelector: operator, PolicyTypes: egress,
			Egress: networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
				To: clusters, Ports: k8snet.TCPPorts(ElasticsearchHTTPPort),
			}}}},
		{"webhook-allow-api-server", &networkingv1.NetworkPolicySpecArgs{PodSelector: operator,
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				Ports: k8snet.TCPPorts(WebhookPort),
			}}}},
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
