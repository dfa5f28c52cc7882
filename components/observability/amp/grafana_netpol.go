package amp

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

// The Pod Identity agent's container credentials endpoint: link-local addresses on every node, port
// 80 (EKS user guide pod-id-how-it-works: AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/
// v1/credentials, and [fd00:ec2::23] on IPv6) — the addresses aws-sdk-go v1.55.7 admits
// (defaults.go eksContainerIPv4/IPv6).
const (
	podIdentityAgentV4 = "169.254.170.23/32"
	podIdentityAgentV6 = "fd00:ec2::23/128"
)

// grafanaPodLabels select Grafana's pods (templates/_helpers.tpl grafana.selectorLabels:
// app.kubernetes.io/name is the chart's name, app.kubernetes.io/instance the release).
func grafanaPodLabels() pulumi.StringMap {
	return pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(GrafanaChart), "app.kubernetes.io/instance": pulumi.String(grafanaRelease)}
}

// GrafanaPolicyNames are the namespace's NetworkPolicies, in order; allow-alb-to-grafana only with
// the edge.
var GrafanaPolicyNames = []string{"default-deny", "grafana-egress", "allow-alb-to-grafana"}

// grafanaPolicies close the namespace in both directions and open what Grafana's pod needs:
//   - ingress on Grafana's port from the load balancer's subnets only (with the edge): the ALB
//     targets pod addresses (target type ip, components/edge/awsgateway) from its own subnets, which
//     hold no pods (stacks/aws.go awsEdgeFoundation), so nothing else in the VPC reaches Grafana;
//   - egress to the cluster DNS;
//   - egress on TCP 443 to any address: the proxy to the workspace's endpoint
//     (aps-workspaces.<region>.amazonaws.com), which the VPC reaches through the NAT gateways — the
//     VPC has no aps-workspaces interface endpoint (components/network/awsvpc interfaceEndpointServices),
//     and the service's addresses are AWS's public ranges, not a fixed list — and the dashboards
//     sidecar to the API server (the kubernetes Service, 443 on EKS), whose addresses the stack does
//     not know here;
//   - egress on TCP 80 to the Pod Identity agent, where the proxy's SDK fetches the role's credentials.
//
// Nothing else runs in the namespace.
func grafanaPolicies(ctx *pulumi.Context, name string, a *GrafanaArgs, ns pulumi.StringOutput, labels pulumi.StringMap, k8s pulumi.ResourceOption) ([]pulumi.Resource, error) {
	grafana := &metav1.LabelSelectorArgs{MatchLabels: grafanaPodLabels()}
	ipBlock := func(cidr string) *networkingv1.NetworkPolicyPeerArgs {
		return &networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(cidr)}}
	}
	specs := []*networkingv1.NetworkPolicySpecArgs{
		{PodSelector: &metav1.LabelSelectorArgs{}, PolicyTypes: pulumi.ToStringArray([]string{"Ingress", "Egress"})},
		{
			PodSelector: grafana, PolicyTypes: pulumi.ToStringArray([]string{"Egress"}),
			Egress: networkingv1.NetworkPolicyEgressRuleArray{
				k8snet.DNSEgress(),
				&networkingv1.NetworkPolicyEgressRuleArgs{To: networkingv1.NetworkPolicyPeerArray{ipBlock("0.0.0.0/0"), ipBlock("::/0")}, Ports: k8snet.TCPPorts(443)},
				&networkingv1.NetworkPolicyEgressRuleArgs{To: networkingv1.NetworkPolicyPeerArray{ipBlock(podIdentityAgentV4), ipBlock(podIdentityAgentV6)}, Ports: k8snet.TCPPorts(80)},
			},
		},
	}
	if a.Domain != "" {
		specs = append(specs, &networkingv1.NetworkPolicySpecArgs{
			PodSelector: grafana, PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From: k8snet.Peers(nil, a.EdgeCIDRs), Ports: k8snet.TCPPorts(GrafanaPort),
			}},
		})
	}
	var out []pulumi.Resource
	for i, spec := range specs {
		np, err := networkingv1.NewNetworkPolicy(ctx, name+"-"+GrafanaPolicyNames[i], &networkingv1.NetworkPolicyArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(GrafanaPolicyNames[i]), Namespace: ns, Labels: labels},
			Spec:     spec,
		}, k8s)
		if err != nil {
			return nil, err
		}
		out = append(out, np)
	}
	return out, nil
}
