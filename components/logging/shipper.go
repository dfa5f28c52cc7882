package logging

import (
	"fmt"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/elasticsearch"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

// Selector are the shipper pods' labels (the DaemonSet's selector, the scrape target's).
func Selector() map[string]string {
	return map[string]string{"app.kubernetes.io/name": Name, "app.kubernetes.io/component": "log-shipper"}
}

type builder struct {
	ctx   *pulumi.Context
	name  string
	args  *Args
	child pulumi.ResourceOption
	host  string
}

func (b *builder) labels(extra map[string]string) pulumi.StringMap {
	l := k8snet.PartOfLabels(b.args.Labels)
	for k, v := range extra {
		l[k] = pulumi.String(v)
	}
	return l
}

func (b *builder) meta(name string, ns pulumi.StringInput, extra map[string]string) *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{Name: pulumi.String(name), Namespace: ns, Labels: b.labels(extra)}
}

// New creates the retention Job, the shipper's RBAC, NetworkPolicies, configuration and DaemonSet.
// The DaemonSet starts after the Job: the template must exist before Fluent Bit's first write, or
// the built-in logs-*-* template (with its ILM policy) would shape the data stream.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Logging, error) {
	if args == nil {
		return nil, fmt.Errorf("logging: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &Logging{}
	if err := ctx.RegisterComponentResourceV2(Type, name, pulumi.Map{
		"retentionDays": pulumi.Int(args.RetentionDays), "dataStream": pulumi.String(DataStream),
	}, comp, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, args: args, child: pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false)),
		host: fmt.Sprintf("%s.%s.svc", elasticsearch.HTTPService, args.DataNamespaceName)}
	policies, err := b.networkPolicies()
	if err != nil {
		return nil, err
	}
	job, err := b.retentionJob()
	if err != nil {
		return nil, err
	}
	sa, err := b.rbac()
	if err != nil {
		return nil, err
	}
	quota, err := b.criticalQuota()
	if err != nil {
		return nil, err
	}
	if _, err := b.daemonSet(sa, append(append(policies, job, quota), args.Realm.ready...)); err != nil {
		return nil, err
	}
	comp.DataStream = job.Metadata.Name().Elem().ApplyT(func(string) string { return DataStream }).(pulumi.StringOutput)
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"dataStream": comp.DataStream}); err != nil {
		return nil, err
	}
	return comp, nil
}

// rbac is the ServiceAccount, its ClusterRole (the chart's rules: get, list, watch on pods and
// namespaces, which the kubernetes filter reads; charts/fluent-bit/templates/clusterrole.yaml at
// 0.58.1 without nodeAccess and eventsAccess) and a Role in Elasticsearch's namespace that reads
// ECK's public CA Secret and nothing else.
func (b *builder) rbac() (*corev1.ServiceAccount, error) {
	a := b.args
	sa, err := corev1.NewServiceAccount(b.ctx, b.name+"-sa", &corev1.ServiceAccountArgs{Metadata: b.meta(Name, a.Namespace, nil)}, b.child)
	if err != nil {
		return nil, err
	}
	subject := rbacv1.SubjectArray{&rbacv1.SubjectArgs{Kind: pulumi.String("ServiceAccount"), Name: sa.Metadata.Name().Elem(), Namespace: a.Namespace}}
	clusterName := "dataplatform-" + a.NamespaceName + "-" + Name
	cr, err := rbacv1.NewClusterRole(b.ctx, b.name+"-clusterrole", &rbacv1.ClusterRoleArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(clusterName), Labels: b.labels(nil)},
		Rules: rbacv1.PolicyRuleArray{&rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray([]string{""}), Resources: pulumi.ToStringArray([]string{"namespaces", "pods"}),
			Verbs: pulumi.ToStringArray([]string{"get", "list", "watch"}),
		}},
	}, b.child)
	if err != nil {
		return nil, err
	}
	if _, err := rbacv1.NewClusterRoleBinding(b.ctx, b.name+"-clusterrolebinding", &rbacv1.ClusterRoleBindingArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(clusterName), Labels: b.labels(nil)},
		RoleRef:  &rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("ClusterRole"), Name: cr.Metadata.Name().Elem()},
		Subjects: subject,
	}, b.child); err != nil {
		return nil, err
	}
	role, err := rbacv1.NewRole(b.ctx, b.name+"-ca-reader", &rbacv1.RoleArgs{
		Metadata: b.meta("logging-ca-reader", a.DataNamespace, nil),
		Rules: rbacv1.PolicyRuleArray{&rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray([]string{""}), Resources: pulumi.ToStringArray([]string{"secrets"}),
			ResourceNames: pulumi.ToStringArray([]string{elasticsearch.CASecret}), Verbs: pulumi.ToStringArray([]string{"get"}),
		}},
	}, b.child)
	if err != nil {
		return nil, err
	}
	if _, err := rbacv1.NewRoleBinding(b.ctx, b.name+"-ca-reader", &rbacv1.RoleBindingArgs{
		Metadata: b.meta("logging-ca-reader", a.DataNamespace, nil),
		RoleRef:  &rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("Role"), Name: role.Metadata.Name().Elem()},
		Subjects: subject,
	}, b.child); err != nil {
		return nil, err
	}
	return sa, nil
}

func restricted(root bool) *corev1.SecurityContextArgs {
	sc := &corev1.SecurityContextArgs{
		AllowPrivilegeEscalation: pulumi.Bool(false), ReadOnlyRootFilesystem: pulumi.Bool(true),
		Capabilities:   &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
		SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
	if root {
		sc.RunAsUser, sc.RunAsNonRoot = pulumi.Int(0), pulumi.Bool(false)
	} else {
		// curl_user of the curl image.
		sc.RunAsUser, sc.RunAsGroup, sc.RunAsNonRoot = pulumi.Int(100), pulumi.Int(101), pulumi.Bool(true)
	}
	return sc
}

// daemonSet runs Fluent Bit on every node: it tolerates every taint (operator Exists, so no node
// pool's taint keeps it off, NoExecute included) and has no node selector. The pod template carries
// the hash of the configuration and the writer's password, so a change rolls the pods (the
// password is read from the environment at start).
func (b *builder) daemonSet(sa *corev1.ServiceAccount, deps []pulumi.Resource) (*appsv1.DaemonSet, error) {
	a := b.args
	conf := fluentBitConfig(b.host, a.LogNamespaces)
	ca, refresh := caScript(a.DataNamespaceName), refreshScript()
	cm, err := corev1.NewConfigMap(b.ctx, b.name+"-config", &corev1.ConfigMapArgs{
		Metadata: b.meta(Name, a.Namespace, nil),
		Data:     pulumi.StringMap{"fluent-bit.conf": pulumi.String(conf), "fetch-ca.sh": pulumi.String(ca), "refresh-ca.sh": pulumi.String(refresh)},
	}, b.child)
	if err != nil {
		return nil, err
	}
	hash := pulumi.Unsecret(a.Realm.writerPassword.ApplyT(func(pw string) string {
		return metadatadb.ConfigHash(conf, ca, refresh, pw)
	}).(pulumi.StringOutput)).(pulumi.StringOutput)
	sel := Selector()
	podLabels := b.labels(sel)
	hostPath := func(name, path, typ string) *corev1.VolumeArgs {
		hp := &corev1.HostPathVolumeSourceArgs{Path: pulumi.String(path)}
		if typ != "" {
			hp.Type = pulumi.String(typ)
		}
		return &corev1.VolumeArgs{Name: pulumi.String(name), HostPath: hp}
	}
	mount := func(name, path string, ro bool) *corev1.VolumeMountArgs {
		return &corev1.VolumeMountArgs{Name: pulumi.String(name), MountPath: pulumi.String(path), ReadOnly: pulumi.Bool(ro)}
	}
	env := func(name, key string) *corev1.EnvVarArgs {
		return &corev1.EnvVarArgs{Name: pulumi.String(name), ValueFrom: &corev1.EnvVarSourceArgs{
			SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: a.Realm.WriterSecret, Key: pulumi.String(key)},
		}}
	}
	probe := func(path string) *corev1.ProbeArgs {
		return &corev1.ProbeArgs{HttpGet: &corev1.HTTPGetActionArgs{Path: pulumi.String(path), Port: pulumi.String("http")}, PeriodSeconds: pulumi.Int(10), FailureThreshold: pulumi.Int(3)}
	}
	caContainer := func(name, script string, req, lim string) *corev1.ContainerArgs {
		return &corev1.ContainerArgs{
			Name: pulumi.String(name), Image: pulumi.String(JobImage),
			Command: pulumi.ToStringArray([]string{"/bin/sh", configDir + "/" + script}),
			Resources: &corev1.ResourceRequirementsArgs{
				Requests: pulumi.StringMap{"cpu": pulumi.String(req), "memory": pulumi.String("16Mi")},
				Limits:   pulumi.StringMap{"cpu": pulumi.String(lim), "memory": pulumi.String("32Mi")},
			},
			SecurityContext: restricted(false),
			VolumeMounts: corev1.VolumeMountArray{
				mount("config", configDir, true), mount("es-ca", caDir, false), mount("tmp", "/tmp", false),
			},
		}
	}
	spec := &corev1.PodSpecArgs{
		ServiceAccountName: sa.Metadata.Name().Elem(),
		// The kubernetes filter and the CA init container call the API server with its token.
		AutomountServiceAccountToken:  pulumi.Bool(true),
		TerminationGracePeriodSeconds: pulumi.Int(30),
		Tolerations:                   corev1.TolerationArray{&corev1.TolerationArgs{Operator: pulumi.String("Exists")}},
		// Linux nodes only (the image is Linux-only; a Windows node's taint is tolerated above).
		NodeSelector: pulumi.StringMap{"kubernetes.io/os": pulumi.String("linux")},
		// A DaemonSet pod has no other node to go to: without a priority it stays Pending on a full node
		// (and the DaemonSet await fails the up). system-node-critical lets it preempt; criticalQuota
		// admits it outside kube-system.
		PriorityClassName: pulumi.String(PriorityClass),
		// The CA is fetched before Fluent Bit starts, then kept current by the sidecar (refreshScript).
		InitContainers: corev1.ContainerArray{caContainer("fetch-ca", "fetch-ca.sh", "10m", "100m")},
		Containers: corev1.ContainerArray{&corev1.ContainerArgs{
			Name: pulumi.String(Name), Image: pulumi.String(Image),
			// The image's binary and the chart's arguments (values.yaml command and args).
			Command: pulumi.ToStringArray([]string{"/fluent-bit/bin/fluent-bit"}),
			Args:    pulumi.ToStringArray([]string{"--workdir=/fluent-bit/etc", "--config=" + configDir + "/fluent-bit.conf"}),
			Env:     corev1.EnvVarArray{env("ES_USER", "username"), env("ES_PASSWORD", "password")},
			Ports: corev1.ContainerPortArray{&corev1.ContainerPortArgs{
				Name: pulumi.String("http"), ContainerPort: pulumi.Int(MetricsPort), Protocol: pulumi.String("TCP"),
			}},
			// Readiness as the chart's (values.yaml readinessProbe /api/v2/health); liveness on
			// /api/v1/health, which turns red when the output keeps dropping chunks (Health_Check,
			// fluentBitConfig), rather than the chart's "/" that always answers 200.
			LivenessProbe:  probe("/api/v1/health"),
			ReadinessProbe: probe("/api/v2/health"),
			Resources: &corev1.ResourceRequirementsArgs{
				Requests: pulumi.StringMap{"cpu": pulumi.String("100m"), "memory": pulumi.String("128Mi")},
				Limits:   pulumi.StringMap{"cpu": pulumi.String("500m"), "memory": pulumi.String("256Mi")},
			},
			SecurityContext: restricted(true),
			VolumeMounts: corev1.VolumeMountArray{
				mount("config", configDir, true), mount("es-ca", caDir, true),
				mount("varlog", "/var/log", true), mount("dockercontainers", dockerContainers, true),
				mount("state", stateDir, false),
			},
		}, caContainer("refresh-ca", "refresh-ca.sh", "1m", "50m")},
		Volumes: corev1.VolumeArray{
			&corev1.VolumeArgs{Name: pulumi.String("config"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: cm.Metadata.Name()}},
			&corev1.VolumeArgs{Name: pulumi.String("es-ca"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}},
			&corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}},
			hostPath("varlog", "/var/log", "Directory"),
			// No type: present on Docker (cri-dockerd) nodes, absent and unused on containerd ones.
			hostPath("dockercontainers", dockerContainers, ""),
			hostPath("state", stateDir, "DirectoryOrCreate"),
		},
	}
	return appsv1.NewDaemonSet(b.ctx, b.name+"-daemonset", &appsv1.DaemonSetArgs{
		Metadata: b.meta(Name, a.Namespace, sel),
		Spec: &appsv1.DaemonSetSpecArgs{
			Selector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(sel)},
			UpdateStrategy: &appsv1.DaemonSetUpdateStrategyArgs{Type: pulumi.String("RollingUpdate"),
				RollingUpdate: &appsv1.RollingUpdateDaemonSetArgs{MaxUnavailable: pulumi.Int(1)}},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: podLabels, Annotations: pulumi.StringMap{metadatadb.ConfigHashAnnotation: hash}},
				Spec:     spec,
			},
		},
	}, b.child, pulumi.DependsOn(append(deps, cm)))
}

// PriorityClass is the shipper's: Kubernetes' built-in node-critical class (kubernetes/kubernetes
// pkg/apis/scheduling SystemPriorityClasses, value 2000001000), usable in any namespace since
// Kubernetes 1.17, the same as other node agents (CNI, CSI node plugins) use.
const PriorityClass = "system-node-critical"

// dockerContainers is where cri-dockerd keeps container logs: on Docker-runtime nodes (Docker
// Desktop's kubeadm cluster, minikube's default) /var/log/pods/…/0.log links there, so the tail input
// must see it (fluent/helm-charts fluent-bit 0.58.1 values.yaml mounts it read-only too).
const dockerContainers = "/var/lib/docker/containers"

// criticalQuota admits system-node-critical pods in the shipper's namespace where the API server
// limits critical priority classes to namespaces holding a matching quota (ResourceQuota admission
// limitedResources, kubernetes.io docs concepts/policy/resource-quotas "Limit Priority Class
// consumption by default"; GKE configures it). The limit is the node count the DaemonSet may reach
// (Kubernetes' documented 5,000-node scale limit), so it only scopes, never limits, the shipper.
func (b *builder) criticalQuota() (*corev1.ResourceQuota, error) {
	return corev1.NewResourceQuota(b.ctx, b.name+"-critical-pods", &corev1.ResourceQuotaArgs{
		Metadata: b.meta(Name+"-critical-pods", b.args.Namespace, nil),
		Spec: &corev1.ResourceQuotaSpecArgs{
			Hard: pulumi.StringMap{"pods": pulumi.String("5000")},
			ScopeSelector: &corev1.ScopeSelectorArgs{MatchExpressions: corev1.ScopedResourceSelectorRequirementArray{
				&corev1.ScopedResourceSelectorRequirementArgs{
					ScopeName: pulumi.String("PriorityClass"), Operator: pulumi.String("In"),
					Values: pulumi.ToStringArray([]string{PriorityClass}),
				},
			}},
		},
	}, b.child)
}
