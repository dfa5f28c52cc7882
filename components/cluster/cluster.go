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
