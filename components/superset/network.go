package superset

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

// networkPolicies opens, in the default-deny apps namespace, the flows Superset needs: the edge to
// the web port, Superset to the metadata database (another namespace or a managed server), to
// Valkey and to Dremio's Flight port. DNS is the namespace baseline's (k8snet allow-dns). The
// baseline also allows traffic inside the namespace, so the Valkey and Dremio rules state the
// flows rather than open them; Valkey's password and TLS are what keep other apps pods out.
func (b *builder) networkPolicies() error {
	a := b.a
	supersetPods := &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("superset")}}
	type policy struct {
		logical, objName string
		spec             *networkingv1.NetworkPolicySpecArgs
	}
	var policies []policy

	if from := k8snet.Peers(a.ClientNamespaces, a.ClientCIDRs); len(from) > 0 {
		policies = append(policies, policy{"ingress-web", "superset-ingress-web", &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(selector(roleWeb))},
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress")},
			Ingress:     networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{From: from, Ports: k8snet.TCPPorts(WebPort)}},
		}})
	}

	dbPeers := networkingv1.NetworkPolicyPeerArray{}
	if a.DatabaseNamespace != "" {
		dbPeers = append(dbPeers, &networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: k8snet.NamespaceSelector(a.DatabaseNamespace)})
	}
	for _, c := range a.DatabaseCIDRs {
		dbPeers = append(dbPeers, &networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(c)}})
	}
	valkeyPods := &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(valkeyName)}}
	dremioPods := &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("dremio")}}
	policies = append(policies,
		policy{"egress", "superset-egress", &networkingv1.NetworkPolicySpecArgs{
			PodSelector: supersetPods,
			PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress: networkingv1.NetworkPolicyEgressRuleArray{
				&networkingv1.NetworkPolicyEgressRuleArgs{To: dbPeers, Ports: k8snet.TCPPorts(a.Database.Port)},
				&networkingv1.NetworkPolicyEgressRuleArgs{
					To:    networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{PodSelector: valkeyPods}},
					Ports: k8snet.TCPPorts(ValkeyPort),
				},
				&networkingv1.NetworkPolicyEgressRuleArgs{
					To:    networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{PodSelector: dremioPods}},
					Ports: k8snet.TCPPorts(a.DremioFlightPort),
				},
			},
		}},
		policy{"valkey-ingress", "superset-valkey-ingress", &networkingv1.NetworkPolicySpecArgs{
			PodSelector: valkeyPods,
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress")},
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From:  networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{PodSelector: supersetPods}},
				Ports: k8snet.TCPPorts(ValkeyPort),
			}},
		}},
	)
	for _, p := range policies {
		np, err := networkingv1.NewNetworkPolicy(b.ctx, b.name+"-"+p.logical, &networkingv1.NetworkPolicyArgs{
			Metadata: b.meta(p.objName, map[string]string{"app.kubernetes.io/name": "superset"}),
			Spec:     p.spec,
		}, b.opts()...)
		if err != nil {
			return err
		}
		b.policies = append(b.policies, np)
	}
	return nil
}
