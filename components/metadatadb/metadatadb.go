// Package metadatadb is the cloud-neutral contract of the platform's PostgreSQL: the metadata database
// of Airbyte, Temporal and Superset.
//
// Implementations: rds (Amazon RDS for PostgreSQL), flexibleserver (Azure Database for PostgreSQL
// Flexible Server), cloudsql (Cloud SQL for PostgreSQL) and cnpg (CloudNativePG in-cluster). Each
// creates the server with backups, point-in-time recovery and TLS enforced, then the databases and
// roles the platform needs, and publishes a Connection the workloads consume.
package metadatadb

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

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

// Connection is what a workload needs to reach its database.
type Connection struct {
	// Host is the server's private DNS name (the pooler's Service on CloudNativePG).
	Host pulumi.StringOutput
	// Port is the PostgreSQL port.
	Port int
	// Databases maps each platform database to its name on the server.
	Databases map[Database]string
	// CredentialSecrets maps each role ("airbyte", "superset") to the Kubernetes Secret, in the
	// namespace given to the component, holding the keys "username" and "password".
	CredentialSecrets map[string]pulumi.StringOutput
	// SSLMode is the libpq sslmode clients must use: "verify-full" where the CA is known, else "require".
	SSLMode string
	// CAConfigMap is the Kubernetes ConfigMap (same namespace) holding the server CA under "ca.crt"
	// (a CA certificate is public); empty when the CA is not known to the platform.
	CAConfigMap pulumi.StringOutput
}
