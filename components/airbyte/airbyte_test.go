package airbyte

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	chartType  = ReleaseType
	saType     = "kubernetes:core/v1:ServiceAccount"
	secretType = "kubernetes:core/v1:Secret"
	hpaType    = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
	pdbType    = "kubernetes:policy/v1:PodDisruptionBudget"
	npType     = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	lrType     = "kubernetes:core/v1:LimitRange"
	rqType     = "kubernetes:core/v1:ResourceQuota"
	roleType   = "kubernetes:rbac.authorization.k8s.io/v1:Role"
	rbType     = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
)

var kinds = []objectstore.Kind{objectstore.S3, objectstore.ADLS, objectstore.GCS, objectstore.MinIO}

func so(s string) pulumi.StringOutput { return pulumi.String(s).ToStringOutput() }

const azureConnection = "DefaultEndpointsProtocol=https;AccountName=dpprodkeyed;AccountKey=ZmFrZQ==;EndpointSuffix=core.windows.net"

func gcsKey(workload string) string {
	return `{"type":"service_account","client_email":"` + workload + `@p.iam.gserviceaccount.com"}`
}

// static gives an identity the credential a store mints for a client without workload identity.
func static(id objectstore.Identity, credential string) objectstore.Identity {
	id.StaticCredential = pulumi.ToSecret(so(credential)).(pulumi.StringOutput)
	return id
}

// storeInfo builds what each object store implementation would hand out.
func storeInfo(kind objectstore.Kind) objectstore.Info {
	info := objectstore.Info{
		Kind:        kind,
		BucketNames: map[objectstore.Bucket]pulumi.StringOutput{objectstore.Airbyte: so("dp-prod-airbyte")},
		CABundle:    so(""),
		Account:     so(""),
	}
	id := func(ann map[string]string, podLabels map[string]string, principal, secret string) objectstore.Identity {
		return objectstore.Identity{
			ServiceAccountAnnotations: pulumi.ToStringMap(ann).ToStringMapOutput(),
			PodLabels:                 podLabels, Principal: so(principal), CredentialsSecret: so(secret),
		}
	}
	switch kind {
	case objectstore.S3:
		info.Region, info.Endpoint = "eu-north-1", so("https://s3.eu-north-1.amazonaws.com")
		info.Identities = map[string]objectstore.Identity{
			"airbyte":      id(nil, nil, "arn:aws:iam::123456789012:role/airbyte", ""),
			"airbyte-jobs": id(nil, nil, "arn:aws:iam::123456789012:role/airbyte-jobs", ""),
		}
	case objectstore.ADLS:
		// Airbyte's Azure client takes only a connection string: the store minted one (keyed account).
		info.Region, info.Endpoint, info.Account = "swedencentral", so("https://dpprod.dfs.core.windows.net"), so("dpprod")
		info.Identities = map[string]objectstore.Identity{
			"airbyte":      static(id(nil, nil, "", ""), azureConnection),
			"airbyte-jobs": static(id(nil, nil, "", ""), azureConnection),
		}
	case objectstore.GCS:
		// Airbyte's GCS client reads only a key file: the store minted one per workload.
		info.Region, info.Endpoint = "europe-north1", so("https://storage.googleapis.com")
		info.Identities = map[string]objectstore.Identity{
			"airbyte":      static(id(nil, nil, "airbyte@p.iam.gserviceaccount.com", ""), gcsKey("airbyte")),
			"airbyte-jobs": static(id(nil, nil, "airbyte-jobs@p.iam.gserviceaccount.com", ""), gcsKey("airbyte-jobs")),
		}
	case objectstore.MinIO:
		info.Endpoint, info.PathStyle, info.CABundle = so("https://minio.dataplatform-data.svc.cluster.local:9000"), true, so(testCA)
		info.Identities = map[string]objectstore.Identity{"airbyte": id(nil, nil, "airbyte", "airbyte-minio-credentials")}
	}
	return info
}

func baseArgs(kind objectstore.Kind, prod bool) *AirbyteStackArgs {
	a := &AirbyteStackArgs{
		NamespaceName: "dataplatform", JobsNamespace: "dataplatform-jobs", ChartVersion: "2.0.19",
		Database: metadatadb.Connection{
			Host: so("metadata.cluster-abc.eu-north-1.rds.amazonaws.com"), Port: 5432,
			Databases: map[metadatadb.Database]string{
				metadatadb.Airbyte: "airbyte", metadatadb.Temporal: "temporal", metadatadb.TemporalVisibility: "temporal_visibility", metadatadb.Superset: "superset",
			},
			CredentialSecrets: map[string]pulumi.StringOutput{"airbyte": so("airbyte-db-credentials"), "superset": so("superset-db-credentials")},
			SSLMode:           "verify-full", CAConfigMap: so("metadata-db-ca"), CACert: so(testDBCA),
		},
		ObjectStore:       storeInfo(kind),
		Worker:            Compute{CPU: 1, MemoryGiB: 2},
		WorkerMinReplicas: 1, WorkerMaxReplicas: 2,
		Prod:             prod,
		ClientNamespaces: []string{"gateway"},
		Labels:           map[string]string{"environment": "test"},
	}
	if prod {
		a.Worker, a.WorkerMinReplicas, a.WorkerMaxReplicas = Compute{CPU: 2, MemoryGiB: 4}, 2, 10
	}
	if kind == objectstore.MinIO {
		a.DatabaseNamespace = "dataplatform-data"
	} else {
		a.AllowedDatabaseCIDRs = []string{"10.40.0.0/16"}
	}
	return a
}

type result struct {
	m     *mockcloud.Mocks
	comp  *AirbyteStack
	ready *mockcloud.Resource
	err   error
}

func run(t *testing.T, preview bool, args *AirbyteStackArgs) result {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	var comp *AirbyteStack
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		ns, err := corev1.NewNamespace(ctx, "apps", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("dataplatform")}}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		job, err := corev1.NewConfigMap(ctx, "db-bootstrap", &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("bootstrap"), Namespace: pulumi.String("dataplatform")},
		}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		if args != nil {
			args.Namespace = ns.Metadata.Name().Elem()
			args.DatabaseReady = []pulumi.Resource{job}
		}
		comp, err = NewAirbyteStack(ctx, "airbyte", args, pulumi.Provider(p))
		return err
	}, nil)
	return result{m: m, comp: comp, ready: m.Named("kubernetes:core/v1:ConfigMap", "db-bootstrap"), err: err}
}

func values(t *testing.T, r result) resource.PropertyMap {
	t.Helper()
	require.NoError(t, r.err)
	chart := r.m.Named(chartType, "airbyte-release")
	require.NotNil(t, chart)
	return inspect.Obj(chart.Inputs["values"])
}

func TestChartPinnedAndExternalServices(t *testing.T) {
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				r := run(t, preview, baseArgs(kind, true))
				require.NoError(t, r.err)
				chart := r.m.Named(chartType, "airbyte-release")
				require.NotNil(t, chart)
				comp := r.m.Named(AirbyteStackType, "airbyte")
				require.NotNil(t, comp)
				assert.Equal(t, comp.URN, chart.Parent)
				assert.Equal(t, "airbyte", inspect.Str(chart.Inputs, "chart"))
				assert.Equal(t, "2.0.19", inspect.Str(chart.Inputs, "version"))
				assert.Equal(t, HelmRepository, inspect.Str(chart.Inputs, "repositoryOpts", "repo"))
				assert.Equal(t, "airbyte", inspect.Str(chart.Inputs, "name"))
				if !preview {
					assert.Equal(t, "dataplatform", inspect.Str(chart.Inputs, "namespace"))
				}
				// A real install with hooks, waited for long enough for a first bootloader and Temporal start.
				assert.Equal(t, 1200.0, inspect.Num(chart.Inputs, "timeout"))
				assert.False(t, inspect.At(chart.Inputs, "atomic").BoolValue())
				assert.True(t, inspect.At(chart.Inputs, "cleanupOnFail").BoolValue())
				assert.False(t, inspect.At(chart.Inputs, "skipAwait").BoolValue())
				assert.Equal(t, 10.0, inspect.Num(chart.Inputs, "maxHistory"))
				for _, off := range []string{"disableWebhooks", "disableCRDHooks", "postrender", "createNamespace"} {
					assert.NotContains(t, chart.Inputs, resource.PropertyKey(off), "nothing that turns the hooks off")
				}

				v := inspect.Obj(chart.Inputs["values"])
				assert.Equal(t, "external", inspect.Str(v, "global", "database", "type"))
				assert.Equal(t, "metadata.cluster-abc.eu-north-1.rds.amazonaws.com", inspect.Str(v, "global", "database", "host"))
				assert.Equal(t, 5432.0, inspect.Num(v, "global", "database", "port"))
				assert.Equal(t, "airbyte?sslmode=verify-full&sslrootcert=/secrets/airbyte-trust/metadatadb-ca.crt",
					inspect.Str(v, "global", "database", "name"))
				assert.Equal(t, "airbyte-db-credentials", inspect.Str(v, "global", "database", "secretName"))
				assert.Equal(t, "username", inspect.Str(v, "global", "database", "userSecretKey"))
				assert.Equal(t, "password", inspect.Str(v, "global", "database", "passwordSecretKey"))
				assert.False(t, inspect.At(v, "postgresql", "enabled").BoolValue())
				assert.False(t, inspect.At(v, "minio", "enabled").BoolValue())
				assert.False(t, inspect.At(v, "serviceAccount", "create").BoolValue())
				assert.Equal(t, ServiceAccountName, inspect.Str(v, "serviceAccount", "name"))
				assert.Equal(t, ServiceAccountName, inspect.Str(v, "global", "serviceAccountName"))
				assert.Equal(t, "community", inspect.Str(v, "global", "edition"))

				// Temporal's databases come from the Connection and are never created by Temporal.
				env := map[string]string{}
				for _, e := range inspect.At(v, "temporal", "extraEnv").ArrayValue() {
					env[inspect.Str(inspect.Obj(e), "name")] = inspect.Str(inspect.Obj(e), "value")
				}
				assert.Equal(t, map[string]string{"DBNAME": "temporal", "VISIBILITY_DBNAME": "temporal_visibility", "SKIP_DB_CREATE": "true"}, env)
			})
		})
	}
}

func TestStorageValuesPerKind(t *testing.T) {
	want := map[objectstore.Kind]string{objectstore.S3: "s3", objectstore.ADLS: "azure", objectstore.GCS: "gcs", objectstore.MinIO: "minio"}
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				r := run(t, preview, baseArgs(kind, false))
				v := values(t, r)
				st := inspect.Obj(inspect.At(v, "global", "storage"))
				assert.Equal(t, want[kind], inspect.Str(st, "type"))
				for _, b := range []string{"log", "state", "workloadOutput", "activityPayload", "auditLogging"} {
					assert.Equal(t, "dp-prod-airbyte", inspect.Str(st, "bucket", b), b)
				}
				config := r.m.Named(secretType, "airbyte-config")
				switch kind {
				case objectstore.S3:
					assert.Equal(t, "eu-north-1", inspect.Str(st, "s3", "region"))
					assert.Equal(t, "instanceProfile", inspect.Str(st, "s3", "authenticationType"))
					assert.Equal(t, ConfigSecretName, inspect.Str(st, "secretName"))
					require.NotNil(t, config)
					data := inspect.Obj(config.Inputs["stringData"])
					assert.Equal(t, "", inspect.Str(data, "AWS_ACCESS_KEY_ID"), "no static keys on S3")
					assert.Contains(t, data, resource.PropertyKey("AWS_SECRET_ACCESS_KEY"))
					assert.Equal(t, ConfigSecretName, inspect.Str(config.Inputs, "metadata", "name"))
				case objectstore.MinIO:
					assert.Equal(t, "airbyte-minio-credentials", inspect.Str(st, "secretName"))
					assert.Equal(t, "https://minio.dataplatform-data.svc.cluster.local:9000", inspect.Str(st, "minio", "endpoint"))
					assert.True(t, inspect.At(st, "minio", "s3PathStyleAccess").BoolValue())
					assert.Equal(t, "accessKey", inspect.Str(st, "minio", "accessKeyIdSecretKey"))
					assert.Equal(t, "secretKey", inspect.Str(st, "minio", "secretAccessKeySecretKey"))
					assert.Nil(t, config)
				case objectstore.GCS:
					// The platform owns the key-file Secret in both namespaces, each with its workload's key.
					assert.Equal(t, ConfigSecretName, inspect.Str(st, "secretName"))
					assert.Equal(t, "gcp.json", inspect.Str(st, "gcs", "credentialsJsonSecretKey"))
					assert.Equal(t, "/secrets/gcs-log-creds/gcp.json", inspect.Str(st, "gcs", "credentialsJsonPath"))
					assert.Equal(t, ConfigSecretName, inspect.Str(v, "global", "workloads", "containerOrchestrator", "secretName"))
					require.NotNil(t, config)
					assertSecretData(t, config, "dataplatform", "gcp.json", gcsKey("airbyte"))
					jobs := r.m.Named(secretType, "airbyte-jobs-config")
					require.NotNil(t, jobs)
					assertSecretData(t, jobs, "dataplatform-jobs", "gcp.json", gcsKey("airbyte-jobs"))
				case objectstore.ADLS:
					assert.Equal(t, ConfigSecretName, inspect.Str(st, "secretName"))
					assert.Equal(t, "AZURE_STORAGE_CONNECTION_STRING", inspect.Str(st, "azure", "connectionStringSecretKey"))
					require.NotNil(t, config)
					assertSecretData(t, config, "dataplatform", "AZURE_STORAGE_CONNECTION_STRING", azureConnection)
					// The launcher hands job pods the connection string; no copy in the jobs namespace.
					assert.Nil(t, r.m.Named(secretType, "airbyte-jobs-config"))
				}
				if kind != objectstore.GCS {
					assert.Nil(t, r.m.Named(secretType, "airbyte-jobs-config"))
				}
				for _, other := range []string{"s3", "gcs", "azure", "minio"} {
					if other != want[kind] {
						assert.NotContains(t, st, resource.PropertyKey(other))
					}
				}
			})
		})
	}
}

func TestWorkerAutoscaling(t *testing.T) {
	for _, prod := range []bool{false, true} {
		t.Run(fmt.Sprintf("prod=%v", prod), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				r := run(t, preview, baseArgs(objectstore.S3, prod))
				v := values(t, r)
				hpas := r.m.ByType(hpaType)
				require.Len(t, hpas, 1)
				spec := inspect.Obj(hpas[0].Inputs["spec"])
				wantMin, wantMax := 1.0, 2.0
				if prod {
					wantMin, wantMax = 2, 10
				}
				assert.Equal(t, wantMin, inspect.Num(spec, "minReplicas"))
				assert.Equal(t, wantMax, inspect.Num(spec, "maxReplicas"))
				assert.Equal(t, "Deployment", inspect.Str(spec, "scaleTargetRef", "kind"))
				assert.Equal(t, "airbyte-worker", inspect.Str(spec, "scaleTargetRef", "name"))
				assert.Equal(t, "dataplatform", inspect.Str(hpas[0].Inputs, "metadata", "namespace"))
				// CPU only (was CPU and memory: a JVM's memory rarely falls, so the worker never scaled down).
				assert.Len(t, inspect.At(spec, "metrics").ArrayValue(), 1)
				assert.Equal(t, wantMin, inspect.Num(v, "worker", "replicaCount"), "the worker starts at the autoscaler's floor")
				assert.True(t, r.m.DependsOn(hpas[0], r.m.Named(chartType, "airbyte-release")))

				res := inspect.Obj(inspect.At(v, "worker", "resources"))
				if prod {
					assert.Equal(t, "2000m", inspect.Str(res, "requests", "cpu"))
					assert.Equal(t, "4096Mi", inspect.Str(res, "requests", "memory"))
					assert.Equal(t, "4096Mi", inspect.Str(res, "limits", "memory"))
				} else {
					assert.Equal(t, "1000m", inspect.Str(res, "requests", "cpu"))
					assert.Equal(t, "2048Mi", inspect.Str(res, "limits", "memory"))
				}
			})
		})
	}
}

func TestResourcesForEveryService(t *testing.T) {
	keys := ServiceKeys()
	for _, k := range []string{"server", "worker", "workloadLauncher", "workloadApiServer", "temporal", "cron", "connectorBuilderServer", "webapp", "airbyteBootloader", "keycloak"} {
		assert.Contains(t, keys, k)
	}
	for _, prod := range []bool{false, true} {
		t.Run(fmt.Sprintf("prod=%v", prod), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				v := values(t, run(t, preview, baseArgs(objectstore.MinIO, prod)))
				for _, k := range keys {
					res := inspect.Obj(inspect.At(v, k, "resources"))
					assert.NotEmpty(t, inspect.Str(res, "requests", "cpu"), k)
					assert.NotEmpty(t, inspect.Str(res, "requests", "memory"), k)
					assert.NotEmpty(t, inspect.Str(res, "limits", "memory"), k)
					assert.Equal(t, inspect.Str(res, "requests", "memory"), inspect.Str(res, "limits", "memory"), k)
				}
				if prod {
					assert.Equal(t, "2048Mi", inspect.Str(v, "server", "resources", "limits", "memory"))
				} else {
					assert.Equal(t, "1024Mi", inspect.Str(v, "server", "resources", "limits", "memory"))
				}
			})
		})
	}
}

func TestReplicasAndDisruptionBudgets(t *testing.T) {
	for _, prod := range []bool{false, true} {
		t.Run(fmt.Sprintf("prod=%v", prod), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				r := run(t, preview, baseArgs(objectstore.S3, prod))
				v := values(t, r)
				pdbs := r.m.ByType(pdbType)
				if !prod {
					assert.Empty(t, pdbs)
					assert.Equal(t, 1.0, inspect.Num(v, "server", "replicaCount"))
					return
				}
				require.Len(t, pdbs, len(deployments))
				for _, d := range deployments {
					switch d.key {
					case "worker": // the autoscaler's
					case "temporal": // auto-setup migrates the schema on start: one replica
						assert.Equal(t, 1.0, inspect.Num(v, d.key, "replicaCount"), d.key)
					default:
						assert.Equal(t, 2.0, inspect.Num(v, d.key, "replicaCount"), d.key)
					}
					aff := inspect.At(v, d.key, "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution").ArrayValue()
					require.Len(t, aff, 2, d.key)
					assert.Equal(t, d.component, inspect.Str(inspect.Obj(aff[0]), "podAffinityTerm", "labelSelector", "matchLabels", "app.kubernetes.io/name"))
					pdb := r.m.Named(pdbType, "airbyte-pdb-"+d.component)
					require.NotNil(t, pdb, d.component)
					sel := inspect.Obj(inspect.At(pdb.Inputs, "spec", "selector", "matchLabels"))
					assert.Equal(t, d.component, inspect.Str(sel, "app.kubernetes.io/name"))
					assert.Equal(t, ReleaseName, inspect.Str(sel, "app.kubernetes.io/instance"))
					assert.Equal(t, 1.0, inspect.Num(pdb.Inputs, "spec", "maxUnavailable"))
				}
			})
		})
	}
}

func TestJobsNamespace(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		r := run(t, preview, baseArgs(objectstore.S3, true))
		v := values(t, r)
		assert.Equal(t, "dataplatform-jobs", inspect.Str(v, "global", "jobs", "kube", "namespace"))
		assert.Equal(t, "1000m", inspect.Str(v, "global", "jobs", "resources", "requests", "cpu"))
		assert.Equal(t, "2048Mi", inspect.Str(v, "global", "jobs", "resources", "requests", "memory"))
		assert.Equal(t, "2048Mi", inspect.Str(v, "global", "jobs", "resources", "limits", "memory"))
		assert.Equal(t, "2048Mi", inspect.Str(v, "global", "workloads", "resources", "mainContainer", "memory", "limit"))

		lrs := r.m.ByType(lrType)
		require.Len(t, lrs, 1)
		assert.Equal(t, "dataplatform-jobs", inspect.Str(lrs[0].Inputs, "metadata", "namespace"))
		item := inspect.Obj(inspect.At(lrs[0].Inputs, "spec", "limits").ArrayValue()[0])
		assert.Equal(t, "Container", inspect.Str(item, "type"))
		assert.Equal(t, "1000m", inspect.Str(item, "defaultRequest", "cpu"))
		assert.Equal(t, "2048Mi", inspect.Str(item, "default", "memory"))
		assert.Equal(t, "8192Mi", inspect.Str(item, "max", "memory"))

		rqs := r.m.ByType(rqType)
		require.Len(t, rqs, 1)
		assert.Equal(t, "dataplatform-jobs", inspect.Str(rqs[0].Inputs, "metadata", "namespace"))
		hard := inspect.Obj(inspect.At(rqs[0].Inputs, "spec", "hard"))
		assert.Equal(t, "64000m", inspect.Str(hard, "requests.cpu"))
		assert.Equal(t, "131072Mi", inspect.Str(hard, "requests.memory"))
		assert.Equal(t, "300", inspect.Str(hard, "pods"))

		// The launcher in the apps namespace manages pods in the jobs namespace.
		var jobsRole *mockcloud.Resource
		for _, role := range r.m.ByType(roleType) {
			if inspect.Str(role.Inputs, "metadata", "namespace") == "dataplatform-jobs" {
				jobsRole = role
			}
		}
		require.NotNil(t, jobsRole)
		rules := inspect.At(jobsRole.Inputs, "rules").ArrayValue()
		var podVerbs []string
		for _, v := range inspect.At(inspect.Obj(rules[0]), "verbs").ArrayValue() {
			podVerbs = append(podVerbs, v.StringValue())
		}
		assert.Contains(t, podVerbs, "create")
		assert.NotContains(t, fmt.Sprint(inspect.At(inspect.Obj(rules[0]), "apiGroups")), "*")
		// The launcher manages pods there and nothing else: no Secrets, ConfigMaps or Jobs.
		for _, rule := range rules {
			for _, res := range inspect.At(inspect.Obj(rule), "resources").ArrayValue() {
				assert.Contains(t, []string{"pods", "pods/log"}, res.StringValue())
			}
		}
		binding := r.m.Named(rbType, "airbyte-rolebinding-jobs")
		require.NotNil(t, binding)
		assert.Equal(t, "dataplatform-jobs", inspect.Str(binding.Inputs, "metadata", "namespace"))
		subj := inspect.Obj(inspect.At(binding.Inputs, "subjects").ArrayValue()[0])
		assert.Equal(t, ServiceAccountName, inspect.Str(subj, "name"))
		assert.Equal(t, "dataplatform", inspect.Str(subj, "namespace"))
	})
	// Dev defaults are smaller; explicit values win.
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := baseArgs(objectstore.S3, false)
		args.JobsQuota = JobsQuota{CPU: 4, MemoryGiB: 8, Pods: 20}
		r := run(t, preview, args)
		require.NoError(t, r.err)
		hard := inspect.Obj(inspect.At(r.m.ByType(rqType)[0].Inputs, "spec", "hard"))
		assert.Equal(t, "4000m", inspect.Str(hard, "requests.cpu"))
		assert.Equal(t, "20", inspect.Str(hard, "pods"))
		assert.Equal(t, "500m", inspect.Str(values(t, r), "global", "jobs", "resources", "requests", "cpu"))
	})
}

func TestServiceAccountsCarryIdentity(t *testing.T) {
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				r := run(t, preview, baseArgs(kind, true))
				v := values(t, r)
				apps := r.m.Named(saType, "airbyte-sa")
				jobs := r.m.Named(saType, "airbyte-jobs-sa")
				require.NotNil(t, apps)
				require.NotNil(t, jobs)
				assert.Equal(t, ServiceAccountName, inspect.Str(apps.Inputs, "metadata", "name"))
				assert.Equal(t, ServiceAccountName, inspect.Str(jobs.Inputs, "metadata", "name"))
				assert.Equal(t, "dataplatform-jobs", inspect.Str(jobs.Inputs, "metadata", "namespace"))
				// S3 binds by name (Pod Identity); GCS and ADLS use the minted credential, MinIO its
				// keys: no ServiceAccount annotation and no pod label anywhere.
				assert.Empty(t, inspect.Obj(inspect.At(apps.Inputs, "metadata", "annotations")))
				assert.Empty(t, inspect.Obj(inspect.At(jobs.Inputs, "metadata", "annotations")))
				assert.NotContains(t, inspect.Obj(inspect.At(v, "server")), resource.PropertyKey("podLabels"))
			})
		})
	}
	// A store identity with workload-identity annotations and pod labels reaches the ServiceAccounts
	// and every pod (here a user-managed storage Secret beside an Azure workload identity).
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := baseArgs(objectstore.ADLS, true)
		args.StorageCredentialsSecret = pulumi.String("airbyte-storage-credentials")
		wi := objectstore.Identity{
			ServiceAccountAnnotations: pulumi.ToStringMap(map[string]string{"azure.workload.identity/client-id": "client-1"}).ToStringMapOutput(),
			PodLabels:                 map[string]string{"azure.workload.identity/use": "true"},
		}
		args.ObjectStore.Identities = map[string]objectstore.Identity{"airbyte": wi, "airbyte-jobs": wi}
		r := run(t, preview, args)
		require.NoError(t, r.err)
		v := values(t, r)
		assert.Equal(t, "client-1", inspect.Str(r.m.Named(saType, "airbyte-sa").Inputs, "metadata", "annotations", "azure.workload.identity/client-id"))
		assert.Equal(t, "client-1", inspect.Str(r.m.Named(saType, "airbyte-jobs-sa").Inputs, "metadata", "annotations", "azure.workload.identity/client-id"))
		assert.Equal(t, "true", inspect.Str(v, "server", "podLabels", "azure.workload.identity/use"))
		assert.Equal(t, "true", inspect.Str(v, "worker", "podLabels", "azure.workload.identity/use"))
	})
}

func TestNetworkPolicies(t *testing.T) {
	policy := func(r result, name string) resource.PropertyMap {
		p := r.m.Named(npType, "airbyte-"+name)
		require.NotNil(t, p, name)
		return p.Inputs
	}
	inspect.Modes(t, func(t *testing.T, preview bool) {
		// kubernetes target: database and MinIO in the data namespace.
		r := run(t, preview, baseArgs(objectstore.MinIO, true))
		require.NoError(t, r.err)
		db := policy(r, "egress-database")
		assert.Equal(t, "dataplatform", inspect.Str(db, "metadata", "namespace"))
		assert.Equal(t, ReleaseName, inspect.Str(db, "spec", "podSelector", "matchLabels", "app.kubernetes.io/instance"))
		rule := inspect.Obj(inspect.At(db, "spec", "egress").ArrayValue()[0])
		assert.Equal(t, "dataplatform-data", inspect.Str(inspect.Obj(inspect.At(rule, "to").ArrayValue()[0]), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		assert.Equal(t, 5432.0, inspect.Num(inspect.Obj(inspect.At(rule, "ports").ArrayValue()[0]), "port"))

		for _, n := range []string{"egress-object-store", "jobs-egress-object-store"} {
			rule := inspect.Obj(inspect.At(policy(r, n), "spec", "egress").ArrayValue()[0])
			assert.Equal(t, float64(MinIOPort), inspect.Num(inspect.Obj(inspect.At(rule, "ports").ArrayValue()[0]), "port"), n)
			assert.Equal(t, "dataplatform-data", inspect.Str(inspect.Obj(inspect.At(rule, "to").ArrayValue()[0]), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"), n)
		}
		assert.Equal(t, "dataplatform-jobs", inspect.Str(policy(r, "jobs-egress-object-store"), "metadata", "namespace"))

		// Job pods: internet except the metadata endpoint, all ports.
		internet := policy(r, "jobs-egress-internet")
		assert.Equal(t, "dataplatform-jobs", inspect.Str(internet, "metadata", "namespace"))
		rule = inspect.Obj(inspect.At(internet, "spec", "egress").ArrayValue()[0])
		assert.NotContains(t, rule, resource.PropertyKey("ports"))
		peer := inspect.Obj(inspect.At(rule, "to").ArrayValue()[0])
		assert.Equal(t, "0.0.0.0/0", inspect.Str(peer, "ipBlock", "cidr"))
		assert.Equal(t, MetadataEndpoint, inspect.At(peer, "ipBlock", "except").ArrayValue()[0].StringValue())

		// Job pods ↔ server and workload API.
		rule = inspect.Obj(inspect.At(policy(r, "jobs-egress-platform"), "spec", "egress").ArrayValue()[0])
		var ports []float64
		for _, p := range inspect.At(rule, "ports").ArrayValue() {
			ports = append(ports, inspect.Num(inspect.Obj(p), "port"))
		}
		assert.ElementsMatch(t, []float64{ServerPort, WorkloadAPIPort}, ports)
		assert.Equal(t, "dataplatform", inspect.Str(inspect.Obj(inspect.At(rule, "to").ArrayValue()[0]), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		from := policy(r, "ingress-from-jobs")
		assert.Equal(t, "dataplatform", inspect.Str(from, "metadata", "namespace"))
		assert.Equal(t, "dataplatform-jobs", inspect.Str(inspect.Obj(inspect.At(inspect.Obj(inspect.At(from, "spec", "ingress").ArrayValue()[0]), "from").ArrayValue()[0]), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		assert.NotNil(t, r.m.Named(npType, "airbyte-egress-jobs"))
		assert.NotNil(t, r.m.Named(npType, "airbyte-jobs-ingress-from-platform"))

		// Clients reach only the server port.
		clients := policy(r, "ingress-from-clients")
		assert.Equal(t, "server", inspect.Str(clients, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name"))
		in := inspect.Obj(inspect.At(clients, "spec", "ingress").ArrayValue()[0])
		assert.Equal(t, "gateway", inspect.Str(inspect.Obj(inspect.At(in, "from").ArrayValue()[0]), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		assert.Equal(t, float64(ServerPort), inspect.Num(inspect.Obj(inspect.At(in, "ports").ArrayValue()[0]), "port"))

		// Every policy depends-before the chart, so pods start with their flows open.
		chart := r.m.Named(chartType, "airbyte-release")
		for _, np := range r.m.ByType(npType) {
			assert.True(t, r.m.DependsOn(chart, np), np.Name)
		}
	})
	inspect.Modes(t, func(t *testing.T, preview bool) {
		// Clouds: the database's range, HTTPS to the store, no MinIO policies.
		args := baseArgs(objectstore.S3, true)
		args.ClientNamespaces = nil
		r := run(t, preview, args)
		require.NoError(t, r.err)
		rule := inspect.Obj(inspect.At(policy(r, "egress-database"), "spec", "egress").ArrayValue()[0])
		assert.Equal(t, "10.40.0.0/16", inspect.Str(inspect.Obj(inspect.At(rule, "to").ArrayValue()[0]), "ipBlock", "cidr"))
		rule = inspect.Obj(inspect.At(policy(r, "egress-object-store"), "spec", "egress").ArrayValue()[0])
		assert.Equal(t, 443.0, inspect.Num(inspect.Obj(inspect.At(rule, "ports").ArrayValue()[0]), "port"))
		assert.Nil(t, r.m.Named(npType, "airbyte-jobs-egress-object-store"))
		assert.Nil(t, r.m.Named(npType, "airbyte-ingress-from-clients"))
	})
}

func TestDependsOnDatabaseAndIdentity(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		r := run(t, preview, baseArgs(objectstore.S3, true))
		require.NoError(t, r.err)
		chart := r.m.Named(chartType, "airbyte-release")
		require.NotNil(t, r.ready)
		assert.True(t, r.m.DependsOn(chart, r.ready), "the chart waits for the database bootstrap")
		for _, dep := range []*mockcloud.Resource{
			r.m.Named(saType, "airbyte-sa"), r.m.Named(saType, "airbyte-jobs-sa"),
			r.m.Named(secretType, "airbyte-config"), r.m.Named(rbType, "airbyte-rolebinding-jobs"),
			r.m.Named(rqType, "airbyte-jobs-quota"),
		} {
			require.NotNil(t, dep)
			assert.True(t, r.m.DependsOn(chart, dep), dep.Name)
		}
		assert.True(t, r.m.DependsOn(chart, r.m.Named("kubernetes:core/v1:Namespace", "apps")))
		for _, res := range r.m.Resources() {
			if strings.HasPrefix(res.Type, "kubernetes:") && res.Custom && res.Type != ReleaseType && res.Name != "db-bootstrap" && res.Name != "apps" {
				assert.NotEmpty(t, inspect.Str(res.Inputs, "metadata", "name"), res.Name)
				assert.NotEmpty(t, inspect.Str(res.Inputs, "metadata", "namespace"), res.Name)
				assert.Equal(t, "test", inspect.Str(res.Inputs, "metadata", "labels", "environment"), res.Name)
			}
		}
	})
}

func TestOutputs(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		r := run(t, preview, baseArgs(objectstore.MinIO, false))
		require.NoError(t, r.err)
		await := func(o pulumi.Output) any {
			res := inspect.Await(t, o)
			require.True(t, res.Known)
			return res.Value
		}
		assert.Equal(t, "http://airbyte-airbyte-server-svc.dataplatform.svc.cluster.local:8001", await(r.comp.WebURL))
		assert.Equal(t, "http://airbyte-airbyte-server-svc.dataplatform.svc.cluster.local:8001/api/public/v1", await(r.comp.APIURL))
		assert.Equal(t, "airbyte", await(r.comp.ServiceAccountName))
		assert.Equal(t, "airbyte", await(r.comp.ChartName))
		assert.Equal(t, "http://airbyte-airbyte-server-svc.dataplatform.svc.cluster.local:8001", inspect.Str(values(t, r), "global", "airbyteUrl"))
	})
}

func TestValidation(t *testing.T) {
	cases := map[string]struct {
		kind   objectstore.Kind
		mutate func(a *AirbyteStackArgs)
		want   string
	}{
		"jobs namespace equals apps": {objectstore.S3, func(a *AirbyteStackArgs) { a.JobsNamespace = a.NamespaceName }, "own namespace"},
		"bad jobs namespace":         {objectstore.S3, func(a *AirbyteStackArgs) { a.JobsNamespace = "Jobs_NS" }, `JobsNamespace = "Jobs_NS"`},
		"unpinned chart":             {objectstore.S3, func(a *AirbyteStackArgs) { a.ChartVersion = "2.x" }, `ChartVersion = "2.x"`},
		"no host":                    {objectstore.S3, func(a *AirbyteStackArgs) { a.Database.Host = pulumi.StringOutput{} }, "Database.Host"},
		"bad port":                   {objectstore.S3, func(a *AirbyteStackArgs) { a.Database.Port = 0 }, "Database.Port = 0"},
		"no temporal db":             {objectstore.S3, func(a *AirbyteStackArgs) { delete(a.Database.Databases, metadatadb.Temporal) }, "Databases[temporal]"},
		"no credentials":             {objectstore.S3, func(a *AirbyteStackArgs) { delete(a.Database.CredentialSecrets, "airbyte") }, `CredentialSecrets["airbyte"]`},
		"plaintext db":               {objectstore.S3, func(a *AirbyteStackArgs) { a.Database.SSLMode = "disable" }, `SSLMode = "disable"`},
		"no db network":              {objectstore.S3, func(a *AirbyteStackArgs) { a.AllowedDatabaseCIDRs = nil }, "DatabaseNamespace and AllowedDatabaseCIDRs"},
		"bad cidr":                   {objectstore.S3, func(a *AirbyteStackArgs) { a.AllowedDatabaseCIDRs = []string{"10.0.0.0/33"} }, `"10.0.0.0/33"`},
		"no bucket":                  {objectstore.S3, func(a *AirbyteStackArgs) { delete(a.ObjectStore.BucketNames, objectstore.Airbyte) }, "BucketNames[airbyte]"},
		"no identity":                {objectstore.S3, func(a *AirbyteStackArgs) { delete(a.ObjectStore.Identities, "airbyte") }, `Identities["airbyte"]`},
		"s3 without jobs identity":   {objectstore.S3, func(a *AirbyteStackArgs) { delete(a.ObjectStore.Identities, "airbyte-jobs") }, `Identities["airbyte-jobs"]`},
		"s3 without region":          {objectstore.S3, func(a *AirbyteStackArgs) { a.ObjectStore.Region = "" }, "Region"},
		"gcs without credential": {objectstore.GCS, func(a *AirbyteStackArgs) { a.ObjectStore.Identities["airbyte"] = objectstore.Identity{} },
			`Identities["airbyte"].StaticCredential is not set and StorageCredentialsSecret is empty; Airbyte's gcs client`},
		"gcs without jobs credential": {objectstore.GCS, func(a *AirbyteStackArgs) { delete(a.ObjectStore.Identities, "airbyte-jobs") },
			`Identities["airbyte-jobs"].StaticCredential is not set; on GCS job pods in "dataplatform-jobs"`},
		"adls without credential": {objectstore.ADLS, func(a *AirbyteStackArgs) { a.ObjectStore.Identities["airbyte"] = objectstore.Identity{} },
			`Identities["airbyte"].StaticCredential is not set and StorageCredentialsSecret is empty; Airbyte's adls client`},
		"minio without namespace":    {objectstore.MinIO, func(a *AirbyteStackArgs) { a.DatabaseNamespace = ""; a.AllowedDatabaseCIDRs = []string{"10.0.0.0/8"} }, "ObjectStoreNamespace"},
		"minio without secret":       {objectstore.MinIO, func(a *AirbyteStackArgs) { a.ObjectStore.Identities["airbyte"] = objectstore.Identity{} }, "CredentialsSecret"},
		"unknown kind":               {objectstore.S3, func(a *AirbyteStackArgs) { a.ObjectStore.Kind = "nfs" }, `Kind = "nfs"`},
		"no worker size":             {objectstore.S3, func(a *AirbyteStackArgs) { a.Worker.CPU = 0 }, "Worker"},
		"prod single worker":         {objectstore.S3, func(a *AirbyteStackArgs) { a.WorkerMinReplicas = 1 }, "WorkerMinReplicas = 1"},
		"max below min":              {objectstore.S3, func(a *AirbyteStackArgs) { a.WorkerMaxReplicas = 1 }, "WorkerMaxReplicas = 1"},
		"bad client namespace":       {objectstore.S3, func(a *AirbyteStackArgs) { a.ClientNamespaces = []string{"Gate Way"} }, `"Gate Way"`},
		"negative quota":             {objectstore.S3, func(a *AirbyteStackArgs) { a.JobsQuota.Pods = -1 }, "JobsQuota"},
		"namespace name not a label": {objectstore.S3, func(a *AirbyteStackArgs) { a.NamespaceName = "" }, `NamespaceName = ""`},
		"minio without CA":           {objectstore.MinIO, func(a *AirbyteStackArgs) { a.ObjectStore.CABundle = pulumi.StringOutput{} }, "CABundle"},
		"verify-full without CA":     {objectstore.S3, func(a *AirbyteStackArgs) { a.Database.CAConfigMap = pulumi.StringOutput{} }, "CAConfigMap"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			args := baseArgs(c.kind, true)
			c.mutate(args)
			r := run(t, false, args)
			require.Error(t, r.err)
			assert.Contains(t, r.err.Error(), c.want)
			assert.Nil(t, r.m.Named(AirbyteStackType, "airbyte"), "nothing is registered before validation")
		})
	}
	t.Run("nil args", func(t *testing.T) {
		r := run(t, false, nil)
		require.Error(t, r.err)
		assert.Contains(t, r.err.Error(), "args are required")
	})
}

// assertSecretData checks a platform-owned storage Secret: its name, namespace, and that the credential
// is stored as a Pulumi secret with the store's value.
func assertSecretData(t *testing.T, sec *mockcloud.Resource, namespace, key, want string) {
	t.Helper()
	assert.Equal(t, ConfigSecretName, inspect.Str(sec.Inputs, "metadata", "name"))
	assert.Equal(t, namespace, inspect.Str(sec.Inputs, "metadata", "namespace"))
	assert.True(t, sec.Inputs["stringData"].IsSecret(), "%s must stay a secret", key)
	assert.Equal(t, want, inspect.Str(sec.Inputs, "stringData", key))
}

// TestUserManagedStorageSecret: with StorageCredentialsSecret the chart reads the user's Secret and
// the platform writes no credential of its own, even where the store minted one.
func TestUserManagedStorageSecret(t *testing.T) {
	for _, kind := range []objectstore.Kind{objectstore.GCS, objectstore.ADLS} {
		t.Run(string(kind), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				args := baseArgs(kind, false)
				args.StorageCredentialsSecret = pulumi.String("airbyte-storage-credentials")
				// A store that minted nothing: the user's Secret is the only credential.
				for w := range args.ObjectStore.Identities {
					args.ObjectStore.Identities[w] = objectstore.Identity{}
				}
				r := run(t, preview, args)
				require.NoError(t, r.err)
				v := values(t, r)
				assert.Equal(t, "airbyte-storage-credentials", inspect.Str(v, "global", "storage", "secretName"))
				if kind == objectstore.GCS {
					assert.Equal(t, "airbyte-storage-credentials", inspect.Str(v, "global", "workloads", "containerOrchestrator", "secretName"))
				}
				assert.Nil(t, r.m.Named(secretType, "airbyte-config"))
				assert.Nil(t, r.m.Named(secretType, "airbyte-jobs-config"))
			})
		})
	}
}
