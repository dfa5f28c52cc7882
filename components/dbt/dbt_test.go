package dbt

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	cronType = "kubernetes:batch/v1:CronJob"
	cmType   = "kubernetes:core/v1:ConfigMap"
	npType   = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	saType   = "kubernetes:core/v1:ServiceAccount"
)

func args() *DbtJobArgs {
	return &DbtJobArgs{
		Namespace:         pulumi.String("dataplatform"),
		Image:             "123456789012.dkr.ecr.eu-north-1.amazonaws.com/dataplatform/dbt:1.0.0",
		Schedule:          "0 3 * * *",
		DremioHost:        "dremio-client.dataplatform.svc.cluster.local",
		DremioPort:        9047,
		CredentialsSecret: pulumi.String("dremio-dbt-credentials"),
		Threads:           8,
		Labels:            map[string]string{"environment": "prod"},
	}
}

func run(t *testing.T, preview bool, a *DbtJobArgs) (*mockcloud.Mocks, *DbtJob, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	var j *DbtJob
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		j, err = NewDbtJob(ctx, "dbt", a, pulumi.Provider(p))
		return err
	}, nil)
	return m, j, err
}

func TestCronJob(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, j, err := run(t, preview, args())
		require.NoError(t, err)
		r := m.Named(cronType, "dbt-cronjob")
		require.NotNil(t, r)
		assert.NotNil(t, m.Named(saType, "dbt-sa"))
		if preview {
			return
		}
		var cj batchv1.CronJob
		inspect.DecodeStrict(t, r, &cj)
		assert.Equal(t, "dbt", cj.Name)
		assert.Equal(t, "dataplatform", cj.Namespace)
		s := cj.Spec
		assert.Equal(t, "0 3 * * *", s.Schedule)
		assert.Equal(t, batchv1.ForbidConcurrent, s.ConcurrencyPolicy)
		assert.Equal(t, int32(3), *s.SuccessfulJobsHistoryLimit)
		assert.Equal(t, int32(3), *s.FailedJobsHistoryLimit)
		assert.Equal(t, int64(600), *s.StartingDeadlineSeconds)
		assert.Equal(t, int32(2), *s.JobTemplate.Spec.BackoffLimit)
		assert.Positive(t, *s.JobTemplate.Spec.ActiveDeadlineSeconds)
		pod := s.JobTemplate.Spec.Template.Spec
		assert.False(t, *pod.AutomountServiceAccountToken)
		assert.Equal(t, "dbt", pod.ServiceAccountName)
		assert.True(t, *pod.SecurityContext.RunAsNonRoot)
		assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, pod.SecurityContext.SeccompProfile.Type)
		require.Len(t, pod.Containers, 1)
		c := pod.Containers[0]
		assert.Equal(t, args().Image, c.Image)
		// --profile and --target: the project's dbt_project.yml may name another profile (was without
		// both, so such a project failed with "Could not find profile").
		assert.Equal(t, []string{"dbt", "build", "--profiles-dir", "/dbt/profiles", "--profile", "dataplatform", "--target", "prod"}, append(c.Command, c.Args...))
		assert.True(t, *c.SecurityContext.ReadOnlyRootFilesystem)
		assert.False(t, *c.SecurityContext.AllowPrivilegeEscalation)
		assert.Equal(t, []corev1.Capability{"ALL"}, c.SecurityContext.Capabilities.Drop)
		assert.Equal(t, int64(500), c.Resources.Requests.Cpu().MilliValue())
		assert.Equal(t, int64(1)<<30, c.Resources.Limits.Memory().Value())
		env := map[string]corev1.EnvVar{}
		for _, e := range c.Env {
			env[e.Name] = e
		}
		assert.Equal(t, "dremio-dbt-credentials", env["DREMIO_USER"].ValueFrom.SecretKeyRef.Name)
		assert.Equal(t, "user", env["DREMIO_USER"].ValueFrom.SecretKeyRef.Key)
		assert.Equal(t, "password", env["DREMIO_PASSWORD"].ValueFrom.SecretKeyRef.Key)
		assert.Equal(t, "/tmp/dbt/target", env["DBT_TARGET_PATH"].Value)
		mounts := map[string]string{}
		for _, vm := range c.VolumeMounts {
			mounts[vm.Name] = vm.MountPath
		}
		assert.Equal(t, "/dbt/profiles", mounts["profiles"])
		assert.Equal(t, "/tmp/dbt/target", mounts["target"])
		assert.Equal(t, "/tmp/dbt/logs", mounts["logs"])
		for _, v := range pod.Volumes {
			if v.Name == "target" || v.Name == "logs" {
				assert.NotNil(t, v.EmptyDir, v.Name)
			}
		}
		assert.Equal(t, "dbt", s.JobTemplate.Spec.Template.Labels["app.kubernetes.io/name"])

		res := inspect.Await(t, j.CronJobName)
		assert.Equal(t, "dbt", res.Value)

		var np networkingv1.NetworkPolicy
		inspect.DecodeStrict(t, m.Named(npType, "dbt-egress"), &np)
		assert.Equal(t, map[string]string{"app.kubernetes.io/name": "dbt"}, np.Spec.PodSelector.MatchLabels)
		assert.Equal(t, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}, np.Spec.PolicyTypes)
		require.Len(t, np.Spec.Egress, 1)
		assert.Equal(t, map[string]string{"app.kubernetes.io/name": "dremio"}, np.Spec.Egress[0].To[0].PodSelector.MatchLabels)
		assert.Nil(t, np.Spec.Egress[0].To[0].NamespaceSelector)
		require.Len(t, np.Spec.Egress[0].Ports, 1)
		assert.Equal(t, 9047, np.Spec.Egress[0].Ports[0].Port.IntValue())
	})
}

func TestProfiles(t *testing.T) {
	m, _, err := run(t, false, args())
	require.NoError(t, err)
	var cm corev1.ConfigMap
	inspect.DecodeStrict(t, m.Named(cmType, "dbt-profiles"), &cm)
	assert.Equal(t, "dbt-profiles", cm.Name)
	var profiles map[string]struct {
		Target  string                    `json:"target"`
		Outputs map[string]map[string]any `json:"outputs"`
	}
	require.NoError(t, yaml.UnmarshalStrict([]byte(cm.Data["profiles.yml"]), &profiles))
	p := profiles["dataplatform"]
	assert.Equal(t, "prod", p.Target)
	assert.Equal(t, map[string]any{
		"type":          "dremio",
		"software_host": "dremio-client.dataplatform.svc.cluster.local",
		"port":          float64(9047),
		"user":          "{{ env_var('DREMIO_USER') }}",
		"password":      "{{ env_var('DREMIO_PASSWORD') }}",
		"use_ssl":       false,
		// The lake source, not Dremio's $scratch (was dbt-dremio's defaults "$scratch" / "no_schema").
		"object_storage_source": "lake",
		"object_storage_path":   "dbt",
		"dremio_space":          "dataplatform",
		"dremio_space_folder":   "dbt",
		"threads":               float64(8),
	}, p.Outputs["prod"])
}

func TestValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(a *DbtJobArgs)
		want   string
	}{
		"latest":       {func(a *DbtJobArgs) { a.Image = "registry.example.com/dbt:latest" }, "latest"},
		"no tag":       {func(a *DbtJobArgs) { a.Image = "registry.example.com/dbt" }, "pinned"},
		"empty image":  {func(a *DbtJobArgs) { a.Image = "" }, "Image"},
		"six fields":   {func(a *DbtJobArgs) { a.Schedule = "0 0 3 * * *" }, "five-field"},
		"bad field":    {func(a *DbtJobArgs) { a.Schedule = "0 3 * * mon;rm" }, "cron field"},
		"no secret":    {func(a *DbtJobArgs) { a.CredentialsSecret = nil }, "CredentialsSecret"},
		"bad port":     {func(a *DbtJobArgs) { a.DremioPort = 0 }, "DremioPort"},
		"bad host":     {func(a *DbtJobArgs) { a.DremioHost = "http://dremio" }, "DremioHost"},
		"threads":      {func(a *DbtJobArgs) { a.Threads = -1 }, "Threads"},
		"no namespace": {func(a *DbtJobArgs) { a.Namespace = nil }, "Namespace"},
		"scratch":      {func(a *DbtJobArgs) { a.ObjectStorageSource = "$scratch" }, "not Dremio's scratch space"},
		"bad source":   {func(a *DbtJobArgs) { a.ObjectStorageSource = "lake\"; drop" }, "Dremio source name"},
	} {
		t.Run(name, func(t *testing.T) {
			a := args()
			tc.mutate(a)
			m, _, err := run(t, false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType(DbtJobType))
		})
	}
	a := args()
	a.Image = "registry.example.com:5000/team/dbt@sha256:" + fmt.Sprintf("%064x", 1)
	_, _, err := run(t, false, a)
	assert.NoError(t, err)
}

// TestSchedulingAndConfigHash: the run's pods land on the workload pool, and a changed profile
// changes the CronJob's pod template.
func TestSchedulingAndConfigHash(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args()
		a.Scheduling = cluster.Scheduling{
			Tolerations:  []cluster.Toleration{{Key: "workload", Operator: "Exists", Effect: "NoSchedule"}},
			NodeSelector: map[string]string{"pool": "workload"},
		}
		m, _, err := run(t, preview, a)
		require.NoError(t, err)
		r := m.Named(cronType, "dbt-cronjob")
		require.NotNil(t, r)
		tmpl := inspect.Obj(inspect.At(r.Inputs, "spec", "jobTemplate", "spec", "template"))
		tol := inspect.Obj(inspect.At(tmpl, "spec", "tolerations").ArrayValue()[0])
		assert.Equal(t, "workload", inspect.Str(tol, "key"))
		assert.Equal(t, "Exists", inspect.Str(tol, "operator"))
		assert.Equal(t, "workload", inspect.Str(tmpl, "spec", "nodeSelector", "pool"))
		h1 := inspect.Str(tmpl, "metadata", "annotations", ConfigHashAnnotation)
		assert.Len(t, h1, 64)

		b := args()
		b.ObjectStoragePath = "marts"
		m2, _, err := run(t, preview, b)
		require.NoError(t, err)
		h2 := inspect.Str(inspect.Obj(inspect.At(m2.Named(cronType, "dbt-cronjob").Inputs, "spec", "jobTemplate", "spec", "template")), "metadata", "annotations", ConfigHashAnnotation)
		assert.NotEqual(t, h1, h2)
	})
}
