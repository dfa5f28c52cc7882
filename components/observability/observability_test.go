package observability

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func validTarget() ScrapeTarget {
	return ScrapeTarget{
		Name: "metadata-db", Namespace: "dataplatform-data",
		Selector: map[string]string{"cnpg.io/cluster": "metadata-db"}, Port: "metrics", PortNumber: 9187,
		Metrics: []Metric{{Name: "cnpg_backends_total", Source: "cnpg@v1.29.1 config/manager/default-monitoring.yaml"}},
	}
}

func validRule() AlertRule {
	return AlertRule{Name: "PostgresDown", Expr: `up{job="metadata-db"} == 0`, For: 5 * time.Minute, Severity: Critical, Summary: "down", Runbook: "postgres-down"}
}

// TestZeroSpecIsValid: the zero value scrapes nothing, alerts on nothing and validates.
func TestZeroSpecIsValid(t *testing.T) {
	if err := (Spec{}).Validate(); err != nil {
		t.Fatalf("zero Spec: %v", err)
	}
	d := Spec{Targets: []ScrapeTarget{{}}}.WithDefaults()
	if d.Targets[0].Path != "/metrics" || d.Targets[0].Scheme != HTTP || d.Targets[0].Interval != 30*time.Second {
		t.Errorf("target defaults = %+v", d.Targets[0])
	}
	if d.Retention.Metrics != 15*24*time.Hour || d.Retention.Logs != 14*24*time.Hour {
		t.Errorf("retention defaults = %+v", d.Retention)
	}
}

// TestValidate: each bad value is reported with its field and what is allowed.
func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Spec)
		want string // "" = valid
	}{
		{"valid", func(s *Spec) {}, ""},
		{"target name", func(s *Spec) { s.Targets[0].Name = "Metadata_DB" }, "Targets[0].Name"},
		{"empty selector", func(s *Spec) { s.Targets[0].Selector = nil }, "every pod of the namespace"},
		{"bad label", func(s *Spec) { s.Targets[0].Selector = map[string]string{"a b": "c"} }, "Targets[0].Selector"},
		{"port name", func(s *Spec) { s.Targets[0].Port = "a-very-long-port-name" }, "Targets[0].Port"},
		{"port number", func(s *Spec) { s.Targets[0].PortNumber = 0 }, "Targets[0].PortNumber"},
		{"path", func(s *Spec) { s.Targets[0].Path = "metrics" }, "Targets[0].Path"},
		{"scheme", func(s *Spec) { s.Targets[0].Scheme = "ftp" }, "http or https"},
		{"https without CA", func(s *Spec) { s.Targets[0].Scheme = HTTPS }, "Targets[0].TLS.CA"},
		{"http with TLS", func(s *Spec) { s.Targets[0].TLS = &TLS{CA: SecretRef{"ca", "ca.crt"}} }, "Targets[0].TLS"},
		{"https with CA", func(s *Spec) { s.Targets[0].Scheme = HTTPS; s.Targets[0].TLS = &TLS{CA: SecretRef{"ca", "ca.crt"}} }, ""},
		{"bad CA key", func(s *Spec) { s.Targets[0].Scheme = HTTPS; s.Targets[0].TLS = &TLS{CA: SecretRef{"ca", "ca crt"}} }, "TLS.CA.Key"},
		{"token key", func(s *Spec) { s.Targets[0].BearerToken = SecretRef{Name: "tok"} }, "BearerToken.Key"},
		{"interval", func(s *Spec) { s.Targets[0].Interval = time.Second }, "from 5s to 5m"},
		{"metric without source", func(s *Spec) { s.Targets[0].Metrics[0].Source = "" }, "Metrics[0].Source"},
		{"duplicate target", func(s *Spec) { s.Targets = append(s.Targets, s.Targets[0]) }, "unique among the targets"},
		{"rule name", func(s *Spec) { s.Rules[0].Name = "postgres-down" }, "Rules[0].Name"},
		{"rule expr", func(s *Spec) { s.Rules[0].Expr = "rate(x[5m]" }, "balanced"},
		{"rule severity", func(s *Spec) { s.Rules[0].Severity = "page" }, "critical, warning or info"},
		{"rule runbook", func(s *Spec) { s.Rules[0].Runbook = "#Postgres Down" }, RunbookDoc},
		{"rule summary", func(s *Spec) { s.Rules[0].Summary = " " }, "Rules[0].Summary"},
		{"duplicate rule", func(s *Spec) { s.Rules = append(s.Rules, s.Rules[0]) }, "unique among the rules"},
		{"dashboard uid", func(s *Spec) { s.Dashboards[0].UID = strings.Repeat("a", 41) }, "Dashboards[0].UID"},
		{"no panels", func(s *Spec) { s.Dashboards[0].Panels = nil }, "at least one panel"},
		{"panel kind", func(s *Spec) { s.Dashboards[0].Panels[0].Kind = "pie" }, "timeseries or stat"},
		{"panel query", func(s *Spec) { s.Dashboards[0].Panels[0].Queries = []string{"sum(x"} }, "Queries[0]"},
		{"metrics retention", func(s *Spec) { s.Retention.Metrics = time.Hour }, "Retention.Metrics"},
		{"logs retention", func(s *Spec) { s.Retention.Logs = 11 * 365 * 24 * time.Hour }, "Retention.Logs"},
		{"receiver fields without kind", func(s *Spec) { s.Receiver.To = "ops@example.com" }, "Receiver.Kind"},
		{"receiver kind", func(s *Spec) { s.Receiver.Kind = "sms" }, "Receiver.Kind"},
		{"email", func(s *Spec) {
			s.Receiver = Receiver{Kind: Email, To: "ops@example.com", From: "am@example.com", Smarthost: "smtp.example.com:587"}
		}, ""},
		{"email no relay", func(s *Spec) { s.Receiver = Receiver{Kind: Email, To: "ops@example.com", From: "am@example.com"} }, "Receiver.Smarthost"},
		{"email user without password", func(s *Spec) {
			s.Receiver = Receiver{Kind: Email, To: "ops@example.com", From: "am@example.com", Smarthost: "smtp.example.com:587", Username: "am"}
		}, "Receiver.Password"},
		{"webhook", func(s *Spec) { s.Receiver = Receiver{Kind: Webhook, URL: SecretRef{"hook", "url"}} }, ""},
		{"webhook no url", func(s *Spec) { s.Receiver = Receiver{Kind: Webhook} }, "Receiver.URL"},
		{"webhook with email fields", func(s *Spec) { s.Receiver = Receiver{Kind: Webhook, URL: SecretRef{"hook", "url"}, To: "a@b.c"} }, "only URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Spec{
				Targets:    []ScrapeTarget{validTarget()},
				Rules:      []AlertRule{validRule()},
				Dashboards: []Dashboard{{UID: "postgres", Title: "PostgreSQL", Panels: []Panel{{Title: "Connections", Queries: []string{"sum(cnpg_backends_total)"}}}}},
			}
			c.edit(&s)
			err := s.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("want an error naming %q, got %v", c.want, err)
			case err != nil && !strings.HasPrefix(err.Error(), "observability: "):
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 30 * time.Second: "30s", 5 * time.Minute: "5m", 90 * time.Minute: "1h30m",
		15 * 24 * time.Hour: "15d", 1500 * time.Millisecond: "1s500ms",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q; want %q", d, got, want)
		}
	}
}

// TestRuleGroups: the Prometheus rule-file shape with severity, summary and the runbook link.
func TestRuleGroups(t *testing.T) {
	s := Spec{Rules: []AlertRule{validRule(), {Name: "Instant", Expr: "vector(1)", Severity: Info, Summary: "s", Runbook: "instant"}}}
	if (Spec{}).RuleGroups("g", "") != nil {
		t.Error("no rules: want no group (an empty group is rejected by some backends)")
	}
	g := s.RuleGroups("dataplatform", "https://git.example.com/dp/blob/main/")
	want := map[string]any{
		"alert": "PostgresDown", "expr": `up{job="metadata-db"} == 0`, "for": "5m",
		"labels":      map[string]any{"severity": "critical"},
		"annotations": map[string]any{"summary": "down", "runbook_url": "https://git.example.com/dp/blob/main/docs/runbook-alerts.md#postgres-down"},
	}
	if len(g) != 1 || g[0].Name != "dataplatform" || !reflect.DeepEqual(g[0].Rules[0], want) {
		t.Fatalf("groups = %#v", g)
	}
	if _, ok := g[0].Rules[1]["for"]; ok {
		t.Error("For 0 must leave `for` out")
	}
}

// TestMetricNames: selectors only, never functions, keywords, labels, strings or durations.
func TestMetricNames(t *testing.T) {
	cases := map[string][]string{
		`up{job="x"} == 0`: {"up"},
		`sum by (datname) (rate(cnpg_pg_stat_database_xact_commit[5m])) + sum(rate(cnpg_pg_stat_database_xact_rollback[5m] offset 1h))`: {"cnpg_pg_stat_database_xact_commit", "cnpg_pg_stat_database_xact_rollback"},
		`time() - cnpg_collector_last_available_backup_timestamp > 1.5e3`:                                                               {"cnpg_collector_last_available_backup_timestamp"},
		`sum(x) without (instance) / on(job) group_left(foo) max(y) > bool 0 and z unless w`:                                            {"w", "x", "y", "z"},
		`label_replace(a, "dst", "$1", "src", "(.*)")`:                                                                                  {"a"},
	}
	for expr, want := range cases {
		if got := MetricNames(expr); !reflect.DeepEqual(got, want) {
			t.Errorf("MetricNames(%s) = %v; want %v", expr, got, want)
		}
	}
	s := Spec{Targets: []ScrapeTarget{validTarget()}, Rules: []AlertRule{validRule()},
		Dashboards: []Dashboard{{UID: "d", Title: "D", Panels: []Panel{{Title: "p", Queries: []string{"sum(cnpg_backends_total) / max(nope)"}}}}}}
	got := s.Undeclared(Metric{Name: "up", Source: "prometheus"})
	if !reflect.DeepEqual(got, []string{"dashboard d panel p: nope"}) {
		t.Errorf("Undeclared = %v; want only the dashboard's unknown metric", got)
	}
}

// TestGrafanaJSON: a Grafana dashboard with one Prometheus target per query.
func TestGrafanaJSON(t *testing.T) {
	d := Dashboard{UID: "postgres", Title: "PostgreSQL", Panels: []Panel{
		{Title: "Connections", Queries: []string{"sum(cnpg_backends_total)", "max(cnpg_pg_settings_setting)"}},
		{Title: "Cache hit", Kind: Stat, Unit: "percentunit", Queries: []string{"1"}},
	}}
	raw, err := d.GrafanaJSON("prometheus")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		UID    string `json:"uid"`
		Panels []struct {
			Type    string         `json:"type"`
			GridPos map[string]int `json:"gridPos"`
			Field   struct {
				Defaults struct{ Unit string } `json:"defaults"`
			} `json:"fieldConfig"`
			Targets []struct{ RefID, Expr string } `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatal(err)
	}
	if got.UID != "postgres" || len(got.Panels) != 2 || got.Panels[0].Type != "timeseries" || got.Panels[1].Type != "stat" ||
		got.Panels[1].GridPos["x"] != 12 || got.Panels[1].Field.Defaults.Unit != "percentunit" ||
		len(got.Panels[0].Targets) != 2 || got.Panels[0].Targets[1].RefID != "B" || got.Panels[0].Targets[1].Expr != "max(cnpg_pg_settings_setting)" {
		t.Errorf("dashboard JSON = %s", raw)
	}
}

// TestDeclaredKeepsWhatTheTargetsEmit: Declared drops the rules and dashboards naming a series no
// target declares (nor the extra metrics), keeps the rest in order, and leaves the spec it was
// called on unchanged.
func TestDeclaredKeepsWhatTheTargetsEmit(t *testing.T) {
	s := Spec{
		Targets: []ScrapeTarget{{Name: "db", Namespace: "data", Selector: map[string]string{"app": "db"}, Port: "m", PortNumber: 9187,
			Metrics: []Metric{{Name: "pg_up", Source: "x"}}}},
		Rules: []AlertRule{
			{Name: "A", Expr: "pg_up == 0"},
			{Name: "B", Expr: "minio_offline > 0"},
			{Name: "C", Expr: "up == 0"},
		},
		Dashboards: []Dashboard{
			{UID: "d1", Panels: []Panel{{Queries: []string{"pg_up"}}}},
			{UID: "d2", Panels: []Panel{{Queries: []string{"pg_up", "minio_offline"}}}},
		},
		Retention: Retention{Metrics: time.Hour},
	}
	got := s.Declared(Metric{Name: "up"})
	var rules, dashboards []string
	for _, r := range got.Rules {
		rules = append(rules, r.Name)
	}
	for _, d := range got.Dashboards {
		dashboards = append(dashboards, d.UID)
	}
	if strings.Join(rules, ",") != "A,C" || strings.Join(dashboards, ",") != "d1" {
		t.Errorf("rules %v, dashboards %v; want A,C and d1", rules, dashboards)
	}
	if got.Retention != s.Retention || len(got.Targets) != 1 {
		t.Errorf("targets or retention changed: %+v", got)
	}
	if len(s.Rules) != 3 || len(s.Dashboards) != 2 {
		t.Error("Declared changed the spec it was called on")
	}
	if len(got.Undeclared(Metric{Name: "up"})) != 0 {
		t.Errorf("what Declared keeps still names undeclared series: %v", got.Undeclared(Metric{Name: "up"}))
	}
}
