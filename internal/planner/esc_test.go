package planner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A stack file that imports ESC environments still plans offline: the static pulumiConfig of the
// environments the repository keeps is applied (imports first, later environments over earlier, the
// stack file over all), and what ESC computes when opened is named, not silently dropped.
func TestStackFileEnvironmentsResolveOffline(t *testing.T) {
	dir := writeProject(t, "environment:\n  - dataplatform/aws-prod\n  - dataplatform/missing\nconfig:\n  dataplatform:region: eu-west-1\n  dataplatform:tags:\n    team: data\n")
	writeFile(t, filepath.Join(dir, "esc/dataplatform/common.yaml"), `
values:
  pulumiConfig:
    dataplatform:tags: {cost-center: data-platform}
    dataplatform:cloud: kubernetes
`)
	writeFile(t, filepath.Join(dir, "esc/dataplatform/aws-prod.yaml"), `
imports:
  - dataplatform/common
values:
  aws:
    login:
      fn::open::aws-login:
        oidc: {roleArn: "arn:aws:iam::123456789012:role/deployer", sessionName: ci}
  environmentVariables:
    AWS_ACCESS_KEY_ID: ${aws.login.accessKeyId}
  pulumiConfig:
    dataplatform:cloud: aws
    dataplatform:region: eu-north-1
    aws:region: eu-north-1
    region2: ${aws.login.region}
    secretThing:
      fn::secret: hunter2
`)
	p, err := LoadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := p.LoadStackConfig(dir, "dev")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"dataplatform:cloud":  "aws",       // aws-prod over common
		"dataplatform:region": "eu-west-1", // the stack file over the environment
		"aws:region":          "eu-north-1",
		// Objects merge key by key, as the CLI merges ESC pulumiConfig and stack config.
		"dataplatform:tags": `{"cost-center":"data-platform","team":"data"}`,
	}
	for k, v := range want {
		if sc.Values[k] != v {
			t.Errorf("%s = %q, want %q", k, sc.Values[k], v)
		}
	}
	for _, k := range []string{"dataplatform:region2", "dataplatform:secretThing"} {
		if _, ok := sc.Values[k]; ok {
			t.Errorf("%s is computed by ESC and must not get a value offline", k)
		}
	}
	joined := strings.Join(sc.Skipped, "\n")
	for _, want := range []string{"dataplatform:region2 from environment dataplatform/aws-prod", "dataplatform:secretThing from environment dataplatform/aws-prod",
		"environment dataplatform/missing: not in esc/",
		"environment dataplatform/aws-prod: aws, environmentVariables opened by ESC"} {
		if !strings.Contains(joined, want) {
			t.Errorf("skipped does not say %q:\n%s", want, joined)
		}
	}
	if len(sc.Environments) != 2 {
		t.Errorf("environments = %v", sc.Environments)
	}
}

func TestStackFileEnvironmentMustBeNames(t *testing.T) {
	dir := writeProject(t, "environment:\n  - {imports: x}\nconfig: {}\n")
	p, _ := LoadProject(dir)
	if _, err := p.LoadStackConfig(dir, "dev"); err == nil || !strings.Contains(err.Error(), "environment entry") {
		t.Errorf("a malformed environment list must be refused: %v", err)
	}
}
