package kubeprometheus

import (
	apiextensions "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/observability"
)

// prometheusPods are the Prometheus server pods: the operator labels every pod of a Prometheus
// StatefulSet app.kubernetes.io/name=prometheus (prometheus-operator v0.93.1 pkg/prometheus/
// statefulset.go), whichever release created it.
func prometheusPods() networkingv1.NetworkPolicyPeerArray {
	return networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
		NamespaceSelector: k8snet.NamespaceSelector(Namespace),
		PodSelector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("prometheus")}},
	}}
}

// admitPrometheus lets Prometheus reach one target's pods on its metrics port only. NetworkPolicies
// add up: the target's own default-deny and allow policies stay as they are.
func admitPrometheus(ctx *pulumi.Context, name string, t observability.ScrapeTarget, labels pulumi.StringMap, child, after pulumi.ResourceOption) error {
	_, err := networkingv1.NewNetworkPolicy(ctx, name+"-"+t.Name+"-allow-prometheus", &networkingv1.NetworkPolicyArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("allow-prometheus-" + t.Name), Namespace: pulumi.String(t.Namespace), Labels: labels},
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(t.Selector)},
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From: prometheusPods(), Ports: k8snet.TCPPorts(t.PortNumber),
			}},
		},
	}, child, after)
	return err
}

// namespacePolicies close the monitoring namespace to ingress except: its own pods among themselves
// (Grafana → Prometheus and Alertmanager, Prometheus → Alertmanager, kube-state-metrics and the
// operator, Alertmanager peers) and the edge to Grafana's container port. The operator's admission
// webhook is off (values.go), so the API server needs no way in. A cloud load balancer that proxies
// to the pods from its own subnet (EdgeCIDRs) is admitted to Grafana like the edge's namespace.
// node-exporter runs on the host network, where NetworkPolicies do not apply. Egress is denied by
// default and opened per flow by egressPolicies (egress.go).
func namespacePolicies(ctx *pulumi.Context, name string, a *Args, ns pulumi.StringOutput, labels pulumi.StringMap, child pulumi.ResourceOption) ([]pulumi.Resource, error) {
	ingress := pulumi.ToStringArray([]string{"Ingress"})
	specs := []policy{
		{"deny-ingress", "default-deny-ingress", &networkingv1.NetworkPolicySpecArgs{PodSelector: &metav1.LabelSelectorArgs{}, PolicyTypes: ingress}},
		{"allow-namespace", "allow-same-namespace", &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{}, PolicyTypes: ingress,
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{PodSelector: &metav1.LabelSelectorArgs{}}},
			}},
		}},
	}
	if a.EdgeNamespace != "" {
		from := networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: k8snet.NamespaceSelector(a.EdgeNamespace)}}
		for _, cidr := range a.EdgeCIDRs {
			from = append(from, &networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(cidr)}})
		}
		specs = append(specs, policy{"allow-edge", "allow-edge-to-grafana", &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("grafana")}},
			PolicyTypes: ingress,
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From:  from,
				Ports: k8snet.TCPPorts(grafanaContainerPort),
			}},
		}})
	}
	return createPolicies(ctx, name, specs, ns, labels, child)
}

// policy is one NetworkPolicy of the monitoring namespace: its Pulumi name's suffix, its object name
// and its spec.
type policy struct {
	suffix, object string
	spec           *networkingv1.NetworkPolicySpecArgs
}

// createPolicies registers the policies in the monitoring namespace, in order.
func createPolicies(ctx *pulumi.Context, name string, specs []policy, ns pulumi.StringOutput, labels pulumi.StringMap, child pulumi.ResourceOption) ([]pulumi.Resource, error) {
	var out []pulumi.Resource
	for _, s := range specs {
		np, err := networkingv1.NewNetworkPolicy(ctx, name+"-"+s.suffix, &networkingv1.NetworkPolicyArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(s.object), Namespace: ns, Labels: labels},
			Spec:     s.spec,
		}, child)
		if err != nil {
			return nil, err
		}
		out = append(out, np)
	}
	return out, nil
}

// rulesAndDashboards renders the alert rules as one PrometheusRule (spec.groups, the Prometheus rule
// file shape; prometheus-operator v0.93.1 monitoring.coreos.com_prometheusrules.yaml) and each
// dashboard as a ConfigMap the Grafana sidecar loads.
func rulesAndDashboards(ctx *pulumi.Context, name string, spec observability.Spec, runbookBase string, ns pulumi.StringOutput, labels pulumi.StringMap, child, after pulumi.ResourceOption) error {
	if groups := spec.RuleGroups("dataplatform", runbookBase); len(groups) > 0 {
		gs := []any{}
		for _, g := range groups {
			rules := []any{}
			for _, r := range g.Rules {
				rules = append(rules, r)
			}
			gs = append(gs, map[string]any{"name": g.Name, "rules": rules})
		}
		if _, err := apiextensions.NewCustomResource(ctx, name+"-rules", &apiextensions.CustomResourceArgs{
			ApiVersion:  pulumi.String(monitoringAPI),
			Kind:        pulumi.String("PrometheusRule"),
			Metadata:    &metav1.ObjectMetaArgs{Name: pulumi.String("dataplatform"), Namespace: ns, Labels: labels},
			OtherFields: map[string]any{"spec": map[string]any{"groups": gs}},
		}, child, after); err != nil {
			return err
		}
	}
	for _, d := range spec.Dashboards {
		doc, err := d.GrafanaJSON(DatasourceUID)
		if err != nil {
			return err
		}
		l := pulumi.StringMap{DashboardLabel: pulumi.String("1")}
		for k, v := range labels {
			l[k] = v
		}
		if _, err := corev1.NewConfigMap(ctx, name+"-dashboard-"+d.UID, &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("dashboard-" + d.UID), Namespace: ns, Labels: l},
			Data:     pulumi.StringMap{d.UID + ".json": pulumi.String(doc)},
		}, child, after); err != nil {
			return err
		}
	}
	return nil
}
