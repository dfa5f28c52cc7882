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
	return parseTable(text, "unchecked", `"apiVersion kind reason"`, 2, func(key []string) error {
		if !apiVersionRE.MatchString(key[0]) || strings.HasSuffix(strings.Split(key[0], "/")[0], ".k8s.io") {
			return fmt.Errorf("apiVersion %q is not a custom resource group/version", key[0])
		}
		return nil
	})
}

// parseTable reads a table of "key… reason…" lines (keyFields words of key, then at least one of
// reason); blank lines and # comments are skipped. check vets a line's key words. Errors name the
// table and the line; a key listed twice is one.
func parseTable(text, table, want string, keyFields int, check func(key []string) error) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) <= keyFields {
			return nil, fmt.Errorf("%s line %d: want %s", table, n, want)
		}
		if err := check(f[:keyFields]); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", table, n, err)
		}
		key := strings.Join(f[:keyFields], " ")
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%s line %d: %s listed twice", table, n, key)
		}
		out[key] = strings.Join(f[keyFields:], " ")
	}
	return out, sc.Err()
}
