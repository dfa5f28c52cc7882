package rds

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/cluster/eks"
	"github.com/opendataplatform/dataplatform/components/network/awsvpc"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProtectOnlyStatefulLeaves: the instance, its KMS keys, the admin password and the roles'
// generated passwords are protected;
// nothing else (issue 9, class 1).
func TestProtectOnlyStatefulLeaves(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, "prod", preview, prodArgs())
		require.NoError(t, err)
		got := inspect.Protected(m)
		assert.Equal(t, []string{
			"aws:kms/key:Key metadata-db-dr-kms", "aws:kms/key:Key metadata-db-kms",
			"aws:rds/instance:Instance metadata-db-instance", "random:index/randomPassword:RandomPassword metadata-db-admin-password",
			"random:index/randomPassword:RandomPassword metadata-db-bootstrap-airbyte-password",
			"random:index/randomPassword:RandomPassword metadata-db-bootstrap-airbyte-reader-password",
			"random:index/randomPassword:RandomPassword metadata-db-bootstrap-superset-password",
		}, got)
	})
}

// TestMajorVersionUpgrade: a new major is applied by `pulumi up` (allowMajorVersionUpgrade,
// applyImmediately), and the parameter group of the new family is a new auto-named group created
// before the old one is deleted (class 9).
func TestMajorVersionUpgrade(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := prodArgs()
		a.EngineVersion = "17"
		m, _, err := run(t, "prod", preview, a)
		require.NoError(t, err)
		inst := inspect.MustNamed(t, m, "aws:rds/instance:Instance", "metadata-db-instance")
		for _, k := range []string{"allowMajorVersionUpgrade", "applyImmediately"} {
			v, ok := inspect.Bool(inst.Inputs, k)
			assert.True(t, ok && v, k)
		}
		pg := inspect.MustNamed(t, m, "aws:rds/parameterGroup:ParameterGroup", "metadata-db-params")
		assert.Equal(t, "postgres17", inspect.Str(pg.Inputs, "family"))
		assert.False(t, pg.DeleteBeforeReplace, "the instance still uses the old group until it moves")
		assert.Contains(t, inst.PropertyDependencies["parameterGroupName"], pg.URN)
	})
}

func testCA(t *testing.T, notAfter time.Time, isCA bool) string { return makeCA(notAfter, isCA) }

func makeCA(notAfter time.Time, isCA bool) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Amazon RDS eu-north-1 Root CA RSA2048 G1 (test)"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestServerVerification: with the RDS CA bundle the clients verify the server (verify-full against
// the instance's DNS name) and the bundle reaches the cluster in the CA ConfigMap (class 10).
func TestServerVerification(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := devArgs()
		a.CACertificatePEM = testCA(t, time.Now().Add(24*time.Hour), true)
		m, db, err := run(t, "dev", preview, a)
		require.NoError(t, err)
		assert.Equal(t, "verify-full", db.Connection.SSLMode)
		cm := inspect.MustNamed(t, m, "kubernetes:core/v1:ConfigMap", "metadata-db-bootstrap-ca")
		assert.Equal(t, a.CACertificatePEM, inspect.Str(cm.Inputs, "data", "ca.crt"))
		inst := inspect.MustNamed(t, m, "aws:rds/instance:Instance", "metadata-db-instance")
		if !preview {
			assert.Equal(t, inspect.Str(inst.Outputs, "address"), inspect.Await(t, db.Connection.Host).Value, "verify-full checks the instance's DNS name")
			assert.Equal(t, "metadata-db-ca", inspect.Await(t, db.Connection.CAConfigMap).Value)
		}
		assert.Equal(t, CACertIdentifier, inspect.Str(inst.Inputs, "caCertIdentifier"))
	})
	// Without a bundle the server cannot be verified: refused before anything is registered, never a
	// silent fall-back to sslmode=require.
	for _, bad := range []string{"", "not a pem", testCA(t, time.Now().Add(-time.Minute), true), testCA(t, time.Now().Add(time.Hour), false)} {
		a := devArgs()
		a.CACertificatePEM = bad
		m, _, err := run(t, "dev", false, a)
		assert.ErrorContains(t, err, "CACertificatePEM")
		assert.Empty(t, m.ByType("aws:rds/instance:Instance"))
	}
}

// TestDatabaseDoesNotWaitForTheCluster: built as the stack builds it, the DB instance admits the
// network's node security group and does not depend on the EKS cluster, so the Multi-AZ database
// and the control plane are created in parallel (class 7). Before, its security group took the EKS
// cluster security group.
func TestDatabaseDoesNotWaitForTheCluster(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "prod", preview)
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
			c, err := eks.NewCluster(ctx, "k8s", &eks.ClusterArgs{
				ClusterName: "dataplatform-prod", KubernetesVersion: "1.34", VpcID: net.VpcID, SubnetIDs: net.PrivateSubnetIDs,
				PrivateEndpointOnly: true, PrivateAccessCIDRs: []string{"10.40.0.0/16"},
				SystemPool:     cluster.NodePool{MachineType: "m7i.large", MinNodes: 3, MaxNodes: 4, DiskSizeGiB: 50},
				WorkloadPool:   cluster.NodePool{MachineType: "m7i.4xlarge", MinNodes: 3, MaxNodes: 12, DiskSizeGiB: 200},
				StorageClasses: cluster.StorageClasses{FastSSD: "fast-ssd", Standard: "standard"}, LogRetentionDays: 90,
				Region: "eu-north-1", NodeGroupDependsOn: net.EgressResources, NodeSecurityGroupID: net.NodeSecurityGroupID, CreatorIsAdmin: true,
			}, pulumi.Provider(p))
			if err != nil {
				return err
			}
			a := prodArgs()
			a.VpcID, a.DBSubnetGroupName = net.VpcID, net.DatabaseSubnetGroupName
			a.AllowedSecurityGroupIDs = pulumi.StringArray{net.NodeSecurityGroupID}
			a.KubernetesProvider = c.Provider
			_, err = NewMetadataDB(ctx, "metadata-db", a, pulumi.Provider(p))
			return err
		}, nil)
		skipMockSecretLimitation(t, preview, err)
		require.NoError(t, err)
		inst := inspect.MustNamed(t, m, "aws:rds/instance:Instance", "metadata-db-instance")
		eksR := inspect.MustNamed(t, m, "aws:eks/cluster:Cluster", "k8s-eks")
		assert.False(t, m.DependsOn(inst, eksR), "the database must not wait for the EKS cluster")
		for _, ng := range m.ByType("aws:eks/nodeGroup:NodeGroup") {
			assert.False(t, m.DependsOn(inst, ng), ng.Name)
		}
		sg := inspect.MustNamed(t, m, "aws:ec2/securityGroup:SecurityGroup", "metadata-db-sg")
		nodeSG := inspect.MustNamed(t, m, "aws:ec2/securityGroup:SecurityGroup", "net-node-sg")
		assert.True(t, m.DependsOn(sg, nodeSG), "the database admits the nodes' security group")
		boot := inspect.MustNamed(t, m, "kubernetes:batch/v1:Job", "metadata-db-bootstrap-job")
		assert.True(t, m.DependsOn(boot, inst), "only the bootstrap Job, which runs on the cluster, waits for both")
	})
}
