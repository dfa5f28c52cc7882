package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

var (
	dnsLabel       = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	dnsName        = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	gcpProjectID   = regexp.MustCompile(`^[a-z][-a-z0-9]{4,28}[a-z0-9]$`)
	nameSuffix     = regexp.MustCompile(`^[a-z0-9]{4,8}$`)
	k8sMinor       = regexp.MustCompile(`^1\.[0-9]{2}$`)
	semver         = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	cronField      = regexp.MustCompile(`^[-0-9*/,A-Za-z?]+$`)
	postgresMajors = []string{"14", "15", "16", "17"}
	gkeChannels    = []string{"RAPID", "REGULAR", "STABLE"}
	// cloudWatchRetention are the retention periods CloudWatch Logs accepts.
	cloudWatchRetention = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// Validate checks a fully defaulted configuration and returns every problem. Parse calls it; a Go
// program that builds a Platform itself should call it before creating components.
func Validate(p *Platform) Problems {
	v := validator{p: p}
	v.scalars()
	v.network()
	v.inCluster()
	v.cluster()
	v.metadataDB()
	v.objectStore()
	v.dremio()
	v.airbyte()
	v.dbt()
	v.gcp()
	v.aws()
	v.azure()
	v.edge()
	v.observability()
	v.superset()
	v.elasticsearch()
	v.logging()
	return v.problems
}

type validator struct {
	p        *Platform
	problems Problems
}

func (v *validator) add(key string, value any, allowed string, args ...any) {
	v.problems.add(FullKey(key), fmt.Sprint(value), fmt.Sprintf(allowed, args...))
}

func (v *validator) prod() bool  { return v.p.Environment == Prod }
func (v *validator) cloud() bool { return v.p.Cloud != Kubernetes }

// atLeast checks an integer lower bound, naming the environment floor when one applies.
func (v *validator) atLeast(key string, got, min int, why string) {
	if got < min {
		v.add(key, got, "an integer ≥ %d%s", min, why)
	}
}

func (v *validator) prodFloor(key string, got, prodMin int) {
	if v.prod() {
		v.atLeast(key, got, prodMin, " (the prod floor)")
	}
}

func (v *validator) prodRequires(key string, got bool) {
	if v.prod() && !got {
		v.add(key, got, "true in prod")
	}
}

func (v *validator) region(key, region string, required bool) {
	if !v.cloud() {
		return
	}
	if region == "" {
		if required {
			v.add(key, "", "a %s region, e.g. %s", v.p.Cloud, Regions[v.p.Cloud][0])
		}
		return
	}
	if !contains(Regions[v.p.Cloud], region) {
		v.add(key, region, "a %s region (%s)", v.p.Cloud, strings.Join(Regions[v.p.Cloud], ", "))
	}
}

func (v *validator) scalars() {
	p := v.p
	v.region(KeyRegion, p.Region, true)
	if p.Domain != "" && !dnsName.MatchString(p.Domain) {
		v.add(KeyDomain, p.Domain, "a lower-case DNS name such as data.example.com")
	}
	if p.Cloud == GCP && !gcpProjectID.MatchString(p.GCPProject) {
		v.add(KeyGCPProject, p.GCPProject, "a Google Cloud project ID (6–30 characters: lower-case letters, digits, hyphens)")
	}
	if p.NameSuffix != "" && !nameSuffix.MatchString(p.NameSuffix) {
		v.add(KeyNameSuffix, p.NameSuffix, "4–8 lower-case letters and digits, or empty to derive one from the account and stack")
	}
	for k, val := range p.Tags {
		if k == "" || len(k) > 128 || len(val) > 256 {
			v.add(KeyTags+"."+k, val, "tag keys of 1–128 characters and values of at most 256")
		}
	}
}

func (v *validator) network() {
	n := v.p.Network
	vpc, ok := v.cidr("network.cidr", n.CIDR, 16, 20)
	if ok && !vpc.Addr().IsPrivate() {
		v.add("network.cidr", n.CIDR, "a private (RFC 1918) range")
	}
	pods, podsOK := v.cidr("network.podCidr", n.PodCIDR, 8, 20)
	svcs, svcsOK := v.cidr("network.serviceCidr", n.ServiceCIDR, 8, 24)
	if ok && podsOK && vpc.Overlaps(pods) {
		v.add("network.podCidr", n.PodCIDR, "a range that does not overlap network.cidr %s", n.CIDR)
	}
	if ok && svcsOK && vpc.Overlaps(svcs) {
		v.add("network.serviceCidr", n.ServiceCIDR, "a range that does not overlap network.cidr %s", n.CIDR)
	}
	if podsOK && svcsOK && pods.Overlaps(svcs) {
		v.add("network.serviceCidr", n.ServiceCIDR, "a range that does not overlap network.podCidr %s", n.PodCIDR)
	}
	if cp, cpOK := v.cidr("network.controlPlaneCidr", n.ControlPlaneCIDR, 28, 28); cpOK {
		for _, other := range []struct {
			key string
			p   netip.Prefix
			ok  bool
		}{{"network.cidr", vpc, ok}, {"network.podCidr", pods, podsOK}, {"network.serviceCidr", svcs, svcsOK}} {
			if other.ok && other.p.Overlaps(cp) {
				v.add("network.controlPlaneCidr", n.ControlPlaneCIDR, "a /28 that does not overlap %s", other.key)
			}
		}
	}
	if psa, psaOK := v.cidr("network.privateServiceCidr", n.PrivateServiceCIDR, 8, 24); psaOK {
		for _, other := range []struct {
			key string
			p   netip.Prefix
			ok  bool
		}{{"network.cidr", vpc, ok}, {"network.podCidr", pods, podsOK}, {"network.serviceCidr", svcs, svcsOK}} {
			if other.ok && other.p.Overlaps(psa) {
				v.add("network.privateServiceCidr", n.PrivateServiceCIDR, "a range that does not overlap %s", other.key)
			}
		}
	}
	if v.p.Cloud == AWS && !contains(cloudWatchRetention, n.FlowLogRetentionDays) {
		v.add("network.flowLogRetentionDays", n.FlowLogRetentionDays, "a CloudWatch Logs retention: %v", cloudWatchRetention)
	}
	if n.AvailabilityZones < 2 || n.AvailabilityZones > 3 {
		v.add("network.availabilityZones", n.AvailabilityZones, "2 or 3")
	}
	v.prodFloor("network.availabilityZones", n.AvailabilityZones, 3)
	if v.p.Cloud == AWS {
		if n.NATGateways != 1 && n.NATGateways != n.AvailabilityZones {
			v.add("network.natGateways", n.NATGateways, "1, or one per zone (%d)", n.AvailabilityZones)
		}
		if v.prod() && n.NATGateways != n.AvailabilityZones {
			v.add("network.natGateways", n.NATGateways, "one per zone (%d) in prod, so a zone outage does not cut egress", n.AvailabilityZones)
		}
	}
	v.atLeast("network.flowLogRetentionDays", n.FlowLogRetentionDays, 1, "")
	seen := map[string]bool{}
	for field, ns := range map[string]string{"apps": n.Namespaces.Apps, "data": n.Namespaces.Data, "jobs": n.Namespaces.Jobs} {
		switch {
		case !dnsLabel.MatchString(ns):
			v.add("network.namespaces."+field, ns, "a DNS label (lower-case letters, digits, '-', at most 63)")
		case seen[ns]:
			v.add("network.namespaces."+field, ns, "a name distinct from the other platform namespaces")
		}
		seen[ns] = true
	}
}

// cidr parses an IPv4 CIDR and checks its prefix length.
func (v *validator) cidr(key, value string, minBits, maxBits int) (netip.Prefix, bool) {
	prefix, err := netip.ParsePrefix(value)
	if err != nil || !prefix.Addr().Is4() || prefix.Masked() != prefix {
		v.add(key, value, "an IPv4 CIDR block with its host bits zero, e.g. 10.40.0.0/16")
		return prefix, false
	}
	if prefix.Bits() < minBits || prefix.Bits() > maxBits {
		v.add(key, value, "a prefix length from /%d to /%d", minBits, maxBits)
		return prefix, false
	}
	return prefix, true
}

func (v *validator) cluster() {
	c := v.p.Cluster
	for _, sc := range []struct{ key, name string }{{"cluster.storageClasses.fastSsd", c.StorageClasses.FastSSD}, {"cluster.storageClasses.standard", c.StorageClasses.Standard}} {
		if sc.name != "" && !dnsLabel.MatchString(sc.name) {
			v.add(sc.key, sc.name, "a StorageClass name (DNS label)")
		}
		if sc.name == "" && v.cloud() {
			v.add(sc.key, sc.name, "a StorageClass name for the cluster component to create")
		}
	}
	if !v.cloud() {
		return
	}
	if !k8sMinor.MatchString(c.KubernetesVersion) || c.KubernetesVersion < MinKubernetesVersion {
		// Two-digit minors compare as strings. Dremio's Azure token proxy is a native sidecar (1.29+).
		v.add("cluster.kubernetesVersion", c.KubernetesVersion, "a Kubernetes minor version from %s (native sidecars) such as %s", MinKubernetesVersion, DefaultKubernetesVersion)
	}
	switch c.EndpointAccess {
	case PrivateEndpoint:
	case PublicAndPrivateEndpoint:
		if v.prod() {
			v.add("cluster.endpointAccess", c.EndpointAccess, "private in prod (reach the API through the VPC, a bastion or a VPN)")
		} else if len(c.PublicAccessCIDRs) == 0 {
			v.add("cluster.publicAccessCidrs", "[]", "at least one CIDR allowed to reach the public endpoint (never implicitly the whole internet)")
		}
	default:
		v.add("cluster.endpointAccess", c.EndpointAccess, "private or public-and-private")
	}
	for i, cidr := range c.PublicAccessCIDRs {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			v.add(fmt.Sprintf("cluster.publicAccessCidrs[%d]", i), cidr, "a CIDR block such as 203.0.113.0/24")
		}
	}
	if v.p.Cloud == GCP && !contains(gkeChannels, c.ReleaseChannel) {
		v.add("cluster.releaseChannel", c.ReleaseChannel, "one of %s", strings.Join(gkeChannels, ", "))
	}
	v.pool("cluster.systemPool", c.SystemPool)
	v.pool("cluster.workloadPool", c.WorkloadPool)
}

func (v *validator) pool(key string, np NodePool) {
	if np.MachineType == "" {
		v.add(key+".machineType", "", "a %s machine type", v.p.Cloud)
	}
	v.atLeast(key+".minNodes", np.MinNodes, 1, "")
	if np.MaxNodes < np.MinNodes {
		v.add(key+".maxNodes", np.MaxNodes, "an integer ≥ minNodes (%d)", np.MinNodes)
	}
	v.atLeast(key+".diskSizeGiB", np.DiskSizeGiB, 20, "")
	if v.prod() && np.Spot {
		v.add(key+".spot", np.Spot, "false in prod: spot capacity can be reclaimed at any time")
	}
	v.prodFloor(key+".minNodes", np.MinNodes, 2)
}

func (v *validator) compute(key string, c Compute, minMemGiB float64) {
	if c.CPU <= 0 {
		v.add(key+".cpu", c.CPU, "a number of cores > 0")
	}
	if c.MemoryGiB < minMemGiB {
		v.add(key+".memoryGiB", c.MemoryGiB, "at least %g GiB", minMemGiB)
	}
}

func (v *validator) metadataDB() {
	db := v.p.MetadataDB
	const k = "metadataDb."
	if !contains(postgresMajors, db.Version) {
		v.add(k+"version", db.Version, "a PostgreSQL major version: %s", strings.Join(postgresMajors, ", "))
	}
	if v.cloud() && db.InstanceClass == "" {
		v.add(k+"instanceClass", "", "a %s database instance class", v.p.Cloud)
	}
	v.compute(k+"compute", db.Compute, 0.5)
	v.atLeast(k+"storageGiB", db.StorageGiB, 20, "")
	if db.MaxStorageGiB != 0 && db.MaxStorageGiB < db.StorageGiB {
		v.add(k+"maxStorageGiB", db.MaxStorageGiB, "0 (no autoscaling) or ≥ storageGiB (%d)", db.StorageGiB)
	}
	if db.Instances < 1 || db.Instances > 9 {
		v.add(k+"instances", db.Instances, "1 to 9")
	}
	v.prodFloor(k+"instances", db.Instances, 3)
	if db.BackupRetentionDays > 35 {
		v.add(k+"backupRetentionDays", db.BackupRetentionDays, "at most 35 days (the managed services' limit)")
	}
	v.atLeast(k+"backupRetentionDays", db.BackupRetentionDays, v.p.Profile.MinBackupRetentionDays,
		fmt.Sprintf(" (the %s floor)", v.p.Environment))
	v.prodRequires(k+"highAvailability", db.HighAvailability)
	v.prodRequires(k+"pointInTimeRecovery", db.PointInTimeRecovery)
	v.prodRequires(k+"deletionProtection", db.DeletionProtection)
	v.region(k+"drRegion", db.DRRegion, false)
	if v.prod() && (v.p.Cloud == AWS || v.p.Cloud == GCP) && db.DRRegion == "" {
		v.add(k+"drRegion", "", "a second %s region receiving backup copies in prod (RPO 15 min survives a region loss)", v.p.Cloud)
	}
	if db.DRRegion != "" && db.DRRegion == v.p.Region {
		v.add(k+"drRegion", db.DRRegion, "a region other than the primary region %s", v.p.Region)
	}
	if f := strings.Fields(db.BackupSchedule); len(f) != 6 || !allMatch(f, cronField) {
		v.add(k+"backupSchedule", db.BackupSchedule, "a six-field cron expression with seconds first, e.g. \"0 0 * * * *\"")
	}
}

func (v *validator) objectStore() {
	o := v.p.ObjectStore
	const k = "objectStore."
	v.prodRequires(k+"versioning", o.Versioning)
	v.atLeast(k+"noncurrentVersionDays", o.NoncurrentVersionDays, 1, "")
	if o.ColdTierAfterDays != 0 && o.ColdTierAfterDays < 30 {
		v.add(k+"coldTierAfterDays", o.ColdTierAfterDays, "0 (off) or ≥ 30 days (infrequent-access tiers bill 30 days minimum)")
	}
	v.region(k+"replicationRegion", o.ReplicationRegion, false)
	if v.prod() && (v.p.Cloud == AWS || v.p.Cloud == GCP) && o.ReplicationRegion == "" {
		v.add(k+"replicationRegion", "", "a second %s region receiving copies of the lake and backups in prod", v.p.Cloud)
	}
	if o.ReplicationRegion != "" && o.ReplicationRegion == v.p.Region {
		v.add(k+"replicationRegion", o.ReplicationRegion, "a region other than the primary region %s", v.p.Region)
	}
	if v.p.Cloud != Kubernetes {
		return
	}
	m := o.MinIO
	v.pinnedImage(k+"minio.image", m.Image)
	if m.Replicas != 1 && m.Replicas < 4 {
		v.add(k+"minio.replicas", m.Replicas, "1 (single drive) or ≥ 4 (erasure coding)")
	}
	v.prodFloor(k+"minio.replicas", m.Replicas, 4)
	v.atLeast(k+"minio.volumeSizeGiB", m.VolumeSizeGiB, 10, "")
	v.compute(k+"minio.compute", m.Compute, 0.5)
}

func (v *validator) dremio() {
	d := v.p.Dremio
	const k = "dremio."
	v.pinnedImage(k+"image", d.Image)
	v.pinnedImage(k+"zookeeperImage", d.ZooKeeperImage)
	if v.p.Cloud == Azure {
		// Only azure runs the token proxy sidecar (ADLS).
		v.pinnedImage(k+"tokenProxyImage", d.TokenProxyImage)
	}
	// Dremio refuses to start an executor or coordinator with less than 4 GiB.
	v.compute(k+"coordinator", d.Coordinator, 4)
	v.compute(k+"executor", d.Executor, 4)
	v.atLeast(k+"executors", d.Executors, 1, "")
	v.prodFloor(k+"executors", d.Executors, 3)
	v.atLeast(k+"executorVolumeGiB", d.ExecutorVolumeGiB, 10, "")
	v.atLeast(k+"coordinatorVolumeGiB", d.CoordinatorVolumeGiB, 10, "")
	if d.ZooKeeperReplicas < 1 || d.ZooKeeperReplicas%2 == 0 {
		v.add(k+"zookeeperReplicas", d.ZooKeeperReplicas, "an odd number (1, 3, 5) so the ensemble keeps a quorum")
	}
	v.prodFloor(k+"zookeeperReplicas", d.ZooKeeperReplicas, 3)
}

func (v *validator) airbyte() {
	a := v.p.Airbyte
	const k = "airbyte."
	if !semver.MatchString(a.ChartVersion) {
		v.add(k+"chartVersion", a.ChartVersion, "an exact chart version such as %s", AirbyteChartVersion)
	}
	v.compute(k+"worker", a.Worker, 1)
	v.atLeast(k+"workerMinReplicas", a.WorkerMinReplicas, 1, "")
	v.prodFloor(k+"workerMinReplicas", a.WorkerMinReplicas, 2)
	if a.StorageCredentialsSecret != "" && !dnsLabel.MatchString(a.StorageCredentialsSecret) {
		v.add(k+"storageCredentialsSecret", a.StorageCredentialsSecret, "empty (the platform mints Airbyte's %s storage credential) or the name of a Secret you manage in the apps and jobs namespaces (a DNS label)", v.p.Cloud)
	}
	if a.WorkerMaxReplicas < a.WorkerMinReplicas {
		v.add(k+"workerMaxReplicas", a.WorkerMaxReplicas, "an integer ≥ workerMinReplicas (%d)", a.WorkerMinReplicas)
	}
}

func (v *validator) dbt() {
	d := v.p.Dbt
	const k = "dbt."
	if f := strings.Fields(d.Schedule); len(f) != 5 || !allMatch(f, cronField) {
		v.add(k+"schedule", d.Schedule, "a five-field cron expression, e.g. \"0 3 * * *\"")
	}
	if d.Image != "" {
		v.pinnedImage(k+"image", d.Image)
	} else if v.p.Cloud == Kubernetes && d.Registry == "" {
		v.add(k+"registry", "", "the registry host your dbt project image is pushed to (e.g. localhost:5001 for kind), or set dbt.image")
	}
	if d.ImageTag == "latest" {
		v.add(k+"imageTag", d.ImageTag, "an immutable tag of your dbt project image (not latest)")
	}
}

// pinnedImage refuses images without a tag or digest, and the moving "latest" tag.
func (v *validator) pinnedImage(key, image string) {
	name := image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	tag := ""
	if i := strings.Index(name, ":"); i >= 0 {
		tag = name[i+1:]
	}
	if image == "" || (tag == "" && !strings.Contains(image, "@sha256:")) || tag == "latest" {
		v.add(key, image, "an image pinned to a version tag or digest, e.g. repository:1.2.3")
	}
}

func allMatch(fields []string, re *regexp.Regexp) bool {
	for _, f := range fields {
		if !re.MatchString(f) {
			return false
		}
	}
	return true
}
