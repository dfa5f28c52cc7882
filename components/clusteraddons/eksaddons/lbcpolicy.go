package eksaddons

import "github.com/opendataplatform/dataplatform/components/internal/awsiam"

// LoadBalancerControllerPolicySHA256 is the sha256 of
// kubernetes-sigs/aws-load-balancer-controller@v3.5.0 docs/install/iam_policy.json as published
// (16f232c9…), and loadBalancerControllerPolicyCanonical that of the same document written the way
// loadBalancerControllerPolicy marshals it (every Resource a list): a test pins the latter, so a change
// to the statements below fails until it is made on purpose against a new release's file.
const (
	LoadBalancerControllerPolicySHA256    = "16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a"
	loadBalancerControllerPolicyCanonical = "7541db112d00e6c97c8f2be56f5694a074feaaa98f1a3e220652649a669533e6"
)

// loadBalancerControllerPolicy is the AWS Load Balancer Controller's IAM policy, statement for
// statement kubernetes-sigs/aws-load-balancer-controller@v3.5.0 docs/install/iam_policy.json (the
// policy docs/deploy/installation.md attaches to the controller's role, for the aws partition; the
// controller ships docs/install/iam_policy_cn.json and iam_policy_us-gov.json for the others, whose
// arn:aws-cn: / arn:aws-us-gov: resources differ). The aws target accepts only regions of the aws
// partition (config/regions.go Regions[AWS]; config/aws_partition_test.go pins it), so the
// arn:aws: resources below are the partition the controller runs in. The
// controller scopes its own writes: it tags what it creates with elbv2.k8s.aws/cluster and the
// statements that modify or delete load balancers, target groups and security groups require that tag.
func loadBalancerControllerPolicy() awsiam.PolicyDocument {
	return awsiam.PolicyDocument{Version: "2012-10-17", Statement: []awsiam.Statement{
		{Effect: "Allow", Action: []string{"iam:CreateServiceLinkedRole"}, Resource: []string{"*"}, Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}},
		{Effect: "Allow", Action: []string{"ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones", "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools", "ec2:DescribeRouteTables", "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates", "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:DescribeCapacityReservation"}, Resource: []string{"*"}},
		{Effect: "Allow", Action: []string{"cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate", "iam:ListServerCertificates", "iam:GetServerCertificate", "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection"}, Resource: []string{"*"}},
		{Effect: "Allow", Action: []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"}, Resource: []string{"*"}},
		{Effect: "Allow", Action: []string{"ec2:CreateSecurityGroup"}, Resource: []string{"*"}},
		{Effect: "Allow", Action: []string{"ec2:CreateTags"}, Resource: []string{"arn:aws:ec2:*:*:security-group/*"}, Condition: map[string]map[string]any{"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, "Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}},
		{Effect: "Allow", Action: []string{"ec2:CreateTags", "ec2:DeleteTags"}, Resource: []string{"arn:aws:ec2:*:*:security-group/*"}, Condition: map[string]map[string]any{"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "true", "aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}},
		{Effect: "Allow", Action: []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"}, Resource: []string{"*"}, Condition: map[string]map[string]any{"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}},
		{Effect: "Allow", Action: []string{"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"}, Resource: []string{"*"}, Condition: map[string]map[string]any{"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}},
		{Effect: "Allow", Action: []string{"elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"}, Resource: []string{"*"}},
		{Effect: "Allow", Action: []string{"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"}, Resource: []string{"arn:aws:elasticloadbalancing:*:*:targetgroup/*/*", "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*", "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*"}, Condition: map[string]map[string]any{"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "true", "aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}},
		{Effect: "Allow", Action: []string{"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"}, Resource: []string{"arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*", "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*", "arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*", "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*"}},
		{Effect: "Allow", Action: []string{"elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType", "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets", "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation", "elasticloadbalancing:ModifyIpPools"}, Resource: []string{"*"}, Condition: map[string]map[string]any{"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}},
		{Effect: "Allow", Action: []string{"elasticloadbalancing:AddTags"}, Resource: []string{"arn:aws:elasticloadbalancing:*:*:targetgroup/*/*", "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*", "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*"}, Condition: map[string]map[string]any{"StringEquals": {"elasticloadbalancing:CreateAction": []string{"CreateTargetGroup", "CreateLoadBalancer"}}, "Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}},
		{Effect: "Allow", Action: []string{"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"}, Resource: []string{"arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"}},
		{Effect: "Allow", Action: []string{"elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener", "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates", "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities"}, Resource: []string{"*"}},
	}}
}
