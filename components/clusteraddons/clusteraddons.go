// Package clusteraddons is the cloud-neutral contract of the cluster add-ons the platform needs beyond
// the cluster itself: something that grows every node pool allowed to grow (MaxNodes > MinNodes), and
// a source of the resource metrics API (metrics.k8s.io) that the platform's HorizontalPodAutoscalers
// (Airbyte's workers) scale on. Without the first, MaxNodes does nothing and pods stay Pending; without
// the second, an HPA reports "unable to get metrics" and never scales.
//
// Who provides them, per target:
//   - EKS provides neither. Package eksaddons installs the Kubernetes Cluster Autoscaler (auto-discovery
//     of the managed node groups' Auto Scaling groups, an EKS Pod Identity role scoped to the cluster's
//     groups) and the metrics-server community add-on.
//   - AKS brings both: the cluster autoscaler runs in the managed control plane and is switched on per
//     pool (enableAutoScaling with minCount/maxCount), and every AKS cluster runs metrics-server in
//     kube-system.
//   - GKE brings both: node pool autoscaling (the pool's autoscaling block) is GKE's cluster autoscaler,
//     and GKE deploys metrics-server in kube-system.
//   - On the kubernetes target the cluster's owner provides them: the platform's HPAs need the
//     metrics.k8s.io API (metrics-server or an adapter); pools are whatever the cluster has.
package clusteraddons

import "fmt"

// Autoscaler names what grows a cluster's node pools.
type Autoscaler string

const (
	// ClusterAutoscaler is the Kubernetes Cluster Autoscaler the platform installs (EKS).
	ClusterAutoscaler Autoscaler = "cluster-autoscaler"
	// ManagedAutoscaler is the cloud's own pool autoscaling (AKS, GKE).
	ManagedAutoscaler Autoscaler = "managed"
	// NoAutoscaler: nothing grows the pools; every pool must be fixed (MinNodes = MaxNodes).
	NoAutoscaler Autoscaler = ""
)

// MetricsSource names what serves metrics.k8s.io.
type MetricsSource string

const (
	// MetricsServer is metrics-server installed by the platform (the EKS community add-on).
	MetricsServer MetricsSource = "metrics-server"
	// ManagedMetricsServer is the metrics-server the cloud runs (AKS, GKE).
	ManagedMetricsServer MetricsSource = "managed"
	// ClusterOwnerMetrics: the existing cluster's owner provides metrics.k8s.io.
	ClusterOwnerMetrics MetricsSource = "cluster-owner"
	// NoMetrics: nothing serves metrics.k8s.io; HPAs cannot scale.
	NoMetrics MetricsSource = ""
)

// Pool is a node pool as the add-ons see it.
type Pool struct {
	// Name is the pool's name ("system", "workloads").
	Name string
	// MinNodes and MaxNodes bound the pool.
	MinNodes, MaxNodes int
}

// Growable reports whether something must grow the pool.
func (p Pool) Growable() bool { return p.MaxNodes > p.MinNodes }

// Provided is what a cluster has once its add-ons are in place.
type Provided struct {
	Autoscaler Autoscaler
	Metrics    MetricsSource
}

// Check returns an error when a growable pool has no autoscaler, or when HPAs are used without a
// metrics source.
func Check(pools []Pool, p Provided, usesHPA bool) error {
	for _, pool := range pools {
		if pool.Growable() && p.Autoscaler == NoAutoscaler {
			return fmt.Errorf("clusteraddons: pool %q may grow from %d to %d nodes but nothing grows it; install an autoscaler or set MaxNodes = MinNodes", pool.Name, pool.MinNodes, pool.MaxNodes)
		}
	}
	if usesHPA && p.Metrics == NoMetrics {
		return fmt.Errorf("clusteraddons: the platform's HorizontalPodAutoscalers need the metrics.k8s.io API; install metrics-server")
	}
	return nil
}
