package logging

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/clusteraddons/eck"
	"github.com/opendataplatform/dataplatform/components/elasticsearch"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

type policy struct {
	name string
	ns   pulumi.StringInput
	spec *networkingv1.NetworkPolicySpecArgs
}

// networkPolicies: the shipper's namespace denies everything, then its pods may resolve names, reach
// the API server (the kubernetes filter, the CA init container; the "kubernetes" Service's ClusterIP
// is DNAT'ed to the API server's endpoints before NetworkPolicies apply, so the rule names those) and
// Elasticsearch's HTTP port. Elasticsearch's namespace admits the shipper's namespace on 9200 to the
// Elasticsearch pods only. The scraper's ingress on MetricsPort is the monitoring stack's (it adds a
// policy beside each scrape target).
func (b *builder) networkPolicies() ([]pulumi.Resource, error) {
	a := b.args
	all := &metav1.LabelSelectorArgs{}
	egress := pulumi.ToStringArray([]string{"Egress"})
	esPods := &metav1.LabelSelectorArgs{MatchLabels: eck.ElasticsearchPodSelector()}
	es := &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{
		"common.k8s.elastic.co/type": pulumi.String("elasticsearch"), "elasticsearch.k8s.elastic.co/cluster-name": pulumi.String(elasticsearch.ClusterName),
	}}
	specs := []policy{
		{"logging-default-deny", a.Namespace, &networkingv1.NetworkPolicySpecArgs{PodSelector: all, PolicyTypes: pulumi.ToStringArray([]string{"Ingress", "Egress"})}},
		{"logging-allow-dns", a.Namespace, &networkingv1.NetworkPolicySpecArgs{PodSelector: all, PolicyTypes: egress,
			Egress: networkingv1.NetworkPolicyEgressRuleArray{k8snet.DNSEgress()}}},
		{"logging-allow-kube-api", a.Namespace, &networkingv1.NetworkPolicySpecArgs{PodSelector: all, PolicyTypes: egress,
			Egress: networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
				To: k8snet.Peers(nil, a.APIServerCIDRs), Ports: k8snet.TCPPorts(443, 6443),
			}}}},
		{"logging-allow-elasticsearch", a.Namespace, &networkingv1.NetworkPolicySpecArgs{PodSelector: all, PolicyTypes: egress,
			Egress: networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
				To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
					NamespaceSelector: k8snet.NamespaceSelector(a.DataNamespaceName), PodSelector: esPods,
				}},
				Ports: k8snet.TCPPorts(elasticsearch.HTTPPort),
			}}}},
		{"elasticsearch-allow-logging", a.DataNamespace, &networkingv1.NetworkPolicySpecArgs{PodSelector: es,
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
					NamespaceSelector: k8snet.NamespaceSelector(a.NamespaceName),
					PodSelector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(Selector())},
				}},
				Ports: k8snet.TCPPorts(elasticsearch.HTTPPort),
			}}}},
	}
	var out []pulumi.Resource
	for _, s := range specs {
		p, err := networkingv1.NewNetworkPolicy(b.ctx, b.name+"-"+s.name, &networkingv1.NetworkPolicyArgs{
			Metadata: b.meta(s.name, s.ns, map[string]string{"app.kubernetes.io/component": "network"}), Spec: s.spec,
		}, b.child)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
