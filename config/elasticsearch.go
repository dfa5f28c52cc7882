package config

import (
	"fmt"
	"regexp"
	"time"
)

// KeyElasticsearch is Elasticsearch's configuration object (`dataplatform:elasticsearch`).
const KeyElasticsearch = "elasticsearch"

func init() { Keys = append(Keys, KeyElasticsearch) }

// ElasticsearchVersion is the Elasticsearch and Kibana version: the stack version ECK 3.5.0 ships its
// samples with and runs its end-to-end tests against (cloud-on-k8s v3.5.0
// config/samples/elasticsearch/elasticsearch.yaml and .buildkite/e2e/release-branch-matrix.yaml: "current
// stack version 9.4.3").
const ElasticsearchVersion = "9.4.3"

// elasticsearchTargets are the targets Elasticsearch is implemented on: the kubernetes target (snapshots
// to MinIO with a scoped key pair), GCP (snapshots to GCS through GKE Workload Identity, the grant
// scoped to the snapshot prefix by an IAM condition), AWS (snapshots to S3 through IRSA — EKS Pod
// Identity is read only from Elasticsearch 9.6 — the role's policy scoped to the prefix) and Azure
// (snapshots to the ADLS account's backups container through AKS workload identity, the federated
// token under config/azure/tokens, the role assignment scoped to the prefix by an ABAC condition).
var elasticsearchTargets = map[Cloud]bool{Kubernetes: true, GCP: true, AWS: true, Azure: true}

// Elasticsearch configures the search and log store (`dataplatform:elasticsearch`): an Elasticsearch
// cluster run by the ECK operator, its Kibana behind the edge, and snapshots to the object store.
type Elasticsearch struct {
	// Enabled deploys Elasticsearch and Kibana. Default off: on a cluster the platform does not size
	// (the kubernetes target) it asks for several cores and tens of GiB of guaranteed memory, and an
	// ECK already on the cluster would collide with the operator's cluster-wide objects. Implemented
	// on kubernetes, gcp, aws and azure (elasticsearchTargets).
	Enabled *bool `json:"enabled"`
	// ZoneAwareness spreads each node set across topology.kubernetes.io/zone and makes shard
	// allocation zone-aware (default true in prod on aws, gcp and azure, false otherwise). ECK then requires
	// the zone label on every node (cloud-on-k8s@v3.5.0 pkg/controller/elasticsearch/nodespec/
	// podspec.go zoneAwarenessSchedulingDirectives: a required node affinity and DoNotSchedule
	// spread), so only turn it on where the nodes carry it: EKS, GKE and AKS nodes always do (the
	// well-known label the kubelet's cloud provider sets; on AKS "<region>-<zone>" —
	// azure-docs articles/aks/availability-zones.md — or, in a pool without zones, the fault
	// domain's number, so the label is always there), kind, k3d and most
	// on-premises clusters do not. Without it ECK's only spread is a preferred hostname anti-affinity
	// (nodespec/defaults.go DefaultAffinity), so prod's three masters may share a zone.
	ZoneAwareness bool `json:"zoneAwareness"`
	// Version is the Elasticsearch and Kibana version, 9.x.y (default ElasticsearchVersion).
	Version string `json:"version"`
	// Masters is the number of dedicated master nodes: 0 (the data nodes are master-eligible, as in
	// dev and staging) or an odd number ≥ 3 (prod default 3).
	Masters int `json:"masters"`
	// DataNodes is the number of data nodes (dev 1, staging 3, prod 3). Without dedicated masters it
	// is 1 or at least 3, since two master-eligible nodes cannot survive the loss of either.
	DataNodes int `json:"dataNodes"`
	// Master and Data size each node: cores, memory (requests = limits; the JVM heap is half of it),
	// and its volume on the fast storage class.
	Master ElasticsearchNode `json:"master"`
	Data   ElasticsearchNode `json:"data"`
	// KibanaReplicas is the number of Kibana pods (dev/staging 1, prod 2).
	KibanaReplicas int `json:"kibanaReplicas"`
	// SnapshotRetentionDays is how long snapshots are kept (default: the environment's backup
	// retention floor, at least 7 days).
	SnapshotRetentionDays int `json:"snapshotRetentionDays"`
}

// ElasticsearchNode sizes one node of a node set.
type ElasticsearchNode struct {
	CPU       float64 `json:"cpu"`
	MemoryGiB float64 `json:"memoryGiB"`
	VolumeGiB int     `json:"volumeGiB"`
}

// On reports whether the stack deploys Elasticsearch.
func (e Elasticsearch) On() bool { return e.Enabled != nil && *e.Enabled }

// SnapshotSchedule is the SLM schedule (Elasticsearch cron: seconds minutes hours day month weekday)
// that takes a snapshot at least once per RPO.
func SnapshotSchedule(rpo time.Duration) string {
	switch {
	case rpo < time.Hour:
		m := max(int(rpo/time.Minute), 1)
		return fmt.Sprintf("0 0/%d * * * ?", m)
	case rpo < 24*time.Hour:
		return fmt.Sprintf("0 0 0/%d * * ?", int(rpo/time.Hour))
	default:
		return "0 30 1 * * ?"
	}
}

// SnapshotsPerDay is how many snapshots SnapshotSchedule(rpo) takes in a day (1 for a daily schedule):
// "0/m" fires at every multiple of m from 0 within its field, so ceil(60/m) times an hour.
func SnapshotsPerDay(rpo time.Duration) int {
	ceil := func(a, b int) int { return (a + b - 1) / b }
	switch {
	case rpo < time.Hour:
		return 24 * ceil(60, max(int(rpo/time.Minute), 1))
	case rpo < 24*time.Hour:
		return ceil(24, int(rpo/time.Hour))
	default:
		return 1
	}
}

// esZoneLabelled are the targets whose nodes always carry topology.kubernetes.io/zone.
var esZoneLabelled = map[Cloud]bool{AWS: true, GCP: true, Azure: true}

func elasticsearchDefaults(cloud Cloud, env Environment) Elasticsearch {
	e := Elasticsearch{
		Version: ElasticsearchVersion, DataNodes: 1, KibanaReplicas: 1,
		Master:                ElasticsearchNode{CPU: 1, MemoryGiB: 2, VolumeGiB: 10},
		Data:                  ElasticsearchNode{CPU: 1, MemoryGiB: 4, VolumeGiB: 30},
		SnapshotRetentionDays: 7,
	}
	switch env {
	case Staging:
		e.DataNodes = 3
		e.Data = ElasticsearchNode{CPU: 2, MemoryGiB: 4, VolumeGiB: 50}
	case Prod:
		e.Masters, e.DataNodes, e.KibanaReplicas = 3, 3, 2
		e.Data = ElasticsearchNode{CPU: 2, MemoryGiB: 8, VolumeGiB: 100}
		e.SnapshotRetentionDays = 30
		e.ZoneAwareness = esZoneLabelled[cloud]
	}
	return e
}

var esVersion = regexp.MustCompile(`^9\.[0-9]+\.[0-9]+$`)

// elasticsearch checks Elasticsearch's settings.
func (v *validator) elasticsearch() {
	p := v.p
	e := &p.Elasticsearch
	if e.Enabled == nil {
		off := false
		e.Enabled = &off
	}
	if !e.On() {
		return
	}
	const k = KeyElasticsearch + "."
	if !elasticsearchTargets[p.Cloud] {
		v.add(k+"enabled", true, "false on %s: Elasticsearch is implemented on the kubernetes, gcp, aws and azure targets only", p.Cloud)
		return
	}
	if !esVersion.MatchString(e.Version) {
		v.add(k+"version", e.Version, "an Elasticsearch 9.x.y version (ECK 3.5.0 runs 9.x; default %s)", ElasticsearchVersion)
	}
	switch {
	case e.Masters < 0 || (e.Masters > 0 && (e.Masters < 3 || e.Masters%2 == 0)):
		v.add(k+"masters", e.Masters, "0 (data nodes are master-eligible) or an odd number ≥ 3")
	case v.prod() && e.Masters < 3:
		v.add(k+"masters", e.Masters, "at least 3 in prod: dedicated masters keep a quorum while a data node is busy or lost")
	}
	switch {
	case e.DataNodes < 1:
		v.add(k+"dataNodes", e.DataNodes, "an integer ≥ 1")
	case e.Masters == 0 && e.DataNodes == 2:
		v.add(k+"dataNodes", e.DataNodes, "1 or ≥ 3 without dedicated masters: two master-eligible nodes lose the quorum with either")
	case v.prod() && e.DataNodes < 3:
		v.add(k+"dataNodes", e.DataNodes, "at least 3 in prod: one replica of every shard in another zone")
	}
	for name, n := range map[string]ElasticsearchNode{"data": e.Data, "master": e.Master} {
		if name == "master" && e.Masters == 0 {
			continue
		}
		if n.CPU <= 0 {
			v.add(k+name+".cpu", n.CPU, "a number of cores > 0")
		}
		// Elasticsearch sizes its heap at half the container's memory; below 2 GiB the heap is
		// under 1 GiB, the smallest Elastic supports for a node.
		if n.MemoryGiB < 2 || n.MemoryGiB > 64 {
			v.add(k+name+".memoryGiB", n.MemoryGiB, "2–64 GiB: the heap is half of it, and above a 31 GiB heap the JVM loses compressed pointers")
		}
		if n.VolumeGiB < 1 {
			v.add(k+name+".volumeGiB", n.VolumeGiB, "an integer ≥ 1 (GiB)")
		}
	}
	if e.KibanaReplicas < 1 {
		v.add(k+"kibanaReplicas", e.KibanaReplicas, "an integer ≥ 1")
	} else if v.prod() && e.KibanaReplicas < 2 {
		v.add(k+"kibanaReplicas", e.KibanaReplicas, "at least 2 in prod")
	}
	if e.SnapshotRetentionDays < max(p.Profile.MinBackupRetentionDays, 1) {
		v.add(k+"snapshotRetentionDays", e.SnapshotRetentionDays, "at least %d days in %s", max(p.Profile.MinBackupRetentionDays, 1), p.Environment)
	}
}
