package config

import "time"

// ProfileFor returns the service levels the design document sets for an environment.
func ProfileFor(env Environment) Profile {
	switch env {
	case Prod:
		return Profile{Environment: Prod, AvailabilityPercent: 99.9, RTO: time.Hour, RPO: 15 * time.Minute, MinBackupRetentionDays: 7}
	case Staging:
		return Profile{Environment: Staging, AvailabilityPercent: 99, RTO: 4 * time.Hour, RPO: 4 * time.Hour, MinBackupRetentionDays: 3}
	default:
		return Profile{Environment: Dev, AvailabilityPercent: 95, RTO: 24 * time.Hour, RPO: 24 * time.Hour, MinBackupRetentionDays: 1}
	}
}

// Pinned versions. They are defaults, overridable per stack; bump them here in one place.
const (
	DefaultKubernetesVersion = "1.34"
	// MinKubernetesVersion is the oldest control plane the platform deploys to: native sidecar
	// containers (Dremio's token proxy on Azure) are on by default from 1.29.
	MinKubernetesVersion   = "1.29"
	DefaultPostgresVersion = "16"
	// DremioImage is the last open-source Dremio line; the OSS chart is deprecated, the image is not.
	DremioImage = "dremio/dremio-oss:25.2.0"
	// DremioTokenProxyImage is the azure-workload-identity token proxy Dremio's pods run as a native
	// sidecar on azure: the image's hadoop-azure 3.3.6 authenticates through its MsiTokenProvider,
	// which the proxy answers with a workload identity token.
	DremioTokenProxyImage = "mcr.microsoft.com/oss/azure/workload-identity/proxy:v1.6.0"
	ZooKeeperImage        = "zookeeper:3.9.3"
	// MinIOImage is the final community release; community images are frozen upstream (BRIEF §3),
	// so this is only a default — point it at a mirror you control.
	MinIOImage          = "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z"
	AirbyteChartVersion = "2.0.19"
)

// Defaults returns the full configuration for a cloud and environment before any stack value applies.
// The sizes follow the design document: dev is one small node, staging is multi-node, prod is
// clustered with the vertical-scaling table's initial sizes.
func Defaults(cloud Cloud, env Environment) Platform {
	p := Platform{
		Cloud:       cloud,
		Environment: env,
		Region:      defaultRegion[cloud],
		Tags:        map[string]string{},
		Profile:     ProfileFor(env),
		Network: Network{
			CIDR:                 "10.40.0.0/16",
			AvailabilityZones:    3,
			NATGateways:          1,
			PodCIDR:              "10.64.0.0/14",
			ServiceCIDR:          "172.20.0.0/16",
			ControlPlaneCIDR:     "172.16.0.0/28",
			PrivateServiceCIDR:   "10.96.0.0/16",
			FlowLogRetentionDays: 30,
			Namespaces:           Namespaces{Apps: "dataplatform", Data: "dataplatform-data", Jobs: "dataplatform-jobs"},
			APIServerCIDRs:       DefaultAPIServerCIDRs(),
		},
		Cluster: Cluster{
			KubernetesVersion: DefaultKubernetesVersion,
			// Private by default: a public API needs the ranges allowed to reach it, which only the
			// stack can know (see Pulumi.staging.yaml).
			EndpointAccess: PrivateEndpoint,
			ReleaseChannel: "REGULAR",
			StorageClasses: StorageClasses{FastSSD: "fast-ssd", Standard: "standard"},
		},
		MetadataDB: MetadataDB{
			Version:             DefaultPostgresVersion,
			Compute:             Compute{CPU: 1, MemoryGiB: 2},
			StorageGiB:          20,
			MaxStorageGiB:       100,
			Instances:           1,
			BackupRetentionDays: 3,
			PointInTimeRecovery: true,
			BackupSchedule:      "0 0 2 * * *",
		},
		ObjectStore: ObjectStore{
			Versioning:            true,
			NoncurrentVersionDays: 30,
			ColdTierAfterDays:     90,
			MinIO:                 MinIO{Image: MinIOImage, Replicas: 1, VolumeSizeGiB: 50, Compute: Compute{CPU: 0.5, MemoryGiB: 1}},
		},
		Dremio: Dremio{
			Image:                DremioImage,
			Coordinator:          Compute{CPU: 2, MemoryGiB: 8},
			Executors:            1,
			Executor:             Compute{CPU: 2, MemoryGiB: 8},
			ExecutorVolumeGiB:    50,
			CoordinatorVolumeGiB: 20,
			ZooKeeperReplicas:    1,
			ZooKeeperImage:       ZooKeeperImage,
			TokenProxyImage:      DremioTokenProxyImage,
		},
		Airbyte: Airbyte{
			ChartVersion:      AirbyteChartVersion,
			Worker:            Compute{CPU: 1, MemoryGiB: 2},
			WorkerMinReplicas: 1,
			WorkerMaxReplicas: 2,
		},
		Dbt: Dbt{ImageTag: "1.0.0", Schedule: "0 3 * * *"},
	}
	if cloud == Kubernetes {
		// An existing cluster: use its default StorageClass unless the stack names one.
		p.Cluster.StorageClasses = StorageClasses{}
		p.Cluster.EndpointAccess = ""
		p.Cluster.KubernetesVersion = ""
		p.Cluster.ReleaseChannel = ""
	}
	if cloud != GCP {
		p.Cluster.ReleaseChannel = ""
	} else {
		// GKE ships an unmodifiable "standard" class (pd-standard); ours is pd-balanced.
		p.Cluster.StorageClasses.Standard = "standard-balanced"
	}
	if cloud != AWS {
		p.Network.NATGateways = 0 // only AWS counts NAT gateways; Azure NAT gateway and Cloud NAT are one per network.
	}

	switch env {
	case Staging:
		p.MetadataDB.Compute = Compute{CPU: 2, MemoryGiB: 4}
		p.MetadataDB.StorageGiB = 50
		p.MetadataDB.MaxStorageGiB = 200
		p.MetadataDB.Instances = 2
		p.MetadataDB.BackupRetentionDays = 7
		p.MetadataDB.BackupSchedule = "0 0 */6 * * *"
		p.ObjectStore.MinIO.Replicas = 4
		p.ObjectStore.MinIO.VolumeSizeGiB = 100
		p.ObjectStore.MinIO.Compute = Compute{CPU: 1, MemoryGiB: 2}
		p.Dremio.Executors = 2
		p.Dremio.Executor = Compute{CPU: 4, MemoryGiB: 8}
		p.Dremio.ExecutorVolumeGiB = 100
		p.Airbyte.WorkerMinReplicas = 1
		p.Airbyte.WorkerMaxReplicas = 4
	case Prod:
		// Design table, initial column: PostgreSQL 4 CPU/8 GB, Dremio executor 8/16, Airbyte worker 2/4.
		if cloud == AWS {
			p.Network.NATGateways = 3 // one per zone: a zone outage does not cut the others' egress
		}
		p.Network.FlowLogRetentionDays = 90
		p.MetadataDB.Compute = Compute{CPU: 4, MemoryGiB: 8}
		p.MetadataDB.StorageGiB = 100
		p.MetadataDB.MaxStorageGiB = 1000
		p.MetadataDB.HighAvailability = true
		p.MetadataDB.Instances = 3
		p.MetadataDB.BackupRetentionDays = 14
		p.MetadataDB.DeletionProtection = true
		p.MetadataDB.PerformanceInsights = true
		p.MetadataDB.BackupSchedule = "0 0 * * * *"
		p.MetadataDB.DRRegion = PairedRegion(cloud, p.Region)
		p.ObjectStore.ReplicationRegion = PairedRegion(cloud, p.Region)
		p.ObjectStore.NoncurrentVersionDays = 90
		p.ObjectStore.MinIO.Replicas = 4
		p.ObjectStore.MinIO.VolumeSizeGiB = 500
		p.ObjectStore.MinIO.Compute = Compute{CPU: 2, MemoryGiB: 8}
		p.Dremio.Coordinator = Compute{CPU: 4, MemoryGiB: 16}
		p.Dremio.Executors = 3
		p.Dremio.Executor = Compute{CPU: 8, MemoryGiB: 16}
		p.Dremio.ExecutorVolumeGiB = 200
		p.Dremio.CoordinatorVolumeGiB = 50
		p.Dremio.ZooKeeperReplicas = 3
		p.Airbyte.Worker = Compute{CPU: 2, MemoryGiB: 4}
		p.Airbyte.WorkerMinReplicas = 2
		p.Airbyte.WorkerMaxReplicas = 10
	}
	p.MetadataDB.InstanceClass = dbInstanceClass[cloud][env]
	p.Cluster.SystemPool = systemPool(cloud, env)
	p.Cluster.WorkloadPool = workloadPool(cloud, env)
	p.Elasticsearch = elasticsearchDefaults(cloud, env)
	gcpDefaults(&p)
	awsDefaults(&p)
	return p
}

var defaultRegion = map[Cloud]string{AWS: "eu-north-1", Azure: "swedencentral", GCP: "europe-north1", Kubernetes: ""}

// pairedRegions is the default disaster-recovery region of a primary region in prod. Azure is absent:
// its geo-redundant backups and GZRS storage replicate to the region's fixed pair by themselves.
var pairedRegions = map[Cloud]map[string]string{
	AWS: {
		"eu-north-1": "eu-west-1", "eu-west-1": "eu-central-1", "eu-central-1": "eu-west-1", "eu-west-2": "eu-west-1",
		"eu-west-3": "eu-central-1", "us-east-1": "us-west-2", "us-east-2": "us-west-2", "us-west-2": "us-east-1",
		"us-west-1": "us-east-1", "ca-central-1": "us-east-1", "ap-southeast-2": "ap-southeast-4",
		"ap-northeast-1": "ap-northeast-3", "ap-southeast-1": "ap-northeast-1", "ap-south-1": "ap-south-2",
	},
	GCP: {
		"europe-north1": "europe-west1", "europe-west1": "europe-west4", "europe-west4": "europe-west1",
		"europe-west3": "europe-west4", "europe-west2": "europe-west1", "us-central1": "us-east1",
		"us-east1": "us-central1", "us-east4": "us-central1", "us-west1": "us-central1",
		"asia-northeast1": "asia-northeast2", "asia-southeast1": "asia-east1", "australia-southeast1": "australia-southeast2",
	},
}

// PairedRegion is the default DR region for a primary region, or "" when there is none to assume.
func PairedRegion(cloud Cloud, region string) string { return pairedRegions[cloud][region] }

var dbInstanceClass = map[Cloud]map[Environment]string{
	AWS:   {Dev: "db.t4g.medium", Staging: "db.m7g.large", Prod: "db.m7g.xlarge"},
	Azure: {Dev: "Standard_B2s", Staging: "Standard_D2ds_v5", Prod: "Standard_D4ds_v5"},
	GCP:   {Dev: "db-custom-1-3840", Staging: "db-custom-2-7680", Prod: "db-custom-4-16384"},
}

// machineTypes holds, per cloud, the system pool type and the workload type per environment.
var machineTypes = map[Cloud]struct {
	system   string
	workload map[Environment]string
}{
	AWS:   {"m7i.large", map[Environment]string{Dev: "m7i.xlarge", Staging: "m7i.2xlarge", Prod: "m7i.4xlarge"}},
	Azure: {"Standard_D2s_v5", map[Environment]string{Dev: "Standard_D4s_v5", Staging: "Standard_D8s_v5", Prod: "Standard_D16s_v5"}},
	GCP:   {"e2-standard-2", map[Environment]string{Dev: "e2-standard-4", Staging: "n2-standard-8", Prod: "n2-standard-16"}},
}

func systemPool(cloud Cloud, env Environment) NodePool {
	if cloud == Kubernetes {
		return NodePool{}
	}
	pool := NodePool{MachineType: machineTypes[cloud].system, MinNodes: 1, MaxNodes: 2, DiskSizeGiB: 50}
	if env != Dev {
		pool.MinNodes, pool.MaxNodes = 2, 4
	}
	if env == Prod {
		pool.MinNodes = 3
	}
	return pool
}

func workloadPool(cloud Cloud, env Environment) NodePool {
	if cloud == Kubernetes {
		return NodePool{}
	}
	pool := NodePool{MachineType: machineTypes[cloud].workload[env], DiskSizeGiB: 100}
	switch env {
	case Dev:
		pool.MinNodes, pool.MaxNodes, pool.Spot = 1, 3, true
	case Staging:
		pool.MinNodes, pool.MaxNodes, pool.Spot = 2, 6, true
	case Prod:
		pool.MinNodes, pool.MaxNodes, pool.DiskSizeGiB = 3, 12, 200
	}
	return pool
}
