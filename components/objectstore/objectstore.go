// Package objectstore is the cloud-neutral contract of the platform's object storage: the data lake,
// Dremio's distributed storage, Airbyte's logs and state, and backups.
//
// Implementations: s3 (AWS), adls (Azure Data Lake Storage Gen2), gcs (Google Cloud Storage) and minio
// (an in-cluster S3-compatible store for the kubernetes target). Each creates the four buckets, grants
// every workload that needs them a cloud identity (no static keys where workload identity exists) and
// returns an Info the workload components consume.
package objectstore

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// Kind names the storage service.
type Kind string

const (
	S3    Kind = "s3"
	ADLS  Kind = "adls"
	GCS   Kind = "gcs"
	MinIO Kind = "minio"
)

// Bucket is the role of a bucket (a container on Azure).
type Bucket string

const (
	// Lake holds the data lake: raw, curated and reflection data Dremio queries.
	Lake Bucket = "lake"
	// Dremio holds Dremio's distributed storage (reflections, uploads, job results).
	Dremio Bucket = "dremio"
	// Airbyte holds Airbyte's logs, state and workload output.
	Airbyte Bucket = "airbyte"
	// Backups holds database base backups and WAL archives, and exports.
	Backups Bucket = "backups"
)

// Buckets lists every bucket role in creation order.
var Buckets = []Bucket{Lake, Dremio, Airbyte, Backups}

// Access is one workload that needs the store: the Kubernetes ServiceAccount its pods run as and the
// buckets it may use. The store grants exactly that, and nothing else.
type Access struct {
	// Workload is a short stable name ("dremio", "airbyte", "dbt", "postgres-backup").
	Workload string
	// Namespace and ServiceAccount identify the pods' Kubernetes ServiceAccount.
	Namespace      string
	ServiceAccount string
	// Buckets the workload reads and writes.
	Buckets []Bucket
	// StaticCredential asks for a static credential instead of (not besides) workload identity, for a
	// client that cannot use one: Airbyte's GCS client reads only a service-account key file and its
	// Azure client only a connection string. The store mints a credential limited to Buckets and returns
	// it in Identity.StaticCredential; nothing else of the store accepts it. S3 refuses the flag (every
	// AWS client takes EKS Pod Identity); MinIO ignores it (its users always have keys).
	StaticCredential bool
	// Prefix, when set, limits the workload's object access to keys under "<Prefix>/" in each of its
	// buckets (a workload sharing a bucket with another, such as Elasticsearch's snapshots next to
	// the database backups). Lower-case letters, digits and '-'. MinIO scopes its user's policy to
	// it, GCS its bucket grant (an IAM condition on the object name and the list prefix) and S3 its
	// role's policy (objects under the prefix, s3:ListBucket conditioned on s3:prefix), ADLS its
	// container role assignment (an ABAC condition on the blob path and the list prefix,
	// adls.PrefixCondition; refused with StaticCredential, whose account key no condition limits).
	Prefix string
}

// Identity is what a workload's ServiceAccount and pods must carry to act as the identity the store
// granted. The workload component creates the ServiceAccount with these annotations and labels.
type Identity struct {
	// ServiceAccountAnnotations go on the ServiceAccount (iam.gke.io/gcp-service-account,
	// azure.workload.identity/client-id; none for EKS Pod Identity, which binds by name).
	ServiceAccountAnnotations pulumi.StringMapOutput
	// PodLabels go on the pods (azure.workload.identity/use: "true"); plain values.
	PodLabels map[string]string
	// Principal is the cloud identity: an IAM role ARN, a managed identity client ID, a Google service
	// account email, or the MinIO user name.
	Principal pulumi.StringOutput
	// CredentialsSecret is, where there is no workload identity (MinIO), the Kubernetes Secret in the
	// workload's namespace holding the keys "accessKey" and "secretKey"; empty otherwise.
	CredentialsSecret pulumi.StringOutput
	// StaticCredential is, for an Access with StaticCredential set, the credential a client without
	// workload identity uses, as a Pulumi secret: on GCS the JSON key file of the workload's Google
	// service account; on ADLS an Azure Storage connection string (account key) of the account holding
	// the workload's containers. The workload component writes it into a Kubernetes Secret it owns.
	// Empty otherwise.
	StaticCredential pulumi.StringOutput
	// Ready are the resources that grant the identity its access (the bucket grants, the workload
	// identity binding, the role's policy): a workload that uses the identity as it starts depends on
	// them, since the Principal may resolve before they exist (a Google service account's email is
	// known once the account is). Nil where nothing is granted apart from the Principal.
	Ready []pulumi.Resource
}

// Info is what every implementation exposes to the workloads.
type Info struct {
	// Kind is the storage service.
	Kind Kind
	// Region is the store's region ("" for MinIO).
	Region string
	// Endpoint is the service endpoint URL: https://s3.<region>.amazonaws.com,
	// https://<account>.dfs.core.windows.net, https://storage.googleapis.com, or the in-cluster
	// MinIO service URL.
	Endpoint pulumi.StringOutput
	// PathStyle is true where buckets are addressed in the path (MinIO).
	PathStyle bool
	// Account is the storage account name on Azure; empty elsewhere.
	Account pulumi.StringOutput
	// BucketNames maps each role to its physical bucket (container) name.
	BucketNames map[Bucket]pulumi.StringOutput
	// Identities maps each Access.Workload to what its pods must carry.
	Identities map[string]Identity
	// CABundle is the PEM CA clients must trust for the endpoint (MinIO's private CA); empty when the
	// endpoint uses a publicly trusted certificate.
	CABundle pulumi.StringOutput
}
