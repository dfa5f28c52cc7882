// Package secrets is the cloud-neutral contract of the platform's secret store: every credential the
// platform creates is written to the target's store, and the Kubernetes Secrets the workloads read
// are materialized from it by the External Secrets Operator (ESO), so that rotating a credential in
// the store reaches the pods without a `pulumi up`.
//
// A store implementation per target (the cloud's secret manager, or one that needs no cloud on the
// kubernetes target) gives back a Store: the ClusterSecretStore that ExternalSecrets reference and a
// Writer that puts a credential into the store. Components never know which store they write to.
//
// Every credential is one remote secret holding a JSON object of its keys; an ExternalSecret maps
// each key of the Kubernetes Secret to a property of that object.
package secrets

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Where the External Secrets Operator runs (the cluster add-on that installs it and the stores that
// grant its identity access agree on these).
const (
	// OperatorNamespace holds the operator.
	OperatorNamespace = "external-secrets"
	// OperatorServiceAccount is the controller's ServiceAccount.
	OperatorServiceAccount = "external-secrets"
)

// Writer puts credentials into a store.
type Writer interface {
	// Put writes data (a key → value map, stored as one JSON object) as the remote secret named key,
	// a DNS label unique per stack ("metadata-db-airbyte"). It returns the reference an
	// ExternalSecret's remoteRef.key takes (a name, ARN or path, whatever the provider expects) and
	// the resource that holds the value, for dependencies. Values are Pulumi secrets.
	Put(ctx *pulumi.Context, name, key string, data pulumi.StringMapInput, opts ...pulumi.ResourceOption) (RemoteRef, error)
}

// RemoteRef is a credential in the store.
type RemoteRef struct {
	// Key is the ExternalSecret's remoteRef.key.
	Key pulumi.StringOutput
	// Resource holds the value: an ExternalSecret reading it waits for it.
	Resource pulumi.Resource
}

// Store is the target's secret store as the workloads see it.
type Store struct {
	// ClusterStore is the name of the ClusterSecretStore that ExternalSecrets reference.
	ClusterStore string
	// Writer writes credentials into it.
	Writer Writer
	// Ready are the resources an ExternalSecret waits for: the operator and the store.
	Ready []pulumi.Resource
}

// OperatorSettings are what a store asks of the External Secrets Operator's installation: the cloud
// identity the controller runs as and the network flows that identity needs.
type OperatorSettings struct {
	// DependsOn are created before the operator: the identities its pods are admitted with (an EKS
	// Pod Identity association and an Azure federated credential are read when a pod starts).
	DependsOn []pulumi.Resource
	// ServiceAccountAnnotations go on the controller's ServiceAccount OperatorServiceAccount
	// (azure.workload.identity/client-id, iam.gke.io/gcp-service-account).
	ServiceAccountAnnotations pulumi.StringMapInput
	// PodLabels go on the controller's pods (azure.workload.identity/use: "true").
	PodLabels map[string]string
	// Egress are the destinations the controller reaches besides the Kubernetes API server and the
	// cluster DNS: the cloud's secret manager and token endpoints, the node-local identity agents.
	Egress []Egress
}

// Egress is one destination of the controller's egress NetworkPolicy.
type Egress struct {
	// CIDR is the destination range ("0.0.0.0/0" for a public cloud API, "169.254.170.23/32" for
	// the EKS Pod Identity agent).
	CIDR string
	// TCPPorts are the destination ports.
	TCPPorts []int
}
