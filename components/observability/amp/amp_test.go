package amp

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

func spec() observability.Spec {
	return observability.Spec{
		Targets: []observability.ScrapeTarget{{
			Name: "dremio-coordinator", Namespace: "apps", Selector: map[string]string{"app.kubernetes.io/name": "dremio", "dataplatform.io/role": "coordinator"},
			Port: "metrics", PortNumber: 9010, Metrics: []observability.Metric{{Name: "jobs_total", Source: "dremio"}},
		}},
		Rules: []observability.AlertRule{{
			Name: "PlatformTargetDown", Expr: `up{job=~".+/dremio-coordinator"} == 0`, For: 5 * time.Minute,
			Severity: observability.Critical, Summary: "down", Runbook: "platform-target-down",
		}},
		Retention: observability.Retention{Metrics: 30 * 24 * time.Hour},
	}
}

func args() *Args {
	return &Args{
		Name: "dataplatform-prod", Spec: spec(), RunbookBase: "https://github.com/o/r/blob/main",
		ClusterName: "dataplatform-prod", Cluster: pulumi.String("dataplatform-prod"),
		SubnetIDs: pulumi.ToStringArray([]string{"subnet-a", "subnet-b"}), SecurityGroupIDs: pulumi.ToStringArray([]string{"sg-cluster"}),
		CollectorCIDRs: []string{"10.0.0.0/19", "10.0.32.0/19"},
		Region:         "eu-north-1", LogRetentionDays: 90,
		Receiver: Receiver{Kind: observability.Email, Email: "ops@example.com"},
		Database: &Database{Identifier: "dataplatform-prod-metadata", InstanceClass: "db.m7g.xlarge", AllocatedStorageGiB: 100, MaxAllocatedStorageGiB: 1000},
		Buckets:  []Bucket{{Role: "lake", Name: pulumi.String("dp-lake")}, {Role: "warehouse", Name: pulumi.String("dp-warehouse")}},
		Tags:     map[string]string{"env": "prod"}, Protect: true,
	}
}

func run(t *testing.T, preview bool, a *Args) (*mockcloud.Mocks, error) {
	m := mockcloud.New("dataplatform", "prod", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
		if err != nil {
			return err
		}
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		a.KubernetesProvider = k
		_, err = New(ctx, "observability", a, pulumi.Provider(p))
		return err
	}, nil)
	return m, err
}

const (
	wsType  = "aws:amp/workspace:Workspace"
	alType  = "aws:cloudwatch/metricAlarm:MetricAlarm"
	subType = "aws:sns/topicSubscription:TopicSubscription"
)

// TestWorkspaceCollectorRulesAndTopic: the model becomes a workspace with the profile's retention,
// a managed collector on the cluster's subnets with the rendered scrape configuration, the rule
// namespace, an Alertmanager routed to an encrypted topic only AMP and CloudWatch alarms may publish
// to, and the receiver's subscription.
func TestWorkspaceCollectorRulesAndTopic(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, args())
		inspect.RequireRan(t, preview, err)

		ws := inspect.MustNamed(t, m, wsType, "observability-workspace")
		assert.Equal(t, "dataplatform-prod", inspect.Str(ws.Inputs, "alias"))
		assert.True(t, ws.Protect, "the workspace holds the metrics: protected in prod")
		logs := inspect.MustNamed(t, m, "aws:cloudwatch/logGroup:LogGroup", "observability-workspace-logs")
		assert.Equal(t, "/aws/vendedlogs/prometheus/dataplatform-prod", inspect.Str(logs.Inputs, "name"))
		assert.Equal(t, 90.0, inspect.Num(logs.Inputs, "retentionInDays"))
		assert.True(t, m.DependsOn(ws, logs))

		cfg := inspect.MustNamed(t, m, "aws:amp/workspaceConfiguration:WorkspaceConfiguration", "observability-retention")
		assert.Equal(t, 30.0, inspect.Num(cfg.Inputs, "retentionPeriodInDays"))

		sc := inspect.MustNamed(t, m, "aws:amp/scraper:Scraper", "observability-collector")
		assert.Equal(t, []string{"subnet-a", "subnet-b"}, inspect.Strs(sc.Inputs, "source", "eks", "subnetIds"))
		assert.Equal(t, []string{"sg-cluster"}, inspect.Strs(sc.Inputs, "source", "eks", "securityGroupIds"))
		assert.Contains(t, inspect.Str(sc.Inputs, "scrapeConfiguration"), "job_name: apps/dremio-coordinator")
		if !preview {
			assert.Equal(t, "arn:aws:eks:eu-north-1:"+mockcloud.AWSAccountID+":cluster/dataplatform-prod", inspect.Str(sc.Inputs, "source", "eks", "clusterArn"))
		}

		np := inspect.MustNamed(t, m, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "observability-dremio-coordinator-allow-collector")
		assert.Equal(t, "apps", inspect.Str(np.Inputs, "metadata", "namespace"))
		assert.Equal(t, "coordinator", inspect.Str(np.Inputs, "spec", "podSelector", "matchLabels", "dataplatform.io/role"))
		assert.Equal(t, "10.0.32.0/19", inspect.Str(np.Inputs, "spec", "ingress", 0, "from", 1, "ipBlock", "cidr"))
		assert.Equal(t, 9010.0, inspect.Num(np.Inputs, "spec", "ingress", 0, "ports", 0, "port"))

		rules := inspect.MustNamed(t, m, "aws:amp/ruleGroupNamespace:RuleGroupNamespace", "observability-rules")
		assert.Contains(t, inspect.Str(rules.Inputs, "data"), "runbook_url: https://github.com/o/r/blob/main/docs/runbook-alerts.md#platform-target-down")

		topic := inspect.MustNamed(t, m, "aws:sns/topic:Topic", "observability-alerts")
		key := inspect.MustNamed(t, m, "aws:kms/key:Key", "observability-kms")
		assert.True(t, m.DependsOn(topic, key), "the topic is encrypted with the observability key")
		var kp map[string]any
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(key.Inputs, "policy")), &kp))
		assert.Contains(t, inspect.Str(key.Inputs, "policy"), `"logs.eu-north-1.amazonaws.com"`)
		assert.Contains(t, inspect.Str(key.Inputs, "policy"), `"aps.amazonaws.com"`)

		am := inspect.MustNamed(t, m, "aws:amp/alertManagerDefinition:AlertManagerDefinition", "observability-alertmanager")
		pol := inspect.MustNamed(t, m, "aws:sns/topicPolicy:TopicPolicy", "observability-alerts-policy")
		assert.True(t, m.DependsOn(am, pol), "the Alertmanager is defined once AMP may publish")
		if !preview {
			assert.Contains(t, inspect.Str(am.Inputs, "definition"), "topic_arn: arn:aws:sns:eu-north-1:")
			var doc struct {
				Statement []struct {
					Principal map[string]any
					Condition map[string]map[string]string
				}
			}
			require.NoError(t, json.Unmarshal([]byte(inspect.Str(pol.Inputs, "policy")), &doc))
			require.Len(t, doc.Statement, 3, "AMP, CloudWatch alarms and the database's RDS events")
			assert.Equal(t, "aps.amazonaws.com", doc.Statement[0].Principal["Service"])
			assert.Equal(t, inspect.Str(ws.Outputs, "arn"), doc.Statement[0].Condition["ArnEquals"]["aws:SourceArn"])
			assert.Equal(t, mockcloud.AWSAccountID, doc.Statement[0].Condition["StringEquals"]["aws:SourceAccount"])
			assert.Equal(t, mockcloud.AWSAccountID, doc.Statement[1].Condition["StringEquals"]["aws:SourceAccount"])
		}

		sub := inspect.One(t, m, subType)
		assert.Equal(t, "email", inspect.Str(sub.Inputs, "protocol"))
		assert.Equal(t, "ops@example.com", inspect.Str(sub.Inputs, "endpoint"))
	})
}

// TestCloudWatchAlarmsForRDSAndS3: the managed services get alarms on their own metrics with the
// runbook in the description, S3 request metrics turned on per bucket, and a dashboard.
func TestCloudWatchAlarmsForRDSAndS3(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, args())
		inspect.RequireRan(t, preview, err)
		byName := map[string]*mockcloud.Resource{}
		for _, r := range m.ByType(alType) {
			byName[inspect.Str(r.Inputs, "name")] = r
		}
		require.Len(t, byName, 7, "five on the database (rds_test.go, backup_test.go), one per bucket")
		storage := byName["dataplatform-prod-rds-free-storage-low"]
		require.NotNil(t, storage)
		assert.Equal(t, "AWS/RDS", inspect.Str(storage.Inputs, "namespace"))
		assert.Equal(t, "dataplatform-prod-metadata", inspect.Str(storage.Inputs, "dimensions", "DBInstanceIdentifier"))
		assert.Equal(t, float64(5<<30), inspect.Num(storage.Inputs, "threshold"), "autoscaling on: 5 % of the initial 100 GiB (rds_test.go)")
		assert.Contains(t, inspect.Str(storage.Inputs, "alarmDescription"), "https://github.com/o/r/blob/main/docs/runbook-alerts-aws.md#rds-free-storage-low")

		s3 := byName["dataplatform-prod-s3-lake-5xx"]
		require.NotNil(t, s3)
		assert.Equal(t, "5xxErrors", inspect.Str(s3.Inputs, "metricName"))
		assert.Equal(t, "dp-lake", inspect.Str(s3.Inputs, "dimensions", "BucketName"))
		assert.Equal(t, "EntireBucket", inspect.Str(s3.Inputs, "dimensions", "FilterId"))
		metric := inspect.MustNamed(t, m, "aws:s3/bucketMetric:BucketMetric", "observability-s3-lake-requests")
		assert.Equal(t, "EntireBucket", inspect.Str(metric.Inputs, "name"))
		assert.True(t, m.DependsOn(s3, metric), "the alarm waits for the metrics it watches to be turned on")
		if !preview {
			assert.NotEmpty(t, inspect.Strs(s3.Inputs, "alarmActions"))
		}

		dash := inspect.MustNamed(t, m, "aws:cloudwatch/dashboard:Dashboard", "observability-dashboard")
		assert.Equal(t, "dataplatform-prod-eu-north-1-data-services", inspect.Str(dash.Inputs, "dashboardName"))
		if !preview {
			body := inspect.Str(dash.Inputs, "dashboardBody")
			assert.Contains(t, body, `["AWS/S3","5xxErrors","BucketName","dp-warehouse","FilterId","EntireBucket"]`)
			assert.Contains(t, body, `["AWS/RDS","CPUUtilization","DBInstanceIdentifier","dataplatform-prod-metadata"]`)
		}
	})
}

// TestWebhookReceiverIsASecretHTTPSSubscription: a webhook becomes an https subscription whose URL
// stays secret.
func TestWebhookReceiverIsASecretHTTPSSubscription(t *testing.T) {
	a := args()
	a.Receiver = Receiver{Kind: observability.Webhook, WebhookURL: pulumi.String("https://hooks.example.com/T0KEN")}
	m, err := run(t, false, a)
	require.NoError(t, err)
	sub := inspect.One(t, m, subType)
	assert.Equal(t, "https", inspect.Str(sub.Inputs, "protocol"))
	assert.True(t, sub.Inputs["endpoint"].IsSecret(), "the webhook URL carries a token")
}

// TestScrapeConfiguration: one job per target named like the PodMonitor's job, selecting the pods by
// their labels and named port, and the kubelet job through the API server proxy keeping only the
// volume statistics.
func TestScrapeConfiguration(t *testing.T) {
	out, err := ScrapeConfiguration(spec(), "dataplatform-prod", "")
	require.NoError(t, err)
	var cfg struct {
		Global        map[string]any   `json:"global"`
		ScrapeConfigs []map[string]any `json:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(out), &cfg))
	assert.Equal(t, "30s", cfg.Global["scrape_interval"])
	require.Len(t, cfg.ScrapeConfigs, 2)
	job := cfg.ScrapeConfigs[0]
	assert.Equal(t, "apps/dremio-coordinator", job["job_name"])
	assert.Equal(t, "/metrics", job["metrics_path"])
	assert.Equal(t, "http", job["scheme"])
	assert.Contains(t, out, "__meta_kubernetes_pod_label_app_kubernetes_io_name")
	assert.Contains(t, out, "__meta_kubernetes_pod_label_dataplatform_io_role")
	kubelet := cfg.ScrapeConfigs[1]
	assert.Equal(t, "kubelet", kubelet["job_name"])
	assert.Contains(t, out, "credentials_file: /var/run/secrets/kubernetes.io/serviceaccount/token")
	assert.Contains(t, out, "/api/v1/nodes/$1/proxy/metrics")
	assert.Contains(t, out, "regex: kubelet_volume_stats_available_bytes|kubelet_volume_stats_capacity_bytes")
	assert.NotContains(t, out, "kube-state-metrics", "no kube-state-metrics job unless its namespace is given")
}

// TestKubeStateMetricsJob (issue 12): with kube-state-metrics' namespace the collector scrapes its
// pods there on port 8080, keeps only the series the rules name, and adds no namespace or pod target
// label (which would rename the series' own to exported_namespace/exported_pod); rules on those
// series are accepted only then.
func TestKubeStateMetricsJob(t *testing.T) {
	s := spec()
	s.Rules = append(s.Rules, observability.AlertRule{
		Name: "PodCrashLooping", Expr: `max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1`,
		For: 15 * time.Minute, Severity: observability.Warning, Summary: "crash", Runbook: "pod-crash-looping",
	})
	_, err := ScrapeConfiguration(s, "dataplatform-prod", "")
	require.Error(t, err, "a rule on kube-state-metrics series without kube-state-metrics never fires")
	assert.Contains(t, err.Error(), "kube_pod_container_status_waiting_reason")

	out, err := ScrapeConfiguration(s, "dataplatform-prod", "kube-state-metrics")
	require.NoError(t, err)
	var cfg struct {
		ScrapeConfigs []struct {
			JobName      string `json:"job_name"`
			KubernetesSD []struct {
				Role       string `json:"role"`
				Namespaces struct {
					Names []string `json:"names"`
				} `json:"namespaces"`
			} `json:"kubernetes_sd_configs"`
			Relabel []struct {
				Action       string   `json:"action"`
				SourceLabels []string `json:"source_labels"`
				TargetLabel  string   `json:"target_label"`
				Regex        string   `json:"regex"`
			} `json:"relabel_configs"`
			MetricRelabel []struct {
				Action string `json:"action"`
				Regex  string `json:"regex"`
			} `json:"metric_relabel_configs"`
		} `json:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(out), &cfg))
	require.Len(t, cfg.ScrapeConfigs, 3)
	ksm := cfg.ScrapeConfigs[2]
	assert.Equal(t, "kube-state-metrics", ksm.JobName)
	require.Len(t, ksm.KubernetesSD, 1)
	assert.Equal(t, "pod", ksm.KubernetesSD[0].Role)
	assert.Equal(t, []string{"kube-state-metrics"}, ksm.KubernetesSD[0].Namespaces.Names)
	kept := false
	for _, r := range ksm.Relabel {
		assert.Empty(t, r.TargetLabel, "no target label may shadow kube-state-metrics' own namespace/pod labels")
		if r.Action == "keep" && len(r.SourceLabels) == 1 && r.SourceLabels[0] == "__meta_kubernetes_pod_container_port_number" {
			kept = r.Regex == "8080"
		}
	}
	assert.True(t, kept, "the job keeps the metrics port 8080 only")
	require.Len(t, ksm.MetricRelabel, 1)
	for _, m := range KubeStateMetrics {
		assert.Contains(t, ksm.MetricRelabel[0].Regex, m.Name)
	}
	assert.NotContains(t, ksm.MetricRelabel[0].Regex, "kube_pod_info", "only the series the rules name are written")
}

// TestAlertManagerDefinition: the AMP document wraps Alertmanager YAML routing to the SNS topic.
func TestAlertManagerDefinition(t *testing.T) {
	out, err := AlertManagerDefinition("arn:aws:sns:eu-north-1:1:t", "eu-north-1")
	require.NoError(t, err)
	var doc map[string]string
	require.NoError(t, yaml.Unmarshal([]byte(out), &doc))
	var am struct {
		Route     map[string]any `json:"route"`
		Receivers []struct {
			Name       string           `json:"name"`
			SNSConfigs []map[string]any `json:"sns_configs"`
		} `json:"receivers"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(doc["alertmanager_config"]), &am))
	assert.Equal(t, "sns", am.Route["receiver"])
	require.Len(t, am.Receivers, 1)
	assert.Equal(t, "arn:aws:sns:eu-north-1:1:t", am.Receivers[0].SNSConfigs[0]["topic_arn"])
	assert.Equal(t, map[string]any{"region": "eu-north-1"}, am.Receivers[0].SNSConfigs[0]["sigv4"])
}

// TestBadInputIsRefusedBeforeAnyResource: what the collector, AMP, SNS or CloudWatch would refuse is
// an error naming the field, before anything is registered.
func TestBadInputIsRefusedBeforeAnyResource(t *testing.T) {
	cases := map[string]struct {
		edit func(a *Args)
		want string
	}{
		"https target": {func(a *Args) {
			a.Spec.Targets[0].Scheme = observability.HTTPS
			a.Spec.Targets[0].TLS = &observability.TLS{CA: observability.SecretRef{Name: "ca", Key: "ca.crt"}}
		}, "http targets only"},
		"bearer token": {func(a *Args) { a.Spec.Targets[0].BearerToken = observability.SecretRef{Name: "t", Key: "token"} }, "BearerToken"},
		"fast scrape":  {func(a *Args) { a.Spec.Targets[0].Interval = 10 * time.Second }, "at most every 30s"},
		"retention":    {func(a *Args) { a.Spec.Retention.Metrics = 1100 * 24 * time.Hour }, "1 to 1095 days"},
		"log days":     {func(a *Args) { a.LogRetentionDays = 10 }, "LogRetentionDays = 10"},
		"no email":     {func(a *Args) { a.Receiver.Email = "" }, "Receiver = email"},
		"kind":         {func(a *Args) { a.Receiver.Kind = "pager" }, `Receiver.Kind = "pager"`},
		"bucket role":  {func(a *Args) { a.Buckets[1].Role = "lake" }, "Buckets[1]"},
		"db storage":   {func(a *Args) { a.Database.AllocatedStorageGiB = 5 }, "AllocatedStorageGiB = 5"},
		"name":         {func(a *Args) { a.Name = "Data_Platform" }, "Name"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			a := args()
			c.edit(a)
			m, err := run(t, false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			for _, r := range m.Resources() {
				assert.False(t, strings.HasPrefix(r.Type, "aws:amp") || strings.HasPrefix(r.Type, "aws:sns"), "nothing is registered: %s", r.Type)
			}
		})
	}
}

// TestReceiverStatusIsReported: the component says whether the topic delivers anywhere: "none" without
// a receiver (alerts would reach a topic nobody reads), else the subscription's protocol and whether
// SNS still waits for its confirmation.
func TestReceiverStatusIsReported(t *testing.T) {
	for _, tc := range []struct {
		name     string
		receiver Receiver
		prefix   string
	}{
		{"none", Receiver{}, "none: "},
		{"email", Receiver{Kind: observability.Email, Email: "ops@example.com"}, "email: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := args()
			a.Receiver = tc.receiver
			var got string
			m := mockcloud.New("dataplatform", "prod", false)
			require.NoError(t, m.Run(func(ctx *pulumi.Context) error {
				p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
				if err != nil {
					return err
				}
				k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
				if err != nil {
					return err
				}
				a.KubernetesProvider = k
				obs, err := New(ctx, "observability", a, pulumi.Provider(p))
				if err != nil {
					return err
				}
				// Awaited here: an ApplyT callback may still be pending when the program returns
				// (the test flaked on "none", whose output has no resource to wait for).
				r, err := internals.UnsafeAwaitOutput(ctx.Context(), obs.Receiver)
				if err != nil {
					return err
				}
				got, _ = r.Value.(string)
				return nil
			}, nil))
			assert.True(t, strings.HasPrefix(got, tc.prefix), "receiver = %q; want prefix %q", got, tc.prefix)
		})
	}
}

// TestKubeStateMetricsIsAdmittedToTheCollectorOnly: with kube-state-metrics, its namespace gets an
// ingress policy admitting the collector's subnets on 8080 only, after what the namespace waits for.
func TestKubeStateMetricsIsAdmittedToTheCollectorOnly(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args()
		a.KubeStateMetricsNamespace = "kube-state-metrics"
		m, err := run(t, preview, a)
		inspect.RequireRan(t, preview, err)
		np := inspect.MustNamed(t, m, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "observability-kube-state-metrics-allow-collector")
		assert.Equal(t, "kube-state-metrics", inspect.Str(np.Inputs, "metadata", "namespace"))
		assert.Equal(t, []string{"Ingress"}, inspect.Strs(np.Inputs, "spec", "policyTypes"))
		assert.Equal(t, 8080.0, inspect.Num(np.Inputs, "spec", "ingress", 0, "ports", 0, "port"))
		assert.Equal(t, "10.0.0.0/19", inspect.Str(np.Inputs, "spec", "ingress", 0, "from", 0, "ipBlock", "cidr"))
		assert.Contains(t, inspect.Str(inspect.MustNamed(t, m, "aws:amp/scraper:Scraper", "observability-collector").Inputs, "scrapeConfiguration"), "job_name: kube-state-metrics")
	})
	a := args()
	m, err := run(t, false, a)
	require.NoError(t, err)
	for _, r := range m.ByType("kubernetes:networking.k8s.io/v1:NetworkPolicy") {
		assert.NotEqual(t, "observability-kube-state-metrics-allow-collector", r.Name, "no kube-state-metrics, no policy")
	}
}
