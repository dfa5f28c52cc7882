package config

import "net/url"

// The observability model is rendered on AWS (components/observability/amp): Amazon Managed Service
// for Prometheus, CloudWatch alarms and Container Insights. It is on by default there.
func init() { observabilityTargets[AWS] = true }

// observabilityAWS checks the receiver as SNS delivers it: an "email" subscription mails `to` from
// SNS's own sender (no SMTP relay, sender or password of ours), an "https" subscription posts to the
// webhook URL, which must confirm the subscription (SNS developer guide SendMessageToHttp.prepare).
func (v *validator) observabilityAWS() {
	r := v.p.Observability.Receiver
	unset := func(key, value string) {
		if value != "" {
			v.add("observability.receiver."+key, value, "unset on aws with receiver.kind %q: Amazon SNS delivers the alerts itself", r.Kind)
		}
	}
	switch r.Kind {
	case ReceiverNone:
		if r != (Receiver{}) {
			v.add("observability.receiver.kind", "", "%s or %s when other receiver fields are set", ReceiverEmail, ReceiverWebhook)
		}
	case ReceiverEmail:
		if !mailAddress.MatchString(r.To) {
			v.add("observability.receiver.to", r.To, "the recipient's e-mail address (SNS asks it to confirm the subscription)")
		}
		for key, value := range map[string]string{"from": r.From, "smarthost": r.Smarthost, "username": r.Username, "passwordSecret": r.PasswordSecret.Name, "urlSecret": r.URLSecret.Name} {
			unset(key, value)
		}
		if r.Credential != "" {
			v.add("observability.receiver.credential", "<secret>", "unset on aws with receiver.kind email: SNS sends the mail, no SMTP password is used")
		}
	case ReceiverWebhook:
		// SNS posts to http and https endpoints; the URL often carries a token, so only https.
		if u, err := url.Parse(r.Credential); err != nil || u.Scheme != "https" || u.Host == "" {
			v.add("observability.receiver.credential", "<secret>", "the webhook's https:// URL, set with `pulumi config set --secret --path 'dataplatform:observability.receiver.credential'`; the endpoint must confirm the SNS subscription")
		}
		for key, value := range map[string]string{"to": r.To, "from": r.From, "smarthost": r.Smarthost, "username": r.Username, "passwordSecret": r.PasswordSecret.Name} {
			unset(key, value)
		}
	default:
		v.add("observability.receiver.kind", r.Kind, "one of %s (none), %s, %s", `""`, ReceiverEmail, ReceiverWebhook)
	}
}
