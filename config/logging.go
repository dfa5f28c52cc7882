package config

// KeyLogging is central logging's configuration object (`dataplatform:logging`).
const KeyLogging = "logging"

func init() { Keys = append(Keys, KeyLogging) }

// loggingTargets are the targets whose container logs the platform ships into its own Elasticsearch.
// The clouds' logs go to their managed services (CloudWatch Logs, Log Analytics, Cloud Logging),
// rendered by the observability model on each cloud, not by this shipper.
var loggingTargets = map[Cloud]bool{Kubernetes: true}

// Logging configures central logging on the kubernetes target (`dataplatform:logging`): Fluent Bit
// on every node ships the platform's container logs into the platform's Elasticsearch, searchable in
// Kibana, kept RetentionDays.
type Logging struct {
	// Enabled ships the logs. Default: on where Elasticsearch is on (kubernetes with
	// elasticsearch.enabled), off otherwise. It needs Elasticsearch: with elasticsearch.enabled false
	// there is nowhere to ship to, and turning it on is an error rather than a shipper that sends
	// nowhere.
	Enabled *bool `json:"enabled"`
	// RetentionDays is how long log lines are kept: the data stream lifecycle's data_retention.
	// Default: the environment's log retention (LogRetentionDays: dev 7, staging 14, prod 30). 1–3650.
	RetentionDays int `json:"retentionDays"`
}

// On reports whether the stack ships its logs.
func (l Logging) On() bool { return l.Enabled != nil && *l.Enabled }

// LogRetentionDays is the environment profile's log retention: dev a week (enough to debug last
// week's failure), staging two weeks, prod 30 days (the window in which an incident is investigated,
// and the same as prod's metrics retention, observability.metricsRetentionDays 7/15/30).
func LogRetentionDays(env Environment) int {
	return map[Environment]int{Dev: 7, Staging: 14, Prod: 30}[env]
}

// logging applies the defaults and checks the logging settings; it runs after elasticsearch(),
// whose Enabled it reads.
func (v *validator) logging() {
	p := v.p
	l := &p.Logging
	const k = KeyLogging + "."
	if l.Enabled == nil {
		on := loggingTargets[p.Cloud] && p.Elasticsearch.On()
		l.Enabled = &on
	}
	if l.RetentionDays == 0 {
		l.RetentionDays = LogRetentionDays(p.Environment)
	}
	if !l.On() {
		return
	}
	switch {
	case !loggingTargets[p.Cloud]:
		v.add(k+"enabled", true, "false on %s: the log shipper into Elasticsearch runs on the kubernetes target; the clouds' logs are their managed logging's", p.Cloud)
		return
	case !p.Elasticsearch.On():
		v.add(k+"enabled", true, "false, or set elasticsearch.enabled to true: the logs are shipped into the platform's Elasticsearch, which is off")
	}
	if l.RetentionDays < 1 || l.RetentionDays > 3650 {
		v.add(k+"retentionDays", l.RetentionDays, "an integer from 1 to 3650 (days)")
	}
}
