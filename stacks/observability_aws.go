package stacks

import (
	"fmt"
	"sort"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/eks"
	"github.com/opendataplatform/dataplatform/components/clusteraddons/eksaddons"
	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/network/awsvpc"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/amp"
	"github.com/opendataplatform/dataplatform/components/observability/platform"
	"github.com/opendataplatform/dataplatform/config"
)

// awsObservabilitySpec is the platform's model on AWS: Dremio's coordinator and executors are the
// in-cluster targets (RDS and S3 are watched by CloudWatch instead of exporters), and the platform's
// rules are the ones whose every series the managed collector writes — Dremio's metrics, `up`, the
// kubelet's volume statistics and kube-state-metrics' (the EKS community add-on, so
// AirbyteSyncPodsFailing, DremioExecutorLost and PodCrashLooping run in AMP); the PostgreSQL and
// object-store rules are replaced by the CloudWatch alarms and RDS events on RDS and S3.
func awsObservabilitySpec(cfg *config.Platform) observability.Spec {
	targets := dremio.MetricsTargets(cfg.Network.Namespaces.Apps)
	var rules []observability.AlertRule
	// Airbyte's jobs-database exporter, its alerts and its dashboard.
	airbyteTarget, airbyteRules, airbyteDashboard := airbyteObservability(cfg, "")
	targets, rules = append(targets, airbyteTarget), append(rules, airbyteRules...)
	// The reflection-freshness bridge and its alerts (stacks/dremio_reflections.go).
	reflectionTarget, reflectionRules := reflectionObservability(cfg, "")
	targets, rules = append(targets, reflectionTarget), append(rules, reflectionRules...)
	// The rules and the dashboards (Grafana's, awsGrafana) whose every series AMP receives: Dremio's,
	// Airbyte's exporter's, the kubelet's volume statistics and kube-state-metrics'. The PostgreSQL and
	// object-store dashboards (CloudNativePG and MinIO series) drop out: RDS and S3 are on the
	// CloudWatch dashboard.
	declared := observability.Spec{Targets: targets, Rules: platform.Rules(platform.RulesArgs{
		AvailabilityPercent: cfg.Profile.AvailabilityPercent, RPO: cfg.Profile.RPO, JobsNamespace: cfg.Network.Namespaces.Jobs,
	}), Dashboards: append(platform.Dashboards(), airbyteDashboard, platform.VolumesDashboard())}.Declared(amp.ClusterMetrics(true)...)
	rules = append(rules, declared.Rules...)
	// kube-state-metrics is not one of the model's targets: without this rule its absence would only
	// silence the rules that read it.
	rules = append(rules, observability.AlertRule{
		Name: "KubeStateMetricsDown", Runbook: "kube-state-metrics-down", Severity: observability.Warning, For: 15 * time.Minute,
		Summary: "the collector has not scraped kube-state-metrics for 15 minutes: crash-loop, failed sync pod and Dremio executor alerts cannot fire",
		Expr:    `absent(up{job="kube-state-metrics"} == 1)`,
	})
	return observability.Spec{
		Targets:    targets,
		Rules:      rules,
		Dashboards: declared.Dashboards,
		Retention:  observability.Retention{Metrics: time.Duration(cfg.Observability.MetricsRetentionDays) * 24 * time.Hour},
	}
}

// awsObservability is the AWS rendering the foundation hands to Deploy: once the data services exist
// it creates kube-state-metrics (EKS add-on), the AMP workspace, collector, rules and Alertmanager,
// the SNS topic with the receiver, the CloudWatch alarms, RDS event subscription and dashboard of RDS
// and S3, and Container Insights (the EKS add-on shipping container logs to CloudWatch Logs); it
// leaves the foundation the hook that alarms on the edge certificate's expiry once the edge exists.
// Nil when observability is off.
func awsObservability(cfg *config.Platform, provider *aws.Provider, names Names, clusterName string, net *awsvpc.Network, c *eks.Cluster, f *Foundation) func(*pulumi.Context, *DataServices, []pulumi.Resource) (pulumi.Map, error) {
	if !cfg.Observability.On() {
		return nil
	}
	return func(ctx *pulumi.Context, data *DataServices, after []pulumi.Resource) (pulumi.Map, error) {
		prod := cfg.Environment == config.Prod
		r := cfg.Observability.Receiver
		receiver := amp.Receiver{Kind: observability.ReceiverKind(r.Kind), Email: r.To}
		if r.Kind == config.ReceiverWebhook {
			// observability.receiver.credential: a Pulumi secret; it stays one.
			receiver.WebhookURL = pulumi.ToSecret(pulumi.String(r.Credential)).(pulumi.StringOutput)
		}
		var buckets []amp.Bucket
		roles := make([]string, 0, len(data.Store.BucketNames))
		for b := range data.Store.BucketNames {
			roles = append(roles, string(b))
		}
		sort.Strings(roles)
		for _, role := range roles {
			buckets = append(buckets, amp.Bucket{Role: role, Name: data.Store.BucketNames[objectstore.Bucket(role)]})
		}
		// kube-state-metrics first: the collector's job for it and the rules on its series come with it.
		ksm, err := eksaddons.NewKubeStateMetrics(ctx, "kube-state-metrics", &eksaddons.KubeStateMetricsArgs{
			Cluster: c.Name, KubernetesVersion: c.KubernetesVersion, Provider: c.Provider, Tags: tags(cfg),
		}, pulumi.Provider(provider))
		if err != nil {
			return nil, fmt.Errorf("kube-state-metrics: %w", err)
		}
		spec := awsObservabilitySpec(cfg)
		obs, err := amp.New(ctx, "observability", &amp.Args{
			Name: names.Base, Spec: spec, RunbookBase: cfg.Observability.DocsBaseURL,
			ClusterName: clusterName, Cluster: c.Name,
			// The cluster's private subnets (the nodes' and the API endpoint's) and the EKS cluster
			// security group, which every node carries and which admits its own members.
			SubnetIDs: net.PrivateSubnetIDs, SecurityGroupIDs: pulumi.StringArray{c.ClusterSecurityGroupID},
			// After: the add-on too, which creates the namespace its NetworkPolicy goes in.
			CollectorCIDRs: net.PrivateCIDRs, KubernetesProvider: c.Provider, After: append(append([]pulumi.Resource{}, after...), ksm.Addon),
			KubeStateMetricsNamespace: ksm.Namespace, Region: cfg.Region, LogRetentionDays: cfg.Network.FlowLogRetentionDays, Receiver: receiver,
			// rds.NewMetadataDB's identifier in awsData.
			Database: &amp.Database{
				Identifier: names.Base + "-metadata", InstanceClass: cfg.MetadataDB.InstanceClass,
				AllocatedStorageGiB: cfg.MetadataDB.StorageGiB, MaxAllocatedStorageGiB: cfg.MetadataDB.MaxStorageGiB,
				Ready: data.DBReady, // the role bootstrap, which waits for the instance
				// The dashboard's transaction-rate and cache-hit widgets (amp perfinsights.go).
				PerformanceInsights: cfg.MetadataDB.PerformanceInsights, ResourceID: data.ManagedDBID,
			},
			Buckets: buckets, Tags: tags(cfg), Protect: prod,
		}, pulumi.Provider(provider))
		if err != nil {
			return nil, err
		}
		// The edge (created after this) hands its ACM certificate over for the expiry alarm.
		f.watchEdgeCertificate = func(ctx *pulumi.Context, arn pulumi.StringOutput) error {
			return obs.WatchCertificate(ctx, "edge", arn)
		}
		grafana, err := awsGrafana(ctx, cfg, provider, clusterName, c, f, obs, spec)
		if err != nil {
			return nil, err
		}
		insights, err := eksaddons.NewContainerInsights(ctx, "container-insights", &eksaddons.ContainerInsightsArgs{
			ClusterName: clusterName, Cluster: c.Name, KubernetesVersion: c.KubernetesVersion,
			RetentionDays: cfg.Network.FlowLogRetentionDays, KMSKeyARN: obs.KMSKeyARN, Provider: c.Provider, Tags: tags(cfg),
		}, pulumi.Provider(provider))
		if err != nil {
			return nil, fmt.Errorf("container insights: %w", err)
		}
		console := "https://" + cfg.Region + ".console.aws.amazon.com/cloudwatch/home?region=" + cfg.Region
		out := pulumi.Map{
			"enabled":            pulumi.Bool(true),
			"prometheusEndpoint": obs.PrometheusEndpoint,
			"workspaceId":        obs.WorkspaceID,
			"alertTopicArn":      obs.TopicARN,
			"receiver":           obs.Receiver,
			"alarms":             pulumi.ToStringArray(obs.Alarms),
			"dashboardUrl":       pulumi.String(console + "#dashboards/dashboard/" + obs.DashboardName),
			"logGroups":          pulumi.ToStringArray(insights.LogGroups),
		}
		for k, v := range grafanaExports(cfg, grafana) {
			out[k] = v
		}
		return out, nil
	}
}
