package eks

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func (b *builder) tags(resourceName string) pulumi.StringMap {
	m := pulumi.StringMap{}
	for k, v := range b.args.Tags {
		m[k] = pulumi.String(v)
	}
	m["Name"] = pulumi.String(resourceName)
	return m
}

func (b *builder) managedPolicy(path string) string {
	return fmt.Sprintf("arn:%s:iam::aws:policy/%s", b.partition, path)
}

// role creates an IAM role with a trust policy and managed policies, and returns it with the
// attachments, which whatever uses the role must wait for.
func (b *builder) role(suffix, description string, trust policyDocument, managed ...string) (*iam.Role, []pulumi.Resource, error) {
	doc, err := json.Marshal(trust)
	if err != nil {
		return nil, nil, err
	}
	rn := b.name + "-" + suffix
	role, err := iam.NewRole(b.ctx, rn, &iam.RoleArgs{
		Description:      pulumi.String(description),
		AssumeRolePolicy: pulumi.String(string(doc)),
		Tags:             b.tags(rn),
	}, b.parent)
	if err != nil {
		return nil, nil, err
	}
	var attached []pulumi.Resource
	for _, p := range managed {
		short := p[strings.LastIndex(p, "/")+1:]
		a, err := iam.NewRolePolicyAttachment(b.ctx, rn+"-"+strings.ToLower(strings.ReplaceAll(short, "_", "-")), &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String(b.managedPolicy(p)),
		}, b.parent)
		if err != nil {
			return nil, nil, err
		}
		attached = append(attached, a)
	}
	return role, attached, nil
}

// inlinePolicy attaches a policy document built from the KMS key ARN.
func (b *builder) inlinePolicy(suffix string, role *iam.Role, keyArn pulumi.StringOutput, doc func(string) policyDocument) (*iam.RolePolicy, error) {
	policy := keyArn.ApplyT(func(arn string) (string, error) {
		out, err := json.Marshal(doc(arn))
		return string(out), err
	}).(pulumi.StringOutput)
	return iam.NewRolePolicy(b.ctx, b.name+"-"+suffix, &iam.RolePolicyArgs{Role: role.ID(), Policy: policy}, b.parent)
}

// podIdentity creates a role that only the given ServiceAccount of this cluster can assume through
// EKS Pod Identity, and the association that binds them.
func (b *builder) podIdentity(suffix, namespace, serviceAccount string, clusterName pulumi.StringOutput, managed ...string) (*iam.Role, []pulumi.Resource, error) {
	trust := policyDocument{Version: "2012-10-17", Statement: []statement{{
		Effect:    "Allow",
		Principal: map[string]any{"Service": "pods.eks.amazonaws.com"},
		Action:    []string{"sts:AssumeRole", "sts:TagSession"},
		// Pod Identity tags the session with the cluster, namespace and ServiceAccount: no other pod,
		// cluster or account can use the role.
		Condition: map[string]map[string]any{"StringEquals": {
			"aws:SourceAccount":                         b.account,
			"aws:RequestTag/eks-cluster-name":           b.args.ClusterName,
			"aws:RequestTag/kubernetes-namespace":       namespace,
			"aws:RequestTag/kubernetes-service-account": serviceAccount,
		}},
	}}}
	role, deps, err := b.role(suffix+"-role", fmt.Sprintf("%s/%s on EKS cluster %s (Pod Identity)", namespace, serviceAccount, b.args.ClusterName), trust, managed...)
	if err != nil {
		return nil, nil, err
	}
	assoc, err := eks.NewPodIdentityAssociation(b.ctx, b.name+"-"+suffix+"-pod-identity", &eks.PodIdentityAssociationArgs{
		ClusterName:    clusterName,
		Namespace:      pulumi.String(namespace),
		ServiceAccount: pulumi.String(serviceAccount),
		RoleArn:        role.Arn,
		Tags:           b.tags(b.name + "-" + suffix + "-pod-identity"),
	}, b.parent)
	if err != nil {
		return nil, nil, err
	}
	return role, append(deps, assoc), nil
}

// addon installs an EKS add-on at the default version for the cluster's Kubernetes version.
func (b *builder) addon(addonName string, clusterName pulumi.StringOutput, dependsOn []pulumi.Resource, configuration ...string) (*eks.Addon, error) {
	v, err := eks.GetAddonVersion(b.ctx, &eks.GetAddonVersionArgs{AddonName: addonName, KubernetesVersion: b.args.KubernetesVersion}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("eks: looking up the %s add-on version for Kubernetes %s: %w", addonName, b.args.KubernetesVersion, err)
	}
	opts := []pulumi.ResourceOption{b.parent}
	if len(dependsOn) > 0 {
		opts = append(opts, pulumi.DependsOn(dependsOn))
	}
	var values pulumi.StringPtrInput
	if len(configuration) > 0 {
		values = pulumi.String(configuration[0])
	}
	return eks.NewAddon(b.ctx, b.name+"-addon-"+addonName, &eks.AddonArgs{
		ConfigurationValues: values,
		ClusterName:         clusterName,
		AddonName:           pulumi.String(addonName),
		AddonVersion:        pulumi.String(v.Version),
		// The platform owns the add-ons' configuration: take them over on create, and reset manual
		// edits on update.
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
		Tags:                     b.tags(b.name + "-addon-" + addonName),
	}, opts...)
}

// policyDocument and statement are the shared IAM document types.
type (
	policyDocument = awsiam.PolicyDocument
	statement      = awsiam.Statement
)

func servicePrincipal(service string) policyDocument {
	return policyDocument{Version: "2012-10-17", Statement: []statement{{
		Effect: "Allow", Principal: map[string]any{"Service": service}, Action: []string{"sts:AssumeRole"},
	}}}
}
