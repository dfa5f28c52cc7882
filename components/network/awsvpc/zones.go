package awsvpc

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// zoneFilters select the region's standard Availability Zones: no Local Zones or Wavelength Zones
// (zone-type), and none that need an opt-in (opt-in-status). There is deliberately no state filter:
// DescribeAvailabilityZones lists every zone the account has access to "regardless of their state"
// (pulumi-aws@v6.83.4 sdk/go/aws/getAvailabilityZones.go, State), so a zone that is impaired during
// an incident stays in the answer and the subnets built on it do not move. Filter names and values
// are EC2's: DescribeAvailabilityZones Filters "zone-type - The type of zone (availability-zone |
// local-zone | wavelength-zone)", "opt-in-status - The opt-in status (opted-in | not-opted-in |
// opt-in-not-required)".
var zoneFilters = []aws.GetAvailabilityZonesFilter{
	{Name: "zone-type", Values: []string{"availability-zone"}},
	{Name: "opt-in-status", Values: []string{"opt-in-not-required"}},
}

// chooseZones asks the region for its standard zones and picks the VPC's.
func chooseZones(ctx *pulumi.Context, args *NetworkArgs, parent pulumi.InvokeOption) ([]string, error) {
	azs, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{Filters: zoneFilters}, parent)
	if err != nil {
		return nil, fmt.Errorf("awsvpc: listing availability zones: %w", err)
	}
	return pickZones(azs.Names, args.Zones, args.AvailabilityZones)
}

// pickZones returns the explicit zones when given (each must be one of the region's), else the first
// n zone names in lexical order. Sorting makes the choice independent of the order of the answer, and
// a zone AWS adds to a region later gets the next letter, so it sorts after the zones already in use.
func pickZones(available, explicit []string, n int) ([]string, error) {
	sorted := slices.Clone(available)
	slices.Sort(sorted)
	if len(explicit) > 0 {
		for i, z := range explicit {
			if !slices.Contains(sorted, z) {
				return nil, fmt.Errorf("awsvpc: Zones[%d] = %q is not a standard Availability Zone of the region; choose from %v", i, z, sorted)
			}
		}
		return slices.Clone(explicit), nil
	}
	if len(sorted) < n {
		return nil, fmt.Errorf("awsvpc: AvailabilityZones = %d; the region has only %d standard zones (%v)", n, len(sorted), sorted)
	}
	return sorted[:n], nil
}
