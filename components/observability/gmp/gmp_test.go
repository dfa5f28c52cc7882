package gmp

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/platform"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	pmType      = "kubernetes:monitoring.googleapis.com/v1:PodMonitoring"
	npType      = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	roleType    = "kubernetes:rbac.authorization.k8s.io/v1:Role"
	bindingType = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
	policyType  = "gcp:monitoring/alertPolicy:AlertPolicy"
	channelType = "gcp:monitoring/notificationChannel:NotificationChannel"
	dashType    = "gcp:monitoring/dashboard:Dashboard"
	bucketType  = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
)

func platformArgs() PlatformArgs {
	return PlatformArgs{
		AvailabilityPercent: 99.9, RPO: 15 * time.Minute, Targets: dremio.MetricsTargets("apps"),
		Project: "proj-1", Instance: "dataplatform-prod-x1", PointInTimeRecovery: true, DRReplica: true,
		BucketPrefix: "dataplatform-prod-x1", JobsNamespace: "jobs",
		Cluster: "dataplatform-prod", Namespaces: []string{"apps", "data", "jobs"}, CertManager: true,
	}
}

func args() *Args {
	pa := platformArgs()
	targets := append(append([]observability.ScrapeTarget{}, pa.Targets...), observability.ScrapeTarget{
		Name: "secured", Namespace: "data", Selector: map[string]string{"app": "secured"}, Port: "https", PortNumber: 8443,
		Scheme: observability.HTTPS, TLS: &observability.TLS{CA: observability.SecretRef{Name: "secured-ca", Key: "ca.crt"}, ServerName: "secured.data.svc"},
		BearerToken: observability.SecretRef{Name: "secured-token", Key: "token"}, Interval: time.Minute,
	})
	return &Args{
		Spec:    observability.Spec{Targets: targets, Rules: Rules(pa), Dashboards: Dashboards(pa)},
		Project: "proj-1", Name: "dataplatform-prod", RunbookBase: "https://github.com/o/r/blob/main",
		Email: "ops@example.com", LogsRetentionDays: 90, Labels: map[string]string{"team": "data"},
	}
}

func run(t *testing.T, preview bool, a *Args) (*mockcloud.Mocks, *ManagedPrometheus, error) {
	m := mockcloud.New("dataplatform", "prod", preview)
	var out *ManagedPrometheus
	err := m.Run(func(ctx *pulumi.Context) error {
		g, err := gcp.NewProvider(ctx, "gcp", &gcp.ProviderArgs{Project: pulumi.String("proj-1"), Region: pulumi.String("europe-west1")})
		if err != nil {
			return err
		}
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		out, err = New(ctx, "monitoring", a, pulumi.Providers(g, k))
		return err
	}, nil)
	return m, out, err
}

// TestScrape: one PodMonitoring per target in its namespace with the CRD's endpoint shape (job =
// its name), the collectors admitted on the port only, and a Secret reader Role only for a target
// that names Secrets.
func TestScrape(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, args())
		require.NoError(t, err)
		pms := m.ByType(pmType)
		require.Len(t, pms, 3)
		coord := inspect.MustNamed(t, m, pmType, "monitoring-dremio-coordinator-podmonitoring")
		assert.Equal(t, "dremio-coordinator", inspect.Str(coord.Inputs, "metadata", "name"))
		assert.Equal(t, "apps", inspect.Str(coord.Inputs, "metadata", "namespace"))
		ep := inspect.Obj(inspect.At(coord.Inputs, "spec", "endpoints", 0))
		assert.Equal(t, "metrics", inspect.Str(ep, "port"))
		assert.Equal(t, "/metrics", inspect.Str(ep, "path"))
		assert.Equal(t, "http", inspect.Str(ep, "scheme"))
		assert.Equal(t, "30s", inspect.Str(ep, "interval"))
		assert.False(t, inspect.Has(ep, "tls"))
		sec := inspect.MustNamed(t, m, pmType, "monitoring-secured-podmonitoring")
		sep := inspect.Obj(inspect.At(sec.Inputs, "spec", "endpoints", 0))
		assert.Equal(t, "secured-ca", inspect.Str(sep, "tls", "ca", "secret", "name"))
		assert.Equal(t, "TLS12", inspect.Str(sep, "tls", "minVersion"))
		assert.False(t, inspect.Has(sep, "tls", "ca", "secret", "namespace"), "the CRD forbids a namespace on a PodMonitoring's secret")
		assert.Equal(t, "Bearer", inspect.Str(sep, "authorization", "type"))
		assert.Equal(t, "secured-token", inspect.Str(sep, "authorization", "credentials", "secret", "name"))

		np := inspect.MustNamed(t, m, npType, "monitoring-dremio-executor-allow-gmp")
		from := inspect.At(np.Inputs, "spec", "ingress", 0, "from", 0)
		assert.Equal(t, CollectorNamespace, inspect.Str(inspect.Obj(from), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		assert.Equal(t, "collector", inspect.Str(inspect.Obj(from), "podSelector", "matchLabels", "app.kubernetes.io/name"))
		assert.Equal(t, float64(dremio.MetricsPort), inspect.Num(np.Inputs, "spec", "ingress", 0, "ports", 0, "port"))

		require.Len(t, m.ByType(roleType), 1, "only the target with Secrets gets a reader Role")
		role := m.ByType(roleType)[0]
		assert.Equal(t, []string{"secured-ca", "secured-token"}, inspect.StringsOf(inspect.At(role.Inputs, "rules", 0, "resourceNames")))
		assert.ElementsMatch(t, []string{"get", "list", "watch"}, inspect.StringsOf(inspect.At(role.Inputs, "rules", 0, "verbs")))
		b := m.ByType(bindingType)[0]
		assert.Equal(t, CollectorServiceAccount, inspect.Str(b.Inputs, "subjects", 0, "name"))
		assert.Equal(t, CollectorNamespace, inspect.Str(b.Inputs, "subjects", 0, "namespace"))
	})
}

// TestPolicies: one alerting policy per rule, PromQL with the rule's For and severity, the runbook
// linked, every policy notifying the channel.
func TestPolicies(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args()
		m, _, err := run(t, preview, a)
		require.NoError(t, err)
		require.Len(t, m.ByType(policyType), len(a.Spec.Rules))
		ch := m.ByType(channelType)
		require.Len(t, ch, 1)
		assert.Equal(t, "email", inspect.Str(ch[0].Inputs, "type"))
		assert.Equal(t, "ops@example.com", inspect.Str(ch[0].Inputs, "labels", "email_address"))
		p := inspect.MustNamed(t, m, policyType, "monitoring-platform-target-down")
		assert.Equal(t, "dataplatform-prod: PlatformTargetDown", inspect.Str(p.Inputs, "displayName"))
		assert.Equal(t, "CRITICAL", inspect.Str(p.Inputs, "severity"))
		c := inspect.Obj(inspect.At(p.Inputs, "conditions", 0, "conditionPrometheusQueryLanguage"))
		assert.Contains(t, inspect.Str(c, "query"), `up{job=~"dremio-coordinator|dremio-executor", cluster="dataplatform-prod"} == 0`)
		assert.Equal(t, "300s", inspect.Str(c, "duration"))
		assert.Equal(t, "60s", inspect.Str(c, "evaluationInterval"))
		assert.Equal(t, "critical", inspect.Str(c, "labels", "severity"))
		assert.Equal(t, "PlatformTargetDown", inspect.Str(c, "alertRule"))
		url := "https://github.com/o/r/blob/main/docs/runbook-alerts.md#platform-target-down"
		assert.Equal(t, url, inspect.Str(p.Inputs, "documentation", "links", 0, "url"))
		assert.Contains(t, inspect.Str(p.Inputs, "documentation", "content"), url)
		if !preview {
			assert.Len(t, inspect.StringsOf(inspect.At(p.Inputs, "notificationChannels")), 1)
		}
		w := inspect.MustNamed(t, m, policyType, "monitoring-volume-filling-up")
		assert.Equal(t, "WARNING", inspect.Str(w.Inputs, "severity"))
	})
}

// TestDashboardsAndLogs: each dashboard a mosaic of PromQL widgets; the _Default bucket's retention.
func TestDashboardsAndLogs(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args()
		m, _, err := run(t, preview, a)
		require.NoError(t, err)
		require.Len(t, m.ByType(dashType), len(a.Spec.Dashboards))
		d := inspect.MustNamed(t, m, dashType, "monitoring-dataplatform-postgres")
		var body map[string]any
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(d.Inputs, "dashboardJson")), &body))
		assert.Equal(t, "dataplatform-prod: Data platform / PostgreSQL (Cloud SQL)", body["displayName"])
		tiles := body["mosaicLayout"].(map[string]any)["tiles"].([]any)
		require.NotEmpty(t, tiles)
		first := tiles[0].(map[string]any)["widget"].(map[string]any)
		q := first["xyChart"].(map[string]any)["dataSets"].([]any)[0].(map[string]any)["timeSeriesQuery"].(map[string]any)
		assert.Contains(t, q["prometheusQuery"], "cloudsql_googleapis_com:database_postgresql_num_backends")
		for _, tile := range tiles {
			tm := tile.(map[string]any)
			assert.LessOrEqual(t, tm["xPos"].(float64)+tm["width"].(float64), float64(gridColumns))
		}
		b := m.ByType(bucketType)
		require.Len(t, b, 1)
		assert.Equal(t, DefaultBucket, inspect.Str(b[0].Inputs, "bucketId"))
		assert.Equal(t, "global", inspect.Str(b[0].Inputs, "location"))
		assert.Equal(t, 90.0, inspect.Num(b[0].Inputs, "retentionDays"))
		locked, _ := inspect.Bool(b[0].Inputs, "locked")
		assert.False(t, locked)
		// A project whose _Default lives in a region (an organization's default storage location).
		a = args()
		a.LogsLocation = "europe-west1"
		m, _, err = run(t, preview, a)
		require.NoError(t, err)
		assert.Equal(t, "europe-west1", inspect.Str(inspect.MustNamed(t, m, bucketType, "monitoring-default-logs").Inputs, "location"))
	})
}

// TestWebhook: the URL is a secret label of a webhook_tokenauth channel; without receiver and
// retention nothing of either is created.
func TestWebhook(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args()
		a.Email, a.WebhookURL = "", pulumi.ToSecret(pulumi.String("https://hooks.example.com/T0/abc")).(pulumi.StringOutput)
		m, _, err := run(t, preview, a)
		require.NoError(t, err)
		ch := m.ByType(channelType)
		require.Len(t, ch, 1)
		assert.Equal(t, "webhook_tokenauth", inspect.Str(ch[0].Inputs, "type"))
		if !preview {
			assert.True(t, inspect.At(ch[0].Inputs, "labels").ObjectValue()["url"].IsSecret() || ch[0].Inputs["labels"].IsSecret(), "the URL stays a secret")
			assert.Equal(t, "https://hooks.example.com/T0/abc", inspect.Str(ch[0].Inputs, "labels", "url"))
		}
		a = args()
		a.Email, a.LogsRetentionDays = "", 0
		m, _, err = run(t, preview, a)
		require.NoError(t, err)
		assert.Empty(t, m.ByType(channelType))
		assert.Empty(t, m.ByType(bucketType))
		for _, p := range m.ByType(policyType) {
			assert.Empty(t, inspect.StringsOf(inspect.At(p.Inputs, "notificationChannels")))
		}
	})
}

// TestValidate: bad input fails before any resource, naming the field.
func TestValidate(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(a *Args)
		want   string
	}{
		"project":                    {func(a *Args) { a.Project = "" }, "Project"},
		"name":                       {func(a *Args) { a.Name = "Data Platform" }, "Name"},
		"retention":                  {func(a *Args) { a.LogsRetentionDays = 4000 }, "LogsRetentionDays"},
		"location":                   {func(a *Args) { a.LogsLocation = "Europe West" }, "LogsLocation"},
		"location without retention": {func(a *Args) { a.LogsRetentionDays, a.LogsLocation = 0, "eu" }, "LogsLocation"},
		"receivers":                  {func(a *Args) { a.WebhookURL = pulumi.String("https://x") }, "one receiver"},
		"email":                      {func(a *Args) { a.Email = "ops" }, "Email"},
		"info":                       {func(a *Args) { a.Spec.Rules[0].Severity = observability.Info }, "severity info"},
		"model":                      {func(a *Args) { a.Spec.Targets[0].Port = "" }, "Targets[0].Port"},
	} {
		t.Run(name, func(t *testing.T) {
			a := args()
			c.mutate(a)
			m, _, err := run(t, false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, m.ByType(policyType))
			assert.Empty(t, m.ByType(pmType))
		})
	}
}

func TestKebabAndUnits(t *testing.T) {
	assert.Equal(t, "postgres-wal-archiving-behind-rpo", kebab("PostgresWALArchivingBehindRPO"))
	assert.Equal(t, "platform-target-down", kebab("PlatformTargetDown"))
	_, err := DashboardJSON("x", observability.Dashboard{UID: "d", Title: "D", Panels: []observability.Panel{{Title: "p", Unit: "celsius", Queries: []string{"up"}}}})
	assert.ErrorContains(t, err, "unit")
}

// TestScrapeOutsideTheModel: a target whose namespace comes later (cert-manager's) is rendered on
// its own with the same objects: the PodMonitoring (job = its name) and the collectors' NetworkPolicy.
func TestScrapeOutsideTheModel(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "prod", preview)
		err := m.Run(func(ctx *pulumi.Context) error {
			k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
			if err != nil {
				return err
			}
			return Scrape(ctx, "edge-monitoring", platform.CertManagerTarget("cert-manager"), map[string]string{"team": "data"}, pulumi.Provider(k))
		}, nil)
		require.NoError(t, err)
		pm := inspect.MustNamed(t, m, pmType, "edge-monitoring-cert-manager-podmonitoring")
		assert.Equal(t, "cert-manager", inspect.Str(pm.Inputs, "metadata", "namespace"))
		assert.Equal(t, "http-metrics", inspect.Str(pm.Inputs, "spec", "endpoints", 0, "port"))
		np := inspect.MustNamed(t, m, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "edge-monitoring-cert-manager-allow-gmp")
		assert.Equal(t, 9402.0, inspect.Num(np.Inputs, "spec", "ingress", 0, "ports", 0, "port"))
		bad := platform.CertManagerTarget("cert-manager")
		bad.Port = ""
		require.Error(t, m.Run(func(ctx *pulumi.Context) error { return Scrape(ctx, "x", bad, nil) }, nil))
	})
}
