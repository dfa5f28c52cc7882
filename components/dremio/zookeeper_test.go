package dremio

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestZooKeeperFirstStart checks what the zookeeper:3.9.3 image's entrypoint needs on a fresh volume
// (31z4/zookeeper-docker@268d33c 3.9.3/docker-entrypoint.sh and Dockerfile): it writes
// $ZOO_DATA_DIR/myid under set -e before zkServer.sh creates anything, and renders zoo.cfg into
// $ZOO_CONF_DIR from the ZOO_* variables, while zkEnv.sh loads logback.xml from $ZOOCFGDIR.
func TestZooKeeperFirstStart(t *testing.T) {
	for _, prod := range []bool{true, false} {
		inspect.Modes(t, func(t *testing.T, preview bool) {
			args := devArgs(objectstore.MinIO)
			if prod {
				args = prodArgs(objectstore.S3)
			}
			m, _, err := run(t, preview, args)
			require.NoError(t, err)
			zk := statefulSet(t, m, "dremio-zookeeper")
			pod := zk.Spec.Template.Spec
			c := container(t, pod, "zookeeper")
			e := env(c)
			require.Equal(t, []string{"/bin/bash", "-c"}, c.Command[:2])
			script := c.Command[2]

			// The data and log directories exist before the entrypoint writes myid into the first.
			dataDir, logDir := e["ZOO_DATA_DIR"].Value, e["ZOO_DATA_LOG_DIR"].Value
			assert.Equal(t, "/data/data", dataDir)
			assert.Equal(t, "/data/log", logDir)
			mkdir := strings.Index(script, `mkdir -p "$ZOO_DATA_DIR" "$ZOO_DATA_LOG_DIR"`)
			entry := strings.Index(script, "exec /docker-entrypoint.sh zkServer.sh start-foreground")
			require.GreaterOrEqual(t, mkdir, 0, "the start script creates the data directories")
			require.Greater(t, entry, mkdir, "before the entrypoint runs")
			assert.True(t, strings.HasPrefix(script, "set -euo pipefail\n"))

			// The server id is the ordinal + 1, from the pod name; matching the server.N lines.
			assert.Equal(t, "metadata.name", e["POD_NAME"].ValueFrom.FieldRef.FieldPath)
			assert.Contains(t, script, `ordinal="${POD_NAME##*-}"`)
			assert.Contains(t, script, "export ZOO_MY_ID=$((ordinal + 1))")
			var servers []string
			for i := 0; i < args.ZooKeeperReplicas; i++ {
				servers = append(servers, fmt.Sprintf("server.%d=dremio-zookeeper-%d.dremio-zookeeper-hs.dataplatform.svc.cluster.local:2888:3888;2181", i+1, i))
			}
			assert.Equal(t, strings.Join(servers, " "), e["ZOO_SERVERS"].Value)
			assert.Equal(t, fmt.Sprint(args.ZooKeeperReplicas == 1), e["ZOO_STANDALONE_ENABLED"].Value)

			// A writable conf directory beside, not over, the image's /conf; logback.xml copied in.
			assert.Equal(t, "/zk-conf", e["ZOO_CONF_DIR"].Value)
			assert.Equal(t, "/zk-conf", e["ZOOCFGDIR"].Value, "zkEnv.sh puts ZOOCFGDIR on the class path and reads zoo.cfg there")
			assert.Contains(t, script, `cp /conf/logback.xml "$ZOO_CONF_DIR/logback.xml"`)
			assert.Contains(t, script, `rm -f "$ZOO_CONF_DIR/zoo.cfg"`)
			mounts := map[string]string{}
			for _, vm := range c.VolumeMounts {
				mounts[vm.MountPath] = vm.Name
			}
			assert.NotContains(t, mounts, "/conf", "an empty volume at /conf hides the image's logback.xml")
			assert.Equal(t, map[string]string{"/data": "data", "/zk-conf": "conf", "/logs": "logs", "/tmp": "tmp"}, mounts)
			require.Len(t, zk.Spec.VolumeClaimTemplates, 1)
			assert.Equal(t, "data", zk.Spec.VolumeClaimTemplates[0].Name)

			// The image's user owns the volume's root through fsGroup.
			assert.Equal(t, int64(1000), *pod.SecurityContext.RunAsUser)
			assert.Equal(t, int64(1000), *pod.SecurityContext.FSGroup)
			assert.True(t, *c.SecurityContext.ReadOnlyRootFilesystem)

			// Heap through ZK_SERVER_HEAP, not JVMFLAGS (which every zkServer.sh JVM would take).
			assert.Equal(t, "512", e["ZK_SERVER_HEAP"].Value)
			assert.NotContains(t, e, "JVMFLAGS")
			assert.Equal(t, int64(1024)<<20, c.Resources.Limits.Memory().Value())
			assert.Equal(t, "false", e["ZOO_ADMINSERVER_ENABLED"].Value)
			assert.Equal(t, "srvr,ruok", e["ZOO_4LW_COMMANDS_WHITELIST"].Value)

			// Ready only when serving, without starting a JVM.
			require.NotNil(t, c.ReadinessProbe.Exec)
			probe := strings.Join(c.ReadinessProbe.Exec.Command, " ")
			assert.Contains(t, probe, "/dev/tcp/127.0.0.1/2181")
			assert.Contains(t, probe, "srvr")
			assert.Contains(t, probe, "^Mode: ")
			assert.NotContains(t, probe, "zkServer.sh")
		})
	}
}

// TestZooKeeperStartScriptOnFreshVolume runs the start script with bash against an empty volume and
// a stand-in for the image's entrypoint that does what 3.9.3/docker-entrypoint.sh does before it execs
// the server: under set -e, render zoo.cfg if absent, then write myid into $ZOO_DATA_DIR.
func TestZooKeeperStartScriptOnFreshVolume(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	tmp := t.TempDir()
	imageConf := filepath.Join(tmp, "image-conf")
	require.NoError(t, os.MkdirAll(imageConf, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(imageConf, "logback.xml"), []byte("<configuration/>"), 0o644))
	entry := filepath.Join(tmp, "docker-entrypoint.sh")
	require.NoError(t, os.WriteFile(entry, []byte(`#!/bin/bash
set -e
if [[ ! -f "$ZOO_CONF_DIR/zoo.cfg" ]]; then echo "dataDir=$ZOO_DATA_DIR" >> "$ZOO_CONF_DIR/zoo.cfg"; fi
if [[ ! -f "$ZOO_DATA_DIR/myid" ]]; then echo "${ZOO_MY_ID:-1}" > "$ZOO_DATA_DIR/myid"; fi
`), 0o755))
	volume := filepath.Join(tmp, "volume") // the fresh PVC: exists, empty
	confDir := filepath.Join(tmp, "zk-conf")
	require.NoError(t, os.MkdirAll(volume, 0o755))
	require.NoError(t, os.MkdirAll(confDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(confDir, "zoo.cfg"), []byte("stale\n"), 0o644))

	script := strings.NewReplacer("/conf/logback.xml", filepath.Join(imageConf, "logback.xml"), "/docker-entrypoint.sh", entry).Replace(zkStartScript)
	run := func(pod string) ([]byte, error) {
		cmd := exec.Command(bash, "-c", script)
		cmd.Env = []string{
			"PATH=/usr/bin:/bin", "POD_NAME=" + pod,
			"ZOO_DATA_DIR=" + filepath.Join(volume, "data"), "ZOO_DATA_LOG_DIR=" + filepath.Join(volume, "log"),
			"ZOO_CONF_DIR=" + confDir,
		}
		return cmd.CombinedOutput()
	}
	out, err := run("dremio-zookeeper-2")
	require.NoError(t, err, string(out))
	myid, err := os.ReadFile(filepath.Join(volume, "data", "myid"))
	require.NoError(t, err)
	assert.Equal(t, "3\n", string(myid), "server.3 is pod ordinal 2")
	assert.DirExists(t, filepath.Join(volume, "log"))
	assert.FileExists(t, filepath.Join(confDir, "logback.xml"))
	cfg, err := os.ReadFile(filepath.Join(confDir, "zoo.cfg"))
	require.NoError(t, err)
	assert.NotContains(t, string(cfg), "stale", "zoo.cfg is rendered anew on every start")

	out, err = run("zookeeper")
	assert.Error(t, err, "a pod name without an ordinal is refused")
	assert.Contains(t, string(out), "cannot derive the server id")
}
