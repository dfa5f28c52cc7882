package cloudsql

import (
	"fmt"
	"net/netip"
	"regexp"
	"unicode"
)

var (
	projectRe  = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	regionRe   = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+$`)
	instanceRe = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	versionRe  = regexp.MustCompile(`^1[3-8]$`)
	// Enterprise edition runs custom machine types (db-custom-<vCPUs>-<MiB>) and the shared-core tiers.
	tierRe = regexp.MustCompile(`^db-(custom-[1-9][0-9]*-[1-9][0-9]*|f1-micro|g1-small)$`)
)

func validProject(p string) error {
	if !projectRe.MatchString(p) {
		return fmt.Errorf("Project = %q; must be a Google Cloud project ID: 6–30 lower-case letters, digits and hyphens, starting with a letter", p)
	}
	return nil
}

func validRegion(field, r string) error {
	if !regionRe.MatchString(r) {
		return fmt.Errorf("%s = %q; must be a Google Cloud region such as europe-north1", field, r)
	}
	return nil
}

// validCIDR accepts only canonical IPv4 prefixes, what a NetworkPolicy ipBlock takes.
func validCIDR(field, v string) error {
	p, err := netip.ParsePrefix(v)
	switch {
	case err != nil:
		return fmt.Errorf("%s = %q; must be an IPv4 CIDR such as 10.100.0.0/16", field, v)
	case !p.Addr().Is4():
		return fmt.Errorf("%s = %q; must be an IPv4 CIDR (Cloud SQL private IPs are IPv4)", field, v)
	case p != p.Masked():
		return fmt.Errorf("%s = %q; has host bits set, use %s", field, v, p.Masked())
	}
	return nil
}

// validLabels checks Google Cloud label rules, which the API enforces only at create time.
func validLabels(labels map[string]string) error {
	ok := func(s string) bool {
		for _, r := range s {
			if !(unicode.IsLower(r) || unicode.IsDigit(r) || r == '_' || r == '-') {
				return false
			}
		}
		return len(s) <= 63
	}
	for k, v := range labels {
		if k == "" || !unicode.IsLower([]rune(k)[0]) || !ok(k) {
			return fmt.Errorf("Labels key %q; must start with a lower-case letter and hold at most 63 lower-case letters, digits, '_' or '-'", k)
		}
		if !ok(v) {
			return fmt.Errorf("Labels[%q] = %q; values hold at most 63 lower-case letters, digits, '_' or '-'", k, v)
		}
	}
	return nil
}
