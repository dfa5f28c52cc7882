package kubeprometheus

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/observability"
)

// Every key below is checked against prometheus-community/helm-charts@cf408a29
// charts/kube-prometheus-stack/values.yaml (chart 88.5.3) — line numbers of that file in brackets —
// and, for the grafana sub-chart (12.11.1), against the grafana section of the same file.

// alertmanagerSecretsDir is where the operator mounts alertmanagerSpec.secrets
// (prometheus-operator@v0.93.1 pkg/alertmanager/statefulset.go secretsDir; one directory per Secret).
const alertmanagerSecretsDir = "/etc/alertmanager/secrets"

// values renders the chart values.
func values(a *Args, spec observability.Spec) pulumi.Map {
	replicas := 1
	if a.HighAvailability {
		replicas = 2
	}
	place := a.Scheduling.PlaceValues
	res := cluster.ResourceValues
	pdb := func() pulumi.Map {
		return pulumi.Map{"enabled": pulumi.Bool(a.HighAvailability), "minAvailable": pulumi.Int(1)}
	}

	promSpec := place(pulumi.Map{
		// [4451–4546] *SelectorNilUsesHelmValues: true would select only monitors carrying the release
		// label; false selects every PodMonitor/ServiceMonitor/PrometheusRule in every namespace
		// (the namespace selectors default to {}).
		"ruleSelectorNilUsesHelmValues":           pulumi.Bool(false),
		"serviceMonitorSelectorNilUsesHelmValues": pulumi.Bool(false),
		"podMonitorSelectorNilUsesHelmValues":     pulumi.Bool(false),
		"probeSelectorNilUsesHelmValues":          pulumi.Bool(false),
		"scrapeConfigSelectorNilUsesHelmValues":   pulumi.Bool(false),
		// [4567] retention (default 10d) from the environment profile; [4571] retentionSize keeps the
		// volume from filling before the time limit does: 85 % of it.
		"retention":     pulumi.String(observability.Duration(spec.Retention.Metrics)),
		"retentionSize": pulumi.String(fmt.Sprintf("%dGB", a.PrometheusStorageGiB*85/100)),
		"replicas":      pulumi.Int(replicas), // [4589]
		"resources":     res("200m", "1Gi", "1", "4Gi"),
		// [4675] storageSpec: a volume claim per replica.
		"storageSpec": volumeClaim(a.StorageClass, a.PrometheusStorageGiB),
	})
	amSpec := place(pulumi.Map{
		"replicas":  pulumi.Int(replicas),                                 // [1116]
		"retention": pulumi.String("120h"),                                // [1121]
		"resources": res("20m", "64Mi", "200m", "256Mi"),                  // [1165]
		"storage":   volumeClaim(a.StorageClass, 2),                       // [1126]
		"secrets":   pulumi.ToStringArray(receiverSecrets(spec.Receiver)), // [1033]
	})

	out := pulumi.Map{
		"crds": pulumi.Map{"enabled": pulumi.Bool(true)}, // [34] the operator's CRDs, applied server-side by the provider
		"alertmanager": pulumi.Map{
			"alertmanagerSpec":    amSpec,
			"config":              alertmanagerConfig(spec.Receiver), // [553]
			"podDisruptionBudget": pdb(),                             // [512]
		},
		"prometheus": pulumi.Map{
			"prometheusSpec":      promSpec,
			"podDisruptionBudget": pdb(), // [3884]
		},
		"prometheusOperator": place(pulumi.Map{
			"resources": res("50m", "128Mi", "500m", "512Mi"), // [3412]
			// [3561] the config-reloader sidecar the operator adds to Prometheus and Alertmanager.
			"prometheusConfigReloader": pulumi.Map{"resources": res("10m", "32Mi", "100m", "64Mi")},
			// [2841] tls.enabled and [2869] admissionWebhooks.enabled: false. The operator's serving
			// certificate Secret "<release>-admission" is written only by the chart's hook Jobs
			// (templates/prometheus-operator/admission-webhooks/job-patch/job-createSecret.yaml,
			// helm.sh/hook: pre-install,pre-upgrade; job-patchWebhook.yaml fills the webhooks' caBundle,
			// post-install), and helm/v4 Chart renders no hooks (pulumi-kubernetes@v4.32.0
			// provider/pkg/provider/helm/v4/chart.go: cmd.DisableHooks = true). With tls on, the
			// operator's Deployment mounts that Secret (templates/prometheus-operator/deployment.yaml:
			// volumes tls-secret, not optional) and never starts. Off: the operator serves http on
			// 8080 (same template), no webhook configuration is rendered
			// (validatingWebhookConfiguration.yaml, mutatingWebhookConfiguration.yaml: `if and
			// .prometheusOperator.enabled .admissionWebhooks.enabled`), so nothing in the API server
			// calls a webhook without a CA. The rules the platform writes are checked by its tests
			// (components/observability) instead of the admission webhook.
			"tls":               pulumi.Map{"enabled": pulumi.Bool(false)},
			"admissionWebhooks": pulumi.Map{"enabled": pulumi.Bool(false)},
			// [3308] annotations: the Deployment's metadata.annotations (templates/prometheus-operator/
			// deployment.yaml); the operator is a single-replica controller (`replicas: 1` is fixed in
			// that template).
			"annotations": singleton("the Prometheus operator: one reconciling controller; the chart fixes replicas: 1"),
		}),
		// kube-state-metrics 8.4.0 values.yaml: replicas 1 (autosharding off), annotations → the
		// Deployment's metadata.annotations (templates/deployment.yaml).
		"kube-state-metrics": place(pulumi.Map{
			"resources":   res("20m", "64Mi", "200m", "256Mi"),
			"annotations": singleton("kube-state-metrics without autosharding: a second replica would export every series twice"),
		}),
		// node-exporter runs on every node, tolerating every taint (the sub-chart's default).
		"prometheus-node-exporter": pulumi.Map{"resources": res("20m", "32Mi", "200m", "128Mi")},
		"grafana":                  grafanaValues(a),
	}
	for k, v := range controlPlaneValues() {
		out[k] = v
	}
	return out
}

// SingletonAnnotation marks a Deployment that must run one replica; the policy pack's
// stateless-replicas rule exempts it when the value (the reason) is not empty
// (policy/policies/stack.go).
const SingletonAnnotation = "dataplatform.io/singleton"

func singleton(reason string) pulumi.Map {
	return pulumi.Map{SingletonAnnotation: pulumi.String(reason)}
}

// controlPlaneValues switch off what cannot work on the clusters the kubernetes target runs on
// (kind, kubeadm, k3s, and every managed control plane): the scrapes of the controller manager
// [2024], etcd [2325], the scheduler [2439] and kube-proxy [2578] (bound to 127.0.0.1 or hidden by
// the provider), whose default rules would page forever (TargetDown, KubeSchedulerDown,
// KubeControllerManagerDown, etcdMembersDown…), and the default rule groups [176–206] for them.
// The alerts the platform's own rules already raise (components/observability/platform/rules.go
// PodCrashLooping, VolumeFillingUp) are disabled by name [322] (defaultRules.disabled, read by
// templates/prometheus/rules-1.14/kubernetes-apps.yaml and kubernetes-storage.yaml); the rest of
// those groups (replica mismatches, failed Jobs, volume errors) stays. The API server, kubelet,
// CoreDNS, node-exporter, kube-state-metrics, Prometheus, Alertmanager and operator groups stay on:
// those targets are reachable everywhere.
func controlPlaneValues() pulumi.Map {
	off := pulumi.Map{"enabled": pulumi.Bool(false)}
	rules := pulumi.Map{}
	for _, g := range DisabledDefaultRules {
		rules[g] = pulumi.Bool(false)
	}
	disabled := pulumi.Map{}
	for _, a := range DuplicateDefaultAlerts {
		disabled[a] = pulumi.Bool(true)
	}
	return pulumi.Map{
		"kubeControllerManager": off, "kubeEtcd": off, "kubeScheduler": off, "kubeProxy": off,
		"defaultRules": pulumi.Map{"create": pulumi.Bool(true), "rules": rules, "disabled": disabled},
	}
}

// DisabledDefaultRules are the chart's defaultRules.rules groups switched off (values.yaml [176–206]).
var DisabledDefaultRules = []string{
	"etcd", "kubeControllerManager", "kubeSchedulerAlerting", "kubeSchedulerRecording", "kubeProxy", "windows",
}

// DuplicateDefaultAlerts are the chart's alerts the platform's rules replace.
var DuplicateDefaultAlerts = []string{"KubePodCrashLooping", "KubePersistentVolumeFillingUp"}

func volumeClaim(storageClass string, gib int) pulumi.Map {
	spec := pulumi.Map{
		"accessModes": pulumi.ToStringArray([]string{"ReadWriteOnce"}),
		"resources":   pulumi.Map{"requests": pulumi.Map{"storage": pulumi.String(fmt.Sprintf("%dGi", gib))}},
	}
	if storageClass != "" {
		spec["storageClassName"] = pulumi.String(storageClass)
	}
	return pulumi.Map{"volumeClaimTemplate": pulumi.Map{"spec": spec}}
}

// grafanaValues: the admin credential from an existing Secret (the store's), the dashboards sidecar
// reading ConfigMaps labelled grafana_dashboard=1 in every namespace, the Prometheus datasource with
// uid "prometheus" (DatasourceUID), served under https://grafana.<domain>.
func grafanaValues(a *Args) pulumi.Map {
	res := cluster.ResourceValues
	v := pulumi.Map{
		"fullnameOverride": pulumi.String(GrafanaService),
		// grafana 12.11.1 values.yaml service.port (80) in front of targetPort 3000: the Service port
		// is the container port, so the edge's egress rule (components/edge/envoygateway routes.go:
		// the route's Port, matched by NetworkPolicy against the destination pod's port) admits it.
		"service": pulumi.Map{"port": pulumi.Int(GrafanaPort), "targetPort": pulumi.Int(grafanaContainerPort)},
		// annotations → the Deployment's metadata.annotations (templates/deployment.yaml); replicas 1.
		"annotations": singleton("Grafana keeps users, sessions and settings in a local SQLite file (persistence off, no shared database): replicas would diverge"),
		"admin": pulumi.Map{
			"existingSecret": pulumi.String(grafanaAdminSecret),
			"userKey":        pulumi.String("admin-user"),
			"passwordKey":    pulumi.String("admin-password"),
		},
		"sidecar": pulumi.Map{
			"dashboards":  pulumi.Map{"enabled": pulumi.Bool(true), "label": pulumi.String(DashboardLabel), "labelValue": pulumi.String("1"), "searchNamespace": pulumi.String("ALL")},
			"datasources": pulumi.Map{"enabled": pulumi.Bool(true), "uid": pulumi.String(DatasourceUID)},
			"resources":   res("10m", "64Mi", "100m", "128Mi"),
		},
		"resources": res("50m", "128Mi", "500m", "512Mi"),
		"grafana.ini": pulumi.Map{
			"server":         pulumi.Map{"root_url": pulumi.String("https://" + GrafanaHost + "." + a.Domain + "/")},
			"analytics":      pulumi.Map{"reporting_enabled": pulumi.Bool(false), "check_for_updates": pulumi.Bool(false)},
			"users":          pulumi.Map{"allow_sign_up": pulumi.Bool(false)},
			"auth.anonymous": pulumi.Map{"enabled": pulumi.Bool(false)},
		},
	}
	if a.Domain == "" {
		delete(v["grafana.ini"].(pulumi.Map)["server"].(pulumi.Map), "root_url")
	}
	azureMonitorValues(a.AzureMonitor, v) // azuremonitor.go
	return a.Scheduling.PlaceValues(v)
}

// receiverSecrets are the Secrets Alertmanager mounts: the SMTP password's or the webhook URL's.
func receiverSecrets(r observability.Receiver) []string {
	switch {
	case r.Kind == observability.Email && !r.Password.IsZero():
		return []string{r.Password.Name}
	case r.Kind == observability.Webhook:
		return []string{r.URL.Name}
	}
	return []string{}
}

// alertmanagerConfig routes every alert to the platform's receiver, except Watchdog and
// InfoInhibitor (the chart's always-firing helpers, which its default config sends to "null").
// Secrets are read from files (prometheus-operator@v0.93.1 pkg/alertmanager/types.go emailConfig
// auth_password_file, webhookConfig url_file), never written into the config.
func alertmanagerConfig(r observability.Receiver) pulumi.Map {
	platform := pulumi.Map{"name": pulumi.String("platform")}
	file := func(ref observability.SecretRef) pulumi.String {
		return pulumi.String(alertmanagerSecretsDir + "/" + ref.Name + "/" + ref.Key)
	}
	switch r.Kind {
	case observability.Email:
		email := pulumi.Map{
			"to": pulumi.String(r.To), "from": pulumi.String(r.From), "smarthost": pulumi.String(r.Smarthost),
			"require_tls": pulumi.Bool(true), "send_resolved": pulumi.Bool(true),
		}
		if r.Username != "" {
			email["auth_username"] = pulumi.String(r.Username)
			email["auth_password_file"] = file(r.Password)
		}
		platform["email_configs"] = pulumi.Array{email}
	case observability.Webhook:
		platform["webhook_configs"] = pulumi.Array{pulumi.Map{"url_file": file(r.URL), "send_resolved": pulumi.Bool(true)}}
	}
	null := func(alert string) pulumi.Map {
		return pulumi.Map{"matchers": pulumi.ToStringArray([]string{"alertname = " + alert}), "receiver": pulumi.String("null")}
	}
	return pulumi.Map{
		"route": pulumi.Map{
			"receiver":        pulumi.String("platform"),
			"group_by":        pulumi.ToStringArray([]string{"namespace", "alertname"}),
			"group_wait":      pulumi.String("30s"),
			"group_interval":  pulumi.String("5m"),
			"repeat_interval": pulumi.String("4h"),
			"routes":          pulumi.Array{null("Watchdog"), null("InfoInhibitor")},
		},
		"receivers": pulumi.Array{pulumi.Map{"name": pulumi.String("null")}, platform},
	}
}
