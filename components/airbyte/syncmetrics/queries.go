// Package syncmetrics derives Airbyte's key metrics — sync success rate, records synced, sync
// duration — from Airbyte's own jobs database, because Airbyte OSS emits none (airbyte-platform
// airbyte-metrics/metrics-lib AirbyteMetricMeterFilter.kt: the COMMUNITY edition DENYs every meter).
//
// It deploys burningalchemist/sql_exporter (typed resources, no chart) signed in as the read-only role
// metadatadb.AirbyteReader over TLS with the platform's database CA, and a grant Job that — as the
// tables' owner, once Airbyte's migrations have created them — gives that role CONNECT on the Airbyte
// database, USAGE on its schema and SELECT on exactly the three tables the queries read. The scrape
// target, the alert rules and the dashboard panels are plain observability values every target's
// renderer takes.
package syncmetrics

import (
	"fmt"
	"strings"
)

// Image is sql_exporter 0.24.6: burningalchemist/sql_exporter@0.24.6 .github/workflows/release.yml
// pushes burningalchemist/sql_exporter with docker/metadata-action `type=semver,pattern={{version}}`
// (tag "0.24.6", the git tag), built from Dockerfile.multi-arch (USER nobody, EXPOSE 9399, ENTRYPOINT
// /bin/sql_exporter); its helm/Chart.yaml 0.18.8 has appVersion 0.24.6.
const Image = "burningalchemist/sql_exporter:0.24.6"

// Port is sql_exporter's listen port (cmd/sql_exporter/main.go web.listen-address ":9399"); it serves
// /metrics and /healthz (main.go: http.HandleFunc("/healthz", … StatusOK)).
const Port = 9399

// UID is the image's user, nobody (quay.io/prometheus/busybox /etc/passwd: nobody 65534).
const UID = 65534

// SchemaSource is the airbyte-platform file defining the tables and columns the queries read, at the
// release Airbyte chart 2.0.19 (appVersion 2.0.1) was cut from; the jobs tables have not changed
// between v2.0.0 and the snapshot 310e6cb6 (2026-08-21) but for one unrelated line.
const SchemaSource = "airbyte-platform@v2.0.0 airbyte-db/db-lib/src/main/resources/jobs_database/schema_dump.txt"

// EnumSource defines the job_status, attempt_status and job_config_type enum values the queries
// compare with (schema_dump.txt leaves enums out).
const EnumSource = "airbyte-platform@v2.0.0 airbyte-db/db-lib/src/main/resources/jobs_database/schema.sql"

// Tables are the only tables the read-only role may SELECT: the grant Job grants exactly these.
// Airbyte keeps its configs and jobs tables in one database, the one DATABASE_URL names (airbyte-platform@v2.0.0
// airbyte-bootloader/src/main/resources/application.yml datasources.config.url and .jobs.url), in
// schema public (schema_dump.txt: create table "public"."jobs" …).
var Tables = []string{"jobs", "attempts", "sync_stats"}

// Schema is the schema the queries use ("public", as above).
const Schema = "public"

// Columns are the columns each query reads, per table, as schema_dump.txt declares them; the tests
// hold every query to this list.
var Columns = map[string][]string{
	// create table "public"."jobs": id bigint, config_type job_config_type, scope varchar(255) (the
	// connection id for syncs), status job_status, created_at, updated_at timestamptz.
	"jobs": {"id", "config_type", "scope", "status", "created_at", "updated_at"},
	// create table "public"."attempts": id bigint, job_id bigint, created_at, ended_at timestamptz.
	"attempts": {"id", "job_id", "created_at", "ended_at"},
	// create table "public"."sync_stats": attempt_id bigint, records_committed bigint, updated_at
	// timestamptz.
	"sync_stats": {"attempt_id", "records_committed", "updated_at"},
}

// Enum values the queries compare with (schema.sql: TYPE JOB_STATUS AS ENUM('pending', 'running',
// 'incomplete', 'failed', 'succeeded', 'cancelled'); TYPE JOB_CONFIG_TYPE AS ENUM(…, 'sync', …), to
// which jobs/migrations/V0_57_2_001__AddRefreshJobType.kt adds 'refresh': a refresh moves data as a
// sync does, so both count).
const (
	configTypes     = "'sync', 'refresh'"
	statusSucceeded = "succeeded"
	statusFailed    = "failed"
	statusCancelled = "cancelled"
)

// Window is how far back the windowed metrics look.
const Window = "24 hours"

// Query is one sql_exporter metric: a gauge whose value column and key labels come from one query
// (sql_exporter@0.24.6 documentation/sql_exporter.yml: metric_name, type, help, key_labels, values,
// query).
type Query struct {
	Metric string
	Help   string
	Labels []string
	Value  string
	SQL    string
	// Tables are the tables the query reads.
	Tables []string
}

// Placeholder rows: every query also returns one row whose key labels are all None, value 0, so each
// series exists from the first scrape of a fresh platform. Cloud Monitoring refuses to create a PromQL alert policy over a metric
// it has never received (components/observability/gmp gmp.go policy: "Error 404: Cannot find
// metric(s)"), so without them a gcp stack could not be updated before the first sync finished.
// Rules and panels select Real; the metrics' Help says so.
func placeholder(labels []string, value string) string {
	cols := make([]string, 0, len(labels)+1)
	for _, l := range labels {
		cols = append(cols, "'"+None+"' AS "+l)
	}
	return "\nUNION ALL SELECT " + strings.Join(append(cols, "0 AS "+value), ", ")
}

// None is the placeholder row's label value, and Real the matcher that leaves it out.
const (
	None = "_none"
	Real = `connection!="` + None + `"`
)

// placeholderHelp ends every metric's help.
const placeholderHelp = ` A row with every label "` + None + `" and value 0 keeps the series present; select connection!="` + None + `".`

// Queries are the metrics the exporter serves, all gauges over the jobs database. Windows filter on
// indexed columns (schema_dump.txt: jobs_updated_at_idx, scope_created_at_idx, job_attempt_idx,
// attempt_id_idx).
func Queries() []Query {
	terminal := fmt.Sprintf("'%s', '%s', '%s'", statusSucceeded, statusFailed, statusCancelled)
	qs := []Query{
		{
			Metric: "airbyte_sync_jobs",
			Help:   "Sync and refresh jobs that reached a final status in the last " + Window + ", by connection and status (succeeded, failed, cancelled).",
			Labels: []string{"connection", "status"}, Value: "jobs", Tables: []string{"jobs"},
			SQL: fmt.Sprintf(`SELECT scope AS connection, status::text AS status, count(*) AS jobs
FROM public.jobs
WHERE config_type IN (%s) AND status IN (%s) AND updated_at > now() - interval '%s'
GROUP BY scope, status`, configTypes, terminal, Window),
		},
		{
			Metric: "airbyte_sync_last_job_failed",
			Help:   "1 when the connection's latest finished sync or refresh job (last 30 days) failed after all its attempts, 0 when it succeeded.",
			Labels: []string{"connection"}, Value: "failed", Tables: []string{"jobs"},
			SQL: fmt.Sprintf(`(SELECT DISTINCT ON (scope) scope AS connection, CASE WHEN status = '%s' THEN 1 ELSE 0 END AS failed
FROM public.jobs
WHERE config_type IN (%s) AND status IN ('%s', '%s') AND created_at > now() - interval '30 days'
ORDER BY scope, created_at DESC)`, statusFailed, configTypes, statusSucceeded, statusFailed),
		},
		{
			// records_committed (what the destination confirmed written), not records_emitted (what
			// the source read): a sync that fails at the destination has emitted records but synced
			// none. sync_stats may hold several rows per attempt (airbyte-platform@v2.0.0
			// airbyte-persistence/job-persistence/.../DefaultJobPersistence.kt: "the table currently has
			// duplicate records and also doesn't contain the unique constraint on the attempt_id
			// column"); Airbyte reads the latest (orderBy UPDATED_AT desc), and so does this, through
			// the attempt_id_idx index per windowed attempt (a LATERAL lookup, not a sort of the table).
			Metric: "airbyte_sync_records_committed",
			Help:   "Records the destination committed in sync and refresh attempts that ended in the last " + Window + ", by connection.",
			Labels: []string{"connection"}, Value: "records", Tables: []string{"jobs", "attempts", "sync_stats"},
			SQL: fmt.Sprintf(`SELECT j.scope AS connection, coalesce(sum(s.records_committed), 0) AS records
FROM public.jobs j
JOIN public.attempts a ON a.job_id = j.id
JOIN LATERAL (SELECT s.records_committed FROM public.sync_stats s WHERE s.attempt_id = a.id ORDER BY s.updated_at DESC LIMIT 1) s ON true
WHERE j.config_type IN (%s) AND j.updated_at > now() - interval '%s' AND a.ended_at > now() - interval '%s'
GROUP BY j.scope`, configTypes, Window, Window),
		},
		{
			Metric: "airbyte_sync_attempt_duration_seconds",
			Help:   "Duration (ended_at - created_at) of the connection's latest ended sync or refresh attempt (last 7 days), in seconds.",
			Labels: []string{"connection"}, Value: "seconds", Tables: []string{"jobs", "attempts"},
			SQL: fmt.Sprintf(`(SELECT DISTINCT ON (j.scope) j.scope AS connection, extract(epoch FROM a.ended_at - a.created_at) AS seconds
FROM public.jobs j
JOIN public.attempts a ON a.job_id = j.id
WHERE j.config_type IN (%s) AND j.updated_at > now() - interval '7 days' AND a.ended_at IS NOT NULL
ORDER BY j.scope, a.ended_at DESC)`, configTypes),
		},
	}
	for i := range qs {
		qs[i].SQL += placeholder(qs[i].Labels, qs[i].Value)
		qs[i].Help += placeholderHelp
	}
	return qs
}

// CollectorName names the collector in the exporter's configuration.
const CollectorName = "airbyte_jobs"

// CollectorYAML is the collector file (sql_exporter@0.24.6 README "Collectors": collector_name,
// metrics[] with metric_name, type, help, key_labels, values, query).
func CollectorYAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "collector_name: %s\nmetrics:\n", CollectorName)
	for _, q := range Queries() {
		fmt.Fprintf(&b, "  - metric_name: %s\n    type: gauge\n    help: %q\n", q.Metric, q.Help)
		b.WriteString("    key_labels:\n")
		for _, l := range q.Labels {
			fmt.Fprintf(&b, "      - %s\n", l)
		}
		fmt.Fprintf(&b, "    values: [%s]\n    query: |\n", q.Value)
		for _, line := range strings.Split(q.SQL, "\n") {
			fmt.Fprintf(&b, "      %s\n", line)
		}
	}
	return b.String()
}

// CollectorFile is where the collector file is mounted.
const (
	ConfigDir     = "/etc/sql_exporter"
	CollectorFile = CollectorName + ".collector.yml"
)

// DSNPlaceholder fills target.data_source_name, which TargetConfig.UnmarshalYAML requires non-empty
// (sql_exporter@0.24.6 config/target_config.go); the real DSN, with the password, comes from the
// SQLEXPORTER_TARGET_DSN environment variable, which overwrites it (config/config.go
// processEnvConfig: envconfig prefix SQLEXPORTER_, TargetConfig.DSN `env:"DSN"` under prefix
// TARGET_, DefaultOverwrite true), so the password never sits in the ConfigMap.
const DSNPlaceholder = "postgres://set-by-SQLEXPORTER_TARGET_DSN"

// TargetName is target.name: with it sql_exporter exports its own `up{target="airbyte_jobs"}`, 0 when
// it cannot reach the database (sql_exporter@0.24.6 target.go Collect: ping, then `if t.name != ""`
// the up metric from the ping's result; config.TargetLabel defaults to "target",
// cmd/sql_exporter/main.go -config.target-label). Without it a failed connection, password or
// grant still answers the scrape with HTTP 200 (promhttp.go: 500 only when nothing was gathered),
// Prometheus' own `up` stays 1, and the Airbyte series silently vanish.
const TargetName = "airbyte_jobs"

// ExporterYAML is sql_exporter.yml (README "Configuration"; global: min_interval, max_connections,
// max_idle_connections, max_connection_lifetime, scrape_timeout_offset): one connection at most
// (the role's CONNECTION LIMIT is metadatadb.ReaderConnectionLimit), the queries run at most once a
// minute however often the exporter is scraped, and target.name set (TargetName).
func ExporterYAML() string {
	return fmt.Sprintf(`global:
  scrape_timeout_offset: 500ms
  min_interval: 60s
  max_connections: 1
  max_idle_connections: 1
  max_connection_lifetime: 10m
target:
  name: %s
  data_source_name: %q
  collectors: [%s]
collector_files:
  - %q
`, TargetName, DSNPlaceholder, CollectorName, ConfigDir+"/"+CollectorFile)
}

// GrantSQL is what the grant Job runs as the owner of the Airbyte database and its tables (the
// airbyte role: metadatadb.Owner; Airbyte's bootloader runs the migrations as DATABASE_USER, so the
// tables are its): CONNECT on the database, USAGE on the schema, and SELECT on exactly the Columns
// of exactly the Tables (column privileges, PostgreSQL GRANT SELECT (column, …) ON table): not
// jobs.config (the sync's catalog and configuration) nor attempts.output / failure_summary (error
// texts that may quote data). Each GRANT is idempotent.
func GrantSQL(database, role string) string {
	var b strings.Builder
	b.WriteString("\\set ON_ERROR_STOP on\n")
	fmt.Fprintf(&b, "GRANT CONNECT ON DATABASE %s TO %s;\n", database, role)
	fmt.Fprintf(&b, "GRANT USAGE ON SCHEMA %s TO %s;\n", Schema, role)
	for _, t := range Tables {
		fmt.Fprintf(&b, "GRANT SELECT (%s) ON TABLE %s.%s TO %s;\n", strings.Join(Columns[t], ", "), Schema, t, role)
	}
	return b.String()
}
