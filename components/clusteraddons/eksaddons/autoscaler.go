package eksaddons

import (
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// autoscalerReplicas run with leader election (the autoscaler's default --leader-elect=true), so
// a node drain never leaves the cluster without an autoscaler; the PodDisruptionBudget keeps one.
const autoscalerReplicas = 2

// autoscalerArgs are the autoscaler's flags (kubernetes/autoscaler cluster-autoscaler FAQ and
// cloudprovider/aws/README.md "Auto-Discovery Setup"): the tag keys EKS sets on managed node groups'
// Auto Scaling groups; similar groups balanced across zones; least-waste expansion; nodes whose pods
// use emptyDir may be scaled down (their pods are rescheduled, the data is scratch).
func autoscalerArgs(clusterName string) []string {
	return []string{
		"--cloud-provider=aws",
		"--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/" + clusterName,
		"--balance-similar-node-groups=true",
		"--expander=least-waste",
		"--skip-nodes-with-local-storage=false",
		"--stderrthreshold=info",
		"--v=2",
	}
}

// autoscalerRules are the ClusterRole of kubernetes/autoscaler
// cluster-autoscaler/cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml, plus the
// storage.k8s.io volumeattachments the autoscaler's scheduler simulation lists.
func autoscalerRules() rbacv1.PolicyRuleArray {
	rule := func(groups, resources, verbs []string, names ...string) rbacv1.PolicyRuleArgs {
		r := rbacv1.PolicyRuleArgs{ApiGroups: pulumi.ToStringArray(groups), Resources: pulumi.ToStringArray(resources), Verbs: pulumi.ToStringArray(verbs)}
		if len(names) > 0 {
			r.ResourceNames = pulumi.ToStringArray(names)
		}
		return r
	}
	read := []string{"watch", "list", "get"}
	return rbacv1.PolicyRuleArray{
		rule([]string{""}, []string{"events", "endpoints"}, []string{"create", "patch"}),
		rule([]string{""}, []string{"pods/eviction"}, []string{"create"}),
		rule([]string{""}, []string{"pods/status"}, []string{"update"}),
		rule([]string{""}, []string{"endpoints"}, []string{"get", "update"}, "cluster-autoscaler"),
		rule([]string{""}, []string{"nodes"}, []string{"watch", "list", "get", "update"}),
		rule([]string{""}, []string{"namespaces", "pods", "services", "replicationcontrollers", "persistentvolumeclaims", "persistentvolumes"}, read),
		rule([]string{"extensions"}, []string{"replicasets", "daemonsets"}, read),
		rule([]string{"policy"}, []string{"poddisruptionbudgets"}, []string{"watch", "list"}),
		rule([]string{"apps"}, []string{"statefulsets", "replicasets", "daemonsets"}, read),
		rule([]string{"storage.k8s.io"}, []string{"storageclasses", "csinodes", "csidrivers", "csistoragecapacities", "volumeattachments"}, read),
		rule([]string{"batch", "extensions"}, []string{"jobs"}, []string{"get", "list", "watch", "patch"}),
		rule([]string{"coordination.k8s.io"}, []string{"leases"}, []string{"create"}),
		rule([]string{"coordination.k8s.io"}, []string{"leases"}, []string{"get", "update"}, "cluster-autoscaler"),
	}
}

// newAutoscaler creates the autoscaler's identity, RBAC, Deployment and PodDisruptionBudget.
func newAutoscaler(ctx *pulumi.Context, name string, args *AddonsArgs, image string, parent pulumi.ResourceOrInvokeOption) (*appsv1.Deployment, error) {
	identity, err := autoscalerRole(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}
	k8s := []pulumi.ResourceOption{parent, pulumi.Provider(args.Provider)}
	labels := pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("cluster-autoscaler"), "app.kubernetes.io/part-of": pulumi.String("dataplatform")}
	meta := func(namespaced bool) *metav1.ObjectMetaArgs {
		m := &metav1.ObjectMetaArgs{Name: pulumi.String(ServiceAccount), Labels: labels}
		if namespaced {
			m.Namespace = pulumi.String(Namespace)
		}
		return m
	}
	sa, err := corev1.NewServiceAccount(ctx, name+"-autoscaler-sa", &corev1.ServiceAccountArgs{Metadata: meta(true)}, k8s...)
	if err != nil {
		return nil, err
	}
	cr, err := rbacv1.NewClusterRole(ctx, name+"-autoscaler-clusterrole", &rbacv1.ClusterRoleArgs{Metadata: meta(false), Rules: autoscalerRules()}, k8s...)
	if err != nil {
		return nil, err
	}
	subjects := rbacv1.SubjectArray{rbacv1.SubjectArgs{Kind: pulumi.String("ServiceAccount"), Name: pulumi.String(ServiceAccount), Namespace: pulumi.String(Namespace)}}
	crb, err := rbacv1.NewClusterRoleBinding(ctx, name+"-autoscaler-clusterrolebinding", &rbacv1.ClusterRoleBindingArgs{
		Metadata: meta(false), Subjects: subjects,
		RoleRef: rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("ClusterRole"), Name: cr.Metadata.Name().Elem()},
	}, k8s...)
	if err != nil {
		return nil, err
	}
	role, err := rbacv1.NewRole(ctx, name+"-autoscaler-role-k8s", &rbacv1.RoleArgs{Metadata: meta(true), Rules: rbacv1.PolicyRuleArray{
		rbacv1.PolicyRuleArgs{ApiGroups: pulumi.ToStringArray([]string{""}), Resources: pulumi.ToStringArray([]string{"configmaps"}), Verbs: pulumi.ToStringArray([]string{"create", "list", "watch"})},
		rbacv1.PolicyRuleArgs{ApiGroups: pulumi.ToStringArray([]string{""}), Resources: pulumi.ToStringArray([]string{"configmaps"}),
			ResourceNames: pulumi.ToStringArray([]string{"cluster-autoscaler-status", "cluster-autoscaler-priority-expander"}),
			Verbs:         pulumi.ToStringArray([]string{"delete", "get", "update", "watch"})},
	}}, k8s...)
	if err != nil {
		return nil, err
	}
	rb, err := rbacv1.NewRoleBinding(ctx, name+"-autoscaler-rolebinding", &rbacv1.RoleBindingArgs{
		Metadata: meta(true), Subjects: subjects,
		RoleRef: rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("Role"), Name: role.Metadata.Name().Elem()},
	}, k8s...)
	if err != nil {
		return nil, err
	}
	if _, err := policyv1.NewPodDisruptionBudget(ctx, name+"-autoscaler-pdb", &policyv1.PodDisruptionBudgetArgs{
		Metadata: meta(true),
		Spec: &policyv1.PodDisruptionBudgetSpecArgs{
			MinAvailable: pulumi.Int(1),
			Selector:     &metav1.LabelSelectorArgs{MatchLabels: labels},
		},
	}, k8s...); err != nil {
		return nil, err
	}
	res := pulumi.StringMap{"cpu": pulumi.String("100m"), "memory": pulumi.String("600Mi")} // upstream example's size
	env := corev1.EnvVarArray{}
	if args.Region != "" {
		// Pods cannot reach IMDS (the launch template allows one hop), so the region comes from here.
		env = append(env, corev1.EnvVarArgs{Name: pulumi.String("AWS_REGION"), Value: pulumi.String(args.Region)})
	}
	deps := append([]pulumi.Resource{sa, crb, rb}, identity...)
	return appsv1.NewDeployment(ctx, name+"-autoscaler", &appsv1.DeploymentArgs{
		Metadata: meta(true),
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(autoscalerReplicas),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: labels},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: labels},
				Spec: &corev1.PodSpecArgs{
					ServiceAccountName: pulumi.String(ServiceAccount),
					PriorityClassName:  pulumi.String("system-cluster-critical"),
					NodeSelector:       pulumi.ToStringMap(args.SystemNodeSelector),
					TopologySpreadConstraints: corev1.TopologySpreadConstraintArray{corev1.TopologySpreadConstraintArgs{
						MaxSkew: pulumi.Int(1), TopologyKey: pulumi.String("kubernetes.io/hostname"),
						WhenUnsatisfiable: pulumi.String("ScheduleAnyway"), LabelSelector: &metav1.LabelSelectorArgs{MatchLabels: labels},
					}},
					SecurityContext: &corev1.PodSecurityContextArgs{
						RunAsNonRoot: pulumi.Bool(true), RunAsUser: pulumi.Int(65534), RunAsGroup: pulumi.Int(65534),
						SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
					},
					Containers: corev1.ContainerArray{corev1.ContainerArgs{
						Name:    pulumi.String("cluster-autoscaler"),
						Image:   pulumi.String(image),
						Command: pulumi.ToStringArray(append([]string{"./cluster-autoscaler"}, autoscalerArgs(args.ClusterName)...)),
						Env:     env,
						Ports:   corev1.ContainerPortArray{corev1.ContainerPortArgs{Name: pulumi.String("http"), ContainerPort: pulumi.Int(8085)}},
						// The autoscaler answers /health-check on its metrics port, 8085.
						LivenessProbe: &corev1.ProbeArgs{
							HttpGet:             &corev1.HTTPGetActionArgs{Path: pulumi.String("/health-check"), Port: pulumi.Int(8085)},
							InitialDelaySeconds: pulumi.Int(30), PeriodSeconds: pulumi.Int(30),
						},
						Resources: &corev1.ResourceRequirementsArgs{Requests: res, Limits: res},
						SecurityContext: &corev1.SecurityContextArgs{
							AllowPrivilegeEscalation: pulumi.Bool(false), ReadOnlyRootFilesystem: pulumi.Bool(true),
							Capabilities: &corev1.CapabilitiesArgs{Drop: pulumi.ToStringArray([]string{"ALL"})},
						},
					}},
				},
			},
		},
	}, append(k8s, pulumi.DependsOn(deps))...)
}
