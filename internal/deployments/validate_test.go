package deployments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func problems(t *testing.T, src string, o ValidateOptions) []string {
	t.Helper()
	f, err := Parse("deployments.yaml", []byte(src))
	require.NoError(t, err)
	if o.Targets == nil {
		o.Targets = testTargets
	}
	err = f.Validate(o)
	if err == nil {
		return nil
	}
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	return ve.Problems
}

func TestValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"bad cron", `{schedule: "0 * * * *"`, `{schedule: "0 * * *"`, `stacks.prod.drift.schedule: "0 * * *": want 5 fields`},
		{"cron out of range", `{schedule: "0 * * * *"`, `{schedule: "0 24 * * *"`, `stacks.prod.drift.schedule: "0 24 * * *": hour field "24": "24" is not 0..23`},
		{"cron names", `{schedule: "0 * * * *"`, `{schedule: "@hourly"`, `stacks.prod.drift.schedule: "@hourly": want 5 fields`},
		{"auto remediation", `{schedule: "0 * * * *", autoRemediate: false}`, `{schedule: "0 * * * *", autoRemediate: true}`, "stacks.prod.drift.autoRemediate: must be false"},
		{"push to deploy", "deployCommits: false", "deployCommits: true", "stacks.prod.github.deployCommits: must be false: GitHub Actions runs `pulumi up` with the policy pack"},
		{"PR previews", "previewPullRequests: false", "previewPullRequests: true", "stacks.prod.github.previewPullRequests: must be false"},
		{"role ARN", "role/dataplatform-prod-deployments", "user/someone", `stacks.prod.oidc.aws.roleArn: "arn:aws:iam::210987654321:user/someone" is not an IAM role ARN`},
		{"duration", "duration: 1h", "duration: 13h", `stacks.prod.oidc.aws.duration: "13h": a Go duration between 15m and 12h`},
		{"azure GUID", "tenantId: 66666666-7777-8888-9999-aaaaaaaaaaaa", "tenantId: contoso.onmicrosoft.com", `stacks.staging.oidc.azure.tenantId: "contoso.onmicrosoft.com" is not a GUID`},
		{"credential in git", "AWS_REGION: eu-north-1", "SLACK_TOKEN: xoxb", "stacks.prod.environmentVariables.SLACK_TOKEN: looks like a credential"},
		{"agent pool on kubernetes", "agentPoolId: 5b7b9c1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c", "agentPoolId: \"\"", "stacks.dev.agentPoolId: required on the kubernetes target"},
		{"branch", "    branch: main\n  github", "    branch: \"\"\n  github", "stacks.prod.source.branch: required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Contains(t, testFile, tc.from, "the test edits the file")
			got := problems(t, strings.Replace(testFile, tc.from, tc.to, 1), ValidateOptions{})
			require.NotEmpty(t, got)
			require.Contains(t, strings.Join(got, "\n"), tc.want)
		})
	}
}

func TestValidateOIDCFollowsTheStackTarget(t *testing.T) {
	// prod says aws in the file; its stack file says gcp.
	got := problems(t, testFile, ValidateOptions{Targets: map[string]string{"dev": "kubernetes", "staging": "azure", "prod": "gcp"}})
	require.Equal(t, []string{"stacks.prod.oidc: must hold exactly oidc.gcp, the stack's target (dataplatform:cloud: gcp); it has [aws]"}, got)

	got = problems(t, testFile, ValidateOptions{Targets: map[string]string{"dev": "openstack", "staging": "azure", "prod": "aws"}})
	require.Equal(t, []string{`stacks.dev.oidc: unknown target "openstack" in Pulumi.<stack>.yaml (dataplatform:cloud is one of kubernetes, aws, azure, gcp)`}, got)

	withOIDC := strings.Replace(testFile, "  dev:\n", "  dev:\n    oidc: {aws: {roleArn: \"arn:aws:iam::210987654321:role/x\", sessionName: dev}}\n", 1)
	got = problems(t, withOIDC, ValidateOptions{})
	require.Equal(t, []string{"stacks.dev.oidc: the stack's target is kubernetes (Pulumi.<stack>.yaml dataplatform:cloud); remove oidc.aws"}, got)
}

func TestValidateGCP(t *testing.T) {
	gcp := strings.Replace(testFile, `    oidc:
      aws:
        roleArn: arn:aws:iam::210987654321:role/dataplatform-prod-deployments
        sessionName: dataplatform-prod-${deployment.version}
        duration: 1h`, `    oidc:
      gcp:
        projectId: my-project
        workloadPoolId: pulumi
        providerId: ""
        serviceAccount: deployer@my-project.iam.gserviceaccount.com`, 1)
	got := problems(t, gcp, ValidateOptions{Targets: map[string]string{"dev": "kubernetes", "staging": "azure", "prod": "gcp"}})
	require.Equal(t, []string{
		`stacks.prod.oidc.gcp.projectId: "my-project" is not a project number (digits; ` + "`gcloud projects describe`" + ` shows it)`,
		"stacks.prod.oidc.gcp.providerId: required",
	}, got)
}

func TestValidateStackSelectionAndProject(t *testing.T) {
	got := problems(t, testFile, ValidateOptions{Stacks: []string{"qa"}, Project: "other"})
	require.Equal(t, []string{
		`project: "dataplatform" is not the project of Pulumi.yaml ("other")`,
		`stacks: stack "qa" is not in the file (it has: dev, staging, prod)`,
	}, got)
}

func TestParseRefusesUnknownKey(t *testing.T) {
	_, err := Parse("deployments.yaml", []byte(strings.Replace(testFile, "autoRemediate: false}", "autoremediate: false}", 1)))
	require.ErrorContains(t, err, "field autoremediate not found")
}

// The shipped file against the shipped stack files: only its placeholders stand between it and an
// apply, each named with its key path and line; with --allow-example it is valid.
func TestShippedFile(t *testing.T) {
	root := filepath.Join("..", "..")
	f, err := Load(filepath.Join(root, "deploy", "deployments.yaml"))
	require.NoError(t, err)
	read, err := ReadStacks(root, f.StackNames())
	require.NoError(t, err)
	require.Equal(t, map[string]string{"dev": "kubernetes", "staging": "aws", "prod": "aws"}, read.Targets)
	require.Equal(t, map[string]bool{"dev": false, "staging": true, "prod": true}, read.ESC, "staging and prod import ESC environments")
	targets, project, esc := read.Targets, read.Project, read.ESC

	require.NoError(t, f.Validate(ValidateOptions{Targets: targets, ESC: esc, Project: project, AllowExample: true}))
	// Without the ESC environments, a cloud stack needs its own OIDC.
	require.ErrorContains(t, f.Validate(ValidateOptions{Targets: targets, Project: project, AllowExample: true}), "stacks.prod.oidc: must hold exactly oidc.aws")

	err = f.Validate(ValidateOptions{Targets: targets, ESC: esc, Project: project})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	all := strings.Join(ve.Problems, "\n")
	for _, want := range []string{
		`organization: "example-org" (line `,
		`defaults.source.repoUrl: "https://github.com/example-org/dataplatform.git" (line `,
		`defaults.github.repository: "example-org/dataplatform"`,
		`stacks.dev.agentPoolId: "00000000-0000-0000-0000-000000000000"`,
		"put your own, or pass --allow-example",
	} {
		require.Contains(t, all, want)
	}
	for _, p := range ve.Problems {
		require.Contains(t, p, "still holds the example value", "only placeholders are wrong in the shipped file")
	}

	// --org replaces the organization, so its placeholder no longer counts; --stack prod skips dev.
	err = f.Validate(ValidateOptions{Targets: targets, ESC: esc, Project: project, OrgOverride: "acme", Stacks: []string{"dev"}})
	require.ErrorAs(t, err, &ve)
	all = strings.Join(ve.Problems, "\n")
	require.NotContains(t, all, "organization:")
	require.Contains(t, all, "stacks.dev.agentPoolId")
	require.NotContains(t, all, "stacks.prod")
}

func TestReadStacksNeedsTheCloudKey(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Pulumi.yaml"), "name: dataplatform\nruntime: go\n")
	writeFile(t, filepath.Join(dir, "Pulumi.qa.yaml"), "config:\n  dataplatform:region: eu-north-1\n")
	_, err := ReadStacks(dir, []string{"qa"})
	require.ErrorContains(t, err, "does not set dataplatform:cloud")
	_, err = ReadStacks(dir, []string{"missing"})
	require.ErrorContains(t, err, "stack missing: reading the stack configuration")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}
