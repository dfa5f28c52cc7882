package kubeprometheus

import (
	"fmt"
	"net"
	"strconv"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/observability"
)

// Ports of the cluster's own scrape targets, as kube-prometheus-stack 88.5.3 scrapes them
// (charts/kube-prometheus-stack/values.yaml): the kubelet's https-metrics endpoint (kubelet.
// serviceMonitor.https, kubelet and cAdvisor on 10250) and CoreDNS (coreDns.service.port 9153,
// pods k8s-app=kube-dns); node-exporter runs on the host network (prometheus-node-exporter 4.56.1
// values.yaml hostNetwork: true, service.port 9100), so Prometheus reaches it at the node's address.
const (
	kubeletPort      = 10250
	nodeExporterPort = 9100
	coreDNSPort      = 9153
)

// podsNamed selects the monitoring namespace's pods of one app: the operator labels the pods of its
// StatefulSets app.kubernetes.io/name=prometheus / alertmanager (prometheus-operator v0.93.1
// pkg/prometheus/statefulset.go, pkg/alertmanager/statefulset.go).
func podsNamed(app string) *metav1.LabelSelectorArgs {
	return &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(app)}}
}

// ReceiverPort is the TCP port Alertmanager sends to: the SMTP relay's (Smarthost host:port) for
// email, webhookPort for a webhook (its URL is a secret the component never reads; 0: 443, an https
// URL without a port), 0 without a receiver.
func ReceiverPort(r observability.Receiver, webhookPort int) (int, error) {
	switch r.Kind {
	case observability.Email:
		_, p, err := net.SplitHostPort(r.Smarthost)
		if err != nil {
			return 0, fmt.Errorf("kubeprometheus: Receiver.Smarthost = %q: host:port", r.Smarthost)
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return 0, fmt.Errorf("kubeprometheus: Receiver.Smarthost = %q: a port 1–65535", r.Smarthost)
		}
		return n, nil
	case observability.Webhook:
		if webhookPort == 0 {
			return 443, nil
		}
		if webhookPort < 1 || webhookPort > 65535 {
			return 0, fmt.Errorf("kubeprometheus: WebhookPort = %d: the webhook URL's port, 1–65535", webhookPort)
		}
		return webhookPort, nil
	}
	return 0, nil
}

// egressPolicies close the monitoring namespace to egress except what its pods need:
//   - every pod: the cluster DNS, the namespace's own pods (Grafana → Prometheus and Alertmanager,
//     Prometheus → Alertmanager, kube-state-metrics, the operator and Grafana's own metrics,
//     Alertmanager's peers), the API server on 443/6443 (APIServerCIDRs; the operator, kube-state-
//     metrics, Grafana's sidecars and Prometheus's service discovery watch it);
//   - Prometheus: each scrape target's pods on its metrics port only, the kubelets and node-exporter
//     on their ports (10250, 9100) and CoreDNS's metrics port;
//   - Alertmanager: the receiver's port at any address (an SMTP relay or a webhook is named by host,
//     which a NetworkPolicy cannot select).
func egressPolicies(ctx *pulumi.Context, name string, a *Args, spec observability.Spec, ns pulumi.StringOutput, labels pulumi.StringMap, child pulumi.ResourceOption) ([]pulumi.Resource, error) {
	egress := pulumi.ToStringArray([]string{"Egress"})
	all := &metav1.LabelSelectorArgs{}
	scrape := networkingv1.NetworkPolicyEgressRuleArray{}
	for _, t := range spec.Targets {
		scrape = append(scrape, &networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
				NamespaceSelector: k8snet.NamespaceSelector(t.Namespace),
				PodSelector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(t.Selector)},
			}},
			Ports: k8snet.TCPPorts(t.PortNumber),
		})
	}
	scrape = append(scrape,
		// No peer: the ports at any address. The nodes' addresses are not known when the plan is made,
		// and Cilium (AKS's dataplane, where this stack also runs) refuses an ipBlock that covers node
		// addresses (MicrosoftDocs/azure-aks-docs articles/aks/azure-cni-powered-by-cilium.md,
		// Limitations), so a range would cut Prometheus off the kubelets there.
		&networkingv1.NetworkPolicyEgressRuleArgs{Ports: k8snet.TCPPorts(kubeletPort, nodeExporterPort)},
		&networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
				NamespaceSelector: k8snet.NamespaceSelector("kube-system"),
				PodSelector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"k8s-app": pulumi.String("kube-dns")}},
			}},
			Ports: k8snet.TCPPorts(coreDNSPort),
		})
	specs := []policy{
		{"deny-egress", "default-deny-egress", &networkingv1.NetworkPolicySpecArgs{PodSelector: all, PolicyTypes: egress}},
		{"allow-egress-baseline", "allow-egress-baseline", &networkingv1.NetworkPolicySpecArgs{
			PodSelector: all, PolicyTypes: egress,
			Egress: networkingv1.NetworkPolicyEgressRuleArray{
				k8snet.DNSEgress(),
				&networkingv1.NetworkPolicyEgressRuleArgs{To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{PodSelector: all}}},
				&networkingv1.NetworkPolicyEgressRuleArgs{To: k8snet.Peers(nil, a.APIServerCIDRs), Ports: k8snet.TCPPorts(443, 6443)},
			},
		}},
		{"allow-prometheus-scrape", "allow-prometheus-scrape", &networkingv1.NetworkPolicySpecArgs{
			PodSelector: podsNamed("prometheus"), PolicyTypes: egress, Egress: scrape,
		}},
	}
	port, err := ReceiverPort(spec.Receiver, a.WebhookPort)
	if err != nil {
		return nil, err
	}
	if port > 0 {
		specs = append(specs, policy{"allow-alertmanager-receiver", "allow-alertmanager-receiver", &networkingv1.NetworkPolicySpecArgs{
			PodSelector: podsNamed("alertmanager"), PolicyTypes: egress,
			Egress: networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
				To: k8snet.Peers(nil, []string{"0.0.0.0/0"}), Ports: k8snet.TCPPorts(port),
			}},
		}})
	}
	return createPolicies(ctx, name, specs, ns, labels, child)
}
