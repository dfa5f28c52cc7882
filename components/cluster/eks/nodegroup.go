package eks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// clusterAdminPolicy is the EKS access policy with cluster-admin rights (EKS user guide,
// access-policy-reference: AmazonEKSClusterAdminPolicy).
const clusterAdminPolicy = "AmazonEKSClusterAdminPolicy"

// vpcCNIConfiguration turns on the VPC CNI's network policy agent, so the NetworkPolicies the
// platform writes are enforced (they are ignored without it). The key and its string value are the
// EKS add-on's configuration schema: EKS user guide, eks-networking-add-ons.adoc ("Enter the JSON key
// "enableNetworkPolicy": and value "true" in Configuration values"); it is the aws-vpc-cni chart's
// enableNetworkPolicy value (amazon-vpc-cni-k8s charts/aws-vpc-cni/values.yaml, v1.14.0 and later).
var vpcCNIConfiguration = mustJSON(map[string]string{"enableNetworkPolicy": "true"})

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// accessEntries gives every Admins ARN an access entry with the cluster-admin access policy on the
// whole cluster. pulumi-aws@v6.83.4 sdk/go/aws/eks/accessEntry.go (clusterName, principalArn, type
// STANDARD) and accessPolicyAssociation.go (accessScope type "cluster", policyArn).
func (b *builder) accessEntries(clusterName pulumi.StringOutput) ([]pulumi.Resource, error) {
	var out []pulumi.Resource
	for _, arn := range b.args.Admins {
		// Named by the principal, not its position: removing one admin from the list must not
		// re-point another's entry (EKS refuses a second entry for a principal while the first exists).
		sum := sha256.Sum256([]byte(arn))
		rn := fmt.Sprintf("%s-admin-%s", b.name, hex.EncodeToString(sum[:])[:10])
		entry, err := eks.NewAccessEntry(b.ctx, rn, &eks.AccessEntryArgs{
			ClusterName:  clusterName,
			PrincipalArn: pulumi.String(arn),
			Type:         pulumi.String("STANDARD"),
			Tags:         b.tags(rn),
		}, b.parent, pulumi.DeleteBeforeReplace(true)) // one entry per principal: a new one cannot coexist
		if err != nil {
			return nil, err
		}
		assoc, err := eks.NewAccessPolicyAssociation(b.ctx, rn+"-policy", &eks.AccessPolicyAssociationArgs{
			ClusterName:  clusterName,
			PrincipalArn: entry.PrincipalArn,
			PolicyArn:    pulumi.String(fmt.Sprintf("arn:%s:eks::aws:cluster-access-policy/%s", b.partition, clusterAdminPolicy)),
			AccessScope:  &eks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
		}, b.parent)
		if err != nil {
			return nil, err
		}
		out = append(out, entry, assoc)
	}
	return out, nil
}

// nodeGroupKeepers are what names a pool's node group: a change to any of them gives the group a new
// name, so the replacement is created before the old group is deleted (EKS drains the old nodes),
// instead of colliding with it. They are the node group inputs the provider replaces the group for
// (instance types, capacity type, AMI type, subnets) and the pool's minimum: EKS refuses a minSize
// above the current desiredSize ("Minimum capacity N can't be greater than desired size M"), and the
// desiredSize must stay ignored after creation because the cluster autoscaler owns it, so a new
// minimum is a new node group started at that size. MaxNodes, the disk and labels update in place.
func nodeGroupKeepers(p cluster.NodePool, subnets pulumi.StringArrayInput) pulumi.StringMap {
	return pulumi.StringMap{
		"minNodes":      pulumi.String(strconv.Itoa(p.MinNodes)),
		"instanceTypes": pulumi.String(strings.Join(instanceTypes(p.MachineType, p.Spot), ",")),
		"capacityType":  pulumi.String(capacityType(p)),
		"amiType":       pulumi.String(amiType(p.MachineType)),
		"subnetIds": subnets.ToStringArrayOutput().ApplyT(func(ids []string) string {
			return strings.Join(ids, ",")
		}).(pulumi.StringOutput),
	}
}

func capacityType(p cluster.NodePool) string {
	if p.Spot {
		return "SPOT"
	}
	return "ON_DEMAND"
}

// nodeGroup creates a launch template and a managed node group for one pool.
func (b *builder) nodeGroup(pool string, p cluster.NodePool, eksCluster *eks.Cluster, nodeRole *iam.Role, clusterSG pulumi.StringOutput, dependsOn []pulumi.Resource) (*eks.NodeGroup, error) {
	ctx, name := b.ctx, b.name
	tagSpecs := ec2.LaunchTemplateTagSpecificationArray{}
	for _, rt := range []string{"instance", "volume", "network-interface"} {
		tagSpecs = append(tagSpecs, ec2.LaunchTemplateTagSpecificationArgs{
			ResourceType: pulumi.String(rt),
			Tags:         b.tags(fmt.Sprintf("%s-%s", b.args.ClusterName, pool)),
		})
	}
	ltArgs := &ec2.LaunchTemplateArgs{
		Description:          pulumi.String(fmt.Sprintf("%s nodes of EKS cluster %s", pool, b.args.ClusterName)),
		UpdateDefaultVersion: pulumi.Bool(true),
		// IMDSv2 only, one hop: pods (a hop away) cannot read the node role's credentials; they get
		// their own through Pod Identity.
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(1),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/xvda"), // the AL2023 root device
			Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize:          pulumi.Int(p.DiskSizeGiB),
				VolumeType:          pulumi.String("gp3"),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
			},
		}},
		TagSpecifications: tagSpecs,
		Tags:              b.tags(name + "-" + pool + "-lt"),
	}
	if b.args.NodeSecurityGroupID != nil {
		// With security groups in the launch template EKS no longer adds the cluster security group
		// to the nodes (EKS user guide, launch-templates.adoc, "Using custom security groups"), so it
		// is listed here with the network's node group.
		ltArgs.VpcSecurityGroupIds = pulumi.StringArray{clusterSG, b.args.NodeSecurityGroupID}
	}
	lt, err := ec2.NewLaunchTemplate(ctx, name+"-"+pool+"-lt", ltArgs, b.parent)
	if err != nil {
		return nil, err
	}
	suffix, err := random.NewRandomString(ctx, name+"-"+pool+"-name", &random.RandomStringArgs{
		Length: pulumi.Int(8), Upper: pulumi.Bool(false), Special: pulumi.Bool(false),
		Keepers: nodeGroupKeepers(p, b.args.SubnetIDs),
	}, b.parent)
	if err != nil {
		return nil, err
	}
	return eks.NewNodeGroup(ctx, name+"-"+pool, &eks.NodeGroupArgs{
		ClusterName:   eksCluster.Name,
		NodeGroupName: pulumi.Sprintf("%s-%s", pool, suffix.Result),
		Version:       eksCluster.Version, // nodes follow the control plane after it upgrades
		NodeRoleArn:   nodeRole.Arn,
		SubnetIds:     b.args.SubnetIDs,
		AmiType:       pulumi.String(amiType(p.MachineType)),
		CapacityType:  pulumi.String(capacityType(p)),
		InstanceTypes: pulumi.ToStringArray(instanceTypes(p.MachineType, p.Spot)),
		Labels:        pulumi.StringMap{PoolLabel: pulumi.String(pool)},
		ScalingConfig: &eks.NodeGroupScalingConfigArgs{
			MinSize:     pulumi.Int(p.MinNodes),
			MaxSize:     pulumi.Int(p.MaxNodes),
			DesiredSize: pulumi.Int(p.MinNodes),
		},
		UpdateConfig: &eks.NodeGroupUpdateConfigArgs{MaxUnavailable: pulumi.Int(1)},
		LaunchTemplate: &eks.NodeGroupLaunchTemplateArgs{
			Id:      lt.ID(),
			Version: lt.LatestVersion.ApplyT(func(v int) string { return strconv.Itoa(v) }).(pulumi.StringOutput),
		},
		Tags: b.tags(name + "-" + pool),
	}, b.parent, pulumi.DependsOn(dependsOn),
		// The cluster autoscaler owns the current size between min and max; an update must not reset
		// it. A new minimum is a new node group (nodeGroupKeepers).
		pulumi.IgnoreChanges([]string{"scalingConfig.desiredSize"}))
}

// growable reports whether the pool may grow beyond its minimum, so it needs an autoscaler.
func growable(p cluster.NodePool) bool { return p.MaxNodes > p.MinNodes }
