package dremio

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestTokenProxySidecar checks the ADLS token proxy: a native sidecar of the coordinator and the
// executors only, pinned, probed, bounded and unprivileged; no other store kind runs it.
func TestTokenProxySidecar(t *testing.T) {
	const img = "mcr.microsoft.com/oss/azure/workload-identity/proxy:v1.6.0"
	for _, prod := range []bool{true, false} {
		args := devArgs(objectstore.ADLS)
		if prod {
			args = prodArgs(objectstore.ADLS)
		}
		args.TokenProxyImage = "" // the default
		m, _, err := run(t, false, args)
		require.NoError(t, err)
		for _, name := range []string{"dremio-coordinator", "dremio-executor"} {
			pod := statefulSet(t, m, name).Spec.Template.Spec
			assert.Equal(t, "true", statefulSet(t, m, name).Spec.Template.Labels["azure.workload.identity/use"], name)
			ics := withoutUpgrade(t, name, pod.InitContainers)
			require.Len(t, ics, 1, name)
			ic := ics[0]
			assert.Equal(t, "azwi-proxy", ic.Name)
			assert.Equal(t, img, ic.Image)
			require.NotNil(t, ic.RestartPolicy, "%s: a native sidecar needs restartPolicy Always", name)
			assert.Equal(t, corev1.ContainerRestartPolicyAlways, *ic.RestartPolicy)
			assert.Empty(t, ic.Command, "the image's entrypoint is /proxy")
			assert.Equal(t, []string{"--proxy-port=8000"}, ic.Args)
			assert.Empty(t, ic.Ports, "loopback only")
			probe := []string{"/proxy", "--probe", "--proxy-port=8000"}
			for pn, p := range map[string]*corev1.Probe{"startup": ic.StartupProbe, "liveness": ic.LivenessProbe} {
				require.NotNil(t, p, "%s %s probe", name, pn)
				require.NotNil(t, p.Exec, "%s %s probe", name, pn)
				assert.Equal(t, probe, p.Exec.Command, "%s %s probe", name, pn)
				assert.Equal(t, int32(10), p.TimeoutSeconds, "the probe retries for up to ~7 s")
			}
			assert.Equal(t, int32(2), ic.StartupProbe.PeriodSeconds)
			assert.Equal(t, int32(30), ic.StartupProbe.FailureThreshold)
			assert.Equal(t, int32(30), ic.LivenessProbe.PeriodSeconds)
			assert.Equal(t, int32(3), ic.LivenessProbe.FailureThreshold)
			assert.Nil(t, ic.ReadinessProbe)
			// What the resource-limits policy asks, with requests = limits so the pod stays Guaranteed.
			assert.Equal(t, "50m", ic.Resources.Requests.Cpu().String())
			assert.Equal(t, "64Mi", ic.Resources.Requests.Memory().String())
			assert.Equal(t, ic.Resources.Requests, ic.Resources.Limits)
			sc := ic.SecurityContext
			require.NotNil(t, sc)
			assert.True(t, *sc.RunAsNonRoot)
			assert.False(t, *sc.AllowPrivilegeEscalation)
			assert.True(t, *sc.ReadOnlyRootFilesystem)
			assert.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop)
			assert.Empty(t, sc.Capabilities.Add)
			assert.Nil(t, sc.Privileged)
			assert.Nil(t, sc.RunAsUser, "runs as the pod's user, Dremio's, which can read the projected token")
			assert.Equal(t, int64(999), *pod.SecurityContext.RunAsUser)
			assert.Empty(t, ic.Env, "the workload identity webhook injects the token file, tenant and authority")
			// The Dremio container itself is unchanged: no proxy settings, no static key.
			e := env(container(t, pod, "dremio"))
			for _, k := range []string{"AZURE_CLIENT_SECRET", "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING"} {
				assert.NotContains(t, e, k)
			}
		}
		zk := statefulSet(t, m, "dremio-zookeeper").Spec.Template.Spec
		assert.Empty(t, zk.InitContainers, "ZooKeeper has no object store access")
		var job batchv1.Job
		inspect.DecodeStrict(t, m.Named(jobType, "dremio-bootstrap"), &job)
		assert.Empty(t, job.Spec.Template.Spec.InitContainers)
	}

	// A pinned override is used as given.
	args := prodArgs(objectstore.ADLS)
	args.TokenProxyImage = "registry.example.com/mirror/azwi-proxy:v1.6.0"
	m, _, err := run(t, false, args)
	require.NoError(t, err)
	assert.Equal(t, "registry.example.com/mirror/azwi-proxy:v1.6.0", statefulSet(t, m, "dremio-executor").Spec.Template.Spec.InitContainers[0].Image)

	// Other stores: no sidecar (MinIO keeps only its trust-store init container, which runs to
	// completion), and neither does ADLS with node-local distributed storage.
	for _, kind := range []objectstore.Kind{objectstore.S3, objectstore.GCS, objectstore.MinIO} {
		m, _, err := run(t, false, prodArgs(kind))
		require.NoError(t, err)
		for _, name := range []string{"dremio-coordinator", "dremio-executor", "dremio-zookeeper"} {
			pod := statefulSet(t, m, name).Spec.Template.Spec
			for _, ic := range pod.InitContainers {
				assert.NotEqual(t, "azwi-proxy", ic.Name, "%s %s", kind, name)
				assert.Nil(t, ic.RestartPolicy, "%s %s: no sidecar", kind, name)
			}
			ics := withoutUpgrade(t, name, pod.InitContainers)
			if kind != objectstore.MinIO || name == "dremio-zookeeper" {
				assert.Empty(t, ics, "%s %s", kind, name)
			} else {
				require.Len(t, ics, 1)
				assert.Equal(t, "truststore", ics[0].Name)
			}
		}
		site := coreSite(t, configData(t, m)["core-site.xml"])
		for k := range site {
			assert.False(t, strings.HasPrefix(k, "fs.azure."), "%s: %s", kind, k)
		}
	}
	local := devArgs(objectstore.ADLS)
	local.DistStorage, local.DevLocalStorage = DistLocal, true
	m, _, err = run(t, false, local)
	require.NoError(t, err)
	assert.Empty(t, statefulSet(t, m, "dremio-executor").Spec.Template.Spec.InitContainers)
}

// withoutUpgrade returns a pod's init containers without the coordinator's KV-store upgrade, which
// must be the last one (it runs after the sidecars have started and the trust store is built).
func withoutUpgrade(t *testing.T, name string, ics []corev1.Container) []corev1.Container {
	t.Helper()
	if name != "dremio-coordinator" {
		return ics
	}
	require.NotEmpty(t, ics, name)
	require.Equal(t, "upgrade-kvstore", ics[len(ics)-1].Name, name)
	return ics[:len(ics)-1]
}
