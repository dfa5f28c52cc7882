package gke

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/projects"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AdminRole is what ClusterArgs.Admins get: full control of the project's GKE clusters and of the
// Kubernetes objects in them (GKE maps it to cluster-admin through its IAM authorizer). IAM grants on
// GKE are project-level: the API has no per-cluster IAM policy.
const AdminRole = "roles/container.admin"

// location is the cluster's location: the region when regional, else the configured zone, else the
// first zone of the region's zone list. The list is asked for without a status filter (issue 9,
// class 8): a zone that is DOWN during one run stays in the list, so the choice does not move.
func (b *builder) location() (string, error) {
	args := b.args
	if args.Regional {
		return args.Region, nil
	}
	if args.Zone != "" {
		return args.Zone, nil
	}
	// pulumi-gcp@v7.38.0 sdk/go/gcp/compute/getZones.go: Status filters to UP or DOWN; nil lists all.
	zones, err := compute.GetZones(b.ctx, &compute.GetZonesArgs{Project: &args.Project, Region: &args.Region}, b.parent)
	if err != nil {
		return "", fmt.Errorf("gke %s: listing the zones of %s: %w", b.name, args.Region, err)
	}
	if len(zones.Names) == 0 {
		return "", fmt.Errorf("gke %s: region %s lists no zone; set Zone", b.name, args.Region)
	}
	return firstZone(zones.Names), nil
}

// admins grants AdminRole to every configured member, keyed by the member so that reordering the
// list changes nothing.
func (b *builder) admins() error {
	members := append([]string(nil), b.args.Admins...)
	sort.Strings(members)
	for _, m := range members {
		sum := sha256.Sum256([]byte(m))
		if _, err := projects.NewIAMMember(b.ctx, b.name+"-admin-"+hex.EncodeToString(sum[:])[:8], &projects.IAMMemberArgs{
			Project: pulumi.String(b.args.Project),
			Role:    pulumi.String(AdminRole),
			Member:  pulumi.String(m),
		}, b.disposable); err != nil {
			return err
		}
	}
	return nil
}

// firstZone returns the alphabetically first zone, so the choice is stable whatever order the API
// lists them in.
func firstZone(zones []string) string {
	first := zones[0]
	for _, z := range zones[1:] {
		if z < first {
			first = z
		}
	}
	return first
}
