package eksaddons

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func lbcArgs() *LoadBalancerControllerArgs {
	return &LoadBalancerControllerArgs{
		ClusterName: "dataplatform-dev", Region: "eu-north-1", VpcID: pulumi.String("vpc-0123"),
		SystemNodeSelector: map[string]string{"dataplatform.io/pool": "system"},
	}
}

func runLBC(t *testing.T, preview bool, a *LoadBalancerControllerArgs) (*mockcloud.Mocks, *LoadBalancerController, error) {
	var out *LoadBalancerController
	m, err := runAddon(preview, func(ctx *pulumi.Context, k *kubernetes.Provider, p pulumi.ResourceOption) (err error) {
		if a != nil {
			a.Provider = k
			a.Cluster = pulumi.String(a.ClusterName)
		}
		out, err = NewLoadBalancerController(ctx, "lbc", a, p)
		return err
	})
	return m, out, err
}

// TestLoadBalancerController: the chart at 3.5.0 with two replicas, a PDB, resources and the system
// pool; its Pod Identity association and the Gateway API CRDs exist before it (credentials are
// injected at admission; the Gateway controllers start only if the CRDs are there).
func TestLoadBalancerController(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, c, err := runLBC(t, preview, lbcArgs())
		require.NoError(t, err)
		require.Len(t, c.Ready(), 2)

		chart := inspect.MustNamed(t, m, "kubernetes:helm.sh/v4:Chart", "lbc-chart")
		assert.Equal(t, "aws-load-balancer-controller", inspect.Str(chart.Inputs, "chart"))
		assert.Equal(t, "3.5.0", inspect.Str(chart.Inputs, "version"))
		assert.Equal(t, "https://aws.github.io/eks-charts", inspect.Str(chart.Inputs, "repositoryOpts", "repo"))
		assert.Equal(t, "kube-system", inspect.Str(chart.Inputs, "namespace"))
		v := inspect.Obj(chart.Inputs["values"])
		assert.Equal(t, "dataplatform-dev", inspect.Str(v, "clusterName"))
		assert.Equal(t, "eu-north-1", inspect.Str(v, "region"))
		assert.Equal(t, 2.0, inspect.Num(v, "replicaCount"))
		assert.Equal(t, 1.0, inspect.Num(v, "podDisruptionBudget", "maxUnavailable"))
		assert.Equal(t, "512Mi", inspect.Str(v, "resources", "limits", "memory"))
		assert.Equal(t, "100m", inspect.Str(v, "resources", "requests", "cpu"))
		assert.Equal(t, "system", inspect.Str(v, "nodeSelector", "dataplatform.io/pool"))
		assert.Equal(t, "aws-load-balancer-controller", inspect.Str(v, "serviceAccount", "name"))
		assert.Equal(t, "v3.5.0", inspect.Str(v, "image", "tag"))
		assert.Equal(t, "ELBSecurityPolicy-TLS13-1-2-2021-06", inspect.Str(v, "defaultSSLPolicy"))
		assert.False(t, v["enableServiceMutatorWebhook"].BoolValue())
		// Every gate ApplyGatewayCRDDetection looks at is set, so it never disables Gateway API
		// (aws-load-balancer-controller@v3.5.0 pkg/gateway/crddetect/gateway_feature_flags.go).
		gates := inspect.Obj(inspect.At(v, "controllerConfig", "featureGates"))
		require.Len(t, gates, 3)
		assert.True(t, gates["ALBGatewayAPI"].BoolValue())
		assert.True(t, gates["NLBGatewayAPI"].BoolValue())
		assert.True(t, gates["GatewayListenerSet"].IsBool())
		assert.False(t, gates["GatewayListenerSet"].BoolValue())
		if !preview {
			assert.Equal(t, "vpc-0123", inspect.Str(v, "vpcId"))
			assert.Contains(t, inspect.Str(v, "webhookTLS", "caCert"), "BEGIN CERTIFICATE")
			assert.Contains(t, inspect.Str(v, "webhookTLS", "cert"), "BEGIN CERTIFICATE")
		}

		crds := inspect.MustNamed(t, m, "kubernetes:yaml/v2:ConfigFile", "lbc-gateway-api-crds")
		assert.Equal(t, "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml", inspect.Str(crds.Inputs, "file"))
		assert.True(t, m.DependsOn(chart, crds), "the controller enables its Gateway controllers only when the CRDs exist at start")

		assoc := inspect.MustNamed(t, m, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "lbc-pod-identity")
		assert.Equal(t, "kube-system", inspect.Str(assoc.Inputs, "namespace"))
		assert.Equal(t, "aws-load-balancer-controller", inspect.Str(assoc.Inputs, "serviceAccount"))
		assert.True(t, m.DependsOn(chart, assoc), "credentials are injected at pod admission")
		assert.True(t, m.DependsOn(chart, inspect.MustNamed(t, m, "aws:iam/rolePolicy:RolePolicy", "lbc-policy")))

		var trust awsiam.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(inspect.MustNamed(t, m, "aws:iam/role:Role", "lbc-role").Inputs, "assumeRolePolicy")), &trust))
		cond := trust.Statement[0].Condition["StringEquals"]
		assert.Equal(t, "aws-load-balancer-controller", cond["aws:RequestTag/kubernetes-service-account"])
		assert.Equal(t, "dataplatform-dev", cond["aws:RequestTag/eks-cluster-name"])
		assert.Equal(t, "pods.eks.amazonaws.com", trust.Statement[0].Principal["Service"])
	})
}

// TestLoadBalancerControllerPolicyIsV350: the role policy is exactly docs/install/iam_policy.json at
// v3.5.0 (canonical form pinned), and its write statements keep the upstream scoping by the
// elbv2.k8s.aws/cluster tag.
func TestLoadBalancerControllerPolicyIsV350(t *testing.T) {
	m, _, err := runLBC(t, false, lbcArgs())
	require.NoError(t, err)
	raw := inspect.Str(inspect.MustNamed(t, m, "aws:iam/rolePolicy:RolePolicy", "lbc-policy").Inputs, "policy")
	sum := sha256.Sum256([]byte(raw))
	assert.Equal(t, loadBalancerControllerPolicyCanonical, hex.EncodeToString(sum[:]), "the policy differs from aws-load-balancer-controller v3.5.0 docs/install/iam_policy.json")

	var doc awsiam.PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(raw), &doc))
	require.Len(t, doc.Statement, 16)
	scoped := map[string]bool{}
	actions := map[string]bool{}
	for _, st := range doc.Statement {
		for _, a := range st.Action {
			actions[a] = true
			if _, ok := st.Condition["Null"]["aws:ResourceTag/elbv2.k8s.aws/cluster"]; ok {
				scoped[a] = true
			}
		}
	}
	for _, a := range []string{"elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup", "ec2:DeleteSecurityGroup"} {
		assert.True(t, scoped[a], "%s is limited to resources the controller tagged", a)
	}
	for _, a := range []string{"acm:DescribeCertificate", "acm:ListCertificates", "elasticloadbalancing:CreateListener", "elasticloadbalancing:RegisterTargets", "ec2:DescribeRouteTables", "elasticloadbalancing:ModifyCapacityReservation"} {
		assert.True(t, actions[a], a)
	}
	for a := range actions {
		assert.NotContains(t, []string{"*", "elasticloadbalancing:*", "ec2:*", "iam:*"}, a)
	}
}

func TestLoadBalancerControllerArgsValidation(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*LoadBalancerControllerArgs)
		want   string
	}{
		{func(a *LoadBalancerControllerArgs) { a.ClusterName = "-x" }, "ClusterName"},
		{func(a *LoadBalancerControllerArgs) { a.Region = "" }, "Region"},
		{func(a *LoadBalancerControllerArgs) { a.SystemNodeSelector = map[string]string{"bad key!": "x"} }, "SystemNodeSelector"},
	} {
		a := lbcArgs()
		tc.mutate(a)
		m, _, err := runLBC(t, false, a)
		assert.ErrorContains(t, err, tc.want)
		assert.Empty(t, m.ByType(LoadBalancerControllerType))
	}
}
