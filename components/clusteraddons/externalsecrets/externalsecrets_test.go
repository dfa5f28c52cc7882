package externalsecrets

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const npType = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

func run(t *testing.T, preview bool, mutate func(*Args)) (*mockcloud.Mocks, error) {
	m := mockcloud.New("dataplatform", "prod", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		identity, err := corev1.NewNamespace(ctx, "identity", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("x")}}, pulumi.Provider(k))
		if err != nil {
			return err
		}
		a := &Args{
			HighAvailability: true,
			Scheduling:       cluster.Scheduling{Tolerations: []cluster.Toleration{{Key: "dataplatform.io/pool", Operator: "Exists", Effect: "NoSchedule"}}},
			APIServerCIDRs:   []string{"10.0.0.0/8"},
			Settings: secrets.OperatorSettings{
				DependsOn:                 []pulumi.Resource{identity},
				ServiceAccountAnnotations: pulumi.StringMap{"azure.workload.identity/client-id": pulumi.String("abc")},
				PodLabels:                 map[string]string{"azure.workload.identity/use": "true"},
				Egress:                    []secrets.Egress{{CIDR: "0.0.0.0/0", TCPPorts: []int{443}}},
			},
		}
		if mutate != nil {
			mutate(a)
		}
		_, err = New(ctx, "external-secrets", a, pulumi.Provider(k))
		return err
	}, nil)
	return m, err
}

// TestOperator: the pinned chart and image, CRDs from the chart, two replicas of each deployment with
// leader election and PDBs in prod, resources, scheduling, the store's identity on the controller's
// ServiceAccount and pods, and the namespace's NetworkPolicies.
func TestOperator(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		require.NoError(t, err)
		c := inspect.MustNamed(t, m, "kubernetes:helm.sh/v4:Chart", "external-secrets-chart")
		assert.Equal(t, ChartVersion, inspect.Str(c.Inputs, "version"))
		assert.Equal(t, "2.9.0", ChartVersion)
		assert.Equal(t, ChartRepo, inspect.Str(c.Inputs, "repositoryOpts", "repo"))
		assert.Equal(t, "external-secrets", inspect.Str(c.Inputs, "name"))
		v := func(path ...any) string { return inspect.Str(c.Inputs, append([]any{"values"}, path...)...) }
		b := func(path ...any) bool {
			x, _ := inspect.Bool(c.Inputs, append([]any{"values"}, path...)...)
			return x
		}
		assert.True(t, b("installCRDs"))
		assert.True(t, b("leaderElect"))
		assert.Equal(t, secrets.OperatorServiceAccount, v("serviceAccount", "name"))
		assert.Equal(t, "true", v("podLabels", "azure.workload.identity/use"))
		if !preview {
			assert.Equal(t, "abc", v("serviceAccount", "annotations", "azure.workload.identity/client-id"))
		}
		for _, comp := range [][]any{{}, {"webhook"}, {"certController"}} {
			at := func(path ...any) []any { return append(append([]any{}, comp...), path...) }
			assert.Equal(t, 2.0, inspect.Num(c.Inputs, append([]any{"values"}, at("replicaCount")...)...), comp)
			assert.True(t, b(at("podDisruptionBudget", "enabled")...), comp)
			assert.Equal(t, ImageRepository, v(at("image", "repository")...), comp)
			assert.Equal(t, "v2.9.0", v(at("image", "tag")...), comp)
			assert.NotEmpty(t, v(at("resources", "limits", "memory")...), comp)
			assert.NotEmpty(t, v(at("resources", "requests", "cpu")...), comp)
			assert.Equal(t, "dataplatform.io/pool", v(at("tolerations", 0, "key")...), comp)
		}
		assert.False(t, b("processPushSecret"))
		// Namespace editors must not write ExternalSecrets: the store admits the apps namespace.
		agg, set := inspect.Bool(c.Inputs, "values", "rbac", "aggregateToEdit")
		assert.True(t, set && !agg, "rbac.aggregateToEdit must be false")
		assert.True(t, m.DependsOn(c, inspect.MustNamed(t, m, "kubernetes:core/v1:Namespace", "identity")), "the chart waits for the store's identity")

		ns := inspect.MustNamed(t, m, "kubernetes:core/v1:Namespace", "external-secrets-namespace")
		assert.Equal(t, secrets.OperatorNamespace, inspect.Str(ns.Inputs, "metadata", "name"))
		assert.Equal(t, "restricted", inspect.Str(ns.Inputs, "metadata", "labels", "pod-security.kubernetes.io/enforce"))

		deny := inspect.MustNamed(t, m, npType, "external-secrets-default-deny")
		assert.Equal(t, []string{"Ingress", "Egress"}, inspect.Strs(deny.Inputs, "spec", "policyTypes"))
		api := inspect.MustNamed(t, m, npType, "external-secrets-allow-kube-api")
		assert.Equal(t, "10.0.0.0/8", inspect.Str(api.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, 6443.0, inspect.Num(api.Inputs, "spec", "egress", 0, "ports", 1, "port"))
		hook := inspect.MustNamed(t, m, npType, "external-secrets-webhook-allow-api-server")
		assert.Equal(t, "external-secrets-webhook", inspect.Str(hook.Inputs, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name"))
		assert.Equal(t, float64(WebhookPort), inspect.Num(hook.Inputs, "spec", "ingress", 0, "ports", 0, "port"))
		store := inspect.MustNamed(t, m, npType, "external-secrets-controller-allow-store")
		assert.Equal(t, "external-secrets", inspect.Str(store.Inputs, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name"))
		assert.Equal(t, "0.0.0.0/0", inspect.Str(store.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, 443.0, inspect.Num(store.Inputs, "spec", "egress", 0, "ports", 0, "port"))
		assert.Len(t, m.ByType(npType), 5)
	})
}

// TestDev: one replica, no PDB, no store egress when the store asks none (the in-cluster store).
func TestDev(t *testing.T) {
	m, err := run(t, false, func(a *Args) { a.HighAvailability = false; a.Settings = secrets.OperatorSettings{} })
	require.NoError(t, err)
	c := inspect.MustNamed(t, m, "kubernetes:helm.sh/v4:Chart", "external-secrets-chart")
	assert.Equal(t, 1.0, inspect.Num(c.Inputs, "values", "replicaCount"))
	on, _ := inspect.Bool(c.Inputs, "values", "podDisruptionBudget", "enabled")
	assert.False(t, on)
	assert.Nil(t, m.Named(npType, "external-secrets-controller-allow-store"))
	assert.False(t, inspect.Has(c.Inputs, "values", "serviceAccount", "annotations"))
}

// TestRejects: bad input fails before anything is registered.
func TestRejects(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(*Args)
		want   string
	}{
		"no API server":   {func(a *Args) { a.APIServerCIDRs = nil }, "APIServerCIDRs is empty"},
		"bad API server":  {func(a *Args) { a.APIServerCIDRs = []string{"10.0.0.1/8"} }, "10.0.0.1/8"},
		"bad egress":      {func(a *Args) { a.Settings.Egress = []secrets.Egress{{CIDR: "nope", TCPPorts: []int{443}}} }, "nope"},
		"egress no ports": {func(a *Args) { a.Settings.Egress = []secrets.Egress{{CIDR: "0.0.0.0/0"}} }, "names no port"},
		"egress bad port": {func(a *Args) { a.Settings.Egress = []secrets.Egress{{CIDR: "0.0.0.0/0", TCPPorts: []int{0}}} }, "port 0"},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := run(t, false, c.mutate)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, m.ByType("kubernetes:helm.sh/v4:Chart"))
		})
	}
}
