package components_test

import (
	"context"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/metadatadb/cnpg"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/objectstore/minio"
	"github.com/opendataplatform/dataplatform/mockcloud"
)

// A program of your own wires an ObjectStore and a MetadataDB: the database archives its WAL and base
// backups to the store's backups bucket, with the credentials the store grants it, and your workload
// reads the cloud-neutral metadatadb.Connection and objectstore.Info. On AWS, Azure or GCP you would
// call rds/s3, flexibleserver/adls or cloudsql/gcs instead and consume the same two types.
//
// The example runs under the project's mocks harness, so it needs no cluster.
func Example_dataServices() {
	program := func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Context: pulumi.String("kind-dataplatform")})
		if err != nil {
			return err
		}
		store, err := minio.NewObjectStore(ctx, "lake", &minio.ObjectStoreArgs{
			Namespace: pulumi.String("data"), NamespaceName: "data",
			Replicas: 4, VolumeSizeGiB: 100, CPU: 1, MemoryGiB: 2, Versioning: true, NoncurrentVersionDays: 30,
			Access: []objectstore.Access{
				{Workload: "postgres-backup", Namespace: "data", ServiceAccount: "metadata-db", Buckets: []objectstore.Bucket{objectstore.Backups}},
				{Workload: "my-app", Namespace: "apps", ServiceAccount: "my-app", Buckets: []objectstore.Bucket{objectstore.Lake}},
			},
			ClientNamespaces: []string{"apps"},
		}, pulumi.Provider(k8s))
		if err != nil {
			return err
		}
		db, err := cnpg.NewMetadataDB(ctx, "metadata", &cnpg.MetadataDBArgs{
			Namespace: pulumi.String("data"), NamespaceName: "data", AppsNamespace: pulumi.String("apps"),
			ClientNamespaces: []string{"apps"}, Instances: 3, HighAvailability: true, Version: "16",
			StorageGiB: 50, CPU: 2, MemoryGiB: 4, BackupRetentionDays: 14, BackupSchedule: "0 0 * * * *",
			ObjectStore: store.Info, BackupCredentialsSecret: store.Info.Identities["postgres-backup"].CredentialsSecret,
			// The pool is sized from the clients: Airbyte's pods with database pools and Temporal's.
			Clients: cnpg.Clients{AirbytePods: 6, TemporalPods: 4},
			// The database pods reach the API server (for CloudNativePG's instance manager) and nothing else.
			APIServerCIDRs: []string{"10.0.0.1/32"},
		}, pulumi.Provider(k8s))
		if err != nil {
			return err
		}
		return describe(db.Connection, store.Info)
	}
	if err := mockcloud.New("myproject", "dev", false).Run(program, nil); err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// database host: metadata-db-pooler-rw.data.svc.cluster.local:5432 (sslmode verify-full)
	// databases: airbyte temporal temporal_visibility superset
	// airbyte credentials: Secret airbyte-db-credentials
	// store: minio https://minio.data.svc.cluster.local:9000 (path-style true)
	// lake bucket: lake
	// my-app credentials: Secret my-app-object-store
}

// describe is what a workload component does with the two contracts.
func describe(conn metadatadb.Connection, store objectstore.Info) error {
	await := func(o pulumi.Output) any {
		r, err := internals.UnsafeAwaitOutput(context.Background(), o)
		if err != nil {
			return err
		}
		return r.Value
	}
	fmt.Printf("database host: %v:%d (sslmode %s)\n", await(conn.Host), conn.Port, conn.SSLMode)
	var dbs []string
	for _, db := range metadatadb.Databases {
		dbs = append(dbs, conn.Databases[db])
	}
	fmt.Println("databases:", dbs[0], dbs[1], dbs[2], dbs[3])
	roles := []string{}
	for role := range conn.CredentialSecrets {
		roles = append(roles, role)
	}
	sort.Strings(roles)
	fmt.Printf("%s credentials: Secret %v\n", roles[0], await(conn.CredentialSecrets[roles[0]]))
	fmt.Printf("store: %s %v (path-style %v)\n", store.Kind, await(store.Endpoint), store.PathStyle)
	fmt.Printf("lake bucket: %v\n", await(store.BucketNames[objectstore.Lake]))
	fmt.Printf("my-app credentials: Secret %v\n", await(store.Identities["my-app"].CredentialsSecret))
	return nil
}
