package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// GCP-specific settings, defaults and checks (issue 9). Kept in this file so they merge cleanly.

// GKEZone is the zonal GKE cluster's zone outside prod (`cluster.zone`); empty takes DefaultGKEZone.
// Chosen once: a different zone replaces the cluster.
func (c Cluster) GKEZone(region string) string {
	if c.Zone != "" {
		return c.Zone
	}
	return DefaultGKEZone(region)
}

// gkeDefaultZones is the first zone of the regions the platform knows; "-a" does not exist everywhere
// (europe-west1 and us-east1 start at "-b"). A region missing here leaves the choice to the cluster
// component, which takes the first zone of the region's full zone list.
var gkeDefaultZones = map[string]string{
	"europe-north1": "europe-north1-a", "europe-west1": "europe-west1-b", "europe-west2": "europe-west2-a",
	"europe-west3": "europe-west3-a", "europe-west4": "europe-west4-a", "us-central1": "us-central1-a",
	"us-east1": "us-east1-b", "us-east4": "us-east4-a", "us-west1": "us-west1-a",
	"asia-northeast1": "asia-northeast1-a", "asia-southeast1": "asia-southeast1-a", "asia-east1": "asia-east1-a",
	"australia-southeast1": "australia-southeast1-a",
}

// DefaultGKEZone is the stable default zone of a region, or "" when the platform has none.
func DefaultGKEZone(region string) string { return gkeDefaultZones[region] }

// gcpDefaults applies what only the gcp target has: prod promotes a cross-region read replica of Cloud
// SQL on a region loss, because its backups reach the DR region only once a day.
func gcpDefaults(p *Platform) {
	if p.Cloud == GCP && p.Environment == Prod {
		p.MetadataDB.DRReplica = true
	}
	if p.Cloud == GCP {
		p.Network.ProxyOnlyCIDR = DefaultProxyOnlyCIDR
		// The edge's Flight and JDBC routes are TLSRoute v1, which GKE serves from 1.35 (see
		// GKEEdgeMinKubernetesVersion); the release channel then keeps the patch current.
		p.Cluster.KubernetesVersion = GKEEdgeMinKubernetesVersion
	}
}

// GKEEdgeMinKubernetesVersion is the oldest GKE minor the gcp edge runs on. GKE owns the Gateway API
// CRDs: Gateway API 1.5.0 (standard channel, which has TLSRoute v1) from 1.35.2-gke.1842000, 1.4.0
// (no TLSRoute v1) on 1.34 (cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities,
// research wave2_edge_secrets_superset_ci.md §1c); the L4 edge's routes are TLSRoute v1
// (components/edge/envoygateway, TLSRoutes: true in stacks/gcp_edge.go). With a 1.35 minimum, the
// release channel (REGULAR by default) picks the 1.35 patch; a channel without 1.35.2-gke.1842000 yet
// fails at the cluster, not silently.
const GKEEdgeMinKubernetesVersion = "1.35"

// gcpEdge refuses a control plane too old for the edge's TLSRoutes.
func (v *validator) gcpEdge() {
	p := v.p
	p.edgeDefaults() // idempotent: v.edge() applies them again
	if !p.Edge.On() {
		return
	}
	if k := p.Cluster.KubernetesVersion; k8sMinor.MatchString(k) && k < GKEEdgeMinKubernetesVersion { // k8sMinor: two-digit minors compare as strings
		v.add("cluster.kubernetesVersion", k, "%s or later with the edge on (Flight and JDBC are TLSRoute v1, which GKE serves from 1.35.2-gke.1842000, Gateway API 1.5.0), or edge.enabled=false", GKEEdgeMinKubernetesVersion)
	}
}

// DefaultProxyOnlyCIDR is network.proxyOnlyCidr's default: a /23 (the size Google recommends,
// cloud.google.com/load-balancing/docs/proxy-only-subnets) beside the default nodes range 10.40.0.0/16.
const DefaultProxyOnlyCIDR = "10.41.0.0/23"

// The edge is implemented on gcp: GKE Gateway for the HTTP routes, Envoy Gateway for Flight and JDBC
// (components/edge/gkegateway, stacks/gcp_edge.go).
func init() { edgeTargets[GCP] = true }

// proxyOnlyCIDR checks network.proxyOnlyCidr: an IPv4 block of /26 or larger, apart from the other
// ranges of the VPC.
func (v *validator) proxyOnlyCIDR() {
	n := v.p.Network
	key := "network.proxyOnlyCidr"
	pr, err := netip.ParsePrefix(n.ProxyOnlyCIDR)
	if err != nil || !pr.Addr().Is4() || pr != pr.Masked() || pr.Bits() > 26 {
		v.add(key, n.ProxyOnlyCIDR, "an IPv4 CIDR without host bits, /26 or larger (/23 recommended), e.g. %s", DefaultProxyOnlyCIDR)
		return
	}
	for _, o := range []struct{ key, cidr string }{
		{"network.cidr", n.CIDR}, {"network.podCidr", n.PodCIDR}, {"network.serviceCidr", n.ServiceCIDR},
		{"network.controlPlaneCidr", n.ControlPlaneCIDR}, {"network.privateServiceCidr", n.PrivateServiceCIDR},
	} {
		if q, err := netip.ParsePrefix(o.cidr); err == nil && q.Overlaps(pr) {
			v.add(key, n.ProxyOnlyCIDR, "a range apart from %s (%s)", o.key, o.cidr)
		}
	}
}

var (
	gcpZone   = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+-[a-z]$`)
	gcpMember = regexp.MustCompile(`^((user|group|serviceAccount):[^@\s]+@[^@\s]+\.[^@\s]+|domain:[a-z0-9.-]+\.[a-z]{2,}|principal(Set)?://iam\.googleapis\.com/\S+)$`)
)

// gcp checks the gcp-only keys and that the default pods fit the workload pool's nodes.
func (v *validator) gcp() {
	p := v.p
	if p.Cloud != GCP {
		if p.MetadataDB.DRReplica {
			v.add("metadataDb.drReplica", true, "false: a cross-region Cloud SQL replica exists only on gcp")
		}
		if p.Network.ProxyOnlyCIDR != "" {
			v.add("network.proxyOnlyCidr", p.Network.ProxyOnlyCIDR, "unset: a proxy-only subnet exists only on gcp")
		}
		return
	}
	v.proxyOnlyCIDR()
	v.gcpEdge()
	c := p.Cluster
	if z := c.Zone; z != "" && (!gcpZone.MatchString(z) || !strings.HasPrefix(z, p.Region+"-")) {
		v.add("cluster.zone", z, "a zone of the region %s, e.g. %s-a", p.Region, p.Region)
	}
	seen := map[string]bool{}
	for i, m := range c.Admins {
		if !gcpMember.MatchString(m) || seen[m] {
			v.add(fmt.Sprintf("cluster.admins[%d]", i), m, "a distinct IAM member: user:EMAIL, group:EMAIL, serviceAccount:EMAIL, domain:DOMAIN, principal://… or principalSet://…")
		}
		seen[m] = true
	}
	for i, cidr := range c.PrivateAccessCIDRs {
		if pr, err := netip.ParsePrefix(cidr); err != nil || !pr.Addr().Is4() || pr != pr.Masked() || pr.Bits() == 0 {
			v.add(fmt.Sprintf("cluster.privateAccessCidrs[%d]", i), cidr, "an IPv4 CIDR without host bits, narrower than /0, e.g. 10.8.0.0/24 (a VPN or CI runner range)")
		}
	}
	if p.MetadataDB.DRReplica && p.MetadataDB.DRRegion == "" {
		v.add("metadataDb.drReplica", true, "false, or set metadataDb.drRegion: the replica runs there")
	}
	v.gkeFit()
}

// gceMachines are the vCPUs and memory (GiB) of the machine types the gcp defaults and the docs use.
var gceMachines = map[string]struct{ cpu, memGiB float64 }{
	"e2-standard-2": {2, 8}, "e2-standard-4": {4, 16}, "e2-standard-8": {8, 32}, "e2-standard-16": {16, 64},
	"e2-highmem-4": {4, 32}, "e2-highmem-8": {8, 64}, "e2-highmem-16": {16, 128},
	"n2-standard-4": {4, 16}, "n2-standard-8": {8, 32}, "n2-standard-16": {16, 64}, "n2-standard-32": {32, 128},
	"n2-highmem-4": {4, 32}, "n2-highmem-8": {8, 64}, "n2-highmem-16": {16, 128},
	"n2d-standard-8": {8, 32}, "n2d-standard-16": {16, 64}, "c3-standard-8": {8, 32}, "c3-standard-22": {22, 88},
}

// gkeDaemonSetReserve is what GKE's own DaemonSets (logging and metrics agents, Dataplane V2's anetd,
// the PD CSI node plugin, kube-proxy-less netd) request on every node, rounded up.
const gkeDaemonSetReserve, gkeDaemonSetReserveGiB = 0.4, 1.0

// gkeAllocatable is what GKE leaves to pods on a Standard node: CPU minus 6 % of the first core, 1 % of
// the second, 0.5 % of the next two and 0.25 % above; memory minus 25 % of the first 4 GiB, 20 % of the
// next 4, 10 % of the next 8, 6 % of the next 112, 2 % above, and the 100 MiB eviction threshold (GKE
// docs, "Plan GKE Standard node sizes: allocatable resources").
func gkeAllocatable(cpu, mem float64) (float64, float64) {
	cpuRes := 0.06 + 0.01*min(1, max(0, cpu-1)) + 0.005*min(2, max(0, cpu-2)) + 0.0025*max(0, cpu-4)
	tiers := []struct{ size, share float64 }{{4, 0.25}, {4, 0.20}, {8, 0.10}, {112, 0.06}, {1 << 20, 0.02}}
	memRes, left := 0.1, mem
	for _, t := range tiers {
		memRes += min(left, t.size) * t.share
		left -= min(left, t.size)
	}
	return cpu - cpuRes - gkeDaemonSetReserve, mem - memRes - gkeDaemonSetReserveGiB
}

// gkeFit refuses a workload machine type on which the largest platform pods cannot be scheduled: a
// pod bigger than one node's allocatable stays Pending whatever the autoscaler does. Unknown machine
// types are not checked.
func (v *validator) gkeFit() {
	key := "cluster.workloadPool.machineType"
	mt := v.p.Cluster.WorkloadPool.MachineType
	m, ok := gceMachines[mt]
	if !ok {
		return
	}
	cpu, mem := gkeAllocatable(m.cpu, m.memGiB)
	for _, pod := range []struct {
		key string
		c   Compute
	}{{"dremio.coordinator", v.p.Dremio.Coordinator}, {"dremio.executor", v.p.Dremio.Executor}, {"airbyte.worker", v.p.Airbyte.Worker}} {
		if pod.c.CPU > cpu || pod.c.MemoryGiB > mem {
			v.add(key, mt, "a machine type whose allocatable (%.2f CPU, %.1f GiB after GKE's reservations) holds %s (%g CPU, %g GiB)", cpu, mem, pod.key, pod.c.CPU, pod.c.MemoryGiB)
		}
	}
}
