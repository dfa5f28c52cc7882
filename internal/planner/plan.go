package planner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/mockcloud"
)

// Options select what to plan.
type Options struct {
	// Dir holds Pulumi.yaml and the stack files.
	Dir string
	// Stack is the stack name (dev, staging, prod, or any stack with a Pulumi.<stack>.yaml).
	Stack string
	// Sets are `KEY=VALUE` overrides applied over the stack file, in order.
	Sets []string
	// Preview answers like `pulumi preview`: computed outputs unknown.
	Preview bool
	// Account, when set, is the AWS account ID or Azure subscription ID the mocks deploy into.
	Account string
}

// Result is a finished plan.
type Result struct {
	Project  string
	Stack    string
	Platform *config.Platform
	// Config is the raw configuration the program ran with.
	Config map[string]string
	// Skipped names what the stack's ESC environments hold that the offline plan could not resolve.
	Skipped []string
	// Resources are every registered resource, parents and dependencies first.
	Resources []*mockcloud.Resource
	// Mocks is the recorder, for callers that want to query it.
	Mocks *mockcloud.Mocks
}

// ConfigError is returned when the configuration is invalid; the CLI exits 2 on it.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Configure loads the project and stack files, applies the overrides and validates the result.
func Configure(opts Options) (*Project, *StackConfig, *config.Platform, error) {
	project, err := LoadProject(opts.Dir)
	if err != nil {
		return nil, nil, nil, err
	}
	stackConfig, err := project.LoadStackConfig(opts.Dir, opts.Stack)
	if err != nil {
		return nil, nil, nil, err
	}
	values := stackConfig.Values
	for _, s := range opts.Sets {
		if err := project.ApplySet(values, s); err != nil {
			return nil, nil, nil, &ConfigError{Problems: []string{err.Error()}}
		}
	}
	problems := project.CheckTypes(values)
	platform, err := config.Parse(project.Name, opts.Stack, values)
	if cerr, ok := err.(*config.Error); ok {
		for _, p := range cerr.Problems {
			problems = append(problems, p.String())
		}
	} else if err != nil {
		return nil, nil, nil, err
	}
	if len(problems) > 0 {
		return nil, nil, nil, &ConfigError{Problems: problems}
	}
	return project, stackConfig, platform, nil
}

// Plan configures and runs program under the mocks engine.
func Plan(program pulumi.RunFunc, opts Options) (*Result, error) {
	project, stackConfig, platform, err := Configure(opts)
	if err != nil {
		return nil, err
	}
	values := stackConfig.Values
	mocks := mockcloud.New(project.Name, opts.Stack, opts.Preview).InAccount(opts.Account)
	if err := mocks.Run(program, values); err != nil {
		return nil, fmt.Errorf("running the program: %w", err)
	}
	return &Result{
		Project: project.Name, Stack: opts.Stack, Platform: platform, Config: values, Skipped: stackConfig.Skipped,
		Resources: mocks.Resources(), Mocks: mocks,
	}, nil
}

// TypeCount is how many resources of one type a plan creates.
type TypeCount struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
}

// Summary counts the resources by type, most frequent first, then by name.
func (r *Result) Summary() []TypeCount {
	counts := map[string]int{}
	for _, res := range r.Resources {
		counts[res.Type]++
	}
	out := make([]TypeCount, 0, len(counts))
	for t, n := range counts {
		out = append(out, TypeCount{t, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Type < out[j].Type
	})
	return out
}
