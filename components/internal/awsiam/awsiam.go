// Package awsiam is the IAM policy document the AWS components build with encoding/json rather than
// an aws:iam/getPolicyDocument invoke, so the document is known in preview and needs no round trip.
package awsiam

// PolicyDocument is an IAM policy or trust policy.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a PolicyDocument.
type Statement struct {
	Effect string `json:"Effect"`
	// Principal is set on trust policies, e.g. {"Service": "ec2.amazonaws.com"}.
	Principal map[string]any            `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// PodIdentityTrust is the trust policy of a role that only one ServiceAccount of one cluster can assume
// through EKS Pod Identity, which tags the session with the cluster, namespace and ServiceAccount (EKS
// user guide, pod-id-abac.adoc): no other pod, cluster or account can use the role.
func PodIdentityTrust(account, cluster, namespace, serviceAccount string) PolicyDocument {
	return PolicyDocument{Version: "2012-10-17", Statement: []Statement{{
		Effect: "Allow", Principal: map[string]any{"Service": "pods.eks.amazonaws.com"},
		Action: []string{"sts:AssumeRole", "sts:TagSession"},
		Condition: map[string]map[string]any{"StringEquals": {
			"aws:SourceAccount":                         account,
			"aws:RequestTag/eks-cluster-name":           cluster,
			"aws:RequestTag/kubernetes-namespace":       namespace,
			"aws:RequestTag/kubernetes-service-account": serviceAccount,
		}},
	}}}
}
