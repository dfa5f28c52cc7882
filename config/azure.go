package config

import (
	"fmt"
	"net/netip"
	"regexp"
)

// Azure-specific validation: what AKS, Flexible Server and Azure's fixed region pairs accept.

// entraObjectID is an Entra (Azure AD) object ID: a GUID.
// networkWatcherRE is "<resource group>/<network watcher name>" (resource group: 1-90 letters, digits,
// '_', '-', '.', '(' and ')'; a Network Watcher name: 1-80 letters, digits, '_', '-' and '.').
var networkWatcherRE = regexp.MustCompile(`^[A-Za-z0-9_().-]{1,90}/[A-Za-z0-9_.-]{1,80}$`)

// aksPoolNameRE is an AKS Linux pool name (AgentPools_CreateOrUpdate, agentPoolName ^[a-z][a-z0-9]{0,11}$).
var aksPoolNameRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)

var entraObjectID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// azurePostgresMajors are the versions the Flexible Server API the platform uses (dbforpostgresql
// 2023-06-01-preview, the newest the served SDK v2.28.0 has) accepts: its ServerVersion enum ends at 16.
var azurePostgresMajors = []string{"14", "15", "16"}

// AzureVMSize is a VM size's vCPUs and memory.
type AzureVMSize struct {
	VCPU      float64
	MemoryGiB float64
}

// AzureVMSizes are the Dv5/Ev5 sizes the defaults and the runbook name (learn.microsoft.com/azure/
// virtual-machines/sizes/general-purpose/dv5-series and ddv5-series: 4 GiB per vCPU; Ev5: 8 GiB).
// A workload pool of a size not listed here is not checked.
var AzureVMSizes = map[string]AzureVMSize{
	"Standard_D2s_v5": {2, 8}, "Standard_D4s_v5": {4, 16}, "Standard_D8s_v5": {8, 32}, "Standard_D16s_v5": {16, 64}, "Standard_D32s_v5": {32, 128},
	"Standard_D2ds_v5": {2, 8}, "Standard_D4ds_v5": {4, 16}, "Standard_D8ds_v5": {8, 32}, "Standard_D16ds_v5": {16, 64}, "Standard_D32ds_v5": {32, 128},
	"Standard_E2s_v5": {2, 16}, "Standard_E4s_v5": {4, 32}, "Standard_E8s_v5": {8, 64}, "Standard_E16s_v5": {16, 128},
	"Standard_E2ds_v5": {2, 16}, "Standard_E4ds_v5": {4, 32}, "Standard_E8ds_v5": {8, 64}, "Standard_E16ds_v5": {16, 128},
}

// AKSAllocatable is what a node of this size leaves to pods, by AKS's reservations for Kubernetes
// 1.29+ (learn.microsoft.com/azure/aks/node-resource-reservations): memory kube-reserved is the
// smaller of 20 MiB × max pods + 50 MiB (250 pods with Azure CNI Overlay) and 25 % of memory, plus
// the 100 MiB eviction threshold; CPU kube-reserved follows the per-core table. A further 0.5 CPU and
// 1 GiB are kept for the DaemonSets every node runs (Cilium, CNS, the disk and file CSI drivers, kube-proxy
// replacement, the workload identity webhook's pods land on the system pool).
func AKSAllocatable(s AzureVMSize) (cpu, memGiB float64) {
	reservedMem := min((20*250+50)/1024.0, 0.25*s.MemoryGiB) + 100/1024.0
	cpuReserved := map[float64]float64{1: 0.06, 2: 0.1, 4: 0.14, 8: 0.18, 16: 0.26, 32: 0.42, 64: 0.74}[s.VCPU]
	return s.VCPU - cpuReserved - 0.5, s.MemoryGiB - reservedMem - 1
}

// The edge is implemented on azure: Application Gateway for Containers for the HTTP routes and Envoy
// Gateway behind an Azure load balancer for the TCP and gRPC ones (package stacks, azure.go).
func init() { edgeTargets[Azure] = true }

// AzureEdgeMinKubernetesVersion is the oldest control plane the Azure edge runs on: the ALB
// Controller it pins (1.12.1) needs Kubernetes v1.32 (MicrosoftDocs/azure-docs articles/
// application-gateway/for-containers/alb-controller-release-notes.md, "Minimum Kubernetes Version").
const AzureEdgeMinKubernetesVersion = "1.32"

// azureEdge checks what the Azure edge needs beyond the common edge settings.
func (v *validator) azureEdge() {
	p := v.p
	p.edgeDefaults()
	if !p.Edge.On() {
		return
	}
	if k := p.Cluster.KubernetesVersion; k8sMinor.MatchString(k) && k < AzureEdgeMinKubernetesVersion {
		v.add("cluster.kubernetesVersion", k, "%s or later with the edge on (the ALB Controller of Application Gateway for Containers needs it), or edge.enabled=false", AzureEdgeMinKubernetesVersion)
	}
}

func (v *validator) azure() {
	if v.p.Cloud != Azure {
		return
	}
	v.azureEdge()
	c := v.p.Cluster
	for i, id := range c.Admins {
		if !entraObjectID.MatchString(id) {
			v.add(fmt.Sprintf("cluster.admins[%d]", i), id, "an Entra object ID (a GUID) of a user, group or service principal")
		}
	}
	vnet, vnetErr := netip.ParsePrefix(v.p.Network.CIDR)
	for i, cidr := range c.PrivateAccessCIDRs {
		// They open HTTPS to every private endpoint (Key Vault, lake, registry): not to the world,
		// and not to a range inside the VNet, which would admit the database subnet too.
		p, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil || !p.Addr().Is4() || p.Masked() != p:
			v.add(fmt.Sprintf("cluster.privateAccessCidrs[%d]", i), cidr, "an IPv4 CIDR block with its host bits zero, e.g. 10.50.0.0/16")
		case p.Bits() < 8:
			v.add(fmt.Sprintf("cluster.privateAccessCidrs[%d]", i), cidr, "a private network of /8 or narrower (operator or CI ranges reached through VPN or peering)")
		case vnetErr == nil && p.Overlaps(vnet):
			v.add(fmt.Sprintf("cluster.privateAccessCidrs[%d]", i), cidr, "a range outside the VNet %s (the VNet's own subnets are admitted by rule)", vnet)
		}
	}
	if m := c.KubeloginMode; m != "" && !contains([]string{"azurecli", "workloadidentity", "msi", "spn"}, m) {
		v.add("cluster.kubeloginMode", m, "one of azurecli, workloadidentity, msi, spn (kubelogin --login)")
	}
	if n := c.WorkloadPoolName; n != "" && !aksPoolNameRE.MatchString(n) {
		v.add("cluster.workloadPoolName", n, "1-12 lower-case letters and digits, starting with a letter (an AKS pool name)")
	}
	if n := v.p.Network; n.FlowLogRetentionDays > 365 {
		v.add("network.flowLogRetentionDays", n.FlowLogRetentionDays, "on azure 1-365 (a VNet flow log's retention policy)")
	}
	if w := v.p.Network.NetworkWatcher; w != "" && !networkWatcherRE.MatchString(w) {
		v.add("network.networkWatcher", w, "\"<resource group>/<name>\" of the region's Network Watcher, e.g. NetworkWatcherRG/NetworkWatcher_%s", v.p.Region)
	}
	db := v.p.MetadataDB
	if !contains(azurePostgresMajors, db.Version) {
		v.add("metadataDb.version", db.Version, "on azure one of %v (the Flexible Server API version the platform uses)", azurePostgresMajors)
	}
	// Geo-redundant backups and GZRS replicate to the region's fixed pair, chosen by Azure; no other
	// region can be asked for, and geo-redundant backup is set at server creation only.
	if db.DRRegion != "" {
		v.add("metadataDb.drRegion", db.DRRegion, "empty on azure: geo-redundant backups (prod) go to the region's Azure pair")
	}
	if o := v.p.ObjectStore.ReplicationRegion; o != "" {
		v.add("objectStore.replicationRegion", o, "empty on azure: GZRS (prod) replicates to the region's Azure pair")
	}
	// Every platform pod must fit one workload node, or it stays Pending however far the pool grows.
	size, known := AzureVMSizes[c.WorkloadPool.MachineType]
	if !known {
		return
	}
	cpu, mem := AKSAllocatable(size)
	for _, pod := range []struct {
		what string
		c    Compute
	}{{"dremio.coordinator", v.p.Dremio.Coordinator}, {"dremio.executor", v.p.Dremio.Executor}, {"airbyte.worker", v.p.Airbyte.Worker}} {
		if pod.c.CPU > cpu || pod.c.MemoryGiB > mem {
			v.add("cluster.workloadPool.machineType", c.WorkloadPool.MachineType,
				"a size whose allocatable resources (%.2f CPU, %.1f GiB here) hold %s (%g CPU, %g GiB)", cpu, mem, pod.what, pod.c.CPU, pod.c.MemoryGiB)
		}
	}
}
