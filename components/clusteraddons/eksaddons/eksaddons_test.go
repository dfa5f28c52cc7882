package eksaddons

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/clusteraddons"
	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func args(pools ...clusteraddons.Pool) *AddonsArgs {
	return &AddonsArgs{
		ClusterName: "dataplatform-dev", KubernetesVersion: "1.34", Region: "eu-north-1",
		NodeGroupARNs:      pulumi.ToStringArray([]string{"arn:aws:eks:eu-north-1:123456789012:nodegroup/dataplatform-dev/system-x/1", "arn:aws:eks:eu-north-1:123456789012:nodegroup/dataplatform-dev/workloads-y/2"}),
		Pools:              pools,
		SystemNodeSelector: map[string]string{"dataplatform.io/pool": "system"},
	}
}

// runAddon runs add in a mock program with an AWS provider in eu-north-1 (passed as the resource
// option) and a Kubernetes provider (passed as k).
func runAddon(preview bool, add func(ctx *pulumi.Context, k *kubernetes.Provider, awsProvider pulumi.ResourceOption) error) (*mockcloud.Mocks, error) {
	m := mockcloud.New("dataplatform", "dev", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
		if err != nil {
			return err
		}
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		return add(ctx, k, pulumi.Provider(p))
	}, nil)
	return m, err
}

func run(t *testing.T, preview bool, a *AddonsArgs) (*mockcloud.Mocks, *Addons, error) {
	var out *Addons
	m, err := runAddon(preview, func(ctx *pulumi.Context, k *kubernetes.Provider, p pulumi.ResourceOption) (err error) {
		if a != nil {
			a.Provider = k
			a.Cluster = pulumi.String(a.ClusterName)
		}
		out, err = NewAddons(ctx, "addons", a, p)
		return err
	})
	return m, out, err
}

// TestGrowablePoolsGetAnAutoscaler: a pool with MaxNodes > MinNodes gets the Cluster Autoscaler with
// a Pod Identity role that can only scale this cluster's groups; metrics-server is always there
// (issue 9, class 4: EKS had neither).
func TestGrowablePoolsGetAnAutoscaler(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, c, err := run(t, preview, args(clusteraddons.Pool{Name: "system", MinNodes: 1, MaxNodes: 2}, clusteraddons.Pool{Name: "workloads", MinNodes: 2, MaxNodes: 3}))
		require.NoError(t, err)
		assert.Equal(t, clusteraddons.Provided{Autoscaler: clusteraddons.ClusterAutoscaler, Metrics: clusteraddons.MetricsServer}, c.Provided)

		ms := inspect.MustNamed(t, m, "aws:eks/addon:Addon", "addons-metrics-server")
		assert.Equal(t, "metrics-server", inspect.Str(ms.Inputs, "addonName"))
		assert.True(t, m.DependsOn(ms, inspect.MustNamed(t, m, "pulumi:providers:kubernetes", "k8s")), "metrics-server needs nodes")

		d := inspect.MustNamed(t, m, "kubernetes:apps/v1:Deployment", "addons-autoscaler")
		spec := inspect.Obj(inspect.At(d.Inputs, "spec", "template", "spec"))
		assert.Equal(t, "system-cluster-critical", inspect.Str(spec, "priorityClassName"))
		assert.Equal(t, "system", inspect.Str(spec, "nodeSelector", "dataplatform.io/pool"))
		assert.Equal(t, ServiceAccount, inspect.Str(spec, "serviceAccountName"))
		ctr := inspect.Obj(inspect.Arr(spec["containers"])[0])
		assert.Equal(t, "registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.5", inspect.Str(ctr, "image"), "the autoscaler's minor matches the cluster's")
		cmd := strings.Join(inspect.Strs(ctr, "command"), " ")
		assert.Contains(t, cmd, "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/dataplatform-dev")
		assert.Contains(t, cmd, "--cloud-provider=aws")
		assert.Equal(t, "600Mi", inspect.Str(ctr, "resources", "limits", "memory"))
		assert.Equal(t, "eu-north-1", inspect.Str(inspect.Obj(inspect.Arr(ctr["env"])[0]), "value"))
		pdb := inspect.MustNamed(t, m, "kubernetes:policy/v1:PodDisruptionBudget", "addons-autoscaler-pdb")
		assert.Equal(t, 1.0, inspect.Num(pdb.Inputs, "spec", "minAvailable"))
		assert.Equal(t, 2.0, inspect.Num(d.Inputs, "spec", "replicas"))

		assoc := inspect.MustNamed(t, m, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "addons-autoscaler-pod-identity")
		assert.Equal(t, "kube-system", inspect.Str(assoc.Inputs, "namespace"))
		assert.Equal(t, "cluster-autoscaler", inspect.Str(assoc.Inputs, "serviceAccount"))
		assert.True(t, m.DependsOn(d, assoc), "the autoscaler starts with its credentials in place")
		if !preview {
			var doc awsiam.PolicyDocument
			require.NoError(t, json.Unmarshal([]byte(inspect.Str(inspect.MustNamed(t, m, "aws:iam/rolePolicy:RolePolicy", "addons-autoscaler-policy").Inputs, "policy")), &doc))
			for _, st := range doc.Statement {
				for _, a := range st.Action {
					if a == "autoscaling:SetDesiredCapacity" || a == "autoscaling:TerminateInstanceInAutoScalingGroup" {
						assert.Equal(t, "owned", st.Condition["StringEquals"]["aws:ResourceTag/k8s.io/cluster-autoscaler/dataplatform-dev"], a)
					}
					if a == "eks:DescribeNodegroup" {
						assert.Len(t, st.Resource, 2)
					}
				}
			}
		}
	})
}

// TestFixedPoolsNeedNoAutoscaler: fixed pools get metrics-server only.
func TestFixedPoolsNeedNoAutoscaler(t *testing.T) {
	m, c, err := run(t, false, args(clusteraddons.Pool{Name: "system", MinNodes: 2, MaxNodes: 2}))
	require.NoError(t, err)
	assert.Equal(t, clusteraddons.MetricsServer, c.Provided.Metrics)
	assert.Empty(t, m.ByType("kubernetes:apps/v1:Deployment"))
}

func TestAddonsArgsValidation(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*AddonsArgs)
		want   string
	}{
		{func(a *AddonsArgs) { a.KubernetesVersion = "1.30" }, `KubernetesVersion = "1.30" has no pinned Cluster Autoscaler`},
		{func(a *AddonsArgs) { a.ClusterName = "-x" }, "ClusterName"},
		{func(a *AddonsArgs) { a.AutoscalerImage = "latest" }, "AutoscalerImage"},
		{func(a *AddonsArgs) { a.Tags = map[string]string{"aws:x": "y"} }, "Tags"},
	} {
		a := args(clusteraddons.Pool{Name: "w", MinNodes: 1, MaxNodes: 3})
		tc.mutate(a)
		m, _, err := run(t, false, a)
		assert.ErrorContains(t, err, tc.want)
		assert.Empty(t, m.ByType(AddonsType))
	}
	a := args(clusteraddons.Pool{Name: "w", MinNodes: 1, MaxNodes: 3})
	a.KubernetesVersion, a.AutoscalerImage = "1.30", "registry.example.com/cluster-autoscaler:v1.30.4"
	_, _, err := run(t, false, a)
	assert.NoError(t, err, "an explicit image serves a minor outside the table")
}
