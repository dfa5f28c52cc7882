package airbyte

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// deployment is a chart Deployment: its values key and the component name the chart labels its pods
// with (app.kubernetes.io/name, the template directory without "airbyte-").
type deployment struct{ key, component string }

// deployments are the chart's long-running Deployments in the community edition; in prod each runs
// two replicas spread over nodes and zones and gets a PodDisruptionBudget. connectorBuilderServer
// exists in the 2.0 charts, manifestServer replaces it in later ones; values for a service a chart
// version does not have are ignored, and a PodDisruptionBudget without pods blocks nothing.
var deployments = []deployment{
	{"server", "server"},
	{"worker", "worker"},
	{"workloadLauncher", "workload-launcher"},
	{"workloadApiServer", "workload-api-server"},
	{"temporal", "temporal"},
	{"cron", "cron"},
	{"connectorBuilderServer", "connector-builder-server"},
	{"manifestServer", "manifest-server"},
}

// size is a service's CPU request (cores) and memory request = limit (MiB).
type size struct {
	cpu   float64
	memMi int
}

// serviceSizes are the requests and memory limits of every service key of the chart, dev then prod.
// Memory limits equal requests (a JVM sized to its limit is not OOM-killed for growing into it); CPU
// has no limit so that JVM start-up is not throttled into failing its probes. Services the community
// edition leaves disabled are sized too, so that enabling one never deploys an unbounded container.
var serviceSizes = map[string][2]size{
	"server":                 {{0.25, 1024}, {1, 2048}},
	"webapp":                 {{0.1, 256}, {0.1, 256}},
	"workloadLauncher":       {{0.2, 768}, {0.5, 1536}},
	"workloadApiServer":      {{0.2, 512}, {0.5, 1024}},
	"temporal":               {{0.2, 512}, {1, 2048}},
	"temporalUi":             {{0.1, 256}, {0.1, 256}},
	"cron":                   {{0.1, 512}, {0.25, 1024}},
	"connectorBuilderServer": {{0.2, 1024}, {0.5, 2048}},
	"manifestServer":         {{0.1, 512}, {0.25, 1024}},
	"airbyteBootloader":      {{0.25, 1024}, {0.5, 1024}},
	"keycloak":               {{0.25, 1024}, {0.5, 1536}},
	"keycloakSetup":          {{0.1, 256}, {0.1, 256}},
	"metrics":                {{0.1, 512}, {0.1, 512}},
	"connectorRolloutWorker": {{0.1, 512}, {0.25, 512}},
	"featureflagServer":      {{0.1, 256}, {0.1, 256}},
}

// ServiceKeys are the chart's service value keys the component sizes (the worker is sized from args).
func ServiceKeys() []string {
	keys := []string{"worker"}
	for k := range serviceSizes {
		keys = append(keys, k)
	}
	return keys
}

// chartKind maps the platform's store kinds to the chart's global.storage.type.
var chartKind = map[objectstore.Kind]string{
	objectstore.S3: "s3", objectstore.ADLS: "azure", objectstore.GCS: "gcs", objectstore.MinIO: "minio",
}

func resources(cpuCores, memGiB float64) pulumi.Map {
	return pulumi.Map{
		"requests": pulumi.Map{"cpu": pulumi.String(cpu(cpuCores)), "memory": pulumi.String(mem(memGiB))},
		"limits":   pulumi.Map{"memory": pulumi.String(mem(memGiB))},
	}
}

// antiAffinity spreads a component's replicas over nodes, then zones.
func antiAffinity(component string) pulumi.Map {
	term := func(weight int, key string) pulumi.Map {
		return pulumi.Map{
			"weight": pulumi.Int(weight),
			"podAffinityTerm": pulumi.Map{
				"topologyKey":   pulumi.String(key),
				"labelSelector": pulumi.Map{"matchLabels": podSelector(component)},
			},
		}
	}
	return pulumi.Map{"podAntiAffinity": pulumi.Map{
		"preferredDuringSchedulingIgnoredDuringExecution": pulumi.Array{
			term(100, "kubernetes.io/hostname"),
			term(50, "topology.kubernetes.io/zone"),
		},
	}}
}

// chartValues are the chart V2 values. Every key below is read by chart 2.0.19 (appVersion 2.0.1,
// airbytehq/charts airbyte-2.0.19.tgz, the chart V2 sources in airbyte-platform charts/v2/airbyte):
// <component>.resources/replicaCount/affinity/podLabels/tolerations/nodeSelector/extraEnv/
// extraVolumes/extraVolumeMounts in templates/airbyte-<component>/deployment.yaml, global.* in
// templates/config/_<area>.tpl.
func chartValues(a *AirbyteStackArgs, webURL string) pulumi.Map {
	env := 0
	if a.Prod {
		env = 1
	}
	replicas := 1
	if a.Prod {
		replicas = 2
	}
	podLabels := pulumi.StringMap{}
	for _, k := range sortedKeys(a.ObjectStore.Identities[a.Workload].PodLabels) {
		podLabels[k] = pulumi.String(a.ObjectStore.Identities[a.Workload].PodLabels[k])
	}
	airbyteURL := a.AirbyteURL
	if airbyteURL == "" {
		airbyteURL = webURL
	}

	values := pulumi.Map{
		"global": pulumi.Map{
			"edition":            pulumi.String("community"),
			"serviceAccountName": pulumi.String(ServiceAccountName),
			"airbyteUrl":         pulumi.String(airbyteURL),
			"database":           databaseValues(a.Database),
			"storage":            storageValues(a),
			"jobs":               jobsValues(a),
			"workloads":          workloadsValues(a),
			"auth":               authValues(),
		},
		// Our ServiceAccount carries the workload identity; the chart must not create its own.
		"serviceAccount": pulumi.Map{"create": pulumi.Bool(false), "name": pulumi.String(ServiceAccountName)},
		// The platform's PostgreSQL and object store replace the chart's single-pod ones.
		"postgresql": pulumi.Map{"enabled": pulumi.Bool(false)},
		"minio":      pulumi.Map{"enabled": pulumi.Bool(false)},
	}
	for key, sizes := range serviceSizes {
		s := sizes[env]
		values[key] = pulumi.Map{"resources": resources(s.cpu, float64(s.memMi)/1024)}
	}
	values["worker"] = pulumi.Map{"resources": resources(a.Worker.CPU, a.Worker.MemoryGiB)}
	for _, d := range deployments {
		svc := values[d.key].(pulumi.Map)
		svc["replicaCount"] = pulumi.Int(replicas)
		svc["affinity"] = antiAffinity(d.component)
		if len(podLabels) > 0 {
			svc["podLabels"] = podLabels
		}
	}
	if len(podLabels) > 0 {
		values["airbyteBootloader"].(pulumi.Map)["podLabels"] = podLabels
	}
	// Every pod the chart renders lands on the workload pool (each service's tolerations and
	// nodeSelector); job pods get the same through global.jobs.kube (jobsValues).
	if tol, sel := schedulingValues(a.Scheduling); tol != nil || sel != nil {
		for _, key := range ServiceKeys() {
			svc := values[key].(pulumi.Map)
			if tol != nil {
				svc["tolerations"] = tol
			}
			if sel != nil {
				svc["nodeSelector"] = sel
			}
		}
	}
	// The worker's scale belongs to the HorizontalPodAutoscaler, but chart 2.0.19 always renders
	// `replicas: {{ .Values.worker.replicaCount }}` (templates/airbyte-worker/deployment.yaml; no value
	// leaves it out). Helm 3 upgrades with a three-way strategic merge whose changes are computed from
	// the LIVE object to the new manifest (helm.sh/helm/v3@v3.20.2 pkg/kube/client.go createPatch →
	// k8s.io/apimachinery strategicpatch.CreateThreeWayMergePatch: "the difference from current to
	// modified"), so every upgrade sets spec.replicas back to this value even when it did not change,
	// and the autoscaler raises it again within its next sync (15 s by default). The floor is the value
	// that reset can do least harm with: the autoscaler's own minimum.
	values["worker"].(pulumi.Map)["replicaCount"] = pulumi.Int(a.WorkerMinReplicas)

	// Temporal runs the temporalio/auto-setup image (chart 2.0.19 values.yaml temporal.image), whose
	// entrypoint creates and migrates the schema on every start; two replicas run that concurrently.
	// One replica: Temporal keeps its state in PostgreSQL, so a restart delays workflows, loses none.
	values["temporal"].(pulumi.Map)["replicaCount"] = pulumi.Int(1)
	// The policy pack's stateless-replicas accepts a one-replica Deployment that says why
	// (policy/policies SingletonAnnotation); chart 2.0.19 templates/airbyte-temporal/deployment.yaml
	// renders `metadata.annotations: {{ toYaml .Values.temporal.annotations }}`.
	values["temporal"].(pulumi.Map)["annotations"] = pulumi.StringMap{
		"dataplatform.io/singleton": pulumi.String("temporalio/auto-setup migrates the schema on every start; two replicas would run it concurrently"),
	}
	// Temporal connects with the Airbyte credentials and the chart's host and port; its two databases
	// are created by the metadata database's bootstrap, whose role may not create databases.
	values["temporal"].(pulumi.Map)["extraEnv"] = pulumi.Array{
		envVar("DBNAME", a.Database.Databases[metadatadb.Temporal]),
		envVar("VISIBILITY_DBNAME", a.Database.Databases[metadatadb.TemporalVisibility]),
		envVar("SKIP_DB_CREATE", "true"),
	}
	addTrust(values, a)
	addJavaToolOptions(values, a)
	addConfigHash(values)
	return values
}

func envVar(name, value string) pulumi.Map {
	return pulumi.Map{"name": pulumi.String(name), "value": pulumi.String(value)}
}

// databaseValues point the chart at the external database. The user and password are read from the
// metadata database's credential Secret of the airbyte role, keys "username" and "password"; with
// type "external" the chart also turns on TLS for Temporal's connections. The name carries the JDBC
// TLS parameters (databaseName).
func databaseValues(db metadatadb.Connection) pulumi.Map {
	return pulumi.Map{
		"type":              pulumi.String("external"),
		"host":              db.Host,
		"port":              pulumi.Int(db.Port),
		"name":              pulumi.String(databaseName(db)),
		"secretName":        db.CredentialSecrets[metadatadb.Owner[metadatadb.Airbyte]],
		"userSecretKey":     pulumi.String("username"),
		"passwordSecretKey": pulumi.String("password"),
	}
}

// storageValues point logs, state, workload output, activity payloads and audit logs at the Airbyte
// bucket, with the authentication each store allows.
func storageValues(a *AirbyteStackArgs) pulumi.Map {
	st := a.ObjectStore
	bucket := st.BucketNames[objectstore.Airbyte]
	out := pulumi.Map{
		"type": pulumi.String(chartKind[st.Kind]),
		"bucket": pulumi.Map{
			"log": bucket, "state": bucket, "workloadOutput": bucket, "activityPayload": bucket, "auditLogging": bucket,
		},
	}
	switch st.Kind {
	case objectstore.S3:
		// instanceProfile: no keys; the SDK's default chain picks up EKS Pod Identity.
		out["secretName"] = pulumi.String(ConfigSecretName)
		out["s3"] = pulumi.Map{"region": pulumi.String(st.Region), "authenticationType": pulumi.String("instanceProfile")}
	case objectstore.MinIO:
		out["secretName"] = st.Identities[a.Workload].CredentialsSecret
		out["minio"] = pulumi.Map{
			"endpoint":                 st.Endpoint,
			"s3PathStyleAccess":        pulumi.Bool(true),
			"accessKeyIdSecretKey":     pulumi.String("accessKey"),
			"secretAccessKeySecretKey": pulumi.String("secretKey"),
		}
	case objectstore.GCS:
		out["secretName"] = storageSecret(a)
		out["gcs"] = pulumi.Map{
			"credentialsJsonSecretKey": pulumi.String(GCSKeyFile),
			"credentialsJsonPath":      pulumi.String("/secrets/gcs-log-creds/" + GCSKeyFile),
		}
	case objectstore.ADLS:
		out["secretName"] = storageSecret(a)
		out["azure"] = pulumi.Map{"connectionStringSecretKey": pulumi.String(AzureConnectionStringKey)}
	}
	return out
}

// jobsValues give job pods default resources, the jobs identity's labels and the workload pool's
// scheduling. global.jobs.kube.namespace reaches only the ConfigMap key JOB_KUBE_NAMESPACE, which no
// container reads (chart 2.0.19 renders the variable from the pod's own namespace); job pods are moved
// by JobsNamespaceProperty (release.go).
func jobsValues(a *AirbyteStackArgs) pulumi.Map {
	j := a.JobDefaults
	kube := pulumi.Map{"namespace": pulumi.String(a.JobsNamespace)}
	if id, ok := a.ObjectStore.Identities[a.JobsWorkload]; ok && len(id.PodLabels) > 0 {
		l := pulumi.StringMap{}
		for _, k := range sortedKeys(id.PodLabels) {
			l[k] = pulumi.String(id.PodLabels[k])
		}
		kube["labels"] = l
	}
	// Job pods tolerate the workload pool's taints and stay on it (global.jobs.kube.tolerations and
	// nodeSelector, flattened by templates/config/_jobs.tpl into JOB_KUBE_TOLERATIONS and
	// JOB_KUBE_NODE_SELECTORS, which the launcher reads: application.yml airbyte.worker.job.kube.tolerations,
	// kube-job-configs.default.node-selectors).
	if tol, sel := schedulingValues(a.Scheduling); tol != nil || sel != nil {
		if tol != nil {
			kube["tolerations"] = tol
		}
		if sel != nil {
			kube["nodeSelector"] = sel
		}
	}
	return pulumi.Map{
		"kube": kube,
		"resources": pulumi.Map{
			"requests": pulumi.Map{"cpu": pulumi.String(cpu(j.CPU)), "memory": pulumi.String(mem(j.MemoryGiB))},
			"limits":   pulumi.Map{"cpu": pulumi.String(cpu(2 * j.CPU)), "memory": pulumi.String(mem(j.MemoryGiB))},
		},
	}
}

// workloadsValues size the containers of job pods in the newer charts' terms.
func workloadsValues(a *AirbyteStackArgs) pulumi.Map {
	j := a.JobDefaults
	container := func(c, m float64) pulumi.Map {
		return pulumi.Map{
			"cpu":    pulumi.Map{"request": pulumi.String(cpu(c)), "limit": pulumi.String(cpu(2 * c))},
			"memory": pulumi.Map{"request": pulumi.String(mem(m)), "limit": pulumi.String(mem(m))},
		}
	}
	main := container(j.CPU, j.MemoryGiB)
	out := pulumi.Map{
		"resources": pulumi.Map{
			"mainContainer": main,
			"check":         main,
			"discover":      main,
			"replication":   main,
			"sidecar":       container(0.1, 0.25),
		},
	}
	orch := pulumi.Map{}
	if needsJobsTrust(a) {
		orch = orchestratorTrust(a)
	}
	if a.ObjectStore.Kind == objectstore.GCS {
		// Job pods mount the key file from a Secret of this name in the jobs namespace.
		orch["secretName"] = storageSecret(a)
	}
	if len(orch) > 0 {
		out["containerOrchestrator"] = orch
	}
	return out
}

// storageSecret is the Secret holding the GCS or Azure credential: the user's, or the platform's own.
func storageSecret(a *AirbyteStackArgs) pulumi.StringInput {
	if a.StorageCredentialsSecret != nil {
		return a.StorageCredentialsSecret
	}
	return pulumi.String(ConfigSecretName)
}
