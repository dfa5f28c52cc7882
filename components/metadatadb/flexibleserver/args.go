package flexibleserver

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"

	"github.com/opendataplatform/dataplatform/components/cluster"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/secrets"
)

// MetadataDBArgs configures the Flexible Server and the platform's databases on it.
type MetadataDBArgs struct {
	// ResourceGroupName is the resource group the server goes into (the network's).
	ResourceGroupName pulumi.StringInput
	// Location is the Azure region, e.g. "swedencentral".
	Location string
	// ServerName is the server's name and the first label of its DNS name: 3-63 lower-case letters,
	// digits and hyphens, not starting or ending with a hyphen; unique across Azure.
	ServerName string
	// Version is the PostgreSQL major version: one of SupportedVersions.
	Version string
	// SkuName is the compute size, e.g. "Standard_B2s", "Standard_D4ds_v5", "Standard_E4ds_v5". The
	// tier follows from the series: B is Burstable, D GeneralPurpose, E MemoryOptimized.
	SkuName string
	// StorageGiB is the storage the server needs at least; it is rounded up to the next size Flexible
	// Server offers (StorageSizesGiB).
	StorageGiB int
	// StorageAutoGrow lets Azure double the disk when free space runs low; Pulumi then ignores the size
	// it grew to, as storage cannot shrink.
	StorageAutoGrow bool
	// HighAvailability runs a zone-redundant synchronous standby (not available on Burstable).
	HighAvailability bool
	// AvailabilityZone is the primary's zone; default "1" with HighAvailability, else Azure chooses.
	AvailabilityZone string
	// StandbyAvailabilityZone is the standby's zone with HighAvailability; default "2".
	StandbyAvailabilityZone string
	// BackupRetentionDays is how long backups (and so point-in-time recovery) reach back, in days. Azure
	// keeps 7 at least: a smaller positive value is raised to 7. At most 35.
	BackupRetentionDays int
	// GeoRedundantBackup copies backups to the region's pair (prod). Azure fixes it at creation.
	GeoRedundantBackup bool
	// DelegatedSubnetID is the subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers.
	DelegatedSubnetID pulumi.StringInput
	// PrivateDNSZoneID is the "*.postgres.database.azure.com" private zone linked to the VNet.
	PrivateDNSZoneID pulumi.StringInput
	// ServerCIDRs are the ranges the server's private address is in (the VNet or the delegated
	// subnet's CIDR); the bootstrap Job's egress NetworkPolicy allows exactly these on port 5432.
	ServerCIDRs []string
	// KubernetesProvider reaches the cluster the bootstrap Job and the credential Secrets go to.
	KubernetesProvider *kubernetes.Provider
	// Secrets is the target's secret store the bootstrap writes the credentials to (nil: plain
	// Secrets; metadatadb.BootstrapArgs.Secrets).
	Secrets *secrets.Store
	// Namespace is the platform's apps namespace: it receives the credential Secrets.
	Namespace pulumi.StringInput
	// DataNamespace is the platform's data namespace: the bootstrap Job runs there, next to the
	// administrator's credential, which never lands in a namespace the workloads run in.
	DataNamespace pulumi.StringInput
	// LogAnalyticsWorkspaceID, when set, receives the server's PostgreSQL logs and metrics through a
	// diagnostic setting (the AKS component's workspace fits).
	LogAnalyticsWorkspaceID pulumi.StringInput
	// DeletionLock puts a CanNotDelete management lock on the server (prod): Azure refuses to delete
	// it, from any tool, until the lock is removed.
	DeletionLock bool
	// DatabaseActivityMetrics turns on the server's enhanced metrics (MetricsParameter): the
	// transaction and buffer-cache metrics the observability layer's dashboard reads.
	DatabaseActivityMetrics bool
	// Scheduling places the bootstrap Job's pod on the cluster's workload pool (AKS spot pools are
	// tainted; a Job that does not tolerate it never runs).
	Scheduling cluster.Scheduling
	// Protect marks the stateful resources (the server, its generated administrator password and the
	// roles' generated passwords) protected: destroy and replacement stop at them. Disposable
	// children (parameters, diagnostic setting, lock, the bootstrap Job and Secrets) are never protected.
	Protect bool
	// Tags are applied to the server.
	Tags map[string]string
}

// SupportedVersions are the PostgreSQL major versions the server API this component uses accepts
// (11 and 12 are retired on Azure).
var SupportedVersions = []string{"13", "14", "15", "16"}

// StorageSizesGiB are the Premium SSD sizes a Flexible Server disk can have.
var StorageSizesGiB = []int{32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767}

// Azure's backup retention bounds.
const (
	MinBackupRetentionDays = 7
	MaxBackupRetentionDays = 35
)

var (
	locationRE   = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	serverNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	skuRE        = regexp.MustCompile(`^Standard_([BDE])[0-9]+[a-z]*(_v[0-9]+)?$`)
	zoneRE       = regexp.MustCompile(`^[1-3]$`)
)

// tiers maps a VM series to its Flexible Server tier.
var tiers = map[string]string{"B": "Burstable", "D": "GeneralPurpose", "E": "MemoryOptimized"}

// Tier returns the Flexible Server tier of a compute size, or an error naming the allowed forms.
func Tier(sku string) (string, error) {
	m := skuRE.FindStringSubmatch(sku)
	if m == nil {
		return "", fmt.Errorf("SkuName = %q; use a Flexible Server compute size such as \"Standard_B2s\" (Burstable), \"Standard_D4ds_v5\" (GeneralPurpose) or \"Standard_E4ds_v5\" (MemoryOptimized)", sku)
	}
	return tiers[m[1]], nil
}

// StorageSize rounds a requested size up to the next disk size Flexible Server offers.
func StorageSize(gib int) (int, error) {
	for _, s := range StorageSizesGiB {
		if gib <= s {
			return s, nil
		}
	}
	return 0, fmt.Errorf("StorageGiB = %d; at most %d", gib, StorageSizesGiB[len(StorageSizesGiB)-1])
}

// settings are the validated values the component derives from its args.
type settings struct {
	tier          string
	storageGiB    int
	retentionDays int
	zone          string
	standbyZone   string
}

func (a *MetadataDBArgs) validate(name string) (settings, error) {
	var s settings
	fail := func(format string, v ...any) (settings, error) {
		return settings{}, fmt.Errorf("flexibleserver %q: "+format, append([]any{name}, v...)...)
	}
	if a == nil {
		return fail("args are nil; pass *MetadataDBArgs")
	}
	switch {
	case a.ResourceGroupName == nil:
		return fail("ResourceGroupName is nil; pass the network's resource group name")
	case a.DelegatedSubnetID == nil:
		return fail("DelegatedSubnetID is nil; pass the subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers")
	case a.PrivateDNSZoneID == nil:
		return fail("PrivateDNSZoneID is nil; pass the *.postgres.database.azure.com private DNS zone linked to the VNet")
	case a.KubernetesProvider == nil:
		return fail("KubernetesProvider is nil; the bootstrap Job runs on the cluster")
	case a.Namespace == nil:
		return fail("Namespace is nil; pass the apps namespace the credential Secrets go to")
	}
	if !locationRE.MatchString(a.Location) {
		return fail("Location = %q; use an Azure region name in lower case without spaces, e.g. \"swedencentral\"", a.Location)
	}
	if !serverNameRE.MatchString(a.ServerName) {
		return fail("ServerName = %q; allowed 3-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen", a.ServerName)
	}
	if !slices.Contains(SupportedVersions, a.Version) {
		return fail("Version = %q; allowed %v", a.Version, SupportedVersions)
	}
	tier, err := Tier(a.SkuName)
	if err != nil {
		return fail("%v", err)
	}
	s.tier = tier
	if a.StorageGiB < 1 {
		return fail("StorageGiB = %d; must be ≥ 1 (rounded up to %v)", a.StorageGiB, StorageSizesGiB)
	}
	if s.storageGiB, err = StorageSize(a.StorageGiB); err != nil {
		return fail("%v", err)
	}
	if a.BackupRetentionDays < 1 || a.BackupRetentionDays > MaxBackupRetentionDays {
		return fail("BackupRetentionDays = %d; allowed 1-%d (values below %d become %d, Azure's minimum)",
			a.BackupRetentionDays, MaxBackupRetentionDays, MinBackupRetentionDays, MinBackupRetentionDays)
	}
	s.retentionDays = max(a.BackupRetentionDays, MinBackupRetentionDays)
	if a.HighAvailability && tier == "Burstable" {
		return fail("HighAvailability with SkuName = %q; Burstable servers cannot have a standby, use a D or E series size", a.SkuName)
	}
	s.zone, s.standbyZone = a.AvailabilityZone, a.StandbyAvailabilityZone
	if a.HighAvailability {
		if s.zone == "" {
			s.zone = "1"
		}
		if s.standbyZone == "" {
			s.standbyZone = "2"
		}
		if !zoneRE.MatchString(s.standbyZone) || s.standbyZone == s.zone {
			return fail("StandbyAvailabilityZone = %q; use a zone \"1\"-\"3\" other than the primary's (%q)", s.standbyZone, s.zone)
		}
	} else if s.standbyZone != "" {
		return fail("StandbyAvailabilityZone = %q without HighAvailability; leave it empty", s.standbyZone)
	}
	if s.zone != "" && !zoneRE.MatchString(s.zone) {
		return fail("AvailabilityZone = %q; allowed \"1\", \"2\", \"3\" or empty", s.zone)
	}
	if len(a.ServerCIDRs) == 0 {
		return fail("ServerCIDRs is empty; pass the VNet CIDR so the bootstrap Job may reach the server")
	}
	for _, c := range a.ServerCIDRs {
		if p, err := netip.ParsePrefix(c); err != nil || !p.Addr().Is4() || p.Masked() != p {
			return fail("ServerCIDRs contains %q; use IPv4 CIDR blocks such as \"10.40.0.0/16\"", c)
		}
	}
	return s, nil
}
