// Package awsvpc is the AWS implementation of the platform network: a VPC over two or three zones with
// public, private (EKS nodes and pods) and database subnets, NAT egress, VPC endpoints for what private
// nodes pull and call, flow logs, and a locked-down default security group.
package awsvpc

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
	"github.com/opendataplatform/dataplatform/components/network"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NetworkType is the component's type token.
const NetworkType = "dataplatform:aws:Network"

// interfaceEndpointServices are the AWS services private nodes reach through interface endpoints
// rather than the NAT gateway: image pulls (ECR api and dkr; layers come from S3 through the gateway
// endpoint), STS and EKS Pod Identity credentials (sts, eks-auth), the VPC CNI's EC2 calls, Secrets
// Manager, and CloudWatch Logs.
var interfaceEndpointServices = []string{"ecr.api", "ecr.dkr", "sts", "eks-auth", "ec2", "secretsmanager", "logs"}

// NetworkArgs configures the VPC.
type NetworkArgs struct {
	// CIDR is the VPC's IPv4 block, /16 to /20, inside an RFC 1918 range (e.g. "10.40.0.0/16").
	CIDR string
	// AvailabilityZones is how many zones the VPC spans: 2 or 3. Unless Zones names them, the zones
	// are the first ones, sorted by name, of the region's standard Availability Zones (see zones.go).
	AvailabilityZones int
	// Zones, when set, names the zones explicitly (e.g. to avoid a zone without capacity for the node
	// instance types); it must list AvailabilityZones distinct standard zones of the region.
	Zones []string
	// NATGateways is 1 (one shared gateway, cheaper) or AvailabilityZones (one per zone, so a zone
	// outage does not cut the other zones' egress).
	NATGateways int
	// FlowLogRetentionDays is how long VPC flow logs are kept; one of CloudWatch Logs' retention values
	// (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653).
	FlowLogRetentionDays int
	// ClusterName is the EKS cluster that will use the subnets; it goes into the
	// kubernetes.io/cluster/<name> tags the load balancer controller discovers subnets by.
	ClusterName string
	// Tags are added to every resource that takes tags.
	Tags map[string]string
	// Protect marks the stateful resources (the VPC) protected: destroy and replacement stop at it.
	// Disposable children (subnets, route tables, NAT gateways, endpoints, security groups, flow
	// logs…) are never protected: they are rebuilt from this program and hold no data.
	Protect bool
}

// Network is the AWS VPC component.
type Network struct {
	pulumi.ResourceState

	// VpcID is the VPC's ID.
	VpcID pulumi.StringOutput
	// PublicSubnetIDs are the public subnets, one per zone (internet-facing load balancers, NAT gateways).
	PublicSubnetIDs pulumi.StringArrayOutput
	// PrivateSubnetIDs are the private subnets, one per zone (EKS nodes and pods).
	PrivateSubnetIDs pulumi.StringArrayOutput
	// PublicCIDRs and PrivateCIDRs are the public and private subnets' address ranges, in subnet
	// order: a load balancer placed in them (internet-facing in the public, internal in the private)
	// reaches pods from these addresses, which the pods' NetworkPolicies admit.
	PublicCIDRs, PrivateCIDRs []string
	// DatabaseSubnetIDs are the database subnets, one per zone; they have no route to the internet.
	DatabaseSubnetIDs pulumi.StringArrayOutput
	// DatabaseSubnetGroupName is the RDS DB subnet group over the database subnets.
	DatabaseSubnetGroupName pulumi.StringOutput
	// AvailabilityZones are the zone names, in subnet order.
	AvailabilityZones pulumi.StringArrayOutput
	// PrivateRouteTableIDs are the private subnets' route tables, one per zone.
	PrivateRouteTableIDs pulumi.StringArrayOutput
	// NodeSecurityGroupID is the security group every EKS node (and so every pod of the VPC CNI)
	// carries besides the EKS cluster security group. Data services (RDS) admit it, so they depend on
	// the network only and never wait for the EKS cluster.
	NodeSecurityGroupID pulumi.StringOutput
	// EgressResources are what a node in a private subnet needs before it boots: the private route
	// table associations, the NAT gateways and the VPC endpoints. Pass them to the cluster's node
	// groups (eks.ClusterArgs.NodeGroupDependsOn), never to the cluster itself.
	EgressResources []pulumi.Resource
	// Info is the cloud-neutral view of the network.
	Info network.Info
}

// retentionDays are the values CloudWatch Logs accepts (0, "never expire", is left out on purpose).
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var (
	clusterNameRE = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	zoneNameRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d[a-z]$`)
)

var rfc1918 = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
}

// validate checks the arguments and returns the parsed CIDR.
func (a *NetworkArgs) validate() (netip.Prefix, error) {
	if a == nil {
		return netip.Prefix{}, fmt.Errorf("awsvpc: args is nil; pass a *NetworkArgs")
	}
	cidr, err := netip.ParsePrefix(a.CIDR)
	if err != nil || !cidr.Addr().Is4() {
		return cidr, fmt.Errorf("awsvpc: CIDR = %q; must be an IPv4 CIDR block such as 10.40.0.0/16", a.CIDR)
	}
	if cidr.Bits() < 16 || cidr.Bits() > 20 {
		return cidr, fmt.Errorf("awsvpc: CIDR = %q; the prefix length must be /16 to /20", a.CIDR)
	}
	if cidr.Masked() != cidr {
		return cidr, fmt.Errorf("awsvpc: CIDR = %q; host bits must be zero, e.g. %s", a.CIDR, cidr.Masked())
	}
	if !slices.ContainsFunc(rfc1918, func(p netip.Prefix) bool { return p.Contains(cidr.Addr()) && p.Bits() <= cidr.Bits() }) {
		return cidr, fmt.Errorf("awsvpc: CIDR = %q; must be inside a private range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16", a.CIDR)
	}
	if a.AvailabilityZones != 2 && a.AvailabilityZones != 3 {
		return cidr, fmt.Errorf("awsvpc: AvailabilityZones = %d; must be 2 or 3", a.AvailabilityZones)
	}
	if a.NATGateways != 1 && a.NATGateways != a.AvailabilityZones {
		return cidr, fmt.Errorf("awsvpc: NATGateways = %d; must be 1 or one per zone (%d)", a.NATGateways, a.AvailabilityZones)
	}
	if !slices.Contains(retentionDays, a.FlowLogRetentionDays) {
		return cidr, fmt.Errorf("awsvpc: FlowLogRetentionDays = %d; must be one of %v", a.FlowLogRetentionDays, retentionDays)
	}
	if !clusterNameRE.MatchString(a.ClusterName) {
		return cidr, fmt.Errorf("awsvpc: ClusterName = %q; must be 1–100 letters, digits, '-' or '_', starting with a letter or digit", a.ClusterName)
	}
	if len(a.Zones) > 0 && len(a.Zones) != a.AvailabilityZones {
		return cidr, fmt.Errorf("awsvpc: Zones = %v; must name exactly AvailabilityZones (%d) zones, or be empty", a.Zones, a.AvailabilityZones)
	}
	for i, z := range a.Zones {
		if !zoneNameRE.MatchString(z) || slices.Contains(a.Zones[:i], z) {
			return cidr, fmt.Errorf("awsvpc: Zones[%d] = %q; must be a distinct Availability Zone name such as \"eu-north-1a\"", i, z)
		}
	}
	for k := range a.Tags {
		if k == "" || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return cidr, fmt.Errorf("awsvpc: Tags key %q; must be non-empty and must not start with the reserved prefix \"aws:\"", k)
		}
	}
	return cidr, nil
}

// NewNetwork creates the VPC and everything in it.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	cidr, err := args.validate()
	if err != nil {
		return nil, err
	}
	layout, err := carve(cidr, args.AvailabilityZones)
	if err != nil {
		return nil, fmt.Errorf("awsvpc: %w", err)
	}

	comp := &Network{}
	props := pulumi.Map{
		"cidr":                 pulumi.String(args.CIDR),
		"availabilityZones":    pulumi.Int(args.AvailabilityZones),
		"natGateways":          pulumi.Int(args.NATGateways),
		"flowLogRetentionDays": pulumi.Int(args.FlowLogRetentionDays),
		"clusterName":          pulumi.String(args.ClusterName),
		"zones":                pulumi.ToStringArray(args.Zones),
		"tags":                 pulumi.ToStringMap(args.Tags),
		"protect":              pulumi.Bool(args.Protect),
	}
	if err := ctx.RegisterComponentResourceV2(NetworkType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	// Invokes go through the component, so they use the same provider (and region) as its children.
	zones, err := chooseZones(ctx, args, parent)
	if err != nil {
		return nil, err
	}
	region, err := aws.GetRegion(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("awsvpc: reading the region: %w", err)
	}
	account, err := aws.GetCallerIdentity(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("awsvpc: reading the account: %w", err)
	}
	partition, err := aws.GetPartition(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("awsvpc: reading the partition: %w", err)
	}

	tags := func(resourceName string, extra map[string]string) pulumi.StringMap {
		m := pulumi.StringMap{}
		for k, v := range args.Tags {
			m[k] = pulumi.String(v)
		}
		for k, v := range extra {
			m[k] = pulumi.String(v)
		}
		m["Name"] = pulumi.String(resourceName)
		return m
	}

	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(args.CIDR),
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true), // required by interface endpoints' private DNS and by EKS
		Tags:               tags(name+"-vpc", nil),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}

	// Adopting the default security group with no rules removes its allow-all rules, so nothing
	// lands in an open group by accident.
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.ID(),
		Tags:  tags(name+"-default-sg-do-not-use", nil),
	}, parent); err != nil {
		return nil, err
	}

	nodeSG, err := ec2.NewSecurityGroup(ctx, name+"-node-sg", &ec2.SecurityGroupArgs{
		VpcId:       vpc.ID(),
		Description: pulumi.String("EKS nodes and pods of " + args.ClusterName + "; data services admit this group"),
		// No rules of its own: nodes also carry the EKS cluster security group, which allows their
		// egress and the control plane's traffic. This group only names the nodes as a source. It must
		// not carry the kubernetes.io/cluster/<name> tag: the load balancer controller expects exactly
		// one such group per node (the cluster security group).
		Ingress: ec2.SecurityGroupIngressArray{},
		Egress:  ec2.SecurityGroupEgressArray{},
		Tags:    tags(name+"-node-sg", nil),
	}, parent)
	if err != nil {
		return nil, err
	}

	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  tags(name+"-igw", nil),
	}, parent)
	if err != nil {
		return nil, err
	}

	clusterTag := "kubernetes.io/cluster/" + args.ClusterName
	var public, private, database []*ec2.Subnet
	for i, zone := range zones {
		suffix := zoneSuffix(zone, i)
		kinds := []struct {
			kind string
			cidr netip.Prefix
			tags map[string]string
			out  *[]*ec2.Subnet
		}{
			{"public", layout[i].Public, map[string]string{clusterTag: "shared", "kubernetes.io/role/elb": "1", "dataplatform.io/tier": "public"}, &public},
			{"private", layout[i].Private, map[string]string{clusterTag: "shared", "kubernetes.io/role/internal-elb": "1", "dataplatform.io/tier": "private"}, &private},
			{"db", layout[i].Database, map[string]string{"dataplatform.io/tier": "database"}, &database},
		}
		for _, k := range kinds {
			sn := fmt.Sprintf("%s-%s-%s", name, k.kind, suffix)
			s, err := ec2.NewSubnet(ctx, sn, &ec2.SubnetArgs{
				VpcId:            vpc.ID(),
				CidrBlock:        pulumi.String(k.cidr.String()),
				AvailabilityZone: pulumi.String(zone),
				// Nothing gets a public IP implicitly; load balancers and NAT gateways bring their own.
				MapPublicIpOnLaunch: pulumi.Bool(false),
				Tags:                tags(sn, k.tags),
			}, parent)
			if err != nil {
				return nil, err
			}
			*k.out = append(*k.out, s)
		}
	}

	var nats []*ec2.NatGateway
	for i := 0; i < args.NATGateways; i++ {
		suffix := zoneSuffix(zones[i], i)
		eip, err := ec2.NewEip(ctx, fmt.Sprintf("%s-nat-eip-%s", name, suffix), &ec2.EipArgs{
			Domain: pulumi.String("vpc"),
			Tags:   tags(fmt.Sprintf("%s-nat-%s", name, suffix), nil),
		}, parent)
		if err != nil {
			return nil, err
		}
		nat, err := ec2.NewNatGateway(ctx, fmt.Sprintf("%s-nat-%s", name, suffix), &ec2.NatGatewayArgs{
			AllocationId: eip.ID(),
			SubnetId:     public[i].ID(),
			Tags:         tags(fmt.Sprintf("%s-nat-%s", name, suffix), nil),
			// A NAT gateway only forwards once the VPC has its internet gateway attached.
		}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return nil, err
		}
		nats = append(nats, nat)
	}

	publicRT, err := ec2.NewRouteTable(ctx, name+"-public-rt", &ec2.RouteTableArgs{
		VpcId:  vpc.ID(),
		Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID()}},
		Tags:   tags(name+"-public-rt", nil),
	}, parent)
	if err != nil {
		return nil, err
	}
	// Database subnets get their own table with an explicitly empty route list: only the implicit
	// local route, and any route added outside Pulumi is removed on the next update.
	dbRT, err := ec2.NewRouteTable(ctx, name+"-db-rt", &ec2.RouteTableArgs{
		VpcId:  vpc.ID(),
		Routes: ec2.RouteTableRouteArray{},
		Tags:   tags(name+"-db-rt", nil),
	}, parent)
	if err != nil {
		return nil, err
	}

	var egress []pulumi.Resource
	for _, n := range nats {
		egress = append(egress, n)
	}
	var privateRTs []*ec2.RouteTable
	for i, zone := range zones {
		suffix := zoneSuffix(zone, i)
		nat := nats[0]
		if len(nats) > 1 {
			nat = nats[i] // stay in the zone: no cross-zone data charges, no shared failure
		}
		rt, err := ec2.NewRouteTable(ctx, fmt.Sprintf("%s-private-rt-%s", name, suffix), &ec2.RouteTableArgs{
			VpcId:  vpc.ID(),
			Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat.ID()}},
			Tags:   tags(fmt.Sprintf("%s-private-rt-%s", name, suffix), nil),
		}, parent)
		if err != nil {
			return nil, err
		}
		privateRTs = append(privateRTs, rt)
		for _, assoc := range []struct {
			kind   string
			subnet *ec2.Subnet
			rt     *ec2.RouteTable
		}{{"public", public[i], publicRT}, {"private", private[i], rt}, {"db", database[i], dbRT}} {
			a, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-%s-rta-%s", name, assoc.kind, suffix), &ec2.RouteTableAssociationArgs{
				SubnetId:     assoc.subnet.ID(),
				RouteTableId: assoc.rt.ID(),
			}, parent)
			if err != nil {
				return nil, err
			}
			if assoc.kind == "private" {
				egress = append(egress, a)
			}
		}
	}

	subnetGroup, err := rds.NewSubnetGroup(ctx, name+"-db-subnets", &rds.SubnetGroupArgs{
		Description: pulumi.String("Database subnets of " + name + " (no internet route)"),
		SubnetIds:   ids(database),
		Tags:        tags(name+"-db-subnets", nil),
	}, parent)
	if err != nil {
		return nil, err
	}

	// S3 through a gateway endpoint: ECR image layers and the data lake stay off the NAT gateway.
	s3, err := ec2.NewVpcEndpoint(ctx, name+"-vpce-s3", &ec2.VpcEndpointArgs{
		VpcId:           vpc.ID(),
		ServiceName:     pulumi.String(fmt.Sprintf("com.amazonaws.%s.s3", region.Name)),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   routeTableIDs(privateRTs),
		Tags:            tags(name+"-vpce-s3", nil),
	}, parent)
	if err != nil {
		return nil, err
	}
	egress = append(egress, s3)

	endpointSG, err := ec2.NewSecurityGroup(ctx, name+"-vpce-sg", &ec2.SecurityGroupArgs{
		VpcId:       vpc.ID(),
		Description: pulumi.String("HTTPS from inside the VPC to the interface endpoints of " + name),
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Description: pulumi.String("HTTPS from the VPC"),
			Protocol:    pulumi.String("tcp"),
			FromPort:    pulumi.Int(443),
			ToPort:      pulumi.Int(443),
			CidrBlocks:  pulumi.StringArray{pulumi.String(args.CIDR)},
		}},
		// Endpoints only answer; security groups are stateful, so they need no egress rule.
		Egress: ec2.SecurityGroupEgressArray{},
		Tags:   tags(name+"-vpce-sg", nil),
	}, parent)
	if err != nil {
		return nil, err
	}
	for _, svc := range interfaceEndpointServices {
		en := name + "-vpce-" + strings.ReplaceAll(svc, ".", "-")
		ep, err := ec2.NewVpcEndpoint(ctx, en, &ec2.VpcEndpointArgs{
			VpcId:             vpc.ID(),
			ServiceName:       pulumi.String(fmt.Sprintf("com.amazonaws.%s.%s", region.Name, svc)),
			VpcEndpointType:   pulumi.String("Interface"),
			PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds:         ids(private),
			SecurityGroupIds:  pulumi.StringArray{endpointSG.ID()},
			Tags:              tags(en, nil),
		}, parent)
		if err != nil {
			return nil, err
		}
		egress = append(egress, ep)
	}

	if err := flowLogs(ctx, name, args, vpc, region.Name, account.AccountId, partition.Partition, tags, parent); err != nil {
		return nil, err
	}

	comp.VpcID = vpc.ID().ToStringOutput()
	comp.NodeSecurityGroupID = nodeSG.ID().ToStringOutput()
	comp.PublicSubnetIDs = ids(public).ToStringArrayOutput()
	for _, z := range layout {
		comp.PublicCIDRs = append(comp.PublicCIDRs, z.Public.String())
		comp.PrivateCIDRs = append(comp.PrivateCIDRs, z.Private.String())
	}
	comp.PrivateSubnetIDs = ids(private).ToStringArrayOutput()
	comp.DatabaseSubnetIDs = ids(database).ToStringArrayOutput()
	comp.DatabaseSubnetGroupName = subnetGroup.Name
	comp.AvailabilityZones = pulumi.ToStringArray(zones).ToStringArrayOutput()
	comp.PrivateRouteTableIDs = routeTableIDs(privateRTs).ToStringArrayOutput()
	comp.EgressResources = egress
	comp.Info = network.Info{
		Cloud:             "aws",
		Region:            region.Name,
		CIDR:              args.CIDR,
		NetworkID:         comp.VpcID,
		PrivateSubnetIDs:  comp.PrivateSubnetIDs,
		DatabaseSubnetIDs: comp.DatabaseSubnetIDs,
		Zones:             comp.AvailabilityZones,
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"vpcId":                   comp.VpcID,
		"publicSubnetIds":         comp.PublicSubnetIDs,
		"privateSubnetIds":        comp.PrivateSubnetIDs,
		"databaseSubnetIds":       comp.DatabaseSubnetIDs,
		"databaseSubnetGroupName": comp.DatabaseSubnetGroupName,
		"availabilityZones":       comp.AvailabilityZones,
		"privateRouteTableIds":    comp.PrivateRouteTableIDs,
		"nodeSecurityGroupId":     comp.NodeSecurityGroupID,
		"region":                  pulumi.String(region.Name),
		"cidr":                    pulumi.String(args.CIDR),
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// flowLogs sends all of the VPC's traffic records to a CloudWatch log group through a role that can
// write to that group only, and that only the flow logs service of this account can assume.
func flowLogs(ctx *pulumi.Context, name string, args *NetworkArgs, vpc *ec2.Vpc, region, account, partition string,
	tags func(string, map[string]string) pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) error {
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(args.FlowLogRetentionDays),
		Tags:            tags(name+"-flow-logs", nil),
	}, parent)
	if err != nil {
		return err
	}
	trust, err := json.Marshal(policyDocument{Version: "2012-10-17", Statement: []statement{{
		Effect:    "Allow",
		Principal: map[string]any{"Service": "vpc-flow-logs.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
		// Confused-deputy guard: only flow logs of this account may assume the role.
		Condition: map[string]map[string]any{
			"StringEquals": {"aws:SourceAccount": account},
			"ArnLike":      {"aws:SourceArn": fmt.Sprintf("arn:%s:ec2:%s:%s:vpc-flow-log/*", partition, region, account)},
		},
	}}})
	if err != nil {
		return err
	}
	role, err := iam.NewRole(ctx, name+"-flow-logs-role", &iam.RoleArgs{
		Description:      pulumi.String("VPC flow logs of " + name + " write to their log group"),
		AssumeRolePolicy: pulumi.String(string(trust)),
		Tags:             tags(name+"-flow-logs-role", nil),
	}, parent)
	if err != nil {
		return err
	}
	policy := group.Arn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(policyDocument{Version: "2012-10-17", Statement: []statement{
			{Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}, Resource: []string{arn, arn + ":*"}},
			{Effect: "Allow", Action: []string{"logs:DescribeLogGroups"}, Resource: []string{fmt.Sprintf("arn:%s:logs:%s:%s:log-group:*", partition, region, account)}},
		}})
		return string(b), err
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-flow-logs-policy", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, parent)
	if err != nil {
		return err
	}
	_, err = ec2.NewFlowLog(ctx, name+"-flow-log", &ec2.FlowLogArgs{
		VpcId:              vpc.ID(),
		TrafficType:        pulumi.String("ALL"),
		LogDestinationType: pulumi.String("cloud-watch-logs"),
		LogDestination:     group.Arn,
		IamRoleArn:         role.Arn,
		Tags:               tags(name+"-flow-log", nil),
		// Without the policy in place the first deliveries fail and the flow log reports an access error.
	}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy}))
	return err
}

// policyDocument and statement are the shared IAM document types.
type (
	policyDocument = awsiam.PolicyDocument
	statement      = awsiam.Statement
)

// zoneSuffix names per-zone resources by the zone letter ("eu-north-1a" → "a"), which is stable,
// short and readable; it falls back to the index for unusual zone names.
func zoneSuffix(zone string, i int) string {
	if n := len(zone); n > 0 && zone[n-1] >= 'a' && zone[n-1] <= 'z' {
		return zone[n-1:]
	}
	return fmt.Sprint(i)
}

func ids(subnets []*ec2.Subnet) pulumi.StringArray {
	out := pulumi.StringArray{}
	for _, s := range subnets {
		out = append(out, s.ID())
	}
	return out
}

func routeTableIDs(rts []*ec2.RouteTable) pulumi.StringArray {
	out := pulumi.StringArray{}
	for _, r := range rts {
		out = append(out, r.ID())
	}
	return out
}
