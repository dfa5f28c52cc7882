package tests

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// plannedPod is one pod template of a plan: the workload that owns it and how many replicas it asks for.
type plannedPod struct {
	Owner    string
	Replicas int
	Spec     corev1.PodSpec
}

// podsOf decodes every pod template the plan writes as a typed Kubernetes object.
func podsOf(t *testing.T, r *planner.Result) []plannedPod {
	t.Helper()
	var out []plannedPod
	replicas := func(p *int32) int {
		if p == nil {
			return 1
		}
		return int(*p)
	}
	for _, res := range r.Resources {
		switch res.Type {
		case "kubernetes:apps/v1:Deployment":
			var d appsv1.Deployment
			inspect.DecodeStrict(t, res, &d)
			out = append(out, plannedPod{res.URN, replicas(d.Spec.Replicas), d.Spec.Template.Spec})
		case "kubernetes:apps/v1:StatefulSet":
			var s appsv1.StatefulSet
			inspect.DecodeStrict(t, res, &s)
			out = append(out, plannedPod{res.URN, replicas(s.Spec.Replicas), s.Spec.Template.Spec})
		case "kubernetes:batch/v1:Job":
			var j batchv1.Job
			inspect.DecodeStrict(t, res, &j)
			out = append(out, plannedPod{res.URN, 1, j.Spec.Template.Spec})
		case "kubernetes:batch/v1:CronJob":
			var c batchv1.CronJob
			inspect.DecodeStrict(t, res, &c)
			out = append(out, plannedPod{res.URN, 1, c.Spec.JobTemplate.Spec.Template.Spec})
		case "kubernetes:apps/v1:DaemonSet":
			t.Errorf("%s: a DaemonSet runs on every pool; check its tolerations and fit by hand and teach this test", res.URN)
		}
	}
	return out
}

// podRequests is what the scheduler reserves for a pod: the larger of the sum of its containers'
// requests and its largest init container (k8s.io/kubernetes pkg/api/v1/resource PodRequests), with
// native sidecars (init containers with restartPolicy Always) counted with the containers.
func podRequests(spec corev1.PodSpec) (cpu, mem resource.Quantity) {
	for _, c := range spec.Containers {
		cpu.Add(*c.Resources.Requests.Cpu())
		mem.Add(*c.Resources.Requests.Memory())
	}
	for _, c := range spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			cpu.Add(*c.Resources.Requests.Cpu())
			mem.Add(*c.Resources.Requests.Memory())
		}
	}
	for _, c := range spec.InitContainers {
		if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			if c.Resources.Requests.Cpu().Cmp(cpu) > 0 {
				cpu = *c.Resources.Requests.Cpu()
			}
			if c.Resources.Requests.Memory().Cmp(mem) > 0 {
				mem = *c.Resources.Requests.Memory()
			}
		}
	}
	return cpu, mem
}

// machine is a node type's capacity: vCPUs and GiB of memory.
type machine struct{ cpu, memGiB float64 }

// machines are the node types the profiles use (AWS, Azure and GCP documentation).
var machines = map[string]machine{
	"m7i.large": {2, 8}, "m7i.xlarge": {4, 16}, "m7i.2xlarge": {8, 32}, "m7i.4xlarge": {16, 64},
	"Standard_D2s_v5": {2, 8}, "Standard_D4s_v5": {4, 16}, "Standard_D8s_v5": {8, 32}, "Standard_D16s_v5": {16, 64},
	"e2-standard-2": {2, 8}, "e2-standard-4": {4, 16}, "n2-standard-8": {8, 32}, "n2-standard-16": {16, 64},
}

// allocatable is what pods may request on a node. It uses GKE's reservation formulas, the largest of
// the three managed services for these sizes (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes):
// CPU 6 % of the first core, 1 % of the second, 0.5 % of the next two, 0.25 % above four; memory 25 %
// of the first 4 GiB, 20 % of the next 4, 10 % of the next 8, 6 % of the next 112; plus 100 MiB for
// the eviction threshold and 0.25 CPU / 1 GiB for the node's daemons (CNI, CSI, log and metrics agents).
func allocatable(m machine) (cpu, memGiB float64) {
	cpu = m.cpu - 0.06 - 0.01 - 0.005*2 - 0.0025*max(0, m.cpu-4) - 0.25
	tiers := []struct{ size, share float64 }{{4, 0.25}, {4, 0.20}, {8, 0.10}, {112, 0.06}}
	reserved, left := 0.0, m.memGiB
	for _, tier := range tiers {
		n := min(left, tier.size)
		reserved += n * tier.share
		left -= n
	}
	return cpu, m.memGiB - reserved - 100.0/1024 - 1
}

func tolerates(spec corev1.PodSpec, taint corev1.Taint) bool {
	for _, tol := range spec.Tolerations {
		if tol.ToleratesTaint(&taint) {
			return true
		}
	}
	return false
}

// workloadPoolTaints are the taints the cloud puts on the workload pool (spot pools on AKS).
func workloadPoolTaints(r *planner.Result) []corev1.Taint {
	var out []corev1.Taint
	if r.Platform.Cloud == config.Azure && r.Platform.Cluster.WorkloadPool.Spot {
		// learn.microsoft.com/azure/aks/spot-node-pool: AKS taints spot pools and refuses to drop it.
		out = append(out, corev1.Taint{Key: "kubernetes.azure.com/scalesetpriority", Value: "spot", Effect: corev1.TaintEffectNoSchedule})
	}
	return out
}

// Every platform pod tolerates the workload pool's taints and fits one of its nodes; the pool at its
// maximum holds every pod at its planned replica count.
func TestEveryPodFitsAndToleratesTheWorkloadPool(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		pods := podsOf(t, r)
		if len(pods) == 0 {
			t.Fatal("no pod templates in the plan")
		}
		if r.Platform.Cloud == config.Kubernetes {
			return // an existing cluster: its nodes are the user's (README: what the cluster must provide)
		}
		pool := r.Platform.Cluster.WorkloadPool
		m, ok := machines[pool.MachineType]
		if !ok {
			t.Fatalf("machine type %q is not in the test's catalogue; add its vCPU and memory", pool.MachineType)
		}
		nodeCPU, nodeMem := allocatable(m)
		var totalCPU, totalMem float64
		for _, p := range pods {
			for _, taint := range workloadPoolTaints(r) {
				if !tolerates(p.Spec, taint) {
					t.Errorf("%s does not tolerate %s", p.Owner, taint.ToString())
				}
			}
			cpu, mem := podRequests(p.Spec)
			c, g := cpu.AsApproximateFloat64(), mem.AsApproximateFloat64()/(1<<30)
			if c > nodeCPU || g > nodeMem {
				t.Errorf("%s requests %.2f CPU / %.2f GiB; a %s node allocates %.2f CPU / %.2f GiB", p.Owner, c, g, pool.MachineType, nodeCPU, nodeMem)
			}
			totalCPU += c * float64(p.Replicas)
			totalMem += g * float64(p.Replicas)
		}
		if n := float64(pool.MaxNodes); totalCPU > n*nodeCPU || totalMem > n*nodeMem {
			t.Errorf("the pods request %.1f CPU / %.1f GiB; %d %s nodes allocate %.1f CPU / %.1f GiB",
				totalCPU, totalMem, pool.MaxNodes, pool.MachineType, n*nodeCPU, n*nodeMem)
		}
	})
}
