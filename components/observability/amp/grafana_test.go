package amp

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	testWorkspaceARN = "arn:aws:aps:eu-north-1:123456789012:workspace/ws-0a1b2c3d"
	testEndpoint     = "https://aps-workspaces.eu-north-1.amazonaws.com/workspaces/ws-0a1b2c3d/"
	gChartType       = "kubernetes:helm.sh/v4:Chart"
	gNPType          = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
)

func grafanaArgs() *GrafanaArgs {
	return &GrafanaArgs{
		Dashboards: []observability.Dashboard{{UID: "dataplatform-dremio", Title: "Dremio", Panels: []observability.Panel{
			{Title: "Queries per second", Queries: []string{`sum(rate(jobs_total[5m]))`}},
		}}},
		PrometheusEndpoint: pulumi.String(testEndpoint), WorkspaceARN: pulumi.String(testWorkspaceARN),
		Region: "eu-north-1", ClusterName: "dataplatform-prod", Cluster: pulumi.String("dataplatform-prod"),
		Domain: "data.example.com", EdgeCIDRs: []string{"10.0.96.0/22", "10.0.100.0/22"},
		Scheduling: cluster.Scheduling{NodeSelector: map[string]string{"pool": "workloads"}},
		Tags:       map[string]string{"env": "prod"}, Protect: true,
	}
}

func runGrafana(t *testing.T, preview bool, a *GrafanaArgs) (*mockcloud.Mocks, *Grafana, error) {
	m := mockcloud.New("dataplatform", "prod", preview)
	var out *Grafana
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
		out, err = NewGrafana(ctx, "grafana", a, pulumi.Provider(p))
		return err
	}, nil)
	return m, out, err
}

// TestGrafanaChart: the pinned chart; the AMP data source is the core Prometheus type on the proxy
// under the workspace's path, without SigV4 (Grafana 13 would migrate it to a plugin it does not
// have); the proxy signs for aps in the region toward the endpoint's host, on loopback, non-root;
// Grafana's login is the only way in; one replica with its reason; requests and limits.
func TestGrafanaChart(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, g, err := runGrafana(t, preview, grafanaArgs())
		inspect.RequireRan(t, preview, err)
		ch := inspect.MustNamed(t, m, gChartType, "grafana-chart")
		assert.Equal(t, "12.11.1", inspect.Str(ch.Inputs, "version"))
		assert.Equal(t, "grafana", inspect.Str(ch.Inputs, "chart"))
		assert.Equal(t, "https://grafana-community.github.io/helm-charts", inspect.Str(ch.Inputs, "repositoryOpts", "repo"))
		assert.Equal(t, "monitoring", inspect.Str(ch.Inputs, "namespace"))
		v := func(path ...any) []any { return append([]any{"values"}, path...) }

		ds := inspect.RequireObj(t, ch.Inputs, v("datasources", "datasources.yaml", "datasources", 0)...)
		assert.Equal(t, "prometheus", inspect.Str(ds, "type"))
		assert.Equal(t, GrafanaDatasourceUID, inspect.Str(ds, "uid"))
		assert.Equal(t, "http://127.0.0.1:8005/workspaces/ws-0a1b2c3d", inspect.Str(ds, "url"))
		assert.False(t, inspect.Has(ds, "jsonData", "sigV4Auth"), "core SigV4 is migrated away in Grafana 13: the proxy signs")
		assert.Equal(t, "POST", inspect.Str(ds, "jsonData", "httpMethod"))

		var containers []map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(inspect.Str(ch.Inputs, v("extraContainers")...)), &containers))
		require.Len(t, containers, 1)
		proxy := containers[0]
		assert.Equal(t, "public.ecr.aws/aws-observability/aws-sigv4-proxy:1.11.1", proxy["image"])
		assert.Equal(t, []any{"--name", "aps", "--region", "eu-north-1", "--host", "aps-workspaces.eu-north-1.amazonaws.com", "--port", "127.0.0.1:8005"}, proxy["args"])
		sc := proxy["securityContext"].(map[string]any)
		assert.Equal(t, true, sc["runAsNonRoot"])
		assert.Equal(t, false, sc["allowPrivilegeEscalation"])
		assert.Equal(t, []any{"ALL"}, sc["capabilities"].(map[string]any)["drop"])
		assert.Equal(t, "RuntimeDefault", sc["seccompProfile"].(map[string]any)["type"])
		assert.Equal(t, "128Mi", proxy["resources"].(map[string]any)["limits"].(map[string]any)["memory"])

		ini := v("grafana.ini")
		anon, ok := inspect.Bool(ch.Inputs, append(ini, "auth.anonymous", "enabled")...)
		assert.True(t, ok && !anon, "anonymous access off")
		signUp, ok := inspect.Bool(ch.Inputs, append(ini, "users", "allow_sign_up")...)
		assert.True(t, ok && !signUp, "sign-up off")
		assert.Equal(t, "https://grafana.data.example.com/", inspect.Str(ch.Inputs, append(ini, "server", "root_url")...))
		secure, _ := inspect.Bool(ch.Inputs, append(ini, "security", "cookie_secure")...)
		assert.True(t, secure)
		autoUpdate, ok := inspect.Bool(ch.Inputs, append(ini, "plugins", "preinstall_auto_update")...)
		assert.True(t, ok && !autoUpdate, "no plugin replaced from grafana.com on restart")
		preinstallOff, _ := inspect.Bool(ch.Inputs, append(ini, "plugins", "preinstall_disabled")...)
		assert.True(t, preinstallOff, "no app downloaded at start")
		assert.Equal(t, "grafana-admin", inspect.Str(ch.Inputs, v("admin", "existingSecret")...))
		assert.Equal(t, "admin-password", inspect.Str(ch.Inputs, v("admin", "passwordKey")...))

		assert.Equal(t, 1.0, inspect.Num(ch.Inputs, v("replicas")...))
		assert.NotEmpty(t, inspect.Str(ch.Inputs, v("annotations", "dataplatform.io/singleton")...))
		persist, _ := inspect.Bool(ch.Inputs, v("persistence", "enabled")...)
		assert.False(t, persist)
		namespaced, _ := inspect.Bool(ch.Inputs, v("rbac", "namespaced")...)
		assert.True(t, namespaced, "the sidecar reads its own namespace only")
		assert.Equal(t, "configmap", inspect.Str(ch.Inputs, v("sidecar", "dashboards", "resource")...))
		assert.Equal(t, GrafanaDashboardLabel, inspect.Str(ch.Inputs, v("sidecar", "dashboards", "label")...))
		for _, p := range [][]any{v("resources"), v("sidecar", "resources")} {
			assert.NotEmpty(t, inspect.Str(ch.Inputs, append(p, "limits", "memory")...), "limits at %v", p)
			assert.NotEmpty(t, inspect.Str(ch.Inputs, append(p, "requests", "cpu")...), "requests at %v", p)
		}
		assert.Equal(t, "workloads", inspect.Str(ch.Inputs, v("nodeSelector", "pool")...))
		assert.Equal(t, float64(GrafanaPort), inspect.Num(ch.Inputs, v("service", "port")...))

		require.Len(t, g.Routes, 1)
		assert.Equal(t, "grafana", g.Routes[0].Host)
		assert.Equal(t, GrafanaService, g.Routes[0].Service)
		assert.Equal(t, GrafanaNamespace, g.Routes[0].Namespace)
		assert.Equal(t, GrafanaPort, g.Routes[0].Port)
		assert.Equal(t, map[string]string{"grafana": "/api/health"}, g.HealthCheckPaths)

		ns := inspect.MustNamed(t, m, "kubernetes:core/v1:Namespace", "grafana-namespace")
		assert.Equal(t, "restricted", inspect.Str(ns.Inputs, "metadata", "labels", "pod-security.kubernetes.io/enforce"))
	})
}

// TestGrafanaIdentity: a role only Grafana's ServiceAccount in this cluster can assume through Pod
// Identity, allowed exactly the four query actions on this workspace, associated before the chart.
func TestGrafanaIdentity(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := runGrafana(t, preview, grafanaArgs())
		inspect.RequireRan(t, preview, err)
		role := inspect.MustNamed(t, m, "aws:iam/role:Role", "grafana-role")
		var trust map[string]any
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(role.Inputs, "assumeRolePolicy")), &trust))
		st := trust["Statement"].([]any)[0].(map[string]any)
		assert.Equal(t, "pods.eks.amazonaws.com", st["Principal"].(map[string]any)["Service"])
		cond := st["Condition"].(map[string]any)["StringEquals"].(map[string]any)
		assert.Equal(t, "monitoring", cond["aws:RequestTag/kubernetes-namespace"])
		assert.Equal(t, "grafana", cond["aws:RequestTag/kubernetes-service-account"])
		assert.Equal(t, "dataplatform-prod", cond["aws:RequestTag/eks-cluster-name"])

		rp := inspect.MustNamed(t, m, "aws:iam/rolePolicy:RolePolicy", "grafana-query-policy")
		if !preview || inspect.Str(rp.Inputs, "policy") != "" {
			var doc map[string]any
			require.NoError(t, json.Unmarshal([]byte(inspect.Str(rp.Inputs, "policy")), &doc))
			sts := doc["Statement"].([]any)
			require.Len(t, sts, 1)
			s := sts[0].(map[string]any)
			assert.Equal(t, "Allow", s["Effect"])
			assert.ElementsMatch(t, []any{"aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"}, s["Action"])
			assert.Equal(t, []any{testWorkspaceARN}, s["Resource"])
		}
		assoc := inspect.MustNamed(t, m, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "grafana-pod-identity")
		assert.Equal(t, "monitoring", inspect.Str(assoc.Inputs, "namespace"))
		assert.Equal(t, "grafana", inspect.Str(assoc.Inputs, "serviceAccount"))
		assert.Equal(t, "dataplatform-prod", inspect.Str(assoc.Inputs, "clusterName"))
		assert.True(t, inspect.DependsOnInput(assoc, "roleArn", role))
		ch := inspect.MustNamed(t, m, gChartType, "grafana-chart")
		assert.True(t, m.DependsOn(ch, assoc), "the pod must be admitted after the association exists")
		assert.Equal(t, []string{"random:index/randomPassword:RandomPassword grafana-admin-password"}, inspect.Protected(m), "only the generated admin password is protected in prod")
	})
}

// TestGrafanaNetworkPolicies: the namespace denies both directions; Grafana reaches DNS, 443 and the
// Pod Identity agent, and is reached on its port from the load balancer's subnets only.
func TestGrafanaNetworkPolicies(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := runGrafana(t, preview, grafanaArgs())
		inspect.RequireRan(t, preview, err)
		deny := inspect.MustNamed(t, m, gNPType, "grafana-default-deny")
		assert.Equal(t, []string{"Ingress", "Egress"}, inspect.Strs(deny.Inputs, "spec", "policyTypes"))
		assert.Equal(t, 0, inspect.Len(deny.Inputs, "spec", "podSelector", "matchLabels"))

		eg := inspect.MustNamed(t, m, gNPType, "grafana-grafana-egress")
		assert.Equal(t, "grafana", inspect.Str(eg.Inputs, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name"))
		rules := inspect.Arr(inspect.At(eg.Inputs, "spec", "egress"))
		require.Len(t, rules, 3)
		assert.Equal(t, 53.0, inspect.Num(eg.Inputs, "spec", "egress", 0, "ports", 0, "port"))
		assert.Equal(t, "0.0.0.0/0", inspect.Str(eg.Inputs, "spec", "egress", 1, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, 443.0, inspect.Num(eg.Inputs, "spec", "egress", 1, "ports", 0, "port"))
		assert.Equal(t, 1, inspect.Len(eg.Inputs, "spec", "egress", 1, "ports"))
		assert.Equal(t, "169.254.170.23/32", inspect.Str(eg.Inputs, "spec", "egress", 2, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, 80.0, inspect.Num(eg.Inputs, "spec", "egress", 2, "ports", 0, "port"))

		in := inspect.MustNamed(t, m, gNPType, "grafana-allow-alb-to-grafana")
		assert.Equal(t, []string{"Ingress"}, inspect.Strs(in.Inputs, "spec", "policyTypes"))
		assert.Equal(t, "10.0.96.0/22", inspect.Str(in.Inputs, "spec", "ingress", 0, "from", 0, "ipBlock", "cidr"))
		assert.Equal(t, "10.0.100.0/22", inspect.Str(in.Inputs, "spec", "ingress", 0, "from", 1, "ipBlock", "cidr"))
		assert.Equal(t, 2, inspect.Len(in.Inputs, "spec", "ingress", 0, "from"))
		assert.Equal(t, float64(GrafanaPort), inspect.Num(in.Inputs, "spec", "ingress", 0, "ports", 0, "port"))
	})
}

// TestGrafanaDashboards: each dashboard is a ConfigMap the sidecar loads, its panels on the AMP data
// source.
func TestGrafanaDashboards(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := runGrafana(t, preview, grafanaArgs())
		inspect.RequireRan(t, preview, err)
		cm := inspect.MustNamed(t, m, "kubernetes:core/v1:ConfigMap", "grafana-dashboard-dataplatform-dremio")
		assert.Equal(t, "1", inspect.Str(cm.Inputs, "metadata", "labels", GrafanaDashboardLabel))
		assert.Equal(t, "monitoring", inspect.Str(cm.Inputs, "metadata", "namespace"))
		doc := inspect.Str(cm.Inputs, "data", "dataplatform-dremio.json")
		assert.Contains(t, doc, `"uid":"amp"`)
		assert.Contains(t, doc, "jobs_total")
	})
}

// TestGrafanaWithoutEdge: Grafana is still deployed, without a route, root URL or ingress policy.
func TestGrafanaWithoutEdge(t *testing.T) {
	a := grafanaArgs()
	a.Domain, a.EdgeCIDRs = "", nil
	m, g, err := runGrafana(t, false, a)
	require.NoError(t, err)
	assert.Empty(t, g.Routes)
	assert.Nil(t, m.Named(gNPType, "grafana-allow-alb-to-grafana"))
	ch := inspect.MustNamed(t, m, gChartType, "grafana-chart")
	assert.False(t, inspect.Has(ch.Inputs, "values", "grafana.ini", "server", "root_url"))
	assert.NotNil(t, m.Named(gNPType, "grafana-grafana-egress"))
}

// TestGrafanaRejects: bad input fails before anything is registered, naming what is wrong.
func TestGrafanaRejects(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(*GrafanaArgs)
		want   string
	}{
		"no region":            {func(a *GrafanaArgs) { a.Region = "" }, "Region"},
		"domain without cidrs": {func(a *GrafanaArgs) { a.EdgeCIDRs = nil }, "go together"},
		"bad cidr":             {func(a *GrafanaArgs) { a.EdgeCIDRs = []string{"10.0.96.1/22"} }, "host bits"},
		"no workspace":         {func(a *GrafanaArgs) { a.WorkspaceARN = nil }, "WorkspaceARN"},
		"no cluster":           {func(a *GrafanaArgs) { a.ClusterName = "" }, "ClusterName"},
		"duplicate dashboard":  {func(a *GrafanaArgs) { a.Dashboards = append(a.Dashboards, a.Dashboards[0]) }, "unique"},
	} {
		t.Run(name, func(t *testing.T) {
			a := grafanaArgs()
			c.mutate(a)
			m, _, err := runGrafana(t, false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, m.ByType(gChartType))
		})
	}
}

// TestGrafanaEndpoint: the workspace endpoint splits into the proxy's host and the data source's path.
func TestGrafanaEndpoint(t *testing.T) {
	host, path, err := GrafanaEndpoint(testEndpoint)
	require.NoError(t, err)
	assert.Equal(t, "aps-workspaces.eu-north-1.amazonaws.com", host)
	assert.Equal(t, "/workspaces/ws-0a1b2c3d", path)
	for _, bad := range []string{"", "http://aps-workspaces.eu-north-1.amazonaws.com/workspaces/ws-1/", "https://aps-workspaces.eu-north-1.amazonaws.com/"} {
		_, _, err := GrafanaEndpoint(bad)
		assert.Error(t, err, bad)
		assert.True(t, err == nil || strings.Contains(err.Error(), "workspace endpoint"))
	}
}
