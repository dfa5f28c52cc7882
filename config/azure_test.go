package config

import (
	"strings"
	"testing"
)

func TestAzureAdminsMustBeEntraObjectIDs(t *testing.T) {
	_, err := parse(t, "dev", map[string]string{
		"dataplatform:cloud":   "azure",
		"dataplatform:cluster": `{"admins": ["5b1f4c1e-3a7d-4a55-9b0e-1d2c3b4a5f60", "ops@example.com"], "privateAccessCidrs": ["10.50.0.0/16", "vpn"]}`,
	})
	p := problem(t, err, "dataplatform:cluster.admins[1]")
	if p.Value != "ops@example.com" || !strings.Contains(p.Allowed, "GUID") {
		t.Errorf("admins[1]: %+v", p)
	}
	problem(t, err, "dataplatform:cluster.privateAccessCidrs[1]")
	for _, q := range err.Problems {
		if q.Key == "dataplatform:cluster.admins[0]" || q.Key == "dataplatform:cluster.privateAccessCidrs[0]" {
			t.Errorf("a valid entry was refused: %+v", q)
		}
	}
	ok, err := parse(t, "dev", map[string]string{
		"dataplatform:cloud":   "azure",
		"dataplatform:cluster": `{"admins": ["5b1f4c1e-3a7d-4a55-9b0e-1d2c3b4a5f60"]}`,
	})
	if err != nil || len(ok.Cluster.Admins) != 1 {
		t.Fatalf("valid admins refused: %v", err)
	}
}

func TestAzureRefusesWhatTheCloudCannotDo(t *testing.T) {
	_, err := parse(t, "prod", map[string]string{
		"dataplatform:cloud":       "azure",
		"dataplatform:metadataDb":  `{"version": "17", "drRegion": "westeurope"}`,
		"dataplatform:objectStore": `{"replicationRegion": "westeurope"}`,
	})
	if !strings.Contains(problem(t, err, "dataplatform:metadataDb.version").Allowed, "16") {
		t.Error("version 17 must name the versions Flexible Server accepts here")
	}
	problem(t, err, "dataplatform:metadataDb.drRegion")
	problem(t, err, "dataplatform:objectStore.replicationRegion")
	// The same values are fine on aws, where the platform replicates to a region of the user's choice.
	_, awsErr := parse(t, "prod", map[string]string{
		"dataplatform:cloud":      "aws",
		"dataplatform:metadataDb": `{"drRegion": "eu-west-1"}`,
	})
	for _, q := range problemsOf(awsErr) {
		if strings.HasSuffix(q.Key, "drRegion") {
			t.Errorf("aws drRegion refused: %+v", q)
		}
	}
}

func problemsOf(e *Error) []Problem {
	if e == nil {
		return nil
	}
	return e.Problems
}

// Every platform pod of every profile fits one workload node of the profile's default size, and a
// size that cannot hold Dremio's coordinator is refused before anything is deployed.
func TestAzureWorkloadPodsFitTheNodes(t *testing.T) {
	for _, env := range Environments {
		p := Defaults(Azure, env)
		size, ok := AzureVMSizes[p.Cluster.WorkloadPool.MachineType]
		if !ok {
			t.Fatalf("%s: default workload size %s is not in AzureVMSizes", env, p.Cluster.WorkloadPool.MachineType)
		}
		cpu, mem := AKSAllocatable(size)
		for what, c := range map[string]Compute{"coordinator": p.Dremio.Coordinator, "executor": p.Dremio.Executor, "airbyte worker": p.Airbyte.Worker} {
			if c.CPU > cpu || c.MemoryGiB > mem {
				t.Errorf("%s: %s (%g CPU, %g GiB) does not fit %s (%.2f CPU, %.1f GiB allocatable)", env, what, c.CPU, c.MemoryGiB,
					p.Cluster.WorkloadPool.MachineType, cpu, mem)
			}
		}
		if p.Cluster.WorkloadPool.MaxNodes <= p.Cluster.WorkloadPool.MinNodes {
			t.Errorf("%s: the workload pool cannot grow (%d-%d)", env, p.Cluster.WorkloadPool.MinNodes, p.Cluster.WorkloadPool.MaxNodes)
		}
	}
	_, err := parse(t, "dev", map[string]string{
		"dataplatform:cloud":   "azure",
		"dataplatform:cluster": `{"workloadPool": {"machineType": "Standard_D2s_v5", "minNodes": 1, "maxNodes": 3, "diskSizeGiB": 100, "spot": true}}`,
	})
	if p := problem(t, err, "dataplatform:cluster.workloadPool.machineType"); !strings.Contains(p.Allowed, "dremio.coordinator") {
		t.Errorf("want the coordinator named: %+v", p)
	}
	// 16 GiB, 4 vCPU: about 10.9 GiB and 3.36 CPU are left to pods.
	cpu, mem := AKSAllocatable(AzureVMSizes["Standard_D4s_v5"])
	if cpu < 3.3 || cpu > 3.4 || mem < 10.8 || mem > 11 {
		t.Errorf("D4s_v5 allocatable = %.2f CPU %.2f GiB", cpu, mem)
	}
}

// The VNet flow log's owner and retention: a Network Watcher named "<resource group>/<name>", and a
// retention a flow log's policy accepts (1-365 days).
func TestAzureFlowLogSettings(t *testing.T) {
	_, err := parse(t, "prod", map[string]string{
		"dataplatform:cloud":   "azure",
		"dataplatform:network": `{"networkWatcher": "NetworkWatcher_swedencentral", "flowLogRetentionDays": 400}`,
	})
	if p := problem(t, err, "dataplatform:network.networkWatcher"); !strings.Contains(p.Allowed, "NetworkWatcherRG/NetworkWatcher_") {
		t.Errorf("networkWatcher: %+v", p)
	}
	problem(t, err, "dataplatform:network.flowLogRetentionDays")
	ok, err := parse(t, "prod", map[string]string{
		"dataplatform:cloud":   "azure",
		"dataplatform:network": `{"networkWatcher": "ops-network/NetworkWatcher_swedencentral", "flowLogRetentionDays": 365}`,
	})
	if err != nil || ok.Network.NetworkWatcher != "ops-network/NetworkWatcher_swedencentral" {
		t.Fatalf("a valid network watcher was refused: %v", err)
	}
}

// privateAccessCidrs open HTTPS to every private endpoint on Azure: never the world, never the VNet's
// own space; a pinned pool name is an AKS pool name.
func TestAzurePrivateAccessAndPoolName(t *testing.T) {
	_, err := parse(t, "prod", map[string]string{
		"dataplatform:cloud":   "azure",
		"dataplatform:cluster": `{"privateAccessCidrs": ["10.8.0.0/16", "0.0.0.0/0", "10.40.128.0/24"], "workloadPoolName": "Workloads", "kubeloginMode": "devicecode"}`,
	})
	problem(t, err, "dataplatform:cluster.kubeloginMode")
	problem(t, err, "dataplatform:cluster.privateAccessCidrs[1]")
	if p := problem(t, err, "dataplatform:cluster.privateAccessCidrs[2]"); !strings.Contains(p.Allowed, "outside the VNet") {
		t.Errorf("a range inside the VNet: %+v", p)
	}
	problem(t, err, "dataplatform:cluster.workloadPoolName")
	for _, q := range err.Problems {
		if q.Key == "dataplatform:cluster.privateAccessCidrs[0]" {
			t.Errorf("a valid range was refused: %+v", q)
		}
	}
}
