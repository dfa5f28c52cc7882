package aks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
)

// ClusterArgs configures the AKS cluster.
type ClusterArgs struct {
	// ResourceGroupName is the resource group the cluster, its identity and its log workspace go into.
	ResourceGroupName pulumi.StringInput
	// Location is the Azure region, e.g. "swedencentral".
	Location string
	// KubernetesVersion is the minor version ("1.34"); the patch auto-upgrade channel keeps patches current.
	KubernetesVersion string
	// SubnetID is the node subnet (the network's aks subnet, with its NAT gateway attached).
	SubnetID pulumi.StringInput
	// PrivateCluster puts the API server on a private endpoint in the VNet only.
	PrivateCluster bool
	// AuthorizedIPRanges are the CIDRs allowed to reach a public API server; required (non-empty) when
	// PrivateCluster is false, and must be empty when it is true (AKS rejects both together).
	AuthorizedIPRanges []string
	// EgressIP is the nodes' egress address (the network's NAT gateway IP). On a public API server it
	// is authorized beside AuthorizedIPRanges: with outboundType userAssignedNATGateway AKS does not
	// add it itself, and nodes whose egress the API server refuses never join. Required when
	// PrivateCluster is false.
	EgressIP pulumi.StringInput
	// ResourceGroupID is the ARM ID of the resource group (the network's). The cluster-admin role
	// assignments are scoped to it, so they exist and propagate while the cluster is being created.
	ResourceGroupID pulumi.StringInput
	// Admins are Entra object IDs (users, groups, service principals: GUIDs) that get "Azure
	// Kubernetes Service RBAC Cluster Admin". Their assignments are named after the principal, the
	// scope and the role only, so they stay the same whoever runs `pulumi up`.
	Admins []string
	// KeyVaultName names the Key Vault holding the key that encrypts Kubernetes Secrets in etcd
	// (KMS): 3-24 letters, digits and hyphens, starting with a letter, unique across Azure.
	KeyVaultName string
	// KeyVaultPurgeProtection turns on purge protection (prod): a deleted vault and key stay
	// recoverable for the retention period and cannot be purged. It cannot be turned off again, and
	// the vault's name stays taken until the retention ends.
	KeyVaultPurgeProtection bool
	// Protect marks the stateful resources (the ManagedCluster, the Key Vault and its KMS key)
	// protected: destroy and replacement stop at them. Disposable children (node pool, identities,
	// role assignments, log workspace, diagnostic setting, StorageClasses) are never protected.
	Protect bool
	// Zones are the availability zones of both node pools ("1", "2", "3"); empty places nodes without
	// zones (dev, or regions without zones).
	Zones []string
	// SystemPool runs the critical add-ons only (tainted CriticalAddonsOnly); it cannot be Spot.
	SystemPool cluster.NodePool
	// WorkloadPool runs the platform's workloads; Spot when WorkloadPool.Spot.
	WorkloadPool cluster.NodePool
	// WorkloadPoolName pins the workload pool's name (1-12 lower-case letters and digits, starting
	// with a letter). Empty uses WorkloadPoolName(...), which rotates the pool when a setting AKS
	// cannot change in place changes; a pinned pool is never rotated (AKS refuses such a change).
	WorkloadPoolName string
	// ServiceCIDR is the Kubernetes service range; it must not overlap the VNet, PodCIDR or the ranges
	// AKS reserves. The cluster DNS service takes its tenth address.
	ServiceCIDR string
	// PodCIDR is the Azure CNI Overlay pod range; it must not overlap the VNet or ServiceCIDR.
	PodCIDR string
	// StorageClasses names the fast-ssd and standard classes to create.
	StorageClasses cluster.StorageClasses
	// RetainVolumes keeps Azure disks when their claims are deleted (prod data).
	RetainVolumes bool
	// LogRetentionDays is the Log Analytics retention of the control-plane logs (30-730).
	LogRetentionDays int
	// ProductionTier selects the Standard tier (financially backed API server SLA); otherwise Free.
	ProductionTier bool
	// ContainerInsights turns on the monitoring add-on (addonProfiles.omsagent) with managed-identity
	// authentication, sending to the cluster's Log Analytics workspace. Its data collection rule and
	// the rule's association with the cluster are the observability layer's
	// (components/observability/azmon), created with ClusterID and LogAnalyticsWorkspaceID.
	ContainerInsights bool
	// EncryptionAtHost encrypts node temp disks and caches at the host. It needs the subscription
	// feature Microsoft.Compute/EncryptionAtHost registered, so it is opt-in.
	EncryptionAtHost bool
	// KubeloginMode is the kubelogin --login mode the kubeconfig uses: "azurecli" (default; az login,
	// including OIDC logins in CI), "workloadidentity", "msi" or "spn". Local accounts are disabled, so
	// every client authenticates through Entra ID.
	KubeloginMode string
	// Tags are applied to every taggable Azure resource.
	Tags map[string]string
}

var (
	locationRE = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	versionRE  = regexp.MustCompile(`^1\.[0-9]{2}(\.[0-9]+)?$`)
	// DNS-1123 subdomain, as Kubernetes requires for StorageClass names.
	k8sNameRE     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	invalidNameRE = regexp.MustCompile(`[^a-z0-9-]+`)
	vmSizeRE      = regexp.MustCompile(`^Standard_([A-Z]+)([0-9]+)([a-z]*)_v([0-9]+)$`)
)

// guidRE is an Entra object ID.
var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// keyVaultNameRE: 3-24 alphanumerics and hyphens, starting with a letter, ending with a letter or
// digit, no consecutive hyphens (checked separately).
var keyVaultNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$`)

var kubeloginModes = []string{"azurecli", "workloadidentity", "msi", "spn"}

// reservedRanges are the ranges AKS forbids for the service CIDR.
var reservedRanges = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("172.30.0.0/16"),
	netip.MustParsePrefix("172.31.0.0/16"), netip.MustParsePrefix("192.0.2.0/24"),
}

// AKS limits: nodes per pool and OS disk size.
const (
	maxPoolNodes  = 1000
	maxOSDiskGiB  = 2048
	minRetention  = 30
	maxRetention  = 730
	maxServiceCut = 12 // the service CIDR may be no larger than a /12
)

// validate checks the args before anything is registered. It returns the DNS service IP.
func (a *ClusterArgs) validate(name string) (string, error) {
	fail := func(format string, v ...any) (string, error) {
		return "", fmt.Errorf("aks %q: "+format, append([]any{name}, v...)...)
	}
	if a == nil {
		return fail("args are nil; pass *ClusterArgs")
	}
	if a.WorkloadPoolName != "" && !poolNameRE.MatchString(a.WorkloadPoolName) {
		return "", fmt.Errorf("aks %q: WorkloadPoolName = %q: use 1-12 lower-case letters and digits, starting with a letter", name, a.WorkloadPoolName)
	}
	if baseName(name) == "" {
		return fail("the name has no letters or digits to derive Azure resource names from")
	}
	if a.ResourceGroupName == nil {
		return fail("ResourceGroupName is nil; pass the network's resource group name")
	}
	if a.SubnetID == nil {
		return fail("SubnetID is nil; pass the network's aks subnet ID")
	}
	if a.ResourceGroupID == nil {
		return fail("ResourceGroupID is nil; pass the network's resource group ID (the cluster-admin assignments' scope)")
	}
	for i, id := range a.Admins {
		if !guidRE.MatchString(id) {
			return fail("Admins[%d] = %q; use an Entra object ID (a GUID such as 00000000-0000-0000-0000-000000000000)", i, id)
		}
		for _, other := range a.Admins[:i] {
			if strings.EqualFold(other, id) {
				return fail("Admins[%d] = %q is listed twice", i, id)
			}
		}
	}
	if !keyVaultNameRE.MatchString(a.KeyVaultName) || strings.Contains(a.KeyVaultName, "--") {
		return fail("KeyVaultName = %q; allowed 3-24 letters, digits and single hyphens, starting with a letter and ending with a letter or digit", a.KeyVaultName)
	}
	if !locationRE.MatchString(a.Location) {
		return fail("Location = %q; use an Azure region name in lower case without spaces, e.g. \"swedencentral\"", a.Location)
	}
	if !versionRE.MatchString(a.KubernetesVersion) {
		return fail("KubernetesVersion = %q; use a version such as \"1.34\" (minor) or \"1.34.1\"", a.KubernetesVersion)
	}
	if a.PrivateCluster && len(a.AuthorizedIPRanges) > 0 {
		return fail("AuthorizedIPRanges = %v with PrivateCluster; AKS allows authorized ranges on public API servers only, leave them empty", a.AuthorizedIPRanges)
	}
	if !a.PrivateCluster && len(a.AuthorizedIPRanges) == 0 {
		return fail("AuthorizedIPRanges is empty on a public API server; list the CIDRs allowed to reach it, or set PrivateCluster")
	}
	for _, r := range a.AuthorizedIPRanges {
		p, err := parseRange(r)
		if err != nil {
			return fail("AuthorizedIPRanges: %q is not an IPv4 address or CIDR", r)
		}
		if p.Bits() == 0 {
			return fail("AuthorizedIPRanges: %q opens the API server to the whole internet; list your own ranges or set PrivateCluster", r)
		}
	}
	if !a.PrivateCluster && a.EgressIP == nil {
		return fail("EgressIP is nil on a public API server; pass the network's NAT gateway IP so the nodes may reach the API")
	}
	seen := map[string]bool{}
	for _, z := range a.Zones {
		if z != "1" && z != "2" && z != "3" {
			return fail("Zones: %q is not a zone; allowed \"1\", \"2\", \"3\"", z)
		}
		if seen[z] {
			return fail("Zones: %q is listed twice", z)
		}
		seen[z] = true
	}
	for _, p := range []struct {
		field string
		pool  cluster.NodePool
	}{{"SystemPool", a.SystemPool}, {"WorkloadPool", a.WorkloadPool}} {
		if err := p.pool.Validate(p.field); err != nil {
			return fail("%w", err)
		}
		if p.pool.MaxNodes > maxPoolNodes {
			return fail("%s: MaxNodes = %d; AKS allows at most %d nodes per pool", p.field, p.pool.MaxNodes, maxPoolNodes)
		}
		if p.pool.DiskSizeGiB > maxOSDiskGiB {
			return fail("%s: DiskSizeGiB = %d; the OS disk can be at most %d GiB", p.field, p.pool.DiskSizeGiB, maxOSDiskGiB)
		}
	}
	if a.SystemPool.Spot {
		return fail("SystemPool: Spot = true; AKS system pools cannot run on Spot capacity")
	}
	service, err := parseCIDR(a.ServiceCIDR)
	if err != nil {
		return fail("ServiceCIDR = %q: %v", a.ServiceCIDR, err)
	}
	if service.Bits() < maxServiceCut {
		return fail("ServiceCIDR = %q; AKS allows at most a /%d", a.ServiceCIDR, maxServiceCut)
	}
	if service.Bits() > 28 {
		return fail("ServiceCIDR = %q is too small; use at least a /28 (the DNS service takes the tenth address)", a.ServiceCIDR)
	}
	for _, r := range reservedRanges {
		if service.Overlaps(r) {
			return fail("ServiceCIDR = %q overlaps %s, which AKS reserves", a.ServiceCIDR, r)
		}
	}
	pod, err := parseCIDR(a.PodCIDR)
	if err != nil {
		return fail("PodCIDR = %q: %v", a.PodCIDR, err)
	}
	if pod.Overlaps(service) {
		return fail("PodCIDR = %q overlaps ServiceCIDR %q; choose disjoint ranges", a.PodCIDR, a.ServiceCIDR)
	}
	for _, c := range []struct{ field, name string }{{"FastSSD", a.StorageClasses.FastSSD}, {"Standard", a.StorageClasses.Standard}} {
		if !k8sNameRE.MatchString(c.name) || len(c.name) > 253 {
			return fail("StorageClasses.%s = %q; use a Kubernetes name such as \"fast-ssd\"", c.field, c.name)
		}
	}
	if a.StorageClasses.FastSSD == a.StorageClasses.Standard {
		return fail("StorageClasses: FastSSD and Standard are both %q; they must differ", a.StorageClasses.FastSSD)
	}
	if a.LogRetentionDays < minRetention || a.LogRetentionDays > maxRetention {
		return fail("LogRetentionDays = %d; Log Analytics allows %d to %d", a.LogRetentionDays, minRetention, maxRetention)
	}
	if a.KubeloginMode != "" && !slices.Contains(kubeloginModes, a.KubeloginMode) {
		return fail("KubeloginMode = %q; allowed %s (empty means azurecli)", a.KubeloginMode, strings.Join(kubeloginModes, ", "))
	}
	return dnsServiceIP(service), nil
}

func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil || !p.Addr().Is4():
		return netip.Prefix{}, fmt.Errorf("not an IPv4 CIDR block")
	case p.Masked() != p:
		return netip.Prefix{}, fmt.Errorf("host bits are set; write the network address %s", p.Masked())
	}
	return p, nil
}

// parseRange accepts a CIDR or a single address, as AKS does for authorized ranges.
func parseRange(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		return netip.PrefixFrom(a, 32), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("invalid range %q", s)
	}
	return p, nil
}

// dnsServiceIP is the tenth address of the service range, the conventional kube-dns address (AKS
// rejects the first one, which the kubernetes service takes).
func dnsServiceIP(service netip.Prefix) string {
	a := service.Addr()
	for i := 0; i < 10; i++ {
		a = a.Next()
	}
	return a.String()
}

// baseName derives the stem of every physical name from the component name: lower case, letters,
// digits and single hyphens, at most 40 characters (cluster names allow 63, DNS prefixes 54).
func baseName(name string) string {
	s := invalidNameRE.ReplaceAllString(strings.ToLower(name), "-")
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Trim(s, "-")
}

// osDiskType picks Ephemeral OS disks when the VM size has a local temp disk big enough for the OS
// disk, Managed otherwise. Ephemeral disks are faster, free, and reimage cleanly. Only v4/v5 sizes
// with the "d" (local disk) capability qualify: they carry about 37.5 GiB of temp disk per vCPU and
// AKS places the OS disk there; v6 sizes use NVMe placement this API version cannot express.
func osDiskType(vmSize string, diskGiB int) string {
	m := vmSizeRE.FindStringSubmatch(vmSize)
	if m == nil {
		return "Managed"
	}
	vcpus, _ := strconv.Atoi(m[2])
	gen, _ := strconv.Atoi(m[4])
	if (gen == 4 || gen == 5) && strings.Contains(m[3], "d") && diskGiB <= vcpus*37 {
		return "Ephemeral"
	}
	return "Managed"
}

// The workload pool's OS, pinned: AKS picks a default OS SKU when none is given, which a rotated pool
// could silently change. Both are create-only, so both are in the pool's name.
const (
	poolOSType = "Linux"
	poolOSSKU  = "Ubuntu"
)

var poolNameRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)

// WorkloadPoolName names the workload pool after the settings AKS cannot change on an existing pool:
// VM size, OS disk size and type, zones, Spot, encryption at host and the OS (AKS docs, "Manage node pools",
// Limitations: a pool's VM size cannot change after creation; the OS disk, zones and priority belong
// to its scale set likewise; pulumi-azure-native#3655 marks vmSize replace-only). A change of any of
// them gives a new name, so the update creates the new pool beside the old one and deletes the old one
// last, within the same update, once the new pool's minimum of nodes is up (the new nodes carry the
// same pool label). Count and autoscaler bounds change in place. The pool's subnet is fixed by the
// network (protected), so it is not part of the name. The name is "wl" and 8 hex digits: Linux pool names take 1-12 lower-case
// letters and digits, starting with a letter (AgentPools_CreateOrUpdate, agentPoolName pattern
// ^[a-z][a-z0-9]{0,11}$).
func WorkloadPoolName(p cluster.NodePool, zones []string, encryptionAtHost bool) string {
	spec := fmt.Sprintf("vm=%s|disk=%d|diskType=%s|zones=%s|spot=%t|encryptionAtHost=%t|os=%s/%s",
		p.MachineType, p.DiskSizeGiB, osDiskType(p.MachineType, p.DiskSizeGiB), strings.Join(zones, ","), p.Spot, encryptionAtHost,
		poolOSType, poolOSSKU)
	sum := sha256.Sum256([]byte(spec))
	return "wl" + hex.EncodeToString(sum[:])[:8]
}
