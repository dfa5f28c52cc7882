package cloudsql

import (
	"regexp"

	"github.com/opendataplatform/dataplatform/components/internal/gcpnaming"
)

var (
	instanceRe = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	versionRe  = regexp.MustCompile(`^1[3-8]$`)
	// Enterprise edition runs custom machine types (db-custom-<vCPUs>-<MiB>) and the shared-core tiers.
	tierRe = regexp.MustCompile(`^db-(custom-[1-9][0-9]*-[1-9][0-9]*|f1-micro|g1-small)$`)
)

// validCIDR accepts only canonical IPv4 prefixes, what a NetworkPolicy ipBlock takes.
func validCIDR(field, v string) error {
	_, err := gcpnaming.ParseCIDR(field, v)
	return err
}
