// Package dremio is the platform's lakehouse SQL engine: a Dremio OSS cluster described as typed
// Kubernetes resources (the OSS Helm chart is deprecated) — a ZooKeeper ensemble, one coordinator
// (master, KV store, web UI, JDBC/ODBC, Arrow Flight) and an executor StatefulSet — with its
// distributed storage on the platform's object store, reached with the store's workload identity.
//
// On Azure the image's Hadoop ABFS driver (dremio-oss 25.2, the last OSS release, manages
// hadoop-azure at Dremio's fork 2.8.5-dremio-r2; see coreSiteProperties) predates Hadoop's workload
// identity token provider, so Dremio uses its MsiTokenProvider
// against the azure-workload-identity token proxy, run as a native sidecar (an init container with
// restartPolicy Always) on the pod's loopback: it trades the pod's federated ServiceAccount token for
// an Entra ID token. No static key, no privileged init container, no traffic redirection.
package dremio

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/config"
)

// DremioClusterType is the component's type token.
const DremioClusterType = "dataplatform:dremio:DremioCluster"

// BootstrapImage is the pinned curl image of the first-user Job.
const BootstrapImage = "curlimages/curl:8.11.1"

// DefaultTokenProxyImage is the pinned azure-workload-identity token proxy of the ADLS sidecar.
const DefaultTokenProxyImage = config.DremioTokenProxyImage

// The token proxy sidecar listens on the pod's IPv4 loopback only; Hadoop's MsiTokenProvider asks
// it at the IMDS token path.
const (
	tokenProxyName     = "azwi-proxy"
	tokenProxyPort     = 8000
	tokenProxyEndpoint = "http://127.0.0.1:8000/metadata/identity/oauth2/token"
)

// Distributed storage choices.
const (
	// DistObjectStore keeps reflections, uploads and job results in the object store's Dremio bucket.
	DistObjectStore = "objectstore"
	// DistLocal keeps them on the node's volume (pdfs); a single-node development setup only.
	DistLocal = "local"
)

// Object names on the cluster.
const (
	serviceAccountName = "dremio"
	configMapName      = "dremio-config"
	clusterService     = "dremio-cluster-pod"
	clientService      = "dremio-client"
	coordinatorName    = "dremio-coordinator"
	executorName       = "dremio-executor"
	zkName             = "dremio-zookeeper"
	zkHeadlessName     = "dremio-zookeeper-hs"
	adminSecretName    = "dremio-admin"
	dbtSecretName      = "dremio-dbt-credentials"
	bootstrapName      = "dremio-bootstrap"
)

// DremioClusterArgs are the inputs of a Dremio cluster.
type DremioClusterArgs struct {
	// Namespace is the apps namespace, as an output of the Namespace resource so that everything here
	// depends on it.
	Namespace pulumi.StringInput
	// NamespaceName is the same namespace as a plain name; it goes into DNS names and dremio.conf.
	NamespaceName string
	// Image is the pinned dremio/dremio-oss image; default config.DremioImage.
	Image string
	// ZooKeeperImage is the pinned ZooKeeper image; default config.ZooKeeperImage.
	ZooKeeperImage string
	// BootstrapImage is the pinned curl image of the first-user Job; default BootstrapImage.
	BootstrapImage string
	// TokenProxyImage is the pinned azure-workload-identity proxy image run, on ADLS only, as a
	// native sidecar of the coordinator and executors: Hadoop's MsiTokenProvider gets its Entra ID
	// tokens from it. Default DefaultTokenProxyImage (config.DremioTokenProxyImage); a tag or digest,
	// never latest.
	TokenProxyImage string
	// Coordinator sizes the coordinator (at least 4 GiB, Dremio's minimum).
	Coordinator config.Compute
	// Executors is the executor replica count (3 or more in prod).
	Executors int
	// Executor sizes each executor (at least 4 GiB).
	Executor config.Compute
	// ExecutorVolumeGiB is each executor's spill and cache volume.
	ExecutorVolumeGiB int
	// CoordinatorVolumeGiB is the coordinator's KV-store volume.
	CoordinatorVolumeGiB int
	// ZooKeeperReplicas is the ensemble size: 1, or an odd number ≥ 3 (≥ 3 in prod).
	ZooKeeperReplicas int
	// StorageClass backs every volume (fast-ssd); empty uses the cluster's default class.
	StorageClass string
	// ObjectStore is the platform's store; Dremio's distributed storage goes to its Dremio bucket.
	ObjectStore objectstore.Info
	// GCPProject is, on GCS, the Google Cloud project ID the lake source is created in (Dremio's GCS
	// source requires it).
	GCPProject string
	// ObjectStoreNamespace is, for MinIO, the data namespace the store runs in (egress on 9000).
	ObjectStoreNamespace string
	// Workload is the key of Dremio's identity in ObjectStore.Identities; default "dremio".
	Workload string
	// DistStorage is DistObjectStore (default) or DistLocal, which needs DevLocalStorage.
	DistStorage string
	// DevLocalStorage allows DistLocal: a development stack with a single executor.
	DevLocalStorage bool
	// ClientNamespaces may reach the web UI, JDBC/ODBC and Flight ports (the apps namespace itself
	// always can).
	ClientNamespaces []string
	// ClientCIDRs may reach the same ports: the address ranges a cloud load balancer reaches pods
	// from (its subnets, or the cloud's proxy and health-check ranges).
	ClientCIDRs []string
	// Labels are added to every object.
	Labels map[string]string
	// Prod makes anti-affinity across nodes required and enforces the production sizes.
	Prod bool
	// ExecutorDrainSeconds is how long a stopping executor finishes its running fragments
	// (dremio.termination_grace_period_seconds); the pod's grace period adds 120 s. Default 600.
	ExecutorDrainSeconds int
	// Scheduling places every pod (ZooKeeper, coordinator, executors, bootstrap Job) on the workload
	// pool: its tolerations and node selector.
	Scheduling cluster.Scheduling
	// SupersetUser creates the Dremio user "superset" for Superset's Dremio connection; its Secret
	// is SupersetCredentialsSecret.
	SupersetUser bool
	// MonitorUser creates the Dremio user "monitor" for the reflection-freshness bridge; its Secret
	// is MonitorCredentialsSecret.
	MonitorUser bool
	// Secrets is the target's secret store: the administrator's and the dbt user's credentials are
	// written to it and their Secrets materialized by ExternalSecrets. nil creates plain Secrets.
	Secrets *secrets.Store
	// Protect marks the stateful resources (the coordinator StatefulSet, whose volume holds the KV
	// store, the executor StatefulSet, whose replacement would stop every executor at once, the
	// ZooKeeper StatefulSet and the generated administrator and dbt passwords) protected:
	// destroy and replacement stop at them.
	// Disposable children (Jobs, Secrets, policies, bindings, node groups…) are never protected.
	Protect bool
}

// DremioCluster is the Dremio component.
type DremioCluster struct {
	pulumi.ResourceState

	// WebURL is the in-cluster URL of the web UI and REST API.
	WebURL pulumi.StringOutput
	// JDBCURL is the JDBC URL of the client Service.
	JDBCURL pulumi.StringOutput
	// FlightEndpoint is host:port of Arrow Flight.
	FlightEndpoint pulumi.StringOutput
	// ServiceName is the client Service (9047, 31010, 32010).
	ServiceName pulumi.StringOutput
	// AdminSecret is the Secret ("user", "password") of the first administrator.
	AdminSecret pulumi.StringOutput
	// DbtCredentialsSecret is the Secret ("user", "password") of the "dbt" user.
	DbtCredentialsSecret pulumi.StringOutput
	// Routes are the entry points the platform's edge publishes: the web UI and REST API (HTTP), Arrow
	// Flight (GRPC, on FlightPort) and the JDBC/ODBC client port (TCP, on ClientPort, TLS at the
	// edge: Dremio OSS has no TLS on it), all on the client Service under the host "dremio".
	Routes []edge.Route
	// LakeSource is the Dremio source over the lake bucket that the bootstrap keeps current
	// (LakeSourceName), or "" where Dremio OSS cannot reach the lake keylessly (ADLS) or keeps its
	// storage on local disk.
	LakeSource pulumi.StringOutput
}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	imageTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digest   = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// ValidateImage refuses an image reference without a pinned tag or digest, or tagged latest.
func ValidateImage(field, image string) error {
	name, dig, hasDigest := strings.Cut(image, "@")
	last := name[strings.LastIndex(name, "/")+1:]
	tag := ""
	if i := strings.LastIndex(last, ":"); i >= 0 {
		tag = last[i+1:]
	}
	switch {
	case name == "" || strings.ContainsAny(image, " \t\n") || (hasDigest && !digest.MatchString(dig)) || (tag != "" && !imageTag.MatchString(tag)):
		return fmt.Errorf("%s = %q; not an image reference (registry/repo:tag or registry/repo@sha256:<64 hex>)", field, image)
	case tag == "latest":
		return fmt.Errorf("%s = %q; the latest tag is not pinned, use a version tag or digest", field, image)
	case tag == "" && !hasDigest:
		return fmt.Errorf("%s = %q; must be pinned by a tag or digest (repo:1.2.3 or repo@sha256:…)", field, image)
	}
	return nil
}

// withDefaults returns a copy with defaults applied.
func (a DremioClusterArgs) withDefaults() DremioClusterArgs {
	if a.Image == "" {
		a.Image = config.DremioImage
	}
	if a.ZooKeeperImage == "" {
		a.ZooKeeperImage = config.ZooKeeperImage
	}
	if a.BootstrapImage == "" {
		a.BootstrapImage = BootstrapImage
	}
	if a.TokenProxyImage == "" {
		a.TokenProxyImage = DefaultTokenProxyImage
	}
	if a.Workload == "" {
		a.Workload = "dremio"
	}
	if a.DistStorage == "" {
		a.DistStorage = DistObjectStore
	}
	if a.ExecutorDrainSeconds == 0 {
		a.ExecutorDrainSeconds = DefaultExecutorDrainSeconds
	}
	return a
}

func (a *DremioClusterArgs) validate() error {
	if a == nil {
		return fmt.Errorf("dremio: args are required")
	}
	if a.Namespace == nil {
		return fmt.Errorf("dremio: Namespace is required")
	}
	if !dnsLabel.MatchString(a.NamespaceName) {
		return fmt.Errorf("dremio: NamespaceName = %q; must be a DNS label", a.NamespaceName)
	}
	for field, img := range map[string]string{"Image": a.Image, "ZooKeeperImage": a.ZooKeeperImage, "BootstrapImage": a.BootstrapImage} {
		if err := ValidateImage("dremio: "+field, img); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		field string
		role  Role
		c     config.Compute
	}{{"Coordinator", CoordinatorRole, a.Coordinator}, {"Executor", ExecutorRole, a.Executor}} {
		if c.c.CPU <= 0 {
			return fmt.Errorf("dremio: %s.CPU = %g; must be > 0", c.field, c.c.CPU)
		}
		if _, err := MemorySplit(c.role, mib(c.c.MemoryGiB)); err != nil {
			return fmt.Errorf("dremio: %s.MemoryGiB = %g: %w", c.field, c.c.MemoryGiB, err)
		}
	}
	minExecutors := 1
	if a.Prod {
		minExecutors = 3 // the policy pack's production floor
	}
	if a.Executors < minExecutors {
		return fmt.Errorf("dremio: Executors = %d; must be ≥ %d", a.Executors, minExecutors)
	}
	if a.ExecutorVolumeGiB < 10 {
		return fmt.Errorf("dremio: ExecutorVolumeGiB = %d; must be ≥ 10", a.ExecutorVolumeGiB)
	}
	if a.ExecutorDrainSeconds < 30 || a.ExecutorDrainSeconds > 3600 {
		return fmt.Errorf("dremio: ExecutorDrainSeconds = %d; must be between 30 and 3600", a.ExecutorDrainSeconds)
	}
	for _, t := range a.Scheduling.Tolerations {
		if t.Key == "" && t.Operator != "Exists" {
			return fmt.Errorf("dremio: Scheduling.Tolerations has an empty key with operator %q; only Exists may omit the key", t.Operator)
		}
	}
	if a.CoordinatorVolumeGiB < 5 {
		return fmt.Errorf("dremio: CoordinatorVolumeGiB = %d; must be ≥ 5", a.CoordinatorVolumeGiB)
	}
	zk := a.ZooKeeperReplicas
	if zk < 1 || (zk > 1 && (zk < 3 || zk%2 == 0)) {
		return fmt.Errorf("dremio: ZooKeeperReplicas = %d; must be 1 or an odd number ≥ 3", zk)
	}
	if a.Prod && zk < 3 {
		return fmt.Errorf("dremio: ZooKeeperReplicas = %d; prod needs a quorum of ≥ 3", zk)
	}
	if a.StorageClass != "" && !dnsLabel.MatchString(a.StorageClass) {
		return fmt.Errorf("dremio: StorageClass = %q; must be a DNS label or empty", a.StorageClass)
	}
	if err := k8snet.ValidateCIDRs("dremio: ClientCIDRs", a.ClientCIDRs); err != nil {
		return err
	}
	for _, ns := range a.ClientNamespaces {
		if !dnsLabel.MatchString(ns) {
			return fmt.Errorf("dremio: ClientNamespaces contains %q; must be DNS labels", ns)
		}
	}
	switch a.DistStorage {
	case DistLocal:
		if !a.DevLocalStorage || a.Prod {
			return fmt.Errorf("dremio: DistStorage = %q needs DevLocalStorage (a development stack); use %q", DistLocal, DistObjectStore)
		}
		if a.Executors != 1 {
			return fmt.Errorf("dremio: DistStorage = %q with Executors = %d; node-local storage is not shared, so it allows exactly 1 executor", DistLocal, a.Executors)
		}
		return nil
	case DistObjectStore:
	default:
		return fmt.Errorf("dremio: DistStorage = %q; allowed: %s, %s", a.DistStorage, DistObjectStore, DistLocal)
	}
	os := a.ObjectStore
	switch os.Kind {
	case objectstore.S3, objectstore.ADLS, objectstore.GCS, objectstore.MinIO:
	default:
		return fmt.Errorf("dremio: ObjectStore.Kind = %q; allowed: s3, adls, gcs, minio", os.Kind)
	}
	if os.Kind == objectstore.ADLS {
		// Only ADLS runs the token proxy sidecar.
		if err := ValidateImage("dremio: TokenProxyImage", a.TokenProxyImage); err != nil {
			return err
		}
	}
	if _, ok := os.BucketNames[objectstore.Dremio]; !ok {
		return fmt.Errorf("dremio: ObjectStore.BucketNames has no %q bucket", objectstore.Dremio)
	}
	if _, ok := os.Identities[a.Workload]; !ok {
		return fmt.Errorf("dremio: ObjectStore.Identities has no %q workload; the store must grant Dremio access", a.Workload)
	}
	if lakeSourceSupported(os.Kind) {
		if _, ok := os.BucketNames[objectstore.Lake]; !ok {
			return fmt.Errorf("dremio: ObjectStore.BucketNames has no %q bucket; the lake source needs it", objectstore.Lake)
		}
	}
	if os.Kind == objectstore.GCS && !gcpProject.MatchString(a.GCPProject) {
		return fmt.Errorf("dremio: GCPProject = %q; the GCS lake source needs the Google Cloud project ID", a.GCPProject)
	}
	if os.Kind == objectstore.S3 && os.Region == "" {
		return fmt.Errorf("dremio: ObjectStore.Region is empty; S3 needs the bucket's region")
	}
	if os.Kind == objectstore.MinIO && !dnsLabel.MatchString(a.ObjectStoreNamespace) {
		return fmt.Errorf("dremio: ObjectStoreNamespace = %q; MinIO needs the data namespace it runs in", a.ObjectStoreNamespace)
	}
	return nil
}

// mib converts GiB to MiB.
func mib(gib float64) int { return int(gib * 1024) }

// NewDremioCluster creates the ZooKeeper ensemble, the coordinator and the executors, their Services,
// disruption budgets and network policies, and the first-user bootstrap.
func NewDremioCluster(ctx *pulumi.Context, name string, args *DremioClusterArgs, opts ...pulumi.ResourceOption) (*DremioCluster, error) {
	if args == nil {
		return nil, fmt.Errorf("dremio: args are required")
	}
	a := args.withDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}

	comp := &DremioCluster{}
	props := pulumi.Map{
		"namespace":         a.Namespace,
		"image":             pulumi.String(a.Image),
		"zookeeperImage":    pulumi.String(a.ZooKeeperImage),
		"executors":         pulumi.Int(a.Executors),
		"zookeeperReplicas": pulumi.Int(a.ZooKeeperReplicas),
		"distStorage":       pulumi.String(a.DistStorage),
		"objectStoreKind":   pulumi.String(string(a.ObjectStore.Kind)),
		"prod":              pulumi.Bool(a.Prod),
		"protect":           pulumi.Bool(a.Protect),
		"drainSeconds":      pulumi.Int(a.ExecutorDrainSeconds),
	}
	if a.DistStorage == DistObjectStore && a.ObjectStore.Kind == objectstore.ADLS {
		props["tokenProxyImage"] = pulumi.String(a.TokenProxyImage)
	}
	if err := ctx.RegisterComponentResourceV2(DremioClusterType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, comp: comp, a: a}
	if err := b.build(); err != nil {
		return nil, err
	}

	host := fmt.Sprintf("%s.%s.svc.cluster.local", clientService, a.NamespaceName)
	comp.ServiceName = b.clientSvc.Metadata.Name().Elem()
	comp.WebURL = pulumi.Sprintf("http://%s:%d", withDep(host, comp.ServiceName), WebPort)
	comp.JDBCURL = pulumi.Sprintf("jdbc:dremio:direct=%s:%d", withDep(host, comp.ServiceName), ClientPort)
	comp.FlightEndpoint = pulumi.Sprintf("%s:%d", withDep(host, comp.ServiceName), FlightPort)
	comp.Routes = Routes(a.NamespaceName)
	comp.AdminSecret = b.adminSecret.Name
	comp.DbtCredentialsSecret = b.dbtSecret.Name
	lakeSource := ""
	if b.lakeSource() {
		lakeSource = LakeSourceName
	} else if a.DistStorage == DistObjectStore {
		// Said at plan time, not only in the Job's log.
		_ = ctx.Log.Warn(fmt.Sprintf("dremio: no %q source on %s: Dremio OSS 25.2's Azure Storage source takes only a shared key or a client secret, and the lake account has neither; dbt cannot write its tables on this target", LakeSourceName, a.ObjectStore.Kind), &pulumi.LogArgs{Resource: comp})
	}
	comp.LakeSource = pulumi.String(lakeSource).ToStringOutput()

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"webURL":               comp.WebURL,
		"jdbcURL":              comp.JDBCURL,
		"flightEndpoint":       comp.FlightEndpoint,
		"serviceName":          comp.ServiceName,
		"adminSecret":          comp.AdminSecret,
		"dbtCredentialsSecret": comp.DbtCredentialsSecret,
		"lakeSource":           comp.LakeSource,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// withDep returns s once dep resolves, so that a URL output depends on the Service it names.
func withDep(s string, dep pulumi.StringOutput) pulumi.StringOutput {
	return dep.ApplyT(func(string) string { return s }).(pulumi.StringOutput)
}

// Routes are Dremio's entry points on the client Service in namespace.
func Routes(namespace string) []edge.Route {
	return []edge.Route{
		{Name: "dremio-ui", Host: "dremio", Service: clientService, Namespace: namespace, Port: WebPort, Protocol: edge.HTTP},
		{Name: "dremio-flight", Host: "dremio", Service: clientService, Namespace: namespace, Port: FlightPort, Protocol: edge.GRPC, ListenPort: FlightPort},
		{Name: "dremio-jdbc", Host: "dremio", Service: clientService, Namespace: namespace, Port: ClientPort, Protocol: edge.TCP, ListenPort: ClientPort},
	}
}
