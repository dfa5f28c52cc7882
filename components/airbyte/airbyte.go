// Package airbyte deploys Airbyte, the platform's ingestion service, with the official Helm chart V2
// (mandatory from Airbyte 2.1) against the platform's own PostgreSQL and object store.
//
// The chart is installed as a helm/v3 Release (github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3),
// a real `helm install`/`helm upgrade` run by the kubernetes provider, because chart 2.0.19 renders its env
// ConfigMap, its Secret and the bootloader Pod (the database migrations) only as pre-install,pre-upgrade
// hooks, which helm/v4 Chart never renders (release.go). The Release is one resource: CrossGuard sees its
// inputs (chart, version, values), not the Deployments inside it; the tests and the policy pack check the
// values every container is sized from.
//
// Around the chart the component creates what the chart does not: the ServiceAccount "airbyte" in the
// apps and jobs namespaces carrying the store's workload identity, RBAC for the workload launcher in
// both namespaces (the chart creates its Role only when it creates the ServiceAccount, and only in its
// own namespace), the worker HorizontalPodAutoscaler and PodDisruptionBudgets (the chart has no
// templates for either), the jobs namespace's LimitRange and ResourceQuota, and a NetworkPolicy for
// every flow Airbyte needs across the default-deny namespaces.
package airbyte

import (
	"fmt"
	"math"
	"net"
	"regexp"
	"sort"

	autoscalingv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/autoscaling/v2"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// AirbyteStackType is the component's type token.
const AirbyteStackType = "dataplatform:airbyte:AirbyteStack"

const (
	// HelmRepository serves the Airbyte chart V2 (versions 2.x of chart "airbyte").
	HelmRepository = "https://airbytehq.github.io/charts"
	// HelmChart is the chart's name in HelmRepository.
	HelmChart = "airbyte"
	// ReleaseName is the Helm release name; the chart names its objects after it (airbyte-worker,
	// airbyte-airbyte-server-svc, …) and labels every pod app.kubernetes.io/instance=ReleaseName.
	ReleaseName = "airbyte"
	// ServiceAccountName is the ServiceAccount every Airbyte pod and every job pod runs as.
	ServiceAccountName = "airbyte"
	// ConfigSecretName is the platform-owned Secret holding the storage credential the chart reads from
	// a Secret: on S3 empty static keys (credentials come from EKS Pod Identity), on GCS the key file
	// "gcp.json" (also in the jobs namespace, where job pods mount it), on ADLS the connection string
	// "AZURE_STORAGE_CONNECTION_STRING".
	ConfigSecretName = "airbyte-config-secrets"
	// GCSKeyFile and AzureConnectionStringKey are the Secret keys of the GCS key file and the Azure
	// connection string.
	GCSKeyFile               = "gcp.json"
	AzureConnectionStringKey = "AZURE_STORAGE_CONNECTION_STRING"
	// ServerPort is the airbyte-server pod and Service port; in chart V2 the server also serves the UI.
	ServerPort = 8001
	// WorkloadAPIPort is the workload API server's pod port, which job pods report to.
	WorkloadAPIPort = 8007
	// MinIOPort is the in-cluster S3-compatible store's API port.
	MinIOPort = 9000
	// MetadataEndpoint is the cloud instance metadata address that no Airbyte or connector pod may reach:
	// it hands out the node's cloud credentials.
	MetadataEndpoint = "169.254.169.254/32"
)

// Workload names used to look up objectstore.Info.Identities when the args leave them empty.
const (
	DefaultWorkload     = "airbyte"
	DefaultJobsWorkload = "airbyte-jobs"
)

// Compute is a container size: CPU in cores, memory in GiB.
type Compute struct {
	CPU       float64
	MemoryGiB float64
}

// JobsQuota bounds what all job pods of the jobs namespace may request together.
type JobsQuota struct {
	// CPU is the total CPU requests, in cores.
	CPU float64
	// MemoryGiB is the total memory requests; memory limits may reach 1.5 times this.
	MemoryGiB float64
	// Pods is the maximum number of pods (each sync, check and discover is one pod).
	Pods int
}

// AirbyteStackArgs are the inputs of the Airbyte component.
type AirbyteStackArgs struct {
	// Namespace is the apps namespace, as the output of its Namespace resource so that everything in it
	// waits for it.
	Namespace pulumi.StringInput
	// NamespaceName is the same namespace as a plain name (URLs, RBAC subjects, policies).
	NamespaceName string
	// JobsNamespace is the namespace Airbyte launches its sync, check and discover pods in.
	JobsNamespace string
	// JobsNamespaceRef is JobsNamespace as the output of its Namespace resource; optional, so that the
	// objects created there wait for it.
	JobsNamespaceRef pulumi.StringInput
	// ChartVersion pins the chart V2 (config.AirbyteChartVersion is the default); an exact version.
	ChartVersion string
	// AirbyteURL is the URL users reach Airbyte at (through the platform's Gateway); optional, default
	// the in-cluster server URL.
	AirbyteURL string

	// Database is the metadata PostgreSQL: the airbyte, temporal and temporal_visibility databases and
	// the "airbyte" role's credential Secret in the apps namespace.
	Database metadatadb.Connection
	// DatabaseReady are resources the chart must wait for (the bootstrap Job creating the roles and
	// databases, the server itself).
	DatabaseReady []pulumi.Resource
	// DatabaseNamespace is, on the kubernetes target, the namespace the database runs in; Airbyte pods
	// may reach its pods on Database.Port. Empty on the clouds.
	DatabaseNamespace string
	// AllowedDatabaseCIDRs are, on the clouds, the address ranges the managed database is reached at
	// (the VPC / VNet range); Airbyte pods may reach them on Database.Port.
	AllowedDatabaseCIDRs []string

	// ObjectStore is the platform's store; Airbyte's logs, state, workload output and activity payloads
	// go to BucketNames[objectstore.Airbyte].
	ObjectStore objectstore.Info
	// Workload is the ObjectStore.Identities key of the apps-namespace ServiceAccount (default "airbyte").
	Workload string
	// JobsWorkload is the Identities key of the jobs-namespace ServiceAccount (default "airbyte-jobs").
	// Required on S3, where job pods write state and logs with the credentials of EKS Pod Identity.
	JobsWorkload string
	// ObjectStoreNamespace is, for MinIO, the namespace the store runs in (default DatabaseNamespace).
	ObjectStoreNamespace string
	// StorageCredentialsSecret optionally names a Secret you manage (External Secrets, say) with
	// Airbyte's storage credential on GCS and ADLS, where Airbyte cannot use workload identity: its GCS
	// client only reads a service-account key file and its Azure client only a connection string. The
	// Secret must exist in the apps namespace (and, on GCS, under the same name in the jobs namespace,
	// where job pods mount it) with the key "gcp.json" (GCS) or "AZURE_STORAGE_CONNECTION_STRING"
	// (ADLS). Left empty, the component writes ConfigSecretName itself from the credential the store
	// minted (objectstore.Identity.StaticCredential). Ignored on S3 and MinIO.
	StorageCredentialsSecret pulumi.StringInput

	// Worker sizes each worker pod (design table: 2 CPU / 4 GiB in prod, scaling to 4 / 8).
	Worker Compute
	// WorkerMinReplicas and WorkerMaxReplicas bound the worker autoscaler (prod 2–10).
	WorkerMinReplicas, WorkerMaxReplicas int
	// JobDefaults is the default size of a job container (default 0.5 CPU / 1 GiB, prod 1 / 2).
	JobDefaults Compute
	// JobsQuota bounds the jobs namespace (default dev 8 CPU / 16 GiB / 60 pods, prod 64 / 128 / 300).
	JobsQuota JobsQuota
	// Prod turns on two replicas of every Deployment, PodDisruptionBudgets and larger sizes.
	Prod bool
	// ClientNamespaces may reach the server (UI and API) on ServerPort: the Gateway's namespace, the
	// namespaces of tools that call the API.
	ClientNamespaces []string
	// ClientCIDRs may reach the server too: the address ranges a cloud load balancer reaches pods
	// from (its subnets, or the cloud's proxy and health-check ranges).
	ClientCIDRs []string
	// Labels are added to every object the component creates.
	Labels map[string]string
	// Scheduling places every Airbyte pod and every job pod on the workload pool.
	Scheduling cluster.Scheduling
	// Secrets is the target's secret store: the instance admin's credentials, the JWT signing secret
	// and the static storage credential (GCS, ADLS) are written to it and the Secrets the chart reads
	// are materialized by ExternalSecrets. nil creates plain Secrets.
	Secrets *secrets.Store
	// Protect marks the stateful resources (the generated instance-admin password, client secret and
	// JWT signing secret: replacing them logs every user out and changes the first-login password)
	// protected: destroy and replacement stop at them.
	// Disposable children (Jobs, Secrets, policies, bindings, node groups…) are never protected.
	Protect bool
}

// AirbyteStack is the Airbyte component.
type AirbyteStack struct {
	pulumi.ResourceState

	// WebURL is the in-cluster URL of the UI (served by airbyte-server in chart V2).
	WebURL pulumi.StringOutput
	// APIURL is the in-cluster URL of Airbyte's public API.
	APIURL pulumi.StringOutput
	// ServiceAccountName is the ServiceAccount Airbyte's pods run as, in the apps and jobs namespaces.
	ServiceAccountName pulumi.StringOutput
	// Routes are the entry points the platform's edge publishes: the UI and the API, both served by
	// airbyte-server in chart V2, under the host "airbyte".
	Routes []edge.Route
	// ChartName is the Helm release name the chart's objects are named after.
	ChartName pulumi.StringOutput
	// Release is the Helm release; depend on it to wait for Airbyte (the provider returns once the
	// bootloader has migrated the database and every Deployment is ready).
	Release *helmv3.Release
	// AdminSecretName is the Secret (apps namespace) holding the instance admin's password under
	// AdminPasswordKey, for the first login.
	AdminSecretName pulumi.StringOutput
	// AdminPassword is the generated instance-admin password, a Pulumi secret.
	AdminPassword pulumi.StringOutput
}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	// An exact chart version: a range or "latest" would make deployments unrepeatable.
	exactVersion = regexp.MustCompile(`^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	pgIdentifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
)

func (a *AirbyteStackArgs) validate() error {
	if a == nil {
		return fmt.Errorf("airbyte: args are required")
	}
	if a.Namespace == nil {
		return fmt.Errorf("airbyte: Namespace is required (the apps namespace's output)")
	}
	if !dnsLabel.MatchString(a.NamespaceName) {
		return fmt.Errorf("airbyte: NamespaceName = %q; must be a DNS label", a.NamespaceName)
	}
	if !dnsLabel.MatchString(a.JobsNamespace) {
		return fmt.Errorf("airbyte: JobsNamespace = %q; must be a DNS label", a.JobsNamespace)
	}
	if a.JobsNamespace == a.NamespaceName {
		return fmt.Errorf("airbyte: JobsNamespace = %q is NamespaceName; job pods need their own namespace", a.JobsNamespace)
	}
	if !exactVersion.MatchString(a.ChartVersion) {
		return fmt.Errorf("airbyte: ChartVersion = %q; must be an exact chart V2 version such as 2.0.19", a.ChartVersion)
	}
	if err := a.validateDatabase(); err != nil {
		return err
	}
	if err := a.validateStore(); err != nil {
		return err
	}
	if a.Worker.CPU <= 0 || a.Worker.MemoryGiB <= 0 {
		return fmt.Errorf("airbyte: Worker = %v CPU / %v GiB; both must be > 0", a.Worker.CPU, a.Worker.MemoryGiB)
	}
	if a.WorkerMinReplicas < 1 {
		return fmt.Errorf("airbyte: WorkerMinReplicas = %d; must be ≥ 1", a.WorkerMinReplicas)
	}
	if a.Prod && a.WorkerMinReplicas < 2 {
		return fmt.Errorf("airbyte: WorkerMinReplicas = %d; prod needs ≥ 2 so that a node loss does not stop syncs", a.WorkerMinReplicas)
	}
	if a.WorkerMaxReplicas < a.WorkerMinReplicas {
		return fmt.Errorf("airbyte: WorkerMaxReplicas = %d; must be ≥ WorkerMinReplicas (%d)", a.WorkerMaxReplicas, a.WorkerMinReplicas)
	}
	if a.JobDefaults.CPU < 0 || a.JobDefaults.MemoryGiB < 0 {
		return fmt.Errorf("airbyte: JobDefaults = %v CPU / %v GiB; must not be negative", a.JobDefaults.CPU, a.JobDefaults.MemoryGiB)
	}
	if a.JobsQuota.CPU < 0 || a.JobsQuota.MemoryGiB < 0 || a.JobsQuota.Pods < 0 {
		return fmt.Errorf("airbyte: JobsQuota = %+v; must not be negative", a.JobsQuota)
	}
	if err := k8snet.ValidateCIDRs("airbyte: ClientCIDRs", a.ClientCIDRs); err != nil {
		return err
	}
	for _, ns := range a.ClientNamespaces {
		if !dnsLabel.MatchString(ns) {
			return fmt.Errorf("airbyte: ClientNamespaces contains %q; each must be a DNS label", ns)
		}
	}
	return nil
}

func (a *AirbyteStackArgs) validateDatabase() error {
	db := a.Database
	if db.Host.OutputState == nil {
		return fmt.Errorf("airbyte: Database.Host is not set")
	}
	if db.Port < 1 || db.Port > 65535 {
		return fmt.Errorf("airbyte: Database.Port = %d; must be 1–65535", db.Port)
	}
	for _, d := range []metadatadb.Database{metadatadb.Airbyte, metadatadb.Temporal, metadatadb.TemporalVisibility} {
		if db.Databases[d] == "" {
			return fmt.Errorf("airbyte: Database.Databases[%s] is empty; Airbyte needs the airbyte, temporal and temporal_visibility databases", d)
		}
	}
	// The name carries the pgjdbc TLS parameters into DATABASE_URL (databaseName): it must be a plain
	// identifier, so that nothing else in it is read as a URL part.
	if n := db.Databases[metadatadb.Airbyte]; !pgIdentifier.MatchString(n) {
		return fmt.Errorf("airbyte: Database.Databases[%s] = %q; must be a plain PostgreSQL identifier (letters, digits, _; at most 63)", metadatadb.Airbyte, n)
	}
	if s, ok := db.CredentialSecrets[metadatadb.Owner[metadatadb.Airbyte]]; !ok || s.OutputState == nil {
		return fmt.Errorf("airbyte: Database.CredentialSecrets[%q] is not set", metadatadb.Owner[metadatadb.Airbyte])
	}
	switch db.SSLMode {
	case "require", "verify-ca", "verify-full":
	default:
		return fmt.Errorf("airbyte: Database.SSLMode = %q; allowed: require, verify-ca, verify-full (TLS is mandatory)", db.SSLMode)
	}
	if verifies(db) && db.CAConfigMap.OutputState == nil {
		return fmt.Errorf("airbyte: Database.SSLMode = %q but Database.CAConfigMap is not set; verifying the server needs its CA", db.SSLMode)
	}
	if a.DatabaseNamespace == "" && len(a.AllowedDatabaseCIDRs) == 0 {
		return fmt.Errorf("airbyte: DatabaseNamespace and AllowedDatabaseCIDRs are both empty; set the namespace (kubernetes) or the database ranges (clouds)")
	}
	if a.DatabaseNamespace != "" && !dnsLabel.MatchString(a.DatabaseNamespace) {
		return fmt.Errorf("airbyte: DatabaseNamespace = %q; must be a DNS label", a.DatabaseNamespace)
	}
	for _, c := range a.AllowedDatabaseCIDRs {
		if _, _, err := net.ParseCIDR(c); err != nil {
			return fmt.Errorf("airbyte: AllowedDatabaseCIDRs contains %q; must be CIDR ranges", c)
		}
	}
	return nil
}

func (a *AirbyteStackArgs) validateStore() error {
	st := a.ObjectStore
	if b, ok := st.BucketNames[objectstore.Airbyte]; !ok || b.OutputState == nil {
		return fmt.Errorf("airbyte: ObjectStore.BucketNames[%s] is not set", objectstore.Airbyte)
	}
	w, jw := a.workloads()
	if _, ok := st.Identities[w]; !ok {
		return fmt.Errorf("airbyte: ObjectStore.Identities[%q] is missing; grant the workload %q access to the %s bucket", w, w, objectstore.Airbyte)
	}
	switch st.Kind {
	case objectstore.S3:
		if st.Region == "" {
			return fmt.Errorf("airbyte: ObjectStore.Region is empty; S3 needs the bucket's region")
		}
		if _, ok := st.Identities[jw]; !ok {
			return fmt.Errorf("airbyte: ObjectStore.Identities[%q] is missing; on S3 job pods in %q need their own identity (Access{Workload: %q, Namespace: %q, ServiceAccount: %q})",
				jw, a.JobsNamespace, jw, a.JobsNamespace, ServiceAccountName)
		}
	case objectstore.MinIO:
		if st.Endpoint.OutputState == nil {
			return fmt.Errorf("airbyte: ObjectStore.Endpoint is not set; MinIO needs its service URL")
		}
		if st.Identities[w].CredentialsSecret.OutputState == nil {
			return fmt.Errorf("airbyte: ObjectStore.Identities[%q].CredentialsSecret is not set; MinIO needs the accessKey/secretKey Secret", w)
		}
		if st.CABundle.OutputState == nil {
			return fmt.Errorf("airbyte: ObjectStore.CABundle is not set; MinIO's certificate is signed by a private CA that Airbyte must trust")
		}
		if a.storeNamespace() == "" || !dnsLabel.MatchString(a.storeNamespace()) {
			return fmt.Errorf("airbyte: ObjectStoreNamespace = %q; MinIO needs the namespace it runs in (a DNS label)", a.storeNamespace())
		}
	case objectstore.GCS, objectstore.ADLS:
		if a.StorageCredentialsSecret != nil {
			break
		}
		// Airbyte's GCS client reads only a service-account key file and its Azure client only a
		// connection string: the store must have minted one for the workload.
		if st.Identities[w].StaticCredential.OutputState == nil {
			return fmt.Errorf("airbyte: ObjectStore.Identities[%q].StaticCredential is not set and StorageCredentialsSecret is empty; Airbyte's %s client cannot use workload identity: grant the workload with objectstore.Access{StaticCredential: true} or name a Secret you manage", w, st.Kind)
		}
		if st.Kind == objectstore.GCS && st.Identities[jw].StaticCredential.OutputState == nil {
			return fmt.Errorf("airbyte: ObjectStore.Identities[%q].StaticCredential is not set; on GCS job pods in %q mount their own key file (Access{Workload: %q, StaticCredential: true})", jw, a.JobsNamespace, jw)
		}
	default:
		return fmt.Errorf("airbyte: ObjectStore.Kind = %q; allowed: s3, adls, gcs, minio", st.Kind)
	}
	return nil
}

func (a *AirbyteStackArgs) workloads() (string, string) {
	w, jw := a.Workload, a.JobsWorkload
	if w == "" {
		w = DefaultWorkload
	}
	if jw == "" {
		jw = DefaultJobsWorkload
	}
	return w, jw
}

func (a *AirbyteStackArgs) storeNamespace() string {
	if a.ObjectStoreNamespace != "" {
		return a.ObjectStoreNamespace
	}
	return a.DatabaseNamespace
}

// withDefaults fills the optional sizes from the environment.
func (a *AirbyteStackArgs) withDefaults() AirbyteStackArgs {
	out := *a
	if out.JobDefaults.CPU == 0 {
		out.JobDefaults.CPU = pick(a.Prod, 1, 0.5)
	}
	if out.JobDefaults.MemoryGiB == 0 {
		out.JobDefaults.MemoryGiB = pick(a.Prod, 2, 1)
	}
	if out.JobsQuota.CPU == 0 {
		out.JobsQuota.CPU = pick(a.Prod, 64, 8)
	}
	if out.JobsQuota.MemoryGiB == 0 {
		out.JobsQuota.MemoryGiB = pick(a.Prod, 128, 16)
	}
	if out.JobsQuota.Pods == 0 {
		out.JobsQuota.Pods = int(pick(a.Prod, 300, 60))
	}
	out.Workload, out.JobsWorkload = a.workloads()
	out.ObjectStoreNamespace = a.storeNamespace()
	return out
}

func pick(prod bool, p, d float64) float64 {
	if prod {
		return p
	}
	return d
}

// NewAirbyteStack deploys Airbyte.
func NewAirbyteStack(ctx *pulumi.Context, name string, args *AirbyteStackArgs, opts ...pulumi.ResourceOption) (*AirbyteStack, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	a := args.withDefaults()

	comp := &AirbyteStack{}
	props := pulumi.Map{
		"namespace":         a.Namespace,
		"jobsNamespace":     pulumi.String(a.JobsNamespace),
		"chartVersion":      pulumi.String(a.ChartVersion),
		"objectStoreKind":   pulumi.String(string(a.ObjectStore.Kind)),
		"workerMinReplicas": pulumi.Int(a.WorkerMinReplicas),
		"workerMaxReplicas": pulumi.Int(a.WorkerMaxReplicas),
		"prod":              pulumi.Bool(a.Prod),
	}
	if err := ctx.RegisterComponentResourceV2(AirbyteStackType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	child := []pulumi.ResourceOption{pulumi.Parent(comp)}
	jobsNS := pulumi.StringInput(pulumi.String(a.JobsNamespace))
	if a.JobsNamespaceRef != nil {
		jobsNS = a.JobsNamespaceRef
	}
	meta := func(objName string, ns pulumi.StringInput) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(objName), Namespace: ns, Labels: labels(a.Labels)}
	}

	// Everything the chart's pods need before they start.
	deps := append([]pulumi.Resource{}, a.DatabaseReady...)

	// ServiceAccounts: the chart uses ours (serviceAccount.create=false), so they carry the store's
	// workload identity; job pods run as the same name in the jobs namespace.
	appsID := a.ObjectStore.Identities[a.Workload]
	sa, err := corev1.NewServiceAccount(ctx, name+"-sa", &corev1.ServiceAccountArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(ServiceAccountName), Namespace: a.Namespace, Labels: labels(a.Labels),
			Annotations: annotationsOf(appsID),
		},
	}, child...)
	if err != nil {
		return nil, err
	}
	deps = append(deps, sa)
	jobsMeta := &metav1.ObjectMetaArgs{Name: pulumi.String(ServiceAccountName), Namespace: jobsNS, Labels: labels(a.Labels)}
	if id, ok := a.ObjectStore.Identities[a.JobsWorkload]; ok {
		jobsMeta.Annotations = annotationsOf(id)
	}
	jobsSA, err := corev1.NewServiceAccount(ctx, name+"-jobs-sa", &corev1.ServiceAccountArgs{Metadata: jobsMeta}, child...)
	if err != nil {
		return nil, err
	}
	deps = append(deps, jobsSA)

	rbac, err := newRBAC(ctx, name, comp, a, jobsNS, meta)
	if err != nil {
		return nil, err
	}
	deps = append(deps, rbac...)

	storage, err := newStorageSecrets(ctx, name, a, jobsNS, meta, child)
	if err != nil {
		return nil, err
	}
	deps = append(deps, storage...)

	jobs, err := newJobsLimits(ctx, name, comp, a, jobsNS, meta)
	if err != nil {
		return nil, err
	}
	deps = append(deps, jobs...)

	policies, err := newNetworkPolicies(ctx, name, comp, a, jobsNS, meta)
	if err != nil {
		return nil, err
	}
	deps = append(deps, policies...)

	trust, err := newTrustSecrets(ctx, name, a, jobsNS, meta, child)
	if err != nil {
		return nil, err
	}
	deps = append(deps, trust...)

	auth, err := newAuthSecret(ctx, name, a, meta, child)
	if err != nil {
		return nil, err
	}
	deps = append(deps, auth.secret.Resource)

	webURL := fmt.Sprintf("http://%s-airbyte-server-svc.%s.svc.cluster.local:%d", ReleaseName, a.NamespaceName, ServerPort)
	release, err := newRelease(ctx, name, &a, chartValues(&a, webURL), append(child, pulumi.DependsOn(deps))...)
	if err != nil {
		return nil, err
	}
	comp.Release = release

	// The worker HPA: chart V2 has an hpa value but no template behind it.
	hpa, err := autoscalingv2.NewHorizontalPodAutoscaler(ctx, name+"-worker-hpa", &autoscalingv2.HorizontalPodAutoscalerArgs{
		Metadata: meta(ReleaseName+"-worker", a.Namespace),
		Spec: &autoscalingv2.HorizontalPodAutoscalerSpecArgs{
			ScaleTargetRef: &autoscalingv2.CrossVersionObjectReferenceArgs{
				ApiVersion: pulumi.String("apps/v1"), Kind: pulumi.String("Deployment"), Name: pulumi.String(ReleaseName + "-worker"),
			},
			MinReplicas: pulumi.Int(a.WorkerMinReplicas),
			MaxReplicas: pulumi.Int(a.WorkerMaxReplicas),
			// CPU only: a JVM holds on to the heap it grew, so its memory use rarely falls after a
			// burst and a memory target would keep the worker at its maximum.
			Metrics: autoscalingv2.MetricSpecArray{resourceMetric("cpu", 70)},
		},
	}, append(child, pulumi.DependsOn([]pulumi.Resource{release}))...)
	if err != nil {
		return nil, err
	}
	_ = hpa

	if a.Prod {
		for _, d := range deployments {
			if _, err := policyv1.NewPodDisruptionBudget(ctx, name+"-pdb-"+d.component, &policyv1.PodDisruptionBudgetArgs{
				Metadata: meta(ReleaseName+"-"+d.component, a.Namespace),
				Spec: &policyv1.PodDisruptionBudgetSpecArgs{
					MaxUnavailable: pulumi.Int(1),
					Selector:       &metav1.LabelSelectorArgs{MatchLabels: podSelector(d.component)},
				},
			}, child...); err != nil {
				return nil, err
			}
		}
	}

	urn := release.URN()
	comp.WebURL = urn.ApplyT(func(pulumi.URN) string { return webURL }).(pulumi.StringOutput)
	comp.APIURL = urn.ApplyT(func(pulumi.URN) string { return webURL + "/api/public/v1" }).(pulumi.StringOutput)
	comp.ServiceAccountName = sa.Metadata.Name().Elem()
	comp.Routes = Routes(a.NamespaceName)
	comp.ChartName = urn.ApplyT(func(pulumi.URN) string { return ReleaseName }).(pulumi.StringOutput)
	comp.AdminSecretName = auth.secret.Name
	comp.AdminPassword = auth.password

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"webUrl":             comp.WebURL,
		"apiUrl":             comp.APIURL,
		"serviceAccountName": comp.ServiceAccountName,
		"chartName":          comp.ChartName,
		"adminSecretName":    comp.AdminSecretName,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

func resourceMetric(res string, utilization int) *autoscalingv2.MetricSpecArgs {
	return &autoscalingv2.MetricSpecArgs{
		Type: pulumi.String("Resource"),
		Resource: &autoscalingv2.ResourceMetricSourceArgs{
			Name:   pulumi.String(res),
			Target: &autoscalingv2.MetricTargetArgs{Type: pulumi.String("Utilization"), AverageUtilization: pulumi.Int(utilization)},
		},
	}
}

func annotationsOf(id objectstore.Identity) pulumi.StringMapInput {
	if id.ServiceAccountAnnotations.OutputState == nil {
		return nil
	}
	return id.ServiceAccountAnnotations
}

// cpu formats cores as millicores.
func cpu(cores float64) string { return fmt.Sprintf("%dm", int(math.Round(cores*1000))) }

// mem formats GiB as MiB.
func mem(gib float64) string { return fmt.Sprintf("%dMi", int(math.Round(gib*1024))) }

func labels(extra map[string]string) pulumi.StringMap {
	out := pulumi.StringMap{
		"app.kubernetes.io/part-of":    pulumi.String("dataplatform"),
		"app.kubernetes.io/managed-by": pulumi.String("pulumi"),
		"app.kubernetes.io/component":  pulumi.String("airbyte"),
	}
	for k, v := range extra {
		out[k] = pulumi.String(v)
	}
	return out
}

// podSelector selects one chart component's pods by the labels the chart sets.
func podSelector(component string) pulumi.StringMap {
	return pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(component), "app.kubernetes.io/instance": pulumi.String(ReleaseName)}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ServerService is the chart's Service in front of airbyte-server (UI and API, port ServerPort).
const ServerService = ReleaseName + "-airbyte-server-svc"

// Routes are Airbyte's entry points in namespace: https://airbyte.<domain> for the UI and, under
// /api/public/v1, the API; users sign in with Airbyte's own authentication (global.auth).
func Routes(namespace string) []edge.Route {
	return []edge.Route{{Name: "airbyte", Host: "airbyte", Service: ServerService, Namespace: namespace, Port: ServerPort, Protocol: edge.HTTP}}
}
