// Package metadatadb is the cloud-neutral contract of the platform's PostgreSQL: the metadata database
// of Airbyte, Temporal and Superset.
//
// Implementations: rds (Amazon RDS for PostgreSQL), flexibleserver (Azure Database for PostgreSQL
// Flexible Server), cloudsql (Cloud SQL for PostgreSQL) and cnpg (CloudNativePG in-cluster). Each
// creates the server with backups, point-in-time recovery and TLS enforced, then the databases and
// roles the platform needs, and publishes a Connection the workloads consume.
package metadatadb

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Database is a database the platform needs, named by the workload that owns it.
type Database string

const (
	// Airbyte is Airbyte's configuration and jobs database.
	Airbyte Database = "airbyte"
	// Temporal is the Temporal workflow engine's database (Airbyte's scheduler).
	Temporal Database = "temporal"
	// TemporalVisibility is Temporal's visibility database.
	TemporalVisibility Database = "temporal_visibility"
	// Superset is Superset's metadata database.
	Superset Database = "superset"
)

// Databases lists every database in creation order.
var Databases = []Database{Airbyte, Temporal, TemporalVisibility, Superset}

// Owner is the role owning each database. Temporal's two databases belong to the Airbyte role, as the
// Airbyte chart connects Temporal with the Airbyte credentials.
var Owner = map[Database]string{Airbyte: "airbyte", Temporal: "airbyte", TemporalVisibility: "airbyte", Superset: "superset"}

// AirbyteReader is the read-only login role of Airbyte's jobs-database exporter
// (components/airbyte/syncmetrics). It is created with the platform's roles, LOGIN and nothing else;
// what it may read (CONNECT on the Airbyte database, USAGE on its schema, SELECT on exactly the jobs
// tables) is granted by the table owner once Airbyte's migrations have created them.
const AirbyteReader = "airbyte_reader"

// ReaderConnectionLimit bounds the sessions of a read-only role (an exporter holds one connection).
const ReaderConnectionLimit = 3

// ReadOnlyRoles are the login roles that own nothing, in a stable order.
var ReadOnlyRoles = []string{AirbyteReader}

// CredentialSecretName is the Secret (apps namespace) holding a role's "username" and "password":
// the role's name with '_' as '-' (a Secret name is a DNS subdomain), then "-db-credentials".
func CredentialSecretName(role string) string {
	return strings.ReplaceAll(role, "_", "-") + "-db-credentials"
}

// Connection is what a workload needs to reach its database.
//
// TLS contract (every implementation): clients connect with sslmode "verify-full" — the server
// certificate must chain to CACert and name Host — or, only where the server's CA signs that one
// server and nothing else, "verify-ca" (Cloud SQL's per-instance CA: its certificate names
// "<project>:<instance>", never the private IP, so trusting that CA alone identifies the instance).
// An implementation whose server certificate cannot be verified either way is a defect, not a reason
// to fall back to "require". Validate checks the parts known at plan time.
type Connection struct {
	// Host is the server's private DNS name (the pooler's Service on CloudNativePG). The server
	// certificate names it.
	Host pulumi.StringOutput
	// Port is the PostgreSQL port.
	Port int
	// Databases maps each platform database to its name on the server.
	Databases map[Database]string
	// CredentialSecrets maps each role ("airbyte", "superset") to the Kubernetes Secret, in the
	// apps namespace, holding the keys "username" and "password". No administrator credential is
	// ever handed to the workloads' namespaces.
	CredentialSecrets map[string]pulumi.StringOutput
	// SSLMode is the libpq sslmode clients must use: SSLModeVerifyFull, or SSLModeVerifyCA where the
	// CA is the server's own (see the TLS contract above).
	SSLMode string
	// CACert is the PEM bundle the server certificate chains to: the RDS regional bundle, the
	// public roots of Azure Database for PostgreSQL, the Cloud SQL server CA, or the CA the platform
	// generates for CloudNativePG. Never empty. A CA certificate is public.
	CACert pulumi.StringOutput
	// CAConfigMap is the ConfigMap in the apps namespace holding CACert under CAKey, for pods
	// to mount as sslrootcert. Workloads in other namespaces create their own copy from CACert.
	CAConfigMap pulumi.StringOutput
}

// SSLModeVerifyFull is the only sslmode of the platform's database clients: encrypted, the server
// certificate verified against Connection.CACert, and the host name checked.
const SSLModeVerifyFull = "verify-full"

// SSLModeVerifyCA verifies the server certificate against Connection.CACert without checking the
// host name: as strong as verify-full only when that CA signs this one server (Cloud SQL's
// per-instance CA), which is the one place the platform uses it.
const SSLModeVerifyCA = "verify-ca"

// VerifyingSSLMode reports whether mode is one of the two sslmodes the platform allows.
func VerifyingSSLMode(mode string) bool { return mode == SSLModeVerifyFull || mode == SSLModeVerifyCA }

// CAKey is the key of Connection.CAConfigMap holding the CA bundle.
const CAKey = "ca.crt"

// Validate reports a Connection that breaks the TLS contract: an sslmode other than verify-full,
// or no CA bundle, ConfigMap or host.
func (c Connection) Validate() error {
	switch {
	case !VerifyingSSLMode(c.SSLMode):
		return fmt.Errorf("metadatadb: Connection.SSLMode = %q; the platform's clients use %q (or %q with a per-server CA) with the server CA", c.SSLMode, SSLModeVerifyFull, SSLModeVerifyCA)
	case c.CACert.OutputState == nil:
		return fmt.Errorf("metadatadb: Connection.CACert is not set; verify-full needs the server CA bundle")
	case c.CAConfigMap.OutputState == nil:
		return fmt.Errorf("metadatadb: Connection.CAConfigMap is not set; pods mount the CA from it")
	case c.Host.OutputState == nil:
		return fmt.Errorf("metadatadb: Connection.Host is not set")
	case c.Port <= 0:
		return fmt.Errorf("metadatadb: Connection.Port = %d; must be > 0", c.Port)
	}
	return nil
}

// ConfigHashAnnotation is the pod-template annotation of every Job the platform re-runs when its
// script or inputs change. pulumi-kubernetes replaces a Job only when spec.template, selector,
// completions or parallelism change, so the hash must sit in spec.template.metadata.annotations;
// a hash in the Job's own metadata changes nothing.
const ConfigHashAnnotation = "dataplatform.io/config-sha256"
