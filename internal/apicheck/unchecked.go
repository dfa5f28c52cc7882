package apicheck

import (
	"bufio"
	_ "embed"
	"fmt"
	"regexp"
	"strings"
)

// UncheckedFile is the table of kinds the check lists instead of dry-running (unchecked.txt).
//
//go:embed unchecked.txt
var UncheckedFile string

var apiVersionRE = regexp.MustCompile(`^[a-z0-9.-]+\.[a-z]+/v[0-9a-z]+$`)

// ParseUnchecked reads the table: "apiVersion kind reason…" a line; blank lines and # comments are
// skipped. It returns the reason per "apiVersion kind". Core and *.k8s.io groups cannot be listed:
// the API server serves the built-in ones, and the Gateway API's CRDs are pinned.
func ParseUnchecked(text string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		switch {
		case len(f) < 3:
			return nil, fmt.Errorf("unchecked line %d: want \"apiVersion kind reason\"", n)
		case !apiVersionRE.MatchString(f[0]) || strings.HasSuffix(strings.Split(f[0], "/")[0], ".k8s.io"):
			return nil, fmt.Errorf("unchecked line %d: apiVersion %q is not a custom resource group/version", n, f[0])
		}
		key := f[0] + " " + f[1]
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("unchecked line %d: %s listed twice", n, key)
		}
		out[key] = strings.Join(f[2:], " ")
	}
	return out, sc.Err()
}
