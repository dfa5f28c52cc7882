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
