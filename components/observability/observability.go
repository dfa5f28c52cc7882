// Package observability is the cloud-neutral contract of the platform's monitoring: what to scrape,
// which alert rules hold, which dashboards exist, how long metrics and logs are kept, and where alerts
// are sent. It is a plain-value model, like package edge: the services' components (or the stacks)
// describe their metrics as ScrapeTargets, and an implementation per target renders the model onto
// that target's backend (kube-prometheus-stack on the kubernetes target: ServiceMonitors/PodMonitors,
// PrometheusRules, Grafana dashboards, Alertmanager). No service knows which backend scrapes it.
//
// Every type's zero value is safe: an empty Spec scrapes nothing, alerts on nothing and is valid.
// Validate reports the first problem with the field's path, its value and what is allowed, before
// any resource is registered.
package observability

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Scheme is how a target serves its metrics.
type Scheme string

const (
	// HTTP is plain HTTP (only inside the cluster, behind a NetworkPolicy that admits the scraper).
	HTTP Scheme = "http"
	// HTTPS is TLS; TLS names the CA the scraper verifies the server with.
	HTTPS Scheme = "https"
)

// SecretRef names one key of a Kubernetes Secret in the target's namespace (Prometheus reads
// scrape credentials from the namespace of the monitor that names them).
type SecretRef struct {
	// Name is the Secret's name.
	Name string
	// Key is the data key inside it.
	Key string
}

// IsZero reports whether the reference is unset.
func (r SecretRef) IsZero() bool { return r == SecretRef{} }

// TLS is how the scraper verifies an HTTPS target.
type TLS struct {
	// CA is the Secret key holding the PEM CA bundle that signed the target's serving certificate.
	CA SecretRef
	// ServerName is the name the certificate is checked against (a DNS SAN of the certificate), when
	// the scraper dials the pod's IP.
	ServerName string
}

// ScrapeTarget is one set of pods serving Prometheus text on one named container port.
type ScrapeTarget struct {
	// Name identifies the target ("metadata-db", "object-store"); a DNS label, unique in the Spec.
	// It names the monitor object and the `job` label of the scraped series.
	Name string
	// Namespace is where the pods run.
	Namespace string
	// Selector are the pod labels that select the target's pods (matchLabels; at least one).
	Selector map[string]string
	// Port is the name of the container port serving metrics (a pod may open several).
	Port string
	// PortNumber is that port's number; NetworkPolicies admit the scraper on it (they cannot name a
	// port of another pod by name across namespaces reliably).
	PortNumber int
	// Path is the HTTP path. Default "/metrics".
	Path string
	// Scheme is http or https. Default http.
	Scheme Scheme
	// TLS verifies an https target; required with https.
	TLS *TLS
	// BearerToken is the Secret key holding the token sent as "Authorization: Bearer"; optional.
	BearerToken SecretRef
	// Interval is how often to scrape. Default 30s; from 5s to 5m.
	Interval time.Duration
	// Metrics are the key metrics this target is scraped for, each with the upstream source that
	// defines its name; alert rules and dashboards may only name these (or the cluster's own).
	Metrics []Metric
}

// Metric is one series name a source emits, with the upstream file that proves it.
type Metric struct {
	// Name is the Prometheus series name as scraped.
	Name string
	// Source is the upstream file (and version) that defines the name.
	Source string
}

// Severity ranks an alert; the receiver is paged for critical, notified for warning.
type Severity string

const (
	Critical Severity = "critical"
	Warning  Severity = "warning"
	Info     Severity = "info"
)

// RunbookDoc is the document every alert's runbook anchor points into, relative to the repository.
const RunbookDoc = "docs/runbook-alerts.md"

// AlertRule is one Prometheus alerting rule.
type AlertRule struct {
	// Name is the alert's name (CamelCase, as Prometheus convention has it; unique in the Spec).
	Name string
	// Expr is the PromQL expression; the alert fires for every series it returns.
	Expr string
	// For is how long the expression must hold before the alert fires (0: at once).
	For time.Duration
	// Severity is critical, warning or info.
	Severity Severity
	// Summary is the one-line description a receiver shows; it may use {{ $labels.x }}.
	Summary string
	// Runbook is the anchor of the alert's section in RunbookDoc (lower-case, '-' separated).
	Runbook string
	// Doc is the document the anchor is in when it is not RunbookDoc: a target's own runbook
	// ("docs/runbook-alerts-azure.md") for a rule only that target has. Empty: RunbookDoc.
	Doc string
}

// RunbookURL is the rule's runbook as a repository-relative link.
func (r AlertRule) RunbookURL() string {
	if r.Doc != "" {
		return r.Doc + "#" + r.Runbook
	}
	return RunbookDoc + "#" + r.Runbook
}

// PanelKind is how a panel draws its queries.
type PanelKind string

const (
	// TimeSeries draws each query over time.
	TimeSeries PanelKind = "timeseries"
	// Stat shows each query's latest value.
	Stat PanelKind = "stat"
)

// Panel is one dashboard panel.
type Panel struct {
	// Title is shown above the panel.
	Title string
	// Kind is timeseries or stat. Default timeseries.
	Kind PanelKind
	// Unit is Grafana's unit id ("percentunit", "s", "reqps", "Bps", "short"). Default "short".
	Unit string
	// Queries are PromQL expressions, one series set each (at least one).
	Queries []string
}

// Dashboard is a dashboard written as code.
type Dashboard struct {
	// UID is the dashboard's stable id (a DNS label, at most 40 characters, unique in the Spec).
	UID string
	// Title is its name in the dashboard list.
	Title string
	// Panels are laid out in order, two per row.
	Panels []Panel
}

// Retention is how long telemetry is kept.
type Retention struct {
	// Metrics is how long metric samples are kept. Default 15 days.
	Metrics time.Duration
	// Logs is how long log lines are kept. Default 14 days.
	Logs time.Duration
}

// ReceiverKind is where alerts are sent.
type ReceiverKind string

const (
	// NoReceiver: alerts are visible in Alertmanager and Grafana only.
	NoReceiver ReceiverKind = ""
	// Email sends alerts through an SMTP relay.
	Email ReceiverKind = "email"
	// Webhook posts Alertmanager's webhook JSON to a URL (chat bridges, incident tools).
	Webhook ReceiverKind = "webhook"
)

// Receiver is where alerts go. On the kubernetes target Alertmanager sends them; the clouds' own
// notification types (SNS, action groups, notification channels) are not rendered yet.
type Receiver struct {
	// Kind is "", email or webhook.
	Kind ReceiverKind
	// To is the recipient address (email).
	To string
	// From is the sender address (email).
	From string
	// Smarthost is the SMTP relay as host:port (email); TLS is required (STARTTLS or implicit).
	Smarthost string
	// Username is the SMTP user (email); empty: no authentication.
	Username string
	// Password is the Secret key holding the SMTP password (email, with Username).
	Password SecretRef
	// URL is the Secret key holding the webhook URL (webhook): such URLs often embed a token.
	URL SecretRef
}

// Spec is the whole observability model of a platform.
type Spec struct {
	Targets    []ScrapeTarget
	Rules      []AlertRule
	Dashboards []Dashboard
	Retention  Retention
	Receiver   Receiver
}

// Defaults applied by WithDefaults.
const (
	DefaultPath             = "/metrics"
	DefaultInterval         = 30 * time.Second
	DefaultMetricsRetention = 15 * 24 * time.Hour
	DefaultLogsRetention    = 14 * 24 * time.Hour
)

// WithDefaults returns a copy with every unset default filled in; the input is not changed.
func (s Spec) WithDefaults() Spec {
	out := s
	out.Targets = make([]ScrapeTarget, len(s.Targets))
	for i, t := range s.Targets {
		if t.Path == "" {
			t.Path = DefaultPath
		}
		if t.Scheme == "" {
			t.Scheme = HTTP
		}
		if t.Interval == 0 {
			t.Interval = DefaultInterval
		}
		out.Targets[i] = t
	}
	out.Dashboards = make([]Dashboard, len(s.Dashboards))
	for i, d := range s.Dashboards {
		panels := make([]Panel, len(d.Panels))
		for j, p := range d.Panels {
			if p.Kind == "" {
				p.Kind = TimeSeries
			}
			if p.Unit == "" {
				p.Unit = "short"
			}
			panels[j] = p
		}
		d.Panels = panels
		out.Dashboards[i] = d
	}
	if out.Retention.Metrics == 0 {
		out.Retention.Metrics = DefaultMetricsRetention
	}
	if out.Retention.Logs == 0 {
		out.Retention.Logs = DefaultLogsRetention
	}
	return out
}

var (
	dnsLabel   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	labelKey   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	labelValue = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)
	portName   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$`)
	alertName  = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{2,99}$`)
	anchor     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	runbookDoc = regexp.MustCompile(`^docs/runbook-alerts-[a-z0-9]+\.md$`)
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	secretName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
	secretKey  = regexp.MustCompile(`^[-._a-zA-Z0-9]{1,253}$`)
	hostPort   = regexp.MustCompile(`^[a-zA-Z0-9.-]+:[0-9]{1,5}$`)
	address    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// Validate checks a Spec after WithDefaults and returns the first problem as
// "observability: <field> = <value>: <allowed>".
func (s Spec) Validate() error {
	s = s.WithDefaults()
	seen := map[string]bool{}
	for i, t := range s.Targets {
		if err := t.validate(fmt.Sprintf("Targets[%d]", i)); err != nil {
			return err
		}
		if seen[t.Name] {
			return problem(fmt.Sprintf("Targets[%d].Name", i), t.Name, "unique among the targets")
		}
		seen[t.Name] = true
	}
	seen = map[string]bool{}
	for i, r := range s.Rules {
		if err := r.validate(fmt.Sprintf("Rules[%d]", i)); err != nil {
			return err
		}
		if seen[r.Name] {
			return problem(fmt.Sprintf("Rules[%d].Name", i), r.Name, "unique among the rules")
		}
		seen[r.Name] = true
	}
	seen = map[string]bool{}
	for i, d := range s.Dashboards {
		if err := d.validate(fmt.Sprintf("Dashboards[%d]", i)); err != nil {
			return err
		}
		if seen[d.UID] {
			return problem(fmt.Sprintf("Dashboards[%d].UID", i), d.UID, "unique among the dashboards")
		}
		seen[d.UID] = true
	}
	if s.Retention.Metrics < 24*time.Hour || s.Retention.Metrics > 3*365*24*time.Hour {
		return problem("Retention.Metrics", s.Retention.Metrics, "from 1 day to 3 years")
	}
	if s.Retention.Logs < 24*time.Hour || s.Retention.Logs > 10*365*24*time.Hour {
		return problem("Retention.Logs", s.Retention.Logs, "from 1 day to 10 years")
	}
	return s.Receiver.validate()
}

func problem(field string, value any, allowed string) error {
	return fmt.Errorf("observability: %s = %q: %s", field, fmt.Sprint(value), allowed)
}

func (t ScrapeTarget) validate(at string) error {
	switch {
	case !dnsLabel.MatchString(t.Name):
		return problem(at+".Name", t.Name, "a DNS label (lower-case letters, digits, '-')")
	case !dnsLabel.MatchString(t.Namespace):
		return problem(at+".Namespace", t.Namespace, "the namespace of the target's pods")
	case len(t.Selector) == 0:
		return problem(at+".Selector", "{}", "at least one pod label: an empty selector would scrape every pod of the namespace")
	case !portName.MatchString(t.Port):
		return problem(at+".Port", t.Port, "the name of the container port serving metrics (an IANA_SVC_NAME, at most 15 characters)")
	case t.PortNumber < 1 || t.PortNumber > 65535:
		return problem(at+".PortNumber", t.PortNumber, "the port's number, 1–65535")
	case !strings.HasPrefix(t.Path, "/"):
		return problem(at+".Path", t.Path, "an absolute HTTP path such as /metrics")
	case t.Scheme != HTTP && t.Scheme != HTTPS:
		return problem(at+".Scheme", t.Scheme, "http or https")
	case t.Scheme == HTTPS && (t.TLS == nil || t.TLS.CA.IsZero()):
		return problem(at+".TLS.CA", "", "the Secret key of the CA that signed the target's certificate (https is verified)")
	case t.Scheme == HTTP && t.TLS != nil:
		return problem(at+".TLS", "set", "unset with http, or Scheme https")
	case t.Interval < 5*time.Second || t.Interval > 5*time.Minute:
		return problem(at+".Interval", t.Interval, "from 5s to 5m")
	}
	for k, v := range t.Selector {
		if !labelKey.MatchString(k) || !labelValue.MatchString(v) {
			return problem(at+".Selector", k+"="+v, "a Kubernetes label key and value")
		}
	}
	if t.TLS != nil {
		if err := t.TLS.CA.validate(at + ".TLS.CA"); err != nil {
			return err
		}
	}
	if !t.BearerToken.IsZero() {
		if err := t.BearerToken.validate(at + ".BearerToken"); err != nil {
			return err
		}
	}
	for j, m := range t.Metrics {
		if !metricName.MatchString(m.Name) {
			return problem(fmt.Sprintf("%s.Metrics[%d].Name", at, j), m.Name, "a Prometheus metric name")
		}
		if m.Source == "" {
			return problem(fmt.Sprintf("%s.Metrics[%d].Source", at, j), "", "the upstream file and version that define "+m.Name)
		}
	}
	return nil
}

func (r SecretRef) validate(at string) error {
	if !secretName.MatchString(r.Name) {
		return problem(at+".Name", r.Name, "a Secret name")
	}
	if !secretKey.MatchString(r.Key) {
		return problem(at+".Key", r.Key, "a Secret data key (letters, digits, '-', '_', '.')")
	}
	return nil
}

func (r AlertRule) validate(at string) error {
	switch {
	case !alertName.MatchString(r.Name):
		return problem(at+".Name", r.Name, "a CamelCase alert name starting with a capital letter")
	case strings.TrimSpace(r.Expr) == "":
		return problem(at+".Expr", r.Expr, "a PromQL expression")
	case !balanced(r.Expr):
		return problem(at+".Expr", r.Expr, "a PromQL expression with balanced (), [] and {}")
	case r.For < 0 || r.For > 24*time.Hour:
		return problem(at+".For", r.For, "from 0 to 24h")
	case r.Severity != Critical && r.Severity != Warning && r.Severity != Info:
		return problem(at+".Severity", r.Severity, "critical, warning or info")
	case strings.TrimSpace(r.Summary) == "":
		return problem(at+".Summary", r.Summary, "a one-line description for the receiver")
	case !anchor.MatchString(r.Runbook):
		return problem(at+".Runbook", r.Runbook, "the anchor of the alert's section in "+RunbookDoc+" (lower-case words joined by '-')")
	case r.Doc != "" && !runbookDoc.MatchString(r.Doc):
		return problem(at+".Doc", r.Doc, "empty ("+RunbookDoc+") or a runbook under docs/ named runbook-alerts-<target>.md")
	}
	return nil
}

func (d Dashboard) validate(at string) error {
	switch {
	case !dnsLabel.MatchString(d.UID) || len(d.UID) > 40:
		return problem(at+".UID", d.UID, "a DNS label of at most 40 characters (Grafana's uid limit)")
	case strings.TrimSpace(d.Title) == "":
		return problem(at+".Title", d.Title, "the dashboard's name")
	case len(d.Panels) == 0:
		return problem(at+".Panels", "[]", "at least one panel")
	}
	for j, p := range d.Panels {
		pat := fmt.Sprintf("%s.Panels[%d]", at, j)
		switch {
		case strings.TrimSpace(p.Title) == "":
			return problem(pat+".Title", p.Title, "the panel's title")
		case p.Kind != TimeSeries && p.Kind != Stat:
			return problem(pat+".Kind", p.Kind, "timeseries or stat")
		case len(p.Queries) == 0:
			return problem(pat+".Queries", "[]", "at least one PromQL query")
		}
		for k, q := range p.Queries {
			if strings.TrimSpace(q) == "" || !balanced(q) {
				return problem(fmt.Sprintf("%s.Queries[%d]", pat, k), q, "a PromQL expression with balanced (), [] and {}")
			}
		}
	}
	return nil
}

func (r Receiver) validate() error {
	switch r.Kind {
	case NoReceiver:
		if r != (Receiver{}) {
			return problem("Receiver.Kind", "", "email or webhook when any other Receiver field is set")
		}
	case Email:
		switch {
		case !address.MatchString(r.To):
			return problem("Receiver.To", r.To, "the recipient's e-mail address")
		case !address.MatchString(r.From):
			return problem("Receiver.From", r.From, "the sender's e-mail address")
		case !hostPort.MatchString(r.Smarthost):
			return problem("Receiver.Smarthost", r.Smarthost, "the SMTP relay as host:port, e.g. smtp.example.com:587")
		case r.Username != "" && r.Password.IsZero():
			return problem("Receiver.Password", "", "the Secret key of the SMTP password when Username is set")
		case r.Username == "" && !r.Password.IsZero():
			return problem("Receiver.Username", "", "the SMTP user when Password is set")
		case !r.URL.IsZero():
			return problem("Receiver.URL", r.URL.Name, "unset with email")
		}
		if !r.Password.IsZero() {
			return r.Password.validate("Receiver.Password")
		}
	case Webhook:
		if r.URL.IsZero() {
			return problem("Receiver.URL", "", "the Secret key holding the webhook URL")
		}
		if r.To != "" || r.From != "" || r.Smarthost != "" || r.Username != "" || !r.Password.IsZero() {
			return problem("Receiver", "email fields", "only URL with webhook")
		}
		return r.URL.validate("Receiver.URL")
	default:
		return problem("Receiver.Kind", r.Kind, "empty (none), email or webhook")
	}
	return nil
}

// balanced reports whether (), [] and {} nest properly outside quoted strings.
func balanced(expr string) bool {
	var stack []rune
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	var quote rune
	escaped := false
	for _, c := range expr {
		switch {
		case quote != 0 && escaped:
			escaped = false
		case quote != 0 && c == '\\' && quote != '`':
			escaped = true
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, c)
		case pairs[c] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != pairs[c] {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return quote == 0 && len(stack) == 0
}
