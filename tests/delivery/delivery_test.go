// Package delivery checks the pipelines the repository ships for its users: the GitHub workflows
// (beside actionlint, which .ci/run runs on them), the Pulumi ESC environments and the stack files
// that import them. Each test names the property a team relies on.
package delivery

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/opendataplatform/dataplatform/internal/planner"
)

const root = "../.."

type step struct {
	Name string            `yaml:"name"`
	Dir  string            `yaml:"working-directory"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	If   string            `yaml:"if"`
	With map[string]any    `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

type job struct {
	Needs       any               `yaml:"needs"`
	RunsOn      string            `yaml:"runs-on"`
	If          string            `yaml:"if"`
	Uses        string            `yaml:"uses"`
	With        map[string]any    `yaml:"with"`
	Permissions map[string]string `yaml:"permissions"`
	Environment string            `yaml:"environment"`
	Concurrency map[string]any    `yaml:"concurrency"`
	Steps       []step            `yaml:"steps"`
	Strategy    struct {
		Matrix map[string][]string `yaml:"matrix"`
	} `yaml:"strategy"`
}

type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]job    `yaml:"jobs"`
}

func load(t *testing.T, name string) (workflow, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, ".github/workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(raw, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w, string(raw)
}

// index returns the position of the first step using action (prefix match on "owner/name@") or
// whose run script contains run; -1 when there is none.
func index(steps []step, action, run string) int {
	for i, s := range steps {
		if action != "" && strings.HasPrefix(s.Uses, action+"@") {
			return i
		}
		if run != "" && strings.Contains(s.Run, run) {
			return i
		}
	}
	return -1
}

func TestPullRequestsRunTestsPlansAndAPolicyCheckedPreview(t *testing.T) {
	w, _ := load(t, "pull-request.yml")
	if _, ok := w.On["pull_request"]; !ok {
		t.Fatal("pull-request.yml does not run on pull_request")
	}
	test := w.Jobs["test"]
	if index(test.Steps, "", "go test ./...") < 0 {
		t.Error("the test job does not run the README's test command, go test ./...")
	}
	plan := index(test.Steps, "", "cmd/dataplatform plan")
	if plan < 0 || !strings.Contains(test.Steps[plan].Run, "for stack in dev staging prod") {
		t.Error("the test job does not run the offline plan of every stack")
	}
	preview := w.Jobs["preview"]
	if !slices.Contains(asList(preview.Needs), "test") {
		t.Error("preview must wait for the tests")
	}
	if !strings.Contains(preview.If, "head.repo.full_name == github.repository") {
		t.Errorf("fork pull requests get no OIDC token: preview must skip them, if = %q", preview.If)
	}
	if preview.Permissions["id-token"] != "write" || preview.Permissions["pull-requests"] != "write" {
		t.Errorf("preview permissions %v: id-token write (OIDC) and pull-requests write (the comment) are needed", preview.Permissions)
	}
	build := index(preview.Steps, "", "go build -o \"$GITHUB_WORKSPACE/bin/policy-pack\" ./policy")
	auth := index(preview.Steps, "pulumi/auth-actions", "")
	run := index(preview.Steps, "", "pulumi preview --stack \"$STACK\" --policy-pack ./bin/policy-pack")
	comment := index(preview.Steps, "", "gh pr comment")
	if build < 0 || auth < 0 || run < 0 || comment < 0 || build > run || auth > run || comment < run {
		t.Fatalf("preview must build the pack and log in by OIDC, preview with the pack, then comment (build %d, auth %d, preview %d, comment %d)", build, auth, run, comment)
	}
	if preview.Steps[build].Run == "" || !strings.Contains(stepDir(preview.Steps[build]), "base") {
		t.Error("the policy pack must be built from the target branch's checkout, so a pull request cannot weaken its own gate")
	}
	if !strings.Contains(preview.Steps[run].Run, "set -o pipefail") {
		t.Error("the preview's exit status must survive the tee")
	}
	if !strings.HasPrefix(preview.Steps[comment].If, "always()") {
		t.Errorf("the comment must be posted when the preview fails too: if = %q", preview.Steps[comment].If)
	}
	if !slices.Equal(preview.Strategy.Matrix["stack"], []string{"staging", "prod"}) {
		t.Errorf("preview matrix %v: the deployed stacks", preview.Strategy.Matrix["stack"])
	}
	gate := w.Jobs["preview-ok"]
	if !slices.Contains(asList(gate.Needs), "preview") || gate.If != "always()" {
		t.Errorf("preview-ok (the check to require: matrix jobs are named per stack) must need preview and always run: %+v", gate)
	}
}

func TestMergeDeploysDevThenStagingThenProdBehindItsEnvironment(t *testing.T) {
	w, _ := load(t, "deploy.yml")
	if _, ok := w.On["push"]; !ok {
		t.Fatal("deploy.yml does not run on push to main")
	}
	order := map[string]string{"staging": "dev", "prod": "staging"}
	for stack, before := range order {
		j := w.Jobs[stack]
		if !slices.Contains(asList(j.Needs), before) {
			t.Errorf("%s must need %s", stack, before)
		}
		if j.Uses != "./.github/workflows/up.yml" || j.With["stack"] != stack {
			t.Errorf("%s must call up.yml for its stack: %v %v", stack, j.Uses, j.With)
		}
	}
	for _, stack := range []string{"dev", "staging", "prod"} {
		if !strings.Contains(w.Jobs[stack].If, "github.ref == 'refs/heads/main'") {
			t.Errorf("%s deploys only from main (workflow_dispatch can pick another branch): if = %q", stack, w.Jobs[stack].If)
		}
	}
	if w.Jobs["prod"].With["refuse-drift"] != true {
		t.Error("prod must refuse to run over drift")
	}
	if !strings.Contains(w.Jobs["prod"].If, "needs.staging.result == 'success'") {
		t.Errorf("prod runs only after a successful staging: if = %q", w.Jobs["prod"].If)
	}

	up, _ := load(t, "up.yml")
	j := up.Jobs["up"]
	if j.Environment != "${{ inputs.stack }}" {
		t.Errorf("up runs in the stack's GitHub environment (required reviewers on prod), got %q", j.Environment)
	}
	if j.Concurrency["group"] != "pulumi-up-${{ inputs.stack }}" || j.Concurrency["cancel-in-progress"] != false {
		t.Errorf("one update per stack at a time, never cancelled: %v", j.Concurrency)
	}
	drift, upStep := index(j.Steps, "", "--preview-only --expect-no-changes"), -1
	for i, s := range j.Steps {
		if strings.HasPrefix(s.Uses, "pulumi/actions@") && s.With["command"] == "up" {
			upStep = i
		}
	}
	if drift < 0 || upStep < 0 || drift > upStep || j.Steps[drift].If != "inputs.refuse-drift" {
		t.Fatalf("the drift check (step %d) must run before up (step %d) when refuse-drift is set", drift, upStep)
	}
	if j.Steps[upStep].With["policyPacks"] != "./bin/policy-pack" || j.Steps[upStep].With["suppress-outputs"] != true {
		t.Error("up must run with the policy pack and keep stack outputs (the kubeconfig) out of step outputs")
	}
}

func TestDriftIsReportedOnASchedule(t *testing.T) {
	w, _ := load(t, "drift.yml")
	sched, _ := w.On["schedule"].([]any)
	if len(sched) == 0 {
		t.Fatal("drift.yml has no schedule")
	}
	j := w.Jobs["drift"]
	if index(j.Steps, "", "pulumi refresh --stack \"$STACK\" --preview-only --expect-no-changes") < 0 {
		t.Error("drift must refresh in preview-only mode and fail on changes")
	}
	if j.Concurrency["group"] != "pulumi-drift-${{ matrix.stack }}" {
		t.Errorf("the drift check has its own group (sharing up.yml's would let it cancel a pending deploy): %v", j.Concurrency)
	}
}

// Cloud access is by OIDC only: no workflow reads a stored cloud key or Pulumi token, every job that
// talks to Pulumi Cloud may request an OIDC token, and every workflow pins the same CLI as CI.
func TestWorkflowsUseOIDCOnlyAndThePinnedCLI(t *testing.T) {
	ci, err := os.ReadFile(filepath.Join(root, ".ci/pulumi-cli.sh"))
	if err != nil {
		t.Fatal(err)
	}
	pinned := regexp.MustCompile(`(?m)^version=v(\S+)`).FindStringSubmatch(string(ci))
	secretRE := regexp.MustCompile(`secrets\.([A-Za-z_]+)`)
	files, _ := filepath.Glob(filepath.Join(root, ".github/workflows/*.yml"))
	if len(files) != 4 {
		t.Fatalf("workflows: %v", files)
	}
	for _, f := range files {
		w, raw := load(t, filepath.Base(f))
		for _, m := range secretRE.FindAllStringSubmatch(raw, -1) {
			if m[1] != "GITHUB_TOKEN" {
				t.Errorf("%s reads secrets.%s: cloud and Pulumi access must come by OIDC", filepath.Base(f), m[1])
			}
		}
		for _, banned := range []string{"AWS_SECRET_ACCESS_KEY", "ARM_CLIENT_SECRET", "GOOGLE_CREDENTIALS", "PULUMI_ACCESS_TOKEN:"} {
			if strings.Contains(raw, banned) {
				t.Errorf("%s mentions %s", filepath.Base(f), banned)
			}
		}
		for _, m := range regexp.MustCompile(`PULUMI_VERSION: (\S+)`).FindAllStringSubmatch(raw, -1) {
			if pinned != nil && m[1] != pinned[1] {
				t.Errorf("%s pins Pulumi %s, CI builds %s", filepath.Base(f), m[1], pinned[1])
			}
		}
		for name, j := range w.Jobs {
			if index(j.Steps, "pulumi/auth-actions", "") < 0 {
				continue
			}
			if j.Permissions["pull-requests"] == "write" && index(j.Steps, "pulumi/actions", "") >= 0 {
				for _, st := range j.Steps {
					if strings.HasPrefix(st.Uses, "pulumi/actions@") && st.With["command"] != nil && st.With["suppress-outputs"] != true {
						t.Errorf("%s job %s: pulumi/actions writes stack outputs to step outputs unless suppress-outputs", filepath.Base(f), name)
					}
				}
			}
			if j.Permissions["id-token"] != "write" && w.Permissions["id-token"] != "write" {
				t.Errorf("%s job %s logs in by OIDC without id-token: write", filepath.Base(f), name)
			}
			// Every job that reaches the stack's cluster can run inside a private network.
			if !strings.Contains(j.RunsOn, "vars.DATAPLATFORM_RUNNER") {
				t.Errorf("%s job %s runs on %q: a private API endpoint needs the DATAPLATFORM_RUNNER runner", filepath.Base(f), name, j.RunsOn)
			}
		}
	}
}

type escEnv struct {
	Imports []string       `yaml:"imports"`
	Values  map[string]any `yaml:"values"`
}

// Every cloud has a staging and a prod environment that imports the common one, logs in by OIDC
// with the cloud's ESC login provider, hands the credentials to the provider through environment
// variables, and sets the stack's target.
func TestESCEnvironmentsLogInByOIDC(t *testing.T) {
	login := map[string]string{"aws": "AWS_SESSION_TOKEN", "azure": "ARM_OIDC_TOKEN", "gcp": "GOOGLE_OAUTH_ACCESS_TOKEN"}
	for cloud, tokenVar := range login {
		for _, stack := range []string{"staging", "prod"} {
			name := cloud + "-" + stack
			raw, err := os.ReadFile(filepath.Join(root, planner.ESCDir, "dataplatform", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var env escEnv
			if err := yaml.Unmarshal(raw, &env); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !slices.Contains(env.Imports, "dataplatform/common") {
				t.Errorf("%s does not import dataplatform/common", name)
			}
			provider, _ := env.Values[cloud].(map[string]any)["login"].(map[string]any)["fn::open::"+cloud+"-login"].(map[string]any)
			if provider == nil {
				t.Fatalf("%s: no values.%s.login fn::open::%s-login", name, cloud, cloud)
			}
			if _, ok := provider["oidc"]; !ok {
				t.Errorf("%s: the %s-login provider does not use OIDC", name, cloud)
			}
			vars, _ := env.Values["environmentVariables"].(map[string]any)
			if v, _ := vars[tokenVar].(string); !strings.HasPrefix(v, "${"+cloud+".login.") {
				t.Errorf("%s: %s = %q, want the login's short-lived credential", name, tokenVar, v)
			}
			cfg, _ := env.Values["pulumiConfig"].(map[string]any)
			if cfg["dataplatform:cloud"] != cloud {
				t.Errorf("%s: pulumiConfig dataplatform:cloud = %v", name, cfg["dataplatform:cloud"])
			}
			// The cluster's kubeconfig must authenticate in CI too, without an interactive login.
			files, _ := env.Values["files"].(map[string]any)
			switch cloud {
			case "azure":
				cluster, _ := cfg["dataplatform:cluster"].(map[string]any)
				if cluster["kubeloginMode"] != "workloadidentity" || files["AZURE_FEDERATED_TOKEN_FILE"] == nil || vars["AZURE_CLIENT_ID"] == nil {
					t.Errorf("%s: kubelogin needs workloadidentity mode with AZURE_FEDERATED_TOKEN_FILE and AZURE_CLIENT_ID", name)
				}
			case "gcp":
				if files["CLOUDSDK_AUTH_ACCESS_TOKEN_FILE"] == nil || vars["CLOUDSDK_CORE_PROJECT"] == nil {
					t.Errorf("%s: gke-gcloud-auth-plugin runs gcloud, which needs CLOUDSDK_AUTH_ACCESS_TOKEN_FILE and CLOUDSDK_CORE_PROJECT", name)
				}
			}
		}
	}
}

// The stack files import environments the repository defines, and the offline plan resolves them
// without Pulumi Cloud: the target comes from the environment when the stack file does not set it.
func TestStackFilesImportTheRepositorysEnvironments(t *testing.T) {
	p, err := planner.LoadProject(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range []string{"staging", "prod"} {
		sc, err := p.LoadStackConfig(root, stack)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sc.Environments, []string{"dataplatform/common", "dataplatform/aws-" + stack}) {
			t.Errorf("%s imports %v", stack, sc.Environments)
		}
		for _, s := range sc.Skipped {
			if strings.Contains(s, "not in esc/") {
				t.Errorf("%s: %s", stack, s)
			}
		}
		if sc.Values["aws:region"] != "eu-north-1" || sc.Values["dataplatform:tags"] == "" {
			t.Errorf("%s: the environments' pulumiConfig was not applied: %v", stack, sc.Values)
		}
	}
}

func stepDir(s step) string { return s.Dir }

func asList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
