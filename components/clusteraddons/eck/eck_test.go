package eck

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
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
		a := &Args{
			HighAvailability:  true,
			ManagedNamespaces: []string{"dataplatform-data"},
			APIServerCIDRs:    []string{"10.0.0.1/32"},
			Scheduling:        cluster.Scheduling{Tolerations: []cluster.Toleration{{Key: "dataplatform.io/pool", Operator: "Exists", Effect: "NoSchedule"}}},
		}
		if mutate != nil {
			mutate(a)
		}
		_, err = New(ctx, "eck", a, pulumi.Provider(k))
		return err
	}, nil)
	return m, err
}

// TestOperator: the pinned chart and image, the CRDs from the chart, two replicas with leader election
// and a PDB in prod (one and none otherwise), resources, the watched namespace, telemetry off, a
// restricted namespace, and the NetworkPolicies.
func TestOperator(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		for _, ha := range []bool{true, false} {
			m, err := run(t, preview, func(a *Args) { a.HighAvailability = ha })
			require.NoError(t, err)
			c := inspect.MustNamed(t, m, "kubernetes:helm.sh/v4:Chart", "eck-chart")
			assert.Equal(t, "eck-operator", inspect.Str(c.Inputs, "chart"))
			assert.Equal(t, "3.5.0", inspect.Str(c.Inputs, "version"))
			assert.Equal(t, "https://helm.elastic.co", inspect.Str(c.Inputs, "repositoryOpts", "repo"))
			assert.Equal(t, Namespace, inspect.Str(c.Inputs, "namespace"))
			v := inspect.Obj(inspect.At(c.Inputs, "values"))
			assert.Equal(t, "3.5.0", inspect.Str(v, "image", "tag"))
			assert.Equal(t, true, inspect.RequireBool(t, v, "installCRDs"))
			want := 1.0
			if ha {
				want = 2
			}
			assert.Equal(t, want, inspect.Num(v, "replicaCount"))
			pdb, _ := inspect.Bool(v, "podDisruptionBudget", "enabled")
			assert.Equal(t, ha, pdb, "a PDB exactly when there are two replicas")
			assert.Equal(t, true, inspect.RequireBool(t, v, "config", "enableLeaderElection"))
			assert.Equal(t, []string{"dataplatform-data"}, inspect.Strs(v, "managedNamespaces"))
			assert.Equal(t, true, inspect.RequireBool(t, v, "telemetry", "disabled"))
			assert.Equal(t, "1Gi", inspect.Str(v, "resources", "limits", "memory"))
			assert.Equal(t, "100m", inspect.Str(v, "resources", "requests", "cpu"))
			assert.Equal(t, "RuntimeDefault", inspect.Str(v, "podSecurityContext", "seccompProfile", "type"))
			assert.Equal(t, 1, inspect.Len(v, "tolerations"))
			ns := inspect.MustNamed(t, m, "kubernetes:core/v1:Namespace", "eck-namespace")
			assert.Equal(t, "restricted", inspect.Str(ns.Inputs, "metadata", "labels", "pod-security.kubernetes.io/enforce"))
		}
	})
}

// TestOperatorNetworkPolicies: default deny; the operator reaches the API server and Elasticsearch
// on 9200 in the managed namespace only; the webhook port is open to the API server.
func TestOperatorNetworkPolicies(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		require.NoError(t, err)
		deny := inspect.MustNamed(t, m, npType, "eck-default-deny")
		assert.ElementsMatch(t, []string{"Ingress", "Egress"}, inspect.Strs(deny.Inputs, "spec", "policyTypes"))
		api := inspect.MustNamed(t, m, npType, "eck-allow-kube-api")
		assert.Equal(t, "10.0.0.1/32", inspect.Str(api.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "cidr"))
		es := inspect.MustNamed(t, m, npType, "eck-allow-elasticsearch")
		rule := inspect.Obj(inspect.At(es.Inputs, "spec", "egress", 0))
		assert.Equal(t, 9200.0, inspect.Num(rule, "ports", 0, "port"))
		assert.Equal(t, 1, inspect.Len(rule, "ports"))
		assert.Equal(t, "elasticsearch", inspect.Str(rule, "to", 0, "podSelector", "matchLabels", "common.k8s.elastic.co/type"))
		assert.Equal(t, "dataplatform-data", inspect.Str(rule, "to", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		wh := inspect.MustNamed(t, m, npType, "eck-webhook-allow-api-server")
		assert.Equal(t, 9443.0, inspect.Num(wh.Inputs, "spec", "ingress", 0, "ports", 0, "port"))
	})
}

// TestOperatorRefusesBadArgs: no watched namespace, the operator's own namespace, no API server.
func TestOperatorRefusesBadArgs(t *testing.T) {
	for name, mutate := range map[string]func(*Args){
		"no namespaces":  func(a *Args) { a.ManagedNamespaces = nil },
		"own namespace":  func(a *Args) { a.ManagedNamespaces = []string{Namespace} },
		"no API server":  func(a *Args) { a.APIServerCIDRs = nil },
		"bad API server": func(a *Args) { a.APIServerCIDRs = []string{"10.0.0.1"} },
	} {
		_, err := run(t, false, mutate)
		assert.Error(t, err, name)
	}
}
