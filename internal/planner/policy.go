package planner

import (
	"github.com/opendataplatform/dataplatform/policy/policies"
)

// PolicyResources returns the plan's resources as the policy pack sees them: their inputs, as the
// engine hands them to an analyzer.
func (r *Result) PolicyResources() []policies.Resource {
	out := make([]policies.Resource, 0, len(r.Resources))
	for _, res := range r.Resources {
		out = append(out, policies.Resource{
			URN: res.URN, Type: res.Type, Name: res.Name, Properties: res.Inputs,
			Protect: res.Protect, Parent: res.Parent, Dependencies: res.AllDependencies(), Provider: res.Provider,
		})
	}
	return out
}

// PolicyConfig is the pack's configuration for the plan's environment, with an optional
// `--policy-pack-config` JSON document applied on top.
func (r *Result) PolicyConfig(packConfig []byte) (policies.Config, error) {
	cfg := policies.DefaultConfig(string(r.Platform.Environment))
	if len(packConfig) > 0 {
		var err error
		if cfg, err = cfg.ApplyJSON(packConfig); err != nil {
			return cfg, err
		}
	}
	return cfg, cfg.Validate()
}

// Evaluate runs the policy pack on the plan.
func (r *Result) Evaluate(cfg policies.Config) []policies.Violation {
	return policies.Evaluate(r.PolicyResources(), cfg)
}
