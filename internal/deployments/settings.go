package deployments

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi-cloud-sdk/go/apitype"
	"github.com/pulumi/pulumi-cloud-sdk/go/apitype/jsonvalue"
)

// The settings are written with PUT (pulumi-cloud-sdk/go@v1.20261104.0 apiclient/deployments_.go:
// ReplaceDeploymentSettings), which replaces the stack's whole settings, as `pulumi deployment settings
// push` does (pulumi pkg/backend/httpstate/client/client.go: UpdateStackDeploymentSettings, PUT) and
// the pulumiservice provider's DeploymentSettings resource does (provider/pkg/pulumiapi/
// deployment_settings.go: Create/UpdateDeploymentSettings, PUT). The file cannot hold what a replace
// would otherwise erase, so the request carries these over from the settings read just before:
// secret environment variables, git credentials, operation options, cache options, the executor root
// path, the deployment role and a non-GitHub VCS link. Secrets travel back as the ciphertext the API
// returned, the form `pulumi deployment settings pull/push` round-trips (pulumi
// sdk/go/common/apitype/deployments.go: SecretValue.MarshalJSON {"ciphertext": …}).

// view is the part of a stack's settings the file owns, normalised so that a value the service
// spells differently ("refs/heads/main" for "main", "1h0m0s" for "1h") is not a change.
type view struct {
	RepoURL        string                                          `json:"sourceContext.git.repoUrl"`
	Branch         string                                          `json:"sourceContext.git.branch"`
	RepoDir        string                                          `json:"sourceContext.git.repoDir"`
	GitHub         *ghView                                         `json:"gitHub"`
	PreRunCommands []string                                        `json:"operationContext.preRunCommands"`
	Env            map[string]string                               `json:"operationContext.environmentVariables"`
	AWS            *apitype.OperationContextAWSOIDCConfiguration   `json:"operationContext.oidc.aws"`
	Azure          *apitype.OperationContextAzureOIDCConfiguration `json:"operationContext.oidc.azure"`
	GCP            *apitype.OperationContextGCPOIDCConfiguration   `json:"operationContext.oidc.gcp"`
	ExecutorImage  string                                          `json:"executorContext.executorImage.reference"`
	AgentPoolID    string                                          `json:"agentPoolID"`
	// Remediate is forced off: a detect-drift run that inherits the settings would otherwise follow up
	// with an `up` that skips the policy pack (apitype/operation_context_options_.go).
	Remediate bool `json:"operationContext.options.remediateIfDriftDetected"`
}

type ghView struct {
	Repository          string   `json:"repository"`
	DeployCommits       bool     `json:"deployCommits"`
	PreviewPullRequests bool     `json:"previewPullRequests"`
	PullRequestTemplate bool     `json:"pullRequestTemplate"`
	Paths               []string `json:"paths,omitempty"`
}

func normBranch(b string) string { return strings.TrimPrefix(b, "refs/heads/") }

func normDir(d string) string {
	d = strings.TrimSuffix(strings.TrimPrefix(d, "./"), "/")
	if d == "." {
		return ""
	}
	return d
}

func normDuration(s string) string {
	if d, err := time.ParseDuration(s); err == nil {
		return d.String()
	}
	return s
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// desiredView is what the file asks for.
func desiredView(s Stack) view {
	v := view{PreRunCommands: nilIfEmpty(s.PreRunCommands), ExecutorImage: s.ExecutorImage, AgentPoolID: s.AgentPoolID}
	if s.Source != nil {
		v.RepoURL, v.Branch, v.RepoDir = s.Source.RepoURL, normBranch(s.Source.Branch), normDir(s.Source.RepoDir)
	}
	if g := s.GitHub; g != nil {
		v.GitHub = &ghView{Repository: g.Repository, DeployCommits: g.DeployCommits, PreviewPullRequests: g.PreviewPullRequests, Paths: nilIfEmpty(g.Paths)}
	}
	if len(s.EnvironmentVariables) > 0 {
		v.Env = s.EnvironmentVariables
	}
	if o := s.OIDC; o != nil {
		if a := o.AWS; a != nil {
			v.AWS = &apitype.OperationContextAWSOIDCConfiguration{RoleARN: a.RoleARN, SessionName: a.SessionName, Duration: normDuration(a.Duration), PolicyARNs: nilIfEmpty(a.PolicyARNs)}
		}
		if z := o.Azure; z != nil {
			v.Azure = &apitype.OperationContextAzureOIDCConfiguration{ClientID: z.ClientID, TenantID: z.TenantID, SubscriptionID: z.SubscriptionID}
		}
		if g := o.GCP; g != nil {
			v.GCP = &apitype.OperationContextGCPOIDCConfiguration{ProjectID: g.ProjectID, WorkloadPoolID: g.WorkloadPoolID, ProviderID: g.ProviderID,
				ServiceAccount: g.ServiceAccount, Region: g.Region, TokenLifetime: normDuration(g.TokenLifetime)}
		}
	}
	return v
}

// currentView is what the API returned (apitype/deployment_settings_.go: DeploymentSettings).
func currentView(cur *apitype.DeploymentSettings) view {
	var v view
	if cur == nil {
		return v
	}
	if sc := cur.SourceContext; sc != nil && sc.Git != nil {
		v.RepoURL, v.Branch, v.RepoDir = sc.Git.RepoURL, normBranch(sc.Git.Branch), normDir(sc.Git.RepoDir)
	}
	if g := cur.GitHub; g != nil {
		v.GitHub = &ghView{Repository: g.Repository, DeployCommits: g.DeployCommits, PreviewPullRequests: g.PreviewPullRequests,
			PullRequestTemplate: g.PullRequestTemplate, Paths: nilIfEmpty(g.Paths)}
	} else if isGitHubVCS(cur.Vcs) {
		// The service may describe the GitHub link only in the provider-neutral `vcs` field
		// (apitype/deployment_settings_vcs_.go, discriminator "github").
		g := cur.Vcs
		v.GitHub = &ghView{Repository: g.Repository(), DeployCommits: g.DeployCommits(), PreviewPullRequests: g.PreviewPullRequests(),
			PullRequestTemplate: g.PullRequestTemplate(), Paths: nilIfEmpty(g.Paths())}
	}
	if op := cur.Operation; op != nil {
		v.PreRunCommands = nilIfEmpty(op.PreRunCommands)
		v.Remediate = op.Options != nil && op.Options.RemediateIfDriftDetected
		for name, val := range op.EnvironmentVariables {
			if val.Secret {
				continue // secrets are not the file's; they are carried over
			}
			if v.Env == nil {
				v.Env = map[string]string{}
			}
			v.Env[name] = val.Value
		}
		if o := op.OIDC; o != nil {
			if o.AWS != nil {
				a := *o.AWS
				a.Duration, a.PolicyARNs = normDuration(a.Duration), nilIfEmpty(a.PolicyARNs)
				v.AWS = &a
			}
			if o.Azure != nil {
				z := *o.Azure
				v.Azure = &z
			}
			if o.GCP != nil {
				g := *o.GCP
				g.TokenLifetime = normDuration(g.TokenLifetime)
				v.GCP = &g
			}
		}
	}
	if e := cur.Executor; e != nil && e.ExecutorImage != nil && !e.ExecutorImage.IsDefault {
		v.ExecutorImage = e.ExecutorImage.Reference
	}
	if cur.AgentPoolID != nil {
		v.AgentPoolID = *cur.AgentPoolID
	}
	return v
}

func isGitHubVCS(v apitype.DeploymentSettingsVCS) bool {
	if v == nil {
		return false
	}
	d, err := v.GetDiscriminatorValue()
	return err == nil && d == "github"
}

// diffViews lists every owned field that differs, as "field: old -> new", in field order.
func diffViews(cur, want view) []string {
	var out []string
	cv, wv := reflect.ValueOf(cur), reflect.ValueOf(want)
	t := cv.Type()
	for i := 0; i < t.NumField(); i++ {
		a, b := cv.Field(i).Interface(), wv.Field(i).Interface()
		if reflect.DeepEqual(a, b) {
			continue
		}
		name := t.Field(i).Tag.Get("json")
		if t.Field(i).Name == "Env" {
			out = append(out, diffEnv(cur.Env, want.Env)...)
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s -> %s", name, show(a), show(b)))
	}
	return out
}

func diffEnv(cur, want map[string]string) []string {
	var out []string
	names := map[string]bool{}
	for k := range cur {
		names[k] = true
	}
	for k := range want {
		names[k] = true
	}
	for _, k := range sortedKeys(names) {
		c, inC := cur[k]
		w, inW := want[k]
		switch {
		case inC && !inW:
			out = append(out, fmt.Sprintf("operationContext.environmentVariables.%s: %q -> (removed)", k, c))
		case !inC && inW:
			out = append(out, fmt.Sprintf("operationContext.environmentVariables.%s: (unset) -> %q", k, w))
		case c != w:
			out = append(out, fmt.Sprintf("operationContext.environmentVariables.%s: %q -> %q", k, c, w))
		}
	}
	return out
}

func show(v any) string {
	if rv := reflect.ValueOf(v); (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Slice) && rv.IsNil() {
		return "(unset)"
	}
	if s, ok := v.(string); ok && s == "" {
		return "(unset)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// buildRequest is the PUT body: the file's settings plus what is carried over from cur (see the
// comment at the top of this file). It refuses a replace that would lose a secret it cannot carry.
func buildRequest(s Stack, cur *apitype.DeploymentSettings) (apitype.DeploymentSettingsRequest, []string, error) {
	var warnings []string
	git := apitype.SourceContextGitRequest{RepoURL: jsonvalue.NotNull(s.Source.RepoURL), Branch: jsonvalue.NotNull(s.Source.Branch)}
	if d := normDir(s.Source.RepoDir); d != "" {
		git.RepoDir = jsonvalue.NotNull(d)
	}
	op := apitype.OperationContextRequest{}
	if len(s.PreRunCommands) > 0 {
		op.PreRunCommands = jsonvalue.NotNull(s.PreRunCommands)
	}
	env := map[string]jsonvalue.Value[apitype.SecretValue]{}
	for k, v := range s.EnvironmentVariables {
		env[k] = jsonvalue.NotNull(apitype.SecretValue{Value: v})
	}
	if o := s.OIDC; o != nil {
		oidc := apitype.OperationContextOIDCConfigurationRequest{}
		if a := o.AWS; a != nil {
			r := apitype.OperationContextAWSOIDCConfigurationRequest{RoleARN: jsonvalue.NotNull(a.RoleARN), SessionName: jsonvalue.NotNull(a.SessionName)}
			if a.Duration != "" {
				r.Duration = jsonvalue.NotNull(a.Duration)
			}
			if len(a.PolicyARNs) > 0 {
				r.PolicyARNs = jsonvalue.NotNull(a.PolicyARNs)
			}
			oidc.AWS = jsonvalue.NotNull(r)
		}
		if z := o.Azure; z != nil {
			oidc.Azure = jsonvalue.NotNull(apitype.OperationContextAzureOIDCConfigurationRequest{
				ClientID: jsonvalue.NotNull(z.ClientID), TenantID: jsonvalue.NotNull(z.TenantID), SubscriptionID: jsonvalue.NotNull(z.SubscriptionID)})
		}
		if g := o.GCP; g != nil {
			r := apitype.OperationContextGCPOIDCConfigurationRequest{ProjectID: jsonvalue.NotNull(g.ProjectID), WorkloadPoolID: jsonvalue.NotNull(g.WorkloadPoolID),
				ProviderID: jsonvalue.NotNull(g.ProviderID), ServiceAccount: jsonvalue.NotNull(g.ServiceAccount)}
			if g.Region != "" {
				r.Region = jsonvalue.NotNull(g.Region)
			}
			if g.TokenLifetime != "" {
				r.TokenLifetime = jsonvalue.NotNull(g.TokenLifetime)
			}
			oidc.GCP = jsonvalue.NotNull(r)
		}
		op.OIDC = jsonvalue.NotNull(oidc)
	}
	req := apitype.DeploymentSettingsRequest{}
	if g := s.GitHub; g != nil {
		gh := apitype.DeploymentSettingsGitHubRequest{
			Repository: jsonvalue.NotNull(g.Repository),
			// Sent explicitly (not omitted) so that a link made in the console with push-to-deploy or
			// PR previews on is switched off: GitHub Actions owns preview and up (policy pack).
			DeployCommits:       jsonvalue.NotNull(g.DeployCommits),
			PreviewPullRequests: jsonvalue.NotNull(g.PreviewPullRequests),
			// Review stacks would be a whole cluster per pull request. The field has no omitempty in
			// apitype/deployment_settings_git_hub_request_.go, so it must be set (unset marshals as null).
			PullRequestTemplate: jsonvalue.NotNull(false),
		}
		if len(g.Paths) > 0 {
			gh.Paths = jsonvalue.NotNull(g.Paths)
		}
		req.GitHub = jsonvalue.NotNull(gh)
	}
	if s.ExecutorImage != "" {
		req.Executor = jsonvalue.NotNull(apitype.ExecutorSettingsRequest{ExecutorImage: jsonvalue.NotNull(apitype.DockerImageRequest{Reference: jsonvalue.NotNull(s.ExecutorImage)})})
	}
	if s.AgentPoolID != "" {
		req.AgentPoolID = jsonvalue.NotNull(s.AgentPoolID)
	}

	// Carry-overs.
	if cur != nil {
		if op2 := cur.Operation; op2 != nil {
			for _, k := range sortedKeys(op2.EnvironmentVariables) {
				v := op2.EnvironmentVariables[k]
				if !v.Secret {
					continue
				}
				if _, plain := s.EnvironmentVariables[k]; plain {
					warnings = append(warnings, fmt.Sprintf("secret environment variable %s is replaced by the plain value of the file", k))
					continue
				}
				if len(v.Ciphertext) == 0 {
					return req, nil, fmt.Errorf("secret environment variable %s came back without its ciphertext: replacing the settings would lose it; remove it from the stack or add it to the file's scope by hand", k)
				}
				env[k] = jsonvalue.NotNull(apitype.SecretValue{Ciphertext: v.Ciphertext, Secret: true})
				warnings = append(warnings, fmt.Sprintf("keeps secret environment variable %s (not managed by the file)", k))
			}
			if o := op2.Options; o != nil && *o != (apitype.OperationContextOptions{}) {
				opts := apitype.OperationContextOptionsRequest{
					SkipInstallDependencies: jsonvalue.NotNull(o.SkipInstallDependencies), SkipIntermediateDeployments: jsonvalue.NotNull(o.SkipIntermediateDeployments),
					DeleteAfterDestroy: jsonvalue.NotNull(o.DeleteAfterDestroy), RemediateIfDriftDetected: jsonvalue.NotNull(false)}
				if o.Shell != "" {
					// An undefined jsonvalue is omitted; a null one would be sent as "shell": null.
					opts.Shell = jsonvalue.NotNull(o.Shell)
				}
				op.Options = jsonvalue.NotNull(opts)
			}
			if op2.Role != nil {
				var role apitype.DeploymentRoleRequest
				if err := carry(op2.Role, &role); err != nil {
					return req, nil, fmt.Errorf("operationContext.role: %w", err)
				}
				op.Role = jsonvalue.NotNull(role)
			}
		}
		if sc := cur.SourceContext; sc != nil && sc.Git != nil && sc.Git.GitAuth != nil {
			var auth apitype.GitAuthConfigRequest
			if err := carry(sc.Git.GitAuth, &auth); err != nil {
				return req, nil, fmt.Errorf("sourceContext.git.gitAuth: %w", err)
			}
			git.GitAuth = jsonvalue.NotNull(auth)
			warnings = append(warnings, "keeps the git credentials of sourceContext.git.gitAuth (not managed by the file)")
		}
		if cur.CacheOptions != nil {
			req.CacheOptions = jsonvalue.NotNull(apitype.CacheOptionsRequest{Enable: jsonvalue.NotNull(cur.CacheOptions.Enable)})
		}
		if e := cur.Executor; e != nil && e.ExecutorRootPath != nil {
			ex, _ := req.Executor.Value()
			var x apitype.ExecutorSettingsRequest
			if ex != nil {
				x = *ex
			}
			x.ExecutorRootPath = jsonvalue.NotNull(*e.ExecutorRootPath)
			req.Executor = jsonvalue.NotNull(x)
		}
		if cur.Vcs != nil && !isGitHubVCS(cur.Vcs) {
			req.Vcs = jsonvalue.NotNull(cur.Vcs)
			warnings = append(warnings, "keeps the non-GitHub VCS link (vcs; not managed by the file)")
		}
	}
	if len(env) > 0 {
		op.EnvironmentVariables = jsonvalue.NotNull(env)
	}
	req.SourceContext = jsonvalue.NotNull(apitype.SourceContextRequest{Git: jsonvalue.NotNull(git)})
	req.Operation = jsonvalue.NotNull(op)
	return req, warnings, nil
}

// carry copies a response object into its request type through JSON (the field names are the same),
// refusing any secret that came back without ciphertext and dropping a plaintext shown next to one:
// only the ciphertext goes back, as `pulumi deployment settings push` sends it.
func carry(from, to any) error {
	raw, err := json.Marshal(from)
	if err != nil {
		return err
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return err
	}
	if err := onlyCiphertext(tree, ""); err != nil {
		return err
	}
	if raw, err = json.Marshal(tree); err != nil {
		return err
	}
	return json.Unmarshal(raw, to)
}

func onlyCiphertext(n any, at string) error {
	switch n := n.(type) {
	case map[string]any:
		if _, isSecret := n["secret"]; isSecret {
			if _, ok := n["ciphertext"]; !ok {
				return fmt.Errorf("the secret at %q came back without its ciphertext: replacing the settings would lose it", strings.TrimPrefix(at, "."))
			}
			delete(n, "secret")
		}
		for k, v := range n {
			if err := onlyCiphertext(v, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, v := range n {
			if err := onlyCiphertext(v, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
