// Package policies holds the data platform's CrossGuard policies as plain Go: no gRPC, no engine.
//
// The same policies run everywhere a user runs them: the pack binary (policy/analyzer) serves them
// to `pulumi preview|up --policy-pack` and `pulumi policy analyze`, tests call Evaluate on the
// resources the mocks harness records, and `dataplatform plan` prints Evaluate's report.
//
// A policy reads a resource's properties (its inputs; in a stack policy under the engine, its
// outputs) through accessors that never panic on unknown values: a rule that needs a value that is
// still unknown during preview reports, as advisory, that it could not be evaluated yet.
package policies

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Resource is one resource as a policy sees it.
type Resource struct {
	URN  string
	Type string
	Name string
	// Properties are the resource's inputs (stack policies run by the engine see its outputs).
	Properties resource.PropertyMap
	// Protect is the resource's protect option.
	Protect bool
	// Parent is the parent's URN.
	Parent string
	// Dependencies are the URNs the resource depends on.
	Dependencies []string
	// Provider is the provider reference "<provider URN>::<provider ID>", if any.
	Provider string
}

// EnforcementLevel says what a violation does to a deployment.
type EnforcementLevel string

const (
	// Advisory violations are reported and do not block.
	Advisory EnforcementLevel = "advisory"
	// Mandatory violations fail the preview, update or analysis.
	Mandatory EnforcementLevel = "mandatory"
	// Disabled policies do not run.
	Disabled EnforcementLevel = "disabled"
)

// Valid reports whether l is one of the levels this pack supports.
func (l EnforcementLevel) Valid() bool {
	return l == Advisory || l == Mandatory || l == Disabled
}

// NotEvaluatedMessage starts the message of a rule that read a value still unknown during preview.
const NotEvaluatedMessage = "could not be evaluated yet (unknown during preview)"

// Violation is one policy violation.
type Violation struct {
	// Policy is the policy's name.
	Policy string
	// Level is the enforcement level the violation carries: the policy's configured level, or
	// advisory for a rule that could not be evaluated yet.
	Level EnforcementLevel
	// URN is the resource at fault (for a stack policy, the resource it names).
	URN string
	// Message says what is wrong and how to fix it.
	Message string
}

// String renders the violation as one report line.
func (v Violation) String() string {
	return fmt.Sprintf("[%s] %s: %s: %s", v.Level, v.Policy, v.URN, v.Message)
}

// Finding is what a policy's validation function reports; Evaluate turns findings into
// violations at the configured level.
type Finding struct {
	// URN is the resource at fault.
	URN string
	// Message says what is wrong.
	Message string
	// Unknown marks a rule that could not be evaluated because a value it needs is unknown.
	Unknown bool
}

// Policy is one named policy. A policy has a resource-level function, a stack-level function, or
// both; the engine calls the first once per resource (with its inputs) and the second once per
// stack (with every resource's outputs).
type Policy struct {
	// Name is stable: configuration, exceptions and reports refer to it.
	Name string
	// Description says what the policy requires and why.
	Description string
	// Level is the default enforcement level; Config.Levels overrides it.
	Level EnforcementLevel
	// ConfigSchema is the JSON schema of each config property the policy accepts (policy pack
	// config, `--policy-pack-config`); nil when it has none.
	ConfigSchema map[string]map[string]any
	// Resources lists the resource type tokens the policy checks and reports on (documentation
	// and tests).
	Resources []string
	// Companions lists the types a stack policy reads to judge Resources (e.g. the public access
	// block of a bucket); violations are reported on the Resources.
	Companions []string
	// ValidateResource checks one resource.
	ValidateResource func(r Resource, cfg Config) []Finding
	// ValidateStack checks the whole stack.
	ValidateStack func(rs []Resource, cfg Config) []Finding
}

// All returns every policy of the pack, in a stable order.
func All() []Policy {
	return []Policy{
		tlsInTransit(),
		awsGatewayCertificates(),
		resourceLimits(),
		backups(),
		encryptionAtRest(),
		noPublicDataStores(),
		prodAvailability(),
		deletionSafety(),
		noStaticCloudKeys(),
		httpRedirectOnly(),
		bucketControls(),
		postgresScheduledBackups(),
		statelessReplicas(),
	}
}

// Lookup returns the policy called name.
func Lookup(name string) (Policy, bool) {
	for _, p := range All() {
		if p.Name == name {
			return p, true
		}
	}
	return Policy{}, false
}

// Evaluate runs every enabled policy — resource-level on each resource, then stack-level on all —
// and returns the violations in a deterministic order: resource policies in resource order, then
// stack policies, each policy's findings sorted by URN and message.
func Evaluate(resources []Resource, cfg Config) []Violation {
	var out []Violation
	for _, r := range resources {
		out = append(out, ValidateResource(r, cfg)...)
	}
	return append(out, ValidateStack(resources, cfg)...)
}

// canonicalType drops the API version azure-native puts in explicitly versioned tokens
// ("azure-native:containerservice/v20240901:ManagedCluster"), so one rule covers every version.
func canonicalType(t string) string {
	parts := strings.Split(t, ":")
	if len(parts) == 3 && parts[0] == "azure-native" {
		if i := strings.Index(parts[1], "/v"); i > 0 {
			return parts[0] + ":" + parts[1][:i] + ":" + parts[2]
		}
	}
	return t
}

// ValidateResource runs the resource-level functions of every enabled policy on one resource.
func ValidateResource(r Resource, cfg Config) []Violation {
	r.Type = canonicalType(r.Type)
	var out []Violation
	for _, p := range All() {
		if p.ValidateResource == nil || cfg.Level(p) == Disabled {
			continue
		}
		out = append(out, toViolations(p, cfg, p.ValidateResource(r, cfg))...)
	}
	return out
}

// ValidateStack runs the stack-level functions of every enabled policy.
func ValidateStack(rs []Resource, cfg Config) []Violation {
	canonical := make([]Resource, len(rs))
	for i, r := range rs {
		r.Type = canonicalType(r.Type)
		canonical[i] = r
	}
	rs = canonical
	var out []Violation
	for _, p := range All() {
		if p.ValidateStack == nil || cfg.Level(p) == Disabled {
			continue
		}
		out = append(out, toViolations(p, cfg, p.ValidateStack(rs, cfg))...)
	}
	return out
}

// HasMandatory reports whether any violation is mandatory.
func HasMandatory(vs []Violation) bool {
	for _, v := range vs {
		if v.Level == Mandatory {
			return true
		}
	}
	return false
}

func toViolations(p Policy, cfg Config, fs []Finding) []Violation {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].URN != fs[j].URN {
			return fs[i].URN < fs[j].URN
		}
		return fs[i].Message < fs[j].Message
	})
	level := cfg.Level(p)
	out := make([]Violation, 0, len(fs))
	for _, f := range fs {
		v := Violation{Policy: p.Name, Level: level, URN: f.URN, Message: f.Message}
		if f.Unknown {
			// Never block on a value we cannot see yet: `up` evaluates it for real.
			v.Level = Advisory
			v.Message = NotEvaluatedMessage + ": " + f.Message
		}
		out = append(out, v)
	}
	return out
}

// Report renders violations as the plan prints them: one line each, then a summary line.
func Report(vs []Violation) string {
	var b strings.Builder
	mandatory, advisory := 0, 0
	for _, v := range vs {
		b.WriteString(v.String())
		b.WriteByte('\n')
		if v.Level == Mandatory {
			mandatory++
		} else {
			advisory++
		}
	}
	fmt.Fprintf(&b, "policies: %d mandatory, %d advisory violation(s)\n", mandatory, advisory)
	return b.String()
}
