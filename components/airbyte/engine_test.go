package airbyte

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// testCA is a PEM CA certificate, as the MinIO component hands out in objectstore.Info.CABundle.
var testCA = func() string {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dataplatform object store CA"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(4102444800, 0), IsCA: true, BasicConstraintsValid: true,
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}()

// minioArgs are baseArgs for MinIO with a real CA bundle.
func minioArgs(prod bool) *AirbyteStackArgs {
	a := baseArgs(objectstore.MinIO, prod)
	a.ObjectStore.CABundle = so(testCA)
	return a
}

// extraEnv returns a chart service's extraEnv as name → values (a name may repeat: the test catches it).
func extraEnv(v resource.PropertyMap, key string) map[string][]string {
	out := map[string][]string{}
	if !inspect.At(v, key, "extraEnv").IsArray() {
		return out
	}
	for _, e := range inspect.At(v, key, "extraEnv").ArrayValue() {
		name := inspect.Str(inspect.Obj(e), "name")
		out[name] = append(out[name], inspect.Str(inspect.Obj(e), "value"))
	}
	return out
}

// TestJobPodsInJobsNamespace: the workload launcher (and the bootloader) get the jobs namespace as a
// Java system property, which Micronaut ranks above the JOB_KUBE_NAMESPACE the chart renders from the
// pod's own namespace; connector pods therefore run in the jobs namespace, not beside the platform.
// Replaces TestJobPodsRedirectedToJobsNamespace, which asserted a helm/v4 Chart transform that a
// Release cannot carry.
func TestJobPodsInJobsNamespace(t *testing.T) {
	want := "-D" + JobsNamespaceProperty + "=dataplatform-jobs"
	assert.Equal(t, "airbyte.worker.job.kube.namespace", JobsNamespaceProperty)
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				args := baseArgs(kind, true)
				if kind == objectstore.MinIO {
					args = minioArgs(true)
				}
				v := values(t, run(t, preview, args))
				for _, key := range []string{"workloadLauncher", "airbyteBootloader"} {
					env := extraEnv(v, key)
					require.Len(t, env["JAVA_TOOL_OPTIONS"], 1, "%s: exactly one JAVA_TOOL_OPTIONS", key)
					assert.Contains(t, strings.Fields(env["JAVA_TOOL_OPTIONS"][0]), want, key)
					if kind == objectstore.MinIO {
						assert.Contains(t, strings.Fields(env["JAVA_TOOL_OPTIONS"][0]), "-Djavax.net.ssl.trustStore="+TrustStorePath, key)
					}
				}
				for _, key := range append(ServiceKeys(), "temporal") {
					env := extraEnv(v, key)
					assert.NotContains(t, env, JobNamespaceEnvName, "%s: the chart renders JOB_KUBE_NAMESPACE already; a second one is a duplicate", key)
					assert.LessOrEqual(t, len(env["JAVA_TOOL_OPTIONS"]), 1, key)
				}
			})
		})
	}
}

// JobNamespaceEnvName is the variable the chart renders from the pod's namespace (_jobs.tpl).
const JobNamespaceEnvName = "JOB_KUBE_NAMESPACE"

// TestWorkerReplicasAtAutoscalerFloor: the chart always renders the worker's replicas and every Helm
// upgrade re-applies them (three-way merge against the live object), so the value is the HPA's
// minimum. Replaces TestWorkerReplicasLeftToAutoscaler (a Chart transform dropping spec.replicas).
func TestWorkerReplicasAtAutoscalerFloor(t *testing.T) {
	for _, prod := range []bool{false, true} {
		inspect.Modes(t, func(t *testing.T, preview bool) {
			args := baseArgs(objectstore.S3, prod)
			args.WorkerMinReplicas, args.WorkerMaxReplicas = 3, 7
			r := run(t, preview, args)
			v := values(t, r)
			assert.Equal(t, 3.0, inspect.Num(v, "worker", "replicaCount"))
			hpa := r.m.Named(hpaType, "airbyte-worker-hpa")
			require.NotNil(t, hpa)
			assert.Equal(t, 3.0, inspect.Num(hpa.Inputs, "spec", "minReplicas"))
			assert.NotContains(t, inspect.Obj(inspect.At(v, "worker")), resource.PropertyKey("annotations"), "no pulumi.com/patchForce on the worker")
		})
	}
}

// TestDatabaseURLCarriesTLS: the chart's DATABASE_URL is built from global.database.name, which carries
// sslmode (and the CA file for verify-full), and the CA file is mounted where sslrootcert points in
// every JVM that connects, the bootloader included. Replaces the Chart-transform version; the CA moved
// from the anchors directory to JobsTrustStoreDir, where job pods find it too (TestJobPodsFindDatabaseCA).
func TestDatabaseURLCarriesTLS(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		v := values(t, run(t, preview, baseArgs(objectstore.S3, true)))
		assert.Equal(t, "airbyte?sslmode=verify-full&sslrootcert="+JobsTrustStoreDir+"/"+DatabaseCAFile, inspect.Str(v, "global", "database", "name"))
		for _, key := range trustedComponents {
			vol := inspect.Obj(inspect.At(v, key, "extraVolumes").ArrayValue()[0])
			assert.Equal(t, "metadata-db-ca", inspect.Str(vol, "configMap", "name"), key)
			assert.Equal(t, DatabaseCAFile, inspect.Str(inspect.Obj(inspect.At(vol, "configMap", "items").ArrayValue()[0]), "path"), key)
			mount := inspect.Obj(inspect.At(v, key, "extraVolumeMounts").ArrayValue()[0])
			assert.Equal(t, JobsTrustStoreDir, inspect.Str(mount, "mountPath"), key)
			assert.Equal(t, inspect.Str(vol, "name"), inspect.Str(mount, "name"), key)
		}
		// pod.yaml renders the bootloader's mounts only under airbyteBootloader.extraVolumeMount.
		assert.True(t, inspect.At(v, "airbyteBootloader", "extraVolumeMount").BoolValue())

		args := baseArgs(objectstore.S3, true)
		args.Database.SSLMode, args.Database.CAConfigMap = "require", pulumi.StringOutput{}
		v = values(t, run(t, preview, args))
		assert.Equal(t, "airbyte?sslmode=require", inspect.Str(v, "global", "database", "name"))
	})
	// A name that is not a plain identifier would change the URL's meaning.
	for _, bad := range []string{"airbyte?ssl=false", "air/byte", ""} {
		args := baseArgs(objectstore.S3, true)
		args.Database.Databases = map[metadatadb.Database]string{metadatadb.Airbyte: bad, metadatadb.Temporal: "temporal", metadatadb.TemporalVisibility: "temporal_visibility"}
		r := run(t, false, args)
		require.Error(t, r.err, bad)
		assert.Empty(t, r.m.ByType(chartType), bad)
	}
}

// TestBootloaderRuns: the bootloader hook Pod is sized, placed, admitted by the NetworkPolicies (they
// select app.kubernetes.io/instance, which pod.yaml's "airbyte.labels" gives it) and the Release waits
// for the database bootstrap and every Secret it reads.
func TestBootloaderRuns(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := baseArgs(objectstore.S3, true)
		args.ObjectStore.Identities["airbyte"] = objectstore.Identity{
			ServiceAccountAnnotations: args.ObjectStore.Identities["airbyte"].ServiceAccountAnnotations,
			PodLabels:                 map[string]string{"azure.workload.identity/use": "true"},
		}
		r := run(t, preview, args)
		v := values(t, r)
		res := inspect.Obj(inspect.At(v, "airbyteBootloader", "resources"))
		assert.Equal(t, "500m", inspect.Str(res, "requests", "cpu"))
		assert.Equal(t, "1024Mi", inspect.Str(res, "requests", "memory"))
		assert.Equal(t, "1024Mi", inspect.Str(res, "limits", "memory"))
		assert.Equal(t, "true", inspect.Str(v, "airbyteBootloader", "podLabels", "azure.workload.identity/use"))
		for _, p := range []string{"airbyte-egress-database", "airbyte-egress-apis", "airbyte-egress-object-store"} {
			np := r.m.Named(npType, p)
			require.NotNil(t, np, p)
			assert.Equal(t, map[string]string{"app.kubernetes.io/instance": ReleaseName}, matchLabels(np), p)
		}
		rel := r.m.Named(chartType, "airbyte-release")
		require.NotNil(t, rel)
		assert.True(t, r.m.DependsOn(rel, r.ready))
		assert.True(t, r.m.DependsOn(rel, r.m.Named(secretType, "airbyte-auth")))
		assert.True(t, r.m.DependsOn(rel, r.m.Named(secretType, "airbyte-config")))
	})
}

func matchLabels(np *mockcloud.Resource) map[string]string {
	out := map[string]string{}
	for k, v := range inspect.Obj(inspect.At(np.Inputs, "spec", "podSelector", "matchLabels")) {
		out[string(k)] = v.StringValue()
	}
	return out
}

// TestPodIdentityEgress: on S3 Airbyte's pods reach the EKS Pod Identity agent (finding 4).
func TestPodIdentityEgress(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		r := run(t, preview, baseArgs(objectstore.S3, true))
		require.NoError(t, r.err)
		p := r.m.Named(npType, "airbyte-egress-pod-identity")
		require.NotNil(t, p)
		assert.Equal(t, "dataplatform", inspect.Str(p.Inputs, "metadata", "namespace"))
		assert.Equal(t, ReleaseName, inspect.Str(p.Inputs, "spec", "podSelector", "matchLabels", "app.kubernetes.io/instance"))
		rule := inspect.Obj(inspect.At(p.Inputs, "spec", "egress").ArrayValue()[0])
		to := inspect.At(rule, "to").ArrayValue()
		require.Len(t, to, 2)
		assert.Equal(t, "169.254.170.23/32", inspect.Str(inspect.Obj(to[0]), "ipBlock", "cidr"))
		assert.Equal(t, "fd00:ec2::23/128", inspect.Str(inspect.Obj(to[1]), "ipBlock", "cidr"))
		assert.Equal(t, 80.0, inspect.Num(inspect.Obj(inspect.At(rule, "ports").ArrayValue()[0]), "port"))
		assert.True(t, r.m.DependsOn(r.m.Named(chartType, "airbyte-release"), p))
	})
	for _, kind := range []objectstore.Kind{objectstore.ADLS, objectstore.GCS} {
		r := run(t, false, baseArgs(kind, true))
		require.NoError(t, r.err)
		assert.Nil(t, r.m.Named(npType, "airbyte-egress-pod-identity"), kind)
	}
}

// TestMinIOTrust: with MinIO every Airbyte JVM trusts the store's private CA, and sync pods'
// orchestrator gets a JKS trust store through the launcher's secret mount (finding 5).
func TestMinIOTrust(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		r := run(t, preview, minioArgs(false))
		require.NoError(t, r.err)
		v := values(t, r)
		ca := r.m.Named(secretType, "airbyte-objectstore-ca")
		require.NotNil(t, ca)
		assert.Equal(t, "dataplatform", inspect.Str(ca.Inputs, "metadata", "namespace"))
		assert.Equal(t, CASecretName, inspect.Str(ca.Inputs, "metadata", "name"))
		assert.Equal(t, testCA, inspect.Str(ca.Inputs, "stringData", ObjectStoreCAKey))
		chart := r.m.Named(chartType, "airbyte-release")
		assert.True(t, r.m.DependsOn(chart, ca))

		for _, key := range []string{"server", "worker", "workloadLauncher"} {
			vols := inspect.At(v, key, "extraVolumes").ArrayValue()
			require.Len(t, vols, 2, key)
			assert.Equal(t, AnchorsDir, inspect.Str(inspect.Obj(inspect.At(v, key, "extraVolumeMounts").ArrayValue()[0]), "mountPath"), key)
			sources := inspect.At(inspect.Obj(vols[0]), "projected", "sources").ArrayValue()
			assert.Equal(t, CASecretName, inspect.Str(inspect.Obj(sources[0]), "secret", "name"), key)
			env := extraEnv(v, key)["JAVA_TOOL_OPTIONS"]
			require.Len(t, env, 1, key)
			assert.Contains(t, strings.Fields(env[0]), "-Djavax.net.ssl.trustStore="+TrustStorePath, key)
		}
		orch := inspect.Obj(inspect.At(v, "global", "workloads", "containerOrchestrator"))
		assert.Equal(t, JobsTrustStoreSecret, inspect.Str(orch, "dataPlane", "secretName"))
		assert.Equal(t, JobsTrustStoreDir, inspect.Str(orch, "dataPlane", "secretMountPath"))
		assert.Contains(t, inspect.Str(orch, "javaOpts"), "-Djavax.net.ssl.trustStore=/secrets/airbyte-trust/truststore.jks")

		store := r.m.Named(secretType, "airbyte-jobs-truststore")
		require.NotNil(t, store)
		assert.Equal(t, "dataplatform-jobs", inspect.Str(store.Inputs, "metadata", "namespace"))
		assert.True(t, r.m.DependsOn(chart, store))
		if !preview {
			raw, err := base64.StdEncoding.DecodeString(inspect.Str(store.Inputs, "data", JobsTrustStoreKey))
			require.NoError(t, err)
			assertJKS(t, raw, testCA)
			ca, err := base64.StdEncoding.DecodeString(inspect.Str(store.Inputs, "data", DatabaseCAFile))
			require.NoError(t, err)
			assert.Equal(t, testDBCA, string(ca), "the database CA merged into the jobs trust Secret")
		}
	})
	// The clouds' stores use public certificates: nothing of this.
	r := run(t, false, baseArgs(objectstore.S3, false))
	require.NoError(t, r.err)
	assert.Nil(t, r.m.Named(secretType, "airbyte-objectstore-ca"))
	assert.NotContains(t, inspect.Obj(inspect.At(values(t, r), "server")), resource.PropertyKey("extraEnv"))
}

// assertJKS checks the JKS layout and its integrity digest the way the JDK's JavaKeyStore does.
func assertJKS(t *testing.T, raw []byte, caPEM string) {
	t.Helper()
	require.Greater(t, len(raw), 32)
	body, digest := raw[:len(raw)-20], raw[len(raw)-20:]
	h := sha1.New() //nolint:gosec
	for _, r := range utf16.Encode([]rune("changeit")) {
		_ = binary.Write(h, binary.BigEndian, r)
	}
	h.Write([]byte("Mighty Aphrodite"))
	h.Write(body)
	assert.Equal(t, h.Sum(nil), digest, "integrity digest")
	assert.Equal(t, uint32(0xFEEDFEED), binary.BigEndian.Uint32(body[0:4]))
	assert.Equal(t, uint32(2), binary.BigEndian.Uint32(body[4:8]))
	assert.Equal(t, uint32(1), binary.BigEndian.Uint32(body[8:12]))
	assert.Equal(t, uint32(2), binary.BigEndian.Uint32(body[12:16]), "trusted certificate entry")
	block, _ := pem.Decode([]byte(caPEM))
	assert.True(t, bytes.HasSuffix(body, block.Bytes), "the entry holds the CA's DER")
}

// TestAuthEnabled: authentication is on, with the platform's generated credentials (finding 7).
func TestAuthEnabled(t *testing.T) {
	for _, prod := range []bool{false, true} {
		inspect.Modes(t, func(t *testing.T, preview bool) {
			args := baseArgs(objectstore.S3, prod)
			args.Protect = prod
			r := run(t, preview, args)
			require.NoError(t, r.err)
			v := values(t, r)
			assert.True(t, inspect.At(v, "global", "auth", "enabled").BoolValue())
			assert.Equal(t, AuthBootstrapSecret, inspect.Str(v, "global", "auth", "secretName"))
			sec := r.m.Named(secretType, "airbyte-auth")
			require.NotNil(t, sec)
			assert.Equal(t, AuthBootstrapSecret, inspect.Str(sec.Inputs, "metadata", "name"))
			assert.Equal(t, "dataplatform", inspect.Str(sec.Inputs, "metadata", "namespace"))
			assert.False(t, sec.Protect, "the Secret is disposable")
			data := inspect.Obj(sec.Inputs["stringData"])
			for _, k := range AuthSecretKeys {
				assert.Contains(t, data, resource.PropertyKey(k))
			}
			if !preview {
				assert.True(t, sec.Inputs["stringData"].IsSecret() || data[resource.PropertyKey(AdminPasswordKey)].IsSecret())
			}
			for _, n := range []string{"airbyte-admin-password", "airbyte-admin-client-secret", "airbyte-jwt-signature-secret"} {
				pw := r.m.Named("random:index/randomPassword:RandomPassword", n)
				require.NotNil(t, pw, n)
				assert.Equal(t, prod, pw.Protect, n)
			}
			assert.True(t, r.m.DependsOn(r.m.Named(chartType, "airbyte-release"), sec))
		})
	}
}

// TestTemporalSingleReplicaAndCPUScaling: Temporal's auto-setup runs once; the worker scales on CPU.
func TestTemporalSingleReplicaAndCPUScaling(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		r := run(t, preview, baseArgs(objectstore.S3, true))
		v := values(t, r)
		assert.Equal(t, 1.0, inspect.Num(v, "temporal", "replicaCount"))
		metrics := inspect.At(inspect.Obj(r.m.ByType(hpaType)[0].Inputs["spec"]), "metrics").ArrayValue()
		require.Len(t, metrics, 1)
		assert.Equal(t, "cpu", inspect.Str(inspect.Obj(metrics[0]), "resource", "name"))
	})
}

// TestScheduling: every chart service and every job pod tolerates the workload pool.
func TestScheduling(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := baseArgs(objectstore.ADLS, true)
		args.Scheduling = cluster.Scheduling{
			Tolerations:  []cluster.Toleration{{Key: "kubernetes.azure.com/scalesetpriority", Operator: "Equal", Value: "spot", Effect: "NoSchedule"}},
			NodeSelector: map[string]string{"agentpool": "workload"},
		}
		v := values(t, run(t, preview, args))
		for _, key := range append(ServiceKeys(), "temporal", "airbyteBootloader") {
			tol := inspect.Obj(inspect.At(v, key, "tolerations").ArrayValue()[0])
			assert.Equal(t, "kubernetes.azure.com/scalesetpriority", inspect.Str(tol, "key"), key)
			assert.Equal(t, "spot", inspect.Str(tol, "value"), key)
			assert.Equal(t, "workload", inspect.Str(v, key, "nodeSelector", "agentpool"), key)
		}
		kube := inspect.Obj(inspect.At(v, "global", "jobs", "kube"))
		assert.Equal(t, "NoSchedule", inspect.Str(inspect.Obj(inspect.At(kube, "tolerations").ArrayValue()[0]), "effect"))
		assert.Equal(t, "workload", inspect.Str(kube, "nodeSelector", "agentpool"))

		// Zero value: nothing set, the chart's defaults apply.
		v = values(t, run(t, preview, baseArgs(objectstore.ADLS, true)))
		assert.NotContains(t, inspect.Obj(inspect.At(v, "server")), resource.PropertyKey("tolerations"))
		assert.NotContains(t, inspect.Obj(inspect.At(v, "global", "jobs", "kube")), resource.PropertyKey("tolerations"))
	})
}
