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

// searchAccess is Elasticsearch's entry in storeAccess, when it is on. On MinIO its pods run as the
// data namespace's default ServiceAccount and authenticate with the scoped key pair in their
// keystore; on a cloud they run as elasticsearch.ServiceAccountName, which the store binds its
// identity to (GKE Workload Identity; on EKS the role's web-identity trust, IRSA; on AKS the managed
// identity's federated credential), the grant scoped to the prefix (gcs.prefixCondition,
// s3.workloadPolicy, adls.PrefixCondition).
func searchAccess(cfg *config.Platform) []objectstore.Access {
	if !cfg.Elasticsearch.On() {
		return nil
	}
	sa := "default"
	if cfg.Cloud != config.Kubernetes {
		sa = elasticsearch.ServiceAccountName
	}
	return []objectstore.Access{{
		Workload: searchWorkload, Namespace: cfg.Network.Namespaces.Data, ServiceAccount: sa,
		Buckets: []objectstore.Bucket{objectstore.Backups}, Prefix: searchPrefix,
	}}
}

// searchAPIServerCIDRs are the addresses the ECK operator reaches the Kubernetes API server at: on
// kubernetes network.apiServerCidrs; on the clouds any address on 443/6443 (anyAddress, as the
// External Secrets Operator has). On EKS the VPC CNI's network policy agent decides egress on the
// packet before the "kubernetes" Service's ClusterIP (first address of network.serviceCidr) is
// translated, and it adds Service ClusterIPs only for pod-selector peers, never for ipBlocks
// (aws/amazon-network-policy-controller-k8s pkg/resolvers/endpoints.go getMatchingServiceClusterIPs:
// the agent's probes sit on the pod's veth "and thus [are] unable to see the pod IP after the DNAT
// happens for the clusterIPs"), so a VPC range would drop the operator's API traffic. On GKE the
// endpoint is in the control plane's /28 only while the cluster is reached by VPC peering; a
// control plane behind Private Service Connect takes its endpoint from a subnet, and the /28 would
// then cut the operator off. On AKS the endpoint is the public API server's address, or in a private
// cluster its private endpoint in the VNet, neither known when the plan is made; an ipBlock reaches
// it under Cilium, AKS's dataplane here, which only refuses ipBlocks to pod and node addresses
// (MicrosoftDocs/azure-aks-docs articles/aks/azure-cni-powered-by-cilium.md, Limitations).
func searchAPIServerCIDRs(cfg *config.Platform) []string {
	if cfg.Cloud == config.Kubernetes {
		return cfg.Network.APIServerCIDRs
	}
	return []string{anyAddress}
}

// withSearchHealthPaths adds Kibana's health path to a cloud load balancer's per-route health
// checks when Kibana is routed (the GKE Gateway needs one for every HTTP route).
func withSearchHealthPaths(e *Engine, paths map[string]string) map[string]string {
	if e.Search == nil {
		return paths
	}
	out := map[string]string{}
	for k, v := range paths {
		out[k] = v
	}
	for _, r := range e.Search.Routes {
		out[r.Name] = elasticsearch.KibanaHealthPath
	}
	return out
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
		APIServerCIDRs:    searchAPIServerCIDRs(cfg),
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
			Schedule: config.SnapshotSchedule(cfg.Profile.RPO), PerDay: config.SnapshotsPerDay(cfg.Profile.RPO),
			RetentionDays: e.SnapshotRetentionDays,
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
	// The `elastic` superuser: its basic-auth Secret in the data namespace (and the secret store's
	// credential of the same name).
	ctx.Export("elasticsearchAdminSecret", e.Search.AdminSecret)
	if entry != nil {
		if u, ok := entry.URLs["kibana"]; ok {
			ctx.Export("kibanaUrl", u)
			return
		}
	}
	ctx.Export("kibanaUrl", e.Search.KibanaURL)
}
