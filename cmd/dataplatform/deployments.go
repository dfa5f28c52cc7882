package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/opendataplatform/dataplatform/internal/deployments"
)

const deploymentsUsage = `usage: dataplatform deployments <apply|diff> [flags]

Applies the Pulumi Deployments settings and the drift schedule of every stack from a file of the
repository (deploy/deployments.yaml) to Pulumi Cloud. It reads each stack's settings and schedules
first and writes only what differs: a second apply with the same file sends no write, and a stack
never gets a second drift schedule.

  apply            make Pulumi Cloud match the file
  diff             show what apply would change; writes nothing (same as apply --dry-run)

Flags:
  --file FILE      settings file (default deploy/deployments.yaml)
  --dir DIR        project directory holding Pulumi.yaml and Pulumi.<stack>.yaml (default .);
                   each stack's dataplatform:cloud chooses its OIDC cloud
  --stack NAME     only this stack (repeatable; default: every stack of the file)
  --org ORG        Pulumi Cloud organization (default: the file's organization)
  --api-url URL    Pulumi Cloud API (default: PULUMI_BACKEND_URL when it is an https Pulumi Cloud
                   URL, app.X read as api.X; else https://api.pulumi.com)
  --allow-example  accept the file's placeholder values (example-org, 123456789012, zero IDs)
  --dry-run        apply only: same as diff
  --exit-code      diff only: exit 3 when changes are pending (to fail a CI check on drifted settings)

Environment:
  PULUMI_ACCESS_TOKEN  required; a token allowed to edit the stacks' deployment settings

Exit status: 0 success (diff: also when changes are pending, unless --exit-code), 1 Pulumi Cloud API
failure, 2 usage error, invalid file or missing token, 3 diff --exit-code with changes pending.`

// stackList is the repeatable --stack flag.
type stackList []string

func (s *stackList) String() string { return strings.Join(*s, ",") }
func (s *stackList) Set(v string) error {
	if v == "" {
		return errors.New("empty stack name")
	}
	*s = append(*s, v)
	return nil
}

// deploymentsCommand runs `dataplatform deployments …`; args exclude the word "deployments".
func deploymentsCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stderr
		if len(args) > 0 {
			w = stdout // asked for: not an error
		}
		fmt.Fprintln(w, deploymentsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	if sub != "apply" && sub != "diff" {
		fmt.Fprintf(stderr, "deployments: unknown subcommand %q\n%s\n", sub, deploymentsUsage)
		return 2
	}
	fs := flag.NewFlagSet("deployments "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, deploymentsUsage) }
	var (
		file, dir, org, apiURL string
		stacks                 stackList
		allowExample, dryRun   bool
		exitCode               bool
	)
	fs.StringVar(&file, "file", "deploy/deployments.yaml", "settings file")
	fs.StringVar(&dir, "dir", ".", "project directory (Pulumi.yaml, Pulumi.<stack>.yaml)")
	fs.Var(&stacks, "stack", "only this stack (repeatable)")
	fs.StringVar(&org, "org", "", "Pulumi Cloud organization")
	fs.StringVar(&apiURL, "api-url", "", "Pulumi Cloud API URL")
	fs.BoolVar(&allowExample, "allow-example", false, "accept placeholder values")
	fs.BoolVar(&dryRun, "dry-run", false, "read and compare only")
	fs.BoolVar(&exitCode, "exit-code", false, "diff: exit 3 when changes are pending")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "deployments %s: unexpected argument %q\n", sub, fs.Arg(0))
		return 2
	}
	if sub == "diff" {
		dryRun = true
	}

	f, err := deployments.Load(file)
	if err != nil {
		fmt.Fprintln(stderr, "deployments:", err)
		return 2
	}
	selected := []string(stacks)
	if len(selected) == 0 {
		selected = f.StackNames()
	}
	// Unknown --stack names are reported by Validate with the file's stacks; read the targets of the
	// known ones only so that the message is about the name, not about a missing Pulumi.<name>.yaml.
	var known []string
	for _, s := range selected {
		if _, ok := f.Stacks[s]; ok {
			known = append(known, s)
		}
	}
	read, err := deployments.ReadStacks(dir, known)
	if err != nil {
		fmt.Fprintln(stderr, "deployments:", err)
		return 2
	}
	if err := f.Validate(deployments.ValidateOptions{Stacks: stacks, Targets: read.Targets, ESC: read.ESC, Project: read.Project, OrgOverride: org, AllowExample: allowExample}); err != nil {
		fmt.Fprintln(stderr, "deployments:", err)
		return 2
	}

	url, note := deployments.ResolveAPIURL(apiURL, os.Getenv("PULUMI_BACKEND_URL"))
	if note != "" {
		fmt.Fprintln(stderr, "deployments: note:", note)
	}
	client, err := deployments.NewClient(url, os.Getenv("PULUMI_ACCESS_TOKEN"), nil)
	if err != nil {
		fmt.Fprintln(stderr, "deployments:", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := deployments.Apply(ctx, f, client, deployments.Options{Org: org, Stacks: stacks, DryRun: dryRun})
	rep.Print(stdout)
	if err != nil {
		fmt.Fprintln(stderr, "deployments:", err)
		return 1
	}
	switch {
	case dryRun && rep.Changed():
		fmt.Fprintln(stdout, "Changes pending; `dataplatform deployments apply` makes them.")
		if exitCode {
			return 3
		}
	case dryRun || !rep.Changed():
		fmt.Fprintln(stdout, "Pulumi Cloud matches", file+".")
	default:
		fmt.Fprintln(stdout, "Applied", file+".")
	}
	return 0
}
