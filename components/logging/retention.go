package logging

import (
	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/elasticsearch"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
)

// retentionJob registers the template and the data stream's lifecycle from Elasticsearch's namespace
// (where ECK's CA Secret is mounted directly and the namespace's own traffic is admitted), as the
// admin user. Everything it applies — script, bodies, password — and the cluster's UID are hashed
// into the pod template (metadatadb.ConfigHashAnnotation), which pulumi-kubernetes treats as a
// replacement (provider/v4 pkg/provider/diff.go forceNewProperties ".spec.template"); the fixed name
// makes it delete before it replaces. No ttlSecondsAfterFinished: a refresh must not make the next up
// run it again (the snapshot Job's pattern, components/elasticsearch/snapshot.go).
func (b *builder) retentionJob() (*batchv1.Job, error) {
	a := b.args
	template, lifecycle, sh := templateBody(a.RetentionDays), lifecycleBody(a.RetentionDays), retentionScript(b.host)
	component := map[string]string{"app.kubernetes.io/component": "logging-retention"}
	cm, err := corev1.NewConfigMap(b.ctx, b.name+"-retention-config", &corev1.ConfigMapArgs{
		Metadata: b.meta("logging-retention-config", a.DataNamespace, component),
		Data:     pulumi.StringMap{"template.json": pulumi.String(template), "lifecycle.json": pulumi.String(lifecycle), "register.sh": pulumi.String(sh)},
	}, b.child)
	if err != nil {
		return nil, err
	}
	hash := pulumi.Unsecret(pulumi.All(a.Realm.adminPassword, a.ClusterUID).ApplyT(func(v []any) string {
		return metadatadb.ConfigHash(template, lifecycle, sh, v[0], v[1])
	}).(pulumi.StringOutput)).(pulumi.StringOutput)
	env := func(name, key string) *corev1.EnvVarArgs {
		return &corev1.EnvVarArgs{Name: pulumi.String(name), ValueFrom: &corev1.EnvVarSourceArgs{
			SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: a.Realm.AdminSecret, Key: pulumi.String(key)},
		}}
	}
	podLabels := b.labels(map[string]string{"app.kubernetes.io/name": "logging-retention", "app.kubernetes.io/component": "logging-retention"})
	spec := elasticsearch.APIJobPod(a.Scheduling, cm.Metadata.Name(),
		corev1.EnvVarArray{env("ES_USER", "username"), env("ES_PASSWORD", "password")}, restricted(false))
	deps := append([]pulumi.Resource{a.Search, cm}, a.Realm.ready...)
	return batchv1.NewJob(b.ctx, b.name+"-retention", &batchv1.JobArgs{
		Metadata: b.meta("logging-retention", a.DataNamespace, component),
		Spec: &batchv1.JobSpecArgs{
			BackoffLimit:          pulumi.Int(10),
			ActiveDeadlineSeconds: pulumi.Int(3600),
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: podLabels, Annotations: pulumi.StringMap{metadatadb.ConfigHashAnnotation: hash}},
				Spec:     spec,
			},
		},
	}, b.child, pulumi.DependsOn(deps), pulumi.DeleteBeforeReplace(true),
		// pulumi-kubernetes waits 10 minutes for a Job by default (provider/v4 pkg/await/job.go
		// DefaultJobTimeoutMins); a first up forms the Elasticsearch cluster meanwhile.
		pulumi.Timeouts(&pulumi.CustomTimeouts{Create: "30m", Update: "30m"}))
}
