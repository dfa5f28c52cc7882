package tests

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestObservabilityOnAWS (issue 12): every aws plan renders the model on AWS — an AMP workspace with
// the profile's retention, the managed collector on the cluster scraping Dremio's coordinator and
// executors (each admitted by a NetworkPolicy on its metrics port), the rule namespace with runbook
// links, the Alertmanager and the encrypted alert topic, CloudWatch alarms on RDS and on every
// bucket's S3 request metrics, the dashboard, and Container Insights with its four log groups kept as
// long as the flow logs. No other target has any of it.
func TestObservabilityOnAWS(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		comps := resourcesOf(r, "dataplatform:aws:Observability")
		if target != "aws" {
			if len(comps)+len(resourcesOf(r, "aws:amp/workspace:Workspace")) != 0 {
				t.Errorf("%s renders the AWS observability", target)
			}
			return
		}
		if len(comps) != 1 {
			t.Fatalf("%d AWS observability components; want 1", len(comps))
		}
		ws := named(t, r, "aws:amp/workspace:Workspace", "observability-workspace")
		if ws.Protect != (stack == "prod") {
			t.Errorf("workspace protected = %v; want only in prod", ws.Protect)
		}
		days := map[string]float64{"dev": 7, "staging": 15, "prod": 30}[stack]
		wc := named(t, r, "aws:amp/workspaceConfiguration:WorkspaceConfiguration", "observability-retention")
		if got := inspect.Num(wc.Inputs, "retentionPeriodInDays"); got != days {
			t.Errorf("AMP retention %v days; want %v from the %s profile", got, days, stack)
		}
		scraper := named(t, r, "aws:amp/scraper:Scraper", "observability-collector")
		config := inspect.Str(scraper.Inputs, "scrapeConfiguration")
		apps := r.Platform.Network.Namespaces.Apps
		for _, job := range []string{apps + "/dremio-coordinator", apps + "/dremio-executor", "kubelet"} {
			if !strings.Contains(config, "job_name: "+job+"\n") {
				t.Errorf("the collector has no job %s:\n%s", job, config)
			}
		}
		if n := len(inspect.Strs(scraper.Inputs, "source", "eks", "subnetIds")); !preview && n < 2 {
			t.Errorf("collector in %d subnets; AMP needs two zones", n)
		}
		for _, role := range []string{"coordinator", "executor"} {
			np := named(t, r, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "observability-dremio-"+role+"-allow-collector")
			if inspect.Num(np.Inputs, "spec", "ingress", 0, "ports", 0, "port") != 9091 || inspect.Str(np.Inputs, "metadata", "namespace") != apps {
				t.Errorf("dremio-%s: the collector is admitted elsewhere than %s:9091", role, apps)
			}
		}

		rules := inspect.Str(named(t, r, "aws:amp/ruleGroupNamespace:RuleGroupNamespace", "observability-rules").Inputs, "data")
		for _, alert := range []string{"PlatformTargetDown", "PlatformAvailabilityBurn", "DremioQueryFailures", "DremioReflectionsFailed", "VolumeFillingUp"} {
			if !strings.Contains(rules, "alert: "+alert+"\n") {
				t.Errorf("rule %s missing on AWS", alert)
			}
		}
		for _, absent := range []string{"PostgresBackupMissing", "ObjectStoreErrors", "cnpg_", "minio_"} {
			if strings.Contains(rules, absent) {
				t.Errorf("rule namespace names %s, which nothing scrapes on AWS (CloudWatch watches RDS and S3)", absent)
			}
		}
		if !strings.Contains(rules, "runbook_url: https://github.com/opendataplatform/dataplatform/blob/main/docs/runbook-alerts.md#platform-target-down") {
			t.Error("the rules carry no absolute runbook links")
		}

		named(t, r, "aws:amp/alertManagerDefinition:AlertManagerDefinition", "observability-alertmanager")
		topic := named(t, r, "aws:sns/topic:Topic", "observability-alerts")
		if !r.Mocks.DependsOn(topic, named(t, r, "aws:kms/key:Key", "observability-kms")) {
			t.Error("the alert topic is not encrypted with the observability key")
		}
		alarms := map[string]bool{}
		for _, a := range resourcesOf(r, "aws:cloudwatch/metricAlarm:MetricAlarm") {
			if strings.HasPrefix(inspect.Str(a.Inputs, "name"), "dataplatform-") {
				alarms[strings.TrimPrefix(a.Name, "observability-")] = true
			}
		}
		for _, want := range []string{"rds-cpu-high", "rds-free-storage-low", "s3-lake-5xx", "s3-dremio-5xx", "s3-airbyte-5xx", "s3-backups-5xx"} {
			if !alarms[want] {
				t.Errorf("no alarm %s; have %v", want, alarms)
			}
		}
		if n := len(resourcesOf(r, "aws:s3/bucketMetric:BucketMetric")); n != 4 {
			t.Errorf("%d bucket request-metric configurations; want one per bucket (4)", n)
		}
		named(t, r, "aws:cloudwatch/dashboard:Dashboard", "observability-dashboard")

		addon := named(t, r, "aws:eks/addon:Addon", "container-insights-addon")
		if inspect.Str(addon.Inputs, "addonName") != "amazon-cloudwatch-observability" {
			t.Error("Container Insights is not the amazon-cloudwatch-observability add-on")
		}
		for _, g := range []string{"application", "dataplane", "host", "performance"} {
			lg := named(t, r, "aws:cloudwatch/logGroup:LogGroup", "container-insights-"+g)
			if got := inspect.Num(lg.Inputs, "retentionInDays"); got != float64(r.Platform.Network.FlowLogRetentionDays) {
				t.Errorf("%s logs kept %v days; want the stack's %d", g, got, r.Platform.Network.FlowLogRetentionDays)
			}
			if !r.Mocks.DependsOn(addon, lg) {
				t.Errorf("the add-on does not wait for the %s log group", g)
			}
		}
	})
}

// TestObservabilityReceiverOnAWS: an email receiver is an SNS email subscription of the alert topic.
func TestObservabilityReceiverOnAWS(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		r := plan(t, "prod", "aws", preview, `dataplatform:observability={"receiver": {"kind": "email", "to": "ops@example.com"}}`)
		sub := named(t, r, "aws:sns/topicSubscription:TopicSubscription", "observability-receiver")
		if inspect.Str(sub.Inputs, "protocol") != "email" || inspect.Str(sub.Inputs, "endpoint") != "ops@example.com" {
			t.Errorf("subscription %s → %s; want email → ops@example.com", inspect.Str(sub.Inputs, "protocol"), inspect.Str(sub.Inputs, "endpoint"))
		}
	})
}
