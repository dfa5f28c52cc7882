package tests

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// Issue 12's alert classes: on every target the platform alerts on each of them, each alert naming
// its runbook section in docs/.
const (
	classServiceDown     = "service down"
	classAvailability    = "availability burn"
	classBackup          = "failed or missing backups"
	classWALBehindRPO    = "WAL archiving beyond the RPO"
	classReplicationLag  = "database replication lag"
	classConnections     = "database connection saturation"
	classAirbyteSync     = "Airbyte sync failures"
	classDremioQueries   = "Dremio query failures"
	classDremioExecutors = "Dremio executor loss"
	classCertExpiry      = "certificate expiry"
	classVolumes         = "volumes filling"
	classCrashLoop       = "pods crash-looping"
)

// alertClasses maps an alert's name to its class. A key starting with '-' matches the end of a cloud
// alarm's name ("<base>-rds-backup-failed"); any other key is an alert rule's exact name. Alerts not
// listed (object store errors, reflections, log shipping, RDS CPU) are real but belong to no class.
var alertClasses = map[string]string{
	"PlatformTargetDown":            classServiceDown,
	"PlatformAvailabilityBurn":      classAvailability,
	"PostgresBackupMissing":         classBackup,
	"PostgresNeverBackedUp":         classBackup,
	"PostgresBackupFailed":          classBackup,
	"PostgresWALArchivingBehindRPO": classWALBehindRPO,
	"PostgresReplicationLag":        classReplicationLag,
	"PostgresConnectionSaturation":  classConnections,
	"AirbyteSyncPodsFailing":        classAirbyteSync,
	"DremioQueryFailures":           classDremioQueries,
	"DremioExecutorLost":            classDremioExecutors,
	"CertificateExpiringSoon":       classCertExpiry,
	"VolumeFillingUp":               classVolumes,
	"PodCrashLooping":               classCrashLoop,
	// Airbyte's jobs database through its exporter (wip/exporters): the failed syncs themselves.
	"AirbyteSyncFailing": classAirbyteSync,
	// aws's CloudWatch alarms ("<base>-…", components/observability/amp): the WAL held on the instance
	// (grows when archiving stalls), connections against the class's max_connections, ACM's days to
	// expiry of the edge's certificates, and no finished automated backup (RDS-EVENT-0002) for 26 h
	// (amp/backup.go). The RDS event subscription ("-metadata-events") carries failure events, not
	// backup ones: it belongs to no class.
	"-rds-backup-missing": classBackup,
	// azure's Azure Monitor metric alerts ("<base>-pg-…", components/observability/azmon).
	"-pg-connections-high":       classConnections,
	"-pg-txlogs-high":            classWALBehindRPO,
	"-rds-transaction-logs-high": classWALBehindRPO,
	"-rds-connections-high":      classConnections,
	"-expiring":                  classCertExpiry,
}

func classOf(name string) string {
	if c, ok := alertClasses[name]; ok {
		return c
	}
	for k, c := range alertClasses {
		if strings.HasPrefix(k, "-") && strings.HasSuffix(name, k) {
			return c
		}
	}
	return ""
}

// registeredAlert is one alert a plan really registers, wherever the target evaluates it.
type registeredAlert struct {
	Name, Runbook, Where string
}

// runbookRef finds "docs/<file>.md#<anchor>" in a runbook link or a description.
var runbookRef = regexp.MustCompile(`docs/[A-Za-z0-9_.-]+\.md#[a-z0-9]+(-[a-z0-9]+)*`)

// promRules reads the alerting rules of a Prometheus rule-file shape (groups[].rules[]).
func promRules(groups any, where string) []registeredAlert {
	var out []registeredAlert
	gs, _ := groups.([]any)
	for _, g := range gs {
		gm, _ := g.(map[string]any)
		rules, _ := gm["rules"].([]any)
		for _, r := range rules {
			rm, _ := r.(map[string]any)
			name, _ := rm["alert"].(string)
			if name == "" {
				continue // a recording rule
			}
			ann, _ := rm["annotations"].(map[string]any)
			url, _ := ann["runbook_url"].(string)
			out = append(out, registeredAlert{Name: name, Runbook: url, Where: where})
		}
	}
	return out
}

// collectAlerts returns every alert the plan registers: PrometheusRule groups (kubernetes), the AMP
// rule namespaces' YAML, CloudWatch alarms and RDS event subscriptions (aws), Cloud Monitoring
// alerting policies (gcp), Azure Monitor Prometheus rule groups, metric, log and activity-log alerts.
func collectAlerts(t *testing.T, r *planner.Result) []registeredAlert {
	t.Helper()
	var out []registeredAlert
	for _, res := range r.Resources {
		where := res.Type + " " + res.Name
		switch typ := res.Type; {
		case typ == "kubernetes:monitoring.coreos.com/v1:PrometheusRule":
			out = append(out, promRules(inspect.Plain(inspect.At(res.Inputs, "spec", "groups")), where)...)
		case typ == "aws:amp/ruleGroupNamespace:RuleGroupNamespace":
			var doc map[string]any
			if err := yaml.Unmarshal([]byte(inspect.Str(res.Inputs, "data")), &doc); err != nil {
				t.Errorf("%s: data is not YAML: %v", where, err)
				continue
			}
			out = append(out, promRules(doc["groups"], where)...)
		case typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
			out = append(out, registeredAlert{Name: inspect.Str(res.Inputs, "name"), Runbook: inspect.Str(res.Inputs, "alarmDescription"), Where: where})
		case typ == "aws:rds/eventSubscription:EventSubscription":
			// An event subscription has no description, and a tag value cannot hold an anchor's '#':
			// its section is the AWS runbook's rds-events (amp.RDSEventsRunbook).
			out = append(out, registeredAlert{Name: inspect.Str(res.Inputs, "name"), Runbook: "docs/runbook-alerts-aws.md#rds-events", Where: where})
		case typ == "gcp:monitoring/alertPolicy:AlertPolicy":
			out = append(out, registeredAlert{
				Name:    inspect.Str(res.Inputs, "conditions", 0, "displayName"),
				Runbook: inspect.Str(res.Inputs, "documentation", "links", 0, "url") + " " + inspect.Str(res.Inputs, "documentation", "content"),
				Where:   where,
			})
		case strings.HasPrefix(typ, "azure-native:") && strings.HasSuffix(typ, ":PrometheusRuleGroup"):
			for _, rule := range inspect.Arr(inspect.At(res.Inputs, "rules")) {
				o := inspect.Obj(rule)
				if name := inspect.Str(o, "alert"); name != "" {
					out = append(out, registeredAlert{Name: name, Runbook: inspect.Str(o, "annotations", "runbook_url"), Where: where})
				}
			}
		case strings.HasPrefix(typ, "azure-native:") && (strings.HasSuffix(typ, ":MetricAlert") || strings.HasSuffix(typ, ":ScheduledQueryRule") || strings.HasSuffix(typ, ":ActivityLogAlert")):
			name := inspect.Str(res.Inputs, "ruleName")
			if name == "" {
				name = res.Name
			}
			out = append(out, registeredAlert{Name: name, Runbook: inspect.Str(res.Inputs, "description"), Where: where})
		}
	}
	return out
}

// anchorIn reports whether doc (a path under the repository) has the anchor as `<a id="…"></a>`
// directly above a heading, the way docs/runbook-alerts*.md write each section.
func anchorIn(t *testing.T, docs map[string]string, doc, anchor string) bool {
	t.Helper()
	text, ok := docs[doc]
	if !ok {
		b, err := os.ReadFile("../" + doc)
		if err != nil {
			t.Errorf("runbook %s: %v", doc, err)
		}
		text = string(b)
		docs[doc] = text
	}
	return regexp.MustCompile(`(?m)^<a id="` + regexp.QuoteMeta(anchor) + `"></a>\n#+ \S`).MatchString(text)
}

// requiredClasses are the classes a plan must cover: all of them, except WAL archiving without
// point-in-time recovery (nothing is archived) and replication lag without a replica (CloudNativePG
// with one instance; a cloud database without a read replica: the managed HA standby has no lag series).
func requiredClasses(r *planner.Result) []string {
	out := []string{classServiceDown, classAvailability, classBackup, classConnections, classAirbyteSync,
		classDremioQueries, classDremioExecutors, classCertExpiry, classVolumes, classCrashLoop}
	if r.Platform.MetadataDB.PointInTimeRecovery {
		out = append(out, classWALBehindRPO)
	}
	db := r.Platform.MetadataDB
	if (string(r.Platform.Cloud) == "kubernetes" && db.Instances > 1) || db.DRReplica {
		out = append(out, classReplicationLag)
	}
	return out
}

// knownGaps are classes a target does not cover yet, each with the reason (the README's Known limits
// say the same). A gap that becomes covered fails the test, so the entry is removed with the fix.
var knownGaps = map[string]map[string]string{}

// TestAlertClasses: on every target, with observability on (gcp: enabled, its opt-in), the alerts the
// plan registers cover each class of issue 12 that applies, and every alert's runbook link names a
// section (an anchor above a heading) of the document it points into. Run one target with
// -run 'TestAlertClasses/gcp'.
func TestAlertClasses(t *testing.T) {
	for _, target := range Targets {
		for _, stack := range Stacks {
			for _, preview := range []bool{false, true} {
				target, stack, preview := target, stack, preview
				t.Run(fmt.Sprintf("%s/%s/%s", target, stack, mode(preview)), func(t *testing.T) {
					var sets []string
					if target == "gcp" || target == "azure" {
						sets = append(sets, observabilityOn)
					}
					r := plan(t, stack, target, preview, sets...)
					if !r.Platform.Observability.On() {
						t.Fatalf("observability is off on %s/%s", stack, target)
					}
					alerts := collectAlerts(t, r)
					covered := map[string][]string{}
					var unclassified []string
					docs := map[string]string{}
					for _, a := range alerts {
						ref := runbookRef.FindString(a.Runbook)
						if ref == "" {
							t.Errorf("%s (%s) names no runbook section docs/<file>.md#<anchor>: %q", a.Name, a.Where, a.Runbook)
						} else if doc, anchor, _ := strings.Cut(ref, "#"); !anchorIn(t, docs, doc, anchor) {
							t.Errorf("%s (%s): runbook %s has no section %q", a.Name, a.Where, doc, anchor)
						}
						if c := classOf(a.Name); c != "" {
							covered[c] = append(covered[c], a.Name)
						} else {
							unclassified = append(unclassified, a.Name)
						}
					}
					sort.Strings(unclassified)
					for _, c := range requiredClasses(r) {
						if why, gap := knownGaps[target][c]; gap {
							if len(covered[c]) > 0 {
								t.Errorf("%q on %s is covered now (%v): remove it from knownGaps", c, target, covered[c])
							} else {
								t.Logf("known gap on %s: %q: %s", target, c, why)
							}
							continue
						}
						if len(covered[c]) == 0 {
							t.Errorf("no alert for %q on %s/%s (%d alerts; not in any class: %v)", c, stack, target, len(alerts), unclassified)
						}
					}
				})
			}
		}
	}
}
