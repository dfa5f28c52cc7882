package config

import (
	"fmt"
	"strings"
)

// Problem is one invalid configuration value.
type Problem struct {
	// Key is the full config path, e.g. "dataplatform:metadataDb.backupRetentionDays".
	Key string
	// Value is the value given, as text ("" when the key is missing).
	Value string
	// Allowed says what would be accepted.
	Allowed string
}

func (p Problem) String() string {
	if p.Value == "" {
		return fmt.Sprintf("%s is not set; allowed: %s", p.Key, p.Allowed)
	}
	return fmt.Sprintf("%s = %q is not allowed; allowed: %s", p.Key, p.Value, p.Allowed)
}

// Problems collects problems in the order they are found.
type Problems []Problem

func (ps *Problems) add(key, value, allowed string) {
	*ps = append(*ps, Problem{Key: key, Value: value, Allowed: allowed})
}

// Error is returned when the configuration is invalid. It carries every problem, so a user fixes
// them all in one pass.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "  - " + p.String()
	}
	return fmt.Sprintf("invalid configuration (%d problem(s)):\n%s", len(e.Problems), strings.Join(lines, "\n"))
}
