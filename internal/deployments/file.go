// Package deployments keeps the Pulumi Deployments settings and the drift schedule of every stack of
// this project in a file of the repository (deploy/deployments.yaml) and applies them to Pulumi Cloud
// idempotently: it reads each stack's settings and schedules first, writes only what differs and never
// creates a second drift schedule.
//
// Division of labour (why the file looks the way it does): GitHub Actions runs `pulumi preview` on pull
// requests and `pulumi up` on merge, both with `--policy-pack`. Pulumi Deployments cannot pass a policy
// pack (OperationContext has no such field, pulumi-cloud-sdk/go@v1.20261104.0
// apitype/operation_context_request_.go), so Deployments owns only drift detection here: push-to-deploy
// and pull-request previews stay off, and a drift schedule never remediates on its own.
package deployments

import (
	"bytes"
	"fmt"
	"os"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/opendataplatform/dataplatform/internal/planner"
)

// File is deploy/deployments.yaml.
type File struct {
	// Organization is the Pulumi Cloud organization that owns the stacks (--org overrides it).
	Organization string `yaml:"organization"`
	// Project is the Pulumi project name (the `name:` of Pulumi.yaml).
	Project string `yaml:"project"`
	// Defaults holds the settings every stack shares; a stack's own value replaces it field by field,
	// and environment variables are merged name by name (the stack wins).
	Defaults Stack `yaml:"defaults"`
	// Stacks maps a stack name (dev, staging, prod) to its settings.
	Stacks map[string]Stack `yaml:"stacks"`

	// path and root are kept to name the file and its YAML paths in errors.
	path string
	root *yaml.Node
}

// Stack is the Deployments settings of one stack.
type Stack struct {
	// Source is where Deployments clones the program from.
	Source *Source `yaml:"source"`
	// GitHub links the stack to the Pulumi GitHub app (optional; without it a private repository needs
	// git credentials set in Pulumi Cloud, which apply keeps).
	GitHub *GitHub `yaml:"github"`
	// OIDC is the cloud login of the stack's target; exactly the target's cloud, none on kubernetes.
	OIDC *OIDC `yaml:"oidc"`
	// PreRunCommands run before every Deployments operation, in the repository directory.
	PreRunCommands []string `yaml:"preRunCommands"`
	// EnvironmentVariables are plain (non-secret) variables; secrets never go in this file.
	EnvironmentVariables map[string]string `yaml:"environmentVariables"`
	// ExecutorImage is the image operations run in; empty means Pulumi's default image.
	ExecutorImage string `yaml:"executorImage"`
	// AgentPoolID selects a self-hosted agent pool; empty means Pulumi-hosted runners.
	AgentPoolID string `yaml:"agentPoolId"`
	// Drift is the stack's drift-detection schedule.
	Drift *Drift `yaml:"drift"`
}

// Source is a git source (pulumi-cloud-sdk apitype/source_context_git_request_.go: repoUrl, branch, repoDir).
type Source struct {
	RepoURL string `yaml:"repoUrl"`
	Branch  string `yaml:"branch"`
	RepoDir string `yaml:"repoDir"`
}

// GitHub is the GitHub app link (apitype/deployment_settings_git_hub_request_.go). DeployCommits and
// PreviewPullRequests must stay false in this project: see the package comment.
type GitHub struct {
	Repository          string   `yaml:"repository"`
	DeployCommits       bool     `yaml:"deployCommits"`
	PreviewPullRequests bool     `yaml:"previewPullRequests"`
	Paths               []string `yaml:"paths"`
}

// OIDC holds one cloud's OIDC login (apitype/operation_context_oidc_configuration_request_.go).
type OIDC struct {
	AWS   *AWSOIDC   `yaml:"aws"`
	Azure *AzureOIDC `yaml:"azure"`
	GCP   *GCPOIDC   `yaml:"gcp"`
}

// AWSOIDC is apitype/operation_context_awsoidc_configuration_request_.go.
type AWSOIDC struct {
	RoleARN     string   `yaml:"roleArn"`
	SessionName string   `yaml:"sessionName"`
	Duration    string   `yaml:"duration"`
	PolicyARNs  []string `yaml:"policyArns"`
}

// AzureOIDC is apitype/operation_context_azure_oidc_configuration_request_.go.
type AzureOIDC struct {
	ClientID       string `yaml:"clientId"`
	TenantID       string `yaml:"tenantId"`
	SubscriptionID string `yaml:"subscriptionId"`
}

// GCPOIDC is apitype/operation_context_gcpoidc_configuration_request_.go.
type GCPOIDC struct {
	ProjectID      string `yaml:"projectId"`
	WorkloadPoolID string `yaml:"workloadPoolId"`
	ProviderID     string `yaml:"providerId"`
	ServiceAccount string `yaml:"serviceAccount"`
	Region         string `yaml:"region"`
	TokenLifetime  string `yaml:"tokenLifetime"`
}

// Drift is a drift schedule (apitype/create_scheduled_drift_deployment_request_.go: scheduleCron,
// autoRemediate). AutoRemediate must stay false: remediation is an `up` without the policy pack.
type Drift struct {
	Schedule      string `yaml:"schedule"`
	AutoRemediate bool   `yaml:"autoRemediate"`
}

// Load reads and strictly decodes the file: an unknown key is an error with its line, so a misspelt
// setting is never silently dropped. It does not validate; call Validate.
func Load(path string) (*File, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, raw)
}

// Parse is Load on bytes already read; path only names the file in errors.
func Parse(path string, raw []byte) (*File, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.path, f.root = path, &root
	return &f, nil
}

// StackNames returns the file's stacks in rollout order: dev, staging, prod, then any other by name.
func (f *File) StackNames() []string {
	rank := map[string]int{"dev": 0, "staging": 1, "prod": 2}
	names := make([]string, 0, len(f.Stacks))
	for n := range f.Stacks {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, iok := rank[names[i]]
		rj, jok := rank[names[j]]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return names[i] < names[j]
	})
	return names
}

// Resolved returns the stack's settings with the defaults applied.
func (f *File) Resolved(name string) Stack {
	d, s := f.Defaults, f.Stacks[name]
	out := d
	if s.Source != nil {
		out.Source = s.Source
	}
	if s.GitHub != nil {
		out.GitHub = s.GitHub
	}
	if s.OIDC != nil {
		out.OIDC = s.OIDC
	}
	// A stack's list replaces the default list, so `preRunCommands: []` clears it for one stack.
	if s.PreRunCommands != nil {
		out.PreRunCommands = s.PreRunCommands
	}
	if s.ExecutorImage != "" {
		out.ExecutorImage = s.ExecutorImage
	}
	if s.AgentPoolID != "" {
		out.AgentPoolID = s.AgentPoolID
	}
	if s.Drift != nil {
		out.Drift = s.Drift
	}
	if len(d.EnvironmentVariables)+len(s.EnvironmentVariables) > 0 {
		out.EnvironmentVariables = map[string]string{}
		for k, v := range d.EnvironmentVariables {
			out.EnvironmentVariables[k] = v
		}
		for k, v := range s.EnvironmentVariables {
			out.EnvironmentVariables[k] = v
		}
	}
	return out
}

// Stacks is what the stack files say about each stack: its target, and whether it takes its cloud
// credentials from Pulumi ESC environments.
type Stacks struct {
	// Project is the name in dir/Pulumi.yaml.
	Project string
	// Targets maps a stack to its `dataplatform:cloud`, which chooses its OIDC cloud.
	Targets map[string]string
	// ESC lists the stacks whose file imports ESC environments: the CLI sets the environments'
	// credentials itself (over the Deployments OIDC ones), so such a stack needs no oidc block.
	ESC map[string]bool
}

// ReadStacks reads Pulumi.<stack>.yaml in dir for every stack, as the offline plan does (the
// repository's ESC environments included, so a target set only there is found).
func ReadStacks(dir string, stacks []string) (*Stacks, error) {
	proj, err := planner.LoadProject(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the project file (use --dir): %w", err)
	}
	out := &Stacks{Project: proj.Name, Targets: map[string]string{}, ESC: map[string]bool{}}
	for _, s := range stacks {
		sc, err := proj.LoadStackConfig(dir, s)
		if err != nil {
			return nil, fmt.Errorf("stack %s: %w", s, err)
		}
		// config/parse.go: KeyCloud ("dataplatform:cloud") is required there too.
		cloud := sc.Values["dataplatform:cloud"]
		if cloud == "" {
			return nil, fmt.Errorf("stack %s: Pulumi.%s.yaml (or the environments it imports) does not set dataplatform:cloud", s, s)
		}
		out.Targets[s] = cloud
		out.ESC[s] = len(sc.Environments) > 0
	}
	return out, nil
}
