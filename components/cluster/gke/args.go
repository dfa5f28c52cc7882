package gke

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/internal/gcpnaming"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// reservedStorageClasses exist on every GKE cluster; their parameters are immutable, so a class of
// ours with the same name can be neither created nor adopted.
var reservedStorageClasses = map[string]bool{"standard": true, "standard-rwo": true, "premium-rwo": true}

// ClusterArgs configures the cluster.
type ClusterArgs struct {
	// Project is the Google Cloud project ID.
	Project string
	// Region is the cluster's region, e.g. "europe-north1"; the KMS key lives there too.
	Region string
	// Regional makes the control plane and the node pools span the region's zones (prod). Otherwise the
	// cluster is zonal, in the first zone of the region that is up.
	Regional bool
	// KubernetesVersion is the minimum control-plane version, e.g. "1.34"; the release channel then
	// manages patches and upgrades. Empty means the channel's default version.
	KubernetesVersion string
	// ReleaseChannel is RAPID, REGULAR or STABLE.
	ReleaseChannel string
	// NetworkSelfLink is the VPC's self link.
	NetworkSelfLink pulumi.StringInput
	// SubnetSelfLink is the nodes subnet's self link.
	SubnetSelfLink pulumi.StringInput
	// PodRangeName is the subnet's secondary range for pods.
	PodRangeName string
	// ServiceRangeName is the subnet's secondary range for Services.
	ServiceRangeName string
	// MasterCIDR is the control plane's /28, e.g. "172.16.0.0/28"; the network's firewall must allow it
	// to reach the nodes.
	MasterCIDR string
	// PrivateEndpoint serves the API only on its private IP: Pulumi and kubectl must then run inside
	// the VPC or reach it over VPN / Interconnect.
	PrivateEndpoint bool
	// AuthorizedCIDRs may reach the API server (master authorized networks). Required non-empty when
	// PrivateEndpoint is false; 0.0.0.0/0 is refused.
	AuthorizedCIDRs []string
	// SystemPool runs cluster add-ons and the platform's control components.
	SystemPool cluster.NodePool
	// WorkloadPool runs the data services; spot capacity when WorkloadPool.Spot is set.
	WorkloadPool cluster.NodePool
	// DeletionProtection makes GKE refuse to delete the cluster (prod).
	DeletionProtection bool
	// StorageClasses names the fast-ssd and standard classes the component creates; empty names mean
	// "fast-ssd" and "standard-balanced". GKE's own classes (standard, standard-rwo, premium-rwo) are
	// refused.
	StorageClasses cluster.StorageClasses
	// RetainVolumes keeps the disks of deleted claims (prod data volumes).
	RetainVolumes bool
	// KubeStateMetrics turns on GKE's managed kube-state-metrics packages POD and STATEFULSET (pod
	// phase, StatefulSet replicas; billed as Managed Service for Prometheus samples), which the
	// observability model's alert policies read on GCP. Flipping it updates the cluster in place.
	KubeStateMetrics bool
	// Labels are applied to the cluster, its nodes and disks, and the KMS key.
	Labels map[string]string

	// Name is the GKE cluster's name, unique per project and location, e.g. "dataplatform-prod"
	// (RFC 1035, at most 40 characters). Empty derives it from the component name.
	Name string
	// NodeServiceAccountID is the account ID of the nodes' Google service account, unique per project
	// (6–30 characters, e.g. "dataplatform-prod-nodes"). Empty derives it from the component name.
	NodeServiceAccountID string
	// Zone is the zonal cluster's zone, e.g. "europe-north1-a"; ignored when Regional. Empty takes the
	// alphabetically first zone of the region from the zone list, without a status filter, so the
	// choice does not move when a zone is down (a new location replaces the cluster).
	Zone string
	// Admins are IAM members ("group:platform-admins@example.com", "serviceAccount:ci@p.iam.gserviceaccount.com")
	// that get roles/container.admin on the project: the people and pipelines that administer the
	// cluster, independent of whoever runs `pulumi up`.
	Admins []string
	// Protect marks the stateful resources (the GKE cluster, the KMS key ring and the secrets-encryption
	// key) protected: destroy and replacement stop at them.
	// Disposable children (node pools, service account, IAM members, Kubernetes provider, StorageClasses)
	// are never protected.
	Protect bool
}

var (
	versionRe = regexp.MustCompile(`^1\.[0-9]+(\.[0-9]+(-gke\.[0-9]+)?)?$`)
	dns1123Re = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	rfc1035Re = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	zoneRe    = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+-[a-z]$`)
)

func (a *ClusterArgs) validate(name string) error {
	if a == nil {
		return errors.New("gke: args are nil; pass a *ClusterArgs")
	}
	if name == "" {
		return errors.New("gke: name is empty; resource names are derived from it")
	}
	fail := func(format string, v ...any) error {
		return fmt.Errorf("gke %s: "+format, append([]any{name}, v...)...)
	}
	if err := gcpnaming.ValidProject(a.Project); err != nil {
		return fail("%w", err)
	}
	if err := gcpnaming.ValidRegion("Region", a.Region); err != nil {
		return fail("%w", err)
	}
	if a.KubernetesVersion != "" && !versionRe.MatchString(a.KubernetesVersion) {
		return fail("KubernetesVersion = %q; must be a GKE version such as 1.34 or 1.34.1-gke.1000, or empty for the channel default", a.KubernetesVersion)
	}
	switch strings.ToUpper(a.ReleaseChannel) {
	case "RAPID", "REGULAR", "STABLE":
	default:
		return fail("ReleaseChannel = %q; must be RAPID, REGULAR or STABLE", a.ReleaseChannel)
	}
	if a.NetworkSelfLink == nil {
		return fail("NetworkSelfLink is nil; pass the VPC's self link")
	}
	if a.SubnetSelfLink == nil {
		return fail("SubnetSelfLink is nil; pass the nodes subnet's self link")
	}
	if a.PodRangeName == "" || a.ServiceRangeName == "" {
		return fail("PodRangeName = %q, ServiceRangeName = %q; both secondary range names are required", a.PodRangeName, a.ServiceRangeName)
	}
	if a.PodRangeName == a.ServiceRangeName {
		return fail("PodRangeName and ServiceRangeName are both %q; pods and Services need separate ranges", a.PodRangeName)
	}
	master, err := gcpnaming.ParseCIDR("MasterCIDR", a.MasterCIDR)
	if err != nil {
		return fail("%w", err)
	}
	if master.Bits() != 28 {
		return fail("MasterCIDR = %q; GKE needs a /28 for the control plane", a.MasterCIDR)
	}
	if !a.PrivateEndpoint && len(a.AuthorizedCIDRs) == 0 {
		return fail("AuthorizedCIDRs is empty with PrivateEndpoint = false; list the CIDRs allowed to reach the public endpoint, or set PrivateEndpoint")
	}
	for i, c := range a.AuthorizedCIDRs {
		p, err := gcpnaming.ParseCIDR(fmt.Sprintf("AuthorizedCIDRs[%d]", i), c)
		if err != nil {
			return fail("%w", err)
		}
		if p.Bits() == 0 {
			return fail("AuthorizedCIDRs[%d] = %q; opens the API server to the whole internet, list specific ranges", i, c)
		}
	}
	if err := a.SystemPool.Validate("SystemPool"); err != nil {
		return fail("%w", err)
	}
	if err := a.WorkloadPool.Validate("WorkloadPool"); err != nil {
		return fail("%w", err)
	}
	fast, standard := a.storageClassNames()
	for _, sc := range []struct{ field, value string }{{"StorageClasses.FastSSD", fast}, {"StorageClasses.Standard", standard}} {
		if !dns1123Re.MatchString(sc.value) || len(sc.value) > 63 {
			return fail("%s = %q; must be a DNS label: lower-case letters, digits and '-'", sc.field, sc.value)
		}
		if reservedStorageClasses[sc.value] {
			return fail("%s = %q; GKE already creates a class with this name (with immutable, different parameters); choose another, e.g. %q",
				sc.field, sc.value, map[string]string{"StorageClasses.FastSSD": "fast-ssd", "StorageClasses.Standard": "standard-balanced"}[sc.field])
		}
	}
	if fast == standard {
		return fail("StorageClasses.FastSSD and StorageClasses.Standard are both %q; they must differ", fast)
	}
	if err := gcpnaming.ValidLabels(a.Labels); err != nil {
		return fail("%w", err)
	}
	if a.Name != "" && (!rfc1035Re.MatchString(a.Name) || len(a.Name) > 40) {
		return fail("Name = %q; a GKE cluster name is 1–40 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen", a.Name)
	}
	if a.NodeServiceAccountID != "" {
		if err := gcpnaming.ValidAccountID("NodeServiceAccountID", a.NodeServiceAccountID); err != nil {
			return fail("%w", err)
		}
	}
	if a.Zone != "" && (!strings.HasPrefix(a.Zone, a.Region+"-") || !zoneRe.MatchString(a.Zone)) {
		return fail("Zone = %q; must be a zone of Region %s, e.g. %s-a", a.Zone, a.Region, a.Region)
	}
	seen := map[string]bool{}
	for i, m := range a.Admins {
		if err := gcpnaming.ValidMember(fmt.Sprintf("Admins[%d]", i), m); err != nil {
			return fail("%w", err)
		}
		if seen[m] {
			return fail("Admins[%d] = %q appears twice", i, m)
		}
		seen[m] = true
	}
	return nil
}

// clusterName is the GKE name: Name, or one derived from the component name.
func (a *ClusterArgs) clusterName(component string) string {
	if a.Name != "" {
		return a.Name
	}
	return gcpnaming.ResourceName(component, "", 40) // GKE cluster names are at most 40 characters
}

// nodeAccountID is the nodes' service account ID: NodeServiceAccountID, or one derived from the
// component name.
func (a *ClusterArgs) nodeAccountID(component string) string {
	if a.NodeServiceAccountID != "" {
		return a.NodeServiceAccountID
	}
	return gcpnaming.AccountID(component, "-nodes")
}

// storageClassNames applies the defaults for empty names.
func (a *ClusterArgs) storageClassNames() (fast, standard string) {
	fast, standard = a.StorageClasses.FastSSD, a.StorageClasses.Standard
	if fast == "" {
		fast = "fast-ssd"
	}
	if standard == "" {
		standard = "standard-balanced"
	}
	return fast, standard
}
