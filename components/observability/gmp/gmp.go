// Package gmp renders the observability model (components/observability) on GCP: Google Cloud
// Managed Service for Prometheus (managed collection, already on in components/cluster/gke) scrapes
// the model's targets through PodMonitorings, Cloud Monitoring evaluates the alert rules as PromQL
// alerting policies and sends them to a notification channel, the dashboards are Cloud Monitoring
// dashboards of PromQL widgets, and the project's _Default log bucket keeps logs for the configured
// retention. Nothing runs in the cluster besides GKE's own collectors: no Prometheus, no Grafana.
//
// The PodMonitoring objects follow the CRD of GoogleCloudPlatform/prometheus-engine v0.17.2
// (charts/operator/crds/monitoring.googleapis.com_podmonitorings.yaml, version v1, served and
// stored), pinned in internal/apicheck/crds.txt (the module github.com/GoogleCloudPlatform/
// prometheus-engine@v0.17.2 is served by the proxy), so CI dry-runs every PodMonitoring of a plan;
// the package's tests also walk each rendered spec against that YAML.
//
// Metric retention is Cloud Monitoring's own (24 months for Prometheus samples) and not settable:
// Spec.Retention.Metrics is not used. Spec.Receiver is not used either: Cloud Monitoring sends
// e-mail itself (no SMTP relay), so the receiver is Args.Email or Args.WebhookURL.
package gmp

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/logging"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/monitoring"
	apiextensions "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/observability"
)

// Type is the component's type token.
const Type = "dataplatform:observability:ManagedPrometheus"

const (
	// APIVersion and Kind of the scrape objects (prometheus-engine v0.17.2 CRD above).
	APIVersion = "monitoring.googleapis.com/v1"
	Kind       = "PodMonitoring"
	// CollectorNamespace and CollectorServiceAccount are GKE's managed collectors (prometheus-engine
	// v0.17.2 manifests/operator.yaml: namespace gmp-system, DaemonSet "collector" with ServiceAccount
	// "collector", pods labelled app.kubernetes.io/name=collector, on the pod network).
	CollectorNamespace      = "gmp-system"
	CollectorServiceAccount = "collector"
	collectorPodLabel       = "collector"
	// DefaultBucket is the project's _Default log bucket; logs are in the "global" location unless
	// the project was set up otherwise (pulumi-gcp@v7.38.0 sdk/go/gcp/logging/projectBucketConfig.go:
	// "_Default" and "_Required" exist in every project and cannot be deleted).
	DefaultBucket = "_Default"
	// evaluationInterval is how often Cloud Monitoring evaluates each rule: a positive multiple of
	// 30 s (pulumi-gcp@v7.38.0 monitoring/pulumiTypes.go
	// AlertPolicyConditionConditionPrometheusQueryLanguage.EvaluationInterval).
	evaluationInterval = "60s"
)

// Args are the inputs of the rendering.
type Args struct {
	// Spec is the model: Targets are scraped, Rules become alerting policies, Dashboards dashboards.
	Spec observability.Spec
	// Project is the Google Cloud project of the policies, dashboards and log bucket.
	Project string
	// Name prefixes every display name ("dataplatform-prod"), so that two stacks in one project are
	// told apart in the console; also the rule group of every policy. Lower-case letters, digits, '-'.
	Name string
	// RunbookBase makes each policy's runbook link absolute: <RunbookBase>/docs/runbook-alerts.md#…
	RunbookBase string
	// Email is the receiver's address: a notification channel of type "email". Optional.
	Email string
	// WebhookURL is the receiver's URL (a Pulumi secret, it often embeds a token): a notification
	// channel of type "webhook_tokenauth". Optional; not with Email.
	WebhookURL pulumi.StringInput
	// LogsRetentionDays is the _Default log bucket's retention (1–3650). 0: the bucket is left alone.
	// The bucket is the whole project's, and the retention set stays after the stack is destroyed.
	LogsRetentionDays int
	// LogsLocation is the _Default bucket's location: "global" (empty), or the region or
	// multi-region a project created under an organization policy's default storage location has it in.
	LogsLocation string
	// Labels go on every Kubernetes object (the GCP provider adds the stack's labels itself).
	Labels map[string]string
	// After are resources the Kubernetes objects wait for (the namespaces of the targets).
	After []pulumi.Resource
	// PolicyAfter are resources the alert policies wait for: the exporters whose series they read,
	// so that, when a policy is refused over a metric not yet received (policy), the exporter already
	// runs and the next `up` finds the metric.
	PolicyAfter []pulumi.Resource
	// LogMetrics are log-based metrics the rules read (PlatformArgs.LogMetrics); every policy waits
	// for them, as Cloud Monitoring refuses a PromQL condition over a metric it does not know.
	LogMetrics []LogMetric
}

// ManagedPrometheus is the rendered model.
type ManagedPrometheus struct {
	pulumi.ResourceState

	// Channel is the notification channel's resource name ("projects/…/notificationChannels/…"); empty
	// without a receiver.
	Channel pulumi.StringOutput
	// Policies are the alerting policies' resource names by rule name.
	Policies map[string]pulumi.StringOutput
	// Dashboards are the dashboards' ids by model UID.
	Dashboards map[string]pulumi.IDOutput
}

var (
	nameRe  = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$`)
	emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	// locationRe: a Cloud Logging bucket location (pulumi-gcp@v7.38.0 logging/projectBucketConfig.go
	// Location): global, a region (europe-west1) or a multi-region (eu, us).
	locationRe = regexp.MustCompile(`^(global|eu|us|[a-z]+-[a-z]+[0-9]+)$`)
)

// Validate checks the arguments before anything is registered.
func (a *Args) Validate() error {
	if err := a.Spec.Validate(); err != nil {
		return err
	}
	switch {
	case a.Project == "":
		return fmt.Errorf("gmp: Project is required (the Google Cloud project of the policies and dashboards)")
	case !nameRe.MatchString(a.Name):
		return fmt.Errorf("gmp: Name = %q: lower-case letters, digits and '-', at most 40, starting with a letter", a.Name)
	case a.LogsRetentionDays < 0 || a.LogsRetentionDays > 3650:
		return fmt.Errorf("gmp: LogsRetentionDays = %d: from 1 to 3650 (Cloud Logging's bucket limit), or 0 to leave _Default alone", a.LogsRetentionDays)
	case a.LogsLocation != "" && (a.LogsRetentionDays == 0 || !locationRe.MatchString(a.LogsLocation)):
		return fmt.Errorf("gmp: LogsLocation = %q: global, a region or eu/us, with LogsRetentionDays", a.LogsLocation)
	case a.Email != "" && a.WebhookURL != nil:
		return fmt.Errorf("gmp: Email and WebhookURL are both set: one receiver")
	case a.Email != "" && !emailRe.MatchString(a.Email):
		return fmt.Errorf("gmp: Email = %q: an e-mail address", a.Email)
	}
	seen := map[string]bool{}
	for _, m := range a.LogMetrics {
		switch {
		case !logMetricName.MatchString(m.Name) || seen[m.Name]:
			return fmt.Errorf("gmp: LogMetrics %q: a unique name of letters, digits and '_', at most 100, starting with a letter", m.Name)
		case strings.TrimSpace(m.Filter) == "":
			return fmt.Errorf("gmp: LogMetrics %s: Filter is empty: the metric would count every log entry of the project", m.Name)
		}
		seen[m.Name] = true
	}
	for _, r := range a.Spec.Rules {
		if r.Severity == observability.Info {
			return fmt.Errorf("gmp: Rules %s: severity info has no Cloud Monitoring severity (CRITICAL, ERROR, WARNING); use warning", r.Name)
		}
	}
	return nil
}

// New renders the model. Pass the GCP and the Kubernetes provider with pulumi.Providers.
func New(ctx *pulumi.Context, resName string, args *Args, opts ...pulumi.ResourceOption) (*ManagedPrometheus, error) {
	if args == nil {
		return nil, fmt.Errorf("gmp: args are required")
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	comp := &ManagedPrometheus{Policies: map[string]pulumi.StringOutput{}, Dashboards: map[string]pulumi.IDOutput{}}
	if err := ctx.RegisterComponentResourceV2(Type, resName, pulumi.Map{
		"project": pulumi.String(args.Project), "targets": pulumi.Int(len(args.Spec.Targets)),
		"rules": pulumi.Int(len(args.Spec.Rules)), "dashboards": pulumi.Int(len(args.Spec.Dashboards)),
		"logsRetentionDays": pulumi.Int(args.LogsRetentionDays),
	}, comp, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	spec := args.Spec.WithDefaults()
	labels := k8snet.PartOfLabels(args.Labels)
	for _, t := range spec.Targets {
		if err := scrape(ctx, resName, t, labels, child, pulumi.DependsOn(args.After)); err != nil {
			return nil, err
		}
	}
	channels := pulumi.StringArray{}
	comp.Channel = pulumi.String("").ToStringOutput()
	if ch, err := channel(ctx, resName, args, child); err != nil {
		return nil, err
	} else if ch != nil {
		comp.Channel = ch.Name
		channels = append(channels, ch.Name)
	}
	var metrics []pulumi.Resource
	for _, m := range args.LogMetrics {
		lm, err := logMetric(ctx, resName, args.Project, m, child)
		if err != nil {
			return nil, err
		}
		metrics = append(metrics, lm)
	}
	for _, r := range spec.Rules {
		p, err := policy(ctx, resName, args, r, channels, child, pulumi.DependsOn(append(append([]pulumi.Resource{}, metrics...), args.PolicyAfter...)))
		if err != nil {
			return nil, err
		}
		comp.Policies[r.Name] = p.Name
	}
	for _, d := range spec.Dashboards {
		body, err := DashboardJSON(args.Name, d)
		if err != nil {
			return nil, err
		}
		db, err := monitoring.NewDashboard(ctx, resName+"-"+d.UID, &monitoring.DashboardArgs{
			Project: pulumi.String(args.Project), DashboardJson: pulumi.String(body),
		}, child)
		if err != nil {
			return nil, err
		}
		comp.Dashboards[d.UID] = db.ID()
	}
	if args.LogsRetentionDays > 0 {
		// The bucket exists in every project: "creating" it adopts and updates it, destroying only
		// forgets it (pulumi-gcp@v7.38.0 logging/projectBucketConfig.go), so the retention set here
		// outlives the stack. Not Locked: a locked bucket's retention can never be lowered.
		location := args.LogsLocation
		if location == "" {
			location = "global"
		}
		if _, err := logging.NewProjectBucketConfig(ctx, resName+"-default-logs", &logging.ProjectBucketConfigArgs{
			Project: pulumi.String(args.Project), Location: pulumi.String(location), BucketId: pulumi.String(DefaultBucket),
			RetentionDays: pulumi.Int(args.LogsRetentionDays), Locked: pulumi.Bool(false),
		}, child); err != nil {
			return nil, err
		}
	}
	policies := pulumi.StringMap{}
	for k, v := range comp.Policies {
		policies[k] = v
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"channel": comp.Channel, "policies": policies}); err != nil {
		return nil, err
	}
	return comp, nil
}

// Scrape renders one target outside the model's component: for a target whose namespace is created
// later than the model (cert-manager's, by the edge's controllers), opts carrying the provider and a
// DependsOn on what creates the namespace. Rules over its series belong in the model (Rules).
func Scrape(ctx *pulumi.Context, resName string, t observability.ScrapeTarget, labels map[string]string, opts ...pulumi.ResourceOption) error {
	if err := (observability.Spec{Targets: []observability.ScrapeTarget{t}}).Validate(); err != nil {
		return err
	}
	spec := observability.Spec{Targets: []observability.ScrapeTarget{t}}.WithDefaults()
	return scrape(ctx, resName, spec.Targets[0], k8snet.PartOfLabels(labels), opts...)
}

// scrape renders one PodMonitoring in the target's namespace (its Secrets are read from there), the
// NetworkPolicy that admits GKE's collectors on the metrics port and, when the target names Secrets,
// the Role that lets the collector read exactly those (prometheus-engine v0.17.2
// e2e/authorization_test.go: Role get/list/watch on the Secret by name, RoleBinding to
// gmp-system/collector; the collector's ClusterRole gmp-system:collector grants no Secrets).
func scrape(ctx *pulumi.Context, resName string, t observability.ScrapeTarget, labels pulumi.StringMap, opts ...pulumi.ResourceOption) error {
	meta := &metav1.ObjectMetaArgs{Name: pulumi.String(t.Name), Namespace: pulumi.String(t.Namespace), Labels: labels}
	if _, err := apiextensions.NewCustomResource(ctx, resName+"-"+t.Name+"-podmonitoring", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(APIVersion), Kind: pulumi.String(Kind), Metadata: meta,
		OtherFields: map[string]any{"spec": PodMonitoringSpec(t)},
	}, opts...); err != nil {
		return err
	}
	if _, err := networkingv1.NewNetworkPolicy(ctx, resName+"-"+t.Name+"-allow-gmp", &networkingv1.NetworkPolicyArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("allow-gmp-" + t.Name), Namespace: pulumi.String(t.Namespace), Labels: labels},
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(t.Selector)},
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
					NamespaceSelector: k8snet.NamespaceSelector(CollectorNamespace),
					PodSelector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(collectorPodLabel)}},
				}},
				Ports: k8snet.TCPPorts(t.PortNumber),
			}},
		},
	}, opts...); err != nil {
		return err
	}
	secrets := SecretNames(t)
	if len(secrets) == 0 {
		return nil
	}
	roleName := "gmp-read-" + t.Name
	if _, err := rbacv1.NewRole(ctx, resName+"-"+t.Name+"-secret-reader", &rbacv1.RoleArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(roleName), Namespace: pulumi.String(t.Namespace), Labels: labels},
		Rules: rbacv1.PolicyRuleArray{&rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray([]string{""}), Resources: pulumi.ToStringArray([]string{"secrets"}),
			ResourceNames: pulumi.ToStringArray(secrets), Verbs: pulumi.ToStringArray([]string{"get", "list", "watch"}),
		}},
	}, opts...); err != nil {
		return err
	}
	_, err := rbacv1.NewRoleBinding(ctx, resName+"-"+t.Name+"-secret-reader", &rbacv1.RoleBindingArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(roleName), Namespace: pulumi.String(t.Namespace), Labels: labels},
		RoleRef:  &rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("Role"), Name: pulumi.String(roleName)},
		Subjects: rbacv1.SubjectArray{&rbacv1.SubjectArgs{Kind: pulumi.String("ServiceAccount"), Name: pulumi.String(CollectorServiceAccount), Namespace: pulumi.String(CollectorNamespace)}},
	}, opts...)
	return err
}

// PodMonitoringSpec is a target's PodMonitoring spec (CRD above: selector.matchLabels; endpoints[]
// port (name or number), path, scheme http|https, interval (a Prometheus duration),
// tls {ca.secret {name, key}, serverName, minVersion TLS12}, authorization {type, credentials.secret
// {name, key}}; secret references carry no namespace: the CRD forbids one on a PodMonitoring).
func PodMonitoringSpec(t observability.ScrapeTarget) map[string]any {
	ep := map[string]any{"port": t.Port, "path": t.Path, "scheme": string(t.Scheme), "interval": observability.Duration(t.Interval)}
	if t.TLS != nil {
		tls := map[string]any{"ca": secretSelector(t.TLS.CA), "minVersion": "TLS12"}
		if t.TLS.ServerName != "" {
			tls["serverName"] = t.TLS.ServerName
		}
		ep["tls"] = tls
	}
	if !t.BearerToken.IsZero() {
		ep["authorization"] = map[string]any{"type": "Bearer", "credentials": secretSelector(t.BearerToken)}
	}
	return map[string]any{"selector": map[string]any{"matchLabels": t.Selector}, "endpoints": []any{ep}}
}

func secretSelector(r observability.SecretRef) map[string]any {
	return map[string]any{"secret": map[string]any{"name": r.Name, "key": r.Key}}
}

// SecretNames are the Secrets a target's scrape reads, sorted and unique.
func SecretNames(t observability.ScrapeTarget) []string {
	var out []string
	add := func(r observability.SecretRef) {
		if !r.IsZero() && !contains(out, r.Name) {
			out = append(out, r.Name)
		}
	}
	if t.TLS != nil {
		add(t.TLS.CA)
	}
	add(t.BearerToken)
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// channel is the receiver: type "email" (label email_address) or "webhook_tokenauth" (label url)
// (Cloud Monitoring notificationChannelDescriptors; pulumi-gcp@v7.38.0 monitoring/
// notificationChannel.go Type, Labels). ForceDelete lets `pulumi destroy` remove it although
// policies still name it (they are deleted in the same run).
func channel(ctx *pulumi.Context, resName string, a *Args, opts ...pulumi.ResourceOption) (*monitoring.NotificationChannel, error) {
	var typ string
	var labels pulumi.StringMap
	switch {
	case a.Email != "":
		typ, labels = "email", pulumi.StringMap{"email_address": pulumi.String(a.Email)}
	case a.WebhookURL != nil:
		typ, labels = "webhook_tokenauth", pulumi.StringMap{"url": pulumi.ToSecret(a.WebhookURL).(pulumi.StringOutput)}
	default:
		return nil, nil
	}
	return monitoring.NewNotificationChannel(ctx, resName+"-receiver", &monitoring.NotificationChannelArgs{
		Project: pulumi.String(a.Project), DisplayName: pulumi.String(a.Name + " alerts"), Type: pulumi.String(typ),
		Labels: labels, ForceDelete: pulumi.Bool(true), Enabled: pulumi.Bool(true),
	}, opts...)
}

// Severity is Cloud Monitoring's severity for a rule's (AlertPolicy.Severity: CRITICAL, ERROR,
// WARNING; pulumi-gcp@v7.38.0 monitoring/alertPolicy.go).
func Severity(s observability.Severity) string {
	if s == observability.Critical {
		return "CRITICAL"
	}
	return "WARNING"
}

// policy is one alerting policy with one PromQL condition: the rule's expression, held for its For
// (duration), labelled with its severity, and documentation that links the runbook.
//
// Cloud Monitoring validates the query's metrics when the policy is created and refuses one it has
// never received ("Error 404: Cannot find metric(s)"); pulumi-gcp v7.38.0's
// AlertPolicyConditionConditionPrometheusQueryLanguage has no DisableMetricValidation (added with
// terraform-provider-google 6.x, pulumi-gcp v8). Hence observability.enabled is opt-in on gcp: enable
// it once Dremio has been scraped and the kube-state-metrics packages report (a first `up` with it on
// fails at these policies, a second succeeds). AlertPolicy has no description field in v7.38.0 to
// carry that to the error: config/observability_gcp.go and the README say it.
func policy(ctx *pulumi.Context, resName string, a *Args, r observability.AlertRule, channels pulumi.StringArray, opts ...pulumi.ResourceOption) (*monitoring.AlertPolicy, error) {
	url := RunbookURL(a.RunbookBase, r)
	return monitoring.NewAlertPolicy(ctx, resName+"-"+kebab(r.Name), &monitoring.AlertPolicyArgs{
		Project:     pulumi.String(a.Project),
		DisplayName: pulumi.String(a.Name + ": " + r.Name),
		Combiner:    pulumi.String("OR"),
		Severity:    pulumi.String(Severity(r.Severity)),
		Conditions: monitoring.AlertPolicyConditionArray{&monitoring.AlertPolicyConditionArgs{
			DisplayName: pulumi.String(r.Name),
			ConditionPrometheusQueryLanguage: &monitoring.AlertPolicyConditionConditionPrometheusQueryLanguageArgs{
				Query:              pulumi.String(r.Expr),
				Duration:           pulumi.String(fmt.Sprintf("%ds", int64(r.For/time.Second))),
				EvaluationInterval: pulumi.String(evaluationInterval),
				Labels:             pulumi.StringMap{"severity": pulumi.String(string(r.Severity))},
				RuleGroup:          pulumi.String(a.Name),
				AlertRule:          pulumi.String(r.Name),
			},
		}},
		Documentation: &monitoring.AlertPolicyDocumentationArgs{
			MimeType: pulumi.String("text/markdown"),
			Subject:  pulumi.String(fmt.Sprintf("[%s] %s: %s", strings.ToUpper(string(r.Severity)), a.Name, r.Name)),
			Content:  pulumi.String(fmt.Sprintf("%s\n\nRunbook: %s", r.Summary, url)),
			Links:    monitoring.AlertPolicyDocumentationLinkArray{&monitoring.AlertPolicyDocumentationLinkArgs{DisplayName: pulumi.String("runbook"), Url: pulumi.String(url)}},
		},
		// An incident closes itself 30 minutes after the condition stops holding.
		AlertStrategy:        &monitoring.AlertPolicyAlertStrategyArgs{AutoClose: pulumi.String("1800s")},
		NotificationChannels: channels,
		UserLabels:           pulumi.StringMap{"severity": pulumi.String(string(r.Severity)), "part-of": pulumi.String("dataplatform")},
	}, opts...)
}

// logMetric is one user-defined log-based counter: DELTA INT64 (a count of entries), each label a
// STRING extracted from the entry (pulumi-gcp@v7.38.0 logging/metric.go, pulumiTypes.go
// MetricMetricDescriptor{MetricKind, ValueType, Labels{Key, ValueType}}). Renaming it replaces it
// (Name is its id); the policies reading it are replaced with their query.
func logMetric(ctx *pulumi.Context, resName, project string, m LogMetric, opts ...pulumi.ResourceOption) (*logging.Metric, error) {
	keys := make([]string, 0, len(m.Labels))
	for k := range m.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	labels := logging.MetricMetricDescriptorLabelArray{}
	for _, k := range keys {
		labels = append(labels, &logging.MetricMetricDescriptorLabelArgs{Key: pulumi.String(k), ValueType: pulumi.String("STRING")})
	}
	return logging.NewMetric(ctx, resName+"-"+strings.ReplaceAll(m.Name, "_", "-"), &logging.MetricArgs{
		Project: pulumi.String(project), Name: pulumi.String(m.Name), Description: pulumi.String(m.Description),
		Filter: pulumi.String(m.Filter), LabelExtractors: pulumi.ToStringMap(m.Labels),
		MetricDescriptor: &logging.MetricMetricDescriptorArgs{
			MetricKind: pulumi.String("DELTA"), ValueType: pulumi.String("INT64"), Unit: pulumi.String("1"), Labels: labels,
		},
	}, opts...)
}

// kebab turns a CamelCase rule name into a resource-name suffix ("PostgresWALArchivingBehindRPO" →
// "postgres-wal-archiving-behind-rpo"): a hyphen before a capital that follows a lower-case letter
// or digit, or that starts a word after an acronym.
func kebab(s string) string {
	r := []rune(s)
	upper := func(c rune) bool { return c >= 'A' && c <= 'Z' }
	var b strings.Builder
	for i, c := range r {
		if upper(c) && i > 0 && (!upper(r[i-1]) || (i+1 < len(r) && !upper(r[i+1]))) {
			b.WriteByte('-')
		}
		if upper(c) {
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}
