// Package config is the typed, validated configuration of the data platform.
//
// Every key lives in the `dataplatform:` namespace of a Pulumi stack. Scalars (cloud, environment,
// region, domain) are plain keys; each component has one structured object (`dataplatform:metadataDb`,
// `dataplatform:dremio`, …). Defaults live in Go — Pulumi.yaml defaults are not applied under mocks —
// and come from the environment profile (dev, staging, prod) and the target cloud. Parse overlays the
// stack's values on those defaults and validates the result, returning every problem at once.
package config

import "time"

// Namespace is the Pulumi config namespace every key of this program lives in.
const Namespace = "dataplatform"

// Cloud is the deployment target of a stack.
type Cloud string

const (
	// Kubernetes deploys everything in-cluster on an existing cluster reached through a kubeconfig.
	Kubernetes Cloud = "kubernetes"
	// AWS deploys on EKS with RDS, S3 and the other AWS managed services.
	AWS Cloud = "aws"
	// Azure deploys on AKS with PostgreSQL Flexible Server, ADLS Gen2 and the other Azure services.
	Azure Cloud = "azure"
	// GCP deploys on GKE with Cloud SQL, Cloud Storage and the other Google Cloud services.
	GCP Cloud = "gcp"
)

// Clouds lists every supported target, in the order they are documented.
var Clouds = []Cloud{Kubernetes, AWS, Azure, GCP}

// Environment is the environment type of the design document; it selects the profile.
type Environment string

const (
	// Dev is a single node, below 95 % availability, RTO/RPO 24 h.
	Dev Environment = "dev"
	// Staging is multi-node, 95–99 % availability, RTO/RPO 4 h.
	Staging Environment = "staging"
	// Prod is clustered, above 99.9 % availability, RTO 1 h, RPO 15 min.
	Prod Environment = "prod"
)

// Environments lists every environment, from the least to the most demanding.
var Environments = []Environment{Dev, Staging, Prod}

// Platform is the whole configuration of one stack.
type Platform struct {
	// Project is the Pulumi project name; it prefixes physical names.
	Project string
	// Stack is the Pulumi stack name.
	Stack string
	// Cloud is the target (`dataplatform:cloud`).
	Cloud Cloud
	// Environment selects the profile (`dataplatform:environment`, default: the stack name).
	Environment Environment
	// Region is the cloud region (`dataplatform:region`); free text on the kubernetes target.
	Region string
	// Domain is the DNS zone external endpoints are published under (`dataplatform:domain`).
	Domain string
	// GCPProject is the Google Cloud project ID (`dataplatform:gcpProject`), required on gcp.
	GCPProject string
	// NameSuffix makes the names that must be unique across all accounts, subscriptions or projects
	// (buckets, storage accounts, database servers, registries) unique (`dataplatform:nameSuffix`):
	// 4–8 lower-case letters and digits. Empty derives one from the account, subscription or project
	// and the stack (see stacks.Names), so two organisations deploying "prod" never collide.
	NameSuffix string
	// Tags are added to every taggable cloud resource (`dataplatform:tags`).
	Tags map[string]string
	// Profile holds the service levels of the environment; it is derived, not configured.
	Profile Profile

	Network     Network
	Cluster     Cluster
	MetadataDB  MetadataDB
	ObjectStore ObjectStore
	Dremio      Dremio
	Airbyte     Airbyte
	Dbt         Dbt
	// Edge is the Gateway in front of the platform (`dataplatform:edge`, config/edge.go).
	Edge Edge
	// Observability is metrics, dashboards and alerts (`dataplatform:observability`,
	// config/observability.go).
	Observability Observability
	// Superset is Apache Superset (`dataplatform:superset`, config/superset.go).
	Superset Superset
	// Elasticsearch is the search and log store (`dataplatform:elasticsearch`, config/elasticsearch.go).
	Elasticsearch Elasticsearch
	// Logging is central logging into Elasticsearch (`dataplatform:logging`, config/logging.go).
	Logging Logging
}

// Profile is what the design document promises for an environment.
type Profile struct {
	// Environment is the environment the profile describes.
	Environment Environment
	// AvailabilityPercent is the availability target (dev <95, staging 95–99, prod ≥99.9).
	AvailabilityPercent float64
	// RTO is the recovery time objective.
	RTO time.Duration
	// RPO is the recovery point objective.
	RPO time.Duration
	// MinBackupRetentionDays is the floor for database backup retention in this environment.
	MinBackupRetentionDays int
}

// Network configures the cloud network and the in-cluster network isolation (`dataplatform:network`).
type Network struct {
	// CIDR is the VPC / VNet address space (IPv4, /16 to /20).
	CIDR string `json:"cidr"`
	// AvailabilityZones is how many zones the network spans (2 or 3).
	AvailabilityZones int `json:"availabilityZones"`
	// NATGateways is the number of NAT gateways on AWS: 1, or one per zone (prod default).
	NATGateways int `json:"natGateways"`
	// PodCIDR is the secondary range for pods (GCP) or the pod overlay range.
	PodCIDR string `json:"podCidr"`
	// ServiceCIDR is the range for Kubernetes Services; it must not overlap the VPC or the pod range.
	ServiceCIDR string `json:"serviceCidr"`
	// ControlPlaneCIDR is the /28 the GKE control plane peers into (gcp only).
	ControlPlaneCIDR string `json:"controlPlaneCidr"`
	// PrivateServiceCIDR is the range reserved for private service access, where Cloud SQL gets its
	// address (gcp only); pinned so network policies can name the database's addresses.
	PrivateServiceCIDR string `json:"privateServiceCidr"`
	// ProxyOnlyCIDR is the region's proxy-only subnet (gcp only), where the internal edge's load
	// balancer proxies run; used when every edge.sourceRanges entry is private. Default 10.41.0.0/23.
	ProxyOnlyCIDR string `json:"proxyOnlyCidr"`
	// FlowLogRetentionDays is how long VPC / VNet flow logs are kept.
	FlowLogRetentionDays int `json:"flowLogRetentionDays"`
	// NetworkWatcher (azure) is the region's Network Watcher that owns the VNet flow log, as
	// "<resource group>/<name>". Empty uses the one Azure creates with a subscription's first VNet in
	// a region, "NetworkWatcherRG/NetworkWatcher_<region>"; set it when auto-enablement is off and
	// the watcher lives elsewhere.
	NetworkWatcher string `json:"networkWatcher"`
	// Namespaces names the platform's Kubernetes namespaces.
	Namespaces Namespaces `json:"namespaces"`
	// APIServerCIDRs are the Kubernetes API server's addresses — the endpoints behind the
	// "kubernetes" Service (`kubectl get endpoints kubernetes -n default`) — which in-cluster
	// PostgreSQL's pods may reach on 443/6443 (kubernetes target). Default: the RFC 1918 ranges,
	// where kind, k3d and most self-managed control planes live; set the exact /32s in production.
	APIServerCIDRs []string `json:"apiServerCidrs"`
	// Zones (aws) names the Availability Zones explicitly, as many as AvailabilityZones; empty picks
	// the region's first standard zones by name. Set it before the first run: changing it replaces
	// subnets.
	Zones []string `json:"zones"`
}

// Namespaces are the Kubernetes namespaces of the platform (the design document's
// "Namespace Application" and "Namespace Données", plus one for Airbyte's job pods).
type Namespaces struct {
	// Apps holds Airbyte, Dremio, Superset and dbt.
	Apps string `json:"apps"`
	// Data holds PostgreSQL, the object store and Elasticsearch on the kubernetes target.
	Data string `json:"data"`
	// Jobs holds Airbyte's sync job pods, with their own resource defaults.
	Jobs string `json:"jobs"`
}

// List returns the namespaces in creation order.
func (n Namespaces) List() []string { return []string{n.Apps, n.Data, n.Jobs} }

// EndpointAccess says how the Kubernetes API server is reached.
type EndpointAccess string

const (
	// PrivateEndpoint serves the API only inside the network (prod default).
	PrivateEndpoint EndpointAccess = "private"
	// PublicAndPrivateEndpoint serves it inside the network and to PublicAccessCIDRs.
	PublicAndPrivateEndpoint EndpointAccess = "public-and-private"
)

// Cluster configures the Kubernetes cluster (`dataplatform:cluster`).
type Cluster struct {
	// KubernetesVersion is the control-plane minor version on the clouds, e.g. "1.34".
	KubernetesVersion string `json:"kubernetesVersion"`
	// EndpointAccess is "private" or "public-and-private".
	EndpointAccess EndpointAccess `json:"endpointAccess"`
	// PublicAccessCIDRs may reach a public endpoint; required non-empty when the endpoint is public.
	PublicAccessCIDRs []string `json:"publicAccessCidrs"`
	// Admins are the principals that administer the cluster, beside the deployer: IAM role or user
	// ARNs on aws (EKS access entries with the cluster-admin policy), Entra group or user object IDs
	// on azure (Azure Kubernetes Service RBAC Cluster Admin), IAM members ("group:ops@example.com",
	// "serviceAccount:ci@p.iam.gserviceaccount.com") on gcp (roles/container.admin). Ignored on kubernetes.
	Admins []string `json:"admins"`
	// PrivateAccessCIDRs are ranges outside the cluster's network that reach the private API endpoint
	// through peering, VPN or an interconnect (CI runners, operators' VPN).
	PrivateAccessCIDRs []string `json:"privateAccessCidrs"`
	// WorkloadPoolName (azure) pins the AKS workload pool's name. Empty names it after a hash of
	// what AKS cannot change in place, so such a change rotates the pool; set "workloads" on a stack
	// created before pools were hash-named to keep its pool (a pinned pool is never rotated: a VM
	// size, disk or Spot change then fails at AKS instead).
	WorkloadPoolName string `json:"workloadPoolName"`
	// KubeloginMode (azure) is how the kubeconfig's kubelogin gets Entra ID tokens: "azurecli" (an `az
	// login`, also by OIDC in CI), "workloadidentity" (a federated token in AZURE_FEDERATED_TOKEN_FILE
	// with AZURE_CLIENT_ID and AZURE_TENANT_ID, as the ESC azure environments provide), "msi" or "spn".
	KubeloginMode string `json:"kubeloginMode"`
	// CreatorAdmin (aws) gives the identity that creates the EKS cluster a cluster-admin access entry
	// managed by EKS (bootstrapClusterCreatorAdminPermissions). Read only when the cluster is created;
	// changing it later replaces the cluster. False requires Admins to list the deployer.
	CreatorAdmin bool `json:"creatorAdmin"`
	// ReleaseChannel is the GKE release channel (RAPID, REGULAR, STABLE).
	ReleaseChannel string `json:"releaseChannel"`
	// SystemPool runs cluster add-ons and the platform's control components.
	SystemPool NodePool `json:"systemPool"`
	// WorkloadPool runs the data services (Dremio executors, Airbyte workers, …).
	WorkloadPool NodePool `json:"workloadPool"`
	// Kubeconfig is, on the kubernetes target, a kubeconfig path or its content; empty means the
	// ambient configuration (KUBECONFIG or ~/.kube/config).
	Kubeconfig string `json:"kubeconfig"`
	// Context is the kubeconfig context on the kubernetes target; empty means the current one.
	Context string `json:"context"`
	// Zone is, on gcp outside prod, the zonal GKE cluster's zone (e.g. "europe-north1-a"); empty takes a
	// stable default for the region (DefaultGKEZone). Chosen once: changing it replaces the cluster.
	Zone string `json:"zone"`
	// StorageClasses names the "fast-ssd" and "standard" classes of the design document. On the
	// clouds the cluster component creates them; on the kubernetes target they must exist, and an
	// empty name means the cluster's default class.
	StorageClasses StorageClasses `json:"storageClasses"`
}

// StorageClasses are the two classes the design document asks for.
type StorageClasses struct {
	// FastSSD backs latency-sensitive volumes: databases, Dremio, ZooKeeper.
	FastSSD string `json:"fastSsd"`
	// Standard backs bulk volumes: object store drives, logs.
	Standard string `json:"standard"`
}

// NodePool is a group of worker nodes.
type NodePool struct {
	// MachineType is the cloud instance type (m6i.xlarge, Standard_D4s_v5, e2-standard-4, …).
	MachineType string `json:"machineType"`
	// MinNodes is the autoscaler floor, for the whole pool on every cloud (GKE regional pools too).
	MinNodes int `json:"minNodes"`
	// MaxNodes is the autoscaler ceiling.
	MaxNodes int `json:"maxNodes"`
	// DiskSizeGiB is the node root disk.
	DiskSizeGiB int `json:"diskSizeGiB"`
	// Spot runs the pool on spot / preemptible capacity; refused in prod.
	Spot bool `json:"spot"`
}

// Compute is a container's CPU and memory; requests equal limits for memory.
type Compute struct {
	// CPU is in cores; fractions are allowed (0.5).
	CPU float64 `json:"cpu"`
	// MemoryGiB is in GiB.
	MemoryGiB float64 `json:"memoryGiB"`
}

// MetadataDB configures PostgreSQL for Airbyte, Temporal and Superset (`dataplatform:metadataDb`).
type MetadataDB struct {
	// Version is the PostgreSQL major version.
	Version string `json:"version"`
	// InstanceClass is the managed instance size (db.m6g.large, GP_Standard_D4ds_v5,
	// db-custom-4-8192); ignored on kubernetes, where Compute applies.
	InstanceClass string `json:"instanceClass"`
	// Compute sizes each CloudNativePG instance on the kubernetes target.
	Compute Compute `json:"compute"`
	// StorageGiB is the allocated storage.
	StorageGiB int `json:"storageGiB"`
	// MaxStorageGiB lets storage grow automatically up to this size (0 disables autoscaling).
	MaxStorageGiB int `json:"maxStorageGiB"`
	// HighAvailability runs a synchronous standby in another zone.
	HighAvailability bool `json:"highAvailability"`
	// Instances is the CloudNativePG instance count (primary + replicas).
	Instances int `json:"instances"`
	// BackupRetentionDays is how long automated backups are kept.
	BackupRetentionDays int `json:"backupRetentionDays"`
	// PointInTimeRecovery keeps WAL / transaction logs for restores to any second.
	PointInTimeRecovery bool `json:"pointInTimeRecovery"`
	// DeletionProtection refuses deletion of the database instance.
	DeletionProtection bool `json:"deletionProtection"`
	// CABundleFile (aws, required) is a file holding the RDS CA bundle of the region (PEM, from
	// https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem); database clients verify
	// the server against it (sslmode=verify-full). A relative path is relative to the directory
	// `pulumi` runs in (the project directory).
	CABundleFile string `json:"caBundleFile"`
	// CABundlePEM is the content of CABundleFile, read and checked by validation.
	CABundlePEM string `json:"-"`
	// PerformanceInsights turns on query-level monitoring where the service offers it.
	PerformanceInsights bool `json:"performanceInsights"`
	// DRRegion receives backup copies / a replica for disaster recovery; empty disables.
	DRRegion string `json:"drRegion"`
	// BackupSchedule is the CloudNativePG base-backup schedule (six-field cron, seconds first).
	BackupSchedule string `json:"backupSchedule"`
	// DRReplica runs, on gcp, a cross-region read replica of Cloud SQL in DRRegion that can be promoted
	// when the primary's region is lost (default: true in prod).
	DRReplica bool `json:"drReplica"`
}

// ObjectStore configures the data lake and the platform's buckets (`dataplatform:objectStore`).
type ObjectStore struct {
	// Versioning keeps object versions (soft delete on Azure).
	Versioning bool `json:"versioning"`
	// NoncurrentVersionDays expires old versions after this many days.
	NoncurrentVersionDays int `json:"noncurrentVersionDays"`
	// ColdTierAfterDays moves lake objects to a cheaper tier after this many days (0 disables).
	ColdTierAfterDays int `json:"coldTierAfterDays"`
	// ReplicationRegion receives copies of the lake and backup buckets; empty disables.
	ReplicationRegion string `json:"replicationRegion"`
	// MinIO configures the in-cluster S3-compatible store on the kubernetes target.
	MinIO MinIO `json:"minio"`
}

// MinIO is the in-cluster S3-compatible store of the kubernetes target.
type MinIO struct {
	// Image is the pinned server image; the community images are frozen upstream, so it is a setting.
	Image string `json:"image"`
	// Replicas is the number of server pods; 4 or more gives erasure coding.
	Replicas int `json:"replicas"`
	// VolumeSizeGiB is each pod's drive.
	VolumeSizeGiB int `json:"volumeSizeGiB"`
	// Compute sizes each server pod.
	Compute Compute `json:"compute"`
}

// Dremio configures the lakehouse engine (`dataplatform:dremio`).
type Dremio struct {
	// Image is the pinned dremio/dremio-oss image.
	Image string `json:"image"`
	// Coordinator sizes the coordinator pod.
	Coordinator Compute `json:"coordinator"`
	// Executors is the executor StatefulSet's replica count.
	Executors int `json:"executors"`
	// Executor sizes each executor (design table: 8 CPU/16 GB, scaling to 16/32).
	Executor Compute `json:"executor"`
	// ExecutorVolumeGiB is each executor's spill and cache volume.
	ExecutorVolumeGiB int `json:"executorVolumeGiB"`
	// CoordinatorVolumeGiB is the coordinator's KV-store volume.
	CoordinatorVolumeGiB int `json:"coordinatorVolumeGiB"`
	// ZooKeeperReplicas is the ensemble size (1 or an odd number ≥ 3).
	ZooKeeperReplicas int `json:"zookeeperReplicas"`
	// ZooKeeperImage is the pinned ZooKeeper image.
	ZooKeeperImage string `json:"zookeeperImage"`
	// TokenProxyImage is the pinned azure-workload-identity proxy image, run on azure as a native
	// sidecar of the Dremio pods so that Hadoop's MsiTokenProvider gets workload identity tokens.
	TokenProxyImage string `json:"tokenProxyImage"`
}

// Airbyte configures ingestion (`dataplatform:airbyte`).
type Airbyte struct {
	// ChartVersion pins the Airbyte chart V2.
	ChartVersion string `json:"chartVersion"`
	// Worker sizes each worker (design table: 2 CPU/4 GB, scaling to 4/8).
	Worker Compute `json:"worker"`
	// WorkerMinReplicas and WorkerMaxReplicas bound the worker autoscaler (prod 2–10).
	WorkerMinReplicas int `json:"workerMinReplicas"`
	WorkerMaxReplicas int `json:"workerMaxReplicas"`
	// StorageCredentialsSecret optionally names, on gcp and azure, a Kubernetes Secret you manage (in
	// the apps and jobs namespaces) holding Airbyte's storage credential: "gcp.json" (a service-account
	// key) on gcp, "AZURE_STORAGE_CONNECTION_STRING" on azure. Airbyte's GCS and Azure storage clients
	// support no workload identity, so by default the platform mints the credential itself (a key of
	// Airbyte's own bucket-scoped Google service account; the key of a storage account that holds only
	// Airbyte's container) and writes the Secret; name your own to keep the key out of Pulumi state
	// (External Secrets Operator, say). Ignored on aws and kubernetes.
	StorageCredentialsSecret string `json:"storageCredentialsSecret"`
}

// Dbt configures scheduled dbt runs (`dataplatform:dbt`).
type Dbt struct {
	// Image is the user's dbt project image (with dbt-dremio); empty uses the registry the
	// platform creates with tag ImageTag.
	Image string `json:"image"`
	// ImageTag is the tag used with the platform's registry when Image is empty.
	ImageTag string `json:"imageTag"`
	// Schedule is the CronJob schedule (five-field cron).
	Schedule string `json:"schedule"`
	// Registry is, on the kubernetes target, the registry host the image is pulled from.
	Registry string `json:"registry"`
}
