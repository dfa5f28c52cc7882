package cnpg

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// networkPolicies opens, in the default-deny data namespace, exactly the flows the database needs:
// clients to PostgreSQL through the pooler (and directly, for migrations), the operator to the
// instance managers' status port, and the instance and pooler managers to the Kubernetes API, which
// they watch. Replication, backups to the in-namespace store and pooler-to-instance traffic stay
// inside the namespace, which the base policies allow.
func networkPolicies(ctx *pulumi.Context, name string, parent pulumi.ResourceOption, args *MetadataDBArgs,
	meta func(string, pulumi.StringInput, string) *metav1.ObjectMetaArgs, clusterName, poolerName, operatorNS string,
) error {
	instances := &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"cnpg.io/cluster": pulumi.String(clusterName)}}
	poolers := &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"cnpg.io/poolerName": pulumi.String(poolerName)}}
	tcp := func(p int) *networkingv1.NetworkPolicyPortArgs {
		return &networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(p)}
	}
	fromNamespaces := func(names ...string) networkingv1.NetworkPolicyPeerArray {
		return networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
			NamespaceSelector: &metav1.LabelSelectorArgs{MatchExpressions: metav1.LabelSelectorRequirementArray{
				&metav1.LabelSelectorRequirementArgs{
					Key: pulumi.String("kubernetes.io/metadata.name"), Operator: pulumi.String("In"), Values: pulumi.ToStringArray(names),
				},
			}},
		}}
	}
	ingress := pulumi.StringArray{pulumi.String("Ingress")}
	egress := pulumi.StringArray{pulumi.String("Egress")}

	instanceRules := networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
		From:  fromNamespaces(operatorNS),
		Ports: networkingv1.NetworkPolicyPortArray{tcp(statusPort)},
	}}
	if len(args.ClientNamespaces) > 0 {
		instanceRules = append(instanceRules, &networkingv1.NetworkPolicyIngressRuleArgs{
			From:  fromNamespaces(args.ClientNamespaces...),
			Ports: networkingv1.NetworkPolicyPortArray{tcp(port)},
		})
	}
	policies := []struct {
		suffix string
		spec   *networkingv1.NetworkPolicySpecArgs
	}{
		{"allow-ingress", &networkingv1.NetworkPolicySpecArgs{PodSelector: instances, PolicyTypes: ingress, Ingress: instanceRules}},
		// The Kubernetes API: the "kubernetes" Service's ClusterIP is DNAT'ed to the API server's
		// endpoints before NetworkPolicies apply, so the rule names those endpoints' addresses.
		{"allow-kube-api", &networkingv1.NetworkPolicySpecArgs{PodSelector: instances, PolicyTypes: egress, Egress: kubeAPI(tcp, args.APIServerCIDRs)}},
		{"pooler-allow-kube-api", &networkingv1.NetworkPolicySpecArgs{PodSelector: poolers, PolicyTypes: egress, Egress: kubeAPI(tcp, args.APIServerCIDRs)}},
	}
	if len(args.ClientNamespaces) > 0 {
		policies = append(policies, struct {
			suffix string
			spec   *networkingv1.NetworkPolicySpecArgs
		}{"pooler-allow-clients", &networkingv1.NetworkPolicySpecArgs{
			PodSelector: poolers, PolicyTypes: ingress,
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From:  fromNamespaces(args.ClientNamespaces...),
				Ports: networkingv1.NetworkPolicyPortArray{tcp(port)},
			}},
		}})
	}
	for _, p := range policies {
		if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-"+p.suffix, &networkingv1.NetworkPolicyArgs{
			Metadata: meta(clusterName+"-"+p.suffix, args.Namespace, "network-policy"),
			Spec:     p.spec,
		}, parent); err != nil {
			return err
		}
	}
	return nil
}

func kubeAPI(tcp func(int) *networkingv1.NetworkPolicyPortArgs, cidrs []string) networkingv1.NetworkPolicyEgressRuleArray {
	to := networkingv1.NetworkPolicyPeerArray{}
	for _, c := range cidrs {
		to = append(to, &networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(c)}})
	}
	return networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
		To:    to,
		Ports: networkingv1.NetworkPolicyPortArray{tcp(443), tcp(6443)},
	}}
}
