// Package k8snet is the platform's in-cluster network isolation: its namespaces, each with a default-deny
// NetworkPolicy, the allow rules every pod needs (DNS, traffic inside its own namespace), a LimitRange so
// that no container runs without requests and limits (apps and data; the jobs namespace's defaults
// belong to the workload that launches the jobs), and Pod Security admission labels.
//
// On the kubernetes target it is the whole Network; on the clouds it is deployed on the managed cluster,
// above the VPC/VNet. Components that need a flow across namespaces add their own NetworkPolicy.
package k8snet

import (
	"fmt"
	"net/netip"
	"regexp"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NetworkType is the component's type token.
const NetworkType = "dataplatform:kubernetes:Network"

// Role is what a namespace holds; it becomes the `dataplatform.io/role` label other policies select on.
type Role string

const (
	// Apps holds Airbyte, Dremio, Superset and dbt.
	Apps Role = "apps"
	// Data holds PostgreSQL, the object store and Elasticsearch when they run in-cluster.
	Data Role = "data"
	// Jobs holds Airbyte's sync job pods.
	Jobs Role = "jobs"
)

// RoleLabel is the namespace label carrying the Role.
const RoleLabel = "dataplatform.io/role"

// NetworkArgs are the inputs of the in-cluster network.
type NetworkArgs struct {
	// Namespaces maps each role to its namespace name. All three roles are required.
	Namespaces map[Role]string
	// PodSecurity is the Pod Security Standard enforced in every namespace ("baseline" or
	// "restricted"); "restricted" is always audited and warned about. Default "baseline", because
	// third-party charts (Airbyte) do not all meet "restricted".
	PodSecurity string
	// AllowIntraNamespace lets pods talk to other pods of their own namespace. Default deny still
	// applies across namespaces. Default true: the platform's services talk to their peers (Dremio
	// coordinator and executors, ZooKeeper ensemble, PostgreSQL replicas).
	AllowIntraNamespace *bool
	// Protect marks the stateful resources (the namespaces holding volumes: Data — PostgreSQL,
	// the object store, Elasticsearch — and Apps — Dremio's catalogue and ZooKeeper; deleting a
	// namespace deletes its PersistentVolumeClaims) protected: destroy and replacement stop at them.
	// Disposable children (the Jobs namespace, which holds no volumes, NetworkPolicies,
	// LimitRanges) are never protected.
	Protect bool
	// Labels are added to every object.
	Labels map[string]string
}

// HoldsVolumes reports whether a role's namespace holds PersistentVolumeClaims, and so is
// protected with NetworkArgs.Protect.
func HoldsVolumes(role Role) bool { return role == Apps || role == Data }

// Network is the in-cluster network component.
type Network struct {
	pulumi.ResourceState

	// Namespaces maps each role to its namespace name, resolved once the Namespace exists, so that a
	// resource created in it depends on it.
	Namespaces map[Role]pulumi.StringOutput
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

func (a *NetworkArgs) validate() error {
	if a == nil {
		return fmt.Errorf("k8snet: args are required")
	}
	seen := map[string]Role{}
	for _, role := range []Role{Apps, Data, Jobs} {
		ns := a.Namespaces[role]
		if !dnsLabel.MatchString(ns) {
			return fmt.Errorf("k8snet: Namespaces[%s] = %q; must be a DNS label (lower-case letters, digits, '-')", role, ns)
		}
		if other, dup := seen[ns]; dup {
			return fmt.Errorf("k8snet: Namespaces[%s] = %q is also Namespaces[%s]; each role needs its own namespace", role, ns, other)
		}
		seen[ns] = role
	}
	if len(a.Namespaces) != 3 {
		return fmt.Errorf("k8snet: Namespaces has %d entries; exactly apps, data and jobs are allowed", len(a.Namespaces))
	}
	switch a.PodSecurity {
	case "", "baseline", "restricted":
	default:
		return fmt.Errorf("k8snet: PodSecurity = %q; allowed: baseline, restricted", a.PodSecurity)
	}
	return nil
}

// NewNetwork creates the namespaces and their baseline policies.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	podSecurity := args.PodSecurity
	if podSecurity == "" {
		podSecurity = "baseline"
	}
	intra := args.AllowIntraNamespace == nil || *args.AllowIntraNamespace

	comp := &Network{Namespaces: map[Role]pulumi.StringOutput{}}
	props := pulumi.Map{
		"namespaces":          pulumi.ToStringMap(roleMap(args.Namespaces)),
		"podSecurity":         pulumi.String(podSecurity),
		"allowIntraNamespace": pulumi.Bool(intra),
		"protect":             pulumi.Bool(args.Protect),
	}
	if err := ctx.RegisterComponentResourceV2(NetworkType, name, props, comp, opts...); err != nil {
		return nil, err
	}

	outputs := pulumi.Map{}
	for _, role := range []Role{Apps, Data, Jobs} {
		nsName := args.Namespaces[role]
		labels := pulumi.StringMap{
			"app.kubernetes.io/part-of":          pulumi.String("dataplatform"),
			"app.kubernetes.io/managed-by":       pulumi.String("pulumi"),
			RoleLabel:                            pulumi.String(string(role)),
			"pod-security.kubernetes.io/enforce": pulumi.String(podSecurity),
			"pod-security.kubernetes.io/audit":   pulumi.String("restricted"),
			"pod-security.kubernetes.io/warn":    pulumi.String("restricted"),
		}
		for k, v := range args.Labels {
			labels[k] = pulumi.String(v)
		}
		ns, err := corev1.NewNamespace(ctx, fmt.Sprintf("%s-%s", name, role), &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(nsName), Labels: labels},
		}, pulumi.Parent(comp), pulumi.Protect(args.Protect && HoldsVolumes(role)))
		if err != nil {
			return nil, err
		}
		created := ns.Metadata.Name().Elem()
		comp.Namespaces[role] = created
		outputs[string(role)+"Namespace"] = created

		// The jobs namespace's container defaults belong to the workload that launches the jobs
		// (Airbyte sizes its job pods); two LimitRanges with defaults would leave the choice to chance.
		if err := baseline(ctx, fmt.Sprintf("%s-%s", name, role), comp, created, intra, role != Jobs, args.Labels); err != nil {
			return nil, err
		}
	}

	if err := ctx.RegisterResourceOutputs(comp, outputs); err != nil {
		return nil, err
	}
	return comp, nil
}

// baseline creates the default deny, the DNS and intra-namespace allows, and the LimitRange of one
// namespace.
func baseline(ctx *pulumi.Context, prefix string, parent pulumi.Resource, ns pulumi.StringOutput, intra, limitRange bool, extra map[string]string) error {
	meta := func(objName string) *metav1.ObjectMetaArgs {
		labels := pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("dataplatform"), "app.kubernetes.io/managed-by": pulumi.String("pulumi")}
		for k, v := range extra {
			labels[k] = pulumi.String(v)
		}
		return &metav1.ObjectMetaArgs{Name: pulumi.String(objName), Namespace: ns, Labels: labels}
	}
	allPods := &metav1.LabelSelectorArgs{}

	// Deny everything first; every flow the platform needs is then an explicit allow.
	if _, err := networkingv1.NewNetworkPolicy(ctx, prefix+"-default-deny", &networkingv1.NetworkPolicyArgs{
		Metadata: meta("default-deny"),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: allPods,
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
		},
	}, pulumi.Parent(parent), pulumi.Protect(false)); err != nil {
		return err
	}

	// Every pod resolves names through the cluster DNS in kube-system.
	if _, err := networkingv1.NewNetworkPolicy(ctx, prefix+"-allow-dns", &networkingv1.NetworkPolicyArgs{
		Metadata: meta("allow-dns"),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: allPods,
			PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress:      networkingv1.NetworkPolicyEgressRuleArray{DNSEgress()},
		},
	}, pulumi.Parent(parent), pulumi.Protect(false)); err != nil {
		return err
	}

	if intra {
		samePods := networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{PodSelector: &metav1.LabelSelectorArgs{}}}
		if _, err := networkingv1.NewNetworkPolicy(ctx, prefix+"-allow-same-namespace", &networkingv1.NetworkPolicyArgs{
			Metadata: meta("allow-same-namespace"),
			Spec: &networkingv1.NetworkPolicySpecArgs{
				PodSelector: allPods,
				PolicyTypes: pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
				Ingress:     networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{From: samePods}},
				Egress:      networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{To: samePods}},
			},
		}, pulumi.Parent(parent), pulumi.Protect(false)); err != nil {
			return err
		}
	}

	if !limitRange {
		return nil
	}
	// A container that declares nothing still gets requests and a memory limit, so one runaway pod
	// cannot starve its node. The platform's own workloads always declare theirs.
	_, err := corev1.NewLimitRange(ctx, prefix+"-defaults", &corev1.LimitRangeArgs{
		Metadata: meta("container-defaults"),
		Spec: &corev1.LimitRangeSpecArgs{Limits: corev1.LimitRangeItemArray{&corev1.LimitRangeItemArgs{
			Type:           pulumi.String("Container"),
			DefaultRequest: pulumi.StringMap{"cpu": pulumi.String("100m"), "memory": pulumi.String("128Mi")},
			Default:        pulumi.StringMap{"memory": pulumi.String("512Mi")},
		}}},
	}, pulumi.Parent(parent), pulumi.Protect(false))
	return err
}

func roleMap(m map[Role]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

// TCPPorts renders TCP ports for a NetworkPolicy rule.
func TCPPorts(ports ...int) networkingv1.NetworkPolicyPortArray {
	out := networkingv1.NetworkPolicyPortArray{}
	for _, p := range ports {
		out = append(out, &networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(p)})
	}
	return out
}

// DNSEgress admits the cluster DNS in kube-system (k8s-app=kube-dns, UDP and TCP 53): the egress
// rule every namespace with a default-deny policy needs for pods to resolve names.
func DNSEgress() *networkingv1.NetworkPolicyEgressRuleArgs {
	return &networkingv1.NetworkPolicyEgressRuleArgs{
		To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
			NamespaceSelector: NamespaceSelector("kube-system"),
			PodSelector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"k8s-app": pulumi.String("kube-dns")}},
		}},
		Ports: networkingv1.NetworkPolicyPortArray{
			&networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("UDP"), Port: pulumi.Int(53)},
			&networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(53)},
		},
	}
}

// NamespaceSelector selects one namespace by the name label the API server sets on every namespace
// (kubernetes.io/metadata.name, immutable since Kubernetes 1.22).
func NamespaceSelector(ns string) *metav1.LabelSelectorArgs {
	return &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"kubernetes.io/metadata.name": pulumi.String(ns)}}
}

// Peers admits the pods of each namespace and each address range: the peers of an ingress rule for a
// port that in-cluster proxies (namespaces) or cloud load balancers (ranges) reach.
func Peers(namespaces, cidrs []string) networkingv1.NetworkPolicyPeerArray {
	var out networkingv1.NetworkPolicyPeerArray
	for _, ns := range namespaces {
		out = append(out, &networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: NamespaceSelector(ns)})
	}
	for _, c := range cidrs {
		out = append(out, &networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(c)}})
	}
	return out
}

// ValidateCIDRs checks that every entry is a CIDR block with its host bits zero (what a
// NetworkPolicy ipBlock accepts); what names the field in the error.
func ValidateCIDRs(what string, cidrs []string) error {
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err != nil || p.Masked() != p {
			return fmt.Errorf("%s contains %q; each must be a CIDR block with its host bits zero, e.g. 10.0.0.0/16", what, c)
		}
	}
	return nil
}
