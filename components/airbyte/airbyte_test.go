package airbyte

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/tests/harness"
)

const (
	chartType  = "kubernetes:helm.sh/v4:Chart"
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
		info.Region, info.Endpoint, info.Account = "swedencentral", so("https://dpprod.dfs.core.windows.net"), so("dpprod")
		info.Identities = map[string]objectstore.Identity{
			"airbyte": id(map[string]string{"azure.workload.identity/client-id": "client-1"}, map[string]string{"azure.workload.identity/use": "true"}, "client-1", ""),
		}
	case objectstore.GCS:
		info.Region, info.Endpoint = "europe-north1", so("https://storage.googleapis.com")
		info.Identities = map[string]objectstore.Identity{
			"airbyte":      id(map[string]string{"iam.gke.io/gcp-service-account": "airbyte@p.iam.gserviceaccount.com"}, nil, "airbyte@p.iam.gserviceaccount.com", ""),
			"airbyte-jobs": id(map[string]string{"iam.gke.io/gcp-service-account": "airbyte-jobs@p.iam.gserviceaccount.com"}, nil, "airbyte-jobs@p.iam.gserviceaccount.com", ""),
		}
	case objectstore.MinIO:
		info.Endpoint, info.PathStyle = so("https://minio.dataplatform-data.svc.cluster.local:9000"), true
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
			SSLMode:           "verify-full", CAConfigMap: so("metadata-db-ca"),
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
	if kind == objectstore.GCS || kind == objectstore.ADLS {
		a.StorageCredentialsSecret = pulumi.String("airbyte-storage-credentials")
	}
	return a
}

type result struct {
	m     *harness.Mocks
	comp  *AirbyteStack
	ready *harness.Resource
	err   error
}

func run(t *testing.T, preview bool, args *AirbyteStackArgs) result {
	t.Helper()
	m := harness.New("dataplatform", "prod", preview)
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

func modes(t *testing.T, f func(t *testing.T, preview bool)) {
	for _, preview := range []bool{false, true} {
		t.Run(fmt.Sprintf("preview=%v", preview), func(t *testing.T) { f(t, preview) })
	}
}

func obj(v resource.PropertyValue) resource.PropertyMap {
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsObject() {
		return v.ObjectValue()
	}
	return resource.PropertyMap{}
}

// at walks a path of keys through nested objects.
func at(m resource.PropertyMap, path ...string) resource.PropertyValue {
	var v resource.PropertyValue = resource.NewObjectProperty(m)
	for _, k := range path {
		v = obj(v)[resource.PropertyKey(k)]
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func str(m resource.PropertyMap, path ...string) string {
	if v := at(m, path...); v.IsString() {
		return v.StringValue()
	}
	return ""
}

func num(m resource.PropertyMap, path ...string) float64 {
	if v := at(m, path...); v.IsNumber() {
		return v.NumberValue()
	}
	return -1
}

func values(t *testing.T, r result) resource.PropertyMap {
	t.Helper()
	require.NoError(t, r.err)
	chart := r.m.Named(chartType, "airbyte-chart")
	require.NotNil(t, chart)
	return obj(chart.Inputs["values"])
}

func TestChartPinnedAndExternalServices(t *testing.T) {
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			modes(t, func(t *testing.T, preview bool) {
				r := run(t, preview, baseArgs(kind, true))
				require.NoError(t, r.err)
				chart := r.m.Named(chartType, "airbyte-chart")
				require.NotNil(t, chart)
				comp := r.m.Named(AirbyteStackType, "airbyte")
				require.NotNil(t, comp)
				assert.Equal(t, comp.URN, chart.Parent)
				assert.Equal(t, "airbyte", str(chart.Inputs, "chart"))
				assert.Equal(t, "2.0.19", str(chart.Inputs, "version"))
				assert.Equal(t, HelmRepository, str(chart.Inputs, "repositoryOpts", "repo"))
				assert.Equal(t, "airbyte", str(chart.Inputs, "name"))
				if !preview {
					assert.Equal(t, "dataplatform", str(chart.Inputs, "namespace"))
				}

				v := obj(chart.Inputs["values"])
				assert.Equal(t, "external", str(v, "global", "database", "type"))
				assert.Equal(t, "metadata.cluster-abc.eu-north-1.rds.amazonaws.com", str(v, "global", "database", "host"))
				assert.Equal(t, 5432.0, num(v, "global", "database", "port"))
				assert.Equal(t, "airbyte", str(v, "global", "database", "name"))
				assert.Equal(t, "airbyte-db-credentials", str(v, "global", "database", "secretName"))
				assert.Equal(t, "username", str(v, "global", "database", "userSecretKey"))
				assert.Equal(t, "password", str(v, "global", "database", "passwordSecretKey"))
				assert.False(t, at(v, "postgresql", "enabled").BoolValue())
				assert.False(t, at(v, "minio", "enabled").BoolValue())
				assert.False(t, at(v, "serviceAccount", "create").BoolValue())
				assert.Equal(t, ServiceAccountName, str(v, "serviceAccount", "name"))
				assert.Equal(t, ServiceAccountName, str(v, "global", "serviceAccountName"))
				assert.Equal(t, "community", str(v, "global", "edition"))

				// Temporal's databases come from the Connection and are never created by Temporal.
				env := map[string]string{}
				for _, e := range at(v, "temporal", "extraEnv").ArrayValue() {
					env[str(obj(e), "name")] = str(obj(e), "value")
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
			modes(t, func(t *testing.T, preview bool) {
				r := run(t, preview, baseArgs(kind, false))
				v := values(t, r)
				st := obj(at(v, "global", "storage"))
				assert.Equal(t, want[kind], str(st, "type"))
				for _, b := range []string{"log", "state", "workloadOutput", "activityPayload", "auditLogging"} {
					assert.Equal(t, "dp-prod-airbyte", str(st, "bucket", b), b)
				}
				config := r.m.Named(secretType, "airbyte-config")
				switch kind {
				case objectstore.S3:
					assert.Equal(t, "eu-north-1", str(st, "s3", "region"))
					assert.Equal(t, "instanceProfile", str(st, "s3", "authenticationType"))
					assert.Equal(t, ConfigSecretName, str(st, "secretName"))
					require.NotNil(t, config)
					data := obj(config.Inputs["stringData"])
					assert.Equal(t, "", str(data, "AWS_ACCESS_KEY_ID"), "no static keys on S3")
					assert.Contains(t, data, resource.PropertyKey("AWS_SECRET_ACCESS_KEY"))
					assert.Equal(t, ConfigSecretName, str(config.Inputs, "metadata", "name"))
				case objectstore.MinIO:
					assert.Equal(t, "airbyte-minio-credentials", str(st, "secretName"))
					assert.Equal(t, "https://minio.dataplatform-data.svc.cluster.local:9000", str(st, "minio", "endpoint"))
					assert.True(t, at(st, "minio", "s3PathStyleAccess").BoolValue())
					assert.Equal(t, "accessKey", str(st, "minio", "accessKeyIdSecretKey"))
					assert.Equal(t, "secretKey", str(st, "minio", "secretAccessKeySecretKey"))
					assert.Nil(t, config)
				case objectstore.GCS:
					assert.Equal(t, "airbyte-storage-credentials", str(st, "secretName"))
					assert.Equal(t, "gcp.json", str(st, "gcs", "credentialsJsonSecretKey"))
					assert.Equal(t, "airbyte-storage-credentials", str(v, "global", "workloads", "containerOrchestrator", "secretName"))
					assert.Nil(t, config)
				case objectstore.ADLS:
					assert.Equal(t, "airbyte-storage-credentials", str(st, "secretName"))
					assert.Equal(t, "AZURE_STORAGE_CONNECTION_STRING", str(st, "azure", "connectionStringSecretKey"))
					assert.Nil(t, config)
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
			modes(t, func(t *testing.T, preview bool) {
				r := run(t, preview, baseArgs(objectstore.S3, prod))
				v := values(t, r)
				hpas := r.m.ByType(hpaType)
				require.Len(t, hpas, 1)
				spec := obj(hpas[0].Inputs["spec"])
				wantMin, wantMax := 1.0, 2.0
				if prod {
					wantMin, wantMax = 2, 10
				}
				assert.Equal(t, wantMin, num(spec, "minReplicas"))
				assert.Equal(t, wantMax, num(spec, "maxReplicas"))
				assert.Equal(t, "Deployment", str(spec, "scaleTargetRef", "kind"))
				assert.Equal(t, "airbyte-worker", str(spec, "scaleTargetRef", "name"))
				assert.Equal(t, "dataplatform", str(hpas[0].Inputs, "metadata", "namespace"))
				assert.Len(t, at(spec, "metrics").ArrayValue(), 2)
				assert.Equal(t, wantMin, num(v, "worker", "replicaCount"), "the worker starts at the autoscaler's floor")
				assert.True(t, r.m.DependsOn(hpas[0], r.m.Named(chartType, "airbyte-chart")))

				res := obj(at(v, "worker", "resources"))
				if prod {
					assert.Equal(t, "2000m", str(res, "requests", "cpu"))
					assert.Equal(t, "4096Mi", str(res, "requests", "memory"))
					assert.Equal(t, "4096Mi", str(res, "limits", "memory"))
				} else {
					assert.Equal(t, "1000m", str(res, "requests", "cpu"))
					assert.Equal(t, "2048Mi", str(res, "limits", "memory"))
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
			modes(t, func(t *testing.T, preview bool) {
				v := values(t, run(t, preview, baseArgs(objectstore.MinIO, prod)))
				for _, k := range keys {
					res := obj(at(v, k, "resources"))
					assert.NotEmpty(t, str(res, "requests", "cpu"), k)
					assert.NotEmpty(t, str(res, "requests", "memory"), k)
					assert.NotEmpty(t, str(res, "limits", "memory"), k)
					assert.Equal(t, str(res, "requests", "memory"), str(res, "limits", "memory"), k)
				}
				if prod {
					assert.Equal(t, "2048Mi", str(v, "server", "resources", "limits", "memory"))
				} else {
					assert.Equal(t, "1024Mi", str(v, "server", "resources", "limits", "memory"))
				}
			})
		})
	}
}

func TestReplicasAndDisruptionBudgets(t *testing.T) {
	for _, prod := range []bool{false, true} {
		t.Run(fmt.Sprintf("prod=%v", prod), func(t *testing.T) {
			modes(t, func(t *testing.T, preview bool) {
				r := run(t, preview, baseArgs(objectstore.S3, prod))
				v := values(t, r)
				pdbs := r.m.ByType(pdbType)
				if !prod {
					assert.Empty(t, pdbs)
					assert.Equal(t, 1.0, num(v, "server", "replicaCount"))
					return
				}
				require.Len(t, pdbs, len(deployments))
				for _, d := range deployments {
					if d.key != "worker" {
						assert.Equal(t, 2.0, num(v, d.key, "replicaCount"), d.key)
					}
					aff := at(v, d.key, "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution").ArrayValue()
					require.Len(t, aff, 2, d.key)
					assert.Equal(t, d.component, str(obj(aff[0]), "podAffinityTerm", "labelSelector", "matchLabels", "app.kubernetes.io/name"))
					pdb := r.m.Named(pdbType, "airbyte-pdb-"+d.component)
					require.NotNil(t, pdb, d.component)
					sel := obj(at(pdb.Inputs, "spec", "selector", "matchLabels"))
					assert.Equal(t, d.component, str(sel, "app.kubernetes.io/name"))
					assert.Equal(t, ReleaseName, str(sel, "app.kubernetes.io/instance"))
					assert.Equal(t, 1.0, num(pdb.Inputs, "spec", "maxUnavailable"))
				}
			})
		})
	}
}

func TestJobsNamespace(t *testing.T) {
	modes(t, func(t *testing.T, preview bool) {
		r := run(t, preview, baseArgs(objectstore.S3, true))
		v := values(t, r)
		assert.Equal(t, "dataplatform-jobs", str(v, "global", "jobs", "kube", "namespace"))
		assert.Equal(t, "dataplatform-jobs", str(v, "global", "workloads", "namespace"))
		assert.Equal(t, "1000m", str(v, "global", "jobs", "resources", "requests", "cpu"))
		assert.Equal(t, "2048Mi", str(v, "global", "jobs", "resources", "requests", "memory"))
		assert.Equal(t, "2048Mi", str(v, "global", "jobs", "resources", "limits", "memory"))
		assert.Equal(t, "2048Mi", str(v, "global", "workloads", "resources", "mainContainer", "memory", "limit"))

		lrs := r.m.ByType(lrType)
		require.Len(t, lrs, 1)
		assert.Equal(t, "dataplatform-jobs", str(lrs[0].Inputs, "metadata", "namespace"))
		item := obj(at(lrs[0].Inputs, "spec", "limits").ArrayValue()[0])
		assert.Equal(t, "Container", str(item, "type"))
		assert.Equal(t, "1000m", str(item, "defaultRequest", "cpu"))
		assert.Equal(t, "2048Mi", str(item, "default", "memory"))
		assert.Equal(t, "8192Mi", str(item, "max", "memory"))

		rqs := r.m.ByType(rqType)
		require.Len(t, rqs, 1)
		assert.Equal(t, "dataplatform-jobs", str(rqs[0].Inputs, "metadata", "namespace"))
		hard := obj(at(rqs[0].Inputs, "spec", "hard"))
		assert.Equal(t, "64000m", str(hard, "requests.cpu"))
		assert.Equal(t, "131072Mi", str(hard, "requests.memory"))
		assert.Equal(t, "300", str(hard, "pods"))

		// The launcher in the apps namespace manages pods in the jobs namespace.
		var jobsRole *harness.Resource
		for _, role := range r.m.ByType(roleType) {
			if str(role.Inputs, "metadata", "namespace") == "dataplatform-jobs" {
				jobsRole = role
			}
		}
		require.NotNil(t, jobsRole)
		rules := at(jobsRole.Inputs, "rules").ArrayValue()
		var podVerbs []string
		for _, v := range at(obj(rules[0]), "verbs").ArrayValue() {
			podVerbs = append(podVerbs, v.StringValue())
		}
		assert.Contains(t, podVerbs, "create")
		assert.NotContains(t, fmt.Sprint(at(obj(rules[0]), "apiGroups")), "*")
		binding := r.m.Named(rbType, "airbyte-rolebinding-jobs")
		require.NotNil(t, binding)
		assert.Equal(t, "dataplatform-jobs", str(binding.Inputs, "metadata", "namespace"))
		subj := obj(at(binding.Inputs, "subjects").ArrayValue()[0])
		assert.Equal(t, ServiceAccountName, str(subj, "name"))
		assert.Equal(t, "dataplatform", str(subj, "namespace"))
	})
	// Dev defaults are smaller; explicit values win.
	modes(t, func(t *testing.T, preview bool) {
		args := baseArgs(objectstore.S3, false)
		args.JobsQuota = JobsQuota{CPU: 4, MemoryGiB: 8, Pods: 20}
		r := run(t, preview, args)
		require.NoError(t, r.err)
		hard := obj(at(r.m.ByType(rqType)[0].Inputs, "spec", "hard"))
		assert.Equal(t, "4000m", str(hard, "requests.cpu"))
		assert.Equal(t, "20", str(hard, "pods"))
		assert.Equal(t, "500m", str(values(t, r), "global", "jobs", "resources", "requests", "cpu"))
	})
}

func TestServiceAccountsCarryIdentity(t *testing.T) {
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			modes(t, func(t *testing.T, preview bool) {
				r := run(t, preview, baseArgs(kind, true))
				v := values(t, r)
				apps := r.m.Named(saType, "airbyte-sa")
				jobs := r.m.Named(saType, "airbyte-jobs-sa")
				require.NotNil(t, apps)
				require.NotNil(t, jobs)
				assert.Equal(t, ServiceAccountName, str(apps.Inputs, "metadata", "name"))
				assert.Equal(t, ServiceAccountName, str(jobs.Inputs, "metadata", "name"))
				assert.Equal(t, "dataplatform-jobs", str(jobs.Inputs, "metadata", "namespace"))
				switch kind {
				case objectstore.GCS:
					assert.Equal(t, "airbyte@p.iam.gserviceaccount.com", str(apps.Inputs, "metadata", "annotations", "iam.gke.io/gcp-service-account"))
					assert.Equal(t, "airbyte-jobs@p.iam.gserviceaccount.com", str(jobs.Inputs, "metadata", "annotations", "iam.gke.io/gcp-service-account"))
				case objectstore.ADLS:
					assert.Equal(t, "client-1", str(apps.Inputs, "metadata", "annotations", "azure.workload.identity/client-id"))
					assert.Equal(t, "true", str(v, "server", "podLabels", "azure.workload.identity/use"))
					assert.Equal(t, "true", str(v, "worker", "podLabels", "azure.workload.identity/use"))
				default:
					assert.Empty(t, obj(at(apps.Inputs, "metadata", "annotations")))
					assert.NotContains(t, obj(at(v, "server")), resource.PropertyKey("podLabels"))
				}
			})
		})
	}
}

func TestNetworkPolicies(t *testing.T) {
	policy := func(r result, name string) resource.PropertyMap {
		p := r.m.Named(npType, "airbyte-"+name)
		require.NotNil(t, p, name)
		return p.Inputs
	}
	modes(t, func(t *testing.T, preview bool) {
		// kubernetes target: database and MinIO in the data namespace.
		r := run(t, preview, baseArgs(objectstore.MinIO, true))
		require.NoError(t, r.err)
		db := policy(r, "egress-database")
		assert.Equal(t, "dataplatform", str(db, "metadata", "namespace"))
		assert.Equal(t, ReleaseName, str(db, "spec", "podSelector", "matchLabels", "app.kubernetes.io/instance"))
		rule := obj(at(db, "spec", "egress").ArrayValue()[0])
		assert.Equal(t, "dataplatform-data", str(obj(at(rule, "to").ArrayValue()[0]), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		assert.Equal(t, 5432.0, num(obj(at(rule, "ports").ArrayValue()[0]), "port"))

		for _, n := range []string{"egress-object-store", "jobs-egress-object-store"} {
			rule := obj(at(policy(r, n), "spec", "egress").ArrayValue()[0])
			assert.Equal(t, float64(MinIOPort), num(obj(at(rule, "ports").ArrayValue()[0]), "port"), n)
			assert.Equal(t, "dataplatform-data", str(obj(at(rule, "to").ArrayValue()[0]), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"), n)
		}
		assert.Equal(t, "dataplatform-jobs", str(policy(r, "jobs-egress-object-store"), "metadata", "namespace"))

		// Job pods: internet except the metadata endpoint, all ports.
		internet := policy(r, "jobs-egress-internet")
		assert.Equal(t, "dataplatform-jobs", str(internet, "metadata", "namespace"))
		rule = obj(at(internet, "spec", "egress").ArrayValue()[0])
		assert.NotContains(t, rule, resource.PropertyKey("ports"))
		peer := obj(at(rule, "to").ArrayValue()[0])
		assert.Equal(t, "0.0.0.0/0", str(peer, "ipBlock", "cidr"))
		assert.Equal(t, MetadataEndpoint, at(peer, "ipBlock", "except").ArrayValue()[0].StringValue())

		// Job pods ↔ server and workload API.
		rule = obj(at(policy(r, "jobs-egress-platform"), "spec", "egress").ArrayValue()[0])
		var ports []float64
		for _, p := range at(rule, "ports").ArrayValue() {
			ports = append(ports, num(obj(p), "port"))
		}
		assert.ElementsMatch(t, []float64{ServerPort, WorkloadAPIPort}, ports)
		assert.Equal(t, "dataplatform", str(obj(at(rule, "to").ArrayValue()[0]), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		from := policy(r, "ingress-from-jobs")
		assert.Equal(t, "dataplatform", str(from, "metadata", "namespace"))
		assert.Equal(t, "dataplatform-jobs", str(obj(at(obj(at(from, "spec", "ingress").ArrayValue()[0]), "from").ArrayValue()[0]), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		assert.NotNil(t, r.m.Named(npType, "airbyte-egress-jobs"))
		assert.NotNil(t, r.m.Named(npType, "airbyte-jobs-ingress-from-platform"))

		// Clients reach only the server port.
		clients := policy(r, "ingress-from-clients")
		assert.Equal(t, "server", str(clients, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name"))
		in := obj(at(clients, "spec", "ingress").ArrayValue()[0])
		assert.Equal(t, "gateway", str(obj(at(in, "from").ArrayValue()[0]), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		assert.Equal(t, float64(ServerPort), num(obj(at(in, "ports").ArrayValue()[0]), "port"))

		// Every policy depends-before the chart, so pods start with their flows open.
		chart := r.m.Named(chartType, "airbyte-chart")
		for _, np := range r.m.ByType(npType) {
			assert.True(t, r.m.DependsOn(chart, np), np.Name)
		}
	})
	modes(t, func(t *testing.T, preview bool) {
		// Clouds: the database's range, HTTPS to the store, no MinIO policies.
		args := baseArgs(objectstore.S3, true)
		args.ClientNamespaces = nil
		r := run(t, preview, args)
		require.NoError(t, r.err)
		rule := obj(at(policy(r, "egress-database"), "spec", "egress").ArrayValue()[0])
		assert.Equal(t, "10.40.0.0/16", str(obj(at(rule, "to").ArrayValue()[0]), "ipBlock", "cidr"))
		rule = obj(at(policy(r, "egress-object-store"), "spec", "egress").ArrayValue()[0])
		assert.Equal(t, 443.0, num(obj(at(rule, "ports").ArrayValue()[0]), "port"))
		assert.Nil(t, r.m.Named(npType, "airbyte-jobs-egress-object-store"))
		assert.Nil(t, r.m.Named(npType, "airbyte-ingress-from-clients"))
	})
}

func TestDependsOnDatabaseAndIdentity(t *testing.T) {
	modes(t, func(t *testing.T, preview bool) {
		r := run(t, preview, baseArgs(objectstore.S3, true))
		require.NoError(t, r.err)
		chart := r.m.Named(chartType, "airbyte-chart")
		require.NotNil(t, r.ready)
		assert.True(t, r.m.DependsOn(chart, r.ready), "the chart waits for the database bootstrap")
		for _, dep := range []*harness.Resource{
			r.m.Named(saType, "airbyte-sa"), r.m.Named(saType, "airbyte-jobs-sa"),
			r.m.Named(secretType, "airbyte-config"), r.m.Named(rbType, "airbyte-rolebinding-jobs"),
			r.m.Named(rqType, "airbyte-jobs-quota"),
		} {
			require.NotNil(t, dep)
			assert.True(t, r.m.DependsOn(chart, dep), dep.Name)
		}
		assert.True(t, r.m.DependsOn(chart, r.m.Named("kubernetes:core/v1:Namespace", "apps")))
		for _, res := range r.m.Resources() {
			if strings.HasPrefix(res.Type, "kubernetes:") && res.Custom && res.Name != "db-bootstrap" && res.Name != "apps" {
				assert.NotEmpty(t, str(res.Inputs, "metadata", "name"), res.Name)
				assert.NotEmpty(t, str(res.Inputs, "metadata", "namespace"), res.Name)
				assert.Equal(t, "test", str(res.Inputs, "metadata", "labels", "environment"), res.Name)
			}
		}
	})
}

func TestOutputs(t *testing.T) {
	modes(t, func(t *testing.T, preview bool) {
		r := run(t, preview, baseArgs(objectstore.MinIO, false))
		require.NoError(t, r.err)
		await := func(o pulumi.Output) any {
			res, err := internals.UnsafeAwaitOutput(context.Background(), o)
			require.NoError(t, err)
			require.True(t, res.Known)
			return res.Value
		}
		assert.Equal(t, "http://airbyte-airbyte-server-svc.dataplatform.svc.cluster.local:8001", await(r.comp.WebURL))
		assert.Equal(t, "http://airbyte-airbyte-server-svc.dataplatform.svc.cluster.local:8001/api/public/v1", await(r.comp.APIURL))
		assert.Equal(t, "airbyte", await(r.comp.ServiceAccountName))
		assert.Equal(t, "airbyte", await(r.comp.ChartName))
		assert.Equal(t, "http://airbyte-airbyte-server-svc.dataplatform.svc.cluster.local:8001", str(values(t, r), "global", "airbyteUrl"))
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
		"gcs without credentials":    {objectstore.GCS, func(a *AirbyteStackArgs) { a.StorageCredentialsSecret = nil }, "StorageCredentialsSecret is required on gcs"},
		"adls without credentials":   {objectstore.ADLS, func(a *AirbyteStackArgs) { a.StorageCredentialsSecret = nil }, "StorageCredentialsSecret is required on adls"},
		"minio without namespace":    {objectstore.MinIO, func(a *AirbyteStackArgs) { a.DatabaseNamespace = ""; a.AllowedDatabaseCIDRs = []string{"10.0.0.0/8"} }, "ObjectStoreNamespace"},
		"minio without secret":       {objectstore.MinIO, func(a *AirbyteStackArgs) { a.ObjectStore.Identities["airbyte"] = objectstore.Identity{} }, "CredentialsSecret"},
		"unknown kind":               {objectstore.S3, func(a *AirbyteStackArgs) { a.ObjectStore.Kind = "nfs" }, `Kind = "nfs"`},
		"no worker size":             {objectstore.S3, func(a *AirbyteStackArgs) { a.Worker.CPU = 0 }, "Worker"},
		"prod single worker":         {objectstore.S3, func(a *AirbyteStackArgs) { a.WorkerMinReplicas = 1 }, "WorkerMinReplicas = 1"},
		"max below min":              {objectstore.S3, func(a *AirbyteStackArgs) { a.WorkerMaxReplicas = 1 }, "WorkerMaxReplicas = 1"},
		"bad client namespace":       {objectstore.S3, func(a *AirbyteStackArgs) { a.ClientNamespaces = []string{"Gate Way"} }, `"Gate Way"`},
		"negative quota":             {objectstore.S3, func(a *AirbyteStackArgs) { a.JobsQuota.Pods = -1 }, "JobsQuota"},
		"namespace name not a label": {objectstore.S3, func(a *AirbyteStackArgs) { a.NamespaceName = "" }, `NamespaceName = ""`},
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
