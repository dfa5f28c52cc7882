package config

import (
	"net/url"
	"regexp"
)

// KeyObservability is the monitoring's configuration object (`dataplatform:observability`).
const KeyObservability = "observability"

// observabilityTargets are the targets the observability stack is rendered on; each cloud's
// rendering adds itself. Elsewhere it stays off, and turning it on is an error.
var observabilityTargets = map[Cloud]bool{Kubernetes: true}

// Receiver kinds of observability.receiver.kind.
const (
	ReceiverNone    = ""
	ReceiverEmail   = "email"
	ReceiverWebhook = "webhook"
)

// Observability configures metrics, dashboards and alerts (`dataplatform:observability`).
type Observability struct {
	// Enabled deploys the monitoring stack. Default: on where it is implemented (kubernetes, aws), off
	// elsewhere (not rendered yet; enabling it there is an error).
	Enabled *bool `json:"enabled"`
	// MetricsRetentionDays is how long Prometheus keeps samples. Default: 7 (dev), 15 (staging),
	// 30 (prod). 1–730.
	MetricsRetentionDays int `json:"metricsRetentionDays"`
	// PrometheusStorageGiB sizes each Prometheus replica's volume. Default: 20 (dev), 50 (staging),
	// 100 (prod). At least 10; Prometheus also stops at 85 % of it (retentionSize).
	PrometheusStorageGiB int `json:"prometheusStorageGiB"`
	// Receiver is where alerts go. Default: none (alerts show in Alertmanager and Grafana only).
	Receiver Receiver `json:"receiver"`
	// DocsBaseURL is where a browser reaches the repository's files: each alert's runbook_url is
	// <DocsBaseURL>/docs/runbook-alerts.md#<section>. Default: DefaultDocsBaseURL. An https:// URL.
	DocsBaseURL string `json:"docsBaseUrl"`
	// LogsRetentionDays is how long Cloud Logging's _Default bucket keeps the whole project's logs
	// (gcp, config/observability_gcp.go). Default: 0, the bucket is not managed. 0–3650.
	// On azure it is the ContainerLogV2 table's retention (config/observability_azure.go): default
	// network.flowLogRetentionDays (the workspace's), 4–730.
	LogsRetentionDays int `json:"logsRetentionDays"`
	// LogsLocation is the _Default bucket's location (gcp, with LogsRetentionDays). Default: "global".
	LogsLocation string `json:"logsLocation"`
	// ReflectionStaleHours is how old a Dremio reflection's last refresh may be before
	// DremioReflectionStale fires (config/observability_reflections.go). Default 6; 1–720.
	ReflectionStaleHours int `json:"reflectionStaleHours"`
}

// DefaultDocsBaseURL is the project repository's main branch (module github.com/opendataplatform/
// dataplatform).
const DefaultDocsBaseURL = "https://github.com/opendataplatform/dataplatform/blob/main"

// Receiver is Alertmanager's receiver.
type Receiver struct {
	// Kind is "" (none), "email" or "webhook".
	Kind string `json:"kind"`
	// To and From are the e-mail addresses (email).
	To   string `json:"to"`
	From string `json:"from"`
	// Smarthost is the SMTP relay as host:port (email); TLS is required.
	Smarthost string `json:"smarthost"`
	// Username is the SMTP user (email), optional.
	Username string `json:"username"`
	// Credential is the SMTP password (email, with Username) or the webhook URL (webhook; such URLs
	// often embed a token). Set it as a secret:
	//   pulumi config set --secret --path 'dataplatform:observability.receiver.credential' <value>
	// The program writes it to the target's secret store and materializes it (ExternalSecret) as
	// the Secret below in the monitoring namespace before Alertmanager starts.
	Credential string `json:"credential"`
	// PasswordSecret is the Secret key in the monitoring namespace the platform creates from
	// Credential and Alertmanager reads the SMTP password from (email, with Username). Default:
	// {"name": "alertmanager-receiver", "key": "password"}.
	PasswordSecret SecretKey `json:"passwordSecret"`
	// URLSecret is the same for the webhook URL (webhook). Default:
	// {"name": "alertmanager-receiver", "key": "url"}.
	URLSecret SecretKey `json:"urlSecret"`
	// AzureWebhook is the https URL the azure action group posts the Azure Monitor alerts to, in
	// Azure Monitor's common alert schema (not Alertmanager's webhook JSON, which credential's URL
	// receives); azure only, optional, a secret (config/observability_azure.go).
	AzureWebhook string `json:"azureWebhook"`
}

// ReceiverSecretName is the default name of the Secret the platform creates from
// receiver.credential in the monitoring namespace.
const ReceiverSecretName = "alertmanager-receiver"

// SecretKey names a key of a Kubernetes Secret.
type SecretKey struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// On reports whether the monitoring stack is deployed.
func (o Observability) On() bool { return o.Enabled != nil && *o.Enabled }

// observabilityDefaults fills what the stack left unset from the target and the environment.
func (p *Platform) observabilityDefaults() {
	o := &p.Observability
	if o.Enabled == nil {
		on := observabilityTargets[p.Cloud] && !observabilityOptIn[p.Cloud]
		o.Enabled = &on
	}
	if o.MetricsRetentionDays == 0 {
		o.MetricsRetentionDays = map[Environment]int{Dev: 7, Staging: 15, Prod: 30}[p.Environment]
	}
	if o.PrometheusStorageGiB == 0 {
		o.PrometheusStorageGiB = map[Environment]int{Dev: 20, Staging: 50, Prod: 100}[p.Environment]
	}
	if o.DocsBaseURL == "" {
		o.DocsBaseURL = DefaultDocsBaseURL
	}
	r := &o.Receiver
	if r.Kind == ReceiverEmail && r.Username != "" && r.PasswordSecret == (SecretKey{}) {
		r.PasswordSecret = SecretKey{Name: ReceiverSecretName, Key: "password"}
	}
	if r.Kind == ReceiverWebhook && r.URLSecret == (SecretKey{}) {
		r.URLSecret = SecretKey{Name: ReceiverSecretName, Key: "url"}
	}
}

var (
	mailAddress = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	smtpHost    = regexp.MustCompile(`^[a-zA-Z0-9.-]+:[0-9]{1,5}$`)
	k8sName     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
	k8sDataKey  = regexp.MustCompile(`^[-._a-zA-Z0-9]{1,253}$`)
)

// observability checks the monitoring settings.
func (v *validator) observability() {
	p := v.p
	p.observabilityDefaults()
	o := p.Observability
	if !o.On() {
		return
	}
	if !observabilityTargets[p.Cloud] {
		v.add("observability.enabled", true, "false on %s: the monitoring stack is not rendered on this target yet (kubernetes only)", p.Cloud)
		return
	}
	if o.MetricsRetentionDays < 1 || o.MetricsRetentionDays > 730 {
		v.add("observability.metricsRetentionDays", o.MetricsRetentionDays, "an integer from 1 to 730")
	}
	if o.PrometheusStorageGiB < 10 {
		v.add("observability.prometheusStorageGiB", o.PrometheusStorageGiB, "an integer ≥ 10")
	}
	if u, err := url.Parse(o.DocsBaseURL); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		v.add("observability.docsBaseUrl", o.DocsBaseURL, "an https:// URL without query or fragment, e.g. %s", DefaultDocsBaseURL)
	}
	v.reflectionStaleHours()
	if p.Cloud != Azure && o.Receiver.AzureWebhook != "" {
		v.add("observability.receiver.azureWebhook", "<secret>", "unset on %s: only azure's action group posts to it", p.Cloud)
	}
	if p.Cloud == GCP {
		v.observabilityGCP()
		return
	}
	if p.Cloud == AWS {
		v.observabilityAWS()
		return
	}
	if p.Cloud == Azure {
		v.observabilityAzure()
	}
	r := o.Receiver
	secretKey := func(key string, s SecretKey) {
		if !k8sName.MatchString(s.Name) {
			v.add(key+".name", s.Name, "the name of the Secret the platform creates in the monitoring namespace (a DNS name)")
		}
		if !k8sDataKey.MatchString(s.Key) {
			v.add(key+".key", s.Key, "a Secret data key (letters, digits, '-', '_', '.')")
		}
	}
	unset := func(key, value string) {
		if value != "" {
			v.add("observability.receiver."+key, value, "unset with receiver.kind %q", r.Kind)
		}
	}
	switch r.Kind {
	case ReceiverNone:
		if r != (Receiver{}) {
			v.add("observability.receiver.kind", "", "%s or %s when other receiver fields are set", ReceiverEmail, ReceiverWebhook)
		}
	case ReceiverEmail:
		if !mailAddress.MatchString(r.To) {
			v.add("observability.receiver.to", r.To, "the recipient's e-mail address")
		}
		if !mailAddress.MatchString(r.From) {
			v.add("observability.receiver.from", r.From, "the sender's e-mail address")
		}
		if !smtpHost.MatchString(r.Smarthost) {
			v.add("observability.receiver.smarthost", r.Smarthost, "the SMTP relay as host:port, e.g. smtp.example.com:587")
		}
		if r.Username != "" {
			secretKey("observability.receiver.passwordSecret", r.PasswordSecret)
			if r.Credential == "" {
				v.add("observability.receiver.credential", "", "the SMTP password, set with `pulumi config set --secret --path 'dataplatform:observability.receiver.credential'`")
			}
		} else if r.PasswordSecret != (SecretKey{}) || r.Credential != "" {
			v.add("observability.receiver.username", "", "the SMTP user when passwordSecret or credential is set")
		}
		unset("urlSecret", r.URLSecret.Name)
	case ReceiverWebhook:
		secretKey("observability.receiver.urlSecret", r.URLSecret)
		if u, err := url.Parse(r.Credential); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			// The value is a secret: never echoed.
			v.add("observability.receiver.credential", "<secret>", "the webhook URL (http:// or https://…), set with `pulumi config set --secret --path 'dataplatform:observability.receiver.credential'`")
		}
		for key, value := range map[string]string{"to": r.To, "from": r.From, "smarthost": r.Smarthost, "username": r.Username, "passwordSecret": r.PasswordSecret.Name} {
			unset(key, value)
		}
	default:
		v.add("observability.receiver.kind", r.Kind, "one of %s (none), %s, %s", `""`, ReceiverEmail, ReceiverWebhook)
	}
}

// managedReceiver checks the receiver where the cloud's alerting service delivers it itself (SNS on
// aws, Cloud Monitoring on gcp): "email" needs only `to` (the service mails from its own sender, no
// SMTP relay, sender or password of ours), "webhook" only the https URL as the secret credential (it
// often carries a token); every other field must stay unset. emailNote and webhookNote add what the
// service asks of the recipient.
func (v *validator) managedReceiver(cloud, service, emailNote, webhookNote string) {
	r := v.p.Observability.Receiver
	unset := func(key, value string) {
		if value != "" {
			v.add("observability.receiver."+key, value, "unset on %s with receiver.kind %q: %s delivers the alerts itself", cloud, r.Kind, service)
		}
	}
	switch r.Kind {
	case ReceiverNone:
		if r != (Receiver{}) {
			v.add("observability.receiver.kind", "", "%s or %s when other receiver fields are set", ReceiverEmail, ReceiverWebhook)
		}
	case ReceiverEmail:
		if !mailAddress.MatchString(r.To) {
			v.add("observability.receiver.to", r.To, "the recipient's e-mail address%s", emailNote)
		}
		for key, value := range map[string]string{"from": r.From, "smarthost": r.Smarthost, "username": r.Username, "passwordSecret": r.PasswordSecret.Name, "urlSecret": r.URLSecret.Name} {
			unset(key, value)
		}
		if r.Credential != "" {
			v.add("observability.receiver.credential", "<secret>", "unset on %s with receiver.kind email: %s sends the mail, no SMTP password is used", cloud, service)
		}
	case ReceiverWebhook:
		if u, err := url.Parse(r.Credential); err != nil || u.Scheme != "https" || u.Host == "" {
			v.add("observability.receiver.credential", "<secret>", "the webhook's https:// URL, set with `pulumi config set --secret --path 'dataplatform:observability.receiver.credential'`%s", webhookNote)
		}
		for key, value := range map[string]string{"to": r.To, "from": r.From, "smarthost": r.Smarthost, "username": r.Username, "passwordSecret": r.PasswordSecret.Name} {
			unset(key, value)
		}
	default:
		v.add("observability.receiver.kind", r.Kind, "one of %s (none), %s, %s", `""`, ReceiverEmail, ReceiverWebhook)
	}
}
