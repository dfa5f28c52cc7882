package config

import (
	"testing"
)

func gcpValues(extra map[string]string) map[string]string {
	v := map[string]string{"dataplatform:cloud": "gcp", "dataplatform:gcpProject": "acme-data-prod"}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

// Issue 9, class 8: the zonal cluster's zone is a setting with a stable default per region, never
// the first zone that happens to be up.
func TestGKEZone(t *testing.T) {
	p, err := parse(t, "dev", gcpValues(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Cluster.GKEZone(p.Region); got != "europe-north1-a" {
		t.Errorf("default zone of europe-north1 = %q", got)
	}
	if got := DefaultGKEZone("europe-west1"); got != "europe-west1-b" {
		t.Errorf("europe-west1 has no -a zone; got %q", got)
	}
	p, err = parse(t, "dev", gcpValues(map[string]string{"dataplatform:cluster": `{"zone": "europe-north1-c"}`}))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Cluster.GKEZone(p.Region); got != "europe-north1-c" {
		t.Errorf("configured zone = %q", got)
	}
	_, err = parse(t, "dev", gcpValues(map[string]string{"dataplatform:cluster": `{"zone": "europe-west1-b"}`}))
	problem(t, err, "dataplatform:cluster.zone")
}

// Issue 9, class 6: admins are IAM members, privateAccessCidrs canonical IPv4 ranges.
func TestGCPAccessSettings(t *testing.T) {
	_, err := parse(t, "dev", gcpValues(map[string]string{"dataplatform:cluster": `{
		"admins": ["group:platform@example.com", "ops@example.com", "group:platform@example.com"],
		"privateAccessCidrs": ["10.8.0.0/24", "10.9.0.1/24", "0.0.0.0/0"]}`}))
	problem(t, err, "dataplatform:cluster.admins[1]")
	problem(t, err, "dataplatform:cluster.admins[2]")
	problem(t, err, "dataplatform:cluster.privateAccessCidrs[1]")
	problem(t, err, "dataplatform:cluster.privateAccessCidrs[2]")
	for _, pr := range err.Problems {
		if pr.Key == "dataplatform:cluster.admins[0]" || pr.Key == "dataplatform:cluster.privateAccessCidrs[0]" {
			t.Errorf("valid entry refused: %v", pr)
		}
	}
	p, err := parse(t, "dev", gcpValues(map[string]string{"dataplatform:cluster": `{
		"admins": ["serviceAccount:ci@acme-ci.iam.gserviceaccount.com"], "privateAccessCidrs": ["10.8.0.0/24"]}`}))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Cluster.Admins) != 1 || len(p.Cluster.PrivateAccessCIDRs) != 1 {
		t.Errorf("settings not decoded: %+v", p.Cluster)
	}
}

// Issue 9, class 11: prod on gcp runs a cross-region Cloud SQL replica by default; it needs a DR
// region and exists only on gcp.
func TestDRReplicaDefaults(t *testing.T) {
	for env, want := range map[string]bool{"dev": false, "staging": false, "prod": true} {
		p, err := parse(t, env, gcpValues(nil))
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		if p.MetadataDB.DRReplica != want {
			t.Errorf("%s: drReplica = %v, want %v", env, p.MetadataDB.DRReplica, want)
		}
	}
	if Defaults(AWS, Prod).MetadataDB.DRReplica {
		t.Error("aws prod must not default to a Cloud SQL replica")
	}
	_, err := parse(t, "staging", gcpValues(map[string]string{"dataplatform:metadataDb": `{"drReplica": true}`}))
	problem(t, err, "dataplatform:metadataDb.drReplica")
}

// Issue 9, class 4: on every profile the largest platform pods fit one workload node after GKE's
// reservations, and a machine too small for them is refused before anything is created.
func TestGCPPodsFitTheWorkloadPool(t *testing.T) {
	for _, env := range Environments {
		p := Defaults(GCP, env)
		p.Project, p.Stack, p.GCPProject = "dataplatform", string(env), "acme-data-prod"
		m, ok := gceMachines[p.Cluster.WorkloadPool.MachineType]
		if !ok {
			t.Fatalf("%s: default machine type %s is not in the table", env, p.Cluster.WorkloadPool.MachineType)
		}
		cpu, mem := gkeAllocatable(m.cpu, m.memGiB)
		for name, c := range map[string]Compute{"coordinator": p.Dremio.Coordinator, "executor": p.Dremio.Executor, "airbyte worker": p.Airbyte.Worker} {
			if c.CPU > cpu || c.MemoryGiB > mem {
				t.Errorf("%s: %s (%g CPU, %g GiB) does not fit %s (%.2f, %.1f)", env, name, c.CPU, c.MemoryGiB, p.Cluster.WorkloadPool.MachineType, cpu, mem)
			}
		}
		if pr := Validate(&p); len(pr) != 0 {
			t.Errorf("%s defaults: %v", env, pr)
		}
	}
	// e2-standard-16: 64 GiB, 16 vCPU; its allocatable is what GKE documents for it (≈15.89 CPU before
	// the DaemonSets).
	if cpu, mem := gkeAllocatable(16, 64); cpu < 15.4 || cpu > 15.6 || mem < 57 || mem > 58 {
		t.Errorf("allocatable of 16 vCPU / 64 GiB = %.2f, %.1f", cpu, mem)
	}
	_, err := parse(t, "prod", gcpValues(map[string]string{"dataplatform:cluster": `{"workloadPool": {"machineType": "e2-standard-4", "minNodes": 3, "maxNodes": 6, "diskSizeGiB": 100}}`}))
	problem(t, err, "dataplatform:cluster.workloadPool.machineType")
}
