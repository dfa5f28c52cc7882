package eks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/network/awsvpc"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	clusterType   = "aws:eks/cluster:Cluster"
	nodeGroupType = "aws:eks/nodeGroup:NodeGroup"
	addonType     = "aws:eks/addon:Addon"
	podIDType     = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
	ltType        = "aws:ec2/launchTemplate:LaunchTemplate"
	roleType      = "aws:iam/role:Role"
	attachType    = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	scType        = "kubernetes:storage.k8s.io/v1:StorageClass"
)

// prodArgs mirror config.Defaults(AWS, Prod): private endpoint, on-demand workloads, retained volumes.
func prodArgs() *ClusterArgs {
	return &ClusterArgs{
		ClusterName:         "dataplatform-prod",
		KubernetesVersion:   "1.34",
		VpcID:               pulumi.String("vpc-0123456789abcdef0"),
		SubnetIDs:           pulumi.ToStringArray([]string{"subnet-0a", "subnet-0b", "subnet-0c"}),
		PrivateEndpointOnly: true,
		PrivateAccessCIDRs:  []string{"10.40.0.0/16"},
		ServiceCIDR:         "172.20.0.0/16",
		SystemPool:          cluster.NodePool{MachineType: "m7i.large", MinNodes: 3, MaxNodes: 4, DiskSizeGiB: 50},
		WorkloadPool:        cluster.NodePool{MachineType: "m7i.4xlarge", MinNodes: 3, MaxNodes: 12, DiskSizeGiB: 200},
		StorageClasses:      cluster.StorageClasses{FastSSD: "fast-ssd", Standard: "standard"},
		RetainVolumes:       true,
		LogRetentionDays:    90,
		Region:              "eu-north-1",
		CreatorIsAdmin:      true, // config.Defaults(AWS, …).Cluster.CreatorAdmin
		Tags:                map[string]string{"environment": "prod"},
	}
}

// devArgs mirror config.Defaults(AWS, Dev): public endpoint for a CIDR, spot workloads.
func devArgs() *ClusterArgs {
	a := prodArgs()
	a.ClusterName = "dataplatform-dev"
	a.PrivateEndpointOnly = false
	a.PublicAccessCIDRs = []string{"203.0.113.0/24"}
	a.SystemPool = cluster.NodePool{MachineType: "m7i.large", MinNodes: 1, MaxNodes: 2, DiskSizeGiB: 50}
	a.WorkloadPool = cluster.NodePool{MachineType: "m7i.xlarge", MinNodes: 1, MaxNodes: 3, DiskSizeGiB: 100, Spot: true}
	a.RetainVolumes = false
	a.LogRetentionDays = 30
	return a
}

func run(t *testing.T, preview bool, args *ClusterArgs) (*mockcloud.Mocks, *Cluster, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	var c *Cluster
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
		if err != nil {
			return err
		}
		c, err = NewCluster(ctx, "k8s", args, pulumi.Provider(p))
		return err
	}, nil)
	return m, c, err
}

func TestControlPlane(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		eks := inspect.MustNamed(t, m, clusterType, "k8s-eks")
		key := inspect.MustNamed(t, m, "aws:kms/key:Key", "k8s-kms")
		logs := inspect.MustNamed(t, m, "aws:cloudwatch/logGroup:LogGroup", "k8s-control-plane-logs")

		assert.Equal(t, "dataplatform-prod", inspect.Str(eks.Inputs, "name"))
		assert.Equal(t, "1.34", inspect.Str(eks.Inputs, "version"))
		vpc := inspect.Obj(eks.Inputs["vpcConfig"])
		assert.True(t, vpc["endpointPrivateAccess"].BoolValue())
		assert.False(t, vpc["endpointPublicAccess"].BoolValue())
		_, hasCIDRs := vpc["publicAccessCidrs"]
		assert.False(t, hasCIDRs, "a private-only cluster lists no public CIDRs")
		assert.Equal(t, []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}, inspect.Strs(eks.Inputs, "enabledClusterLogTypes"))
		access := inspect.Obj(eks.Inputs["accessConfig"])
		assert.Equal(t, "API", inspect.Str(access, "authenticationMode"))
		assert.True(t, access["bootstrapClusterCreatorAdminPermissions"].BoolValue())
		assert.Equal(t, "172.20.0.0/16", inspect.Str(inspect.Obj(eks.Inputs["kubernetesNetworkConfig"]), "serviceIpv4Cidr"))

		enc := eks.Inputs["encryptionConfig"]
		require.True(t, enc.IsObject())
		assert.Equal(t, []string{"secrets"}, inspect.Strs(inspect.Obj(enc), "resources"))
		assert.Contains(t, eks.PropertyDependencies["encryptionConfig"], key.URN)
		if !preview {
			assert.Equal(t, key.Outputs["arn"].StringValue(), inspect.Str(inspect.Obj(inspect.Obj(enc)["provider"]), "keyArn"))
		}
		assert.True(t, key.Inputs["enableKeyRotation"].BoolValue())
		assert.Equal(t, 30.0, key.Inputs["deletionWindowInDays"].NumberValue())
		alias := inspect.MustNamed(t, m, "aws:kms/alias:Alias", "k8s-kms-alias")
		assert.Equal(t, "alias/eks/dataplatform-prod", inspect.Str(alias.Inputs, "name"))

		// The log group exists before the cluster, so EKS does not create an unmanaged one.
		assert.Equal(t, "/aws/eks/dataplatform-prod/cluster", inspect.Str(logs.Inputs, "name"))
		assert.Equal(t, 90.0, logs.Inputs["retentionInDays"].NumberValue())
		assert.Contains(t, eks.Dependencies, logs.URN)

		role := inspect.MustNamed(t, m, roleType, "k8s-cluster-role")
		assert.Contains(t, eks.PropertyDependencies["roleArn"], role.URN)
		attach := inspect.MustNamed(t, m, attachType, "k8s-cluster-role-amazoneksclusterpolicy")
		assert.Equal(t, "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy", inspect.Str(attach.Inputs, "policyArn"))
		assert.Contains(t, eks.Dependencies, attach.URN, "the cluster must wait for its role's policy")
		enc2 := inspect.MustNamed(t, m, "aws:iam/rolePolicy:RolePolicy", "k8s-cluster-encryption")
		assert.Contains(t, eks.Dependencies, enc2.URN)

		sg := inspect.MustNamed(t, m, "aws:ec2/securityGroup:SecurityGroup", "k8s-api-sg")
		assert.Equal(t, "vpc-0123456789abcdef0", inspect.Str(sg.Inputs, "vpcId"))
		ingress := sg.Inputs["ingress"].ArrayValue()
		require.Len(t, ingress, 1)
		assert.Equal(t, []string{"10.40.0.0/16"}, inspect.Strs(inspect.Obj(ingress[0]), "cidrBlocks"))
		assert.Equal(t, 443.0, inspect.Obj(ingress[0])["fromPort"].NumberValue())

		oidc := inspect.MustNamed(t, m, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "k8s-oidc")
		assert.Equal(t, []string{"sts.amazonaws.com"}, inspect.Strs(oidc.Inputs, "clientIdLists"))
		assert.Contains(t, oidc.PropertyDependencies["url"], eks.URN)
		if !preview {
			assert.True(t, strings.HasPrefix(inspect.Str(oidc.Inputs, "url"), "https://oidc.eks.eu-north-1.amazonaws.com/id/"), inspect.Str(oidc.Inputs, "url"))
		}
	})
}

func TestPublicEndpoint(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, devArgs())
		require.NoError(t, err)
		vpc := inspect.Obj(inspect.MustNamed(t, m, clusterType, "k8s-eks").Inputs["vpcConfig"])
		assert.True(t, vpc["endpointPrivateAccess"].BoolValue())
		assert.True(t, vpc["endpointPublicAccess"].BoolValue())
		assert.Equal(t, []string{"203.0.113.0/24"}, inspect.Strs(vpc, "publicAccessCidrs"))
	})
}

func TestNodeGroups(t *testing.T) {
	for _, tc := range []struct {
		name         string
		args         func() *ClusterArgs
		workloadCap  string
		workloadType []string
	}{
		{"prod on demand", prodArgs, "ON_DEMAND", []string{"m7i.4xlarge"}},
		{"dev spot", devArgs, "SPOT", []string{"m7i.xlarge", "m6i.xlarge", "m7a.xlarge", "m6a.xlarge", "m5.xlarge"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				args := tc.args()
				m, _, err := run(t, preview, args)
				require.NoError(t, err)
				require.Len(t, m.ByType(nodeGroupType), 2)
				nodeRole := inspect.MustNamed(t, m, roleType, "k8s-node-role")
				for _, pool := range []struct {
					name     string
					spec     cluster.NodePool
					capacity string
					types    []string
				}{
					{"system", args.SystemPool, "ON_DEMAND", []string{"m7i.large"}},
					{"workloads", args.WorkloadPool, tc.workloadCap, tc.workloadType},
				} {
					ng := inspect.MustNamed(t, m, nodeGroupType, "k8s-"+pool.name)
					lt := inspect.MustNamed(t, m, ltType, "k8s-"+pool.name+"-lt")
					assert.Equal(t, pool.name, inspect.Str(inspect.Obj(ng.Inputs["labels"]), "dataplatform.io/pool"))
					assert.Equal(t, pool.capacity, inspect.Str(ng.Inputs, "capacityType"), pool.name)
					assert.Equal(t, pool.types, inspect.Strs(ng.Inputs, "instanceTypes"), pool.name)
					assert.Equal(t, "AL2023_x86_64_STANDARD", inspect.Str(ng.Inputs, "amiType"))
					scaling := inspect.Obj(ng.Inputs["scalingConfig"])
					assert.Equal(t, float64(pool.spec.MinNodes), scaling["minSize"].NumberValue())
					assert.Equal(t, float64(pool.spec.MaxNodes), scaling["maxSize"].NumberValue())
					assert.Equal(t, float64(pool.spec.MinNodes), scaling["desiredSize"].NumberValue())
					assert.Contains(t, ng.IgnoreChanges, "scalingConfig.desiredSize")
					assert.Equal(t, 1.0, inspect.Obj(ng.Inputs["updateConfig"])["maxUnavailable"].NumberValue())
					_, hasDisk := ng.Inputs["diskSize"]
					assert.False(t, hasDisk, "the disk is in the launch template; EKS rejects both")
					assert.Contains(t, ng.PropertyDependencies["launchTemplate"], lt.URN)
					assert.Contains(t, ng.PropertyDependencies["nodeRoleArn"], nodeRole.URN)
					if !preview {
						tmpl := inspect.Obj(ng.Inputs["launchTemplate"])
						assert.Equal(t, lt.ID, inspect.Str(tmpl, "id"))
						assert.Equal(t, "1", inspect.Str(tmpl, "version"))
					}

					md := inspect.Obj(lt.Inputs["metadataOptions"])
					assert.Equal(t, "required", inspect.Str(md, "httpTokens"), "IMDSv2 only")
					assert.Equal(t, 1.0, md["httpPutResponseHopLimit"].NumberValue())
					assert.Equal(t, "enabled", inspect.Str(md, "httpEndpoint"))
					bdm := lt.Inputs["blockDeviceMappings"].ArrayValue()
					require.Len(t, bdm, 1)
					ebs := inspect.Obj(inspect.Obj(bdm[0])["ebs"])
					assert.Equal(t, "/dev/xvda", inspect.Str(inspect.Obj(bdm[0]), "deviceName"))
					assert.Equal(t, "gp3", inspect.Str(ebs, "volumeType"))
					assert.Equal(t, "true", inspect.Str(ebs, "encrypted"))
					assert.Equal(t, float64(pool.spec.DiskSizeGiB), ebs["volumeSize"].NumberValue())
				}
			})
		})
	}
}

func TestNodeRoleIsMinimal(t *testing.T) {
	m, _, err := run(t, false, prodArgs())
	require.NoError(t, err)
	nodeRole := inspect.MustNamed(t, m, roleType, "k8s-node-role")
	var policies []string
	for _, a := range m.ByType(attachType) {
		if m.DependsOn(a, nodeRole) {
			policies = append(policies, inspect.Str(a.Inputs, "policyArn"))
		}
	}
	assert.ElementsMatch(t, []string{
		"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
		"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
	}, policies, "the VPC CNI policy belongs to the CNI's Pod Identity role, not the nodes")
	var trust policyDocument
	require.NoError(t, json.Unmarshal([]byte(inspect.Str(nodeRole.Inputs, "assumeRolePolicy")), &trust))
	assert.Equal(t, "ec2.amazonaws.com", trust.Statement[0].Principal["Service"])
}

func TestAddonsAndPodIdentity(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		eks := inspect.MustNamed(t, m, clusterType, "k8s-eks")
		system := inspect.MustNamed(t, m, nodeGroupType, "k8s-system")
		workloads := inspect.MustNamed(t, m, nodeGroupType, "k8s-workloads")
		addons := map[string]*mockcloud.Resource{}
		for _, a := range m.ByType(addonType) {
			addons[inspect.Str(a.Inputs, "addonName")] = a
			assert.Equal(t, "OVERWRITE", inspect.Str(a.Inputs, "resolveConflictsOnUpdate"), a.Name)
			assert.Equal(t, "OVERWRITE", inspect.Str(a.Inputs, "resolveConflictsOnCreate"), a.Name)
			assert.Equal(t, "v1.0.0-eksbuild.1", inspect.Str(a.Inputs, "addonVersion"), a.Name)
			assert.True(t, m.DependsOn(a, eks), a.Name)
		}
		require.Len(t, addons, 5)
		for _, n := range []string{"vpc-cni", "kube-proxy", "eks-pod-identity-agent"} {
			require.Contains(t, addons, n)
			assert.False(t, m.DependsOn(addons[n], system), "%s is a DaemonSet nodes need; it must not wait for them", n)
			assert.True(t, m.DependsOn(system, addons[n]), "nodes must boot with %s", n)
			assert.True(t, m.DependsOn(workloads, addons[n]), "nodes must boot with %s", n)
		}
		for _, n := range []string{"coredns", "aws-ebs-csi-driver"} {
			require.Contains(t, addons, n)
			assert.True(t, m.DependsOn(addons[n], system), "%s runs pods: it needs nodes", n)
		}
		assert.False(t, eks.Inputs["bootstrapSelfManagedAddons"].BoolValue())

		assocs := map[string]*mockcloud.Resource{}
		for _, a := range m.ByType(podIDType) {
			assert.Equal(t, "kube-system", inspect.Str(a.Inputs, "namespace"))
			assocs[inspect.Str(a.Inputs, "serviceAccount")] = a
			assert.Contains(t, a.PropertyDependencies["clusterName"], eks.URN)
		}
		require.Len(t, assocs, 2)
		for sa, want := range map[string]struct{ addon, role, policy string }{
			"aws-node":              {"vpc-cni", "k8s-vpc-cni-role", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"},
			"ebs-csi-controller-sa": {"aws-ebs-csi-driver", "k8s-ebs-csi-role", "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"},
		} {
			assoc := assocs[sa]
			require.NotNil(t, assoc, sa)
			role := inspect.MustNamed(t, m, roleType, want.role)
			assert.Contains(t, assoc.PropertyDependencies["roleArn"], role.URN)
			assert.True(t, m.DependsOn(addons[want.addon], assoc), "%s must start with its Pod Identity in place", want.addon)
			var policies []string
			for _, a := range m.ByType(attachType) {
				if m.DependsOn(a, role) {
					policies = append(policies, inspect.Str(a.Inputs, "policyArn"))
				}
			}
			assert.Equal(t, []string{want.policy}, policies, sa)

			var trust policyDocument
			require.NoError(t, json.Unmarshal([]byte(inspect.Str(role.Inputs, "assumeRolePolicy")), &trust))
			require.Len(t, trust.Statement, 1)
			st := trust.Statement[0]
			assert.Equal(t, "pods.eks.amazonaws.com", st.Principal["Service"])
			assert.ElementsMatch(t, []string{"sts:AssumeRole", "sts:TagSession"}, st.Action)
			assert.Equal(t, sa, st.Condition["StringEquals"]["aws:RequestTag/kubernetes-service-account"])
			assert.Equal(t, "dataplatform-prod", st.Condition["StringEquals"]["aws:RequestTag/eks-cluster-name"])
			assert.Equal(t, mockcloud.AWSAccountID, st.Condition["StringEquals"]["aws:SourceAccount"])
		}

		kmsPolicy := inspect.MustNamed(t, m, "aws:iam/rolePolicy:RolePolicy", "k8s-ebs-csi-kms")
		key := inspect.MustNamed(t, m, "aws:kms/key:Key", "k8s-kms")
		assert.True(t, m.DependsOn(kmsPolicy, inspect.MustNamed(t, m, roleType, "k8s-ebs-csi-role")))
		assert.True(t, m.DependsOn(kmsPolicy, key))
		assert.True(t, m.DependsOn(addons["aws-ebs-csi-driver"], kmsPolicy))
		if !preview {
			var doc policyDocument
			require.NoError(t, json.Unmarshal([]byte(inspect.Str(kmsPolicy.Inputs, "policy")), &doc))
			keyArn := key.Outputs["arn"].StringValue()
			var actions []string
			for _, st := range doc.Statement {
				assert.Equal(t, []string{keyArn}, st.Resource, "KMS permissions only on the cluster key")
				actions = append(actions, st.Action...)
			}
			assert.Contains(t, actions, "kms:CreateGrant")
			assert.Equal(t, "true", doc.Statement[0].Condition["Bool"]["kms:GrantIsForAWSResource"])
		}
	})
}

func TestKubeconfigAndProvider(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, c, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		comp := m.ByType(ClusterType)
		require.Len(t, comp, 1)
		prov := inspect.MustNamed(t, m, "pulumi:providers:kubernetes", "k8s-k8s")
		assert.Equal(t, comp[0].URN, prov.Parent)
		assert.Equal(t, "dataplatform-prod", inspect.Str(prov.Inputs, "clusterIdentifier"))
		for _, n := range []string{"k8s-system", "k8s-workloads"} {
			assert.True(t, m.DependsOn(prov, inspect.MustNamed(t, m, nodeGroupType, n)), "the provider waits for %s", n)
		}
		require.NotNil(t, c.Provider)
		assert.Same(t, c.Provider, c.Info.Provider)

		kc := inspect.Await(t, c.Kubeconfig)
		if preview {
			assert.False(t, kc.Known, "the endpoint of a new cluster is unknown in preview")
			return
		}
		require.True(t, kc.Known)
		assert.True(t, kc.Secret, "the kubeconfig must be a secret")
		assert.True(t, inspect.Await(t, c.Info.Kubeconfig).Secret)
		assert.True(t, prov.Inputs["kubeconfig"].IsSecret(), "the provider's kubeconfig input must stay secret")
		var cfg struct {
			Clusters []struct {
				Cluster map[string]string `json:"cluster"`
			} `json:"clusters"`
			Users []struct {
				User struct {
					Exec struct {
						Command string   `json:"command"`
						Args    []string `json:"args"`
					} `json:"exec"`
				} `json:"user"`
			} `json:"users"`
		}
		require.NoError(t, json.Unmarshal([]byte(kc.Value.(string)), &cfg))
		require.Len(t, cfg.Users, 1)
		assert.Equal(t, "aws", cfg.Users[0].User.Exec.Command)
		assert.Equal(t, []string{"eks", "get-token", "--cluster-name", "dataplatform-prod", "--region", "eu-north-1", "--output", "json"}, cfg.Users[0].User.Exec.Args)
		eks := inspect.MustNamed(t, m, clusterType, "k8s-eks")
		assert.Equal(t, eks.Outputs["endpoint"].StringValue(), cfg.Clusters[0].Cluster["server"])
		assert.NotEmpty(t, cfg.Clusters[0].Cluster["certificate-authority-data"])
		assert.NotContains(t, kc.Value.(string), "token\":", "no static token in the kubeconfig")
	})
}

func TestStorageClasses(t *testing.T) {
	for _, retain := range []bool{true, false} {
		t.Run(fmt.Sprintf("retain=%v", retain), func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				args := prodArgs()
				args.RetainVolumes = retain
				m, _, err := run(t, preview, args)
				require.NoError(t, err)
				prov := inspect.MustNamed(t, m, "pulumi:providers:kubernetes", "k8s-k8s")
				comp := m.ByType(ClusterType)[0]
				classes := map[string]*mockcloud.Resource{}
				for _, sc := range m.ByType(scType) {
					classes[inspect.Str(inspect.Obj(sc.Inputs["metadata"]), "name")] = sc
					assert.True(t, strings.HasPrefix(sc.Provider, prov.URN+"::"), "%s must use the cluster's provider", sc.Name)
					assert.Equal(t, comp.URN, sc.Parent)
					assert.Equal(t, "ebs.csi.aws.com", inspect.Str(sc.Inputs, "provisioner"))
					want := "Delete"
					if retain {
						want = "Retain"
					}
					assert.Equal(t, want, inspect.Str(sc.Inputs, "reclaimPolicy"))
				}
				require.Len(t, classes, 2)
				fast := inspect.Obj(classes["fast-ssd"].Inputs["parameters"])
				assert.Equal(t, "gp3", inspect.Str(fast, "type"))
				assert.Equal(t, "6000", inspect.Str(fast, "iops"))
				assert.Equal(t, "250", inspect.Str(fast, "throughput"))
				assert.Equal(t, "true", inspect.Str(fast, "encrypted"))
				assert.Equal(t, "arn:aws:kms:eu-north-1:"+mockcloud.AWSAccountID+":alias/eks/dataplatform-prod", inspect.Str(fast, "kmsKeyId"))
				assert.Empty(t, inspect.Str(inspect.Obj(inspect.Obj(classes["fast-ssd"].Inputs["metadata"])["annotations"]), "storageclass.kubernetes.io/is-default-class"))
				std := inspect.Obj(classes["standard"].Inputs["parameters"])
				assert.Equal(t, "gp3", inspect.Str(std, "type"))
				assert.Equal(t, "true", inspect.Str(std, "encrypted"))
				assert.Equal(t, "true", inspect.Str(inspect.Obj(inspect.Obj(classes["standard"].Inputs["metadata"])["annotations"]), "storageclass.kubernetes.io/is-default-class"))
			})
		})
	}
}

// TestNetworkAndCluster builds both components as the stack does and checks the control plane waits
// only for the subnets, while the nodes wait for egress.
func TestNetworkAndCluster(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "prod", preview)
		var c *Cluster
		err := m.Run(func(ctx *pulumi.Context) error {
			p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
			if err != nil {
				return err
			}
			net, err := awsvpc.NewNetwork(ctx, "net", &awsvpc.NetworkArgs{
				CIDR: "10.40.0.0/16", AvailabilityZones: 3, NATGateways: 3, FlowLogRetentionDays: 90, ClusterName: "dataplatform-prod",
			}, pulumi.Provider(p))
			if err != nil {
				return err
			}
			args := prodArgs()
			args.VpcID = net.VpcID
			args.SubnetIDs = net.PrivateSubnetIDs
			args.NodeGroupDependsOn = net.EgressResources
			c, err = NewCluster(ctx, "k8s", args, pulumi.Provider(p))
			return err
		}, nil)
		require.NoError(t, err)
		eks := inspect.MustNamed(t, m, clusterType, "k8s-eks")
		for _, zone := range []string{"a", "b", "c"} {
			assert.True(t, m.DependsOn(eks, inspect.MustNamed(t, m, "aws:ec2/subnet:Subnet", "net-private-"+zone)))
			assert.False(t, m.DependsOn(eks, inspect.MustNamed(t, m, "aws:ec2/subnet:Subnet", "net-db-"+zone)), "the cluster must not wait for database subnets")
			assert.False(t, m.DependsOn(eks, inspect.MustNamed(t, m, "aws:ec2/subnet:Subnet", "net-public-"+zone)))
		}
		forbidden := []string{
			"aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:ec2/flowLog:FlowLog", "aws:rds/subnetGroup:SubnetGroup",
			"aws:ec2/routeTable:RouteTable", "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/vpcEndpoint:VpcEndpoint",
		}
		for _, typ := range forbidden {
			rs := m.ByType(typ)
			require.NotEmpty(t, rs, typ)
			for _, r := range rs {
				assert.False(t, m.DependsOn(eks, r), "the EKS cluster must not depend on %s", r.Name)
			}
		}
		assert.False(t, m.DependsOn(eks, inspect.MustNamed(t, m, "aws:cloudwatch/logGroup:LogGroup", "net-flow-logs")))
		for _, n := range []string{"k8s-system", "k8s-workloads"} {
			ng := inspect.MustNamed(t, m, nodeGroupType, n)
			for _, zone := range []string{"a", "b", "c"} {
				assert.True(t, m.DependsOn(ng, inspect.MustNamed(t, m, "aws:ec2/natGateway:NatGateway", "net-nat-"+zone)), "%s boots with egress", n)
			}
			assert.True(t, m.DependsOn(ng, inspect.MustNamed(t, m, "aws:ec2/vpcEndpoint:VpcEndpoint", "net-vpce-ecr-dkr")))
		}
		if !preview {
			sg := inspect.MustNamed(t, m, "aws:ec2/securityGroup:SecurityGroup", "k8s-api-sg")
			assert.Equal(t, inspect.MustNamed(t, m, "aws:ec2/vpc:Vpc", "net-vpc").ID, inspect.Str(sg.Inputs, "vpcId"))
			assert.Len(t, inspect.Strs(inspect.Obj(eks.Inputs["vpcConfig"]), "subnetIds"), 3)
			assert.True(t, strings.HasPrefix(inspect.Await(t, c.ClusterSecurityGroupID).Value.(string), "sg-0"))
		}
	})
}

func TestClusterOutputs(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, c, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		for _, r := range m.Resources() {
			if r.Custom && r.Type != "pulumi:providers:aws" {
				assert.Equal(t, m.ByType(ClusterType)[0].URN, r.Parent, "%s must be parented to the component", r.Name)
				assert.True(t, strings.HasPrefix(r.Name, "k8s-"), r.Name)
			}
		}
		assert.Equal(t, cluster.EKSPodIdentity, c.Info.Identity.Mechanism)
		assert.Equal(t, cluster.StorageClasses{FastSSD: "fast-ssd", Standard: "standard"}, c.Info.StorageClasses)
		name := inspect.Await(t, c.Name)
		assert.Equal(t, "dataplatform-prod", name.Value, "the name is an input, known even in preview")
		issuer := inspect.Await(t, c.OIDCIssuerURL)
		if preview {
			assert.False(t, issuer.Known)
			assert.False(t, inspect.Await(t, c.Endpoint).Known)
			return
		}
		eks := inspect.MustNamed(t, m, clusterType, "k8s-eks")
		assert.True(t, strings.HasPrefix(issuer.Value.(string), "https://oidc.eks.eu-north-1.amazonaws.com/id/"))
		assert.Equal(t, issuer.Value, inspect.Await(t, c.Info.Identity.OIDCIssuerURL).Value)
		assert.Equal(t, inspect.MustNamed(t, m, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "k8s-oidc").Outputs["arn"].StringValue(), inspect.Await(t, c.OIDCProviderARN).Value)
		sg := inspect.Await(t, c.ClusterSecurityGroupID).Value.(string)
		assert.True(t, strings.HasPrefix(sg, "sg-0"), sg)
		assert.Equal(t, inspect.Str(inspect.Obj(eks.Outputs["vpcConfig"]), "clusterSecurityGroupId"), sg)
		_, leaked := inspect.Obj(eks.Inputs["vpcConfig"])["clusterSecurityGroupId"]
		assert.False(t, leaked, "computed vpcConfig fields must not show up as inputs")
		assert.Equal(t, inspect.MustNamed(t, m, "aws:kms/key:Key", "k8s-kms").Outputs["arn"].StringValue(), inspect.Await(t, c.KMSKeyARN).Value)
		assert.Equal(t, inspect.MustNamed(t, m, roleType, "k8s-node-role").Outputs["arn"].StringValue(), inspect.Await(t, c.NodeRoleARN).Value)
		assert.Equal(t, eks.Outputs["endpoint"].StringValue(), inspect.Await(t, c.Endpoint).Value)
		assert.NotEmpty(t, inspect.Await(t, c.CertificateAuthority).Value)
	})
}

func TestClusterArgsValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(a *ClusterArgs) *ClusterArgs
		want   []string
	}{
		{"nil", func(*ClusterArgs) *ClusterArgs { return nil }, []string{"args is nil"}},
		{"name", func(a *ClusterArgs) *ClusterArgs { a.ClusterName = "-bad"; return a }, []string{"ClusterName", "-bad"}},
		{"version format", func(a *ClusterArgs) *ClusterArgs { a.KubernetesVersion = "1.34.2"; return a }, []string{"KubernetesVersion", "1.34.2"}},
		{"version old", func(a *ClusterArgs) *ClusterArgs { a.KubernetesVersion = "1.25"; return a }, []string{"KubernetesVersion", "1.25", "or later"}},
		{"vpc", func(a *ClusterArgs) *ClusterArgs { a.VpcID = nil; return a }, []string{"VpcID"}},
		{"subnets", func(a *ClusterArgs) *ClusterArgs { a.SubnetIDs = nil; return a }, []string{"SubnetIDs"}},
		{"public without cidrs", func(a *ClusterArgs) *ClusterArgs { a.PrivateEndpointOnly = false; a.PublicAccessCIDRs = nil; return a }, []string{"PublicAccessCIDRs", "PrivateEndpointOnly"}},
		{"bad public cidr", func(a *ClusterArgs) *ClusterArgs {
			a.PrivateEndpointOnly, a.PublicAccessCIDRs = false, []string{"203.0.113.7"}
			return a
		}, []string{"PublicAccessCIDRs[0]", "203.0.113.7"}},
		{"bad private cidr", func(a *ClusterArgs) *ClusterArgs { a.PrivateAccessCIDRs = []string{"10.40.0.1/16"}; return a }, []string{"PrivateAccessCIDRs[0]", "10.40.0.1/16"}},
		{"service cidr", func(a *ClusterArgs) *ClusterArgs { a.ServiceCIDR = "8.8.0.0/16"; return a }, []string{"ServiceCIDR", "8.8.0.0/16"}},
		{"system pool", func(a *ClusterArgs) *ClusterArgs { a.SystemPool.MinNodes = 0; return a }, []string{"SystemPool", "MinNodes = 0"}},
		{"workload pool", func(a *ClusterArgs) *ClusterArgs { a.WorkloadPool.MachineType = ""; return a }, []string{"WorkloadPool", "MachineType"}},
		{"storage class", func(a *ClusterArgs) *ClusterArgs { a.StorageClasses.FastSSD = ""; return a }, []string{"StorageClasses.FastSSD", `""`}},
		{"storage class same", func(a *ClusterArgs) *ClusterArgs { a.StorageClasses.Standard = "fast-ssd"; return a }, []string{"StorageClasses", "must differ"}},
		{"retention", func(a *ClusterArgs) *ClusterArgs { a.LogRetentionDays = 0; return a }, []string{"LogRetentionDays = 0", "one of"}},
		{"region", func(a *ClusterArgs) *ClusterArgs { a.Region = ""; return a }, []string{"Region", `""`}},
		{"tags", func(a *ClusterArgs) *ClusterArgs { a.Tags = map[string]string{"aws:x": "y"}; return a }, []string{"Tags", "aws:x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, c, err := run(t, false, tc.mutate(prodArgs()))
			require.Error(t, err)
			assert.Nil(t, c)
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

func TestRegionMustMatchProvider(t *testing.T) {
	args := prodArgs()
	args.Region = "eu-west-1"
	m, c, err := run(t, false, args)
	require.Error(t, err)
	assert.Nil(t, c)
	assert.Contains(t, err.Error(), `Region = "eu-west-1"`)
	assert.Contains(t, err.Error(), `"eu-north-1"`)
	assert.Empty(t, m.ByType(clusterType))
}
