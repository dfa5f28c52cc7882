package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/existing"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/edge/envoygateway"
	"github.com/opendataplatform/dataplatform/components/metadatadb/cnpg"
	"github.com/opendataplatform/dataplatform/components/objectstore/minio"
	"github.com/opendataplatform/dataplatform/config"
)

// kubernetesFoundation connects to an existing cluster; there is no cloud network to build.
func kubernetesFoundation(ctx *pulumi.Context, cfg *config.Platform) (*Foundation, error) {
	c, err := existing.NewCluster(ctx, "cluster", &existing.ClusterArgs{
		Kubeconfig:     cfg.Cluster.Kubeconfig,
		Context:        cfg.Cluster.Context,
		StorageClasses: storageClasses(cfg),
	})
	if err != nil {
		return nil, err
	}
	f := &Foundation{Cluster: c.Info}
	// The edge's controllers are cluster add-ons: installed first, because the data layer's Barman
	// Cloud plugin chart renders a cert-manager Issuer.
	var controllers *envoygateway.Controllers
	// cert-manager is a prerequisite of the kubernetes target (the Barman Cloud plugin's Issuer),
	// or installed by the edge's controllers below.
	f.certManager = []pulumi.Resource{}
	if cfg.Edge.On() {
		controllers, err = envoygateway.NewControllers(ctx, "edge-controllers", &envoygateway.ControllersArgs{
			HighAvailability: cfg.Environment == config.Prod,
			Scheduling:       f.Cluster.Scheduling,
			Labels:           partOf(),
		}, pulumi.Provider(f.Cluster.Provider))
		if err != nil {
			return nil, fmt.Errorf("edge controllers: %w", err)
		}
		f.edgeNamespace = envoygateway.Namespace
		f.certManager = []pulumi.Resource{controllers.CertManager}
		f.monitoringAfter = append(f.monitoringAfter, controllers)
		f.edge = func(ctx *pulumi.Context, e *Engine) (*edge.Info, error) {
			return kubernetesEdge(ctx, cfg, f, controllers, e)
		}
	}
	f.data = func(ctx *pulumi.Context, ns Namespaces) (*DataServices, error) {
		return kubernetesData(ctx, cfg, f, ns, controllers)
	}
	return f, nil
}

// kubernetesEdge serves the engine's routes through Envoy Gateway.
func kubernetesEdge(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, controllers *envoygateway.Controllers, e *Engine) (*edge.Info, error) {
	routes := engineRoutes(e)
	routes = append(routes, f.extraRoutes...)
	if err := kubernetesDNS(ctx, cfg, f, controllers, routes); err != nil {
		return nil, err
	}
	a := cfg.Edge.ACME
	out, err := envoygateway.NewEdge(ctx, "edge", &envoygateway.EdgeArgs{
		Domain: cfg.Domain, Routes: routes,
		Issuer: cfg.Edge.Issuer,
		ACME: envoygateway.ACMEIssuer{
			Email: a.Email, Server: a.Server, Provider: a.DNS01.Provider,
			SecretName: a.DNS01.SecretName, SecretKey: a.DNS01.SecretKey,
			Nameserver: a.DNS01.Nameserver, TSIGKeyName: a.DNS01.TSIGKeyName, TSIGAlgorithm: a.DNS01.TSIGAlgorithm,
		},
		SourceRanges:     cfg.Edge.SourceRanges,
		HighAvailability: cfg.Environment == config.Prod,
		Scheduling:       f.Cluster.Scheduling,
		Controllers:      controllers,
		Labels:           partOf(),
		Protect:          cfg.Environment == config.Prod, // the self-signed root CA's key
	}, pulumi.Provider(f.Cluster.Provider))
	if err != nil {
		return nil, err
	}
	return &out.Info, nil
}

// kubernetesData runs the data services in the data namespace: MinIO, then CloudNativePG archiving to it.
func kubernetesData(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, ns Namespaces, controllers *envoygateway.Controllers) (*DataServices, error) {
	prod := cfg.Environment == config.Prod
	k8s := pulumi.Provider(f.Cluster.Provider)
	drives := 1
	if prod {
		drives = 2 // 4 pods × 2 drives: erasure coding EC:4, as the design document asks
	}
	const dbCluster = "metadata-db"
	store, err := minio.NewObjectStore(ctx, "object-store", &minio.ObjectStoreArgs{
		Namespace: ns.Data, NamespaceName: ns.Names.Data,
		Image: cfg.ObjectStore.MinIO.Image, Replicas: cfg.ObjectStore.MinIO.Replicas, DrivesPerPod: drives,
		VolumeSizeGiB: cfg.ObjectStore.MinIO.VolumeSizeGiB, StorageClass: f.Cluster.StorageClasses.Standard,
		CPU: cfg.ObjectStore.MinIO.Compute.CPU, MemoryGiB: cfg.ObjectStore.MinIO.Compute.MemoryGiB,
		HighAvailability: prod,
		Versioning:       cfg.ObjectStore.Versioning, NoncurrentVersionDays: cfg.ObjectStore.NoncurrentVersionDays,
		Access:           storeAccess(cfg, dbCluster),
		NamespaceOutputs: map[string]pulumi.StringInput{ns.Names.Apps: ns.Apps, ns.Names.Jobs: ns.Jobs, ns.Names.Data: ns.Data},
		ClientNamespaces: []string{ns.Names.Apps, ns.Names.Jobs},
		Scheduling:       f.Cluster.Scheduling,
		Secrets:          f.secrets,
		Protect:          prod,
		Metrics:          cfg.Observability.On(),
	}, k8s)
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	dbOpts := []pulumi.ResourceOption{k8s}
	if controllers != nil {
		dbOpts = append(dbOpts, controllers.CertManagerFirst())
	}
	db, err := cnpg.NewMetadataDB(ctx, "metadata-db", &cnpg.MetadataDBArgs{
		Namespace: ns.Data, NamespaceName: ns.Names.Data, ClusterName: dbCluster,
		AppsNamespace: ns.Apps, ClientNamespaces: []string{ns.Names.Apps},
		Instances: cfg.MetadataDB.Instances, HighAvailability: cfg.MetadataDB.HighAvailability,
		Version: cfg.MetadataDB.Version, StorageGiB: cfg.MetadataDB.StorageGiB, StorageClass: f.Cluster.StorageClasses.FastSSD,
		CPU: cfg.MetadataDB.Compute.CPU, MemoryGiB: cfg.MetadataDB.Compute.MemoryGiB,
		BackupRetentionDays: cfg.MetadataDB.BackupRetentionDays, BackupSchedule: cfg.MetadataDB.BackupSchedule,
		ObjectStore: store.Info, BackupCredentialsSecret: store.Info.Identities[backupWorkload].CredentialsSecret,
		Clients:        dbClients(cfg),
		APIServerCIDRs: cfg.Network.APIServerCIDRs,
		Secrets:        f.secrets,
		Scheduling:     f.Cluster.Scheduling,
		Protect:        prod,
	}, dbOpts...)
	if err != nil {
		return nil, fmt.Errorf("metadata database: %w", err)
	}
	registry := cfg.Dbt.Registry + "/dataplatform/dbt"
	return &DataServices{
		Store: store.Info, DB: db.Connection, DBReady: []pulumi.Resource{db}, InCluster: true,
		DbtImage: dbtImage(cfg, registry), RegistryURL: pulumi.String(registry).ToStringOutput(),
	}, nil
}

// dbClients counts the pods that hold connections to the in-cluster PostgreSQL: Airbyte's services
// with database pools (server, workload-launcher, workload-api-server, cron; two each in prod, as the
// Airbyte component runs them) plus the worker autoscaler's ceiling, Temporal's replicas, and
// Superset's pods at their ceiling (superset.DatabasePods: the web HPA's maximum and the workers,
// each with a surge pod, the beat and the init Job; none when Superset is off), each within
// superset.DatabaseConnectionsPerPod.
func dbClients(cfg *config.Platform) cnpg.Clients {
	replicas := 1
	if cfg.Environment == config.Prod {
		replicas = 2
	}
	return cnpg.Clients{
		AirbytePods:  4*replicas + max(cfg.Airbyte.WorkerMaxReplicas, 1),
		TemporalPods: replicas,
		SupersetPods: supersetDBPods(cfg),
	}
}
