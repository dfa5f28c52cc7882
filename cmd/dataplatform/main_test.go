package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// A command a team adopts explains itself: subcommands, flags, exit codes and the environment.
func TestHelpExplainsCommandsFlagsAndExitCodes(t *testing.T) {
	for _, arg := range []string{"help", "--help", "-h"} {
		code, out, _ := runCmd(t, arg)
		if code != exitOK {
			t.Fatalf("%s: exit %d", arg, code)
		}
		for _, want := range []string{"plan --stack", "version", "deployments apply|diff", "--set KEY=VALUE", "--out DIR", "--preview",
			"PULUMI_CONFIG_PASSPHRASE", "Exit codes:", "  2  invalid configuration"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: help lacks %q", arg, want)
			}
		}
	}
	if code, _, errOut := runCmd(t); code != exitUsage || !strings.Contains(errOut, "Usage:") {
		t.Errorf("no command: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "deploy"); code != exitUsage || !strings.Contains(errOut, `unknown command "deploy"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "plan"); code != exitUsage || !strings.Contains(errOut, "--stack is required") {
		t.Errorf("plan without --stack: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := runCmd(t, "plan", "--help"); code != exitOK {
		t.Errorf("plan --help: exit %d", code)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCmd(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "dataplatform ") || strings.TrimSpace(strings.TrimPrefix(out, "dataplatform ")) == "" {
		t.Errorf("version: exit %d, %q", code, out)
	}
	version = "v1.2.3"
	defer func() { version = "" }()
	if _, out, _ := runCmd(t, "--version"); out != "dataplatform v1.2.3\n" {
		t.Errorf("-ldflags version not printed: %q", out)
	}
}

// A forgotten passphrase is refused before anything runs, naming the variable: a state without a
// secrets provider crashes `pulumi stack import`. An empty passphrase that is set is a passphrase, as
// for the CLI, and the state names the passphrase provider.
func TestOutNeedsThePassphrase(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "plan")
	args := []string{"plan", "--stack", "dev", "--dir", root, "--set", "dataplatform:cloud=kubernetes",
		"--set", "dataplatform:dbt.registry=registry.example.com:5000", "--out", out}

	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "")
	os.Unsetenv("PULUMI_CONFIG_PASSPHRASE")
	code, _, errOut := runCmd(t, args...)
	if code != exitUsage || !strings.Contains(errOut, "PULUMI_CONFIG_PASSPHRASE") {
		t.Fatalf("missing passphrase: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("refused, but %s was written", out)
	}

	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "")
	if code, _, errOut := runCmd(t, args...); code != exitOK {
		t.Fatalf("empty passphrase: exit %d, stderr %q", code, errOut)
	}
	raw, err := os.ReadFile(filepath.Join(out, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Deployment struct {
			SecretsProviders struct {
				Type string `json:"type"`
			} `json:"secrets_providers"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatal(err)
	}
	if state.Deployment.SecretsProviders.Type != "passphrase" {
		t.Errorf("secrets provider %q: pulumi stack import needs the passphrase provider", state.Deployment.SecretsProviders.Type)
	}
	if strings.Contains(string(raw), `"plaintext"`) {
		t.Error("a secret was written in plaintext")
	}
}
