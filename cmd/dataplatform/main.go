// Command dataplatform runs the platform's offline tools. Today it has one: plan.
//
//	go run ./cmd/dataplatform plan --stack dev [--set KEY=VALUE ...] [--out DIR] [--json] [--preview]
//
// plan runs the real Pulumi program (stacks.Run) against the mocks engine — no cloud account, no Pulumi
// service, no plugins — prints the resource tree and a summary, and with --out writes DIR/state.json
// (the format of `pulumi stack export`; secrets encrypted with PULUMI_CONFIG_PASSPHRASE when it is
// set, so `pulumi stack import` accepts it) and DIR/manifests/ (every Kubernetes object as YAML).
// It then evaluates the CrossGuard policy pack (policy/) on the plan and prints the report.
// Exit status: 0 on success, 2 on invalid configuration, 1 on a mandatory policy violation or any
// other failure.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/policy/policies"
	"github.com/opendataplatform/dataplatform/stacks"
)

const usage = `usage: dataplatform plan --stack <dev|staging|prod> [--set KEY=VALUE ...] [--out DIR] [--json] [--preview] [--policy-config FILE] [--dir DIR]`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "plan" {
		fmt.Fprintln(stderr, usage)
		return 1
	}
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opts    planner.Options
		sets    setFlags
		out     string
		asJSON  bool
		workdir string
		polCfg  string
	)
	fs.StringVar(&opts.Stack, "stack", "", "stack name; reads Pulumi.<stack>.yaml")
	fs.Var(&sets, "set", "override a config value: KEY=VALUE, KEY a Pulumi config path (repeatable)")
	fs.StringVar(&out, "out", "", "write DIR/state.json and DIR/manifests/")
	fs.BoolVar(&asJSON, "json", false, "print the plan as JSON instead of a tree")
	fs.BoolVar(&opts.Preview, "preview", false, "answer like pulumi preview: computed outputs unknown")
	fs.StringVar(&workdir, "dir", ".", "directory holding Pulumi.yaml")
	fs.StringVar(&polCfg, "policy-config", "", "policy pack configuration JSON, as for --policy-pack-config")
	if err := fs.Parse(args[1:]); err != nil {
		return 1
	}
	if opts.Stack == "" {
		fmt.Fprintln(stderr, "plan: --stack is required\n"+usage)
		return 1
	}
	opts.Sets, opts.Dir = sets, workdir

	result, err := planner.Plan(stacks.Run, opts)
	var cerr *planner.ConfigError
	if errors.As(err, &cerr) {
		fmt.Fprintln(stderr, cerr.Error())
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "plan failed:", err)
		return 1
	}

	var packConfig []byte
	if polCfg != "" {
		if packConfig, err = os.ReadFile(polCfg); err != nil {
			fmt.Fprintln(stderr, "plan:", err)
			return 1
		}
	}
	pcfg, err := result.PolicyConfig(packConfig)
	if err != nil {
		fmt.Fprintln(stderr, "plan: policy configuration:", err)
		return 2
	}
	violations := result.Evaluate(pcfg)

	if asJSON {
		if err := writeJSON(stdout, result, violations); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	} else if err := result.WriteTree(stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}

	if out != "" {
		if err := writeOut(out, result); err != nil {
			fmt.Fprintln(stderr, "writing the plan:", err)
			return 1
		}
		if !asJSON {
			fmt.Fprintf(stdout, "\nWrote %s and %s\n", filepath.Join(out, "state.json"), filepath.Join(out, "manifests")+string(filepath.Separator))
		}
	}
	if !asJSON {
		fmt.Fprintf(stdout, "\nPolicy pack (environment %s):\n%s", pcfg.Environment, policies.Report(violations))
	}
	if policies.HasMandatory(violations) {
		fmt.Fprintln(stderr, "plan: mandatory policy violations")
		return 1
	}
	return 0
}

func writeOut(dir string, result *planner.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Like the CLI, encrypt secrets with PULUMI_CONFIG_PASSPHRASE when it is set.
	deployment, err := result.Deployment(time.Now(), os.Getenv("PULUMI_CONFIG_PASSPHRASE"))
	if err != nil {
		return err
	}
	raw, err := json.MarshalIndent(deployment, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "state.json"), raw, 0o600); err != nil {
		return err
	}
	manifests := filepath.Join(dir, "manifests")
	if err := os.RemoveAll(manifests); err != nil {
		return err
	}
	return result.WriteManifests(manifests)
}

// jsonPlan is the --json document.
type jsonPlan struct {
	Project     string               `json:"project"`
	Stack       string               `json:"stack"`
	Cloud       string               `json:"cloud"`
	Environment string               `json:"environment"`
	Resources   []jsonResource       `json:"resources"`
	Summary     []planner.TypeCount  `json:"summary"`
	Total       int                  `json:"total"`
	Violations  []policies.Violation `json:"violations"`
}

type jsonResource struct {
	URN      string `json:"urn"`
	Type     string `json:"type"`
	Name     string `json:"name"`
	Parent   string `json:"parent,omitempty"`
	Protect  bool   `json:"protect,omitempty"`
	Provider string `json:"provider,omitempty"`
}

func writeJSON(w io.Writer, r *planner.Result, violations []policies.Violation) error {
	doc := jsonPlan{
		Project: r.Project, Stack: r.Stack, Cloud: string(r.Platform.Cloud), Environment: string(r.Platform.Environment),
		Summary: r.Summary(), Total: len(r.Resources), Violations: append([]policies.Violation{}, violations...),
	}
	for _, res := range r.Resources {
		doc.Resources = append(doc.Resources, jsonResource{URN: res.URN, Type: res.Type, Name: res.Name, Parent: res.Parent, Protect: res.Protect, Provider: res.Provider})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
