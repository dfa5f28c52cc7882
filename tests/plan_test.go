// Package tests runs the whole program — every stack on every target, in normal and preview mode —
// under the mocks harness, and checks what a deployment would create.
package tests

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/policy/policies"
	"github.com/opendataplatform/dataplatform/stacks"
)

// Stacks and Targets span the 3 × 4 matrix.
var (
	Stacks  = []string{"dev", "staging", "prod"}
	Targets = []string{"kubernetes", "aws", "azure", "gcp"}
)

// TargetSets are the --set overrides that move a stack to a target.
func TargetSets(stack, target string) []string {
	switch target {
	case "aws":
		return []string{"dataplatform:cloud=aws", "dataplatform:region=eu-north-1", "dataplatform:metadataDb.caBundleFile=" + rdsTestBundle}
	case "azure":
		return []string{"dataplatform:cloud=azure", "dataplatform:region=swedencentral"}
	case "gcp":
		return []string{"dataplatform:cloud=gcp", "dataplatform:region=europe-north1", "dataplatform:gcpProject=acme-data-" + stack}
	}
	return []string{"dataplatform:cloud=kubernetes", "dataplatform:dbt.registry=registry.example.com:5000"}
}

// rdsTestBundle stands in for the region's RDS CA bundle, which the deployer downloads.
var rdsTestBundle = func() string {
	p, err := filepath.Abs("testdata/rds-ca-test-bundle.pem")
	if err != nil {
		panic(err)
	}
	return p
}()

// plan runs the real program for one stack and target.
func plan(t testing.TB, stack, target string, preview bool, extra ...string) *planner.Result {
	t.Helper()
	res, err := planner.Plan(stacks.Run, planner.Options{
		Dir: "..", Stack: stack, Preview: preview, Sets: append(TargetSets(stack, target), extra...),
	})
	if err != nil {
		t.Fatalf("plan %s/%s (preview=%v): %v", stack, target, preview, err)
	}
	return res
}

func mode(preview bool) string {
	if preview {
		return "preview"
	}
	return "update"
}

// eachPlan runs f for every stack × target × mode as parallel-safe subtests.
func eachPlan(t *testing.T, f func(t *testing.T, stack, target string, preview bool, r *planner.Result)) {
	for _, stack := range Stacks {
		for _, target := range Targets {
			for _, preview := range []bool{false, true} {
				stack, target, preview := stack, target, preview
				t.Run(fmt.Sprintf("%s/%s/%s", stack, target, mode(preview)), func(t *testing.T) {
					f(t, stack, target, preview, plan(t, stack, target, preview))
				})
			}
		}
	}
}

// eachPlanWith is eachPlan with per-plan config values (`key=value`, as `plan --set` takes them).
func eachPlanWith(t *testing.T, sets func(stack, target string) []string, f func(t *testing.T, stack, target string, preview bool, r *planner.Result)) {
	for _, stack := range Stacks {
		for _, target := range Targets {
			for _, preview := range []bool{false, true} {
				stack, target, preview := stack, target, preview
				t.Run(fmt.Sprintf("%s/%s/%s", stack, target, mode(preview)), func(t *testing.T) {
					f(t, stack, target, preview, plan(t, stack, target, preview, sets(stack, target)...))
				})
			}
		}
	}
}

func TestEveryStackOnEveryTargetPlans(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		if string(r.Platform.Cloud) != target || string(r.Platform.Environment) != stack {
			t.Fatalf("planned %s/%s; want %s/%s", r.Platform.Environment, r.Platform.Cloud, stack, target)
		}
		var tree strings.Builder
		if err := r.WriteTree(&tree); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tree.String(), "pulumi:pulumi:Stack") || !strings.Contains(tree.String(), fmt.Sprintf("+ %d to create", len(r.Resources))) {
			t.Errorf("tree lacks the stack or the summary:\n%s", tree.String())
		}
		for _, res := range r.Resources {
			if res.Parent == "" && res.Type != string(resource.RootStackType) {
				t.Errorf("%s has no parent", res.URN)
			}
		}
		// Every cloud and Kubernetes resource uses the stack's explicit provider, never an ambient
		// default (credentials, region, kubeconfig from the environment). random and tls read nothing.
		for _, res := range r.Resources {
			pkg := strings.SplitN(res.Type, ":", 2)[0]
			if res.Custom && !strings.HasPrefix(res.Type, "pulumi:providers:") && res.Provider == "" && pkg != "random" && pkg != "tls" {
				t.Errorf("%s uses a default provider", res.URN)
			}
		}
	})
}

func TestNoMandatoryPolicyViolationInAnyPlan(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		cfg, err := r.PolicyConfig(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range r.Evaluate(cfg) {
			if v.Level == policies.Mandatory {
				t.Errorf("%s", v)
			}
		}
	})
}

func TestStateFileIsAStackExport(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		if preview {
			return // the state file is written from a full plan
		}
		d, err := r.Deployment(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Version != 3 {
			t.Fatalf("deployment version %d; want 3", d.Version)
		}
		var dep apitype.DeploymentV3
		if err := json.Unmarshal(d.Deployment, &dep); err != nil {
			t.Fatal(err)
		}
		if dep.Manifest.Magic != dep.Manifest.NewMagic() {
			t.Errorf("manifest magic %q does not match version %q", dep.Manifest.Magic, dep.Manifest.Version)
		}
		// What `pulumi stack import` checks: parents, providers and dependencies come first.
		seen := map[resource.URN]bool{}
		ids := map[resource.URN]resource.ID{}
		for i, res := range dep.Resources {
			if i == 0 && res.Type != resource.RootStackType {
				t.Fatalf("first resource is %s; want the stack", res.Type)
			}
			if res.Parent != "" && !seen[res.Parent] {
				t.Errorf("%s precedes its parent %s", res.URN, res.Parent)
			}
			for _, d := range res.Dependencies {
				if !seen[d] {
					t.Errorf("%s precedes its dependency %s", res.URN, d)
				}
			}
			if res.Provider != "" {
				i := strings.LastIndex(res.Provider, "::")
				urn, id := resource.URN(res.Provider[:max(i, 0)]), resource.ID(res.Provider[i+2:])
				if i < 0 || !seen[urn] || ids[urn] != id {
					t.Errorf("%s references provider %q, which is not an earlier provider with that ID", res.URN, res.Provider)
				}
			}
			if res.Custom && res.ID == "" {
				t.Errorf("%s is custom but has no ID", res.URN)
			}
			seen[res.URN], ids[res.URN] = true, res.ID
		}
		// The state holds the plan's resources plus one default provider per package that uses one.
		defaults := map[string]bool{}
		for _, res := range r.Resources {
			if res.Custom && res.Provider == "" && !strings.HasPrefix(res.Type, "pulumi:providers:") {
				defaults[strings.SplitN(res.Type, ":", 2)[0]] = true
			}
		}
		if len(dep.Resources) != len(r.Resources)+len(defaults) {
			t.Errorf("state has %d resources; the plan has %d and %d default providers", len(dep.Resources), len(r.Resources), len(defaults))
		}
	})
}

func TestInvalidConfigurationIsRefusedBeforeAnythingRuns(t *testing.T) {
	cases := []struct {
		name   string
		stack  string
		sets   []string
		key    string
		reason string
	}{
		{"unknown target", "dev", []string{"dataplatform:cloud=oracle"}, `dataplatform:cloud = "oracle"`, "kubernetes, aws, azure, gcp"},
		{"no backups in prod", "prod", []string{"dataplatform:metadataDb.backupRetentionDays=0"}, "dataplatform:metadataDb.backupRetentionDays", "prod floor"},
		{"negative executors", "staging", []string{"dataplatform:dremio.executors=-2"}, "dataplatform:dremio.executors", "≥ 1"},
		{"prod below floor", "prod", []string{"dataplatform:dremio.executors=2"}, "dataplatform:dremio.executors", "prod floor"},
		{"malformed CIDR", "dev", []string{"dataplatform:network.cidr=10.40.0.0/40"}, "dataplatform:network.cidr", "IPv4 CIDR"},
		{"region of another cloud", "staging", []string{"dataplatform:region=westeurope"}, `dataplatform:region = "westeurope"`, "aws region"},
		{"object store versioning off in prod", "prod", []string{"dataplatform:objectStore.versioning=false"}, "dataplatform:objectStore.versioning", "true in prod"},
		{"misspelt key", "dev", []string{"dataplatform:metadataDB.instances=2"}, "dataplatform:metadataDB", "known key"},
		{"wrong type", "dev", []string{`dataplatform:dremio={"executors":"three"}`}, "dataplatform:dremio.executors", "integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := planner.Plan(func(ctx *pulumi.Context) error {
				t.Fatal("the program ran despite invalid configuration")
				return nil
			}, planner.Options{Dir: "..", Stack: c.stack, Sets: c.sets})
			var cerr *planner.ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("error %v (%T); want a *planner.ConfigError", err, err)
			}
			msg := cerr.Error()
			if !strings.Contains(msg, c.key) || !strings.Contains(msg, c.reason) {
				t.Errorf("error does not name %q and %q:\n%s", c.key, c.reason, msg)
			}
		})
	}
}

// A setting that passes validation but breaks a stricter policy is refused by the pack: here the stack
// keeps 14 days of backups, and the organisation's pack configuration demands 30.
func TestStricterPolicyConfigIsAMandatoryViolation(t *testing.T) {
	r := plan(t, "prod", "aws", false)
	cfg, err := r.PolicyConfig([]byte(`{"backups": {"minBackupRetentionDays": 30}}`))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range r.Evaluate(cfg) {
		if v.Policy == "backups" && v.Level == policies.Mandatory && strings.Contains(v.Message, "30") {
			found = true
		}
	}
	if !found {
		t.Errorf("no mandatory backups violation for a 30-day floor")
	}
	if _, err := r.PolicyConfig([]byte(`{"backups": {"minBackupRetentionDays": 0}}`)); err == nil {
		t.Errorf("a pack configuration without backups was accepted in prod")
	}
}

// resourcesOf returns the plan's resources of a type.
func resourcesOf(r *planner.Result, typ string) []*mockcloud.Resource {
	var out []*mockcloud.Resource
	for _, res := range r.Resources {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}
