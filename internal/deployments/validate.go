package deployments

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Placeholders are the values the shipped file carries where a team's own value belongs. A file that
// still holds one is refused (unless --allow-example), so an example never reaches Pulumi Cloud.
var Placeholders = []string{"example-org", "123456789012", "00000000-0000-0000-0000-000000000000", "000000000000"}

// ValidationError lists every problem of the file, each naming its field.
type ValidationError struct {
	File     string
	Problems []string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%s: %d problem(s):\n  %s", e.File, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// ValidateOptions are the facts validation checks the file against.
type ValidateOptions struct {
	// Stacks limits the check to these stacks (all when empty); an unknown name is a problem.
	Stacks []string
	// Targets maps a stack to its `dataplatform:cloud` (from ReadStacks); a stack missing here is a problem.
	Targets map[string]string
	// ESC lists the stacks that take their cloud credentials from ESC environments (ReadStacks): their
	// oidc block is optional.
	ESC map[string]bool
	// Project is the name in Pulumi.yaml; when set, the file's project must equal it.
	Project string
	// OrgOverride is --org; it replaces the file's organization (whose placeholder then does not matter).
	OrgOverride string
	// AllowExample accepts the placeholder values (for trying the command against a test server).
	AllowExample bool
}

var (
	// AWS RoleSessionName allows [\w+=,.@-]; the SDK also expands ${organization.name}-style variables
	// (apitype/operation_context_awsoidc_configuration_.go: SessionName).
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@${}-]{2,}$`)
	roleARNRE     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
	policyARNRE   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[\w+=,.@/-]+$`)
	guidRE        = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	envNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	ghRepoRE      = regexp.MustCompile(`^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$`)
	// Names that hold credentials: they belong in Pulumi Cloud as secrets (kept by apply) or in ESC.
	secretNameRE = regexp.MustCompile(`(?i)(TOKEN|SECRET|PASSWORD|PASSPHRASE|PRIVATE_KEY|ACCESS_KEY|CLIENT_SECRET|CREDENTIALS)`)
)

// Validate checks the file against the stacks' targets; it returns a *ValidationError or nil.
func (f *File) Validate(o ValidateOptions) error {
	var p []string
	add := func(field, format string, args ...any) { p = append(p, field+": "+fmt.Sprintf(format, args...)) }

	if o.OrgOverride == "" && f.Organization == "" {
		add("organization", "required (the Pulumi Cloud organization), or pass --org")
	}
	if f.Project == "" {
		add("project", "required (the name in Pulumi.yaml)")
	} else if o.Project != "" && f.Project != o.Project {
		add("project", "%q is not the project of Pulumi.yaml (%q)", f.Project, o.Project)
	}
	if len(f.Stacks) == 0 {
		add("stacks", "at least one stack is required")
	}
	selected := o.Stacks
	if len(selected) == 0 {
		selected = f.StackNames()
	}
	for _, name := range selected {
		if _, ok := f.Stacks[name]; !ok {
			add("stacks", "stack %q is not in the file (it has: %s)", name, strings.Join(f.StackNames(), ", "))
			continue
		}
		target, ok := o.Targets[name]
		if !ok {
			add("stacks."+name, "no stack file Pulumi.%s.yaml to read its target from", name)
			continue
		}
		p = append(p, validateStack("stacks."+name, target, o.ESC[name], f.Resolved(name))...)
	}
	if !o.AllowExample {
		p = append(p, f.placeholders(selected, o.OrgOverride != "")...)
	}
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{File: f.path, Problems: p}
}

func validateStack(at, target string, esc bool, s Stack) []string {
	var p []string
	add := func(field, format string, args ...any) { p = append(p, at+"."+field+": "+fmt.Sprintf(format, args...)) }

	switch {
	case s.Source == nil:
		add("source", "required (repoUrl, branch)")
	default:
		if u, err := url.Parse(s.Source.RepoURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "ssh") {
			add("source.repoUrl", "%q is not an https:// or ssh:// git URL", s.Source.RepoURL)
		}
		if s.Source.Branch == "" {
			add("source.branch", "required (e.g. main)")
		}
		if strings.HasPrefix(s.Source.RepoDir, "/") || strings.Contains(s.Source.RepoDir, "..") {
			add("source.repoDir", "%q must be a path inside the repository, relative to its root", s.Source.RepoDir)
		}
	}
	if g := s.GitHub; g != nil {
		if !ghRepoRE.MatchString(g.Repository) {
			add("github.repository", "%q is not owner/name", g.Repository)
		}
		// Deployments cannot pass --policy-pack, so an `up` or PR preview it ran would skip the policy
		// pack that the GitHub Actions workflows enforce. Those workflows own preview and up.
		if g.DeployCommits {
			add("github.deployCommits", "must be false: GitHub Actions runs `pulumi up` with the policy pack; Deployments cannot pass --policy-pack")
		}
		if g.PreviewPullRequests {
			add("github.previewPullRequests", "must be false: GitHub Actions runs the pull-request preview with the policy pack; Deployments cannot pass --policy-pack")
		}
	}
	p = append(p, validateOIDC(at, target, esc, s.OIDC, s.AgentPoolID)...)
	for i, c := range s.PreRunCommands {
		if strings.TrimSpace(c) == "" {
			add(fmt.Sprintf("preRunCommands[%d]", i), "empty command")
		}
	}
	for _, k := range sortedKeys(s.EnvironmentVariables) {
		switch {
		case !envNameRE.MatchString(k):
			add("environmentVariables."+k, "not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)")
		case secretNameRE.MatchString(k):
			add("environmentVariables."+k, "looks like a credential: this file is in git and holds plain values only; set it as a secret in Pulumi Cloud (apply keeps secrets) or in an ESC environment")
		}
	}
	if s.AgentPoolID != "" && !guidRE.MatchString(s.AgentPoolID) {
		add("agentPoolId", "%q is not an agent pool ID (a UUID)", s.AgentPoolID)
	}
	switch {
	case s.Drift == nil:
		add("drift", "required (schedule: a cron expression; autoRemediate: false)")
	default:
		if err := validateCron(s.Drift.Schedule); err != nil {
			add("drift.schedule", "%q: %v", s.Drift.Schedule, err)
		}
		// Remediation runs `pulumi up --refresh` in Deployments, which cannot pass the policy pack.
		if s.Drift.AutoRemediate {
			add("drift.autoRemediate", "must be false: remediation is a `pulumi up` without the policy pack; fix drift through a pull request")
		}
	}
	return p
}

func validateOIDC(at, target string, esc bool, o *OIDC, agentPool string) []string {
	var p []string
	add := func(field, format string, args ...any) { p = append(p, at+"."+field+": "+fmt.Sprintf(format, args...)) }
	var set []string
	if o != nil {
		if o.AWS != nil {
			set = append(set, "aws")
		}
		if o.Azure != nil {
			set = append(set, "azure")
		}
		if o.GCP != nil {
			set = append(set, "gcp")
		}
	}
	switch target {
	case "kubernetes":
		if len(set) > 0 {
			add("oidc", "the stack's target is kubernetes (Pulumi.<stack>.yaml dataplatform:cloud); remove oidc.%s", strings.Join(set, ", oidc."))
		}
		// Pulumi-hosted runners cannot reach a cluster on a laptop or in a private network, and the
		// kubeconfig context the stack names must exist where the operation runs.
		if agentPool == "" {
			add("agentPoolId", "required on the kubernetes target: a self-hosted Deployments agent that reaches the cluster and has its kubeconfig context")
		}
		return p
	case "aws", "azure", "gcp":
	default:
		add("oidc", "unknown target %q in Pulumi.<stack>.yaml (dataplatform:cloud is one of kubernetes, aws, azure, gcp)", target)
		return p
	}
	// A stack whose file imports ESC environments gets its cloud credentials from them: the CLI sets
	// the environments' variables over the process environment (pulumi/pkg@v3.274.1
	// cmd/pulumi/config/io.go), so Deployments OIDC would be a second, unused role.
	if esc && len(set) == 0 {
		return p
	}
	if len(set) != 1 || set[0] != target {
		add("oidc", "must hold exactly oidc.%s, the stack's target (dataplatform:cloud: %s); it has [%s]", target, target, strings.Join(set, ", "))
		return p
	}
	switch target {
	case "aws":
		a := o.AWS
		if !roleARNRE.MatchString(a.RoleARN) {
			add("oidc.aws.roleArn", "%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", a.RoleARN)
		}
		if !sessionNameRE.MatchString(a.SessionName) || len(a.SessionName) > 64 && !strings.Contains(a.SessionName, "${") {
			add("oidc.aws.sessionName", "%q: 2-64 characters of [A-Za-z0-9_+=,.@-] (${deployment.version}-style variables allowed)", a.SessionName)
		}
		if a.Duration != "" {
			// STS AssumeRoleWithWebIdentity: DurationSeconds 900..43200.
			d, err := time.ParseDuration(a.Duration)
			if err != nil || d < 15*time.Minute || d > 12*time.Hour {
				add("oidc.aws.duration", "%q: a Go duration between 15m and 12h (e.g. 1h)", a.Duration)
			}
		}
		for i, arn := range a.PolicyARNs {
			if !policyARNRE.MatchString(arn) {
				add(fmt.Sprintf("oidc.aws.policyArns[%d]", i), "%q is not an IAM policy ARN", arn)
			}
		}
	case "azure":
		z := o.Azure
		for _, fv := range [][2]string{{"clientId", z.ClientID}, {"tenantId", z.TenantID}, {"subscriptionId", z.SubscriptionID}} {
			if !guidRE.MatchString(fv[1]) {
				add("oidc.azure."+fv[0], "%q is not a GUID", fv[1])
			}
		}
	case "gcp":
		g := o.GCP
		// apitype/operation_context_gcpoidc_configuration_.go: "ProjectID is the numerical ID".
		if _, err := strconv.ParseUint(g.ProjectID, 10, 64); err != nil {
			add("oidc.gcp.projectId", "%q is not a project number (digits; `gcloud projects describe` shows it)", g.ProjectID)
		}
		if g.WorkloadPoolID == "" {
			add("oidc.gcp.workloadPoolId", "required")
		}
		if g.ProviderID == "" {
			add("oidc.gcp.providerId", "required")
		}
		if !strings.Contains(g.ServiceAccount, "@") || !strings.HasSuffix(g.ServiceAccount, ".gserviceaccount.com") {
			add("oidc.gcp.serviceAccount", "%q is not a service account e-mail (…@….iam.gserviceaccount.com)", g.ServiceAccount)
		}
		if g.TokenLifetime != "" {
			if _, err := time.ParseDuration(g.TokenLifetime); err != nil {
				add("oidc.gcp.tokenLifetime", "%q is not a duration (e.g. 1h)", g.TokenLifetime)
			}
		}
	}
	return p
}

// validateCron accepts the five-field cron of the drift schedule ("evaluated in UTC", pulumi
// pkg/cmd/pulumi/stack schedule edit --cron): numbers, *, ranges, steps and lists. Names (MON, JAN) and
// the @hourly shorthands are refused rather than guessed at.
func validateCron(expr string) error {
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), got %d", len(fields))
	}
	limits := [5][3]any{{"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 7}}
	for i, f := range fields {
		name, lo, hi := limits[i][0].(string), limits[i][1].(int), limits[i][2].(int)
		for _, part := range strings.Split(f, ",") {
			if err := cronPart(part, lo, hi); err != nil {
				return fmt.Errorf("%s field %q: %v", name, f, err)
			}
		}
	}
	return nil
}

func cronPart(part string, lo, hi int) error {
	rng, step, hasStep := strings.Cut(part, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n < 1 || n > hi {
			return fmt.Errorf("step %q is not 1..%d", step, hi)
		}
	}
	if rng == "*" {
		return nil
	}
	a, b, isRange := strings.Cut(rng, "-")
	x, err := strconv.Atoi(a)
	if err != nil || x < lo || x > hi {
		return fmt.Errorf("%q is not %d..%d", a, lo, hi)
	}
	if !isRange {
		if hasStep {
			return fmt.Errorf("a step needs * or a range before it")
		}
		return nil
	}
	y, err := strconv.Atoi(b)
	if err != nil || y < x || y > hi {
		return fmt.Errorf("range end %q is not %d..%d", b, x, hi)
	}
	return nil
}

// placeholders walks the YAML tree (so the error names the key path and line as written) and reports
// every value still holding a placeholder, in the top-level keys, the defaults and the selected stacks.
func (f *File) placeholders(stacks []string, orgOverridden bool) []string {
	var p []string
	if f.root == nil || len(f.root.Content) == 0 {
		return nil
	}
	want := map[string]bool{}
	for _, s := range stacks {
		want[s] = true
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if path == "stacks" && !want[k] {
					continue
				}
				if path == "" && k == "organization" && orgOverridden {
					continue
				}
				walk(n.Content[i+1], strings.TrimPrefix(path+"."+k, "."))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		case yaml.ScalarNode:
			for _, ph := range Placeholders {
				if strings.Contains(n.Value, ph) {
					p = append(p, fmt.Sprintf("%s: %q (line %d) still holds the example value %q; put your own, or pass --allow-example", path, n.Value, n.Line, ph))
					break
				}
			}
		}
	}
	walk(f.root.Content[0], "")
	return p
}
