package config

import (
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strings"

	"github.com/opendataplatform/dataplatform/internal/pemca"
)

// AWS-specific defaults and validation (issue 9).

var (
	// iamPrincipalARN is an IAM role or user ARN, what an EKS access entry takes (not an STS session).
	iamPrincipalARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}$`)
	awsZone         = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d[a-z]$`)
)

// EKSMinors are the Kubernetes minors an aws stack may run: those with a pinned Cluster Autoscaler
// (components/clusteraddons/eksaddons), whose minor must match the control plane's.
var EKSMinors = []string{"1.33", "1.34", "1.35"}

// awsDefaults: the creator of the EKS cluster administers it unless the stack says otherwise, and the
// dev workload pool holds every dev pod at its minimum: Dremio's coordinator and executor (2 CPU /
// 8 GiB each, memory requests = limits), ZooKeeper, Airbyte's services, worker and a sync's job pods
// and dbt come to about 9–10 CPU and 30 GiB of requests, more than one m7i.2xlarge (8 vCPU / 32 GiB,
// about 7.9 CPU and 29 GiB allocatable) and far more than the former single m7i.xlarge.
func awsDefaults(p *Platform) {
	if p.Cloud != AWS {
		return
	}
	p.Cluster.CreatorAdmin = true
	if p.Environment == Dev {
		p.Cluster.WorkloadPool.MachineType = "m7i.2xlarge"
		p.Cluster.WorkloadPool.MinNodes, p.Cluster.WorkloadPool.MaxNodes = 2, 3
	}
}

// The edge is implemented on aws (components/edge/awsgateway): on by default once
// dataplatform:domain is set.
func init() { edgeTargets[AWS] = true }

func (v *validator) aws() {
	if v.p.Cloud != AWS {
		return
	}
	v.awsEdge()
	c, n := v.p.Cluster, v.p.Network
	v.rdsCABundle()
	if !contains(EKSMinors, c.KubernetesVersion) {
		v.add("cluster.kubernetesVersion", c.KubernetesVersion, "on aws one of %s (the minors with a pinned Cluster Autoscaler)", strings.Join(EKSMinors, ", "))
	}
	for i, arn := range c.Admins {
		if !iamPrincipalARN.MatchString(arn) {
			v.add(fmt.Sprintf("cluster.admins[%d]", i), arn, "an IAM role or user ARN such as arn:aws:iam::123456789012:role/platform-ci (not an sts assumed-role session)")
		}
	}
	if !c.CreatorAdmin && len(c.Admins) == 0 {
		v.add("cluster.creatorAdmin", false, "true, or list the deployer's role in cluster.admins (otherwise nobody can administer the cluster)")
	}
	for i, cidr := range c.PrivateAccessCIDRs {
		if p, err := netip.ParsePrefix(cidr); err != nil || !p.Addr().Is4() || p.Masked() != p {
			v.add(fmt.Sprintf("cluster.privateAccessCidrs[%d]", i), cidr, "an IPv4 CIDR block with host bits zero, e.g. 10.8.0.0/16")
		}
	}
	if len(n.Zones) > 0 && len(n.Zones) != n.AvailabilityZones {
		v.add("network.zones", fmt.Sprint(n.Zones), "exactly network.availabilityZones (%d) zone names, or empty", n.AvailabilityZones)
	}
	seen := map[string]bool{}
	for i, z := range n.Zones {
		if !awsZone.MatchString(z) || seen[z] || (v.p.Region != "" && z[:len(z)-1] != v.p.Region) {
			v.add(fmt.Sprintf("network.zones[%d]", i), z, "a distinct Availability Zone of %s, e.g. %sa", v.p.Region, v.p.Region)
		}
		seen[z] = true
	}
}

// rdsCABundle reads and checks metadataDb.caBundleFile: RDS server certificates chain to Amazon's
// RDS CAs, which no system trust store holds, so without the region's bundle no client could verify
// the server (the program cannot download it: it is the deployer's input, like a kubeconfig).
func (v *validator) rdsCABundle() {
	const key = "metadataDb.caBundleFile"
	f := v.p.MetadataDB.CABundleFile
	allowed := fmt.Sprintf("a PEM file with the RDS CA bundle of %s, downloaded from https://truststore.pki.rds.amazonaws.com/%s/%s-bundle.pem", v.p.Region, v.p.Region, v.p.Region)
	if f == "" {
		v.add(key, "", "%s", allowed)
		return
	}
	b, err := os.ReadFile(f)
	if err != nil {
		v.add(key, f, "%s (%v)", allowed, err)
		return
	}
	if err := pemca.Check(string(b)); err != nil {
		v.add(key, f, "%s (%v)", allowed, err)
		return
	}
	v.p.MetadataDB.CABundlePEM = string(b)
}

// awsEdge checks what the AWS edge needs beyond config/edge.go: its load balancers are IPv4
// (the AWS Load Balancer Controller skips IPv6 source ranges on an ipv4 load balancer:
// aws-load-balancer-controller@v3.5.0 pkg/gateway/model/model_build_security_group.go), so at least
// one range must be IPv4 or nobody could connect.
func (v *validator) awsEdge() {
	v.p.edgeDefaults() // idempotent: v.edge() applies them again
	e := v.p.Edge
	if !e.On() || len(e.SourceRanges) == 0 {
		return
	}
	for _, r := range e.SourceRanges {
		if p, err := netip.ParsePrefix(r); err == nil && p.Addr().Is4() {
			return
		}
	}
	v.add("edge.sourceRanges", strings.Join(e.SourceRanges, ","), "at least one IPv4 CIDR block on aws: the load balancers are IPv4-only, IPv6 ranges admit nobody")
}
