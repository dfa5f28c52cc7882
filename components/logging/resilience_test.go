package logging

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const quotaType = "kubernetes:core/v1:ResourceQuota"

// containers are the pod template's containers by name.
func containers(pod resource.PropertyMap, key string) map[string]resource.PropertyMap {
	out := map[string]resource.PropertyMap{}
	for _, v := range inspect.Arr(inspect.At(pod, key)) {
		out[inspect.Str(inspect.Obj(v), "name")] = inspect.Obj(v)
	}
	return out
}

// TestOutputNeverLoopsOnAChunk: the es output reads every bulk response whole (a response over the
// default 512k would be a failure, and the chunk, already indexed, would be sent again) and gives a
// chunk up after a finite number of retries.
func TestOutputNeverLoopsOnAChunk(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		require.NoError(t, err)
		out := section(fluentBitConf(t, m), "OUTPUT")
		assert.Equal(t, "False", out["Buffer_Size"])
		assert.Equal(t, "15", out["Retry_Limit"])
		assert.NotContains(t, out, "Trace_Error", "no bulk responses dumped into the logs the shipper tails")
	})
}

// TestCARenewal: the health endpoint turns red when chunks keep being dropped and the liveness probe
// reads it; a sidecar re-fetches ECK's CA and hot-reloads Fluent Bit when it changed.
func TestCARenewal(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		require.NoError(t, err)
		svc := section(fluentBitConf(t, m), "SERVICE")
		assert.Equal(t, "On", svc["Health_Check"])
		assert.Equal(t, "5", svc["HC_Errors_Count"])
		assert.Equal(t, "5", svc["HC_Retry_Failure_Count"])
		assert.Equal(t, "300", svc["HC_Period"])
		assert.Equal(t, "On", svc["Hot_Reload"])

		ds := inspect.MustNamed(t, m, dsType, "logging-daemonset")
		pod := inspect.Obj(inspect.At(ds.Inputs, "spec", "template", "spec"))
		cs := containers(pod, "containers")
		require.Contains(t, cs, Name)
		fb := cs[Name]
		assert.Equal(t, "/api/v1/health", inspect.Str(fb, "livenessProbe", "httpGet", "path"))
		assert.Equal(t, "/api/v2/health", inspect.Str(fb, "readinessProbe", "httpGet", "path"))

		require.Contains(t, cs, "refresh-ca")
		sc := cs["refresh-ca"]
		assert.Equal(t, JobImage, inspect.Str(sc, "image"))
		assert.Equal(t, []string{"/bin/sh", "/fluent-bit/etc/conf/refresh-ca.sh"}, inspect.Strs(sc, "command"))
		nonRoot, _ := inspect.Bool(sc, "securityContext", "runAsNonRoot")
		assert.True(t, nonRoot)
		for _, k := range []string{"requests", "limits"} {
			assert.True(t, inspect.Has(sc, "resources", k, "memory"), k)
		}
		mounts := map[string]bool{}
		for _, v := range inspect.Arr(inspect.At(sc, "volumeMounts")) {
			ro, _ := inspect.Bool(inspect.Obj(v), "readOnly")
			mounts[inspect.Str(inspect.Obj(v), "name")] = ro
		}
		assert.Equal(t, map[string]bool{"config": true, "es-ca": false, "tmp": false}, mounts)

		cm := inspect.MustNamed(t, m, cmType, "logging-config")
		refresh := inspect.Str(cm.Inputs, "data", "refresh-ca.sh")
		assert.Contains(t, refresh, "while sleep 300; do")
		assert.Contains(t, refresh, "sh /fluent-bit/etc/conf/fetch-ca.sh")
		assert.Contains(t, refresh, "curl -fsS -X POST http://127.0.0.1:2020/api/v2/reload")
		fetch := inspect.Str(cm.Inputs, "data", "fetch-ca.sh")
		assert.Contains(t, fetch, "mv -f /es-ca/ca.crt.new /es-ca/ca.crt", "the CA is replaced in one rename")
		assert.Less(t, strings.Index(fetch, "grep -q 'BEGIN CERTIFICATE' /es-ca/ca.crt.new"), strings.Index(fetch, "mv -f"), "checked before it replaces the old one")
	})
}

// TestPlacement: the shipper preempts on a full node (system-node-critical, admitted by a quota
// scoped to that class) and reads Docker nodes' log files, read-only.
func TestPlacement(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		require.NoError(t, err)
		ds := inspect.MustNamed(t, m, dsType, "logging-daemonset")
		pod := inspect.Obj(inspect.At(ds.Inputs, "spec", "template", "spec"))
		assert.Equal(t, "system-node-critical", inspect.Str(pod, "priorityClassName"))

		q := inspect.MustNamed(t, m, quotaType, "logging-critical-pods")
		assert.Equal(t, Namespace, inspect.Str(q.Inputs, "metadata", "namespace"))
		assert.Equal(t, "PriorityClass", inspect.Str(q.Inputs, "spec", "scopeSelector", "matchExpressions", 0, "scopeName"))
		assert.Equal(t, "In", inspect.Str(q.Inputs, "spec", "scopeSelector", "matchExpressions", 0, "operator"))
		assert.Equal(t, []string{"system-node-critical"}, inspect.Strs(q.Inputs, "spec", "scopeSelector", "matchExpressions", 0, "values"))
		assert.Equal(t, "5000", inspect.Str(q.Inputs, "spec", "hard", "pods"))
		assert.Contains(t, ds.Dependencies, q.URN, "the quota exists before the pods are admitted")

		var docker resource.PropertyMap
		for _, v := range inspect.Arr(inspect.At(pod, "volumes")) {
			if inspect.Str(inspect.Obj(v), "name") == "dockercontainers" {
				docker = inspect.Obj(v)
			}
		}
		require.NotNil(t, docker)
		assert.Equal(t, "/var/lib/docker/containers", inspect.Str(docker, "hostPath", "path"))
		assert.False(t, inspect.Has(docker, "hostPath", "type"), "containerd nodes have no such directory and still start")
		fb := containers(pod, "containers")[Name]
		var ro, found bool
		for _, v := range inspect.Arr(inspect.At(fb, "volumeMounts")) {
			if inspect.Str(inspect.Obj(v), "name") == "dockercontainers" {
				found = true
				ro, _ = inspect.Bool(inspect.Obj(v), "readOnly")
				assert.Equal(t, "/var/lib/docker/containers", inspect.Str(inspect.Obj(v), "mountPath"), "the symlinks' targets resolve at the same path")
			}
		}
		assert.True(t, found)
		assert.True(t, ro, "read-only")
	})
}

// TestScriptsParse: the CA scripts are valid POSIX shell (sh -n parses without running).
func TestScriptsParse(t *testing.T) {
	for name, script := range map[string]string{"fetch-ca.sh": caScript("dataplatform-data"), "refresh-ca.sh": refreshScript()} {
		out, err := exec.Command("sh", "-n", "-c", script).CombinedOutput()
		assert.NoError(t, err, "%s: %s", name, out)
	}
}

// TestFilesystemBuffer: chunks are files on the node (a restart or OOM does not lose what was read
// but not delivered), at most 8 in memory, the disk bounded.
func TestFilesystemBuffer(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		require.NoError(t, err)
		conf := fluentBitConf(t, m)
		svc := section(conf, "SERVICE")
		assert.Equal(t, "/var/lib/fluent-bit/buffer", svc["storage.path"], "under the state hostPath")
		assert.Equal(t, "8", svc["storage.max_chunks_up"])
		assert.Equal(t, "16M", svc["storage.backlog.mem_limit"])
		in := section(conf, "INPUT")
		assert.Equal(t, "filesystem", in["storage.type"])
		assert.NotContains(t, in, "Mem_Buf_Limit")
		assert.Equal(t, "1G", section(conf, "OUTPUT")["storage.total_limit_size"])
	})
}

// TestRetentionRemovesILM: after setting the lifecycle, the Job takes ILM off the stream's backing
// indices (a stream auto-created from the built-in logs template), with the privilege to do so.
func TestRetentionRemovesILM(t *testing.T) {
	script := retentionScript("es.example.svc")
	lc := strings.Index(script, "/_lifecycle\" --data-binary")
	rm := strings.Index(script, `es -X POST "https://es.example.svc:9200/logs-kubernetes.container_logs-platform/_ilm/remove"`)
	require.Positive(t, lc)
	assert.Greater(t, rm, lc, "ILM is removed after the lifecycle is set")
	assert.Contains(t, rolesFile(), `privileges: ["create_index", "view_index_metadata", "manage_data_stream_lifecycle", "manage_ilm"]`)
}
