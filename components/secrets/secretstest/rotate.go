// Package secretstest runs a program under the mocks engine as it runs after a credential
// rotation: the generated values of the named random resources are new, as after
// `pulumi up --replace <URN of the RandomPassword>`. Tests compare such a run with a plain one.
package secretstest

import (
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/mockcloud"
)

// rotating answers like the mocks, except that the random resources named in rotated get a result
// of their own.
type rotating struct {
	*mockcloud.Mocks
	rotated map[string]bool
	mu      sync.Mutex // the SDK registers resources concurrently
	seen    map[string]bool
}

func (r *rotating) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, out, err := r.Mocks.NewResource(args)
	if err != nil || !r.rotated[args.Name] {
		return id, out, err
	}
	if v, ok := out["result"]; ok {
		r.mu.Lock()
		r.seen[args.Name] = true
		r.mu.Unlock()
		out = out.Copy()
		prev := v
		if prev.IsSecret() {
			prev = prev.SecretValue().Element
		}
		out["result"] = resource.MakeSecret(resource.NewStringProperty("rotated-" + prev.StringValue()))
	}
	return id, out, err
}

// Run runs program under m (its project, stack and mode; config as Mocks.Run takes it) with the
// results of the random resources named rotated (logical names, e.g. "db-bootstrap-airbyte-password")
// changed. It returns the names of rotated that were not registered with a result, so a test
// notices a rename instead of comparing two identical runs.
func Run(m *mockcloud.Mocks, program pulumi.RunFunc, config map[string]string, rotated ...string) (missing []string, err error) {
	// Mocks.Run resets the recorder and registers the stack; the rotated run then records into it.
	if err := m.Run(func(*pulumi.Context) error { return nil }, config); err != nil {
		return nil, err
	}
	if config == nil {
		config = map[string]string{}
	}
	r := &rotating{Mocks: m, rotated: map[string]bool{}, seen: map[string]bool{}}
	for _, n := range rotated {
		r.rotated[n] = true
	}
	err = pulumi.RunErr(program, pulumi.WithMocks(m.Project(), m.Stack(), r), func(info *pulumi.RunInfo) {
		info.Config = config
		info.DryRun = m.Preview()
	})
	for _, n := range rotated {
		if !r.seen[n] {
			missing = append(missing, n)
		}
	}
	return missing, err
}
