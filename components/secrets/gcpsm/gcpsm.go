// Package gcpsm is the platform's secret store on Google Cloud: Secret Manager, read by the External
// Secrets Operator as its own Kubernetes ServiceAccount through GKE Workload Identity Federation
// (package secrets is the contract).
//
// Every credential is one secret "<SecretPrefix>-<key>" replicated only in the stack's region and
// encrypted with the store's own Cloud KMS key there (user-managed replication with CMEK: the data
// stays in the region, like the buckets and the database, and is encrypted with a key the stack
// controls, like the buckets). The operator's ServiceAccount is granted
// roles/secretmanager.secretAccessor on each of these secrets and nothing else.
package gcpsm

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/kms"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/organizations"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/projects"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/secretmanager"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/components/secrets/internal/cloudstore"
)

// StoreType is the component's type token.
const StoreType = "dataplatform:gcp:SecretStore"

const (
	// ClusterStoreName is the ClusterSecretStore the platform's ExternalSecrets reference.
	ClusterStoreName = "gcp-secret-manager"
	// AccessorRole lets the operator read a secret's versions (Secret Manager access control:
	// "roles/secretmanager.secretAccessor: Allows accessing the payload of secrets").
	AccessorRole = "roles/secretmanager.secretAccessor"
	// KeyRole lets the Secret Manager service agent encrypt and decrypt with the key (Secret Manager
	// "Enable customer-managed encryption keys": grant the service agent
	// roles/cloudkms.cryptoKeyEncrypterDecrypter on the key).
	KeyRole = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
	// KeyRotationPeriod rotates the key every 90 days, as the buckets' keys.
	KeyRotationPeriod = "7776000s"
	// service is the API whose service agent uses the key.
	service = "secretmanager.googleapis.com"
)

// Egress is what the controller reaches: the GKE metadata server, which serves the pod's federated
// token at the metadata address and, under network policy enforcement, at 169.254.169.252:988 (GKE
// "Workload Identity Federation for GKE", restrictions: allow egress to 169.254.169.252/32 port 988
// with network policies; as components/dremio does for its GCS credentials), and Secret Manager's
// API over HTTPS.
var Egress = []secrets.Egress{
	{CIDR: "169.254.169.254/32", TCPPorts: []int{80}},
	{CIDR: "169.254.169.252/32", TCPPorts: []int{988}},
	{CIDR: cloudstore.Anywhere, TCPPorts: []int{443}},
}

// StoreArgs configures the store.
type StoreArgs struct {
	// Project and Region: the secrets and their key live in Region of Project.
	Project string
	Region  string
	// SecretPrefix is the stack's name ("<project>-<stack>", Names.Base): secrets are
	// "<SecretPrefix>-<key>", unique in the project.
	SecretPrefix string
	// WorkloadPool is the cluster's Workload Identity pool ("<project>.svc.id.goog", gke.Cluster
	// output): the grants name the operator's ServiceAccount in it, and wait for the cluster.
	WorkloadPool pulumi.StringInput
	// Namespaces may reference the ClusterSecretStore (the platform's namespaces); empty: all.
	Namespaces []string
	// KubernetesProvider reaches the cluster.
	KubernetesProvider *kubernetes.Provider
	// Protect protects the key ring and the key (a destroyed key makes every secret unreadable).
	Protect bool
	// Labels are added to the secrets and the key.
	Labels map[string]string
}

// Store is the component.
type Store struct {
	pulumi.ResourceState
	// KeyID is the Cloud KMS key that encrypts the secrets.
	KeyID pulumi.StringOutput
	// Member is the operator's IAM principal.
	Member pulumi.StringOutput
	// Store is the contract the workloads use.
	Store *secrets.Store

	args  *StoreArgs
	grant pulumi.Resource
}

var (
	projectRE = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	regionRE  = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+$`)
	// secretmanager@v7.38.0 secret.go secretId "must be unique within the project"; the API allows
	// [A-Za-z0-9_-]{1,255}: the prefix leaves room for "-" and a 63-character key.
	prefixRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,191}$`)
)

func (a *StoreArgs) validate() error {
	fail := func(format string, v ...any) error { return fmt.Errorf("gcpsm: "+format, v...) }
	switch {
	case a == nil:
		return fail("args is nil; pass an *StoreArgs")
	case !projectRE.MatchString(a.Project):
		return fail("Project = %q; must be a Google Cloud project ID", a.Project)
	case !regionRE.MatchString(a.Region):
		return fail("Region = %q; must be a Google Cloud region such as europe-north1", a.Region)
	case !prefixRE.MatchString(a.SecretPrefix):
		return fail("SecretPrefix = %q; allowed 1-191 of A-Z a-z 0-9 _ -", a.SecretPrefix)
	case a.WorkloadPool == nil:
		return fail("WorkloadPool is nil; pass the cluster's Workload Identity pool output")
	case a.KubernetesProvider == nil:
		return fail("KubernetesProvider is nil; pass the cluster's provider")
	}
	return cloudstore.CheckNamespaces("gcpsm", a.Namespaces)
}

// Principal is the direct Workload Identity Federation principal of a Kubernetes ServiceAccount
// (external-secrets@v2.9.0 docs/provider/google-secrets-manager.md, "Using a Kubernetes service
// account as a GCP IAM principal"; GKE "Authenticate to Google Cloud APIs from GKE workloads").
func Principal(projectNumber, workloadPool, namespace, serviceAccount string) string {
	return fmt.Sprintf("principal://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s/subject/ns/%s/sa/%s",
		projectNumber, workloadPool, namespace, serviceAccount)
}

// NewStore creates the key, installs the operator, then the ClusterSecretStore.
//
// The operator needs nothing created before its pods start: on GKE the metadata server hands a pod
// its ServiceAccount's federated token at each request, and each secret's grant is created with the
// secret (Put). install is called with the key's grant only so the operator and the store's first
// secrets start together.
func NewStore(ctx *pulumi.Context, name string, args *StoreArgs, install cloudstore.Installer, opts ...pulumi.ResourceOption) (*Store, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &Store{args: args}
	if err := ctx.RegisterComponentResourceV2(StoreType, name, pulumi.Map{
		"project": pulumi.String(args.Project), "region": pulumi.String(args.Region),
		"secretPrefix": pulumi.String(args.SecretPrefix), "protect": pulumi.Bool(args.Protect),
		"namespaces": pulumi.ToStringArray(args.Namespaces),
	}, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	stateful := pulumi.Composite(parent, pulumi.Protect(args.Protect))
	disposable := pulumi.Composite(parent, pulumi.Protect(false))

	project, err := organizations.LookupProject(ctx, &organizations.LookupProjectArgs{ProjectId: &args.Project}, parent)
	if err != nil {
		return nil, fmt.Errorf("gcpsm: looking up the number of project %s: %w", args.Project, err)
	}
	if project.Number == "" {
		return nil, fmt.Errorf("gcpsm: project %s has no number; is the project ID right?", args.Project)
	}
	comp.Member = args.WorkloadPool.ToStringOutput().ApplyT(func(pool string) string {
		return Principal(project.Number, pool, secrets.OperatorNamespace, secrets.OperatorServiceAccount)
	}).(pulumi.StringOutput)

	// Key rings can never be deleted: an auto-named ring lets a destroyed stack be re-created (as the
	// buckets' rings, components/objectstore/gcs).
	ring, err := kms.NewKeyRing(ctx, name+"-keyring", &kms.KeyRingArgs{
		Project: pulumi.String(args.Project), Location: pulumi.String(args.Region),
	}, stateful)
	if err != nil {
		return nil, err
	}
	key, err := kms.NewCryptoKey(ctx, name+"-key", &kms.CryptoKeyArgs{
		KeyRing: ring.ID(), Purpose: pulumi.String("ENCRYPT_DECRYPT"),
		RotationPeriod: pulumi.String(KeyRotationPeriod), Labels: pulumi.ToStringMap(args.Labels),
	}, stateful)
	if err != nil {
		return nil, err
	}
	comp.KeyID = key.ID().ToStringOutput()
	// gcp@v7.38.0 projects/serviceIdentity.go: generates the service agent of an API, which a project
	// that never used Secret Manager does not have yet; "cannot be updated or destroyed".
	agent, err := projects.NewServiceIdentity(ctx, name+"-agent", &projects.ServiceIdentityArgs{
		Project: pulumi.String(args.Project), Service: pulumi.String(service),
	}, disposable)
	if err != nil {
		return nil, err
	}
	// The agent's address is fixed by the project number (Secret Manager CMEK guide:
	// service-PROJECT_NUMBER@gcp-sa-secretmanager.iam.gserviceaccount.com); the grant waits for it.
	grant, err := kms.NewCryptoKeyIAMMember(ctx, name+"-key-agent", &kms.CryptoKeyIAMMemberArgs{
		CryptoKeyId: key.ID(), Role: pulumi.String(KeyRole),
		Member: pulumi.String("serviceAccount:service-" + project.Number + "@gcp-sa-secretmanager.iam.gserviceaccount.com"),
	}, disposable, pulumi.DependsOn([]pulumi.Resource{agent}))
	if err != nil {
		return nil, err
	}
	comp.grant = grant

	operator, err := cloudstore.Install("gcpsm", install, secrets.OperatorSettings{DependsOn: []pulumi.Resource{grant}, Egress: Egress})
	if err != nil {
		return nil, err
	}
	// external-secrets@v2.9.0 docs/provider/google-secrets-manager.md, "Authorizing the Core
	// Controller Pod": with the controller's ServiceAccount authorized through GKE Workload Identity,
	// the store needs no auth section (the provider falls back to Application Default Credentials,
	// the GKE metadata server); projectID pins the project (apis/externalsecrets/v1/
	// secretstore_gcpsm_types.go GCPSMProvider.ProjectID). No location: the secrets are global
	// resources with user-managed replicas, not regional secrets.
	css, err := cloudstore.ClusterSecretStore(ctx, name+"-cluster-store", ClusterStoreName, map[string]any{
		"gcpsm": map[string]any{"projectID": args.Project},
	}, args.Namespaces, pulumi.Provider(args.KubernetesProvider), disposable, pulumi.DependsOn([]pulumi.Resource{operator}))
	if err != nil {
		return nil, err
	}
	comp.Store = &secrets.Store{ClusterStore: ClusterStoreName, Writer: comp, Ready: []pulumi.Resource{operator, css}}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"keyId": comp.KeyID, "member": comp.Member, "clusterStore": pulumi.String(ClusterStoreName),
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// Put writes data as the secret "<SecretPrefix>-<key>": the Secret (one replica in the region,
// encrypted with the store's key), the operator's accessor grant on it, and the version holding the
// JSON object, created after the grant so that an ExternalSecret waiting for the version can read it.
//
// Changing key creates a new secret before the old one is deleted (Pulumi's create-before-delete);
// the ExternalSecret's remoteRef.key follows, and the Kubernetes Secret it owns stays in place.
func (s *Store) Put(ctx *pulumi.Context, name, key string, data pulumi.StringMapInput, opts ...pulumi.ResourceOption) (secrets.RemoteRef, error) {
	if err := cloudstore.CheckPut("gcpsm", name, key, data); err != nil {
		return secrets.RemoteRef{}, err
	}
	a := s.args
	own := append(append([]pulumi.ResourceOption{}, opts...), pulumi.Parent(s), pulumi.Protect(false))
	// gcp@v7.38.0 secretmanager/pulumiTypes.go SecretReplicationUserManagedReplicaArgs{Location,
	// CustomerManagedEncryption{KmsKeyName}}: the key must be in the replica's location. The
	// replication "cannot be changed after the Secret has been created" (secret.go): a change
	// replaces the secret.
	secret, err := secretmanager.NewSecret(ctx, name, &secretmanager.SecretArgs{
		Project:  pulumi.String(a.Project),
		SecretId: pulumi.String(a.SecretPrefix + "-" + key),
		Labels:   pulumi.ToStringMap(a.Labels),
		Replication: &secretmanager.SecretReplicationArgs{
			UserManaged: &secretmanager.SecretReplicationUserManagedArgs{
				Replicas: secretmanager.SecretReplicationUserManagedReplicaArray{&secretmanager.SecretReplicationUserManagedReplicaArgs{
					Location: pulumi.String(a.Region),
					CustomerManagedEncryption: &secretmanager.SecretReplicationUserManagedReplicaCustomerManagedEncryptionArgs{
						KmsKeyName: s.KeyID,
					},
				}},
			},
		},
	}, append(own, pulumi.DependsOn([]pulumi.Resource{s.grant}))...)
	if err != nil {
		return secrets.RemoteRef{}, err
	}
	access, err := secretmanager.NewSecretIamMember(ctx, name+"-operator", &secretmanager.SecretIamMemberArgs{
		Project: pulumi.String(a.Project), SecretId: secret.SecretId, Role: pulumi.String(AccessorRole), Member: s.Member,
	}, own...)
	if err != nil {
		return secrets.RemoteRef{}, err
	}
	version, err := secretmanager.NewSecretVersion(ctx, name+"-value", &secretmanager.SecretVersionArgs{
		Secret: secret.ID(), SecretData: cloudstore.SecretJSON(data),
	}, append(own, pulumi.DependsOn([]pulumi.Resource{access}))...)
	if err != nil {
		return secrets.RemoteRef{}, err
	}
	// remoteRef.key is the secret's ID in the store's project; ESO reads its "latest" version.
	return secrets.RemoteRef{Key: secret.SecretId, Resource: version}, nil
}
