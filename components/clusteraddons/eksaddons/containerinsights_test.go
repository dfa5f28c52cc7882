package eksaddons

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

func runInsights(t *testing.T, preview bool, a *ContainerInsightsArgs) (*mockcloud.Mocks, error) {
	return runAddon(preview, func(ctx *pulumi.Context, k *kubernetes.Provider, p pulumi.ResourceOption) error {
		a.Provider = k
		_, err := NewContainerInsights(ctx, "insights", a, p)
		return err
	})
}

func insightsArgs() *ContainerInsightsArgs {
	return &ContainerInsightsArgs{
		ClusterName: "dataplatform-dev", Cluster: pulumi.String("dataplatform-dev"), KubernetesVersion: "1.34",
		RetentionDays: 30, KMSKeyARN: pulumi.String("arn:aws:kms:eu-north-1:123456789012:key/k"),
	}
}

// TestContainerInsightsLogGroupsExistBeforeTheAddon: the four log groups carry the retention and the
// key and exist before the add-on (else Fluent Bit creates them unencrypted and kept forever); the
// agents' role is bound to their service account only, through the add-on's Pod Identity association.
func TestContainerInsightsLogGroupsExistBeforeTheAddon(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := runInsights(t, preview, insightsArgs())
		require.NoError(t, err)
		addon := inspect.MustNamed(t, m, "aws:eks/addon:Addon", "insights-addon")
		assert.Equal(t, "amazon-cloudwatch-observability", inspect.Str(addon.Inputs, "addonName"))
		assert.Equal(t, "v1.0.0-eksbuild.1", inspect.Str(addon.Inputs, "addonVersion"), "the version the invoke resolved")
		assert.Equal(t, "cloudwatch-agent", inspect.Str(addon.Inputs, "podIdentityAssociations", 0, "serviceAccount"))
		for _, g := range []string{"application", "dataplane", "host", "performance"} {
			lg := inspect.MustNamed(t, m, "aws:cloudwatch/logGroup:LogGroup", "insights-"+g)
			assert.Equal(t, "/aws/containerinsights/dataplatform-dev/"+g, inspect.Str(lg.Inputs, "name"))
			assert.Equal(t, 30.0, inspect.Num(lg.Inputs, "retentionInDays"))
			assert.Equal(t, "arn:aws:kms:eu-north-1:123456789012:key/k", inspect.Str(lg.Inputs, "kmsKeyId"))
			assert.True(t, m.DependsOn(addon, lg), "the add-on waits for %s", g)
		}
		role := inspect.MustNamed(t, m, "aws:iam/role:Role", "insights-role")
		var trust awsiam.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(role.Inputs, "assumeRolePolicy")), &trust))
		cond := trust.Statement[0].Condition["StringEquals"]
		assert.Equal(t, "amazon-cloudwatch", cond["aws:RequestTag/kubernetes-namespace"])
		assert.Equal(t, "cloudwatch-agent", cond["aws:RequestTag/kubernetes-service-account"])
		att := inspect.MustNamed(t, m, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "insights-policy")
		assert.Equal(t, "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy", inspect.Str(att.Inputs, "policyArn"))
		assert.True(t, m.DependsOn(addon, att))
	})
}

// TestContainerInsightsRefusesBadRetention: CloudWatch Logs takes only its own retention values.
func TestContainerInsightsRefusesBadRetention(t *testing.T) {
	a := insightsArgs()
	a.RetentionDays = 10
	_, err := runInsights(t, false, a)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "RetentionDays = 10")
}
