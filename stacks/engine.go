package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/airbyte"
	"github.com/opendataplatform/dataplatform/components/dbt"
	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/elasticsearch"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/superset"
	"github.com/opendataplatform/dataplatform/config"
)

// Workload names and ServiceAccounts the object store grants access to.
const (
	dremioWorkload      = "dremio"
	airbyteWorkload     = "airbyte"
	airbyteJobsWorkload = "airbyte-jobs"
	backupWorkload      = "postgres-backup"
)

// DataServices are what a target's data layer gives the workloads.
type DataServices struct {
	// Store is the object store.
	Store objectstore.Info
	// DB is the metadata database.
	DB metadatadb.Connection
	// DBReady are the resources the database's users wait for (the role bootstrap, the cluster).
	DBReady []pulumi.Resource
	// ManagedDBID is the managed database's cloud resource ID where the observability layer watches
	// it by ID (azure: the Flexible Server's ARM ID); empty elsewhere.
	ManagedDBID pulumi.StringOutput
	// DatabaseCIDRs are where a managed database lives; empty when it runs in-cluster.
	DatabaseCIDRs []string
	// InCluster is true on the kubernetes target: the database and the store run in the data namespace.
	InCluster bool
	// DbtImage is the dbt project image reference.
	DbtImage string
	// RegistryURL is where users push the dbt project image (empty on kubernetes: dbt.registry).
	RegistryURL pulumi.StringOutput
}

// storeAccess lists the workloads that use the object store and the buckets each may use.
func storeAccess(cfg *config.Platform, cnpgServiceAccount string) []objectstore.Access {
	ns := cfg.Network.Namespaces
	// Airbyte's GCS and Azure storage clients have no workload identity: unless the user manages the
	// credential Secret, the store mints one scoped to Airbyte's bucket.
	airbyteKeys := (cfg.Cloud == config.GCP || cfg.Cloud == config.Azure) && cfg.Airbyte.StorageCredentialsSecret == ""
	access := []objectstore.Access{
		{Workload: dremioWorkload, Namespace: ns.Apps, ServiceAccount: "dremio", Buckets: []objectstore.Bucket{objectstore.Dremio, objectstore.Lake}},
		{Workload: airbyteWorkload, Namespace: ns.Apps, ServiceAccount: airbyte.ServiceAccountName, Buckets: []objectstore.Bucket{objectstore.Airbyte}, StaticCredential: airbyteKeys},
		// Sync job pods write logs and state from the jobs namespace under their own identity.
		{Workload: airbyteJobsWorkload, Namespace: ns.Jobs, ServiceAccount: airbyte.ServiceAccountName, Buckets: []objectstore.Bucket{objectstore.Airbyte}, StaticCredential: airbyteKeys},
	}
	if cnpgServiceAccount != "" {
		access = append(access, objectstore.Access{Workload: backupWorkload, Namespace: ns.Data, ServiceAccount: cnpgServiceAccount, Buckets: []objectstore.Bucket{objectstore.Backups}})
	}
	access = append(access, searchAccess(cfg)...)
	return access
}

// Engine holds the workloads' endpoints.
type Engine struct {
	Dremio  *dremio.DremioCluster
	Airbyte *airbyte.AirbyteStack
	Dbt     *dbt.DbtJob
	// Superset is nil unless dataplatform:superset.enabled (stacks/superset.go).
	Superset *superset.Superset
	// Search is Elasticsearch and Kibana (stacks/elasticsearch.go); nil when off.
	Search *elasticsearch.Search
}

// deployEngine builds Dremio, Airbyte and the dbt schedule on the cluster, wired to the data services.
func deployEngine(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, ns Namespaces, data *DataServices) (*Engine, error) {
	prod := cfg.Environment == config.Prod
	k8s := pulumi.Provider(f.Cluster.Provider)
	dataNamespace := ""
	if data.InCluster {
		dataNamespace = ns.Names.Data
	}

	d, err := dremio.NewDremioCluster(ctx, "dremio", &dremio.DremioClusterArgs{
		Namespace: ns.Apps, NamespaceName: ns.Names.Apps,
		Image: cfg.Dremio.Image, ZooKeeperImage: cfg.Dremio.ZooKeeperImage, TokenProxyImage: cfg.Dremio.TokenProxyImage,
		Coordinator: cfg.Dremio.Coordinator, Executors: cfg.Dremio.Executors, Executor: cfg.Dremio.Executor,
		ExecutorVolumeGiB: cfg.Dremio.ExecutorVolumeGiB, CoordinatorVolumeGiB: cfg.Dremio.CoordinatorVolumeGiB,
		ZooKeeperReplicas: cfg.Dremio.ZooKeeperReplicas, StorageClass: f.Cluster.StorageClasses.FastSSD,
		ObjectStore: data.Store, ObjectStoreNamespace: dataNamespace, Workload: dremioWorkload,
		// The GCS lake source names its project (empty and unused elsewhere).
		GCPProject: cfg.GCPProject,
		Labels:     partOf(), Prod: prod,
		Scheduling: f.Cluster.Scheduling,
		// The edge's proxies reach the UI, Flight and JDBC ports.
		ClientNamespaces: edgeClients(f), ClientCIDRs: f.edgeCIDRs,
		Secrets: f.secrets,
		// Superset's Dremio connection signs in as its own user.
		SupersetUser: cfg.Superset.Enabled,
		// The reflection-freshness bridge signs in as its own user (stacks/dremio_reflections.go).
		// Created whatever observability says: its password is protected in prod, and a user created
		// once keeps the password it was created with, so the user must not come and go with it.
		MonitorUser: true,
		// The coordinator's volume holds Dremio's catalogue (KV store).
		Protect: prod,
	}, k8s)
	if err != nil {
		return nil, fmt.Errorf("dremio: %w", err)
	}

	storageSecret := pulumi.StringInput(nil)
	if s := cfg.Airbyte.StorageCredentialsSecret; s != "" {
		storageSecret = pulumi.String(s)
	}
	a, err := airbyte.NewAirbyteStack(ctx, "airbyte", &airbyte.AirbyteStackArgs{
		Namespace: ns.Apps, NamespaceName: ns.Names.Apps,
		JobsNamespace: ns.Names.Jobs, JobsNamespaceRef: ns.Jobs,
		ChartVersion: cfg.Airbyte.ChartVersion,
		Database:     data.DB, DatabaseReady: data.DBReady,
		DatabaseNamespace: dataNamespace, AllowedDatabaseCIDRs: data.DatabaseCIDRs,
		ObjectStore: data.Store, Workload: airbyteWorkload, JobsWorkload: airbyteJobsWorkload,
		StorageCredentialsSecret: storageSecret,
		Worker:                   airbyte.Compute{CPU: cfg.Airbyte.Worker.CPU, MemoryGiB: cfg.Airbyte.Worker.MemoryGiB},
		WorkerMinReplicas:        cfg.Airbyte.WorkerMinReplicas, WorkerMaxReplicas: cfg.Airbyte.WorkerMaxReplicas,
		Prod: prod, Labels: partOf(),
		Scheduling: f.Cluster.Scheduling,
		// Behind the edge, Airbyte's links and sign-in redirects use its public URL.
		AirbyteURL: airbyteURL(cfg, f), ClientNamespaces: edgeClients(f), ClientCIDRs: f.edgeCIDRs,
		Secrets: f.secrets,
		Protect: prod, // the generated admin password and signing secrets
	}, k8s)
	if err != nil {
		return nil, fmt.Errorf("airbyte: %w", err)
	}

	job, err := dbt.NewDbtJob(ctx, "dbt", &dbt.DbtJobArgs{
		Namespace:         ns.Apps,
		Image:             data.DbtImage,
		Schedule:          cfg.Dbt.Schedule,
		DremioHost:        fmt.Sprintf("dremio-client.%s.svc.cluster.local", ns.Names.Apps),
		DremioPort:        dremio.WebPort,
		CredentialsSecret: d.DbtCredentialsSecret,
		// Tables go to the Dremio source over the lake bucket (dbt.DefaultLakeSource).
		ObjectStorageSource: dbt.DefaultLakeSource,
		Labels:              partOf(),
		Scheduling:          f.Cluster.Scheduling,
	}, k8s)
	if err != nil {
		return nil, fmt.Errorf("dbt: %w", err)
	}
	s, err := deploySuperset(ctx, cfg, f, ns, data, d)
	if err != nil {
		return nil, err
	}
	search, err := deploySearch(ctx, cfg, f, ns, data)
	if err != nil {
		return nil, err
	}
	return &Engine{Dremio: d, Airbyte: a, Dbt: job, Superset: s, Search: search}, nil
}

// dbtImage is the configured image, or the platform registry's repository with the configured tag.
func dbtImage(cfg *config.Platform, repository string) string {
	if cfg.Dbt.Image != "" {
		return cfg.Dbt.Image
	}
	return repository + ":" + cfg.Dbt.ImageTag
}

func partOf() map[string]string {
	return map[string]string{"app.kubernetes.io/part-of": "dataplatform"}
}

// edgeClients lists the edge's namespace when the target has an edge.
func edgeClients(f *Foundation) []string {
	if f.edgeNamespace == "" {
		return nil
	}
	return []string{f.edgeNamespace}
}

// airbyteURL is Airbyte's public URL behind the edge, or "" (the in-cluster URL) without one.
func airbyteURL(cfg *config.Platform, f *Foundation) string {
	if f.edge == nil {
		return ""
	}
	return "https://" + airbyte.Routes("")[0].FQDN(cfg.Domain)
}

// exportServices publishes the endpoints a user needs: through the edge where the target has one,
// the in-cluster addresses otherwise.
func exportServices(ctx *pulumi.Context, data *DataServices, e *Engine, entry *edge.Info) {
	if entry != nil {
		flight := entry.Endpoints["dremio-flight"]
		jdbc := entry.Endpoints["dremio-jdbc"]
		ctx.Export("dremioUrl", entry.URLs["dremio-ui"])
		// The legacy Dremio JDBC driver's URL with TLS (ssl=true): the edge terminates it.
		ctx.Export("dremioJdbcUrl", pulumi.Sprintf("jdbc:dremio:direct=%s;ssl=true", jdbc))
		ctx.Export("dremioJdbcEndpoint", jdbc)
		ctx.Export("dremioFlightEndpoint", flight)
		ctx.Export("airbyteUrl", entry.URLs["airbyte"])
		ctx.Export("airbyteApiUrl", pulumi.Sprintf("%s/api/public/v1", entry.URLs["airbyte"]))
		ctx.Export("edgeCaCertificate", entry.CACertificate)
	} else {
		ctx.Export("dremioUrl", e.Dremio.WebURL)
		ctx.Export("dremioJdbcUrl", e.Dremio.JDBCURL)
		ctx.Export("dremioFlightEndpoint", e.Dremio.FlightEndpoint)
		ctx.Export("airbyteUrl", e.Airbyte.WebURL)
		ctx.Export("airbyteApiUrl", e.Airbyte.APIURL)
	}
	exportSuperset(ctx, e, entry)
	ctx.Export("dbtCronJob", e.Dbt.CronJobName)
	ctx.Export("dbtRegistry", data.RegistryURL)
	ctx.Export("metadataDbHost", data.DB.Host)
	buckets := pulumi.StringMap{}
	for role, name := range data.Store.BucketNames {
		buckets[string(role)] = name
	}
	ctx.Export("buckets", buckets)
	ctx.Export("objectStoreEndpoint", data.Store.Endpoint)
	exportSearch(ctx, e, entry)
}
