package amp

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/opendataplatform/dataplatform/components/observability"
)

// The managed collector's limits (Amazon Managed Service for Prometheus user guide,
// AMP-collector-how-to.md "Scraper configuration"): only <global>, <scrape_config>, <static_config>,
// <relabel_config>, <metric_relabel_configs> and <kubernetes_sd_config>; no scrape interval under 30
// seconds; authorization only as the collector's own token file, so no credentials of the model's
// (Secret keys) can be handed to it; the only host name it resolves is kubernetes.default.svc.
const (
	// MinInterval is the collector's shortest scrape interval.
	MinInterval = 30 * time.Second
	// tokenFile is the one credential the collector accepts.
	tokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"
)

// KubeletMetrics are the kubelet series the scrape configuration keeps (the kubelet's volume
// statistics, kubernetes pkg/kubelet/metrics/collectors/volume_stats.go), scraped through the API
// server's node proxy as in the guide's cadvisor sample job. Everything else the kubelet exports is
// dropped before it is written (AMP bills per sample ingested).
var KubeletMetrics = []observability.Metric{
	{Name: "kubelet_volume_stats_available_bytes", Source: "kubernetes pkg/kubelet/metrics/collectors/volume_stats.go"},
	{Name: "kubelet_volume_stats_capacity_bytes", Source: "kubernetes pkg/kubelet/metrics/collectors/volume_stats.go"},
}

// KubeStateMetrics are the kube-state-metrics series the scrape configuration keeps (the ones the
// platform's rules name; everything else kube-state-metrics exports is dropped before it is written,
// AMP bills per sample). Names: kube-state-metrics internal/store/pod.go and statefulset.go, the same
// in every v2 release (the EKS community add-on ships the v2 line, EKS user guide
// community-addons.adoc "v2.14.0-eksbuild.1"; the kubernetes target pins v2.20.0, platform.ClusterMetrics).
var KubeStateMetrics = []observability.Metric{
	{Name: "kube_pod_status_phase", Source: "kube-state-metrics internal/store/pod.go"},
	{Name: "kube_pod_container_status_waiting_reason", Source: "kube-state-metrics internal/store/pod.go"},
	{Name: "kube_pod_container_status_restarts_total", Source: "kube-state-metrics internal/store/pod.go"},
	{Name: "kube_statefulset_replicas", Source: "kube-state-metrics internal/store/statefulset.go"},
	{Name: "kube_statefulset_status_replicas_ready", Source: "kube-state-metrics internal/store/statefulset.go"},
}

// KubeStateMetricsPort is the port kube-state-metrics serves the object metrics on (kube-state-metrics
// docs/developer/cli-arguments.md: "--port int Port to expose metrics on. (default 8080)"; its own
// telemetry is on --telemetry-port, 8081, which the job does not keep).
const KubeStateMetricsPort = 8080

// ClusterMetrics are the series the collector writes besides the targets' own: `up` for every scrape
// (the guide's "Troubleshooting scraper configuration": "for each endpoint that an Amazon Managed
// Service for Prometheus collector discovers, it automatically vends this metric"), the kubelet's,
// and with kubeStateMetrics those of kube-state-metrics.
func ClusterMetrics(kubeStateMetrics bool) []observability.Metric {
	out := append([]observability.Metric{{Name: "up", Source: "AMP managed collector (synthetic per scrape)"}}, KubeletMetrics...)
	if kubeStateMetrics {
		out = append(out, KubeStateMetrics...)
	}
	return out
}

// JobName is the job label of a target's series: "<namespace>/<name>", the label a PodMonitor gives
// on the kubernetes target (prometheus-operator generatePodMonitorConfig), so the platform's rules
// select the same series on both.
func JobName(t observability.ScrapeTarget) string { return t.Namespace + "/" + t.Name }

var invalidLabelChar = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// podLabel is the meta label Prometheus' Kubernetes discovery sets for a pod label: "Any invalid
// characters in label names are replaced by underscores" (prometheus docs/configuration/
// configuration.md <kubernetes_sd_config>, role pod: __meta_kubernetes_pod_label_<labelname>).
func podLabel(key string) string {
	return "__meta_kubernetes_pod_label_" + invalidLabelChar.ReplaceAllString(key, "_")
}

// ScrapeConfiguration renders the Spec's targets as the collector's Prometheus configuration, plus
// the kubelet job and, when ksmNamespace is set, the kube-state-metrics job on the pods of that
// namespace, with the cluster's name as an external label. It refuses what the collector cannot do:
// https targets (their CA is a Kubernetes Secret), bearer tokens, intervals under 30 s; and rules or
// dashboards naming a series nothing here writes (they would never fire).
func ScrapeConfiguration(spec observability.Spec, clusterName, ksmNamespace string) (string, error) {
	if err := spec.Validate(); err != nil {
		return "", err
	}
	if u := spec.Undeclared(ClusterMetrics(ksmNamespace != "")...); len(u) > 0 {
		return "", fmt.Errorf("amp: the Spec names series the collector does not write (kube-state-metrics on: %t): %s", ksmNamespace != "", strings.Join(u, "; "))
	}
	spec = spec.WithDefaults()
	jobs := []map[string]any{}
	for i, t := range spec.Targets {
		at := fmt.Sprintf("amp: Targets[%d] (%s)", i, t.Name)
		switch {
		case t.Scheme != observability.HTTP:
			return "", fmt.Errorf("%s: Scheme = %q: the managed collector scrapes http targets only (it cannot read a CA from a Kubernetes Secret)", at, t.Scheme)
		case !t.BearerToken.IsZero():
			return "", fmt.Errorf("%s: BearerToken = %s/%s: the managed collector sends no credential but its own service-account token", at, t.BearerToken.Name, t.BearerToken.Key)
		case t.Interval < MinInterval:
			return "", fmt.Errorf("%s: Interval = %s: the managed collector scrapes at most every %s", at, t.Interval, MinInterval)
		}
		keys := make([]string, 0, len(t.Selector))
		for k := range t.Selector {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		relabel := []map[string]any{}
		for _, k := range keys {
			relabel = append(relabel, map[string]any{"action": "keep", "source_labels": []string{podLabel(k)}, "regex": regexp.QuoteMeta(t.Selector[k])})
		}
		relabel = append(relabel,
			// The named container port, as a PodMonitor's port: selects the pod's metrics endpoint.
			map[string]any{"action": "keep", "source_labels": []string{"__meta_kubernetes_pod_container_port_name"}, "regex": regexp.QuoteMeta(t.Port)},
			// Pods that are not running answer nothing; they would only flap `up`.
			map[string]any{"action": "drop", "source_labels": []string{"__meta_kubernetes_pod_phase"}, "regex": "Pending|Succeeded|Failed"},
			map[string]any{"action": "replace", "source_labels": []string{"__meta_kubernetes_namespace"}, "target_label": "namespace"},
			map[string]any{"action": "replace", "source_labels": []string{"__meta_kubernetes_pod_name"}, "target_label": "pod"},
			map[string]any{"action": "replace", "source_labels": []string{"__meta_kubernetes_pod_container_name"}, "target_label": "container"},
		)
		jobs = append(jobs, map[string]any{
			"job_name":        JobName(t),
			"scrape_interval": observability.Duration(t.Interval),
			"metrics_path":    t.Path,
			"scheme":          string(t.Scheme),
			"kubernetes_sd_configs": []map[string]any{{
				"role": "pod", "namespaces": map[string]any{"names": []string{t.Namespace}},
			}},
			"relabel_configs": relabel,
		})
	}
	keep := []string{}
	for _, m := range KubeletMetrics {
		keep = append(keep, m.Name)
	}
	// The guide's sample cadvisor job, on the kubelet's /metrics instead of /metrics/cadvisor: the
	// API server proxies to every node (nodes/proxy, which the scraper's access entry policy grants).
	jobs = append(jobs, map[string]any{
		"job_name":              "kubelet",
		"scheme":                "https",
		"authorization":         map[string]any{"type": "Bearer", "credentials_file": tokenFile},
		"kubernetes_sd_configs": []map[string]any{{"role": "node"}},
		"relabel_configs": []map[string]any{
			{"action": "replace", "target_label": "__address__", "replacement": "kubernetes.default.svc:443"},
			{"action": "replace", "source_labels": []string{"__meta_kubernetes_node_name"}, "regex": "(.+)", "target_label": "__metrics_path__", "replacement": "/api/v1/nodes/$1/proxy/metrics"},
			{"action": "replace", "source_labels": []string{"__meta_kubernetes_node_name"}, "target_label": "node"},
		},
		"metric_relabel_configs": []map[string]any{
			{"action": "keep", "source_labels": []string{"__name__"}, "regex": strings.Join(keep, "|")},
		},
	})
	if ksmNamespace != "" {
		jobs = append(jobs, kubeStateMetricsJob(ksmNamespace))
	}
	b, err := yaml.Marshal(map[string]any{
		"global": map[string]any{
			"scrape_interval": observability.Duration(MinInterval),
			"external_labels": map[string]string{"cluster": clusterName},
		},
		"scrape_configs": jobs,
	})
	return string(b), err
}

// kubeStateMetricsJob scrapes kube-state-metrics' pods in namespace ns on KubeStateMetricsPort and
// keeps only KubeStateMetrics. It selects by namespace and port number, not by pod labels or port
// name, which the EKS add-on does not document (community-addons.adoc documents its namespace). It
// sets no namespace or pod target labels: kube-state-metrics' series carry the namespace and pod of
// the object they describe, which the rules select on; with honor_labels off (the default) a target
// label of the same name would rename them exported_namespace and exported_pod (prometheus
// docs/configuration/configuration.md <scrape_config> honor_labels).
func kubeStateMetricsJob(ns string) map[string]any {
	keep := []string{}
	for _, m := range KubeStateMetrics {
		keep = append(keep, m.Name)
	}
	return map[string]any{
		"job_name":        "kube-state-metrics",
		"scrape_interval": observability.Duration(MinInterval),
		"metrics_path":    "/metrics",
		"scheme":          "http",
		"kubernetes_sd_configs": []map[string]any{{
			"role": "pod", "namespaces": map[string]any{"names": []string{ns}},
		}},
		"relabel_configs": []map[string]any{
			{"action": "keep", "source_labels": []string{"__meta_kubernetes_pod_container_port_number"}, "regex": fmt.Sprint(KubeStateMetricsPort)},
			{"action": "drop", "source_labels": []string{"__meta_kubernetes_pod_phase"}, "regex": "Pending|Succeeded|Failed"},
		},
		"metric_relabel_configs": []map[string]any{
			{"action": "keep", "source_labels": []string{"__name__"}, "regex": strings.Join(keep, "|")},
		},
	}
}

// RuleNamespaceData renders the Spec's alert rules as a rule group namespace's data: a Prometheus
// rule file (AMP-Ruler.md: "the same format as a rules file in Prometheus"), one group named group.
func RuleNamespaceData(spec observability.Spec, group, runbookBase string) (string, error) {
	groups := spec.RuleGroups(group, runbookBase)
	if len(groups) == 0 {
		return "", fmt.Errorf("amp: the Spec has no alert rules: a rule group namespace needs at least one")
	}
	b, err := yaml.Marshal(map[string]any{"groups": groups})
	return string(b), err
}

// AlertManagerDefinition routes every alert to the SNS topic (AMP-alertmanager-receiver-config.md:
// the only receiver type AMP's Alertmanager supports is SNS, sns_configs with topic_arn and the
// sigv4 region of the topic; the SNS message carries Alertmanager's default subject and body, which
// hold each alert's summary and runbook_url annotations). Critical alerts repeat every hour, the
// others every 4 hours; resolved notifications are sent too.
func AlertManagerDefinition(topicARN, region string) (string, error) {
	sns := map[string]any{"topic_arn": topicARN, "send_resolved": true, "sigv4": map[string]any{"region": region}}
	config := map[string]any{
		"route": map[string]any{
			"receiver": "sns", "group_by": []string{"alertname", "severity"},
			"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h",
			"routes": []map[string]any{{"match": map[string]string{"severity": "critical"}, "receiver": "sns", "repeat_interval": "1h"}},
		},
		"receivers": []map[string]any{{"name": "sns", "sns_configs": []map[string]any{sns}}},
	}
	inner, err := yaml.Marshal(config)
	if err != nil {
		return "", err
	}
	// The definition is a document whose alertmanager_config is the Alertmanager YAML as a string.
	b, err := yaml.Marshal(map[string]string{"alertmanager_config": string(inner)})
	return string(b), err
}
