package amp

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// Grafana on EKS: the platform's PromQL dashboards on AWS, read from the AMP workspace.
//
// Why in-cluster and not Amazon Managed Grafana: a managed workspace needs IAM Identity Center or a
// SAML identity provider (pulumi-aws@v6.83.4 sdk/go/aws/grafana/workspace.go: AuthenticationProviders
// "AWS_SSO" or "SAML", required), which a fresh account does not have.
//
// Why a SigV4 proxy beside Grafana and not Grafana's own signing: the chart pins Grafana 13.2.0
// (grafana-community/helm-charts@864f7794 charts/grafana/Chart.yaml: version 12.11.1, appVersion
// 13.2.0 — the grafana sub-chart kube-prometheus-stack 88.5.3 pins), and "using SigV4 authentication
// with the core Prometheus data source for Amazon Managed Service for Prometheus is deprecated. In
// Grafana 13, the migration to the dedicated Amazon Managed Service for Prometheus data source is
// automatic" (grafana docs datasources/prometheus/configure/aws-authentication, "What changed in
// Grafana 13": the prometheusTypeMigration toggle is on by default). That plugin
// (grafana-amazonprometheus-datasource) is not bundled: it would be downloaded from grafana.com at
// every start. So Grafana's core Prometheus data source, without SigV4, queries
// aws-sigv4-proxy on localhost, which signs each request for the "aps" service with the pod's
// credentials and forwards it to the workspace's endpoint.
//
// Identity: EKS Pod Identity. aws-sigv4-proxy v1.11.1 builds with aws-sdk-go v1.55.7
// (awslabs/aws-sigv4-proxy@ed72b374 go.mod), whose default chain reads
// AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE and admits the EKS
// Pod Identity agent's 169.254.170.23 and fd00:ec2::23 (vendor/github.com/aws/aws-sdk-go/aws/
// defaults/defaults.go httpProviderAuthFileEnvVar, eksContainerIPv4/IPv6) — at or above the minimum
// the EKS user guide names for Pod Identity with the Go v1 SDK (pod-id-minimum-sdk: 1.47.11).

// GrafanaType is the component's type token.
const GrafanaType = "dataplatform:aws:Grafana"

const (
	// GrafanaChartRepo, GrafanaChart and GrafanaChartVersion pin the chart: the grafana chart moved
	// from grafana/helm-charts to grafana-community/helm-charts, the repository kube-prometheus-stack
	// 88.5.3 takes it from (prometheus-community/helm-charts@cf408a29 charts/kube-prometheus-stack/
	// Chart.yaml dependencies: grafana 12.11.1, https://grafana-community.github.io/helm-charts).
	GrafanaChartRepo    = "https://grafana-community.github.io/helm-charts"
	GrafanaChart        = "grafana"
	GrafanaChartVersion = "12.11.1"
	// GrafanaNamespace holds Grafana, its dashboards and its admin Secret.
	GrafanaNamespace = "monitoring"
	// GrafanaService is Grafana's Service (fullnameOverride) and ServiceAccount; GrafanaPort its port,
	// set equal to the container port 3000 (values.yaml service.targetPort) because the ALB targets pod
	// addresses and NetworkPolicies match the destination pod's port.
	GrafanaService = "grafana"
	GrafanaPort    = 3000
	// GrafanaRoute and GrafanaHost name Grafana's route: https://grafana.<domain>.
	GrafanaRoute = "grafana"
	GrafanaHost  = "grafana"
	// GrafanaHealthPath answers 200 once Grafana serves (the chart's own readinessProbe, values.yaml
	// readinessProbe.httpGet.path): the ALB's health check.
	GrafanaHealthPath = "/api/health"
	// GrafanaDatasourceUID is the uid of the AMP data source every dashboard panel names.
	GrafanaDatasourceUID = "amp"
	// GrafanaDashboardLabel marks the ConfigMaps the dashboards sidecar loads (values.yaml
	// sidecar.dashboards.label).
	GrafanaDashboardLabel = "grafana_dashboard"
	// SigV4ProxyImage is aws-sigv4-proxy 1.11.1: the release workflow pushes
	// public.ecr.aws/aws-observability/aws-sigv4-proxy:<VERSION> (awslabs/aws-sigv4-proxy@ed72b374,
	// tag v1.11.1: .github/workflows/release.yaml PUBLIC_REGISTRY, PUBLIC_REPO, RELEASE_IMAGE_NAME;
	// VERSION "1.11.1").
	SigV4ProxyImage = "public.ecr.aws/aws-observability/aws-sigv4-proxy:1.11.1"
	// SigV4ProxyPort is where the proxy listens, on the pod's loopback only.
	SigV4ProxyPort = 8005
	// grafanaAdminSecret holds "admin-user" and "admin-password" in GrafanaNamespace.
	grafanaAdminSecret = "grafana-admin"
	grafanaRelease     = "grafana"
)

// GrafanaQueryActions are the actions of the AWS managed policy AmazonPrometheusQueryAccess (AWS
// managed policy reference: aps:GetLabels, aps:GetMetricMetadata, aps:GetSeries, aps:QueryMetrics),
// granted on the one workspace instead of "*".
var GrafanaQueryActions = []string{"aps:GetLabels", "aps:GetMetricMetadata", "aps:GetSeries", "aps:QueryMetrics"}

// GrafanaArgs configure Grafana.
type GrafanaArgs struct {
	// Dashboards are rendered as ConfigMaps the sidecar loads; every series they name must be one AMP
	// receives (the caller filters with Spec.Declared(ClusterMetrics(true)...)).
	Dashboards []observability.Dashboard
	// PrometheusEndpoint is the workspace's endpoint (https://aps-workspaces.<region>.amazonaws.com/
	// workspaces/<id>/, Observability.PrometheusEndpoint); WorkspaceARN the workspace the role may query.
	PrometheusEndpoint pulumi.StringInput
	WorkspaceARN       pulumi.StringInput
	// Region is the workspace's region: the proxy signs for it.
	Region string
	// ClusterName is the EKS cluster's name (the Pod Identity trust's condition); Cluster the same as
	// the cluster's output, so the association waits for the cluster.
	ClusterName string
	Cluster     pulumi.StringInput
	// KubernetesProvider reaches the cluster.
	KubernetesProvider pulumi.ProviderResource
	// Domain is dataplatform:domain with the edge on: Grafana's root URL and route host. Empty: no
	// route (reach Grafana with kubectl port-forward).
	Domain string
	// EdgeCIDRs are the load balancer's subnets, admitted to Grafana's port (required with Domain).
	EdgeCIDRs []string
	// Secrets is the target's store: the admin credential is written to it and materialized in
	// GrafanaNamespace. nil creates a plain Secret.
	Secrets *secrets.Store
	// Scheduling places the pod on the workload pool.
	Scheduling cluster.Scheduling
	// Tags are added to the AWS resources.
	Tags map[string]string
	// Protect protects the generated admin password.
	Protect bool
}

// Grafana is the component.
type Grafana struct {
	pulumi.ResourceState

	// Chart is the release.
	Chart *helmv4.Chart
	// Routes are Grafana's route for the edge (none without Domain); HealthCheckPaths the path the
	// edge checks per route.
	Routes           []edge.Route
	HealthCheckPaths map[string]string
	// AdminSecret is the Secret (GrafanaNamespace) with the admin user and password.
	AdminSecret pulumi.StringOutput
	// RoleARN is the role the proxy signs with.
	RoleARN pulumi.StringOutput
	// NamespaceResource is the namespace: what the edge's route beside Grafana waits for.
	NamespaceResource pulumi.Resource
}

var grafanaDomainRE = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$`)

func (a *GrafanaArgs) validate() error {
	if a == nil {
		return fmt.Errorf("amp: GrafanaArgs is nil")
	}
	switch {
	case a.PrometheusEndpoint == nil || a.WorkspaceARN == nil:
		return fmt.Errorf("amp: Grafana needs PrometheusEndpoint and WorkspaceARN (the workspace it reads)")
	case a.Region == "":
		return fmt.Errorf("amp: Grafana Region is empty: the workspace's region, which the proxy signs for")
	case a.ClusterName == "" || a.Cluster == nil:
		return fmt.Errorf("amp: Grafana ClusterName = %q, Cluster set = %t: both are required (Pod Identity)", a.ClusterName, a.Cluster != nil)
	case a.KubernetesProvider == nil:
		return fmt.Errorf("amp: Grafana KubernetesProvider is nil: pass the cluster's provider")
	case a.Domain != "" && !grafanaDomainRE.MatchString(a.Domain):
		return fmt.Errorf("amp: Grafana Domain = %q: a DNS name such as data.example.com", a.Domain)
	case (a.Domain == "") != (len(a.EdgeCIDRs) == 0):
		return fmt.Errorf("amp: Grafana Domain %q and EdgeCIDRs %v go together: the route and the load balancer's subnets it comes from", a.Domain, a.EdgeCIDRs)
	}
	if err := k8snet.ValidateCIDRs("amp: Grafana EdgeCIDRs", a.EdgeCIDRs); err != nil {
		return err
	}
	if err := (observability.Spec{Dashboards: a.Dashboards}).Validate(); err != nil {
		return fmt.Errorf("amp: Grafana dashboards: %w", err)
	}
	for _, d := range a.Dashboards {
		if _, err := d.GrafanaJSON(GrafanaDatasourceUID); err != nil {
			return fmt.Errorf("amp: Grafana dashboard %q: %w", d.UID, err)
		}
	}
	return nil
}

// NewGrafana installs Grafana with the AMP data source and the dashboards.
func NewGrafana(ctx *pulumi.Context, name string, args *GrafanaArgs, opts ...pulumi.ResourceOption) (*Grafana, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &Grafana{}
	if err := ctx.RegisterComponentResourceV2(GrafanaType, name, pulumi.Map{
		"chartVersion": pulumi.String(GrafanaChartVersion), "dashboards": pulumi.Int(len(args.Dashboards)),
		"domain": pulumi.String(args.Domain),
	}, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	k8s := pulumi.Composite(parent, pulumi.Provider(args.KubernetesProvider))
	labels := k8snet.PartOfLabels(nil)

	// Grafana keeps nothing the stack cannot rebuild (dashboards and data source are provisioned,
	// SQLite on an emptyDir): the namespace is not a stateful leaf. Every container runs as non-root
	// without privileges (the chart's securityContext and containerSecurityContext, the proxy's own),
	// so the namespace enforces the restricted Pod Security level.
	ns, err := k8snet.NewAddonNamespace(ctx, name+"-namespace", GrafanaNamespace, "restricted", labels, k8s)
	if err != nil {
		return nil, err
	}
	comp.NamespaceResource = ns
	nsName := ns.Metadata.Name().Elem()

	identity, err := grafanaIdentity(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}
	comp.RoleARN = identity.role
	admin, err := grafanaAdmin(ctx, name, args, nsName, k8s)
	if err != nil {
		return nil, err
	}
	policies, err := grafanaPolicies(ctx, name, args, nsName, labels, k8s)
	if err != nil {
		return nil, err
	}
	values, err := grafanaValues(args)
	if err != nil {
		return nil, err
	}
	// The association must exist before the pod is admitted (the Pod Identity webhook injects the
	// credentials then); the admin Secret before the container reads it; the egress policies before
	// the pod starts so its first queries are not dropped.
	deps := append([]pulumi.Resource{identity.association, identity.policy, admin.Resource}, policies...)
	comp.Chart, err = helmv4.NewChart(ctx, name+"-chart", &helmv4.ChartArgs{
		Chart:          pulumi.String(GrafanaChart),
		Version:        pulumi.String(GrafanaChartVersion),
		RepositoryOpts: &helmv4.RepositoryOptsArgs{Repo: pulumi.String(GrafanaChartRepo)},
		Name:           pulumi.String(grafanaRelease),
		Namespace:      nsName,
		Values:         values,
	}, k8s, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	for _, d := range args.Dashboards {
		doc, _ := d.GrafanaJSON(GrafanaDatasourceUID) // validated
		l := pulumi.StringMap{GrafanaDashboardLabel: pulumi.String("1")}
		for k, v := range labels {
			l[k] = v
		}
		if _, err := corev1.NewConfigMap(ctx, name+"-dashboard-"+d.UID, &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("dashboard-" + d.UID), Namespace: nsName, Labels: l},
			Data:     pulumi.StringMap{d.UID + ".json": pulumi.String(doc)},
		}, k8s); err != nil {
			return nil, err
		}
	}
	if args.Domain != "" {
		comp.Routes = []edge.Route{{Name: GrafanaRoute, Host: GrafanaHost, Service: GrafanaService, Namespace: GrafanaNamespace, Port: GrafanaPort, Protocol: edge.HTTP}}
		comp.HealthCheckPaths = map[string]string{GrafanaRoute: GrafanaHealthPath}
	}
	comp.AdminSecret = admin.Name
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"namespace": nsName, "adminSecret": admin.Name, "roleArn": identity.role,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// grafanaIdentityResult is the role the proxy signs with and what the pod waits for.
type grafanaIdentityResult struct {
	role                pulumi.StringOutput
	policy, association pulumi.Resource
}

// GrafanaQueryPolicy is the role's policy: the query actions on the workspace only.
func GrafanaQueryPolicy(workspaceARN string) awsiam.PolicyDocument {
	return awsiam.PolicyDocument{Version: "2012-10-17", Statement: []awsiam.Statement{{
		Effect: "Allow", Action: GrafanaQueryActions, Resource: []string{workspaceARN},
	}}}
}

// grafanaIdentity creates the role Grafana's ServiceAccount assumes through EKS Pod Identity, its
// query policy and the association.
func grafanaIdentity(ctx *pulumi.Context, name string, a *GrafanaArgs, parent pulumi.ResourceOrInvokeOption) (*grafanaIdentityResult, error) {
	account, err := aws.GetCallerIdentity(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("amp: reading the account: %w", err)
	}
	trust, err := json.Marshal(awsiam.PodIdentityTrust(account.AccountId, a.ClusterName, GrafanaNamespace, GrafanaService))
	if err != nil {
		return nil, err
	}
	tags := func(n string) pulumi.StringMap {
		m := pulumi.ToStringMap(a.Tags)
		m["Name"] = pulumi.String(n)
		return m
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:      pulumi.String("Grafana of EKS cluster " + a.ClusterName + ": queries its AMP workspace (Pod Identity)"),
		AssumeRolePolicy: pulumi.String(string(trust)),
		Tags:             tags(name + "-role"),
	}, parent)
	if err != nil {
		return nil, err
	}
	doc := a.WorkspaceARN.ToStringOutput().ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(GrafanaQueryPolicy(arn))
		return string(b), err
	}).(pulumi.StringOutput)
	rp, err := iam.NewRolePolicy(ctx, name+"-query-policy", &iam.RolePolicyArgs{Role: role.ID(), Policy: doc}, parent)
	if err != nil {
		return nil, err
	}
	assoc, err := eks.NewPodIdentityAssociation(ctx, name+"-pod-identity", &eks.PodIdentityAssociationArgs{
		ClusterName: a.Cluster, Namespace: pulumi.String(GrafanaNamespace), ServiceAccount: pulumi.String(GrafanaService),
		RoleArn: role.Arn, Tags: tags(name + "-pod-identity"),
	}, parent)
	if err != nil {
		return nil, err
	}
	return &grafanaIdentityResult{role: role.Arn, policy: rp, association: assoc}, nil
}

// grafanaAdmin generates the admin password, writes it to the store and materializes the Secret the
// chart reads (values.yaml admin.existingSecret, userKey, passwordKey).
func grafanaAdmin(ctx *pulumi.Context, name string, a *GrafanaArgs, ns pulumi.StringOutput, k8s pulumi.ResourceOption) (*secrets.Materialized, error) {
	pw, err := random.NewRandomPassword(ctx, name+"-admin-password", &random.RandomPasswordArgs{
		Length: pulumi.Int(32), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4),
	}, k8s, pulumi.Protect(a.Protect))
	if err != nil {
		return nil, err
	}
	cred, err := a.Secrets.Put(ctx, name+"-admin", "grafana-admin", map[string]pulumi.StringInput{
		"username": pulumi.String("admin"), "password": pw.Result,
	}, k8s)
	if err != nil {
		return nil, err
	}
	return a.Secrets.Materialize(ctx, name+"-admin-secret", secrets.Secret{
		Name: grafanaAdminSecret, Namespace: ns, Type: "Opaque",
		Labels: map[string]string{"app.kubernetes.io/part-of": "dataplatform", "app.kubernetes.io/managed-by": "pulumi"},
		Data:   map[string]secrets.Ref{"admin-user": cred.Ref("username"), "admin-password": cred.Ref("password")},
	}, k8s)
}

// GrafanaEndpoint splits the workspace's endpoint into the host the proxy forwards to and the path
// the data source queries under, without its trailing slash: Grafana appends /api/v1/query and the
// other API paths to the data source's URL, and the proxy forwards the path as it is
// (aws-sigv4-proxy@ed72b374 handler/proxy_client.go Do: only the host and scheme are replaced).
func GrafanaEndpoint(endpoint string) (host, path string, err error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" || !strings.HasPrefix(u.Path, "/workspaces/") {
		return "", "", fmt.Errorf("amp: workspace endpoint %q: want https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/", endpoint)
	}
	return u.Host, strings.TrimSuffix(u.Path, "/"), nil
}
