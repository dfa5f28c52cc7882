package config

import "regexp"

// The observability model is rendered on GCP (components/observability/gmp): Managed Service for
// Prometheus scrapes, Cloud Monitoring alerts and draws the dashboards, Cloud Logging keeps the logs.
//
// It is opt-in there (off by default in every environment): Cloud Monitoring refuses a PromQL
// alerting policy whose metric it has never received ("Cannot find metric(s)"), and pulumi-gcp
// v7.38.0 has no disableMetricValidation on the condition (added in terraform-provider-google 6.x,
// i.e. pulumi-gcp v8). So a first `up` of a fresh stack with it on fails at the policies over
// Dremio's and kube-state-metrics' series; enable it once the stack has run (Dremio up and scraped,
// the managed kube-state-metrics packages on, which observability.enabled itself turns on: see
// components/cluster/gke) — a first `up` with it on fails at those policies and a second succeeds.
func init() {
	observabilityTargets[GCP] = true
	observabilityOptIn[GCP] = true
}

// observabilityOptIn are the targets where observability.enabled may be set but defaults to false.
var observabilityOptIn = map[Cloud]bool{}

// logsLocation is a Cloud Logging bucket location: "global", a region (europe-west1) or a
// multi-region (eu, us) (pulumi-gcp@v7.38.0 sdk/go/gcp/logging/projectBucketConfig.go Location:
// "The location of the bucket").
var logsLocation = regexp.MustCompile(`^(global|eu|us|[a-z]+-[a-z]+[0-9]+)$`)

// observabilityGCP checks the settings as GCP uses them: the _Default bucket's retention and the
// receiver as a Cloud Monitoring notification channel — "email" mails `to` from Google's own sender
// (no SMTP relay, sender or password of ours), "webhook" posts to the URL (type webhook_tokenauth).
func (v *validator) observabilityGCP() {
	o := &v.p.Observability
	// The _Default bucket is the whole project's (every workload's logs, not only the platform's)
	// and outlives the stack: it is managed only when asked for.
	if o.LogsRetentionDays < 0 || o.LogsRetentionDays > 3650 {
		v.add("observability.logsRetentionDays", o.LogsRetentionDays, "0 (the project's _Default log bucket is not managed) or an integer from 1 to 3650 (its retention in days, project-wide)")
	}
	if o.LogsRetentionDays > 0 && o.LogsLocation == "" {
		o.LogsLocation = "global"
	}
	if o.LogsLocation != "" && (o.LogsRetentionDays == 0 || !logsLocation.MatchString(o.LogsLocation)) {
		v.add("observability.logsLocation", o.LogsLocation, "the _Default bucket's location (global, a region such as europe-west1, eu or us), with logsRetentionDays > 0")
	}
	v.managedReceiver("gcp", "Cloud Monitoring", "", "")
}
