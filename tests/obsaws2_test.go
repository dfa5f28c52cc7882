package tests

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestKubeStateMetricsOnAWS (issue 12): every aws plan installs kube-state-metrics as the EKS
// community add-on, the managed collector scrapes it, and the rules on its series that AWS used to
// drop — failed Airbyte sync pods, lost Dremio executors, crash-looping pods — run in AMP. No other
// target gets the add-on.
func TestKubeStateMetricsOnAWS(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		var ksm []string
		for _, a := range resourcesOf(r, "aws:eks/addon:Addon") {
			if inspect.Str(a.Inputs, "addonName") == "kube-state-metrics" {
				ksm = append(ksm, a.Name)
			}
		}
		if target != "aws" {
			if len(ksm) != 0 {
				t.Errorf("%s installs the EKS kube-state-metrics add-on", target)
			}
			return
		}
		if len(ksm) != 1 {
			t.Fatalf("%d kube-state-metrics add-ons; want 1", len(ksm))
		}
		addon := named(t, r, "aws:eks/addon:Addon", "kube-state-metrics-addon")
		np := named(t, r, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "observability-kube-state-metrics-allow-collector")
		if inspect.Str(np.Inputs, "metadata", "namespace") != "kube-state-metrics" || !r.Mocks.DependsOn(np, addon) {
			t.Error("kube-state-metrics' namespace is not limited to the collector after the add-on created it")
		}
		config := inspect.Str(named(t, r, "aws:amp/scraper:Scraper", "observability-collector").Inputs, "scrapeConfiguration")
		if !strings.Contains(config, "job_name: kube-state-metrics\n") || !strings.Contains(config, "- kube-state-metrics\n") {
			t.Errorf("the collector does not scrape namespace kube-state-metrics:\n%s", config)
		}
		rules := inspect.Str(named(t, r, "aws:amp/ruleGroupNamespace:RuleGroupNamespace", "observability-rules").Inputs, "data")
		for _, alert := range []string{"AirbyteSyncPodsFailing", "DremioExecutorLost", "PodCrashLooping", "KubeStateMetricsDown"} {
			if !strings.Contains(rules, "alert: "+alert+"\n") {
				t.Errorf("rule %s is not restored on AWS", alert)
			}
		}
		if jobs := r.Platform.Network.Namespaces.Jobs; !strings.Contains(rules, `namespace=\"`+jobs+`\"`) && !strings.Contains(rules, `namespace="`+jobs+`"`) {
			t.Errorf("AirbyteSyncPodsFailing does not select the jobs namespace %s", jobs)
		}
	})
}

// TestRDSAlertClassesOnAWS (issue 12): on every aws plan the metadata database's connection
// saturation alarm fires above 80 % of the default max_connections of the stack's instance class
// (db.t4g.medium 4 GiB → 450, db.m7g.large 8 GiB → 901, db.m7g.xlarge 16 GiB → 1802), the
// free-storage alarm follows storage autoscaling (on in every profile: 5 % of the initial
// allocation), WAL held on the instance is watched (10 % of storage, at least 4 GiB), and the
// instance's failure events reach the alert topic once the instance exists (no low-storage events:
// autoscaling is on; never the daily backup start/end).
func TestRDSAlertClassesOnAWS(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		subs := resourcesOf(r, "aws:rds/eventSubscription:EventSubscription")
		if target != "aws" {
			if len(subs) != 0 {
				t.Errorf("%s subscribes to RDS events", target)
			}
			return
		}
		alarms := map[string]float64{}
		for _, a := range resourcesOf(r, "aws:cloudwatch/metricAlarm:MetricAlarm") {
			alarms[strings.TrimPrefix(a.Name, "observability-")] = inspect.Num(a.Inputs, "threshold")
			if strings.HasPrefix(a.Name, "observability-rds-") && !strings.Contains(inspect.Str(a.Inputs, "alarmDescription"), "docs/runbook-alerts-aws.md#"+strings.TrimPrefix(a.Name, "observability-")) {
				t.Errorf("%s does not link its runbook section", a.Name)
			}
		}
		want := map[string]map[string]float64{
			"dev":     {"rds-connections-high": 360, "rds-free-storage-low": 1 << 30, "rds-transaction-logs-high": 4 << 30},
			"staging": {"rds-connections-high": 720.8, "rds-free-storage-low": 2.5 * (1 << 30), "rds-transaction-logs-high": 5 << 30},
			"prod":    {"rds-connections-high": 1441.6, "rds-free-storage-low": 5 << 30, "rds-transaction-logs-high": 10 << 30},
		}[stack]
		for name, threshold := range want {
			got, ok := alarms[name]
			if !ok {
				t.Errorf("no alarm %s", name)
			} else if got < threshold-0.01 || got > threshold+0.01 {
				t.Errorf("%s threshold %v; want %v", name, got, threshold)
			}
		}
		if len(subs) != 1 {
			t.Fatalf("%d RDS event subscriptions; want 1", len(subs))
		}
		sub := subs[0]
		if got := strings.Join(inspect.Strs(sub.Inputs, "eventCategories"), ","); got != "failure" {
			t.Errorf("event categories %s", got)
		}
		if ids := inspect.Strs(sub.Inputs, "sourceIds"); len(ids) != 1 || ids[0] != inspect.Str(one(t, r, "aws:rds/instance:Instance").Inputs, "identifier") {
			t.Errorf("event source %v is not the metadata instance", ids)
		}
		if !r.Mocks.DependsOn(sub, one(t, r, "aws:rds/instance:Instance")) {
			t.Error("the event subscription does not wait for the instance (RDS refuses an unknown source)")
		}
	})
}

// TestEdgeCertificateAlarmOnAWS (issue 12, certificate expiry): with the edge on (the default on
// aws), its ACM certificate's days to expiry are alarmed on, once the certificate is validated.
func TestEdgeCertificateAlarmOnAWS(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		if target != "aws" || !r.Platform.Edge.On() {
			return
		}
		al := named(t, r, "aws:cloudwatch/metricAlarm:MetricAlarm", "observability-certificate-edge")
		if inspect.Str(al.Inputs, "metricName") != "DaysToExpiry" || inspect.Num(al.Inputs, "threshold") != 30 {
			t.Errorf("edge certificate alarm on %s < %v; want DaysToExpiry < 30", inspect.Str(al.Inputs, "metricName"), inspect.Num(al.Inputs, "threshold"))
		}
		if !r.Mocks.DependsOn(al, one(t, r, "aws:acm/certificateValidation:CertificateValidation")) {
			t.Error("the alarm does not watch the edge's validated certificate")
		}
	})
}

// TestRDSBackupMissingOnAWS (issue 12, failed or missing backups; review-obsaws2 item 9): on every
// aws plan an EventBridge rule counts the end of the metadata instance's automated backups
// (RDS-EVENT-0002, that instance's ARN only) once the instance exists, and the alarm
// <base>-rds-backup-missing on the rule's MatchedEvents pages the alert topic when none finished in
// 26 hours. No other target gets the rule.
func TestRDSBackupMissingOnAWS(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		rules := resourcesOf(r, "aws:cloudwatch/eventRule:EventRule")
		if target != "aws" {
			if len(rules) != 0 {
				t.Errorf("%s creates EventBridge rules", target)
			}
			return
		}
		rule := named(t, r, "aws:cloudwatch/eventRule:EventRule", "observability-backup-finished")
		db := one(t, r, "aws:rds/instance:Instance")
		id := inspect.Str(db.Inputs, "identifier")
		pattern := inspect.Str(rule.Inputs, "eventPattern")
		for _, want := range []string{`"source":["aws.rds"]`, `"detail-type":["RDS DB Instance Event"]`, `"EventID":["RDS-EVENT-0002"]`, `:db:` + id + `"]`} {
			if !strings.Contains(pattern, want) {
				t.Errorf("backup rule pattern lacks %s: %s", want, pattern)
			}
		}
		if !r.Mocks.DependsOn(rule, db) {
			t.Error("the backup rule does not wait for the instance")
		}
		al := named(t, r, "aws:cloudwatch/metricAlarm:MetricAlarm", "observability-rds-backup-missing")
		if got := inspect.Str(al.Inputs, "name"); !strings.HasSuffix(got, "-rds-backup-missing") {
			t.Errorf("alarm name %s", got)
		}
		if inspect.Str(al.Inputs, "namespace") != "AWS/Events" || inspect.Str(al.Inputs, "metricName") != "MatchedEvents" ||
			inspect.Str(al.Inputs, "dimensions", "RuleName") != inspect.Str(rule.Inputs, "name") {
			t.Errorf("the alarm does not count the rule's matches: %s %s %s", inspect.Str(al.Inputs, "namespace"), inspect.Str(al.Inputs, "metricName"), inspect.Str(al.Inputs, "dimensions", "RuleName"))
		}
		if p, n := inspect.Num(al.Inputs, "period"), inspect.Num(al.Inputs, "evaluationPeriods"); p*n < 25*3600 || p*n > 604800 || inspect.Str(al.Inputs, "treatMissingData") != "breaching" {
			t.Errorf("alarm over %v × %v s, missing data %s; want more than a day, at most 7, breaching", n, p, inspect.Str(al.Inputs, "treatMissingData"))
		}
		if !strings.Contains(inspect.Str(al.Inputs, "alarmDescription"), "docs/runbook-alerts-aws.md#rds-backup-missing") {
			t.Error("the alarm does not link its runbook section")
		}
		if !r.Mocks.DependsOn(al, rule) || !r.Mocks.DependsOn(al, db) {
			t.Error("the alarm does not wait for the rule and the instance")
		}
		if !preview {
			topic := inspect.Str(named(t, r, "aws:sns/topic:Topic", "observability-alerts").Outputs, "arn")
			if acts := inspect.Strs(al.Inputs, "alarmActions"); len(acts) != 1 || acts[0] != topic {
				t.Errorf("alarm actions %v; want the alert topic %s", acts, topic)
			}
			tg := named(t, r, "aws:cloudwatch/eventTarget:EventTarget", "observability-backup-finished-log")
			if inspect.Str(tg.Inputs, "arn") == topic {
				t.Error("the backup rule sends every finished backup to the pager")
			}
		}
	})
}
