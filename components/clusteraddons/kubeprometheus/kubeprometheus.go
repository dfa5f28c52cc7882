// Package kubeprometheus renders the observability model (components/observability) on the kubernetes
// target: kube-prometheus-stack (the Prometheus operator, Prometheus, Alertmanager, kube-state-metrics,
// node-exporter and Grafana) in its own namespace, one PodMonitor and one NetworkPolicy per scrape
// target, the alert rules as a PrometheusRule, the dashboards as ConfigMaps Grafana's sidecar loads,
// and Grafana's route for the edge.
//
// The chart is pinned (prometheus-community/helm-charts charts/kube-prometheus-stack/Chart.yaml:
// version 88.5.3, appVersion v0.93.1 — the operator; dependencies kube-state-metrics 8.4.0,
// prometheus-node-exporter 4.56.1, grafana 12.11.1). The custom resources follow the CRDs of
// prometheus-operator v0.93.1 (example/prometheus-operator-crd/, pinned in internal/apicheck/crds.txt).
package kubeprometheus

import (
	"fmt"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"

	apiextensions "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// Type is the component's type token.
const Type = "dataplatform:clusteraddons:KubePrometheusStack"

const (
	ChartRepo    = "https://prometheus-community.github.io/helm-charts"
	ChartName    = "kube-prometheus-stack"
	ChartVersion = "88.5.3"
	// Namespace holds the stack.
	Namespace = "monitoring"
	release   = "kube-prometheus-stack"
	// GrafanaService is Grafana's Service (grafana.fullnameOverride); GrafanaPort its port, set equal
	// to the container port 3000 (grafana.service.port), because the edge's egress NetworkPolicy opens
	// the route's port and NetworkPolicies match the destination pod's port.
	GrafanaService       = "grafana"
	GrafanaPort          = grafanaContainerPort
	grafanaContainerPort = 3000
	// GrafanaHost is the label Grafana is served under: https://grafana.<domain>.
	GrafanaHost = "grafana"
	// DashboardLabel marks the ConfigMaps the Grafana sidecar loads (values.yaml grafana.sidecar.
	// dashboards.label, value "1").
	DashboardLabel = "grafana_dashboard"
	// DatasourceUID is the uid of the Prometheus datasource the chart provisions
	// (grafana.sidecar.datasources.uid).
	DatasourceUID = "prometheus"
	// grafanaAdminSecret holds "admin-user" and "admin-password" in Namespace.
	grafanaAdminSecret = "grafana-admin"
	monitoringAPI      = "monitoring.coreos.com/v1"
)

// Args are the inputs of the stack.
type Args struct {
	// Spec is the model to render; validated before anything is registered.
	Spec observability.Spec
	// Domain is dataplatform:domain: Grafana's root URL and route host. Empty: no route.
	Domain string
	// EdgeNamespace is where the edge's proxies run; admitted to Grafana. Empty: no route.
	EdgeNamespace string
	// EdgeCIDRs are address ranges a cloud load balancer reaches Grafana's pods from directly (Azure
	// Application Gateway for Containers' subnet); admitted to Grafana beside EdgeNamespace.
	EdgeCIDRs []string
	// HighAvailability runs two Prometheus and two Alertmanager replicas with PodDisruptionBudgets.
	HighAvailability bool
	// StorageClass backs Prometheus and Alertmanager; empty: the cluster's default.
	StorageClass string
	// PrometheusStorageGiB sizes each Prometheus replica's volume (≥ 10).
	PrometheusStorageGiB int
	// Secrets is the target's store: Grafana's admin credential is written to it and materialized
	// in Namespace. nil creates a plain Secret.
	Secrets *secrets.Store
	// ReceiverCredential is the receiver's secret (the SMTP password or the webhook URL), required
	// when Spec.Receiver names one: written to Secrets and materialized as the Secret the receiver
	// names (Spec.Receiver.Password / URL) in Namespace before the chart, so Alertmanager, which
	// mounts it, starts on the first `up`.
	ReceiverCredential pulumi.StringInput
	// RunbookBase makes each alert's runbook_url absolute: <RunbookBase>/docs/runbook-alerts.md#…
	// (observability.docsBaseUrl). Empty: repository-relative links.
	RunbookBase string
	// After are resources the monitors wait for (the targets' namespaces).
	After []pulumi.Resource
	// Scheduling places the pods on the workload pool.
	Scheduling cluster.Scheduling
	// Labels are added to the platform's own objects.
	Labels map[string]string
	// Protect protects the stateful leaves: the namespace (it holds the metrics volumes) and the
	// generated Grafana admin password.
	Protect bool
	// APIServerCIDRs are the API server's endpoints the namespace's pods may reach on 443/6443
	// (network.apiServerCidrs); empty admits those ports at any address.
	APIServerCIDRs []string
	// WebhookPort is the port of the webhook receiver's URL (the URL is a secret the component never
	// reads): Alertmanager's egress. 0: 443.
	WebhookPort int
	// AzureMonitor gives Grafana the Azure Monitor datasource under workload identity and its
	// dashboards (azuremonitor.go); nil: none.
	AzureMonitor *AzureMonitor
}

// KubePrometheusStack is the component.
type KubePrometheusStack struct {
	pulumi.ResourceState

	// Chart is the release.
	Chart *helmv4.Chart
	// Routes are Grafana's route for the edge (none without a domain).
	Routes []edge.Route
	// GrafanaAdminSecret is the Secret (Namespace) with Grafana's admin user and password.
	GrafanaAdminSecret pulumi.StringOutput
	// NamespaceResource is the monitoring namespace: what an edge's route beside Grafana waits for.
	NamespaceResource pulumi.Resource
}

func (a *Args) validate() error {
	if err := a.Spec.Validate(); err != nil {
		return err
	}
	if a.PrometheusStorageGiB < 10 {
		return fmt.Errorf("kubeprometheus: PrometheusStorageGiB = %d; must be ≥ 10", a.PrometheusStorageGiB)
	}
	if (a.Domain == "") != (a.EdgeNamespace == "") {
		return fmt.Errorf("kubeprometheus: Domain %q and EdgeNamespace %q go together (Grafana's route)", a.Domain, a.EdgeNamespace)
	}
	if len(receiverSecrets(a.Spec.Receiver)) > 0 && a.ReceiverCredential == nil {
		return fmt.Errorf("kubeprometheus: the %s receiver needs ReceiverCredential (observability.receiver.credential)", a.Spec.Receiver.Kind)
	}
	if err := k8snet.ValidateCIDRs("kubeprometheus: APIServerCIDRs", a.APIServerCIDRs); err != nil {
		return err
	}
	if _, err := ReceiverPort(a.Spec.Receiver, a.WebhookPort); err != nil {
		return err
	}
	if m := a.AzureMonitor; m != nil {
		if err := m.validate(); err != nil {
			return err
		}
	}
	for _, t := range a.Spec.Targets {
		if t.Namespace == Namespace {
			return fmt.Errorf("kubeprometheus: target %q runs in %q, the monitoring namespace", t.Name, Namespace)
		}
	}
	return nil
}

// New installs the stack and renders the model.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*KubePrometheusStack, error) {
	if args == nil {
		return nil, fmt.Errorf("kubeprometheus: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	spec := args.Spec.WithDefaults()
	comp := &KubePrometheusStack{}
	if err := ctx.RegisterComponentResourceV2(Type, name, pulumi.Map{
		"chartVersion": pulumi.String(ChartVersion), "retention": pulumi.String(observability.Duration(spec.Retention.Metrics)),
		"targets": pulumi.Int(len(spec.Targets)), "rules": pulumi.Int(len(spec.Rules)), "dashboards": pulumi.Int(len(spec.Dashboards)),
	}, comp, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	labels := k8snet.PartOfLabels(args.Labels)
	// The namespace holds Prometheus's and Alertmanager's volumes (deleting it deletes them): a
	// stateful leaf, protected with Protect. node-exporter runs with hostNetwork, hostPID and
	// hostPath mounts (the sub-chart's DaemonSet), which only the privileged Pod Security level admits.
	stateful := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(args.Protect))
	ns, err := k8snet.NewAddonNamespace(ctx, name+"-namespace", Namespace, "privileged", labels, stateful)
	if err != nil {
		return nil, err
	}
	nsName := ns.Metadata.Name().Elem()
	comp.NamespaceResource = ns

	admin, err := grafanaAdmin(ctx, name, args, nsName, child, stateful)
	if err != nil {
		return nil, err
	}
	policies, err := namespacePolicies(ctx, name, args, nsName, labels, child)
	if err != nil {
		return nil, err
	}
	egress, err := egressPolicies(ctx, name, args, spec, nsName, labels, child)
	if err != nil {
		return nil, err
	}
	deps := append(append([]pulumi.Resource{admin.Resource}, policies...), egress...)
	azurePolicy, err := azureMonitorPolicy(ctx, name, args.AzureMonitor, nsName, labels, child)
	if err != nil {
		return nil, err
	}
	deps = append(deps, azurePolicy...)
	if receiver, err := receiverSecret(ctx, name, args, spec.Receiver, nsName, child); err != nil {
		return nil, err
	} else if receiver != nil {
		deps = append(deps, receiver.Resource)
	}
	comp.Chart, err = helmv4.NewChart(ctx, name+"-chart", &helmv4.ChartArgs{
		Chart:          pulumi.String(ChartName),
		Version:        pulumi.String(ChartVersion),
		RepositoryOpts: &helmv4.RepositoryOptsArgs{Repo: pulumi.String(ChartRepo)},
		Name:           pulumi.String(release),
		Namespace:      nsName,
		Values:         values(args, spec),
	}, child, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	// The custom resources need the chart's CRDs; the targets' objects need their namespaces.
	after := pulumi.DependsOn(append([]pulumi.Resource{comp.Chart}, args.After...))
	if err := monitors(ctx, name, spec, labels, child, after); err != nil {
		return nil, err
	}
	if err := rulesAndDashboards(ctx, name, spec, args.RunbookBase, nsName, labels, child, after); err != nil {
		return nil, err
	}
	if err := azureMonitorDashboards(ctx, name, args.AzureMonitor, nsName, labels, child, after); err != nil {
		return nil, err
	}
	if args.Domain != "" {
		comp.Routes = []edge.Route{{Name: "grafana", Host: GrafanaHost, Service: GrafanaService, Namespace: Namespace, Port: GrafanaPort, Protocol: edge.HTTP}}
	}
	comp.GrafanaAdminSecret = admin.Name
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"namespace": nsName, "grafanaAdminSecret": admin.Name}); err != nil {
		return nil, err
	}
	return comp, nil
}

// grafanaAdmin generates Grafana's admin password, writes it to the store and materializes the
// Secret the chart reads (grafana.admin.existingSecret).
func grafanaAdmin(ctx *pulumi.Context, name string, a *Args, ns pulumi.StringOutput, child, stateful pulumi.ResourceOption) (*secrets.Materialized, error) {
	pw, err := random.NewRandomPassword(ctx, name+"-grafana-admin-password", &random.RandomPasswordArgs{
		Length: pulumi.Int(32), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4),
	}, stateful)
	if err != nil {
		return nil, err
	}
	cred, err := a.Secrets.Put(ctx, name+"-grafana-admin", "grafana-admin", map[string]pulumi.StringInput{
		"username": pulumi.String("admin"), "password": pw.Result,
	}, child)
	if err != nil {
		return nil, err
	}
	return a.Secrets.Materialize(ctx, name+"-grafana-admin-secret", secrets.Secret{
		Name: grafanaAdminSecret, Namespace: ns, Type: "Opaque", Labels: stringLabels(a.Labels),
		Data: map[string]secrets.Ref{"admin-user": cred.Ref("username"), "admin-password": cred.Ref("password")},
	}, child)
}

// receiverSecret writes the receiver's credential to the store and materializes the Secret
// Alertmanager mounts (alertmanagerSpec.secrets); nil without a receiver secret.
func receiverSecret(ctx *pulumi.Context, name string, a *Args, r observability.Receiver, ns pulumi.StringOutput, child pulumi.ResourceOption) (*secrets.Materialized, error) {
	ref := r.URL
	if r.Kind == observability.Email {
		ref = r.Password
	}
	if len(receiverSecrets(r)) == 0 {
		return nil, nil
	}
	cred, err := a.Secrets.Put(ctx, name+"-alert-receiver", "alert-receiver", map[string]pulumi.StringInput{
		"credential": pulumi.ToSecret(a.ReceiverCredential).(pulumi.StringOutput),
	}, child)
	if err != nil {
		return nil, err
	}
	return a.Secrets.Materialize(ctx, name+"-alert-receiver-secret", secrets.Secret{
		Name: ref.Name, Namespace: ns, Type: "Opaque", Labels: stringLabels(a.Labels),
		Data: map[string]secrets.Ref{ref.Key: cred.Ref("credential")},
	}, child)
}

func stringLabels(extra map[string]string) map[string]string {
	out := map[string]string{"app.kubernetes.io/part-of": "dataplatform", "app.kubernetes.io/managed-by": "pulumi"}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// monitors renders one PodMonitor per target, in the target's namespace (a PodMonitor reads its
// Secrets from its own namespace), and the NetworkPolicy that admits Prometheus there.
func monitors(ctx *pulumi.Context, name string, spec observability.Spec, labels pulumi.StringMap, child, after pulumi.ResourceOption) error {
	for _, t := range spec.Targets {
		if _, err := apiextensions.NewCustomResource(ctx, name+"-"+t.Name+"-podmonitor", &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String(monitoringAPI),
			Kind:       pulumi.String("PodMonitor"),
			Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(t.Name), Namespace: pulumi.String(t.Namespace), Labels: labels},
			OtherFields: map[string]any{"spec": map[string]any{
				"selector":            map[string]any{"matchLabels": t.Selector},
				"podMetricsEndpoints": []any{endpoint(t)},
			}},
		}, child, after); err != nil {
			return err
		}
		if err := admitPrometheus(ctx, name, t, labels, child, after); err != nil {
			return err
		}
	}
	return nil
}

// endpoint is a PodMetricsEndpoint (prometheus-operator v0.93.1 monitoring.coreos.com_podmonitors.yaml:
// port, path, scheme http|https, interval, authorization {type, credentials {name, key}} — the
// replacement of the deprecated bearerTokenSecret —, tlsConfig {ca {secret {name, key}}, serverName}).
func endpoint(t observability.ScrapeTarget) map[string]any {
	ep := map[string]any{
		"port": t.Port, "path": t.Path, "scheme": string(t.Scheme), "interval": observability.Duration(t.Interval),
	}
	if !t.BearerToken.IsZero() {
		ep["authorization"] = map[string]any{"type": "Bearer", "credentials": map[string]any{"name": t.BearerToken.Name, "key": t.BearerToken.Key}}
	}
	if t.TLS != nil {
		tls := map[string]any{"ca": map[string]any{"secret": map[string]any{"name": t.TLS.CA.Name, "key": t.TLS.CA.Key}}}
		if t.TLS.ServerName != "" {
			tls["serverName"] = t.TLS.ServerName
		}
		ep["tlsConfig"] = tls
	}
	return ep
}
