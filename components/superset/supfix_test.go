package superset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// supersetPods are the pod specs of every Superset process: web, worker, beat and the init Job.
func supersetPods(t *testing.T, m *mockcloud.Mocks) map[string]corev1.PodSpec {
	t.Helper()
	_, j := jobOf(t, m)
	return map[string]corev1.PodSpec{
		"web": deployment(t, m, "superset-web").Spec.Template.Spec, "worker": deployment(t, m, "superset-worker").Spec.Template.Spec,
		"beat": statefulSet(t, m, "superset-beat").Spec.Template.Spec, "init": j.Spec.Template.Spec,
	}
}

func jobOf(t *testing.T, m *mockcloud.Mocks) (*mockcloud.Resource, batchv1.Job) {
	t.Helper()
	r := m.Named(jobType, "superset-init")
	require.NotNil(t, r)
	var j batchv1.Job
	inspect.DecodeStrict(t, r, &j)
	return r, j
}

// B1: the Service "superset" would inject SUPERSET_PORT=tcp://<ip>:8088 (service links), which
// run-server.sh hands to gunicorn's --bind.
func TestNoServiceLinksAndExplicitPort(t *testing.T) {
	m, _, err := run(t, false, args(true))
	require.NoError(t, err)
	for name, pod := range supersetPods(t, m) {
		require.NotNil(t, pod.EnableServiceLinks, name)
		assert.False(t, *pod.EnableServiceLinks, "%s: no Docker-link variables", name)
		for _, c := range pod.Containers {
			assert.Equal(t, fmt.Sprint(WebPort), envOf(c)["SUPERSET_PORT"].Value, "%s: SUPERSET_PORT explicit", name)
		}
	}
	web := deployment(t, m, "superset-web").Spec.Template.Spec.Containers[0]
	require.Len(t, web.Command, 3)
	assert.True(t, strings.HasSuffix(web.Command[2], "exec '/app/docker/entrypoints/run-server.sh'\n"), "the image's CMD after the key check")
}

// M1: every container carries the digest of the current key, plain, and refuses another key.
func TestEveryContainerChecksTheExpectedKey(t *testing.T) {
	digests := map[int]string{}
	for _, gen := range []int{1, 2} {
		a := args(true)
		a.SecretKeyGeneration = gen
		m, _, err := run(t, false, a)
		require.NoError(t, err)
		key := m.Named(pwType, fmt.Sprintf("superset-secret-key-%d", gen))
		require.NotNil(t, key)
		sum := sha256.Sum256([]byte(key.Outputs["result"].StringValue()))
		want := hex.EncodeToString(sum[:])
		for name, pod := range supersetPods(t, m) {
			for _, c := range pod.Containers {
				assert.Equal(t, want, envOf(c)[ExpectedKeyEnv].Value, "%s: the digest of generation %d's key", name, gen)
				cmd := strings.Join(c.Command, " ")
				assert.Contains(t, cmd, `"$actual" != "$`+ExpectedKeyEnv+`"`, "%s checks its key", name)
				assert.Contains(t, cmd, fmt.Sprintf("is not secret key generation %d", gen), name)
			}
		}
		// The digest is a plain value in the Deployment's inputs, not a secret.
		env := inspect.At(m.Named(depType, "superset-web").Inputs, "spec", "template", "spec", "containers", 0, "env")
		found := false
		for _, e := range env.ArrayValue() {
			if inspect.Str(e.ObjectValue(), "name") == ExpectedKeyEnv {
				found = true
				assert.False(t, e.ObjectValue()["value"].IsSecret() || e.ObjectValue()["value"].ContainsSecrets(), "a digest is not a secret")
			}
		}
		assert.True(t, found)
		digests[gen] = want
	}
	assert.NotEqual(t, digests[1], digests[2], "the digest changes with the generation")
}

// shellRun runs script under sh with env and a PATH whose `superset` is a stub logging its
// arguments and PREVIOUS_SECRET_KEY and failing on re-encrypt-secrets when failReencrypt.
func shellRun(t *testing.T, script string, env map[string]string, failReencrypt bool) (string, string, error) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, tool := range []string{"sha256sum", "cut"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip("no " + tool)
		}
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	fail := "false"
	if failReencrypt {
		fail = "true"
	}
	stub := "#!/bin/sh\necho \"$* prev=${PREVIOUS_SECRET_KEY:-}\" >> " + log + "\n" +
		"if [ \"$1\" = re-encrypt-secrets ] && " + fail + "; then exit 1; fi\nexit 0\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "superset"), []byte(stub), 0o700))
	cmd := exec.Command(sh, "-c", script)
	cmd.Env = []string{"PATH=" + dir + ":" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	logged, _ := os.ReadFile(log)
	return string(logged), stderr.String(), err
}

func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func initEnv(key, expected, previous string) map[string]string {
	e := map[string]string{"SUPERSET_SECRET_KEY": key, ExpectedKeyEnv: digestOf(expected),
		"ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": "pw", "DREMIO_USER": "superset", "DREMIO_PASSWORD": "pw"}
	if previous != "" {
		e["PREVIOUS_SECRET_KEY"] = previous
	}
	return e
}

func TestInitScriptKeyChecks(t *testing.T) {
	script := InitScript("dremio-client.apps.svc.cluster.local", 32010, 3)
	// The Secret still holds generation 2's key: the Job refuses before touching anything.
	logged, stderr, err := shellRun(t, script, initEnv("key-2", "key-3", "key-1"), false)
	require.Error(t, err)
	assert.Empty(t, logged, "no superset command ran")
	assert.Contains(t, stderr, "is not secret key generation 3")
	// The right key: migrations, then re-encryption with the previous key, then the rest.
	logged, _, err = shellRun(t, script, initEnv("key-3", "key-3", "key-2"), false)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(logged), "\n")
	require.Len(t, lines, 5, logged)
	assert.True(t, strings.HasPrefix(lines[0], "db upgrade"))
	assert.Equal(t, "re-encrypt-secrets prev=key-2", lines[1])
	// A key pair that never encrypted the data (a jump or a step back): the Job fails with the rule
	// before set-database-uri would overwrite the Dremio password.
	logged, stderr, err = shellRun(t, script, initEnv("key-3", "key-3", "key-2"), true)
	require.Error(t, err)
	assert.NotContains(t, logged, "set-database-uri")
	assert.Contains(t, stderr, "may only be raised by one")
	// Generation 1: no previous key; re-encrypt-secrets runs with the current one as previous,
	// proving every stored secret opens with it.
	logged, _, err = shellRun(t, InitScript("d", 32010, 1), initEnv("key-1", "key-1", ""), false)
	require.NoError(t, err)
	assert.Contains(t, logged, "re-encrypt-secrets prev=key-1\n")
}

func TestContainerCommandKeyCheck(t *testing.T) {
	cmd := containerCommand(2, []string{"echo", "it's", "running"})
	require.Len(t, cmd, 3)
	script := string(cmd[2].(pulumi.String))
	out, stderr, err := shellRun(t, script, map[string]string{"SUPERSET_SECRET_KEY": "old", ExpectedKeyEnv: digestOf("new")}, false)
	require.Error(t, err, "the old key: the container exits and is restarted")
	assert.Empty(t, out)
	assert.Contains(t, stderr, "has not been synced")
	c := exec.Command("sh", "-c", script)
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "SUPERSET_SECRET_KEY=new", ExpectedKeyEnv + "=" + digestOf("new")}
	got, err := c.Output()
	require.NoError(t, err)
	assert.Equal(t, "it's running\n", string(got), "the expected key: the process runs, its arguments intact")
}

// M2: every generation's key stays registered, so 1→3 keeps key 1 and 2→1 cannot delete key 2
// silently in the same run as its replacement (the init Job refuses first).
func TestEveryGenerationsKeyIsKept(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args(true)
		a.SecretKeyGeneration = 3
		m, _, err := run(t, preview, a)
		require.NoError(t, err)
		for g := 1; g <= 3; g++ {
			r := m.Named(pwType, fmt.Sprintf("superset-secret-key-%d", g))
			require.NotNil(t, r, "generation %d's key", g)
			assert.True(t, r.Protect, "protected in prod")
		}
	})
	for _, bad := range []int{0, MaxSecretKeyGeneration + 1} {
		a := args(false)
		a.SecretKeyGeneration = bad
		_, _, err := run(t, false, a)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "SecretKeyGeneration")
	}
}

// M3: a pod's processes × (pool_size + max_overflow) fit DatabaseConnectionsPerPod.
func TestPoolBoundsFitTheBudget(t *testing.T) {
	for _, cpu := range []float64{0.25, 0.5, 1, 1.5, 2, 4, 8, 32} {
		a := &SupersetArgs{Web: Compute{CPU: cpu}, Worker: Compute{CPU: cpu}}
		for _, role := range []string{roleWeb, roleWorker, roleBeat, roleInit} {
			n := processes(role, a)
			size, overflow := poolBounds(n)
			assert.GreaterOrEqual(t, size, 1, "%s at %v CPU", role, cpu)
			assert.LessOrEqual(t, n*(size+overflow), DatabaseConnectionsPerPod, "%s at %v CPU: %d processes × (%d + %d)", role, cpu, n, size, overflow)
		}
	}
	assert.Equal(t, 4, webProcesses(2))
	assert.Equal(t, 4, workerConcurrency(2))
	assert.Equal(t, 12, DatabasePods(6, 2), "6 web + 2 workers + a surge pod each + beat + init")

	a := args(true)
	a.Web = Compute{CPU: 2, MemoryGiB: 4} // prod's default
	m, _, err := run(t, false, a)
	require.NoError(t, err)
	web := deployment(t, m, "superset-web").Spec.Template.Spec.Containers[0]
	assert.Equal(t, "4", envOf(web)["SERVER_WORKER_AMOUNT"].Value)
	assert.Equal(t, "3", envOf(web)[PoolSizeEnv].Value, "20 / 4 processes = 5: 3 kept + 2 overflow")
	assert.Equal(t, "2", envOf(web)[MaxOverflowEnv].Value)
	worker := deployment(t, m, "superset-worker").Spec.Template.Spec.Containers[0]
	assert.Contains(t, worker.Command[2], "'-c' '2'", "two children per CPU (args(true): 1 CPU)")
	assert.Equal(t, "3", envOf(worker)[PoolSizeEnv].Value, "20 / 3 processes (2 children + the parent) = 6: 3 kept + 3 overflow")
	assert.Equal(t, "3", envOf(worker)[MaxOverflowEnv].Value)
	assert.Nil(t, worker.LivenessProbe, "no app-loading `celery inspect ping` every minute")
	cfg := render(true)
	assert.Contains(t, cfg, `"pool_size": int(_env("`+PoolSizeEnv+`"))`)
	assert.Contains(t, cfg, `"max_overflow": int(_env("`+MaxOverflowEnv+`"))`)
}

// m6: the init Job waits for the NetworkPolicies of the default-deny namespace.
func TestInitJobWaitsForItsNetworkPolicies(t *testing.T) {
	m, _, err := run(t, false, args(false))
	require.NoError(t, err)
	job := m.Named(jobType, "superset-init")
	for _, name := range []string{"superset-egress", "superset-valkey-ingress"} {
		np := m.Named(npType, name)
		require.NotNil(t, np, name)
		assert.True(t, m.DependsOn(job, np), "the init Job waits for %s", name)
	}
}

// m2: SQL Lab runs on the Celery workers (results in Valkey), not on a web process under the
// 30 s SQLLAB_TIMEOUT.
func TestSQLLabRunsAsync(t *testing.T) {
	assert.Contains(t, render(true), `"SQLLAB_FORCE_RUN_ASYNC": True,`)
	assert.Contains(t, render(true), "RESULTS_BACKEND = RedisCache(")
}
