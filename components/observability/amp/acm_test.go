package amp

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestWatchCertificate (issue 12, certificate expiry on AWS): the edge's ACM certificate gets an alarm
// on DaysToExpiry below 30 (ACM renews from 60 days before), sent to the alert topic, parented to the
// component, with its runbook section; a bad suffix is refused.
func TestWatchCertificate(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "prod", preview)
		var watchErr error
		err := m.Run(func(ctx *pulumi.Context) error {
			p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
			if err != nil {
				return err
			}
			k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
			if err != nil {
				return err
			}
			a := args()
			a.KubernetesProvider = k
			obs, err := New(ctx, "observability", a, pulumi.Provider(p))
			if err != nil {
				return err
			}
			watchErr = obs.WatchCertificate(ctx, "Edge!", pulumi.String("arn").ToStringOutput())
			if !preview {
				// A certificate of another region fails the deployment (its metric is not here).
				if err := obs.WatchCertificate(ctx, "cdn", pulumi.String("arn:aws:acm:us-east-1:123456789012:certificate/x").ToStringOutput()); err != nil {
					return err
				}
			}
			return obs.WatchCertificate(ctx, "edge", pulumi.String("arn:aws:acm:eu-north-1:123456789012:certificate/abc").ToStringOutput())
		}, nil)
		if !preview {
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not an ACM certificate of region eu-north-1")
		} else {
			inspect.RequireRan(t, preview, err)
		}
		require.Error(t, watchErr)
		al := inspect.MustNamed(t, m, alType, "observability-certificate-edge")
		assert.Equal(t, "dataplatform-prod-certificate-edge-expiring", inspect.Str(al.Inputs, "name"))
		assert.Equal(t, "AWS/CertificateManager", inspect.Str(al.Inputs, "namespace"))
		assert.Equal(t, "DaysToExpiry", inspect.Str(al.Inputs, "metricName"))
		assert.Equal(t, "arn:aws:acm:eu-north-1:123456789012:certificate/abc", inspect.Str(al.Inputs, "dimensions", "CertificateArn"))
		assert.Equal(t, 30.0, inspect.Num(al.Inputs, "threshold"))
		assert.Equal(t, "LessThanThreshold", inspect.Str(al.Inputs, "comparisonOperator"))
		assert.Equal(t, 86400.0, inspect.Num(al.Inputs, "period"))
		assert.Contains(t, inspect.Str(al.Inputs, "alarmDescription"), "docs/runbook-alerts-aws.md#acm-certificate-expiring")
		comp := inspect.One(t, m, Type)
		assert.Equal(t, comp.URN, al.Parent)
		topic := inspect.MustNamed(t, m, "aws:sns/topic:Topic", "observability-alerts")
		assert.True(t, m.DependsOn(al, topic), "the alarm acts on the alert topic")
		assert.True(t, m.DependsOn(al, inspect.MustNamed(t, m, "aws:sns/topicPolicy:TopicPolicy", "observability-alerts-policy")))
	})
}
