// Package gcpnaming holds the naming and validation rules every Google Cloud component shares: resource
// names (lower-case, length-limited, hashed when shortened), project IDs, regions, CIDRs and labels.
package gcpnaming

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode"
)

// ResourceName derives a Google Cloud resource name (RFC 1035: lower-case letters, digits and hyphens,
// starting with a letter) from the component name. Names that would exceed max are shortened and get a
// hash of the full component name, so two long component names never collide and reruns never rename.
func ResourceName(component, suffix string, max int) string {
	base := Sanitize(component)
	if len(base)+len(suffix) <= max {
		return base + suffix
	}
	sum := sha256.Sum256([]byte(component))
	hash := hex.EncodeToString(sum[:])[:6]
	keep := max - len(suffix) - len(hash) - 1
	base = strings.TrimRight(base[:keep], "-")
	return base + "-" + hash + suffix
}

// Sanitize lower-cases a name and maps everything outside [a-z0-9-] to single hyphens.
func Sanitize(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if out == "" || out[0] < 'a' || out[0] > 'z' {
		out = "dp-" + out // RFC 1035 names must start with a letter
	}
	return strings.TrimRight(out, "-")
}

var (
	projectRe = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	regionRe  = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+$`)
)

// ValidProject checks a Google Cloud project ID.
func ValidProject(p string) error {
	if !projectRe.MatchString(p) {
		return fmt.Errorf("Project = %q; must be a Google Cloud project ID: 6–30 lower-case letters, digits and hyphens, starting with a letter", p)
	}
	return nil
}

// ValidRegion checks the shape of a Google Cloud region name.
func ValidRegion(field, r string) error {
	if !regionRe.MatchString(r) {
		return fmt.Errorf("%s = %q; must be a Google Cloud region such as europe-north1", field, r)
	}
	return nil
}

// ParseCIDR accepts only canonical IPv4 prefixes: the APIs reject host bits ("10.40.0.1/16").
func ParseCIDR(field, v string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(v)
	switch {
	case err != nil:
		return p, fmt.Errorf("%s = %q; must be an IPv4 CIDR such as 10.40.0.0/16", field, v)
	case !p.Addr().Is4():
		return p, fmt.Errorf("%s = %q; must be an IPv4 CIDR (IPv6 is not supported)", field, v)
	case p != p.Masked():
		return p, fmt.Errorf("%s = %q; has host bits set, use %s", field, v, p.Masked())
	}
	return p, nil
}

// ValidLabels checks Google Cloud label rules, which the API enforces only at create time.
func ValidLabels(labels map[string]string) error {
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

var accountIDRe = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)

// AccountID derives a Google service account ID (6–30 characters: lower-case letters, digits and
// hyphens, starting with a letter, not ending with a hyphen) from a project-scoped base name such as
// "dataplatform-prod" and a role suffix such as "-nodes". Names that would exceed 30 characters are
// shortened with a hash, like ResourceName, so two stacks never share an account.
func AccountID(base, suffix string) string {
	id := ResourceName(base, suffix, 30)
	for len(id) < 6 {
		id += "-sa"
	}
	return id
}

// ValidAccountID checks a service account ID against the IAM rules.
func ValidAccountID(field, id string) error {
	if !accountIDRe.MatchString(id) {
		return fmt.Errorf("%s = %q; a service account ID is 6–30 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen", field, id)
	}
	return nil
}

// memberRe accepts the IAM principal forms a binding takes: user:, group:, serviceAccount:, domain:
// and workforce / workload identity federation principals (principal://, principalSet://).
var memberRe = regexp.MustCompile(`^((user|group|serviceAccount):[^@\s]+@[^@\s]+\.[^@\s]+|domain:[a-z0-9.-]+\.[a-z]{2,}|principal(Set)?://iam\.googleapis\.com/\S+)$`)

// ValidMember checks an IAM member string, e.g. "group:platform-admins@example.com".
func ValidMember(field, m string) error {
	if !memberRe.MatchString(m) {
		return fmt.Errorf("%s = %q; must be an IAM member: user:EMAIL, group:EMAIL, serviceAccount:EMAIL, domain:DOMAIN, principal://… or principalSet://…", field, m)
	}
	return nil
}
