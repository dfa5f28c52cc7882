package config

import "net/url"

// The observability model is rendered on GCP (components/observability/gmp): Managed Service for
// Prometheus scrapes, Cloud Monitoring alerts and draws the dashboards, Cloud Logging keeps the logs.
// It is on by default there.
func init() { observabilityTargets[GCP] = true }

// gcpLogsRetentionDays is the _Default log bucket's retention per environment. The bucket is the
// whole project's (every workload's logs, not only the platform's), so the default never goes below
// Cloud Logging's own 30 days, which cost no storage; prod keeps 90 days for incident and audit
// investigations (days beyond 30 are billed).
func gcpLogsRetentionDays(env Environment) int {
	return map[Environment]int{Dev: 30, Staging: 30, Prod: 90}[env]
}

// observabilityGCP checks the settings as GCP uses them: the _Default bucket's retention and the
// receiver as a Cloud Monitoring notification channel — "email" mails `to` from Google's own sender
// (no SMTP relay, sender or password of ours), "webhook" posts to the URL (type webhook_tokenauth).
func (v *validator) observabilityGCP() {
	o := &v.p.Observability
	if o.LogsRetentionDays == 0 {
		o.LogsRetentionDays = gcpLogsRetentionDays(v.p.Environment)
	}
	if o.LogsRetentionDays < 1 || o.LogsRetentionDays > 3650 {
		v.add("observability.logsRetentionDays", o.LogsRetentionDays, "an integer from 1 to 3650 (Cloud Logging's bucket retention in days)")
	}
	r := o.Receiver
	unset := func(key, value string) {
		if value != "" {
			v.add("observability.receiver."+key, value, "unset on gcp with receiver.kind %q: Cloud Monitoring delivers the alerts itself", r.Kind)
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
		for key, value := range map[string]string{"from": r.From, "smarthost": r.Smarthost, "username": r.Username, "passwordSecret": r.PasswordSecret.Name, "urlSecret": r.URLSecret.Name} {
			unset(key, value)
		}
		if r.Credential != "" {
			v.add("observability.receiver.credential", "<secret>", "unset on gcp with receiver.kind email: Cloud Monitoring sends the mail, no SMTP password is used")
		}
	case ReceiverWebhook:
		// The URL often carries a token: https only.
		if u, err := url.Parse(r.Credential); err != nil || u.Scheme != "https" || u.Host == "" {
			v.add("observability.receiver.credential", "<secret>", "the webhook's https:// URL, set with `pulumi config set --secret --path 'dataplatform:observability.receiver.credential'`")
		}
		for key, value := range map[string]string{"to": r.To, "from": r.From, "smarthost": r.Smarthost, "username": r.Username, "passwordSecret": r.PasswordSecret.Name} {
			unset(key, value)
		}
	default:
		v.add("observability.receiver.kind", r.Kind, "one of %s (none), %s, %s", `""`, ReceiverEmail, ReceiverWebhook)
	}
}
