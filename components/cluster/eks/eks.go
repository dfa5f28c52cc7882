// Package eks is the AWS implementation of the platform cluster: an EKS control plane with secrets
// encrypted by its own KMS key, all control-plane logs, API access entries, a system and a workload
// managed node group, the core EKS add-ons with EKS Pod Identity, and the fast-ssd and standard
// StorageClasses on the EBS CSI driver.
package eks

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ClusterType is the component's type token.
const ClusterType = "dataplatform:aws:KubernetesCluster"

// controlPlaneLogTypes are the control-plane logs the cluster sends to CloudWatch: all five.
var controlPlaneLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// ClusterArgs configures the EKS cluster.
type ClusterArgs struct {
	// ClusterName is the EKS cluster's name, unique in the account and region; it must equal the
	// awsvpc NetworkArgs.ClusterName that tagged the subnets. It is fixed (not auto-named) because the
	// control-plane log group, /aws/eks/<name>/cluster, is created before the cluster.
	ClusterName string
	// KubernetesVersion is the control-plane minor version, e.g. "1.34".
	KubernetesVersion string
	// VpcID is the VPC of the subnets; the API security group is created in it.
	VpcID pulumi.StringInput
	// SubnetIDs are the private subnets, at least two zones, for the control-plane ENIs and the nodes.
	SubnetIDs pulumi.StringArrayInput
	// PrivateEndpointOnly turns the public API endpoint off; the API is then reached from inside the VPC
	// (PrivateAccessCIDRs) only.
	PrivateEndpointOnly bool
	// PublicAccessCIDRs may reach the public endpoint; required non-empty when PrivateEndpointOnly is
	// false, ignored when it is true.
	PublicAccessCIDRs []string
	// PrivateAccessCIDRs may reach the private endpoint on 443 from inside the network (VPN, bastion,
	// CI runners; often the VPC CIDR). Nodes reach it through the cluster security group regardless.
	PrivateAccessCIDRs []string
	// ServiceCIDR is the Kubernetes Service range (RFC 1918, /12 to /24, not overlapping the VPC);
	// empty lets EKS choose 10.100.0.0/16 or 172.20.0.0/16.
	ServiceCIDR string
	// SystemPool sizes the node group for cluster add-ons (CoreDNS, the EBS CSI controller, …).
	SystemPool cluster.NodePool
	// WorkloadPool sizes the node group for the platform's workloads; Spot runs it on spot capacity
	// over several interchangeable instance types.
	WorkloadPool cluster.NodePool
	// StorageClasses names the fast-ssd and standard classes; both names are required.
	StorageClasses cluster.StorageClasses
	// RetainVolumes keeps EBS volumes when their claims are deleted (prod).
	RetainVolumes bool
	// LogRetentionDays is how long control-plane logs are kept; one of CloudWatch Logs' retention
	// values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
	// 2922, 3288, 3653).
	LogRetentionDays int
	// Region is the provider's region, written into the kubeconfig's `aws eks get-token` command.
	Region string
	// NodeGroupDependsOn are resources the nodes need before they boot, typically the network's
	// EgressResources (route table associations, NAT gateways, VPC endpoints). Only the node groups
	// wait for them; the control plane does not.
	NodeGroupDependsOn []pulumi.Resource
	// NodeSecurityGroupID, when set, is a security group of the network (awsvpc
	// Network.NodeSecurityGroupID) every node carries besides the EKS cluster security group, so data
	// services can admit the nodes without waiting for the cluster. Set it at creation: adding or
	// removing it later rolls every node (a new launch template version).
	NodeSecurityGroupID pulumi.StringInput
	// Admins are IAM role or user ARNs that get an EKS access entry with AmazonEKSClusterAdminPolicy
	// on the whole cluster: the CI role that runs `pulumi up` and the operators' roles. Never STS
	// assumed-role session ARNs.
	Admins []string
	// CreatorIsAdmin sets bootstrapClusterCreatorAdminPermissions: EKS itself gives the identity that
	// creates the cluster a cluster-admin access entry, outside Pulumi. EKS reads it only when the
	// cluster is created, and the provider replaces the cluster when it changes, so it is a first-run
	// decision. False requires Admins to list the deployer; that keeps every access entry in the
	// program, which is what prod should do.
	CreatorIsAdmin bool
	// Tags are added to every AWS resource that takes tags.
	Tags map[string]string
	// Protect marks the stateful resources (the EKS cluster and its secrets KMS key) protected:
	// destroy and replacement stop at them. Disposable children (node groups, launch templates,
	// add-ons, roles, access entries, StorageClasses…) are never protected.
	Protect bool
}

// PoolLabel is the node label of every managed node group: its value is the pool ("system",
// "workloads"). Platform pods select the workload pool by it (cluster.Info.Scheduling).
const PoolLabel = "dataplatform.io/pool"

// Cluster is the EKS cluster component.
type Cluster struct {
	pulumi.ResourceState

	// Name is the EKS cluster name.
	Name pulumi.StringOutput
	// Endpoint is the API server URL.
	Endpoint pulumi.StringOutput
	// CertificateAuthority is the cluster CA certificate, base64-encoded as in a kubeconfig.
	CertificateAuthority pulumi.StringOutput
	// Kubeconfig reaches the cluster through `aws eks get-token`; a secret.
	Kubeconfig pulumi.StringOutput
	// OIDCIssuerURL is the cluster's ServiceAccount token issuer.
	OIDCIssuerURL pulumi.StringOutput
	// OIDCProviderARN is the IAM OIDC provider for IRSA, for controllers without Pod Identity support.
	OIDCProviderARN pulumi.StringOutput
	// ClusterSecurityGroupID is the security group EKS created for the control plane and the nodes.
	ClusterSecurityGroupID pulumi.StringOutput
	// NodeRoleARN is the IAM role of the managed nodes.
	NodeRoleARN pulumi.StringOutput
	// KMSKeyARN is the key that encrypts Kubernetes secrets and fast-ssd volumes.
	KMSKeyARN pulumi.StringOutput
	// Provider creates Kubernetes resources on the cluster; it is ready once the nodes and add-ons are.
	Provider *kubernetes.Provider
	// KubernetesVersion is the control-plane minor version (e.g. "1.34").
	KubernetesVersion string
	// NodeGroupARNs are the managed node groups' ARNs, system pool first.
	NodeGroupARNs pulumi.StringArrayOutput
	// Pools are the node pools by their PoolLabel value.
	Pools map[string]cluster.NodePool
	// Info is the cloud-neutral view of the cluster.
	Info cluster.Info
}

// retentionDays are the values CloudWatch Logs accepts (0, "never expire", is left out on purpose).
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var (
	clusterNameRE = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	versionRE     = regexp.MustCompile(`^1\.(\d+)$`)
	regionRE      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	// k8sNameRE is a DNS-1123 subdomain, what a StorageClass name must be.
	k8sNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
	// adminARNRE is an IAM role or user ARN (with an optional path), what an access entry takes.
	adminARNRE = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}$`)
)

// minMinorVersion is the oldest Kubernetes minor version accepted: older ones have left EKS support.
const minMinorVersion = 30

func (a *ClusterArgs) validate() error {
	if a == nil {
		return fmt.Errorf("eks: args is nil; pass a *ClusterArgs")
	}
	if !clusterNameRE.MatchString(a.ClusterName) {
		return fmt.Errorf("eks: ClusterName = %q; must be 1–100 letters, digits, '-' or '_', starting with a letter or digit", a.ClusterName)
	}
	m := versionRE.FindStringSubmatch(a.KubernetesVersion)
	if m == nil {
		return fmt.Errorf("eks: KubernetesVersion = %q; must be a minor version such as \"1.34\"", a.KubernetesVersion)
	}
	if minor, _ := strconv.Atoi(m[1]); minor < minMinorVersion {
		return fmt.Errorf("eks: KubernetesVersion = %q; must be 1.%d or later", a.KubernetesVersion, minMinorVersion)
	}
	if a.VpcID == nil {
		return fmt.Errorf("eks: VpcID is nil; pass the network's VPC ID")
	}
	if a.SubnetIDs == nil {
		return fmt.Errorf("eks: SubnetIDs is nil; pass the network's private subnet IDs")
	}
	if !a.PrivateEndpointOnly && len(a.PublicAccessCIDRs) == 0 {
		return fmt.Errorf("eks: PublicAccessCIDRs is empty with PrivateEndpointOnly = false; list the CIDRs allowed to reach the public endpoint (never implicitly the whole internet) or set PrivateEndpointOnly")
	}
	for field, cidrs := range map[string][]string{"PublicAccessCIDRs": a.PublicAccessCIDRs, "PrivateAccessCIDRs": a.PrivateAccessCIDRs} {
		for i, c := range cidrs {
			if p, err := netip.ParsePrefix(c); err != nil || !p.Addr().Is4() || p.Masked() != p {
				return fmt.Errorf("eks: %s[%d] = %q; must be an IPv4 CIDR block with host bits zero, e.g. 203.0.113.0/24", field, i, c)
			}
		}
	}
	if a.ServiceCIDR != "" {
		p, err := netip.ParsePrefix(a.ServiceCIDR)
		private := err == nil && slices.ContainsFunc([]string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}, func(r string) bool {
			rp := netip.MustParsePrefix(r)
			return rp.Contains(p.Addr()) && rp.Bits() <= p.Bits()
		})
		if !private || p.Masked() != p || p.Bits() < 12 || p.Bits() > 24 {
			return fmt.Errorf("eks: ServiceCIDR = %q; must be empty or an RFC 1918 IPv4 block from /12 to /24 with host bits zero, e.g. 172.20.0.0/16", a.ServiceCIDR)
		}
	}
	for i, arn := range a.Admins {
		if !adminARNRE.MatchString(arn) || slices.Contains(a.Admins[:i], arn) {
			return fmt.Errorf("eks: Admins[%d] = %q; must be a distinct IAM role or user ARN such as arn:aws:iam::123456789012:role/platform-ci (not an sts assumed-role session)", i, arn)
		}
	}
	if !a.CreatorIsAdmin && len(a.Admins) == 0 {
		return fmt.Errorf("eks: CreatorIsAdmin = false with no Admins; nobody could administer the cluster, not even this program: list the deployer's role in Admins or set CreatorIsAdmin")
	}
	if err := a.SystemPool.Validate("eks: SystemPool"); err != nil {
		return err
	}
	if err := a.WorkloadPool.Validate("eks: WorkloadPool"); err != nil {
		return err
	}
	for field, v := range map[string]string{"StorageClasses.FastSSD": a.StorageClasses.FastSSD, "StorageClasses.Standard": a.StorageClasses.Standard} {
		if !k8sNameRE.MatchString(v) {
			return fmt.Errorf("eks: %s = %q; must be a lowercase DNS name such as \"fast-ssd\"", field, v)
		}
	}
	if a.StorageClasses.FastSSD == a.StorageClasses.Standard {
		return fmt.Errorf("eks: StorageClasses.FastSSD and .Standard are both %q; they must differ", a.StorageClasses.FastSSD)
	}
	if !slices.Contains(retentionDays, a.LogRetentionDays) {
		return fmt.Errorf("eks: LogRetentionDays = %d; must be one of %v", a.LogRetentionDays, retentionDays)
	}
	if !regionRE.MatchString(a.Region) {
		return fmt.Errorf("eks: Region = %q; must be an AWS region such as \"eu-north-1\"", a.Region)
	}
	for k := range a.Tags {
		if k == "" || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return fmt.Errorf("eks: Tags key %q; must be non-empty and must not start with the reserved prefix \"aws:\"", k)
		}
	}
	return nil
}

// NewCluster creates the EKS cluster, its node groups, add-ons and StorageClasses.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &Cluster{}
	props := pulumi.Map{
		"clusterName":         pulumi.String(args.ClusterName),
		"kubernetesVersion":   pulumi.String(args.KubernetesVersion),
		"vpcId":               args.VpcID,
		"subnetIds":           args.SubnetIDs,
		"privateEndpointOnly": pulumi.Bool(args.PrivateEndpointOnly),
		"publicAccessCidrs":   pulumi.ToStringArray(args.PublicAccessCIDRs),
		"privateAccessCidrs":  pulumi.ToStringArray(args.PrivateAccessCIDRs),
		"systemPool":          args.SystemPool.Props(),
		"workloadPool":        args.WorkloadPool.Props(),
		"storageClasses":      pulumi.StringMap{"fastSsd": pulumi.String(args.StorageClasses.FastSSD), "standard": pulumi.String(args.StorageClasses.Standard)},
		"retainVolumes":       pulumi.Bool(args.RetainVolumes),
		"logRetentionDays":    pulumi.Int(args.LogRetentionDays),
		"region":              pulumi.String(args.Region),
		"admins":              pulumi.ToStringArray(args.Admins),
		"creatorIsAdmin":      pulumi.Bool(args.CreatorIsAdmin),
		"tags":                pulumi.ToStringMap(args.Tags),
		"protect":             pulumi.Bool(args.Protect),
	}
	if err := ctx.RegisterComponentResourceV2(ClusterType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	b := &builder{ctx: ctx, name: name, args: args, parent: parent}
	if err := b.lookups(); err != nil {
		return nil, err
	}
	if err := b.build(comp); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"name":                   comp.Name,
		"endpoint":               comp.Endpoint,
		"certificateAuthority":   comp.CertificateAuthority,
		"kubeconfig":             comp.Kubeconfig,
		"oidcIssuerUrl":          comp.OIDCIssuerURL,
		"oidcProviderArn":        comp.OIDCProviderARN,
		"clusterSecurityGroupId": comp.ClusterSecurityGroupID,
		"nodeRoleArn":            comp.NodeRoleARN,
		"kmsKeyArn":              comp.KMSKeyARN,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// builder holds what the steps of NewCluster share.
type builder struct {
	ctx                        *pulumi.Context
	name                       string
	args                       *ClusterArgs
	parent                     pulumi.ResourceOrInvokeOption
	account, partition, region string
}

// lookups reads the account and partition, and checks Region against the provider's region.
func (b *builder) lookups() error {
	id, err := aws.GetCallerIdentity(b.ctx, nil, b.parent)
	if err != nil {
		return fmt.Errorf("eks: reading the account: %w", err)
	}
	part, err := aws.GetPartition(b.ctx, nil, b.parent)
	if err != nil {
		return fmt.Errorf("eks: reading the partition: %w", err)
	}
	region, err := aws.GetRegion(b.ctx, nil, b.parent)
	if err != nil {
		return fmt.Errorf("eks: reading the region: %w", err)
	}
	if region.Name != b.args.Region {
		return fmt.Errorf("eks: Region = %q but the AWS provider deploys to %q; the kubeconfig would look for the cluster in the wrong region", b.args.Region, region.Name)
	}
	b.account, b.partition, b.region = id.AccountId, part.Partition, region.Name
	return nil
}

func (b *builder) build(comp *Cluster) error {
	ctx, name, args, parent := b.ctx, b.name, b.args, b.parent

	key, err := kms.NewKey(ctx, name+"-kms", &kms.KeyArgs{
		Description:          pulumi.String("Envelope encryption of Kubernetes secrets and fast-ssd volumes of EKS cluster " + args.ClusterName),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30), // the longest window: a deleted key makes every secret unreadable
		Tags:                 b.tags(name + "-kms"),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return err
	}
	aliasName := "alias/eks/" + args.ClusterName
	if _, err := kms.NewAlias(ctx, name+"-kms-alias", &kms.AliasArgs{Name: pulumi.String(aliasName), TargetKeyId: key.KeyId}, parent); err != nil {
		return err
	}

	clusterRole, clusterRoleDeps, err := b.role("cluster-role", "EKS control plane of "+args.ClusterName,
		servicePrincipal("eks.amazonaws.com"), "AmazonEKSClusterPolicy")
	if err != nil {
		return err
	}
	encryption, err := b.inlinePolicy("cluster-encryption", clusterRole, key.Arn, func(arn string) policyDocument {
		return policyDocument{Version: "2012-10-17", Statement: []statement{{
			Effect: "Allow", Action: []string{"kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"}, Resource: []string{arn},
		}}}
	})
	if err != nil {
		return err
	}

	// EKS creates /aws/eks/<name>/cluster itself, without retention and outside Pulumi, unless it
	// already exists when the control plane starts logging.
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-control-plane-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/eks/" + args.ClusterName + "/cluster"),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		Tags:            b.tags(name + "-control-plane-logs"),
	}, parent)
	if err != nil {
		return err
	}

	// An extra control-plane security group, always created so adding PrivateAccessCIDRs later updates
	// rules instead of replacing the cluster.
	ingress := ec2.SecurityGroupIngressArray{}
	if len(args.PrivateAccessCIDRs) > 0 {
		ingress = append(ingress, ec2.SecurityGroupIngressArgs{
			Description: pulumi.String("Kubernetes API from inside the network"),
			Protocol:    pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443),
			CidrBlocks: pulumi.ToStringArray(args.PrivateAccessCIDRs),
		})
	}
	apiSG, err := ec2.NewSecurityGroup(ctx, name+"-api-sg", &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("Kubernetes API of EKS cluster " + args.ClusterName + " from PrivateAccessCIDRs"),
		Ingress:     ingress,
		Egress:      ec2.SecurityGroupEgressArray{}, // replies only; the EKS cluster security group handles the rest
		Tags:        b.tags(name + "-api-sg"),
	}, parent)
	if err != nil {
		return err
	}

	vpcConfig := &eks.ClusterVpcConfigArgs{
		SubnetIds:             args.SubnetIDs,
		SecurityGroupIds:      pulumi.StringArray{apiSG.ID()},
		EndpointPrivateAccess: pulumi.Bool(true),
		EndpointPublicAccess:  pulumi.Bool(!args.PrivateEndpointOnly),
	}
	if !args.PrivateEndpointOnly {
		vpcConfig.PublicAccessCidrs = pulumi.ToStringArray(args.PublicAccessCIDRs)
	}
	netConfig := &eks.ClusterKubernetesNetworkConfigArgs{IpFamily: pulumi.String("ipv4")}
	if args.ServiceCIDR != "" {
		netConfig.ServiceIpv4Cidr = pulumi.String(args.ServiceCIDR)
	}
	eksCluster, err := eks.NewCluster(ctx, name+"-eks", &eks.ClusterArgs{
		Name:      pulumi.String(args.ClusterName),
		Version:   pulumi.String(args.KubernetesVersion),
		RoleArn:   clusterRole.Arn,
		VpcConfig: vpcConfig,
		EncryptionConfig: &eks.ClusterEncryptionConfigArgs{
			Resources: pulumi.StringArray{pulumi.String("secrets")},
			Provider:  &eks.ClusterEncryptionConfigProviderArgs{KeyArn: key.Arn},
		},
		EnabledClusterLogTypes: pulumi.ToStringArray(controlPlaneLogTypes),
		AccessConfig: &eks.ClusterAccessConfigArgs{
			AuthenticationMode:                      pulumi.String("API"),
			BootstrapClusterCreatorAdminPermissions: pulumi.Bool(args.CreatorIsAdmin),
		},
		KubernetesNetworkConfig: netConfig,
		// The managed add-ons below own vpc-cni, kube-proxy and CoreDNS from the start, with their
		// Pod Identity roles, instead of adopting the self-managed copies EKS would install.
		BootstrapSelfManagedAddons: pulumi.Bool(false),
		Tags:                       b.tags(args.ClusterName),
	}, parent, pulumi.DependsOn(append([]pulumi.Resource{logGroup, encryption}, clusterRoleDeps...)), pulumi.Protect(args.Protect))
	if err != nil {
		return err
	}
	access, err := b.accessEntries(eksCluster.Name)
	if err != nil {
		return err
	}

	issuer := eksCluster.Identities.ApplyT(func(ids []eks.ClusterIdentity) (string, error) {
		for _, id := range ids {
			for _, o := range id.Oidcs {
				if o.Issuer != nil && *o.Issuer != "" {
					return *o.Issuer, nil
				}
			}
		}
		return "", fmt.Errorf("eks: cluster %s reports no OIDC issuer", args.ClusterName)
	}).(pulumi.StringOutput)
	oidc, err := iam.NewOpenIdConnectProvider(ctx, name+"-oidc", &iam.OpenIdConnectProviderArgs{
		Url:           issuer,
		ClientIdLists: pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
		Tags:          b.tags(name + "-oidc"),
	}, parent)
	if err != nil {
		return err
	}

	// Nodes get only what the kubelet needs: join the cluster and pull images. The VPC CNI's EC2
	// permissions go to its own Pod Identity role.
	nodeRole, nodeRoleDeps, err := b.role("node-role", "Managed nodes of EKS cluster "+args.ClusterName,
		servicePrincipal("ec2.amazonaws.com"), "AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
	if err != nil {
		return err
	}

	// Add-ons that nodes need to become Ready come first; they are DaemonSets and need no nodes.
	podIdentityAgent, err := b.addon("eks-pod-identity-agent", eksCluster.Name, nil)
	if err != nil {
		return err
	}
	_, cniDeps, err := b.podIdentity("vpc-cni", "kube-system", "aws-node", eksCluster.Name, "AmazonEKS_CNI_Policy")
	if err != nil {
		return err
	}
	vpcCNI, err := b.addon("vpc-cni", eksCluster.Name, cniDeps, vpcCNIConfiguration)
	if err != nil {
		return err
	}
	kubeProxy, err := b.addon("kube-proxy", eksCluster.Name, nil)
	if err != nil {
		return err
	}

	nodeDeps := append(append([]pulumi.Resource{podIdentityAgent, vpcCNI, kubeProxy}, nodeRoleDeps...), args.NodeGroupDependsOn...)
	clusterSG := eksCluster.VpcConfig.ClusterSecurityGroupId().ApplyT(func(id *string) string {
		if id == nil {
			return ""
		}
		return *id
	}).(pulumi.StringOutput)
	system, err := b.nodeGroup("system", args.SystemPool, eksCluster, nodeRole, clusterSG, nodeDeps)
	if err != nil {
		return err
	}
	workloads, err := b.nodeGroup("workloads", args.WorkloadPool, eksCluster, nodeRole, clusterSG, nodeDeps)
	if err != nil {
		return err
	}

	// CoreDNS and the EBS CSI controller are Deployments: their add-ons only turn ACTIVE once nodes run them.
	coreDNS, err := b.addon("coredns", eksCluster.Name, []pulumi.Resource{system})
	if err != nil {
		return err
	}
	ebsRole, ebsDeps, err := b.podIdentity("ebs-csi", "kube-system", "ebs-csi-controller-sa", eksCluster.Name, "service-role/AmazonEBSCSIDriverPolicy")
	if err != nil {
		return err
	}
	// The driver creates fast-ssd volumes with the cluster key: EBS needs grants on it.
	ebsKMS, err := b.inlinePolicy("ebs-csi-kms", ebsRole, key.Arn, func(arn string) policyDocument {
		return policyDocument{Version: "2012-10-17", Statement: []statement{
			{
				Effect: "Allow", Action: []string{"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}, Resource: []string{arn},
				Condition: map[string]map[string]any{"Bool": {"kms:GrantIsForAWSResource": "true"}},
			},
			{Effect: "Allow", Action: []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}, Resource: []string{arn}},
		}}
	})
	if err != nil {
		return err
	}
	ebsCSI, err := b.addon("aws-ebs-csi-driver", eksCluster.Name, append([]pulumi.Resource{system, ebsKMS}, ebsDeps...))
	if err != nil {
		return err
	}

	caData := eksCluster.CertificateAuthority.Data().ApplyT(func(d *string) string {
		if d == nil {
			return ""
		}
		return *d
	}).(pulumi.StringOutput)
	// The kubeconfig is made secret inside the apply: it is secret whenever it has a value, while the
	// unknown placeholder of a preview stays a plain unknown (the SDK's mock monitor cannot unmarshal
	// a secret unknown, and there is nothing in it to hide).
	kubeconfig := pulumi.All(eksCluster.Name, eksCluster.Endpoint, caData).ApplyT(func(v []any) pulumi.StringOutput {
		clusterName := v[0].(string)
		kc := cluster.ExecKubeconfig(clusterName, v[1].(string), v[2].(string), "aws",
			[]string{"eks", "get-token", "--cluster-name", clusterName, "--region", args.Region, "--output", "json"}, nil)
		return pulumi.ToSecret(pulumi.String(kc)).(pulumi.StringOutput)
	}).(pulumi.StringOutput)

	// The provider waits for nodes and add-ons, so workloads created with it can schedule, resolve
	// names and bind volumes.
	provider, err := kubernetes.NewProvider(ctx, name+"-k8s", &kubernetes.ProviderArgs{
		Kubeconfig: kubeconfig,
		// A new endpoint or CA updates the provider instead of replacing every resource created with it.
		ClusterIdentifier: pulumi.String(args.ClusterName),
		// …and for the access entries, so a deployer listed in Admins can reach the API.
	}, parent, pulumi.DependsOn(append([]pulumi.Resource{system, workloads, coreDNS, ebsCSI, vpcCNI}, access...)))
	if err != nil {
		return err
	}

	classes := []cluster.StorageClassSpec{
		{
			Name: args.StorageClasses.FastSSD, Provisioner: "ebs.csi.aws.com", Retain: args.RetainVolumes,
			Parameters: map[string]string{
				"type": "gp3", "iops": "6000", "throughput": "250", "encrypted": "true",
				// The alias ARN, known before the key exists; EBS resolves it to the cluster key.
				"kmsKeyId": fmt.Sprintf("arn:%s:kms:%s:%s:%s", b.partition, b.region, b.account, aliasName),
			},
		},
		{
			Name: args.StorageClasses.Standard, Provisioner: "ebs.csi.aws.com", Retain: args.RetainVolumes, Default: true,
			Parameters: map[string]string{"type": "gp3", "encrypted": "true"},
		},
	}
	if err := cluster.NewStorageClasses(ctx, name, comp, provider, classes); err != nil {
		return err
	}

	comp.Name = eksCluster.Name
	comp.Endpoint = eksCluster.Endpoint
	comp.CertificateAuthority = caData
	comp.Kubeconfig = kubeconfig
	comp.OIDCIssuerURL = issuer
	comp.OIDCProviderARN = oidc.Arn
	comp.ClusterSecurityGroupID = clusterSG
	comp.KubernetesVersion = args.KubernetesVersion
	comp.NodeGroupARNs = pulumi.StringArray{system.Arn, workloads.Arn}.ToStringArrayOutput()
	comp.Pools = map[string]cluster.NodePool{"system": args.SystemPool, "workloads": args.WorkloadPool}
	comp.NodeRoleARN = nodeRole.Arn
	comp.KMSKeyARN = key.Arn
	comp.Provider = provider
	comp.Info = cluster.Info{
		Name:           comp.Name,
		Endpoint:       comp.Endpoint,
		Kubeconfig:     comp.Kubeconfig,
		Provider:       provider,
		StorageClasses: args.StorageClasses,
		Identity: cluster.WorkloadIdentity{
			Mechanism:       cluster.EKSPodIdentity,
			OIDCIssuerURL:   comp.OIDCIssuerURL,
			OIDCProviderARN: comp.OIDCProviderARN,
		},
		// Managed node groups carry no taints here; the label keeps platform pods off the system pool,
		// whose room is for the cluster add-ons.
		Scheduling: cluster.Scheduling{NodeSelector: map[string]string{PoolLabel: "workloads"}},
	}
	return nil
}
