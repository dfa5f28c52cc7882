package awsvpc

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	subnetType   = "aws:ec2/subnet:Subnet"
	natType      = "aws:ec2/natGateway:NatGateway"
	eipType      = "aws:ec2/eip:Eip"
	rtType       = "aws:ec2/routeTable:RouteTable"
	rtaType      = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	endpointType = "aws:ec2/vpcEndpoint:VpcEndpoint"
	sgType       = "aws:ec2/securityGroup:SecurityGroup"
)

func prodArgs() *NetworkArgs {
	return &NetworkArgs{
		CIDR: "10.40.0.0/16", AvailabilityZones: 3, NATGateways: 3, FlowLogRetentionDays: 90,
		ClusterName: "dataplatform-prod", Tags: map[string]string{"environment": "prod"},
	}
}

func run(t *testing.T, preview bool, args *NetworkArgs) (*mockcloud.Mocks, *Network, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	var net *Network
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
		if err != nil {
			return err
		}
		net, err = NewNetwork(ctx, "net", args, pulumi.Provider(p))
		return err
	}, nil)
	return m, net, err
}

func TestNetworkSubnetsPerZone(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		subnets := m.ByType(subnetType)
		require.Len(t, subnets, 9)
		perZone := map[string][]string{}
		for _, s := range subnets {
			zone := inspect.Str(s.Inputs, "availabilityZone")
			tags := inspect.Obj(s.Inputs["tags"])
			perZone[zone] = append(perZone[zone], inspect.Str(tags, "dataplatform.io/tier"))
			assert.False(t, s.Inputs["mapPublicIpOnLaunch"].BoolValue(), s.Name)
			switch inspect.Str(tags, "dataplatform.io/tier") {
			case "public":
				assert.Equal(t, "1", inspect.Str(tags, "kubernetes.io/role/elb"), s.Name)
				assert.Equal(t, "shared", inspect.Str(tags, "kubernetes.io/cluster/dataplatform-prod"), s.Name)
			case "private":
				assert.Equal(t, "1", inspect.Str(tags, "kubernetes.io/role/internal-elb"), s.Name)
				assert.Equal(t, "shared", inspect.Str(tags, "kubernetes.io/cluster/dataplatform-prod"), s.Name)
			case "database":
				for k := range tags {
					assert.False(t, strings.HasPrefix(string(k), "kubernetes.io/"), "%s: database subnets take no Kubernetes tags", s.Name)
				}
			default:
				t.Errorf("%s: unexpected tier tag %q", s.Name, inspect.Str(tags, "dataplatform.io/tier"))
			}
			assert.Equal(t, "prod", inspect.Str(tags, "environment"), s.Name)
		}
		require.Len(t, perZone, 3)
		for _, zone := range []string{"eu-north-1a", "eu-north-1b", "eu-north-1c"} {
			assert.ElementsMatch(t, []string{"public", "private", "database"}, perZone[zone], zone)
		}
		assert.Equal(t, "10.40.0.0/18", inspect.Str(m.Named(subnetType, "net-private-a").Inputs, "cidrBlock"))
		assert.Equal(t, "10.40.224.0/21", inspect.Str(m.Named(subnetType, "net-db-a").Inputs, "cidrBlock"))

		vpc := m.Named("aws:ec2/vpc:Vpc", "net-vpc")
		require.NotNil(t, vpc)
		assert.Equal(t, "10.40.0.0/16", inspect.Str(vpc.Inputs, "cidrBlock"))
		assert.True(t, vpc.Inputs["enableDnsSupport"].BoolValue())
		assert.True(t, vpc.Inputs["enableDnsHostnames"].BoolValue())

		invoked := map[string]bool{}
		for _, inv := range m.Invokes() {
			invoked[inv.Token] = true
			if inv.Token == "aws:index/getAvailabilityZones:getAvailabilityZones" {
				// No state filter: an impaired zone must stay in the answer (issue 9, class 8).
				_, hasState := inv.Args["state"]
				assert.False(t, hasState, "a state filter drops impaired zones and moves the subnets")
			}
		}
		assert.True(t, invoked["aws:index/getAvailabilityZones:getAvailabilityZones"])
	})
}

func TestNetworkTwoZones(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := prodArgs()
		args.AvailabilityZones, args.NATGateways = 2, 2
		m, _, err := run(t, preview, args)
		require.NoError(t, err)
		assert.Len(t, m.ByType(subnetType), 6)
		assert.Len(t, m.ByType(natType), 2)
		for _, s := range m.ByType(subnetType) {
			assert.NotEqual(t, "eu-north-1c", inspect.Str(s.Inputs, "availabilityZone"), s.Name)
		}
	})
}

func TestNetworkNATPerZoneOrShared(t *testing.T) {
	for _, nats := range []int{1, 3} {
		t.Run(fmt.Sprintf("nat=%d", nats), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				args := prodArgs()
				args.NATGateways = nats
				m, _, err := run(t, preview, args)
				require.NoError(t, err)
				gateways := m.ByType(natType)
				require.Len(t, gateways, nats)
				assert.Len(t, m.ByType(eipType), nats)
				igw := m.Named("aws:ec2/internetGateway:InternetGateway", "net-igw")
				for _, g := range gateways {
					assert.True(t, m.DependsOn(g, igw), "%s must wait for the internet gateway", g.Name)
				}
				for _, zone := range []string{"a", "b", "c"} {
					rt := m.Named(rtType, "net-private-rt-"+zone)
					require.NotNil(t, rt, zone)
					routes := rt.Inputs["routes"].ArrayValue()
					require.Len(t, routes, 1, zone)
					assert.Equal(t, "0.0.0.0/0", inspect.Str(inspect.Obj(routes[0]), "cidrBlock"))
					want := m.Named(natType, "net-nat-a")
					if nats == 3 {
						want = m.Named(natType, "net-nat-"+zone)
					}
					for _, g := range gateways {
						assert.Equal(t, g == want, m.DependsOn(rt, g), "route table %s → NAT %s", rt.Name, g.Name)
					}
					if !preview {
						assert.Equal(t, want.ID, inspect.Str(inspect.Obj(routes[0]), "natGatewayId"))
					}
					// Each zone's NAT sits in that zone's public subnet.
					if nats == 3 {
						assert.True(t, m.DependsOn(want, m.Named(subnetType, "net-public-"+zone)))
					}
				}
				public := m.Named(rtType, "net-public-rt")
				assert.True(t, m.DependsOn(public, igw))
			})
		})
	}
}

func TestDatabaseSubnetsHaveNoInternetRoute(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		dbRT := m.Named(rtType, "net-db-rt")
		require.NotNil(t, dbRT)
		routes, ok := dbRT.Inputs["routes"]
		require.True(t, ok, "the database route table must set an explicit, empty route list")
		assert.Empty(t, routes.ArrayValue())
		assert.Empty(t, m.ByType("aws:ec2/route:Route"), "no standalone routes may add to any table")
		for _, zone := range []string{"a", "b", "c"} {
			subnet := m.Named(subnetType, "net-db-"+zone)
			var assocs []*mockcloud.Resource
			for _, a := range m.ByType(rtaType) {
				if m.DependsOn(a, subnet) {
					assocs = append(assocs, a)
				}
			}
			require.Len(t, assocs, 1, zone)
			assert.True(t, m.DependsOn(assocs[0], dbRT), "%s must use the database route table", subnet.Name)
			for _, g := range m.ByType(natType) {
				assert.False(t, m.DependsOn(assocs[0], g))
			}
			assert.False(t, m.DependsOn(assocs[0], m.Named("aws:ec2/internetGateway:InternetGateway", "net-igw")))
		}
		group := m.Named("aws:rds/subnetGroup:SubnetGroup", "net-db-subnets")
		require.NotNil(t, group)
		for _, zone := range []string{"a", "b", "c"} {
			assert.True(t, m.DependsOn(group, m.Named(subnetType, "net-db-"+zone)))
			assert.False(t, m.DependsOn(group, m.Named(subnetType, "net-private-"+zone)))
		}
		if !preview {
			ids := inspect.Strs(group.Inputs, "subnetIds")
			assert.Len(t, ids, 3)
			assert.Equal(t, m.Named(subnetType, "net-db-a").ID, ids[0])
		}
	})
}

func TestNetworkEndpoints(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		byService := map[string]*mockcloud.Resource{}
		for _, e := range m.ByType(endpointType) {
			byService[inspect.Str(e.Inputs, "serviceName")] = e
		}
		s3 := byService["com.amazonaws.eu-north-1.s3"]
		require.NotNil(t, s3)
		assert.Equal(t, "Gateway", inspect.Str(s3.Inputs, "vpcEndpointType"))
		for _, zone := range []string{"a", "b", "c"} {
			assert.True(t, m.DependsOn(s3, m.Named(rtType, "net-private-rt-"+zone)))
		}
		assert.False(t, m.DependsOn(s3, m.Named(rtType, "net-db-rt")))

		sg := m.Named(sgType, "net-vpce-sg")
		require.NotNil(t, sg)
		ingress := sg.Inputs["ingress"].ArrayValue()
		require.Len(t, ingress, 1)
		rule := inspect.Obj(ingress[0])
		assert.Equal(t, "tcp", inspect.Str(rule, "protocol"))
		assert.Equal(t, 443.0, rule["fromPort"].NumberValue())
		assert.Equal(t, 443.0, rule["toPort"].NumberValue())
		assert.Equal(t, []string{"10.40.0.0/16"}, inspect.Strs(rule, "cidrBlocks"))
		assert.Empty(t, sg.Inputs["egress"].ArrayValue())

		for _, svc := range []string{"ecr.api", "ecr.dkr", "sts", "secretsmanager", "ec2", "logs", "eks-auth"} {
			e := byService["com.amazonaws.eu-north-1."+svc]
			require.NotNil(t, e, svc)
			assert.Equal(t, "Interface", inspect.Str(e.Inputs, "vpcEndpointType"), svc)
			assert.True(t, e.Inputs["privateDnsEnabled"].BoolValue(), svc)
			assert.True(t, m.DependsOn(e, sg), svc)
			for _, zone := range []string{"a", "b", "c"} {
				assert.True(t, m.DependsOn(e, m.Named(subnetType, "net-private-"+zone)), svc)
				assert.False(t, m.DependsOn(e, m.Named(subnetType, "net-public-"+zone)), svc)
			}
		}
		assert.Len(t, byService, 1+len(interfaceEndpointServices))
	})
}

func TestFlowLogsAndDefaultSecurityGroup(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		group := m.Named("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs")
		role := m.Named("aws:iam/role:Role", "net-flow-logs-role")
		policy := m.Named("aws:iam/rolePolicy:RolePolicy", "net-flow-logs-policy")
		flow := m.Named("aws:ec2/flowLog:FlowLog", "net-flow-log")
		require.NotNil(t, group)
		require.NotNil(t, role)
		require.NotNil(t, policy)
		require.NotNil(t, flow)
		assert.Equal(t, 90.0, group.Inputs["retentionInDays"].NumberValue())
		assert.Equal(t, "ALL", inspect.Str(flow.Inputs, "trafficType"))
		assert.Equal(t, "cloud-watch-logs", inspect.Str(flow.Inputs, "logDestinationType"))
		assert.Contains(t, flow.PropertyDependencies["logDestination"], group.URN)
		assert.Contains(t, flow.PropertyDependencies["iamRoleArn"], role.URN)
		assert.Contains(t, flow.PropertyDependencies["vpcId"], m.Named("aws:ec2/vpc:Vpc", "net-vpc").URN)
		assert.Contains(t, flow.Dependencies, policy.URN, "the flow log must wait for its role's permissions")
		assert.True(t, m.DependsOn(policy, role))

		var trust policyDocument
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(role.Inputs, "assumeRolePolicy")), &trust))
		require.Len(t, trust.Statement, 1)
		assert.Equal(t, "vpc-flow-logs.amazonaws.com", trust.Statement[0].Principal["Service"])
		assert.Equal(t, mockcloud.AWSAccountID, trust.Statement[0].Condition["StringEquals"]["aws:SourceAccount"])
		if !preview {
			arn := group.Outputs["arn"].StringValue()
			assert.Equal(t, arn, inspect.Str(flow.Inputs, "logDestination"))
			var doc policyDocument
			require.NoError(t, json.Unmarshal([]byte(inspect.Str(policy.Inputs, "policy")), &doc))
			assert.Equal(t, []string{arn, arn + ":*"}, doc.Statement[0].Resource)
			assert.ElementsMatch(t, []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}, doc.Statement[0].Action)
			for _, st := range doc.Statement {
				for _, r := range st.Resource {
					assert.NotEqual(t, "*", r, "the flow log role must not write everywhere")
				}
			}
		}

		def := m.ByType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
		require.Len(t, def, 1)
		for _, k := range []resource.PropertyKey{"ingress", "egress"} {
			if v, ok := def[0].Inputs[k]; ok {
				assert.Empty(t, v.ArrayValue(), "default security group %s must have no rules", k)
			}
		}
	})
}

func TestNetworkParentsAndOutputs(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, net, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		comps := m.ByType(NetworkType)
		require.Len(t, comps, 1)
		comp := comps[0]
		assert.Equal(t, "10.40.0.0/16", inspect.Str(comp.Inputs, "cidr"))
		assert.Equal(t, "dataplatform-prod", inspect.Str(comp.Inputs, "clusterName"))
		custom := 0
		for _, r := range m.Resources() {
			if !r.Custom || strings.HasPrefix(r.Type, "pulumi:providers:") {
				continue
			}
			custom++
			assert.Equal(t, comp.URN, r.Parent, "%s must be parented to the component", r.Name)
			assert.True(t, strings.HasPrefix(r.Name, "net-"), r.Name)
			assert.False(t, r.Protect, r.Name)
			assert.True(t, strings.HasPrefix(r.Provider, m.Named("pulumi:providers:aws", "aws").URN+"::"), "%s must use the component's provider", r.Name)
			if _, ok := r.Inputs["tags"]; ok {
				assert.Equal(t, "prod", inspect.Str(inspect.Obj(r.Inputs["tags"]), "environment"), r.Name)
			}
		}
		assert.Greater(t, custom, 40)

		assert.Equal(t, "aws", net.Info.Cloud)
		assert.Equal(t, "eu-north-1", net.Info.Region)
		assert.Equal(t, "10.40.0.0/16", net.Info.CIDR)
		zones := inspect.Await(t, net.AvailabilityZones)
		assert.Equal(t, []string{"eu-north-1a", "eu-north-1b", "eu-north-1c"}, zones.Value)
		assert.NotEmpty(t, net.EgressResources)

		vpcID := inspect.Await(t, net.VpcID)
		private := inspect.Await(t, net.PrivateSubnetIDs)
		rts := inspect.Await(t, net.PrivateRouteTableIDs)
		group := inspect.Await(t, net.DatabaseSubnetGroupName)
		if preview {
			assert.False(t, vpcID.Known, "a new VPC's ID is unknown in preview")
			assert.False(t, private.Known)
			return
		}
		assert.Equal(t, m.Named("aws:ec2/vpc:Vpc", "net-vpc").ID, vpcID.Value)
		assert.Equal(t, []string{m.Named(subnetType, "net-private-a").ID, m.Named(subnetType, "net-private-b").ID, m.Named(subnetType, "net-private-c").ID}, private.Value)
		assert.Len(t, rts.Value, 3)
		assert.Len(t, inspect.Await(t, net.PublicSubnetIDs).Value, 3)
		assert.Len(t, inspect.Await(t, net.DatabaseSubnetIDs).Value, 3)
		assert.True(t, strings.HasPrefix(group.Value.(string), "net-db-subnets-"), group.Value)
		assert.Equal(t, vpcID.Value, inspect.Await(t, net.Info.NetworkID).Value)
	})
}

func TestNetworkArgsValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(a *NetworkArgs) *NetworkArgs
		want   []string
	}{
		{"nil", func(*NetworkArgs) *NetworkArgs { return nil }, []string{"args is nil"}},
		{"cidr garbage", func(a *NetworkArgs) *NetworkArgs { a.CIDR = "10.40.0.0"; return a }, []string{"CIDR", `"10.40.0.0"`}},
		{"cidr too small", func(a *NetworkArgs) *NetworkArgs { a.CIDR = "10.40.0.0/24"; return a }, []string{"CIDR", "/16 to /20"}},
		{"cidr host bits", func(a *NetworkArgs) *NetworkArgs { a.CIDR = "10.40.1.0/16"; return a }, []string{"CIDR", "host bits", "10.40.0.0/16"}},
		{"cidr public", func(a *NetworkArgs) *NetworkArgs { a.CIDR = "8.8.0.0/16"; return a }, []string{"CIDR", "8.8.0.0/16", "private range"}},
		{"cidr ipv6", func(a *NetworkArgs) *NetworkArgs { a.CIDR = "fd00::/16"; return a }, []string{"CIDR", "IPv4"}},
		{"zones", func(a *NetworkArgs) *NetworkArgs { a.AvailabilityZones = 4; return a }, []string{"AvailabilityZones = 4", "2 or 3"}},
		{"nat", func(a *NetworkArgs) *NetworkArgs { a.NATGateways = 2; return a }, []string{"NATGateways = 2", "1 or one per zone (3)"}},
		{"nat zero", func(a *NetworkArgs) *NetworkArgs { a.NATGateways = 0; return a }, []string{"NATGateways = 0"}},
		{"retention", func(a *NetworkArgs) *NetworkArgs { a.FlowLogRetentionDays = 10; return a }, []string{"FlowLogRetentionDays = 10", "one of"}},
		{"cluster name", func(a *NetworkArgs) *NetworkArgs { a.ClusterName = ""; return a }, []string{"ClusterName", `""`}},
		{"cluster name chars", func(a *NetworkArgs) *NetworkArgs { a.ClusterName = "my cluster"; return a }, []string{"ClusterName", "my cluster"}},
		{"reserved tag", func(a *NetworkArgs) *NetworkArgs { a.Tags = map[string]string{"aws:owner": "x"}; return a }, []string{"Tags", "aws:owner"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, net, err := run(t, false, tc.mutate(prodArgs()))
			require.NotNil(t, m)
			require.Error(t, err)
			assert.Nil(t, net)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, r := range m.Resources() {
				assert.Contains(t, []string{"pulumi:pulumi:Stack", "pulumi:providers:aws"}, r.Type, "nothing may be registered for invalid args: %s", r.URN)
			}
			assert.Empty(t, m.Invokes())
		})
	}
}
