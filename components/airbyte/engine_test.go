package airbyte

import (
	"bytes"
	"context"
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
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
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

// transformRecorder is the shared harness plus the transforms each resource was registered with
// (pulumi.MockResourceArgs.Transforms), which the harness does not record.
type transformRecorder struct {
	*mockcloud.Mocks
	mu         sync.Mutex
	transforms map[string][]pulumi.ResourceTransform
}

func (r *transformRecorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	if len(args.Transforms) > 0 {
		r.transforms[args.Name] = append(r.transforms[args.Name], args.Transforms...)
	}
	r.mu.Unlock()
	return r.Mocks.NewResource(args)
}

// chartTransforms registers the component under mocks and returns the transforms its Chart carries.
func chartTransforms(t *testing.T, preview bool, args *AirbyteStackArgs) []pulumi.ResourceTransform {
	t.Helper()
	rec := &transformRecorder{Mocks: mockcloud.New("dataplatform", "prod", preview), transforms: map[string][]pulumi.ResourceTransform{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		ns, err := corev1.NewNamespace(ctx, "apps", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("dataplatform")}}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		args.Namespace = ns.Metadata.Name().Elem()
		_, err = NewAirbyteStack(ctx, "airbyte", args, pulumi.Provider(p))
		return err
	}, pulumi.WithMocks("dataplatform", "prod", rec), func(info *pulumi.RunInfo) { info.DryRun = preview })
	require.NoError(t, err)
	return rec.transforms["airbyte-chart"]
}

// launcherDeployment is the workload launcher's Deployment as chart 2.0.19 renders it
// (templates/airbyte-workload-launcher/deployment.yaml with "airbyte.jobs.envs" from _jobs.tpl).
func launcherDeployment(name string) pulumi.Map {
	return pulumi.Map{
		"apiVersion": pulumi.String("apps/v1"), "kind": pulumi.String("Deployment"),
		"metadata": pulumi.Map{"name": pulumi.String(name), "namespace": pulumi.String("dataplatform")},
		"spec": pulumi.Map{
			"replicas": pulumi.Float64(2),
			"template": pulumi.Map{"spec": pulumi.Map{"containers": pulumi.Array{pulumi.Map{
				"name": pulumi.String("airbyte-workload-launcher-container"),
				"env": pulumi.Array{
					pulumi.Map{"name": pulumi.String("JOB_KUBE_SERVICEACCOUNT"), "valueFrom": pulumi.Map{"configMapKeyRef": pulumi.Map{"name": pulumi.String("airbyte-airbyte-env"), "key": pulumi.String("JOB_KUBE_SERVICEACCOUNT")}}},
					pulumi.Map{"name": pulumi.String("JOB_KUBE_NAMESPACE"), "valueFrom": pulumi.Map{"fieldRef": pulumi.Map{"fieldPath": pulumi.String("metadata.namespace")}}},
				},
			}}}},
		},
	}
}

func apply(t *testing.T, tr pulumi.ResourceTransform, typ string, props pulumi.Map) pulumi.Map {
	t.Helper()
	res := tr(context.Background(), &pulumi.ResourceTransformArgs{Custom: true, Type: typ, Name: "airbyte-chart:dataplatform/x", Props: props})
	if res == nil {
		return nil
	}
	return res.Props
}

func envOf(t *testing.T, props pulumi.Map, name string) pulumi.Map {
	t.Helper()
	c := props["spec"].(pulumi.Map)["template"].(pulumi.Map)["spec"].(pulumi.Map)["containers"].(pulumi.Array)[0].(pulumi.Map)
	for _, e := range c["env"].(pulumi.Array) {
		if e.(pulumi.Map)["name"] == pulumi.String(name) {
			return e.(pulumi.Map)
		}
	}
	return nil
}

// TestJobPodsRedirectedToJobsNamespace: the Chart carries a transform that sets JOB_KUBE_NAMESPACE to
// the jobs namespace where the chart renders it from the pod's own namespace (finding 2).
func TestJobPodsRedirectedToJobsNamespace(t *testing.T) {
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				args := baseArgs(kind, true)
				if kind == objectstore.MinIO {
					args = minioArgs(true)
				}
				trs := chartTransforms(t, preview, args)
				require.Len(t, trs, 1, "the Chart registers exactly one transform")
				out := apply(t, trs[0], "kubernetes:apps/v1:Deployment", launcherDeployment("airbyte-workload-launcher"))
				require.NotNil(t, out)
				env := envOf(t, out, JobNamespaceEnv)
				require.NotNil(t, env)
				assert.Equal(t, pulumi.String("dataplatform-jobs"), env["value"])
				assert.NotContains(t, env, "valueFrom", "the fieldRef must go, or the API server rejects value+valueFrom")
				// Other variables stay as rendered.
				assert.Contains(t, envOf(t, out, "JOB_KUBE_SERVICEACCOUNT"), "valueFrom")
				// The server, which carries the same variable, gets the same value.
				srv := apply(t, trs[0], "kubernetes:apps/v1:Deployment", launcherDeployment("airbyte-server"))
				require.NotNil(t, srv)
				assert.Equal(t, pulumi.String("dataplatform-jobs"), envOf(t, srv, JobNamespaceEnv)["value"])
				assert.Contains(t, srv["spec"].(pulumi.Map), "replicas", "only the worker's replicas are dropped")
				// Objects the transform has nothing to do with pass unchanged.
				assert.Nil(t, apply(t, trs[0], "kubernetes:core/v1:Service", pulumi.Map{"kind": pulumi.String("Service"), "metadata": pulumi.Map{"name": pulumi.String("airbyte-airbyte-server-svc")}}))
			})
		})
	}
}

// TestWorkerReplicasLeftToAutoscaler: the rendered worker Deployment loses spec.replicas, and the
// values no longer force-patch it (finding 10).
func TestWorkerReplicasLeftToAutoscaler(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		trs := chartTransforms(t, preview, baseArgs(objectstore.S3, true))
		require.Len(t, trs, 1)
		out := apply(t, trs[0], "kubernetes:apps/v1:Deployment", launcherDeployment("airbyte-worker"))
		require.NotNil(t, out)
		assert.NotContains(t, out["spec"].(pulumi.Map), "replicas")
		v := values(t, run(t, preview, baseArgs(objectstore.S3, true)))
		assert.NotContains(t, inspect.Obj(inspect.At(v, "worker")), resource.PropertyKey("annotations"), "no pulumi.com/patchForce on the worker")
	})
}

// TestDatabaseURLCarriesTLS: DATABASE_URL in the chart's env ConfigMap gets sslmode (and the CA file
// for verify-full), and the CA file is mounted where sslrootcert points (finding 10).
func TestDatabaseURLCarriesTLS(t *testing.T) {
	url := "jdbc:postgresql://metadata.cluster-abc.eu-north-1.rds.amazonaws.com:5432/airbyte"
	cm := func() pulumi.Map {
		return pulumi.Map{"kind": pulumi.String("ConfigMap"), "metadata": pulumi.Map{"name": pulumi.String("airbyte-airbyte-env")},
			"data": pulumi.Map{"DATABASE_URL": pulumi.String(url), "DATABASE_DB": pulumi.String("airbyte")}}
	}
	inspect.Modes(t, func(t *testing.T, preview bool) {
		trs := chartTransforms(t, preview, baseArgs(objectstore.S3, true))
		out := apply(t, trs[0], "kubernetes:core/v1:ConfigMap", cm())
		require.NotNil(t, out)
		assert.Equal(t, pulumi.String(url+"?sslmode=verify-full&sslrootcert=/etc/pki/ca-trust/source/anchors/metadatadb-ca.crt"), out["data"].(pulumi.Map)["DATABASE_URL"])
		assert.Equal(t, pulumi.String("airbyte"), out["data"].(pulumi.Map)["DATABASE_DB"])

		v := values(t, run(t, preview, baseArgs(objectstore.S3, true)))
		for _, key := range trustedComponents {
			vol := inspect.Obj(inspect.At(v, key, "extraVolumes").ArrayValue()[0])
			src := inspect.Obj(inspect.At(vol, "projected", "sources").ArrayValue()[0])
			assert.Equal(t, "metadata-db-ca", inspect.Str(src, "configMap", "name"), key)
			assert.Equal(t, DatabaseCAFile, inspect.Str(inspect.Obj(inspect.At(src, "configMap", "items").ArrayValue()[0]), "path"), key)
			mount := inspect.Obj(inspect.At(v, key, "extraVolumeMounts").ArrayValue()[0])
			assert.Equal(t, AnchorsDir, inspect.Str(mount, "mountPath"), key)
		}

		args := baseArgs(objectstore.S3, true)
		args.Database.SSLMode, args.Database.CAConfigMap = "require", pulumi.StringOutput{}
		trs = chartTransforms(t, preview, args)
		out = apply(t, trs[0], "kubernetes:core/v1:ConfigMap", cm())
		assert.Equal(t, pulumi.String(url+"?sslmode=require"), out["data"].(pulumi.Map)["DATABASE_URL"])
	})
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
		assert.True(t, r.m.DependsOn(r.m.Named(chartType, "airbyte-chart"), p))
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
		chart := r.m.Named(chartType, "airbyte-chart")
		assert.True(t, r.m.DependsOn(chart, ca))

		for _, key := range []string{"server", "worker", "workloadLauncher"} {
			sources := inspect.At(inspect.Obj(inspect.At(v, key, "extraVolumes").ArrayValue()[0]), "projected", "sources").ArrayValue()
			assert.Equal(t, CASecretName, inspect.Str(inspect.Obj(sources[0]), "secret", "name"), key)
			env := inspect.Obj(inspect.At(v, key, "extraEnv").ArrayValue()[0])
			assert.Equal(t, "JAVA_TOOL_OPTIONS", inspect.Str(env, "name"), key)
			assert.Equal(t, "-Djavax.net.ssl.trustStore="+TrustStorePath, inspect.Str(env, "value"), key)
		}
		orch := inspect.Obj(inspect.At(v, "global", "workloads", "containerOrchestrator"))
		assert.Equal(t, JobsTrustStoreSecret, inspect.Str(orch, "dataPlane", "secretName"))
		assert.Equal(t, JobsTrustStoreDir, inspect.Str(orch, "dataPlane", "secretMountPath"))
		assert.Contains(t, inspect.Str(orch, "javaOpts"), "-Djavax.net.ssl.trustStore=/secrets/objectstore-truststore/truststore.jks")

		store := r.m.Named(secretType, "airbyte-jobs-truststore")
		require.NotNil(t, store)
		assert.Equal(t, "dataplatform-jobs", inspect.Str(store.Inputs, "metadata", "namespace"))
		assert.True(t, r.m.DependsOn(chart, store))
		if !preview {
			raw, err := base64.StdEncoding.DecodeString(inspect.Str(store.Inputs, "data", JobsTrustStoreKey))
			require.NoError(t, err)
			assertJKS(t, raw, testCA)
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
			assert.True(t, r.m.DependsOn(r.m.Named(chartType, "airbyte-chart"), sec))
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
