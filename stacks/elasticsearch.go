package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/clusteraddons/eck"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/elasticsearch"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/config"
)

// searchWorkload is Elasticsearch's object store access: its snapshots go to the backups bucket,
// under their own prefix, which the store scopes its grant to (objectstore.Access.Prefix), so it can
// neither read nor delete the database's backups beside them.
const (
	searchWorkload = "elasticsearch"
	searchPrefix   = "elasticsearch"
)

// searchAccess is Elasticsearch's entry in storeAccess, when it is on. Its pods run as the data
// namespace's default ServiceAccount: on MinIO the nodes authenticate with the scoped key pair in
// their keystore, not with an identity bound to a ServiceAccount.
func searchAccess(cfg *config.Platform) []objectstore.Access {
	if !cfg.Elasticsearch.On() {
		return nil
	}
	return []objectstore.Access{{
		Workload: searchWorkload, Namespace: cfg.Network.Namespaces.Data, ServiceAccount: "default",
		Buckets: []objectstore.Bucket{objectstore.Backups}, Prefix: searchPrefix,
	}}
}

// deploySearch installs the ECK operator (a cluster add-on watching the data namespace) and the
// Elasticsearch cluster with its Kibana in the data namespace; nil when Elasticsearch is off.
func deploySearch(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, ns Namespaces, data *DataServices) (*elasticsearch.Search, error) {
	e := cfg.Elasticsearch
	if !e.On() {
		return nil, nil
	}
	prod := cfg.Environment == config.Prod
	k8s := pulumi.Provider(f.Cluster.Provider)
	operator, err := eck.New(ctx, "eck", &eck.Args{
		HighAvailability:  prod,
		ManagedNamespaces: []string{ns.Names.Data},
		APIServerCIDRs:    cfg.Network.APIServerCIDRs,
		Scheduling:        f.Cluster.Scheduling,
		Labels:            partOf(),
	}, k8s)
	if err != nil {
		return nil, fmt.Errorf("eck: %w", err)
	}
	var sets []elasticsearch.NodeSet
	if e.Masters > 0 {
		sets = append(sets,
			elasticsearch.NodeSet{Name: "masters", Roles: []string{"master"}, Count: e.Masters, CPU: e.Master.CPU, MemoryGiB: e.Master.MemoryGiB, VolumeGiB: e.Master.VolumeGiB},
			elasticsearch.NodeSet{Name: "data", Roles: []string{"data", "ingest"}, Count: e.DataNodes, CPU: e.Data.CPU, MemoryGiB: e.Data.MemoryGiB, VolumeGiB: e.Data.VolumeGiB})
	} else {
		sets = append(sets, elasticsearch.NodeSet{Name: "nodes", Roles: []string{"master", "data", "ingest"}, Count: e.DataNodes, CPU: e.Data.CPU, MemoryGiB: e.Data.MemoryGiB, VolumeGiB: e.Data.VolumeGiB})
	}
	logs, err := prepareLogging(ctx, cfg, f, ns)
	if err != nil {
		return nil, err
	}
	publicURL := ""
	if f.edge != nil {
		publicURL = "https://" + elasticsearch.Routes("")[0].FQDN(cfg.Domain)
	}
	search, err := elasticsearch.New(ctx, "elasticsearch", &elasticsearch.Args{
		Namespace: ns.Data, NamespaceName: ns.Names.Data,
		Version:        e.Version,
		NodeSets:       sets,
		StorageClass:   f.Cluster.StorageClasses.FastSSD,
		ZoneAwareness:  e.ZoneAwareness,
		KibanaReplicas: e.KibanaReplicas,
		Snapshots: elasticsearch.Snapshots{
			Store: data.Store, Bucket: objectstore.Backups, Prefix: searchPrefix, Workload: searchWorkload,
			Schedule: config.SnapshotSchedule(cfg.Profile.RPO), RetentionDays: e.SnapshotRetentionDays,
		},
		Operator: operator.Chart, OperatorNamespace: eck.Namespace,
		ClientNamespaces: edgeClients(f), ClientCIDRs: f.edgeCIDRs,
		PublicURL:  publicURL,
		Secrets:    f.secrets,
		Scheduling: f.Cluster.Scheduling,
		Labels:     partOf(),
		Protect:    prod,
		// Central logging's users (stacks/logging.go).
		ClientRealms: logs.clientRealms(),
	}, k8s)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch: %w", err)
	}
	if err := deployLogging(ctx, cfg, f, ns, logs, search); err != nil {
		return nil, err
	}
	return search, nil
}

// searchRoutes are Kibana's routes on the edge, none when Elasticsearch is off.
func searchRoutes(e *Engine) []edge.Route {
	if e.Search == nil {
		return nil
	}
	return e.Search.Routes
}

// exportSearch publishes Elasticsearch's in-cluster API and Kibana's URL (through the edge when
// there is one).
func exportSearch(ctx *pulumi.Context, e *Engine, entry *edge.Info) {
	if e.Search == nil {
		return
	}
	ctx.Export("elasticsearchUrl", e.Search.URL)
	ctx.Export("elasticsearchCaSecret", pulumi.String(elasticsearch.CASecret))
	if entry != nil {
		if u, ok := entry.URLs["kibana"]; ok {
			ctx.Export("kibanaUrl", u)
			return
		}
	}
	ctx.Export("kibanaUrl", e.Search.KibanaURL)
}
