package ecr

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

func run(t *testing.T, preview bool, a *RegistryArgs) (*mockcloud.Mocks, *Registry, error) {
	m := mockcloud.New("dataplatform", "prod", preview)
	var r *Registry
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
		if err != nil {
			return err
		}
		r, err = NewRegistry(ctx, "registry", a, pulumi.Provider(p))
		return err
	}, nil)
	return m, r, err
}

func TestRepository(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, r, err := run(t, preview, &RegistryArgs{Name: "dataplatform/dbt", KMSKeyARN: pulumi.String("arn:aws:kms:eu-north-1:123456789012:key/k"), KeepImages: 20})
		require.NoError(t, err)
		repo := m.Named("aws:ecr/repository:Repository", "registry-repository")
		require.NotNil(t, repo)
		in := repo.Inputs
		assert.Equal(t, "IMMUTABLE", in["imageTagMutability"].StringValue())
		assert.True(t, in["imageScanningConfiguration"].ObjectValue()["scanOnPush"].BoolValue())
		enc := in["encryptionConfigurations"].ArrayValue()[0].ObjectValue()
		assert.Equal(t, "KMS", enc["encryptionType"].StringValue())
		assert.Equal(t, "arn:aws:kms:eu-north-1:123456789012:key/k", enc["kmsKey"].StringValue())
		lp := m.Named("aws:ecr/lifecyclePolicy:LifecyclePolicy", "registry-lifecycle")
		require.NotNil(t, lp)
		var policy struct {
			Rules []struct {
				Selection map[string]any `json:"selection"`
				Action    map[string]any `json:"action"`
			} `json:"rules"`
		}
		require.NoError(t, json.Unmarshal([]byte(lp.Inputs["policy"].StringValue()), &policy))
		// Untagged images go after a week, then the catch-all keeps the newest 20 (issue 9 class 9 added
		// the untagged rule and the pinned-tag rules in front of it).
		require.Len(t, policy.Rules, 2)
		last := policy.Rules[len(policy.Rules)-1]
		assert.Equal(t, "any", last.Selection["tagStatus"])
		assert.Equal(t, "imageCountMoreThan", last.Selection["countType"])
		assert.Equal(t, float64(20), last.Selection["countNumber"])
		assert.Equal(t, "expire", last.Action["type"])
		assert.Equal(t, m.Named(RegistryType, "registry").URN, lp.Parent)
		if !preview {
			res := inspect.Await(t, r.RepositoryURL)
			assert.Equal(t, "123456789012.dkr.ecr.eu-north-1.amazonaws.com/dataplatform/dbt", res.Value)
			assert.True(t, m.DependsOn(lp, repo))
		}
	})
}

func TestValidation(t *testing.T) {
	for _, a := range []*RegistryArgs{nil, {Name: "Upper/Case"}, {Name: "x"}, {Name: "dbt", KeepImages: -1}} {
		m, _, err := run(t, false, a)
		assert.Error(t, err, "%+v", a)
		assert.Empty(t, m.ByType(RegistryType))
	}
	m, _, err := run(t, false, &RegistryArgs{Name: "dbt"})
	require.NoError(t, err)
	enc := m.Named("aws:ecr/repository:Repository", "registry-repository").Inputs["encryptionConfigurations"].ArrayValue()[0].ObjectValue()
	assert.Equal(t, "KMS", enc["encryptionType"].StringValue(), "KMS even without a customer key")
}
