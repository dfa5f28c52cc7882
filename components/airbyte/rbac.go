package airbyte

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// newRBAC gives the apps-namespace ServiceAccount what Airbyte's services do with the Kubernetes API.
// The chart creates a Role only with its own ServiceAccount and only in the release namespace, and
// grants apiGroups "*" (chart 2.0.19 templates/serviceaccount.yaml); these Roles name the groups.
//
//   - Apps namespace: the bootloader writes the auth Secret (airbyte-platform@v2.0.0
//     airbyte-bootloader/.../AuthKubernetesSecretInitializer.kt checks "create secrets" in its own
//     namespace) and the services keep their pods, Secrets and ConfigMaps there.
//   - Jobs namespace: the workload launcher creates, watches and deletes job pods there
//     (airbyte-workload-launcher/.../pods/KubePodLauncher.kt, PodSweeper.kt: pods only). It needs
//     nothing else in that namespace, so it gets nothing else: no Secrets, no ConfigMaps. The jobs
//     namespace's own ServiceAccount, which job pods run as, is bound to nothing.
func newRBAC(ctx *pulumi.Context, name string, parent pulumi.Resource, a AirbyteStackArgs, jobsNS pulumi.StringInput,
	meta func(string, pulumi.StringInput) *metav1.ObjectMetaArgs) ([]pulumi.Resource, error) {
	verbs := pulumi.ToStringArray([]string{"get", "list", "watch", "create", "update", "patch", "delete"})
	appsRules := rbacv1.PolicyRuleArray{
		&rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray([]string{""}),
			Resources: pulumi.ToStringArray([]string{"pods", "pods/log", "pods/exec", "pods/attach", "secrets", "configmaps", "endpoints"}),
			Verbs:     verbs,
		},
		&rbacv1.PolicyRuleArgs{ApiGroups: pulumi.ToStringArray([]string{"batch"}), Resources: pulumi.ToStringArray([]string{"jobs"}), Verbs: verbs},
	}
	jobsRules := rbacv1.PolicyRuleArray{
		&rbacv1.PolicyRuleArgs{ApiGroups: pulumi.ToStringArray([]string{""}), Resources: pulumi.ToStringArray([]string{"pods"}), Verbs: verbs},
		&rbacv1.PolicyRuleArgs{ApiGroups: pulumi.ToStringArray([]string{""}), Resources: pulumi.ToStringArray([]string{"pods/log"}), Verbs: pulumi.ToStringArray([]string{"get"})},
	}
	var out []pulumi.Resource
	for _, scope := range []struct {
		suffix string
		ns     pulumi.StringInput
		rules  rbacv1.PolicyRuleArray
	}{{"", a.Namespace, appsRules}, {"-jobs", jobsNS, jobsRules}} {
		role, err := rbacv1.NewRole(ctx, name+"-role"+scope.suffix, &rbacv1.RoleArgs{
			Metadata: meta(ServiceAccountName+"-launcher", scope.ns),
			Rules:    scope.rules,
		}, pulumi.Parent(parent))
		if err != nil {
			return nil, err
		}
		binding, err := rbacv1.NewRoleBinding(ctx, name+"-rolebinding"+scope.suffix, &rbacv1.RoleBindingArgs{
			Metadata: meta(ServiceAccountName+"-launcher", scope.ns),
			RoleRef:  &rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("Role"), Name: pulumi.String(ServiceAccountName + "-launcher")},
			Subjects: rbacv1.SubjectArray{&rbacv1.SubjectArgs{
				Kind: pulumi.String("ServiceAccount"), Name: pulumi.String(ServiceAccountName), Namespace: pulumi.String(a.NamespaceName),
			}},
		}, pulumi.Parent(parent), pulumi.DependsOn([]pulumi.Resource{role}))
		if err != nil {
			return nil, err
		}
		out = append(out, role, binding)
	}
	return out, nil
}

// newJobsLimits gives every job container defaults and a ceiling, and the namespace a total, so a
// burst of syncs cannot starve the platform's own workloads.
func newJobsLimits(ctx *pulumi.Context, name string, parent pulumi.Resource, a AirbyteStackArgs, jobsNS pulumi.StringInput,
	meta func(string, pulumi.StringInput) *metav1.ObjectMetaArgs) ([]pulumi.Resource, error) {
	j := a.JobDefaults
	lr, err := corev1.NewLimitRange(ctx, name+"-jobs-limits", &corev1.LimitRangeArgs{
		Metadata: meta("airbyte-job-limits", jobsNS),
		Spec: &corev1.LimitRangeSpecArgs{Limits: corev1.LimitRangeItemArray{&corev1.LimitRangeItemArgs{
			Type:           pulumi.String("Container"),
			DefaultRequest: pulumi.StringMap{"cpu": pulumi.String(cpu(j.CPU)), "memory": pulumi.String(mem(j.MemoryGiB))},
			Default:        pulumi.StringMap{"cpu": pulumi.String(cpu(2 * j.CPU)), "memory": pulumi.String(mem(j.MemoryGiB))},
			Max:            pulumi.StringMap{"cpu": pulumi.String(cpu(4 * j.CPU)), "memory": pulumi.String(mem(4 * j.MemoryGiB))},
		}}},
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}
	q := a.JobsQuota
	rq, err := corev1.NewResourceQuota(ctx, name+"-jobs-quota", &corev1.ResourceQuotaArgs{
		Metadata: meta("airbyte-jobs", jobsNS),
		Spec: &corev1.ResourceQuotaSpecArgs{Hard: pulumi.StringMap{
			"requests.cpu":    pulumi.String(cpu(q.CPU)),
			"requests.memory": pulumi.String(mem(q.MemoryGiB)),
			"limits.memory":   pulumi.String(mem(1.5 * q.MemoryGiB)),
			"pods":            pulumi.String(fmt.Sprint(q.Pods)),
		}},
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}
	return []pulumi.Resource{lr, rq}, nil
}

// newStorageSecrets writes the platform-owned storage Secrets the chart reads (ConfigSecretName): empty
// keys on S3, and on GCS and ADLS, unless the user manages StorageCredentialsSecret, the credential the
// store minted for Airbyte. Job pods mount the GCS key file from the jobs namespace, with the jobs
// workload's own key; on Azure the launcher hands them the connection string itself.
func newStorageSecrets(ctx *pulumi.Context, name string, a AirbyteStackArgs, jobsNS pulumi.StringInput,
	meta func(string, pulumi.StringInput) *metav1.ObjectMetaArgs, child []pulumi.ResourceOption) ([]pulumi.Resource, error) {
	type secret struct {
		suffix, key string
		ns          pulumi.StringInput
		data        map[string]pulumi.StringInput
	}
	var want []secret
	st := a.ObjectStore
	switch {
	case st.Kind == objectstore.S3:
		// The chart always reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the storage Secret on S3;
		// empty values make its S3 client fall back to the default chain, i.e. EKS Pod Identity. No
		// credential: a plain Secret.
		sec, err := corev1.NewSecret(ctx, name+"-config", &corev1.SecretArgs{
			Metadata:   meta(ConfigSecretName, a.Namespace),
			Type:       pulumi.String("Opaque"),
			StringData: pulumi.StringMap{"AWS_ACCESS_KEY_ID": pulumi.String(""), "AWS_SECRET_ACCESS_KEY": pulumi.String("")},
		}, child...)
		if err != nil {
			return nil, err
		}
		return []pulumi.Resource{sec}, nil
	case a.StorageCredentialsSecret != nil:
	case st.Kind == objectstore.GCS:
		want = append(want,
			secret{"-config", "airbyte-storage", a.Namespace, map[string]pulumi.StringInput{GCSKeyFile: st.Identities[a.Workload].StaticCredential}},
			secret{"-jobs-config", "airbyte-jobs-storage", jobsNS, map[string]pulumi.StringInput{GCSKeyFile: st.Identities[a.JobsWorkload].StaticCredential}})
	case st.Kind == objectstore.ADLS:
		want = append(want, secret{"-config", "airbyte-storage", a.Namespace, map[string]pulumi.StringInput{AzureConnectionStringKey: st.Identities[a.Workload].StaticCredential}})
	}
	var out []pulumi.Resource
	for _, w := range want {
		// The static credential the store minted goes to the target's secret store; the Secret the
		// chart reads is materialized from it.
		cred, err := a.Secrets.Put(ctx, name+w.suffix+"-credential", w.key, w.data, child...)
		if err != nil {
			return nil, err
		}
		data := map[string]secrets.Ref{}
		for k := range w.data {
			data[k] = cred.Ref(k)
		}
		sec, err := a.Secrets.Materialize(ctx, name+w.suffix, secrets.Secret{
			Name: ConfigSecretName, Namespace: w.ns, Type: "Opaque", Labels: plainLabels(a.Labels), Data: data,
		}, child...)
		if err != nil {
			return nil, err
		}
		out = append(out, sec.Resource)
	}
	return out, nil
}
