// Command dataplatform runs the platform's offline tools.
//
//	dataplatform plan --stack dev [--set KEY=VALUE ...] [--out DIR] [--json] [--preview]
//	dataplatform deployments apply|diff [--file deploy/deployments.yaml] [--stack NAME ...]
//	dataplatform version
//	dataplatform help
//
// plan runs the real Pulumi program (stacks.Run) against the mocks engine (mockcloud) — no cloud
// account, no Pulumi service, no plugins — prints the resource tree and a summary, and with --out
// writes DIR/state.json (the format of `pulumi stack export`, secrets encrypted with
// PULUMI_CONFIG_PASSPHRASE so that `pulumi stack import` accepts it) and DIR/manifests/ (every
// Kubernetes object as YAML). It then evaluates the CrossGuard policy pack (policy/) on the plan and
// prints the report.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/policy/policies"
	"github.com/opendataplatform/dataplatform/stacks"
)

// Exit codes.
const (
	exitOK = 0
	// exitFailed: a mandatory policy violation, or the plan could not be made or written.
	exitFailed = 1
	// exitUsage: invalid configuration, an unknown command or flag, or a missing passphrase.
	exitUsage = 2
)

// version is the release, set at build time with -ldflags "-X main.version=v1.2.3"; otherwise the
// module version Go recorded, or "devel".
var version = ""

const help = `dataplatform — offline tools of the data platform's Pulumi program.

Usage:
  dataplatform plan --stack <dev|staging|prod> [flags]   run the program against the mocks engine
  dataplatform deployments apply|diff [flags]            apply Pulumi Deployments settings as code
  dataplatform version                                   print the version
  dataplatform help                                      print this help

plan runs the real program (the same code "pulumi up" runs) with no cloud account, prints the
resource tree, a summary and the policy pack's report, and with --out writes DIR/state.json (a
"pulumi stack export" document: "pulumi stack import --file", "pulumi policy analyze --file") and
DIR/manifests/ (every Kubernetes object as YAML).

plan flags:
  --stack NAME           stack to plan; reads Pulumi.<NAME>.yaml (required)
  --set KEY=VALUE        override a config value, KEY a Pulumi config path such as
                         dataplatform:cloud or dataplatform:cluster.admins[0] (repeatable)
  --out DIR              write DIR/state.json and DIR/manifests/
  --json                 print the plan as JSON instead of a tree
  --preview              answer like "pulumi preview": computed outputs unknown
  --policy-config FILE   policy pack configuration JSON, as for --policy-pack-config
  --dir DIR              directory holding Pulumi.yaml (default ".")

deployments apply|diff [--file deploy/deployments.yaml] [--dir .] [--stack NAME ...] [--org ORG]
                       [--api-url URL] [--allow-example] [--dry-run] [--exit-code]
  Apply (or, with diff, only show) the Pulumi Deployments settings and drift schedule of every
  stack from deploy/deployments.yaml to Pulumi Cloud: reads first, writes only what differs, never
  a second drift schedule. Needs PULUMI_ACCESS_TOKEN. Exit: 0 ok, 1 Pulumi Cloud API failure,
  2 usage error, invalid file or missing token, 3 diff --exit-code with changes pending.
  "dataplatform deployments --help" for details.

Environment:
  PULUMI_CONFIG_PASSPHRASE   required with --out: the state's secrets are encrypted with it, as the
                             passphrase secrets provider does, so that "pulumi stack import" with
                             the same variable accepts the file. It may be empty, but must be set.

Exit codes:
  0  the plan was made and no mandatory policy is violated
  1  a mandatory policy violation, or the plan could not be made or written
  2  invalid configuration (the key, the value and what is allowed are printed), an unknown
     command or flag, or --out without PULUMI_CONFIG_PASSPHRASE
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, help)
		return exitUsage
	}
	switch args[0] {
	case "plan":
		return plan(args[1:], stdout, stderr)
	case "deployments":
		return deploymentsCommand(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "dataplatform", buildVersion())
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, help)
		return exitOK
	}
	fmt.Fprintf(stderr, "dataplatform: unknown command %q\n\n%s", args[0], help)
	return exitUsage
}

// buildVersion is the -ldflags version, else the module version Go recorded, else "devel".
func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}

func plan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, help) }
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
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if opts.Stack == "" {
		fmt.Fprintln(stderr, "plan: --stack is required (dev, staging or prod: the Pulumi.<stack>.yaml to read); see dataplatform help")
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "plan: unexpected argument %q; flags only (see dataplatform help)\n", fs.Arg(0))
		return exitUsage
	}
	// Checked before the plan runs: a state whose secrets no provider can read crashes
	// "pulumi stack import" ("attempt to encrypt value"), so --out needs the passphrase.
	passphrase, havePassphrase := os.LookupEnv("PULUMI_CONFIG_PASSPHRASE")
	if out != "" && !havePassphrase {
		fmt.Fprintln(stderr, "plan: --out needs PULUMI_CONFIG_PASSPHRASE: the state's secrets are encrypted with it so that "+
			"\"pulumi stack import\" accepts the file. Set it to the passphrase of the stack you will import into "+
			"(export PULUMI_CONFIG_PASSPHRASE=...; it may be empty), or leave out --out.")
		return exitUsage
	}
	opts.Sets, opts.Dir = sets, workdir

	result, err := planner.Plan(stacks.Run, opts)
	var cerr *planner.ConfigError
	if errors.As(err, &cerr) {
		fmt.Fprintln(stderr, cerr.Error())
		return exitUsage
	}
	if err != nil {
		fmt.Fprintln(stderr, "plan failed:", err)
		return exitFailed
	}
	// What the stack's ESC environments compute when opened (logins, secrets) is not in the plan;
	// say so, on stderr so that --json stays a clean document.
	for _, s := range result.Skipped {
		fmt.Fprintln(stderr, "plan: skipped:", s)
	}

	var packConfig []byte
	if polCfg != "" {
		if packConfig, err = os.ReadFile(polCfg); err != nil {
			fmt.Fprintln(stderr, "plan:", err)
			return exitFailed
		}
	}
	pcfg, err := result.PolicyConfig(packConfig)
	if err != nil {
		fmt.Fprintln(stderr, "plan: policy configuration:", err)
		return exitUsage
	}
	violations := result.Evaluate(pcfg)

	if asJSON {
		if err := writeJSON(stdout, result, violations); err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailed
		}
	} else if err := result.WriteTree(stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}

	if out != "" {
		if err := writeOut(out, result, passphrase); err != nil {
			fmt.Fprintln(stderr, "writing the plan:", err)
			return exitFailed
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
		return exitFailed
	}
	return exitOK
}

func writeOut(dir string, result *planner.Result, passphrase string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Like the CLI's passphrase secrets provider, an empty passphrase still encrypts.
	deployment, err := result.EncryptedDeployment(time.Now(), passphrase)
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
