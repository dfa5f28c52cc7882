package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAWSAccessAndZones(t *testing.T) {
	p, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "aws"})
	require.Nil(t, err)
	assert.True(t, p.Cluster.CreatorAdmin, "the creator administers the cluster by default")

	p, err = parse(t, "dev", map[string]string{"dataplatform:cloud": "aws", "dataplatform:cluster": `{
		"admins": ["arn:aws:iam::123456789012:role/platform-ci", "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-north-1/AWSReservedSSO_Admin_0123"],
		"privateAccessCidrs": ["10.8.0.0/16"], "creatorAdmin": false}`,
		"dataplatform:network": `{"zones": ["eu-north-1c", "eu-north-1a", "eu-north-1b"]}`})
	require.Nil(t, err)
	assert.False(t, p.Cluster.CreatorAdmin)
	assert.Equal(t, []string{"eu-north-1c", "eu-north-1a", "eu-north-1b"}, p.Network.Zones)

	_, err = parse(t, "dev", map[string]string{"dataplatform:cloud": "aws", "dataplatform:cluster": `{
		"admins": ["arn:aws:sts::123456789012:assumed-role/ci/session"], "privateAccessCidrs": ["10.8.0.1/16"]}`,
		"dataplatform:network": `{"zones": ["eu-west-1a", "eu-north-1a"]}`})
	require.NotNil(t, err)
	assert.Contains(t, problem(t, err, "dataplatform:cluster.admins[0]").Allowed, "IAM role or user ARN")
	problem(t, err, "dataplatform:cluster.privateAccessCidrs[0]")
	problem(t, err, "dataplatform:network.zones")
	problem(t, err, "dataplatform:network.zones[0]")

	_, err = parse(t, "dev", map[string]string{"dataplatform:cloud": "aws", "dataplatform:cluster": `{"creatorAdmin": false}`})
	require.NotNil(t, err)
	problem(t, err, "dataplatform:cluster.creatorAdmin")
}

// instanceSize is the vCPU and GiB of the AWS machine types the defaults use.
var instanceSize = map[string][2]float64{"m7i.large": {2, 8}, "m7i.xlarge": {4, 16}, "m7i.2xlarge": {8, 32}, "m7i.4xlarge": {16, 64}}

// allocatable is what EKS leaves to pods on an AL2023 node: kube-reserved CPU (6% of the first core,
// 1% of the second, 0.5% of cores 3–4, 0.25% above) and memory (255 MiB + 11 MiB per pod, at most
// ~110 pods), the 100 MiB eviction threshold, and about 7% of memory the OS and the hypervisor take.
func allocatable(vcpu, gib float64) (float64, float64) {
	reservedCPU := 0.06 + 0.01
	if vcpu > 2 {
		reservedCPU += 0.005 * min(vcpu-2, 2)
	}
	if vcpu > 4 {
		reservedCPU += 0.0025 * (vcpu - 4)
	}
	return vcpu - reservedCPU, gib*0.93 - (255+11*110+100)/1024.0
}

// TestAWSDevPoolFitsDremio: every Dremio pod of every AWS profile fits one workload node, and dev's
// minimum workload pool holds Dremio, ZooKeeper and Airbyte's steady state together (issue 9 class 4:
// dev had one m7i.xlarge, which cannot hold the coordinator and the executor at once).
func TestAWSDevPoolFitsDremio(t *testing.T) {
	for _, env := range Environments {
		p := Defaults(AWS, env)
		size, ok := instanceSize[p.Cluster.WorkloadPool.MachineType]
		require.True(t, ok, p.Cluster.WorkloadPool.MachineType)
		cpu, mem := allocatable(size[0], size[1])
		for _, c := range []Compute{p.Dremio.Coordinator, p.Dremio.Executor} {
			assert.LessOrEqual(t, c.CPU, cpu, "%s: a Dremio pod must fit a node", env)
			assert.LessOrEqual(t, c.MemoryGiB, mem, "%s: a Dremio pod must fit a node", env)
		}
	}
	p := Defaults(AWS, Dev)
	size := instanceSize[p.Cluster.WorkloadPool.MachineType]
	cpu, mem := allocatable(size[0], size[1])
	n := float64(p.Cluster.WorkloadPool.MinNodes)
	// Dremio coordinator + executors, ZooKeeper (0.5 CPU / 1 GiB), Airbyte's services at their dev
	// sizes (about 2 CPU / 6.5 GiB), the worker, one sync's three job containers and dbt (1 GiB).
	needCPU := p.Dremio.Coordinator.CPU + float64(p.Dremio.Executors)*p.Dremio.Executor.CPU + 0.5 + 2 + p.Airbyte.Worker.CPU + 1.5 + 0.5
	needMem := p.Dremio.Coordinator.MemoryGiB + float64(p.Dremio.Executors)*p.Dremio.Executor.MemoryGiB + 1 + 6.5 + p.Airbyte.Worker.MemoryGiB + 3 + 1
	assert.LessOrEqual(t, needCPU, n*cpu-0.3*n, "dev CPU at the pool's minimum (0.3 CPU per node for DaemonSets)")
	assert.LessOrEqual(t, needMem, n*mem-0.5*n, "dev memory at the pool's minimum (0.5 GiB per node for DaemonSets)")
}
