package dremio

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const pwType = "random:index/randomPassword:RandomPassword"

// TestProtectStatefulLeavesOnly checks the Protect contract: with Protect the coordinator (KV-store
// volume), the ZooKeeper ensemble and the generated passwords are protected, nothing else; without
// it nothing is.
func TestProtectStatefulLeavesOnly(t *testing.T) {
	for _, kind := range []objectstore.Kind{objectstore.S3, objectstore.ADLS, objectstore.GCS, objectstore.MinIO} {
		for _, protect := range []bool{true, false} {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				args := prodArgs(kind)
				args.Protect = protect
				m, _, err := run(t, preview, args)
				require.NoError(t, err)
				var got []string
				for _, r := range m.Resources() {
					if r.Protect {
						got = append(got, r.Type+" "+r.Name)
					}
				}
				if !protect {
					assert.Empty(t, got)
					return
				}
				want := []string{
					stsType + " dremio-coordinator", stsType + " dremio-executor", stsType + " dremio-zookeeper",
					pwType + " dremio-admin-password", pwType + " dremio-dbt-password",
				}
				assert.ElementsMatch(t, want, got)
			})
		}
	}
}

// TestSchedulingOnEveryPod checks that every pod template carries the workload pool's tolerations
// and node selector (AKS spot pools are tainted kubernetes.azure.com/scalesetpriority=spot).
func TestSchedulingOnEveryPod(t *testing.T) {
	sched := cluster.Scheduling{
		Tolerations:  []cluster.Toleration{{Key: "kubernetes.azure.com/scalesetpriority", Operator: "Equal", Value: "spot", Effect: "NoSchedule"}},
		NodeSelector: map[string]string{"dataplatform.io/pool": "workload"},
	}
	wantTol := []corev1.Toleration{{Key: "kubernetes.azure.com/scalesetpriority", Operator: "Equal", Value: "spot", Effect: "NoSchedule"}}
	for _, kind := range []objectstore.Kind{objectstore.S3, objectstore.ADLS, objectstore.MinIO} {
		inspect.Modes(t, func(t *testing.T, preview bool) {
			args := devArgs(kind)
			args.Scheduling = sched
			m, _, err := run(t, preview, args)
			require.NoError(t, err)
			pods := map[string]corev1.PodSpec{}
			for _, n := range []string{"dremio-zookeeper", "dremio-coordinator", "dremio-executor"} {
				pods[n] = statefulSet(t, m, n).Spec.Template.Spec
			}
			if !preview {
				var job batchv1.Job
				inspect.DecodeStrict(t, m.Named(jobType, "dremio-bootstrap"), &job)
				pods["dremio-bootstrap"] = job.Spec.Template.Spec
			}
			for n, pod := range pods {
				assert.Equal(t, wantTol, pod.Tolerations, n)
				assert.Equal(t, sched.NodeSelector, pod.NodeSelector, n)
			}
		})
	}
	// The zero value schedules anywhere.
	m, _, err := run(t, false, devArgs(objectstore.MinIO))
	require.NoError(t, err)
	pod := statefulSet(t, m, "dremio-executor").Spec.Template.Spec
	assert.Empty(t, pod.Tolerations)
	assert.Empty(t, pod.NodeSelector)

	bad := devArgs(objectstore.MinIO)
	bad.Scheduling = cluster.Scheduling{Tolerations: []cluster.Toleration{{Operator: "Equal", Value: "x"}}}
	_, _, err = run(t, false, bad)
	assert.ErrorContains(t, err, "Scheduling.Tolerations")
}

// TestBootstrapReRunsOnChangedScript checks that a changed bootstrap script changes the Job's pod
// template, the only change that makes pulumi-kubernetes replace (re-run) a Job.
func TestBootstrapReRunsOnChangedScript(t *testing.T) {
	template := func(ns string) (string, string) {
		args := prodArgs(objectstore.S3)
		args.Namespace, args.NamespaceName = pulumi.String(ns), ns // the script's URL names the namespace
		m, _, err := run(t, false, args)
		require.NoError(t, err)
		var job batchv1.Job
		inspect.DecodeStrict(t, m.Named(jobType, "dremio-bootstrap"), &job)
		return job.Spec.Template.Annotations["dataplatform.io/config-sha256"], job.Spec.Template.Spec.Containers[0].Command[2]
	}
	h1, s1 := template("dataplatform")
	h2, s2 := template("analytics")
	require.NotEqual(t, s1, s2)
	assert.Len(t, h1, 64)
	assert.NotEqual(t, h1, h2, "a changed script changes the pod template")
	h3, _ := template("dataplatform")
	assert.Equal(t, h1, h3, "an unchanged script keeps it")
}

// TestExecutorDrain checks the drain settings agree: Dremio's wait, the pod's grace period, no pause.
func TestExecutorDrain(t *testing.T) {
	for _, drain := range []int{0, 1800} {
		inspect.Modes(t, func(t *testing.T, preview bool) {
			args := prodArgs(objectstore.GCS)
			args.ExecutorDrainSeconds = drain
			m, _, err := run(t, preview, args)
			require.NoError(t, err)
			want := drain
			if want == 0 {
				want = DefaultExecutorDrainSeconds
			}
			pod := statefulSet(t, m, "dremio-executor").Spec.Template.Spec
			assert.Equal(t, int64(want+120), *pod.TerminationGracePeriodSeconds)
			assert.Nil(t, container(t, pod, "dremio").Lifecycle)
			if !preview {
				conf := configData(t, m)["dremio-executor.conf"]
				assert.Equal(t, 1, strings.Count(conf, "dremio.termination_grace_period_seconds:"))
				assert.Contains(t, conf, "dremio.termination_grace_period_seconds: "+itoa(want)+"\n")
			}
		})
	}
	for _, bad := range []int{10, 7200} {
		args := prodArgs(objectstore.GCS)
		args.ExecutorDrainSeconds = bad
		_, _, err := run(t, false, args)
		assert.ErrorContains(t, err, "ExecutorDrainSeconds")
	}
}

// TestMinIOEndpointNotVirtualHosted checks the store's host cannot begin with "s3", which Dremio
// 25.2's SDK v2 clients (2.17.295) would turn into <bucket>.<host>.
func TestMinIOEndpointNotVirtualHosted(t *testing.T) {
	props, err := coreSiteProperties(storeParams{Kind: objectstore.MinIO, Bucket: "b", Endpoint: "https://s3.data.svc.cluster.local:9000"})
	assert.Nil(t, props)
	assert.ErrorContains(t, err, `begins with "s3"`)
	props, err = coreSiteProperties(storeParams{Kind: objectstore.MinIO, Bucket: "b", Endpoint: "https://minio.data.svc.cluster.local:9000"})
	require.NoError(t, err)
	assert.Equal(t, "true", props["fs.s3a.path.style.access"])
}

// TestAWSCredentialProcess runs the credential process against a stand-in for the Pod Identity
// agent's answer and checks the credential_process format both AWS SDKs parse.
func TestAWSCredentialProcess(t *testing.T) {
	agent := `{"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"c2VjcmV0","Token":"dG9rZW4=","AccountId":"210987654321","Expiration":"2026-01-01T00:00:00.123456789Z"}`
	out := runCredentialProcess(t, agent)
	assert.JSONEq(t, `{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"c2VjcmV0","SessionToken":"dG9rZW4=","Expiration":"2026-01-01T00:00:00.123456789Z"}`, out)
}

func itoa(n int) string { return strconv.Itoa(n) }

// runCredentialProcess runs awsCredentialProcess with sh, a token file, and a wget on PATH that
// checks the Authorization header and URL and prints the agent's answer.
func runCredentialProcess(t *testing.T, answer string) string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	tmp := t.TempDir()
	token := filepath.Join(tmp, "eks-pod-identity-token")
	require.NoError(t, os.WriteFile(token, []byte("projected-sa-token"), 0o600))
	bin := filepath.Join(tmp, "bin")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	fake := `#!/bin/sh
for a in "$@"; do
  case "$a" in "Authorization: projected-sa-token") auth=1 ;; http://169.254.170.23/v1/credentials) url=1 ;; esac
done
[ "${auth:-}" = 1 ] && [ "${url:-}" = 1 ] || { echo "bad request: $*" >&2; exit 8; }
printf '%s' '` + answer + `'
`
	require.NoError(t, os.WriteFile(filepath.Join(bin, "wget"), []byte(fake), 0o755))
	script := filepath.Join(tmp, "credential-process")
	require.NoError(t, os.WriteFile(script, []byte(awsCredentialProcess), 0o755))
	cmd := exec.Command(sh, "-c", script) // as the SDKs run it: sh -c <credential_process>
	cmd.Env = []string{
		"PATH=" + bin + ":/usr/bin:/bin",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + token,
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())

	// Without Pod Identity the process fails with a message instead of printing nothing.
	cmd = exec.Command(sh, "-c", script)
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
	msg, err := cmd.CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(msg), "no EKS Pod Identity association")
	return string(out)
}
