package syncmetrics

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1k "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// upstreamColumns is what airbyte-platform@v2.0.0 airbyte-db/db-lib/src/main/resources/
// jobs_database/schema_dump.txt declares for the three tables (every column, copied by hand), and the
// enum labels of jobs_database/schema.sql: the queries may name nothing else.
var upstreamColumns = map[string][]string{
	"jobs":       {"id", "config_type", "scope", "config", "status", "started_at", "created_at", "updated_at", "metadata", "is_scheduled"},
	"attempts":   {"id", "job_id", "attempt_number", "log_path", "output", "status", "created_at", "updated_at", "ended_at", "failure_summary", "processing_task_queue", "attempt_sync_config"},
	"sync_stats": {"id", "attempt_id", "records_emitted", "bytes_emitted", "source_state_messages_emitted", "destination_state_messages_emitted", "records_committed", "mean_seconds_before_source_state_message_emitted", "max_seconds_before_source_state_message_emitted", "mean_seconds_between_state_message_emitted_and_committed", "max_seconds_between_state_message_emitted_and_committed", "created_at", "updated_at", "estimated_records", "estimated_bytes", "bytes_committed", "records_rejected"},
}

var upstreamEnums = []string{
	"pending", "running", "incomplete", "failed", "succeeded", "cancelled", // job_status
	"check_connection_source", "check_connection_destination", "discover_schema", "get_spec", "sync", "reset_connection", "refresh", // job_config_type (+ V0_57_2_001 refresh)
}

// sqlWords are the SQL keywords, functions and type names the queries use.
var sqlWords = []string{"select", "as", "count", "from", "where", "and", "in", "group", "by", "distinct", "on", "case", "when", "then",
	"else", "end", "order", "desc", "join", "coalesce", "sum", "now", "interval", "extract", "epoch", "is", "not", "null", "text", "public",
	"union", "all", "lateral", "limit", "true"}

func TestQueriesNameOnlyCitedColumns(t *testing.T) {
	for table, cols := range Columns {
		require.Contains(t, upstreamColumns, table)
		for _, c := range cols {
			assert.Contains(t, upstreamColumns[table], c, "Columns[%s] cites %s, which schema_dump.txt does not declare", table, c)
		}
	}
	quoted := regexp.MustCompile(`'[^']*'`)
	ident := regexp.MustCompile(`[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)?`)
	from := regexp.MustCompile(`(?:FROM|JOIN) public\.([a-z_]+)(?: ([a-z]))?`)
	sub := regexp.MustCompile(`FROM public\.([a-z_]+) [^()]*\) ([a-z]) ON`)
	for _, q := range Queries() {
		t.Run(q.Metric, func(t *testing.T) {
			aliases := map[string]string{}
			var read []string
			for _, m := range sub.FindAllStringSubmatch(q.SQL, -1) {
				aliases[m[2]] = m[1]
			}
			for _, m := range from.FindAllStringSubmatch(q.SQL, -1) {
				assert.Contains(t, Tables, m[1], "reads a table the role is not granted")
				read = append(read, m[1])
				if m[2] != "" {
					aliases[m[2]] = m[1]
				}
			}
			assert.ElementsMatch(t, q.Tables, read)
			for _, lit := range quoted.FindAllString(q.SQL, -1) {
				v := strings.Trim(lit, "'")
				if v == None { // the placeholder row's labels
					continue
				}
				if strings.Contains(v, " ") { // an interval
					assert.Regexp(t, `^[0-9]+ (hours|days)$`, v)
					continue
				}
				assert.Contains(t, upstreamEnums, v, "compares with a value no enum of schema.sql has")
			}
			outputs := append(append([]string{}, q.Labels...), q.Value)
			for _, id := range ident.FindAllString(strings.ToLower(quoted.ReplaceAllString(q.SQL, "''")), -1) {
				if alias, col, ok := strings.Cut(id, "."); ok {
					if alias == "public" {
						continue
					}
					table, known := aliases[alias]
					require.True(t, known, "alias %s", alias)
					assert.Contains(t, Columns[table], col, "%s: %s.%s is not a cited column", q.Metric, table, col)
					continue
				}
				if slices.Contains(sqlWords, id) || slices.Contains(outputs, id) || slices.Contains(Tables, id) || aliases[id] != "" {
					continue
				}
				found := false
				for _, table := range q.Tables {
					found = found || slices.Contains(Columns[table], id)
				}
				assert.True(t, found, "%s: %s is neither a cited column of %v nor SQL", q.Metric, id, q.Tables)
			}
		})
	}
}

func TestCollectorAndExporterConfig(t *testing.T) {
	var col struct {
		Name    string `yaml:"collector_name"`
		Metrics []struct {
			Name   string   `yaml:"metric_name"`
			Type   string   `yaml:"type"`
			Help   string   `yaml:"help"`
			Labels []string `yaml:"key_labels"`
			Values []string `yaml:"values"`
			Query  string   `yaml:"query"`
		} `yaml:"metrics"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(CollectorYAML()), &col))
	assert.Equal(t, CollectorName, col.Name)
	require.Len(t, col.Metrics, len(Queries()))
	for i, q := range Queries() {
		m := col.Metrics[i]
		assert.Equal(t, q.Metric, m.Name)
		assert.Equal(t, "gauge", m.Type)
		assert.Equal(t, q.Labels, m.Labels)
		assert.Equal(t, []string{q.Value}, m.Values)
		assert.Equal(t, q.SQL, strings.TrimSuffix(m.Query, "\n"))
		assert.Contains(t, q.SQL, " AS "+q.Value, "the value column is selected")
	}
	var exp struct {
		Global map[string]any `yaml:"global"`
		Target struct {
			DSN        string   `yaml:"data_source_name"`
			Collectors []string `yaml:"collectors"`
			Name       string   `yaml:"name"`
		} `yaml:"target"`
		Files []string `yaml:"collector_files"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(ExporterYAML()), &exp))
	assert.Equal(t, DSNPlaceholder, exp.Target.DSN, "no credential in the ConfigMap")
	assert.Equal(t, TargetName, exp.Target.Name, "sql_exporter's own up{target} says when it cannot read the database")
	assert.Equal(t, []string{CollectorName}, exp.Target.Collectors)
	assert.Equal(t, []string{ConfigDir + "/" + CollectorFile}, exp.Files)
	assert.Equal(t, 1, exp.Global["max_connections"])
	assert.LessOrEqual(t, exp.Global["max_connections"].(int), metadatadb.ReaderConnectionLimit)
	assert.Equal(t, "60s", exp.Global["min_interval"])
}

func TestGrantIsExactlyConnectUsageSelect(t *testing.T) {
	sql := GrantSQL("airbyte", metadatadb.AirbyteReader)
	lines := []string{}
	for _, l := range strings.Split(strings.TrimSpace(sql), "\n") {
		if strings.HasPrefix(l, "GRANT") {
			lines = append(lines, l)
		}
	}
	assert.Equal(t, []string{
		"GRANT CONNECT ON DATABASE airbyte TO airbyte_reader;",
		"GRANT USAGE ON SCHEMA public TO airbyte_reader;",
		"GRANT SELECT (id, config_type, scope, status, created_at, updated_at) ON TABLE public.jobs TO airbyte_reader;",
		"GRANT SELECT (id, job_id, created_at, ended_at) ON TABLE public.attempts TO airbyte_reader;",
		"GRANT SELECT (attempt_id, records_committed, updated_at) ON TABLE public.sync_stats TO airbyte_reader;",
	}, lines)
	assert.NotContains(t, sql, "config,", "jobs.config holds the sync's catalog and configuration")
	assert.NotContains(t, sql, "output")
	assert.NotContains(t, sql, "failure_summary")
	assert.NotRegexp(t, `(?i)\b(ALL|INSERT|UPDATE|DELETE|TRUNCATE|CREATE|pg_monitor|pg_read_all)\b`, sql)
	assert.Contains(t, sql, "ON_ERROR_STOP on")
}

func TestModelNamesOnlyDeclaredMetrics(t *testing.T) {
	for _, scope := range []string{"", `cluster="dp-prod"`} {
		spec := observability.Spec{Targets: []observability.ScrapeTarget{Target("dataplatform")}, Rules: Rules(scope), Dashboards: []observability.Dashboard{Dashboard(scope)}}
		require.NoError(t, spec.Validate())
		assert.Empty(t, spec.Undeclared(observability.Metric{Name: "up", Source: "prometheus"}))
		for _, r := range spec.Rules {
			if scope != "" {
				assert.Contains(t, r.Expr, scope)
			}
		}
	}
	// Every Airbyte series is read without the placeholder row, and every query returns one (so a fresh
	// platform already has each series: Cloud Monitoring refuses a policy over a metric never received).
	exprs := []string{}
	for _, r := range Rules("") {
		if r.Name != "AirbyteSyncMetricsDown" { // it watches the placeholder's presence (below)
			exprs = append(exprs, r.Expr)
		}
	}
	for _, p := range Panels("") {
		exprs = append(exprs, p.Queries...)
	}
	for _, e := range exprs {
		for _, n := range observability.MetricNames(e) {
			if strings.HasPrefix(n, "airbyte_sync_") {
				assert.Contains(t, e, n+"{"+Real, "%s reads %s's placeholder row", e, n)
			}
		}
	}
	for _, q := range Queries() {
		assert.Regexp(t, `\nUNION ALL SELECT ('_none' AS [a-z]+, )+0 AS `+q.Value+`$`, q.SQL)
		assert.Contains(t, q.Help, `connection!="_none"`)
	}
	// Down covers both ups — the pod's (Prometheus) and the database's (sql_exporter's target) — and
	// a query that fails after a good connection (its series, placeholder included, vanish).
	down := Rules("")[1].Expr
	assert.True(t, strings.HasPrefix(down, `min(up{`+Job+`}) == 0`), down)
	for _, q := range Queries() {
		assert.Contains(t, down, ` or absent(`+q.Metric+`{`+Job+`})`)
	}
	titles := []string{}
	for _, p := range Panels("") {
		titles = append(titles, p.Title)
	}
	assert.Subset(t, titles, []string{"Airbyte sync success rate", "Records synced", "Sync duration"})
	for _, m := range Metrics() {
		assert.Contains(t, m.Source, SchemaSource)
	}
	// The job matcher holds on both job label shapes.
	re := regexp.MustCompile(`^(.+/)?` + Name + `$`)
	assert.True(t, re.MatchString("dataplatform/"+Name))
	assert.True(t, re.MatchString(Name))
	assert.False(t, re.MatchString("dataplatform/dremio-coordinator"))
}

const (
	deployType = "kubernetes:apps/v1:Deployment"
	jobType    = "kubernetes:batch/v1:Job"
	npType     = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	cmType     = "kubernetes:core/v1:ConfigMap"
)

func conn() metadatadb.Connection {
	return metadatadb.Connection{
		Host: pulumi.String("db.internal").ToStringOutput(), Port: 5432,
		Databases: map[metadatadb.Database]string{metadatadb.Airbyte: "airbyte"},
		CredentialSecrets: map[string]pulumi.StringOutput{
			"airbyte":                pulumi.String("airbyte-db-credentials").ToStringOutput(),
			metadatadb.AirbyteReader: pulumi.String(metadatadb.CredentialSecretName(metadatadb.AirbyteReader)).ToStringOutput(),
		},
		SSLMode: metadatadb.SSLModeVerifyFull, CACert: pulumi.String("PEM").ToStringOutput(),
		CAConfigMap: pulumi.String("metadata-db-ca").ToStringOutput(),
	}
}

func run(t *testing.T, preview bool, mutate func(*Args)) (*mockcloud.Mocks, error) {
	m := mockcloud.New("dataplatform", "prod", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		// Stands for Airbyte's release (a custom resource, as helm/v3 Release is).
		release, err := corev1k.NewConfigMap(ctx, "airbyte-release", &corev1k.ConfigMapArgs{})
		if err != nil {
			return err
		}
		a := &Args{Namespace: pulumi.String("dataplatform"), NamespaceName: "dataplatform", Database: conn(),
			DatabaseCIDRs: []string{"10.0.16.0/20"}, After: []pulumi.Resource{release}}
		if mutate != nil {
			mutate(a)
		}
		_, err = New(ctx, "airbyte-sync-metrics", a)
		return err
	}, nil)
	return m, err
}

func TestExporterObjects(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		inspect.RequireRan(t, preview, err)
		var d appsv1.Deployment
		inspect.DecodeStrict(t, inspect.One(t, m, deployType), &d)
		assert.Equal(t, int32(1), *d.Spec.Replicas)
		assert.NotEmpty(t, d.Annotations[SingletonAnnotation], "policy stateless-replicas: a one-replica Deployment says why")
		pod := d.Spec.Template.Spec
		assert.True(t, *pod.SecurityContext.RunAsNonRoot)
		assert.Equal(t, int64(UID), *pod.SecurityContext.RunAsUser)
		assert.False(t, *pod.AutomountServiceAccountToken)
		require.Len(t, pod.Containers, 1)
		c := pod.Containers[0]
		assert.Equal(t, Image, c.Image)
		assert.Regexp(t, `^burningalchemist/sql_exporter:[0-9]+\.[0-9]+\.[0-9]+$`, c.Image, "an exact release tag")
		assert.True(t, *c.SecurityContext.ReadOnlyRootFilesystem)
		assert.False(t, *c.SecurityContext.AllowPrivilegeEscalation)
		assert.Equal(t, []corev1.Capability{"ALL"}, c.SecurityContext.Capabilities.Drop)
		assert.False(t, c.Resources.Limits.Memory().IsZero())
		assert.False(t, c.Resources.Requests.Cpu().IsZero())
		require.NotNil(t, c.LivenessProbe)
		require.NotNil(t, c.ReadinessProbe)
		assert.Equal(t, "/healthz", c.ReadinessProbe.HTTPGet.Path)
		assert.Equal(t, int32(Port), c.Ports[0].ContainerPort)
		assert.Equal(t, PortName, c.Ports[0].Name)
		for k, v := range Selector() {
			assert.Equal(t, v, d.Spec.Template.Labels[k])
		}
		env := map[string]corev1.EnvVar{}
		names := []string{}
		for _, e := range c.Env {
			env[e.Name] = e
			names = append(names, e.Name)
		}
		// $(VAR) expands only variables defined before it.
		assert.Equal(t, []string{"DB_USER", "DB_PASSWORD", "SQLEXPORTER_TARGET_DSN"}, names)
		reader := metadatadb.CredentialSecretName(metadatadb.AirbyteReader)
		assert.Equal(t, reader, env["DB_PASSWORD"].ValueFrom.SecretKeyRef.Name, "the read-only role, never the owner")
		assert.Equal(t, reader, env["DB_USER"].ValueFrom.SecretKeyRef.Name)
		if !preview {
			assert.Equal(t, "postgres://$(DB_USER):$(DB_PASSWORD)@db.internal:5432/airbyte?sslmode=verify-full&sslrootcert=/etc/airbyte-db-ca/ca.crt", env["SQLEXPORTER_TARGET_DSN"].Value)
		}

		// No credential in the configuration.
		for _, r := range m.ByType(cmType) {
			if r.Name == "airbyte-release" {
				continue
			}
			for _, v := range inspect.Obj(inspect.RequireAt(t, r.Inputs, "data")) {
				assert.NotContains(t, v.StringValue(), "password")
			}
		}

		// Egress to the database's ranges on its port and DNS; ingress nothing of its own.
		np := m.Named(npType, "airbyte-sync-metrics-egress")
		require.NotNil(t, np)
		var pol networkingv1.NetworkPolicy
		inspect.DecodeStrict(t, np, &pol)
		assert.ElementsMatch(t, []networkingv1.PolicyType{"Ingress", "Egress"}, pol.Spec.PolicyTypes)
		assert.Empty(t, pol.Spec.Ingress)
		require.Len(t, pol.Spec.Egress, 2)
		assert.Equal(t, "10.0.16.0/20", pol.Spec.Egress[0].To[0].IPBlock.CIDR)
		assert.Equal(t, int32(5432), pol.Spec.Egress[0].Ports[0].Port.IntVal)
		assert.Equal(t, int32(53), pol.Spec.Egress[1].Ports[0].Port.IntVal)

		// The grant runs as the owner, after Airbyte's release, before the exporter.
		var job batchv1.Job
		jr := inspect.One(t, m, jobType)
		inspect.DecodeStrict(t, jr, &job)
		gc := job.Spec.Template.Spec.Containers[0]
		jenv := map[string]corev1.EnvVar{}
		for _, e := range gc.Env {
			jenv[e.Name] = e
		}
		assert.Equal(t, "airbyte-db-credentials", jenv["PGUSER"].ValueFrom.SecretKeyRef.Name)
		assert.Equal(t, "verify-full", jenv["PGSSLMODE"].Value)
		assert.Equal(t, "/etc/airbyte-db-ca/ca.crt", jenv["PGSSLROOTCERT"].Value)
		assert.Equal(t, "airbyte", jenv["PGDATABASE"].Value)
		assert.True(t, *gc.SecurityContext.ReadOnlyRootFilesystem)
		assert.True(t, m.DependsOn(jr, m.Named(cmType, "airbyte-release")))
		assert.True(t, m.DependsOn(inspect.One(t, m, deployType), jr))
		assert.NotNil(t, m.Named(npType, "airbyte-sync-metrics-grant-egress"))
		assert.Empty(t, inspect.Protected(m), "nothing here is stateful")
	})
}

// TestGrantRerunsOnAirbyteUpgrade: a new Airbyte version is a new grant pod template (a migration
// that recreates a table drops its grants).
func TestGrantRerunsOnAirbyteUpgrade(t *testing.T) {
	hash := func(v string) string {
		m, err := run(t, false, func(a *Args) { a.AirbyteVersion = v })
		require.NoError(t, err)
		return inspect.Str(inspect.One(t, m, jobType).Inputs, "spec", "template", "metadata", "annotations", metadatadb.ConfigHashAnnotation)
	}
	a, b := hash("2.0.19"), hash("2.0.20")
	assert.NotEmpty(t, a)
	assert.NotEqual(t, a, b)
	assert.Equal(t, a, hash("2.0.19"))
}

func TestExporterInCluster(t *testing.T) {
	m, err := run(t, false, func(a *Args) { a.DatabaseCIDRs, a.DatabaseNamespace = nil, "dataplatform-data" })
	require.NoError(t, err)
	var pol networkingv1.NetworkPolicy
	inspect.DecodeStrict(t, m.Named(npType, "airbyte-sync-metrics-egress"), &pol)
	assert.Equal(t, "dataplatform-data", pol.Spec.Egress[0].To[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
	assert.Nil(t, pol.Spec.Egress[0].To[0].IPBlock)
}

func TestExporterValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*Args)
		want   string
	}{
		"no reader":        {func(a *Args) { delete(a.Database.CredentialSecrets, metadatadb.AirbyteReader) }, `CredentialSecrets["airbyte_reader"]`},
		"both peers":       {func(a *Args) { a.DatabaseNamespace = "data" }, "set exactly one"},
		"no peer":          {func(a *Args) { a.DatabaseCIDRs = nil }, "set exactly one"},
		"bad cidr":         {func(a *Args) { a.DatabaseCIDRs = []string{"10.0.0.1/8"} }, "DatabaseCIDRs"},
		"weak tls":         {func(a *Args) { a.Database.SSLMode = "require" }, "SSLMode"},
		"no namespace":     {func(a *Args) { a.NamespaceName = "" }, "NamespaceName"},
		"no airbyte db":    {func(a *Args) { a.Database.Databases = nil }, `Databases["airbyte"]`},
		"no owner account": {func(a *Args) { delete(a.Database.CredentialSecrets, "airbyte") }, `CredentialSecrets["airbyte"]`},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := run(t, false, tc.mutate)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType(deployType), "nothing is registered before the error")
			assert.Empty(t, m.ByType(jobType))
		})
	}
}

// TestRunbookSections: every rule's anchor and heading exist in docs/runbook-alerts.md.
func TestRunbookSections(t *testing.T) {
	doc, err := os.ReadFile("../../../" + observability.RunbookDoc)
	require.NoError(t, err)
	for _, r := range Rules("") {
		assert.Contains(t, string(doc), `<a id="`+r.Runbook+`"></a>`+"\n## "+r.Name+" ("+string(r.Severity)+")")
	}
}
