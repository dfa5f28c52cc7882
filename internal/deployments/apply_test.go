package deployments

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// testFile is a filled-in file (no placeholders) over the three targets.
const testFile = `
organization: acme
project: dataplatform
defaults:
  source:
    repoUrl: https://github.com/acme/dataplatform.git
    branch: main
  github:
    repository: acme/dataplatform
    deployCommits: false
    previewPullRequests: false
  preRunCommands:
    - go build -o bin/policy-pack ./policy
  environmentVariables:
    PULUMI_SKIP_UPDATE_CHECK: "true"
stacks:
  dev:
    agentPoolId: 5b7b9c1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c
    drift: {schedule: "0 6 * * *", autoRemediate: false}
  staging:
    source:
      repoUrl: https://github.com/acme/dataplatform.git
      branch: main
      repoDir: infra
    oidc:
      azure:
        clientId: 11111111-2222-3333-4444-555555555555
        tenantId: 66666666-7777-8888-9999-aaaaaaaaaaaa
        subscriptionId: bbbbbbbb-cccc-dddd-eeee-ffffffffffff
    drift: {schedule: "0 6 * * *", autoRemediate: false}
  prod:
    oidc:
      aws:
        roleArn: arn:aws:iam::210987654321:role/dataplatform-prod-deployments
        sessionName: dataplatform-prod-${deployment.version}
        duration: 1h
    environmentVariables:
      AWS_REGION: eu-north-1
    drift: {schedule: "0 * * * *", autoRemediate: false}
`

var testTargets = map[string]string{"dev": "kubernetes", "staging": "azure", "prod": "aws"}

func loadTest(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("deployments.yaml", []byte(src))
	require.NoError(t, err)
	require.NoError(t, f.Validate(ValidateOptions{Targets: testTargets, Project: "dataplatform"}))
	return f
}

func calls(f *fakeAPI) []string {
	var out []string
	for _, c := range f.calls {
		out = append(out, c.String())
	}
	return out
}

func bodyOf(t *testing.T, f *fakeAPI, what string) string {
	t.Helper()
	for _, c := range f.calls {
		if c.String() == what {
			b, err := json.Marshal(c.Body)
			require.NoError(t, err)
			return string(b)
		}
	}
	t.Fatalf("no request %s in %v", what, calls(f))
	return ""
}

const (
	devPath     = "/api/stacks/acme/dataplatform/dev/deployments"
	stagingPath = "/api/stacks/acme/dataplatform/staging/deployments"
	prodPath    = "/api/stacks/acme/dataplatform/prod/deployments"
)

func TestApplyFirstRunCreatesSettingsAndOneDriftSchedule(t *testing.T) {
	api, c := newFakeAPI(t)
	rep, err := Apply(context.Background(), loadTest(t, testFile), c, Options{})
	require.NoError(t, err)

	// Read first, then write; stacks in rollout order.
	require.Equal(t, []string{
		"GET " + devPath + "/settings", "PUT " + devPath + "/settings", "GET " + devPath + "/schedules", "POST " + devPath + "/drift/schedules",
		"GET " + stagingPath + "/settings", "PUT " + stagingPath + "/settings", "GET " + stagingPath + "/schedules", "POST " + stagingPath + "/drift/schedules",
		"GET " + prodPath + "/settings", "PUT " + prodPath + "/settings", "GET " + prodPath + "/schedules", "POST " + prodPath + "/drift/schedules",
	}, calls(api))

	// Every field of the bodies (apitype.DeploymentSettingsRequest JSON names): deployCommits,
	// previewPullRequests and pullRequestTemplate are sent as false, not omitted; no OIDC on the
	// kubernetes target; exactly the target's cloud elsewhere.
	require.JSONEq(t, `{
	  "sourceContext": {"git": {"repoUrl": "https://github.com/acme/dataplatform.git", "branch": "main"}},
	  "gitHub": {"repository": "acme/dataplatform", "deployCommits": false, "previewPullRequests": false, "pullRequestTemplate": false},
	  "operationContext": {"preRunCommands": ["go build -o bin/policy-pack ./policy"], "environmentVariables": {"PULUMI_SKIP_UPDATE_CHECK": "true"}},
	  "agentPoolID": "5b7b9c1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c"
	}`, bodyOf(t, api, "PUT "+devPath+"/settings"))
	require.JSONEq(t, `{
	  "sourceContext": {"git": {"repoUrl": "https://github.com/acme/dataplatform.git", "branch": "main", "repoDir": "infra"}},
	  "gitHub": {"repository": "acme/dataplatform", "deployCommits": false, "previewPullRequests": false, "pullRequestTemplate": false},
	  "operationContext": {"preRunCommands": ["go build -o bin/policy-pack ./policy"], "environmentVariables": {"PULUMI_SKIP_UPDATE_CHECK": "true"},
	    "oidc": {"azure": {"clientId": "11111111-2222-3333-4444-555555555555", "tenantId": "66666666-7777-8888-9999-aaaaaaaaaaaa", "subscriptionId": "bbbbbbbb-cccc-dddd-eeee-ffffffffffff"}}}
	}`, bodyOf(t, api, "PUT "+stagingPath+"/settings"))
	require.JSONEq(t, `{
	  "sourceContext": {"git": {"repoUrl": "https://github.com/acme/dataplatform.git", "branch": "main"}},
	  "gitHub": {"repository": "acme/dataplatform", "deployCommits": false, "previewPullRequests": false, "pullRequestTemplate": false},
	  "operationContext": {"preRunCommands": ["go build -o bin/policy-pack ./policy"],
	    "environmentVariables": {"PULUMI_SKIP_UPDATE_CHECK": "true", "AWS_REGION": "eu-north-1"},
	    "oidc": {"aws": {"roleArn": "arn:aws:iam::210987654321:role/dataplatform-prod-deployments", "sessionName": "dataplatform-prod-${deployment.version}", "duration": "1h"}}}
	}`, bodyOf(t, api, "PUT "+prodPath+"/settings"))
	// apitype.CreateScheduledDriftDeploymentRequest: autoRemediate false is sent, not omitted.
	require.JSONEq(t, `{"scheduleCron": "0 * * * *", "autoRemediate": false}`, bodyOf(t, api, "POST "+prodPath+"/drift/schedules"))
	require.JSONEq(t, `{"scheduleCron": "0 6 * * *", "autoRemediate": false}`, bodyOf(t, api, "POST "+devPath+"/drift/schedules"))

	require.Len(t, rep.Stacks, 3)
	for _, s := range rep.Stacks {
		require.Equal(t, Create, s.Settings, s.Stack.String())
		require.Equal(t, Create, s.Drift, s.Stack.String())
		require.NotEmpty(t, s.DriftID)
	}
}

func TestApplySecondRunSendsNoWrite(t *testing.T) {
	api, c := newFakeAPI(t)
	f := loadTest(t, testFile)
	_, err := Apply(context.Background(), f, c, Options{})
	require.NoError(t, err)
	api.reset()

	rep, err := Apply(context.Background(), f, c, Options{})
	require.NoError(t, err)
	require.Empty(t, api.writes())
	require.Len(t, api.calls, 6) // a settings read and a schedules read per stack
	require.False(t, rep.Changed())
	for _, s := range rep.Stacks {
		require.Empty(t, s.Changes, s.Stack.String())
		require.Len(t, api.sched[s.Stack.String()], 1, "one drift schedule per stack")
	}
}

func TestApplyChangedCronUpdatesTheScheduleInPlace(t *testing.T) {
	api, c := newFakeAPI(t)
	_, err := Apply(context.Background(), loadTest(t, testFile), c, Options{})
	require.NoError(t, err)
	id := api.sched["acme/dataplatform/prod"][0]["id"].(string)
	api.reset()

	changed := strings.Replace(testFile, `{schedule: "0 * * * *"`, `{schedule: "*/30 * * * *"`, 1)
	rep, err := Apply(context.Background(), loadTest(t, changed), c, Options{Stacks: []string{"prod"}})
	require.NoError(t, err)
	require.Equal(t, []string{"POST " + prodPath + "/drift/schedules/" + id}, api.writes())
	require.JSONEq(t, `{"scheduleCron": "*/30 * * * *", "autoRemediate": false}`, bodyOf(t, api, "POST "+prodPath+"/drift/schedules/"+id))
	require.Len(t, api.sched["acme/dataplatform/prod"], 1, "never a second drift schedule")
	require.Equal(t, Unchanged, rep.Stacks[0].Settings)
	require.Equal(t, Update, rep.Stacks[0].Drift)
	require.Equal(t, []string{`scheduleCron: "0 * * * *" -> "*/30 * * * *"`}, rep.Stacks[0].DriftChanges)
}

func TestApplyChangedSettingReplacesSettingsAndNamesTheField(t *testing.T) {
	api, c := newFakeAPI(t)
	_, err := Apply(context.Background(), loadTest(t, testFile), c, Options{})
	require.NoError(t, err)
	api.reset()

	changed := strings.Replace(testFile, "AWS_REGION: eu-north-1", "AWS_REGION: eu-west-1", 1)
	rep, err := Apply(context.Background(), loadTest(t, changed), c, Options{Stacks: []string{"prod"}})
	require.NoError(t, err)
	require.Equal(t, []string{"PUT " + prodPath + "/settings"}, api.writes())
	require.Equal(t, []string{`operationContext.environmentVariables.AWS_REGION: "eu-north-1" -> "eu-west-1"`}, rep.Stacks[0].Changes)
}

func TestApplyDryRunWritesNothing(t *testing.T) {
	api, c := newFakeAPI(t)
	rep, err := Apply(context.Background(), loadTest(t, testFile), c, Options{DryRun: true})
	require.NoError(t, err)
	require.Empty(t, api.writes())
	require.True(t, rep.Changed())
	var out strings.Builder
	rep.Print(&out)
	require.Contains(t, out.String(), "settings: would create")
	require.Contains(t, out.String(), `operationContext.oidc.aws: (unset) -> {"duration":"1h0m0s"`)
}

// A stack set up in the console: the service's own spelling of the branch, the GitHub link described
// only in `vcs`, a secret environment variable, git credentials, options and a remediating drift
// schedule next to an older one and a non-drift schedule.
func TestApplyOverConsoleSettingsKeepsSecretsAndManagesOneSchedule(t *testing.T) {
	api, c := newFakeAPI(t)
	key := "acme/dataplatform/prod"
	api.settings[key] = map[string]any{
		"version":       float64(3),
		"sourceContext": map[string]any{"git": map[string]any{"repoUrl": "https://github.com/acme/dataplatform.git", "branch": "refs/heads/main", "gitAuth": map[string]any{"accessToken": map[string]any{"ciphertext": "AAABAGl0IGlzIGEgc2VjcmV0"}}}},
		"vcs":           map[string]any{"provider": "github", "repository": "acme/dataplatform", "deployCommits": true, "previewPullRequests": true},
		"operationContext": map[string]any{
			"preRunCommands":       []any{"go build -o bin/policy-pack ./policy"},
			"environmentVariables": map[string]any{"PULUMI_SKIP_UPDATE_CHECK": "true", "AWS_REGION": "eu-north-1", "SLACK_WEBHOOK": map[string]any{"ciphertext": "AAABAHNsYWNr"}},
			"options":              map[string]any{"skipIntermediateDeployments": true, "remediateIfDriftDetected": true},
			"oidc":                 map[string]any{"aws": map[string]any{"roleArn": "arn:aws:iam::210987654321:role/dataplatform-prod-deployments", "sessionName": "dataplatform-prod-${deployment.version}", "duration": "1h0m0s"}},
		},
	}
	older := driftAction("old", "2026-01-01T00:00:00Z", map[string]any{"scheduleCron": "0 * * * *", "autoRemediate": true})
	newer := driftAction("new", "2026-02-01T00:00:00Z", map[string]any{"scheduleCron": "0 12 * * *"})
	update := driftAction("upd", "2025-01-01T00:00:00Z", map[string]any{"scheduleCron": "0 0 * * 0"})
	update["definition"].(map[string]any)["request"].(map[string]any)["operation"] = "update"
	api.sched[key] = []map[string]any{newer, update, older}

	rep, err := Apply(context.Background(), loadTest(t, testFile), c, Options{Stacks: []string{"prod"}})
	require.NoError(t, err)
	s := rep.Stacks[0]
	// The branch spelling is no change; the push-to-deploy and PR previews turned on in the console
	// and the settings-level remediation are.
	require.Equal(t, []string{
		`gitHub: {"repository":"acme/dataplatform","deployCommits":true,"previewPullRequests":true,"pullRequestTemplate":false} -> {"repository":"acme/dataplatform","deployCommits":false,"previewPullRequests":false,"pullRequestTemplate":false}`,
		`operationContext.options.remediateIfDriftDetected: true -> false`,
	}, s.Changes)
	put := bodyOf(t, api, "PUT "+prodPath+"/settings")
	// Carried over as ciphertext, the form `pulumi deployment settings push` sends.
	require.Contains(t, put, `"gitAuth":{"accessToken":{"ciphertext":"AAABAGl0IGlzIGEgc2VjcmV0"}}`)
	require.Contains(t, put, `"SLACK_WEBHOOK":{"ciphertext":"AAABAHNsYWNr"}`)
	require.Contains(t, put, `"options":{"deleteAfterDestroy":false,"remediateIfDriftDetected":false,"skipInstallDependencies":false,"skipIntermediateDeployments":true}`)
	// The oldest drift schedule is the managed one; the newer is reported, the update schedule ignored.
	require.Equal(t, []string{"PUT " + prodPath + "/settings", "POST " + prodPath + "/drift/schedules/old"}, api.writes())
	require.Equal(t, []string{"autoRemediate: true -> false"}, s.DriftChanges)
	require.Contains(t, strings.Join(s.Warnings, "\n"), "1 more drift schedule(s) on the stack, not managed by this file: new (0 12 * * *)")
	require.Contains(t, strings.Join(s.Warnings, "\n"), "keeps secret environment variable SLACK_WEBHOOK")
}

func TestApplyRefusesToLoseASecretItCannotCarry(t *testing.T) {
	api, c := newFakeAPI(t)
	api.settings["acme/dataplatform/prod"] = map[string]any{
		"version":          float64(1),
		"operationContext": map[string]any{"environmentVariables": map[string]any{"SLACK_WEBHOOK": map[string]any{"secret": "[secret]"}}},
	}
	_, err := Apply(context.Background(), loadTest(t, testFile), c, Options{Stacks: []string{"prod"}})
	require.ErrorContains(t, err, "secret environment variable SLACK_WEBHOOK came back without its ciphertext")
	require.Empty(t, api.writes())
}

func TestApplyAPIErrorNamesCallStatusAndMessage(t *testing.T) {
	api, c := newFakeAPI(t)
	api.fail["PUT "+devPath+"/settings"] = [2]any{403, "Forbidden: the token's team has no write access to acme/dataplatform/dev"}
	rep, err := Apply(context.Background(), loadTest(t, testFile), c, Options{})
	require.EqualError(t, err, "stack acme/dataplatform/dev: PUT "+devPath+"/settings: HTTP 403: Forbidden: the token's team has no write access to acme/dataplatform/dev")
	require.Len(t, rep.Stacks, 1, "stops at the first failure")
	require.True(t, rep.Stacks[0].Failed)
}

func TestApplyOrgOverride(t *testing.T) {
	api, c := newFakeAPI(t)
	_, err := Apply(context.Background(), loadTest(t, testFile), c, Options{Org: "other", Stacks: []string{"prod"}, DryRun: true})
	require.NoError(t, err)
	require.Equal(t, "GET /api/stacks/other/dataplatform/prod/deployments/settings", api.calls[0].String())
}

func TestClientNeedsToken(t *testing.T) {
	_, err := NewClient(DefaultAPIURL, " ", nil)
	require.ErrorContains(t, err, "PULUMI_ACCESS_TOKEN is not set")
	_, err = NewClient("https://api.example.com/v1", "t", nil)
	require.ErrorContains(t, err, "must be scheme and host only")
}

func TestResolveAPIURL(t *testing.T) {
	for _, tc := range []struct{ flag, backend, want string }{
		{"", "", "https://api.pulumi.com"},
		{"", "https://app.pulumi.com", "https://api.pulumi.com"},
		{"", "https://api.pulumi.com/", "https://api.pulumi.com"},
		{"", "https://app.pulumi.acme.internal", "https://api.pulumi.acme.internal"},
		{"", "s3://state-bucket", "https://api.pulumi.com"},
		{"", "file://~", "https://api.pulumi.com"},
		{"http://127.0.0.1:8080/", "https://app.pulumi.com", "http://127.0.0.1:8080"},
	} {
		got, _ := ResolveAPIURL(tc.flag, tc.backend)
		require.Equal(t, tc.want, got, "%+v", tc)
	}
	_, note := ResolveAPIURL("", "s3://state-bucket")
	require.Contains(t, note, "not a Pulumi Cloud URL")
}
