package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAWSPartitionIsAWS: the AWS Load Balancer Controller's policy (components/clusteraddons/eksaddons
// lbcpolicy.go) and other AWS ARNs are written for the aws partition; the controller ships other
// policies for the others (aws-load-balancer-controller@v3.5.0 docs/install/iam_policy_cn.json,
// iam_policy_us-gov.json). The aws target therefore accepts no region of aws-cn or aws-us-gov, and a
// stack naming one is refused before anything is registered.
func TestAWSPartitionIsAWS(t *testing.T) {
	for _, r := range Regions[AWS] {
		assert.False(t, strings.HasPrefix(r, "cn-") || strings.HasPrefix(r, "us-gov-") || strings.HasPrefix(r, "us-iso"), r)
	}
	for _, region := range []string{"cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-gov-east-1"} {
		v := awsEdge("data.example.com", "")
		v["dataplatform:region"] = region
		_, err := parse(t, "dev", v)
		require.NotNil(t, err, region)
		found := false
		for _, p := range err.Problems {
			found = found || (p.Key == "dataplatform:region" && p.Value == region)
		}
		assert.True(t, found, "%s: %v", region, err)
	}
}
