package dremio

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	stsType = "kubernetes:apps/v1:StatefulSet"
	cmType  = "kubernetes:core/v1:ConfigMap"
	saType  = "kubernetes:core/v1:ServiceAccount"
	svcType = "kubernetes:core/v1:Service"
	pdbType = "kubernetes:policy/v1:PodDisruptionBudget"
	npType  = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	jobType = "kubernetes:batch/v1:Job"
	secType = "kubernetes:core/v1:Secret"
)

func str(s string) pulumi.StringOutput { return pulumi.String(s).ToStringOutput() }

// store builds the Info an objectstore implementation of each kind would hand out.
func store(kind objectstore.Kind) objectstore.Info {
	id := objectstore.Identity{
		ServiceAccountAnnotations: pulumi.StringMap{}.ToStringMapOutput(),
		Principal:                 str(""),
		CredentialsSecret:         str(""),
	}
	info := objectstore.Info{Kind: kind, Account: str(""), CABundle: str(""),
		BucketNames: map[objectstore.Bucket]pulumi.StringOutput{objectstore.Dremio: str("dp-prod-dremio"), objectstore.Lake: str("dp-prod-lake")}}
	switch kind {
	case objectstore.S3:
		info.Region, info.Endpoint = "eu-north-1", str("https://s3.eu-north-1.amazonaws.com")
		id.Principal = str("arn:aws:iam::123456789012:role/dp-prod-dremio")
	case objectstore.ADLS:
		info.Region, info.Endpoint, info.Account = "swedencentral", str("https://dpprodlake.dfs.core.windows.net"), str("dpprodlake")
		info.BucketNames[objectstore.Dremio] = str("dremio")
		info.BucketNames[objectstore.Lake] = str("lake")
		id.Principal = str("11111111-2222-4333-8444-555555555555")
		id.ServiceAccountAnnotations = pulumi.StringMap{"azure.workload.identity/client-id": pulumi.String("11111111-2222-4333-8444-555555555555")}.ToStringMapOutput()
		id.PodLabels = map[string]string{"azure.workload.identity/use": "true"}
	case objectstore.GCS:
		info.Region, info.Endpoint = "europe-north1", str("https://storage.googleapis.com")
		id.Principal = str("dp-dremio@proj.iam.gserviceaccount.com")
		id.ServiceAccountAnnotations = pulumi.StringMap{"iam.gke.io/gcp-service-account": pulumi.String("dp-dremio@proj.iam.gserviceaccount.com")}.ToStringMapOutput()
	case objectstore.MinIO:
		info.Endpoint = str("https://minio.dataplatform-data.svc.cluster.local:9000")
		info.PathStyle = true
		info.CABundle = str("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
		id.Principal = str("dremio")
		id.CredentialsSecret = str("dremio-objectstore")
	}
	info.Identities = map[string]objectstore.Identity{"dremio": id}
	return info
}

func prodArgs(kind objectstore.Kind) *DremioClusterArgs {
	d := config.Defaults(config.AWS, config.Prod).Dremio
	return &DremioClusterArgs{
		Namespace: pulumi.String("dataplatform"), NamespaceName: "dataplatform",
		Image: d.Image, ZooKeeperImage: d.ZooKeeperImage,
		Coordinator: d.Coordinator, Executors: d.Executors, Executor: d.Executor,
		ExecutorVolumeGiB: d.ExecutorVolumeGiB, CoordinatorVolumeGiB: d.CoordinatorVolumeGiB,
		ZooKeeperReplicas: d.ZooKeeperReplicas, StorageClass: "fast-ssd",
		ObjectStore: store(kind), ObjectStoreNamespace: "dataplatform-data", GCPProject: "dp-prod-proj",
		ClientNamespaces: []string{"dataplatform-bi"}, Labels: map[string]string{"environment": "prod"}, Prod: true,
	}
}

func devArgs(kind objectstore.Kind) *DremioClusterArgs {
	d := config.Defaults(config.Kubernetes, config.Dev).Dremio
	a := prodArgs(kind)
	a.Coordinator, a.Executors, a.Executor = d.Coordinator, d.Executors, d.Executor
	a.ExecutorVolumeGiB, a.CoordinatorVolumeGiB, a.ZooKeeperReplicas = d.ExecutorVolumeGiB, d.CoordinatorVolumeGiB, d.ZooKeeperReplicas
	a.StorageClass, a.Prod, a.ClientNamespaces = "", false, nil
	return a
}

func run(t *testing.T, preview bool, args *DremioClusterArgs) (*mockcloud.Mocks, *DremioCluster, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	var c *DremioCluster
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		c, err = NewDremioCluster(ctx, "dremio", args, pulumi.Provider(p))
		return err
	}, nil)
	if preview && err != nil && strings.Contains(err.Error(), mockSecretGap) {
		// Everything up to the generated passwords is recorded; see mockSecretGap.
		return m, nil, nil
	}
	return m, c, err
}

// mockSecretGap is the error the SDK's mock monitor returns for a resource input that is a secret
// with an unknown value, as every RandomPassword result is in a preview. The real engine keeps such
// values; under the mocks a preview stops at the first generated-password Secret.
const mockSecretGap = "malformed RPC secret: missing value for"

// await returns the string an output resolves to ("" for another value).
func await(t *testing.T, o pulumi.Output) string {
	t.Helper()
	s, _ := inspect.Await(t, o).Value.(string)
	return s
}

func configData(t *testing.T, m *mockcloud.Mocks) map[string]string {
	t.Helper()
	var cm corev1.ConfigMap
	inspect.DecodeStrict(t, m.Named(cmType, "dremio-config"), &cm)
	return cm.Data
}

// coreSite parses core-site.xml into name → value.
func coreSite(t *testing.T, s string) map[string]string {
	t.Helper()
	var doc struct {
		Properties []struct {
			Name  string `xml:"name"`
			Value string `xml:"value"`
		} `xml:"property"`
	}
	require.NoError(t, xml.Unmarshal([]byte(s), &doc))
	out := map[string]string{}
	for _, p := range doc.Properties {
		out[p.Name] = p.Value
	}
	return out
}

func TestConfigPerStoreKind(t *testing.T) {
	zk := "dremio-zookeeper-0.dremio-zookeeper-hs.dataplatform.svc.cluster.local:2181,dremio-zookeeper-1.dremio-zookeeper-hs.dataplatform.svc.cluster.local:2181,dremio-zookeeper-2.dremio-zookeeper-hs.dataplatform.svc.cluster.local:2181"
	cases := map[objectstore.Kind]struct {
		dist string
		site map[string]string
	}{
		objectstore.S3: {"dremioS3:///dp-prod-dremio/dist", map[string]string{
			"fs.dremioS3.impl":                "com.dremio.plugins.s3.store.S3FileSystem",
			"fs.s3a.aws.credentials.provider": "com.dremio.plugins.s3.store.AWSProfileCredentialsProviderV1",
			"com.dremio.awsProfile":           "dremio",
			"dremio.s3.whitelisted.buckets":   "dp-prod-dremio",
			"fs.s3a.connection.ssl.enabled":   "true",
			"dremio.s3.region":                "eu-north-1",
		}},
		objectstore.MinIO: {"dremioS3:///dp-prod-dremio/dist", map[string]string{
			"fs.dremioS3.impl":                "com.dremio.plugins.s3.store.S3FileSystem",
			"fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
			"fs.s3a.access.key":               "${env.AWS_ACCESS_KEY_ID}",
			"fs.s3a.secret.key":               "${env.AWS_SECRET_ACCESS_KEY}",
			"fs.s3a.endpoint":                 "minio.dataplatform-data.svc.cluster.local:9000",
			"fs.s3a.path.style.access":        "true",
			"fs.s3a.connection.ssl.enabled":   "true",
			"dremio.s3.compat":                "true",
			"dremio.s3.whitelisted.buckets":   "dp-prod-dremio",
		}},
		objectstore.ADLS: {"abfss://dremio@dpprodlake.dfs.core.windows.net/dist", map[string]string{
			// hadoop-azure 3.3.6 (dremio-oss 25.2): MsiTokenProvider against the loopback token proxy.
			"fs.azure.account.auth.type.dpprodlake.dfs.core.windows.net":           "OAuth",
			"fs.azure.account.oauth.provider.type.dpprodlake.dfs.core.windows.net": "org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider",
			"fs.azure.account.oauth2.msi.endpoint.dpprodlake.dfs.core.windows.net": "http://127.0.0.1:8000/metadata/identity/oauth2/token",
			"fs.azure.account.oauth2.client.id.dpprodlake.dfs.core.windows.net":    "11111111-2222-4333-8444-555555555555",
			"fs.azure.always.use.https":                                            "true",
		}},
		objectstore.GCS: {"dremiogcs:///dp-prod-dremio/dist", map[string]string{
			"fs.dremiogcs.impl":              "com.dremio.plugins.gcs.GoogleBucketFileSystem",
			"dremio.gcs.use_keyfile":         "false",
			"dremio.gcs.whitelisted.buckets": "dp-prod-dremio",
		}},
	}
	for kind, want := range cases {
		t.Run(string(kind), func(t *testing.T) {
			m, _, err := run(t, false, prodArgs(kind))
			require.NoError(t, err)
			data := configData(t, m)
			coord, exec := data["dremio-coordinator.conf"], data["dremio-executor.conf"]
			for _, conf := range []string{coord, exec} {
				assert.Contains(t, conf, fmt.Sprintf("  dist: %q\n", want.dist))
				assert.Contains(t, conf, `  local: "/opt/dremio/data"`)
				assert.Contains(t, conf, fmt.Sprintf("zookeeper: %q\n", zk))
				assert.Contains(t, conf, "embedded-zookeeper: { enabled: false }")
				assert.Contains(t, conf, "fabric: { port: 45678 }")
			}
			// Drain: dremio-reference.conf's default of 5 s is overridden per role.
			assert.Contains(t, exec, "\ndremio.termination_grace_period_seconds: 600\n")
			assert.Contains(t, coord, "\ndremio.termination_grace_period_seconds: 60\n")
			// The upgrade init container upgrades the store; the server only checks it.
			assert.Contains(t, coord, "    auto-upgrade: false\n")
			assert.NotContains(t, exec, "auto-upgrade")
			assert.Contains(t, coord, "    enabled: true\n    master: { enabled: true")
			assert.Contains(t, coord, "executor: { enabled: false }")
			assert.Contains(t, coord, "web: { enabled: true, port: 9047 }")
			assert.Contains(t, coord, "client-endpoint: { port: 31010 }")
			assert.Contains(t, coord, "flight: { enabled: true, port: 32010 }")
			assert.Contains(t, exec, "    enabled: false\n    master: { enabled: false")
			assert.Contains(t, exec, "executor: { enabled: true }")
			assert.Equal(t, want.site, coreSite(t, data["core-site.xml"]))
			// No key of hadoop-azure ≥ 3.4.1's WorkloadIdentityTokenProvider, which 3.3.6 lacks.
			assert.NotContains(t, data["core-site.xml"], "WorkloadIdentityTokenProvider")
			assert.NotContains(t, data["core-site.xml"], "oauth2.token.file")

			_, hasAWS := data["aws-credentials"]
			assert.Equal(t, kind == objectstore.S3, hasAWS)
			assert.NotContains(t, data, "aws-config", "SDK v1 never reads AWS_CONFIG_FILE")
			if kind == objectstore.S3 {
				// No role_arn: SDK v1 rejects it without source_profile; both SDKs run the process.
				assert.Equal(t, "[dremio]\ncredential_process = /opt/dremio/aws/credential-process\n", data["aws-credentials"])
				assert.NotContains(t, data["aws-credentials"], "role_arn")
				assert.Equal(t, awsCredentialProcess, data["aws-credential-process"])
			}
			_, hasCA := data["objectstore-ca.crt"]
			assert.Equal(t, kind == objectstore.MinIO, hasCA)
		})
	}
}

func TestLocalDistStorageOnlyInDev(t *testing.T) {
	a := devArgs(objectstore.MinIO)
	a.DistStorage = DistLocal
	_, _, err := run(t, false, a)
	assert.ErrorContains(t, err, "DevLocalStorage")

	a.DevLocalStorage = true
	a.ObjectStore = objectstore.Info{} // no store needed
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, a)
		require.NoError(t, err)
		if preview {
			return
		}
		data := configData(t, m)
		assert.Contains(t, data["dremio-executor.conf"], `dist: "pdfs://"${paths.local}"/pdfs"`)
		assert.Empty(t, coreSite(t, data["core-site.xml"]))
		assert.Nil(t, m.Named(npType, "dremio-objectstore-egress"))
	})

	p := prodArgs(objectstore.S3)
	p.DistStorage, p.DevLocalStorage = DistLocal, true
	_, _, err = run(t, false, p)
	assert.ErrorContains(t, err, "DevLocalStorage")
}

func container(t *testing.T, pod corev1.PodSpec, name string) corev1.Container {
	t.Helper()
	for _, c := range pod.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %s", name)
	return corev1.Container{}
}

func env(c corev1.Container) map[string]corev1.EnvVar {
	out := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		out[e.Name] = e
	}
	return out
}

func TestWorkloadsProdAndDev(t *testing.T) {
	for _, prod := range []bool{true, false} {
		t.Run(fmt.Sprintf("prod=%v", prod), func(t *testing.T) {
			args := devArgs(objectstore.GCS)
			if prod {
				args = prodArgs(objectstore.GCS)
			}
			m, c, err := run(t, false, args)
			require.NoError(t, err)

			coord := statefulSet(t, m, "dremio-coordinator")
			exec := statefulSet(t, m, "dremio-executor")
			zk := statefulSet(t, m, "dremio-zookeeper")
			assert.Equal(t, int32(1), *coord.Spec.Replicas)
			assert.Equal(t, int32(args.Executors), *exec.Spec.Replicas)
			assert.Equal(t, int32(args.ZooKeeperReplicas), *zk.Spec.Replicas)
			if prod {
				assert.Equal(t, int32(3), *exec.Spec.Replicas)
				assert.Equal(t, int32(3), *zk.Spec.Replicas)
			}
			assert.Equal(t, "dataplatform", exec.Namespace)
			assert.Equal(t, "dremio", exec.Spec.Template.Labels["app.kubernetes.io/name"])
			assert.Equal(t, "executor", exec.Spec.Template.Labels["app.kubernetes.io/component"])
			assert.Equal(t, "dremio", exec.Labels["app.kubernetes.io/name"])
			assert.Equal(t, "executor", exec.Labels["app.kubernetes.io/component"])
			assert.Equal(t, "Parallel", string(exec.Spec.PodManagementPolicy))
			// Drain 600 s + 120 s shutdown (the chart's rule); the coordinator's 60 s + 120 s.
			assert.Equal(t, int64(720), *exec.Spec.Template.Spec.TerminationGracePeriodSeconds)
			assert.Equal(t, int64(180), *coord.Spec.Template.Spec.TerminationGracePeriodSeconds)
			assert.Equal(t, "dremio-cluster-pod", exec.Spec.ServiceName)

			for _, sts := range []*struct {
				name string
				role Role
				gib  float64
				pod  corev1.PodSpec
			}{{"coordinator", CoordinatorRole, args.Coordinator.MemoryGiB, coord.Spec.Template.Spec}, {"executor", ExecutorRole, args.Executor.MemoryGiB, exec.Spec.Template.Spec}} {
				pod := sts.pod
				ctr := container(t, pod, "dremio")
				assert.Equal(t, args.Image, ctr.Image)
				assert.Equal(t, ctr.Resources.Requests, ctr.Resources.Limits, sts.name)
				assert.Equal(t, int64(mib(sts.gib))<<20, ctr.Resources.Limits.Memory().Value())
				assert.False(t, ctr.Resources.Requests.Cpu().IsZero())
				mem, _ := MemorySplit(sts.role, mib(sts.gib))
				e := env(ctr)
				assert.Equal(t, fmt.Sprint(mem.HeapMiB), e["DREMIO_MAX_HEAP_MEMORY_SIZE_MB"].Value)
				assert.Equal(t, fmt.Sprint(mem.DirectMiB), e["DREMIO_MAX_DIRECT_MEMORY_SIZE_MB"].Value)
				assert.Equal(t, int64(999), *pod.SecurityContext.RunAsUser)
				assert.Equal(t, int64(999), *pod.SecurityContext.FSGroup)
				assert.True(t, *pod.SecurityContext.RunAsNonRoot)
				assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, pod.SecurityContext.SeccompProfile.Type)
				assert.False(t, *ctr.SecurityContext.AllowPrivilegeEscalation)
				assert.Equal(t, []corev1.Capability{"ALL"}, ctr.SecurityContext.Capabilities.Drop)
				assert.NotNil(t, ctr.ReadinessProbe)
				assert.NotNil(t, ctr.LivenessProbe)
				assert.Equal(t, "dremio", pod.ServiceAccountName)
				aa := pod.Affinity.PodAntiAffinity
				if prod {
					require.Len(t, aa.RequiredDuringSchedulingIgnoredDuringExecution, 1)
					assert.Equal(t, "kubernetes.io/hostname", aa.RequiredDuringSchedulingIgnoredDuringExecution[0].TopologyKey)
					assert.Empty(t, aa.PreferredDuringSchedulingIgnoredDuringExecution)
				} else {
					assert.Empty(t, aa.RequiredDuringSchedulingIgnoredDuringExecution)
					require.Len(t, aa.PreferredDuringSchedulingIgnoredDuringExecution, 1)
				}
				require.Len(t, pod.TopologySpreadConstraints, 1)
				assert.Equal(t, "topology.kubernetes.io/zone", pod.TopologySpreadConstraints[0].TopologyKey)
			}
			cc := container(t, coord.Spec.Template.Spec, "dremio")
			assert.Equal(t, "/apiv2/server_status", cc.ReadinessProbe.HTTPGet.Path)
			assert.Equal(t, int32(9047), cc.ReadinessProbe.HTTPGet.Port.IntVal)
			assert.NotNil(t, cc.StartupProbe)
			// No pre-stop pause: the executor drains after SIGTERM, inside the grace period. (The old
			// assertion required a 20 s sleep, which only delayed the drain.)
			ec := container(t, exec.Spec.Template.Spec, "dremio")
			assert.Nil(t, ec.Lifecycle)
			// The coordinator upgrades its KV store before it starts, with the server's config,
			// volume, heap and resources; the executors have no store.
			ics := coord.Spec.Template.Spec.InitContainers
			require.NotEmpty(t, ics)
			up := ics[len(ics)-1]
			assert.Equal(t, "upgrade-kvstore", up.Name)
			assert.Equal(t, args.Image, up.Image)
			assert.Equal(t, []string{"/opt/dremio/bin/dremio-admin", "upgrade"}, up.Command)
			assert.Equal(t, cc.VolumeMounts, up.VolumeMounts)
			assert.Equal(t, cc.Resources, up.Resources)
			assert.Equal(t, env(cc)["DREMIO_MAX_HEAP_MEMORY_SIZE_MB"], env(up)["DREMIO_MAX_HEAP_MEMORY_SIZE_MB"])
			assert.Nil(t, up.RestartPolicy, "runs to completion before the server")
			for _, ic := range exec.Spec.Template.Spec.InitContainers {
				assert.NotEqual(t, "upgrade-kvstore", ic.Name)
			}

			// Volumes: own PVCs on the requested class.
			for sts, gib := range map[string]int{"coordinator": args.CoordinatorVolumeGiB, "executor": args.ExecutorVolumeGiB} {
				s := coord
				if sts == "executor" {
					s = exec
				}
				require.Len(t, s.Spec.VolumeClaimTemplates, 1)
				pvc := s.Spec.VolumeClaimTemplates[0].Spec
				assert.Equal(t, int64(gib)<<30, pvc.Resources.Requests.Storage().Value())
				if prod {
					assert.Equal(t, "fast-ssd", *pvc.StorageClassName)
				} else {
					assert.Nil(t, pvc.StorageClassName)
				}
			}

			// ZooKeeper: probes, limits, PDB keeping the quorum.
			zc := container(t, zk.Spec.Template.Spec, "zookeeper")
			assert.Equal(t, args.ZooKeeperImage, zc.Image)
			assert.NotNil(t, zc.ReadinessProbe.Exec)
			assert.NotNil(t, zc.Resources.Limits.Memory())
			var zkPDB, execPDB policyv1.PodDisruptionBudget
			inspect.DecodeStrict(t, m.Named(pdbType, "dremio-zookeeper-pdb"), &zkPDB)
			inspect.DecodeStrict(t, m.Named(pdbType, "dremio-executor-pdb"), &execPDB)
			assert.Equal(t, 1, execPDB.Spec.MaxUnavailable.IntValue())
			assert.Equal(t, exec.Spec.Selector, execPDB.Spec.Selector)
			if prod {
				assert.Equal(t, 2, zkPDB.Spec.MinAvailable.IntValue())
			} else {
				assert.Nil(t, zkPDB.Spec.MinAvailable)
				assert.Equal(t, 1, zkPDB.Spec.MaxUnavailable.IntValue())
			}

			// Client Service and outputs.
			var svc corev1.Service
			inspect.DecodeStrict(t, m.Named(svcType, "dremio-client"), &svc)
			ports := map[string]int32{}
			for _, p := range svc.Spec.Ports {
				ports[p.Name] = p.Port
			}
			assert.Equal(t, map[string]int32{"web": 9047, "client": 31010, "flight": 32010}, ports)
			assert.Equal(t, map[string]string{"app.kubernetes.io/name": "dremio", "app.kubernetes.io/component": "coordinator"}, svc.Spec.Selector)
			assert.Equal(t, "jdbc:dremio:direct=dremio-client.dataplatform.svc.cluster.local:31010", await(t, c.JDBCURL))
			assert.Equal(t, "http://dremio-client.dataplatform.svc.cluster.local:9047", await(t, c.WebURL))
			assert.Equal(t, "dremio-client.dataplatform.svc.cluster.local:32010", await(t, c.FlightEndpoint))
			assert.Equal(t, "dremio-client", await(t, c.ServiceName))
			assert.Equal(t, "dremio-admin", await(t, c.AdminSecret))
			assert.Equal(t, "dremio-dbt-credentials", await(t, c.DbtCredentialsSecret))
			for _, n := range []string{"dremio-zookeeper-headless", "dremio-cluster"} {
				var hs corev1.Service
				inspect.DecodeStrict(t, m.Named(svcType, n), &hs)
				assert.Equal(t, "None", hs.Spec.ClusterIP)
			}
		})
	}
}

func TestIdentityWiring(t *testing.T) {
	// GCS: the ServiceAccount carries the Workload Identity annotation.
	m, _, err := run(t, false, prodArgs(objectstore.GCS))
	require.NoError(t, err)
	var sa corev1.ServiceAccount
	inspect.DecodeStrict(t, m.Named(saType, "dremio-sa"), &sa)
	assert.Equal(t, "dremio", sa.Name)
	assert.Equal(t, map[string]string{"iam.gke.io/gcp-service-account": "dp-dremio@proj.iam.gserviceaccount.com"}, sa.Annotations)

	// ADLS: annotation on the ServiceAccount, label on the pods.
	m, _, err = run(t, false, prodArgs(objectstore.ADLS))
	require.NoError(t, err)
	inspect.DecodeStrict(t, m.Named(saType, "dremio-sa"), &sa)
	assert.Equal(t, "11111111-2222-4333-8444-555555555555", sa.Annotations["azure.workload.identity/client-id"])
	exec := statefulSet(t, m, "dremio-executor")
	assert.Equal(t, "true", exec.Spec.Template.Labels["azure.workload.identity/use"])

	// S3: both SDKs' credentials file and the executable credential process, from the ConfigMap.
	m, _, err = run(t, false, prodArgs(objectstore.S3))
	require.NoError(t, err)
	for _, name := range []string{"dremio-coordinator", "dremio-executor"} {
		pod := statefulSet(t, m, name).Spec.Template.Spec
		e := env(container(t, pod, "dremio"))
		assert.Equal(t, "/opt/dremio/aws/credentials", e["AWS_CREDENTIAL_PROFILES_FILE"].Value, "SDK v1")
		assert.Equal(t, "/opt/dremio/aws/credentials", e["AWS_SHARED_CREDENTIALS_FILE"].Value, "SDK v2")
		assert.NotContains(t, e, "AWS_CONFIG_FILE")
		assert.Equal(t, "eu-north-1", e["AWS_REGION"].Value)
		var aws *corev1.Volume
		for i, v := range pod.Volumes {
			assert.Nil(t, v.Projected, "no IRSA token: Pod Identity injects its own")
			if v.Name == "aws" {
				aws = &pod.Volumes[i]
			}
		}
		require.NotNil(t, aws, name)
		require.NotNil(t, aws.ConfigMap)
		modes := map[string]int32{}
		for _, it := range aws.ConfigMap.Items {
			modes[it.Key+"->"+it.Path] = *it.Mode
		}
		assert.Equal(t, map[string]int32{"aws-credentials->credentials": 0o444, "aws-credential-process->credential-process": 0o555}, modes)
		var mounted bool
		for _, vm := range container(t, pod, "dremio").VolumeMounts {
			if vm.Name == "aws" {
				mounted = vm.MountPath == "/opt/dremio/aws" && vm.ReadOnly
			}
		}
		assert.True(t, mounted, name)
	}

	// MinIO: keys from the store's Secret, the CA in a trust store built by an init container.
	m, _, err = run(t, false, prodArgs(objectstore.MinIO))
	require.NoError(t, err)
	exec = statefulSet(t, m, "dremio-executor")
	ctr := container(t, exec.Spec.Template.Spec, "dremio")
	e := env(ctr)
	assert.Equal(t, "dremio-objectstore", e["AWS_ACCESS_KEY_ID"].ValueFrom.SecretKeyRef.Name)
	assert.Equal(t, "accessKey", e["AWS_ACCESS_KEY_ID"].ValueFrom.SecretKeyRef.Key)
	assert.Equal(t, "secretKey", e["AWS_SECRET_ACCESS_KEY"].ValueFrom.SecretKeyRef.Key)
	assert.Contains(t, e["DREMIO_JAVA_SERVER_EXTRA_OPTS"].Value, "-Djavax.net.ssl.trustStore=/opt/dremio/truststore/cacerts")
	require.Len(t, exec.Spec.Template.Spec.InitContainers, 1)
	ic := exec.Spec.Template.Spec.InitContainers[0]
	assert.Contains(t, ic.Command[2], "keytool -importcert")
	assert.NotNil(t, ic.Resources.Limits.Memory())
}

func egressRules(t *testing.T, m *mockcloud.Mocks) []networkingv1.NetworkPolicyEgressRule {
	t.Helper()
	var np networkingv1.NetworkPolicy
	inspect.DecodeStrict(t, m.Named(npType, "dremio-objectstore-egress"), &np)
	assert.Equal(t, map[string]string{"app.kubernetes.io/name": "dremio"}, np.Spec.PodSelector.MatchLabels)
	assert.Equal(t, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}, np.Spec.PolicyTypes)
	return np.Spec.Egress
}

// TestClientCIDRsReachTheClientPorts: a cloud load balancer's ranges are admitted on the routed ports
// beside the client namespaces, and a malformed range is refused before anything is registered.
func TestClientCIDRsReachTheClientPorts(t *testing.T) {
	args := prodArgs(objectstore.S3)
	args.ClientCIDRs = []string{"10.0.0.0/24", "35.191.0.0/16"}
	m, _, err := run(t, false, args)
	require.NoError(t, err)
	var in networkingv1.NetworkPolicy
	inspect.DecodeStrict(t, m.Named(npType, "dremio-client-ingress"), &in)
	require.Len(t, in.Spec.Ingress, 1)
	from := in.Spec.Ingress[0].From
	require.Len(t, from, 3)
	assert.Equal(t, "10.0.0.0/24", from[1].IPBlock.CIDR)
	assert.Equal(t, "35.191.0.0/16", from[2].IPBlock.CIDR)

	args.ClientCIDRs = []string{"10.0.0.1/24"}
	_, _, err = run(t, false, args)
	require.ErrorContains(t, err, `ClientCIDRs contains "10.0.0.1/24"`)
}

func TestNetworkPolicies(t *testing.T) {
	m, _, err := run(t, false, prodArgs(objectstore.S3))
	require.NoError(t, err)
	var in networkingv1.NetworkPolicy
	inspect.DecodeStrict(t, m.Named(npType, "dremio-client-ingress"), &in)
	require.Len(t, in.Spec.Ingress, 1)
	require.Len(t, in.Spec.Ingress[0].From, 1)
	assert.Equal(t, map[string]string{"kubernetes.io/metadata.name": "dataplatform-bi"}, in.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels)
	var ports []int
	for _, p := range in.Spec.Ingress[0].Ports {
		ports = append(ports, p.Port.IntValue())
	}
	assert.Equal(t, []int{9047, 31010, 32010}, ports)

	rules := egressRules(t, m)
	require.Len(t, rules, 2)
	assert.Equal(t, "0.0.0.0/0", rules[0].To[0].IPBlock.CIDR)
	assert.Equal(t, []string{"169.254.169.254/32"}, rules[0].To[0].IPBlock.Except)
	assert.Equal(t, 443, rules[0].Ports[0].Port.IntValue())
	// The EKS Pod Identity agent on both of its addresses, plain HTTP.
	require.Len(t, rules[1].To, 2)
	assert.Equal(t, "169.254.170.23/32", rules[1].To[0].IPBlock.CIDR)
	assert.Equal(t, "fd00:ec2::23/128", rules[1].To[1].IPBlock.CIDR)
	require.Len(t, rules[1].Ports, 1)
	assert.Equal(t, 80, rules[1].Ports[0].Port.IntValue())

	// ADLS: storage and, for the token proxy sidecar, Entra ID on 443 anywhere but the metadata
	// address; nothing else.
	m, _, err = run(t, false, prodArgs(objectstore.ADLS))
	require.NoError(t, err)
	rules = egressRules(t, m)
	require.Len(t, rules, 1)
	require.Len(t, rules[0].To, 1)
	assert.Equal(t, "0.0.0.0/0", rules[0].To[0].IPBlock.CIDR)
	assert.Equal(t, []string{"169.254.169.254/32"}, rules[0].To[0].IPBlock.Except)
	require.Len(t, rules[0].Ports, 1)
	assert.Equal(t, corev1.ProtocolTCP, *rules[0].Ports[0].Protocol)
	assert.Equal(t, 443, rules[0].Ports[0].Port.IntValue())

	m, _, err = run(t, false, prodArgs(objectstore.GCS))
	require.NoError(t, err)
	rules = egressRules(t, m)
	require.Len(t, rules, 3)
	assert.Equal(t, "169.254.169.254/32", rules[1].To[0].IPBlock.CIDR)
	assert.Equal(t, "169.254.169.252/32", rules[2].To[0].IPBlock.CIDR)
	assert.Equal(t, 988, rules[2].Ports[0].Port.IntValue())

	m, _, err = run(t, false, devArgs(objectstore.MinIO))
	require.NoError(t, err)
	rules = egressRules(t, m)
	require.Len(t, rules, 1)
	assert.Equal(t, map[string]string{"kubernetes.io/metadata.name": "dataplatform-data"}, rules[0].To[0].NamespaceSelector.MatchLabels)
	assert.Equal(t, 9000, rules[0].Ports[0].Port.IntValue())
	assert.Nil(t, rules[0].To[0].IPBlock)
	assert.Nil(t, m.Named(npType, "dremio-client-ingress"), "no client namespaces, no ingress policy")
}

func TestBootstrapJob(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, prodArgs(objectstore.S3))
		require.NoError(t, err)
		if preview {
			assert.NotNil(t, m.Named(stsType, "dremio-executor"), "the workloads precede the passwords")
			return
		}
		r := m.Named(jobType, "dremio-bootstrap")
		require.NotNil(t, r)
		assert.True(t, m.DependsOn(r, m.Named(stsType, "dremio-coordinator")))
		assert.Len(t, m.ByType("random:index/randomPassword:RandomPassword"), 2)
		var job batchv1.Job
		inspect.DecodeStrict(t, r, &job)
		pod := job.Spec.Template.Spec
		ctr := container(t, pod, "bootstrap")
		assert.Equal(t, BootstrapImage, ctr.Image)
		script := ctr.Command[2]
		assert.Contains(t, script, `-X PUT "$base/apiv2/bootstrap/firstuser"`)
		assert.Contains(t, script, `"$base/api/v3/user"`)
		assert.Contains(t, script, "already exists")
		assert.Contains(t, script, `base="http://dremio-client.dataplatform.svc.cluster.local:9047"`)
		e := env(ctr)
		// The Job reads its own versioned Secret (dremio-bootstrap-<digest of the values>), exactly
		// the one materialized; dbt and AdminSecret keep the stable names.
		jobSec := m.Named("kubernetes:core/v1:Secret", "dremio-bootstrap-credentials")
		if jobSec == nil {
			jobSec = m.Named("kubernetes:external-secrets.io/v1:ExternalSecret", "dremio-bootstrap-credentials")
		}
		require.NotNil(t, jobSec, "no Secret for the bootstrap Job")
		jobSecret := inspect.Str(jobSec.Inputs, "metadata", "name")
		assert.True(t, secrets.IsVersionOf("dremio-bootstrap", jobSecret), jobSecret)
		assert.True(t, m.DependsOn(r, jobSec), "the Job waits for its Secret")
		for v, key := range map[string]string{"ADMIN_USER": "admin-user", "ADMIN_PASSWORD": "admin-password", "DBT_USER": "dbt-user", "DBT_PASSWORD": "dbt-password"} {
			assert.Equal(t, jobSecret, e[v].ValueFrom.SecretKeyRef.Name, v)
			assert.Equal(t, key, e[v].ValueFrom.SecretKeyRef.Key, v)
		}
		assert.True(t, *ctr.SecurityContext.ReadOnlyRootFilesystem)
		assert.NotNil(t, ctr.Resources.Requests.Memory())
		// The script's hash is in the pod template, which pulumi-kubernetes replaces a Job on; not in
		// the Job's own metadata, which it would patch without running anything.
		sum := sha256.Sum256([]byte(script))
		assert.Equal(t, hex.EncodeToString(sum[:]), job.Spec.Template.Annotations["dataplatform.io/config-sha256"])
		assert.Empty(t, job.Annotations)
		assert.Equal(t, "dremio-bootstrap", job.Name, "fixed name: the provider deletes before it replaces")
		assert.Nil(t, job.Spec.TTLSecondsAfterFinished, "a finished Job stays, so refresh finds it")
		assert.NotEqual(t, bootstrapScript("http://other:9047", ""), script)

		var sec corev1.Secret
		inspect.DecodeStrict(t, m.Named(secType, "dremio-dbt"), &sec)
		assert.Equal(t, "dbt", sec.StringData["user"])
		assert.NotEmpty(t, sec.StringData["password"])
	})
}

func TestAllKindsBothModes(t *testing.T) {
	for _, kind := range []objectstore.Kind{objectstore.S3, objectstore.ADLS, objectstore.GCS, objectstore.MinIO} {
		for _, args := range []*DremioClusterArgs{devArgs(kind), prodArgs(kind)} {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				m, _, err := run(t, preview, args)
				require.NoError(t, err)
				comp := m.Named(DremioClusterType, "dremio")
				require.NotNil(t, comp)
				for _, r := range m.Children(comp.URN) {
					assert.True(t, strings.HasPrefix(r.Name, "dremio-"), r.Name)
					if strings.HasPrefix(r.Type, "kubernetes:") {
						meta := r.Inputs["metadata"].ObjectValue()
						assert.True(t, meta["name"].IsString(), "%s has an explicit name", r.Name)
						assert.Contains(t, meta, resource.PropertyKey("namespace"), r.Name)
					}
				}
				assert.Len(t, m.ByType(stsType), 3)
				assert.Len(t, m.ByType(npType), map[bool]int{true: 2, false: 1}[args.Prod])
			})
		}
	}
}

func TestValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(a *DremioClusterArgs)
		want   string
	}{
		"latest image":        {func(a *DremioClusterArgs) { a.Image = "dremio/dremio-oss:latest" }, "latest"},
		"untagged image":      {func(a *DremioClusterArgs) { a.Image = "dremio/dremio-oss" }, "pinned"},
		"prod executors":      {func(a *DremioClusterArgs) { a.Executors = 2 }, "Executors = 2"},
		"even zookeeper":      {func(a *DremioClusterArgs) { a.ZooKeeperReplicas = 4 }, "ZooKeeperReplicas = 4"},
		"small executor":      {func(a *DremioClusterArgs) { a.Executor.MemoryGiB = 2 }, "Executor.MemoryGiB"},
		"no identity":         {func(a *DremioClusterArgs) { a.Workload = "other" }, `no "other" workload`},
		"bad kind":            {func(a *DremioClusterArgs) { a.ObjectStore.Kind = "ftp" }, "ObjectStore.Kind"},
		"bad dist":            {func(a *DremioClusterArgs) { a.DistStorage = "hdfs" }, "DistStorage"},
		"bad client ns":       {func(a *DremioClusterArgs) { a.ClientNamespaces = []string{"Bad_NS"} }, "ClientNamespaces"},
		"missing namespace":   {func(a *DremioClusterArgs) { a.Namespace = nil }, "Namespace is required"},
		"minio without ns":    {func(a *DremioClusterArgs) { a.ObjectStore = store(objectstore.MinIO); a.ObjectStoreNamespace = "" }, "ObjectStoreNamespace"},
		"no cpu":              {func(a *DremioClusterArgs) { a.Coordinator.CPU = 0 }, "Coordinator.CPU"},
		"digest is fine, tag": {func(a *DremioClusterArgs) { a.ZooKeeperImage = "zookeeper@sha256:abc" }, "ZooKeeperImage"},
		"latest token proxy on adls": {func(a *DremioClusterArgs) {
			a.ObjectStore = store(objectstore.ADLS)
			a.TokenProxyImage = "mcr.microsoft.com/oss/azure/workload-identity/proxy:latest"
		}, `dremio: TokenProxyImage = "mcr.microsoft.com/oss/azure/workload-identity/proxy:latest"; the latest tag is not pinned`},
		"untagged token proxy on adls": {func(a *DremioClusterArgs) {
			a.ObjectStore = store(objectstore.ADLS)
			a.TokenProxyImage = "mcr.microsoft.com/oss/azure/workload-identity/proxy"
		}, `dremio: TokenProxyImage = "mcr.microsoft.com/oss/azure/workload-identity/proxy"; must be pinned`},
	} {
		t.Run(name, func(t *testing.T) {
			a := prodArgs(objectstore.S3)
			tc.mutate(a)
			m, _, err := run(t, false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType(DremioClusterType), "nothing registered before validation")
		})
	}
	_, _, err := run(t, false, nil)
	assert.ErrorContains(t, err, "args are required")
	a := prodArgs(objectstore.S3)
	a.Image = "registry.example.com:5000/dremio/dremio-oss@sha256:" + strings.Repeat("a", 64)
	_, _, err = run(t, false, a)
	assert.NoError(t, err)

	// The token proxy image matters on ADLS only; there an empty one takes the pinned default.
	a = prodArgs(objectstore.S3)
	a.TokenProxyImage = "mcr.microsoft.com/oss/azure/workload-identity/proxy:latest"
	_, _, err = run(t, false, a)
	assert.NoError(t, err)
	a = prodArgs(objectstore.ADLS)
	a.TokenProxyImage = "registry.example.com/azwi/proxy@sha256:" + strings.Repeat("b", 64)
	_, _, err = run(t, false, a)
	assert.NoError(t, err)
	assert.Equal(t, config.DremioTokenProxyImage, DefaultTokenProxyImage)
	assert.Equal(t, "mcr.microsoft.com/oss/azure/workload-identity/proxy:v1.6.0", DremioClusterArgs{}.withDefaults().TokenProxyImage)
}
