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
