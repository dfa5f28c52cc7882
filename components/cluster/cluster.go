// Package cluster is the cloud-neutral contract of the platform's Kubernetes cluster.
//
// Implementations: eks, aks and gke create a managed cluster with a system and a workload node pool,
// workload identity and the two StorageClasses of the design document; existing connects to a cluster
// you already run, through a kubeconfig and context. All of them hand out a *kubernetes.Provider that
// everything running on the cluster is created with.
package cluster

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// IdentityMechanism says how a workload's Kubernetes ServiceAccount becomes a cloud identity.
type IdentityMechanism string

const (
	// EKSPodIdentity maps a ServiceAccount to an IAM role with an EKS Pod Identity association.
	EKSPodIdentity IdentityMechanism = "eks-pod-identity"
	// AzureWorkloadIdentity federates a ServiceAccount token with a user-assigned managed identity.
	AzureWorkloadIdentity IdentityMechanism = "azure-workload-identity"
	// GKEWorkloadIdentity binds a ServiceAccount to a Google service account.
	GKEWorkloadIdentity IdentityMechanism = "gke-workload-identity"
	// NoCloudIdentity: an existing cluster; workloads authenticate with credentials held in Secrets.
	NoCloudIdentity IdentityMechanism = "none"
)

// WorkloadIdentity is what a component needs to give its pods a cloud identity without static keys.
type WorkloadIdentity struct {
	// Mechanism says which of the fields below apply.
	Mechanism IdentityMechanism
	// OIDCIssuerURL is the cluster's ServiceAccount token issuer (EKS, AKS).
	OIDCIssuerURL pulumi.StringOutput
	// OIDCProviderARN is the IAM OIDC provider of the cluster (EKS, for IRSA-only controllers).
	OIDCProviderARN pulumi.StringOutput
	// WorkloadPool is the GKE workload identity pool, "<project>.svc.id.goog".
	WorkloadPool string
}

// StorageClasses names the design document's two classes on this cluster. An empty name means the
// cluster's default StorageClass (existing clusters only).
type StorageClasses struct {
	// FastSSD backs databases, Dremio and ZooKeeper.
	FastSSD string
	// Standard backs bulk volumes.
	Standard string
}

// Info is what every cluster implementation exposes to the components that run on it.
type Info struct {
	// Name is the cluster's name in its cloud (the kubeconfig context on an existing cluster).
	Name pulumi.StringOutput
	// Endpoint is the API server URL (empty on an existing cluster, where the kubeconfig holds it).
	Endpoint pulumi.StringOutput
	// Kubeconfig reaches the cluster; a secret. Empty on an existing cluster.
	Kubeconfig pulumi.StringOutput
	// Provider creates resources on the cluster.
	Provider *kubernetes.Provider
	// StorageClasses are the fast-ssd and standard classes.
	StorageClasses StorageClasses
	// Identity is how workloads get cloud identities.
	Identity WorkloadIdentity
	// Scheduling is what a platform pod carries to be scheduled on the workload pool.
	Scheduling Scheduling
}

// Toleration tolerates one node taint (k8s.io/api core/v1 Toleration).
type Toleration struct {
	// Key is the taint key, e.g. "kubernetes.azure.com/scalesetpriority".
	Key string
	// Operator is "Equal" (Value must match) or "Exists".
	Operator string
	// Value is the taint value, with Operator "Equal".
	Value string
	// Effect is the taint effect, "NoSchedule", "PreferNoSchedule" or "NoExecute"; empty matches all.
	Effect string
}

// Scheduling places the platform's pods on the workload pool. Managed pools carry taints the cloud
// sets (AKS spot pools are tainted kubernetes.azure.com/scalesetpriority=spot:NoSchedule, AKS system
// pools CriticalAddonsOnly=true:NoSchedule); a pod that does not tolerate them stays Pending. The zero
// value schedules anywhere, as on an existing cluster.
type Scheduling struct {
	// Tolerations are the workload pool's taints, which every platform pod tolerates.
	Tolerations []Toleration
	// NodeSelector, when set, keeps platform pods on the workload pool (off the system pool).
	NodeSelector map[string]string
}

// TolerationArray renders the tolerations for a pod spec; nil when there are none.
func (s Scheduling) TolerationArray() corev1.TolerationArray {
	if len(s.Tolerations) == 0 {
		return nil
	}
	out := corev1.TolerationArray{}
	for _, t := range s.Tolerations {
		a := corev1.TolerationArgs{Key: pulumi.String(t.Key), Operator: pulumi.String(t.Operator)}
		if t.Value != "" {
			a.Value = pulumi.String(t.Value)
		}
		if t.Effect != "" {
			a.Effect = pulumi.String(t.Effect)
		}
		out = append(out, a)
	}
	return out
}

// TolerationValues renders the tolerations as plain maps, for Helm chart values and custom resource
// specs (which take untyped objects).
func (s Scheduling) TolerationValues() pulumi.Array {
	out := pulumi.Array{}
	for _, t := range s.Tolerations {
		m := pulumi.Map{"key": pulumi.String(t.Key), "operator": pulumi.String(t.Operator)}
		if t.Value != "" {
			m["value"] = pulumi.String(t.Value)
		}
		if t.Effect != "" {
			m["effect"] = pulumi.String(t.Effect)
		}
		out = append(out, m)
	}
	return out
}

// PlaceValues sets "tolerations" and "nodeSelector" on a chart values map (or a sub-map of one) that
// takes them under those names, leaving either out when it is empty; it returns the map.
func (s Scheduling) PlaceValues(m pulumi.Map) pulumi.Map {
	if t := s.TolerationValues(); len(t) > 0 {
		m["tolerations"] = t
	}
	if len(s.NodeSelector) > 0 {
		m["nodeSelector"] = pulumi.ToStringMap(s.NodeSelector)
	}
	return m
}

// ResourceValues renders a container's requests and limits as chart values
// ({requests: {cpu, memory}, limits: {cpu, memory}}).
func ResourceValues(cpuReq, memReq, cpuLim, memLim string) pulumi.Map {
	return pulumi.Map{
		"requests": pulumi.Map{"cpu": pulumi.String(cpuReq), "memory": pulumi.String(memReq)},
		"limits":   pulumi.Map{"cpu": pulumi.String(cpuLim), "memory": pulumi.String(memLim)},
	}
}

// NodeSelectorMap renders the node selector for a pod spec; nil when there is none.
func (s Scheduling) NodeSelectorMap() pulumi.StringMap {
	if len(s.NodeSelector) == 0 {
		return nil
	}
	return pulumi.ToStringMap(s.NodeSelector)
}

// NodePool sizes a group of worker nodes. Every managed implementation takes one for its system pool
// and one for its workload pool.
type NodePool struct {
	// MachineType is the cloud instance type (m7i.xlarge, Standard_D4s_v5, e2-standard-4).
	MachineType string
	// MinNodes and MaxNodes bound the autoscaler.
	MinNodes, MaxNodes int
	// DiskSizeGiB is the encrypted root disk of each node.
	DiskSizeGiB int
	// Spot runs the pool on spot / preemptible capacity (non-critical pools outside prod).
	Spot bool
}

// Props renders the pool as component inputs, so mocks and policies see the pool sizes.
func (p NodePool) Props() pulumi.Map {
	return pulumi.Map{
		"machineType": pulumi.String(p.MachineType), "minNodes": pulumi.Int(p.MinNodes), "maxNodes": pulumi.Int(p.MaxNodes),
		"diskSizeGiB": pulumi.Int(p.DiskSizeGiB), "spot": pulumi.Bool(p.Spot),
	}
}

// Validate returns an error naming the pool and the field when the pool cannot be created.
func (p NodePool) Validate(pool string) error {
	switch {
	case p.MachineType == "":
		return fmt.Errorf("%s: MachineType is empty; set a machine type", pool)
	case p.MinNodes < 1:
		return fmt.Errorf("%s: MinNodes = %d; must be ≥ 1", pool, p.MinNodes)
	case p.MaxNodes < p.MinNodes:
		return fmt.Errorf("%s: MaxNodes = %d; must be ≥ MinNodes (%d)", pool, p.MaxNodes, p.MinNodes)
	case p.DiskSizeGiB < 20:
		return fmt.Errorf("%s: DiskSizeGiB = %d; must be ≥ 20", pool, p.DiskSizeGiB)
	}
	return nil
}
