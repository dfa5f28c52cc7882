package observability

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Duration formats d the way Prometheus writes durations ("30s", "5m", "1h30m", "15d"):
// prometheus/common model.ParseDuration accepts units y w d h m s ms in that order, each once.
func Duration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	units := []struct {
		suffix string
		size   time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}}
	for _, u := range units {
		if n := d / u.size; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.suffix)
			d -= n * u.size
		}
	}
	return b.String()
}

// RuleGroup is one group of a Prometheus rule file (`groups[]`), the shape PrometheusRule.spec,
// Amazon Managed Service for Prometheus rule namespaces and GMP Rules share (prometheus
// docs/configuration/alerting_rules.md: alert, expr, for, labels, annotations).
type RuleGroup struct {
	Name  string           `json:"name"`
	Rules []map[string]any `json:"rules"`
}

// RuleGroups renders the Spec's alert rules as one group named group. The annotations carry the
// summary and the runbook; runbookBase, when set, turns the anchor into an absolute URL (a browsable
// copy of docs/), else the link is repository-relative.
func (s Spec) RuleGroups(group, runbookBase string) []RuleGroup {
	if len(s.Rules) == 0 {
		return nil
	}
	g := RuleGroup{Name: group}
	for _, r := range s.Rules {
		url := r.RunbookURL()
		if runbookBase != "" {
			url = strings.TrimSuffix(runbookBase, "/") + "/" + url
		}
		rule := map[string]any{
			"alert":       r.Name,
			"expr":        r.Expr,
			"labels":      map[string]any{"severity": string(r.Severity)},
			"annotations": map[string]any{"summary": r.Summary, "runbook_url": url},
		}
		if r.For > 0 {
			rule["for"] = Duration(r.For)
		}
		g.Rules = append(g.Rules, rule)
	}
	return []RuleGroup{g}
}

// GrafanaJSON renders a dashboard as Grafana dashboard JSON (schemaVersion 39; panels of type
// timeseries/stat with Prometheus targets), every panel reading the datasource whose uid is given.
func (d Dashboard) GrafanaJSON(datasourceUID string) (string, error) {
	ds := map[string]any{"type": "prometheus", "uid": datasourceUID}
	panels := []map[string]any{}
	for i, p := range d.Panels {
		if p.Kind == "" {
			p.Kind = TimeSeries
		}
		if p.Unit == "" {
			p.Unit = "short"
		}
		targets := []map[string]any{}
		for j, q := range p.Queries {
			targets = append(targets, map[string]any{"refId": string(rune('A' + j)), "expr": q, "datasource": ds})
		}
		panels = append(panels, map[string]any{
			"id": i + 1, "type": string(p.Kind), "title": p.Title, "datasource": ds,
			"gridPos":     map[string]int{"x": (i % 2) * 12, "y": (i / 2) * 8, "w": 12, "h": 8},
			"fieldConfig": map[string]any{"defaults": map[string]any{"unit": p.Unit}, "overrides": []any{}},
			"targets":     targets,
		})
	}
	b, err := json.Marshal(map[string]any{
		"uid": d.UID, "title": d.Title, "schemaVersion": 39, "editable": false,
		"time": map[string]string{"from": "now-6h", "to": "now"}, "refresh": "1m",
		"tags": []string{"dataplatform"}, "panels": panels,
	})
	return string(b), err
}

var (
	quoted    = regexp.MustCompile("\"(\\\\.|[^\"\\\\])*\"|'(\\\\.|[^'\\\\])*'|`[^`]*`")
	matchers  = regexp.MustCompile(`\{[^{}]*\}`)
	grouping  = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	ranges    = regexp.MustCompile(`\[[^\[\]]*\]`)
	ident     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	keywords  = []string{"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "inf", "nan", "atan2"}
	durations = regexp.MustCompile(`^[0-9]`)
)

// MetricNames returns the series names a PromQL expression selects (every identifier that is not a
// function call, keyword, label list or quoted string), sorted and unique. It is how tests hold the
// rules and dashboards to the metrics their sources really emit.
func MetricNames(expr string) []string {
	e := quoted.ReplaceAllString(expr, `""`)
	e = matchers.ReplaceAllString(e, " ")
	e = grouping.ReplaceAllString(e, " ")
	e = ranges.ReplaceAllString(e, " ")
	out := []string{}
	for _, loc := range ident.FindAllStringIndex(e, -1) {
		name := e[loc[0]:loc[1]]
		if loc[0] > 0 && (durations.MatchString(e[loc[0]-1:loc[0]]) || e[loc[0]-1] == '.') {
			continue // a number's exponent or suffix
		}
		rest := strings.TrimLeft(e[loc[1]:], " \t\n")
		if strings.HasPrefix(rest, "(") || slices.Contains(keywords, strings.ToLower(name)) {
			continue
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Undeclared returns the metric names the Spec's rules and dashboards use that no target declares
// and that extra (the cluster's own sources: kube-state-metrics, kubelet, cert-manager) does not
// list either, as "where: name".
func (s Spec) Undeclared(extra ...Metric) []string {
	known := map[string]bool{}
	for _, m := range extra {
		known[m.Name] = true
	}
	for _, t := range s.Targets {
		for _, m := range t.Metrics {
			known[m.Name] = true
		}
	}
	var out []string
	check := func(where, expr string) {
		for _, n := range MetricNames(expr) {
			if !known[n] {
				out = append(out, where+": "+n)
			}
		}
	}
	for _, r := range s.Rules {
		check("rule "+r.Name, r.Expr)
	}
	for _, d := range s.Dashboards {
		for _, p := range d.Panels {
			for _, q := range p.Queries {
				check("dashboard "+d.UID+" panel "+p.Title, q)
			}
		}
	}
	return out
}

// Declared is the spec with only the rules and dashboards whose every metric a target declares or
// extra names (Undeclared finds none in them): what a backend that collects exactly those series can
// evaluate and draw. Targets, retention and receiver are kept; order is kept.
func (s Spec) Declared(extra ...Metric) Spec {
	out := s
	out.Rules, out.Dashboards = nil, nil
	for _, r := range s.Rules {
		if len(Spec{Targets: s.Targets, Rules: []AlertRule{r}}.Undeclared(extra...)) == 0 {
			out.Rules = append(out.Rules, r)
		}
	}
	for _, d := range s.Dashboards {
		if len(Spec{Targets: s.Targets, Dashboards: []Dashboard{d}}.Undeclared(extra...)) == 0 {
			out.Dashboards = append(out.Dashboards, d)
		}
	}
	return out
}
