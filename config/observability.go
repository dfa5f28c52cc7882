package config

import "regexp"

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
	// Enabled deploys the monitoring stack. Default: on where it is implemented (kubernetes), off
	// elsewhere (aws, azure, gcp: not rendered yet; enabling it there is an error).
	Enabled *bool `json:"enabled"`
	// MetricsRetentionDays is how long Prometheus keeps samples. Default: 7 (dev), 15 (staging),
	// 30 (prod). 1–730.
	MetricsRetentionDays int `json:"metricsRetentionDays"`
	// PrometheusStorageGiB sizes each Prometheus replica's volume. Default: 20 (dev), 50 (staging),
	// 100 (prod). At least 10; Prometheus also stops at 85 % of it (retentionSize).
	PrometheusStorageGiB int `json:"prometheusStorageGiB"`
	// Receiver is where alerts go. Default: none (alerts show in Alertmanager and Grafana only).
	Receiver Receiver `json:"receiver"`
}

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
	// PasswordSecret is the Secret key in the monitoring namespace holding the SMTP password (email,
	// with Username). You create that Secret.
	PasswordSecret SecretKey `json:"passwordSecret"`
	// URLSecret is the Secret key in the monitoring namespace holding the webhook URL (webhook).
	// You create that Secret: such URLs often embed a token.
	URLSecret SecretKey `json:"urlSecret"`
}

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
		on := observabilityTargets[p.Cloud]
		o.Enabled = &on
	}
	if o.MetricsRetentionDays == 0 {
		o.MetricsRetentionDays = map[Environment]int{Dev: 7, Staging: 15, Prod: 30}[p.Environment]
	}
	if o.PrometheusStorageGiB == 0 {
		o.PrometheusStorageGiB = map[Environment]int{Dev: 20, Staging: 50, Prod: 100}[p.Environment]
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
	r := o.Receiver
	secretKey := func(key string, s SecretKey) {
		if !k8sName.MatchString(s.Name) {
			v.add(key+".name", s.Name, "the name of a Secret you create in the monitoring namespace")
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
		} else if r.PasswordSecret != (SecretKey{}) {
			v.add("observability.receiver.username", "", "the SMTP user when passwordSecret is set")
		}
		unset("urlSecret", r.URLSecret.Name)
	case ReceiverWebhook:
		secretKey("observability.receiver.urlSecret", r.URLSecret)
		for key, value := range map[string]string{"to": r.To, "from": r.From, "smarthost": r.Smarthost, "username": r.Username, "passwordSecret": r.PasswordSecret.Name} {
			unset(key, value)
		}
	default:
		v.add("observability.receiver.kind", r.Kind, "one of %s (none), %s, %s", `""`, ReceiverEmail, ReceiverWebhook)
	}
}
