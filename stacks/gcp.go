package stacks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/gke"
	"github.com/opendataplatform/dataplatform/components/metadatadb/cloudsql"
	"github.com/opendataplatform/dataplatform/components/network/gcpvpc"
	"github.com/opendataplatform/dataplatform/components/objectstore/gcs"
	"github.com/opendataplatform/dataplatform/components/registry/artifactregistry"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/config"
)

// gcpFoundation builds the VPC and the GKE cluster with an explicit provider for the stack's project
// and region; every resource that takes labels carries the stack's.
//
// Names: the VPC, the cluster, the node service account, the Cloud SQL instance and the repository are
// unique within the project (Names.Base, "<project>-<stack>"), the buckets across Cloud Storage
// (Names.Global, with the per-project suffix or dataplatform:nameSuffix). Protection: components get
// Protect: prod and protect only their stateful leaves; no component is protected as a whole.
func gcpFoundation(ctx *pulumi.Context, cfg *config.Platform) (*Foundation, error) {
	provider, err := gcp.NewProvider(ctx, "gcp", &gcp.ProviderArgs{
		Project:       pulumi.String(cfg.GCPProject),
		Region:        pulumi.String(cfg.Region),
		DefaultLabels: pulumi.ToStringMap(tags(cfg)),
	})
	if err != nil {
		return nil, err
	}
	// The APIs the program calls, enabled first; every gcp resource waits for them.
	if _, err := gcpServices(ctx, cfg, provider); err != nil {
		return nil, err
	}
	prod := cfg.Environment == config.Prod
	names := namesFor(cfg, cfg.GCPProject)
	base := gcpName(names.Base, "", 40)

	net, err := gcpvpc.NewNetwork(ctx, "network", &gcpvpc.NetworkArgs{
		Name:        base,
		Protect:     prod,
		Project:     cfg.GCPProject,
		Region:      cfg.Region,
		CIDR:        cfg.Network.CIDR,
		PodCIDR:     cfg.Network.PodCIDR,
		ServiceCIDR: cfg.Network.ServiceCIDR,
		MasterCIDR:  cfg.Network.ControlPlaneCIDR,
		FlowLogs:    true,
		// The internal edge's regional load balancer runs its proxies there.
		ProxyOnlyCIDR: proxyOnlyCIDR(cfg),
		// Pinned, so the database's addresses are known to network policies.
		PrivateServiceAccessCIDR: cfg.Network.PrivateServiceCIDR,
	}, pulumi.Provider(provider))
	if err != nil {
		return nil, err
	}

	zone := ""
	if !prod {
		zone = cfg.Cluster.GKEZone(cfg.Region)
	}
	c, err := gke.NewCluster(ctx, "cluster", &gke.ClusterArgs{
		Name:                 base,
		NodeServiceAccountID: gcpName(names.Base, "-nodes", 30),
		Zone:                 zone,
		Admins:               cfg.Cluster.Admins,
		Protect:              prod,
		Project:              cfg.GCPProject,
		Region:               cfg.Region,
		Regional:             prod, // a regional control plane and nodes in every zone: the prod SLA
		KubernetesVersion:    cfg.Cluster.KubernetesVersion,
		ReleaseChannel:       cfg.Cluster.ReleaseChannel,
		NetworkSelfLink:      net.NetworkSelfLink,
		SubnetSelfLink:       net.SubnetSelfLink,
		PodRangeName:         net.PodRangeName,
		ServiceRangeName:     net.ServiceRangeName,
		MasterCIDR:           cfg.Network.ControlPlaneCIDR,
		PrivateEndpoint:      cfg.Cluster.EndpointAccess == config.PrivateEndpoint,
		AuthorizedCIDRs:      gkeAuthorizedCIDRs(cfg),
		SystemPool:           nodePool(cfg.Cluster.SystemPool),
		WorkloadPool:         nodePool(cfg.Cluster.WorkloadPool),
		DeletionProtection:   prod,
		StorageClasses:       storageClasses(cfg),
		RetainVolumes:        prod,
		// The managed kube-state-metrics packages the observability model's policies read (billed).
		KubeStateMetrics: cfg.Observability.On(),
	}, pulumi.Provider(provider))
	if err != nil {
		return nil, err
	}
	info := net.Info
	f := &Foundation{Network: &info, Cluster: c.Info}
	// The apps namespace, known once the platform layer creates it (before the data services): the
	// edge's Gateway lives there, beside Dremio and Airbyte.
	var apps pulumi.StringOutput
	f.secretStore = gcpSecretStore(cfg, provider, names, c)
	f.observability = gcpMonitoring(cfg, provider, names, c)
	f.data = func(ctx *pulumi.Context, ns Namespaces) (*DataServices, error) {
		apps = ns.Apps
		return gcpData(ctx, cfg, names, provider, net, c, ns, f.secrets)
	}
	if cfg.Edge.On() {
		if err := gcpEdge(ctx, cfg, f, provider, net, c, &apps); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// gcpData builds GCS, Cloud SQL (private IP in the pinned private-service range) and Artifact Registry.
func gcpData(ctx *pulumi.Context, cfg *config.Platform, names Names, provider *gcp.Provider, net *gcpvpc.Network, c *gke.Cluster, ns Namespaces, credStore *secrets.Store) (*DataServices, error) {
	opts := []pulumi.ResourceOption{pulumi.Provider(provider)}
	prod := cfg.Environment == config.Prod
	store, err := gcs.NewObjectStore(ctx, "object-store", &gcs.ObjectStoreArgs{
		Project: cfg.GCPProject, Region: cfg.Region, NamePrefix: names.Base, BucketPrefix: names.Global(),
		// Outside prod `pulumi destroy` must be able to delete versioned buckets.
		ForceDestroy: !prod, Protect: prod,
		Versioning: cfg.ObjectStore.Versioning, NoncurrentVersionDays: cfg.ObjectStore.NoncurrentVersionDays,
		ColdTierAfterDays: cfg.ObjectStore.ColdTierAfterDays, ReplicationRegion: cfg.ObjectStore.ReplicationRegion,
		// The cluster's output: the Workload Identity bindings wait for the pool to exist.
		WorkloadPool: c.WorkloadPool, Access: storeAccess(cfg, ""),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	db, err := cloudsql.NewMetadataDB(ctx, "metadata-db", &cloudsql.MetadataDBArgs{
		// Global, not Base: a deleted instance's name stays taken for up to a week, so a destroyed
		// stack is re-created at once by changing dataplatform:nameSuffix.
		Project: cfg.GCPProject, Region: cfg.Region, InstanceName: names.Global(),
		DRReplica: cfg.MetadataDB.DRReplica, Protect: prod,
		Version: cfg.MetadataDB.Version, Tier: cfg.MetadataDB.InstanceClass,
		DiskSizeGiB: cfg.MetadataDB.StorageGiB, DiskAutoresizeLimitGiB: cfg.MetadataDB.MaxStorageGiB,
		HighAvailability: cfg.MetadataDB.HighAvailability, BackupRetentionDays: cfg.MetadataDB.BackupRetentionDays,
		PointInTimeRecovery: cfg.MetadataDB.PointInTimeRecovery, DeletionProtection: cfg.MetadataDB.DeletionProtection,
		DRRegion: cfg.MetadataDB.DRRegion, NetworkID: net.NetworkID,
		PrivateServiceAccessConnectionID: net.PrivateServiceAccessConnectionID,
		ServerCIDRs:                      []string{cfg.Network.PrivateServiceCIDR},
		KubernetesProvider:               c.Provider, Secrets: credStore, Namespace: ns.Apps, DataNamespace: ns.Data, Scheduling: c.Info.Scheduling,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("metadata database: %w", err)
	}
	repositoryID := gcpName(names.Base, "", 63)
	var keepTags []string
	if cfg.Dbt.Image == "" {
		keepTags = []string{cfg.Dbt.ImageTag} // the tag the CronJob runs survives the cleanup policies
	}
	registry, err := artifactregistry.NewRegistry(ctx, "dbt-registry", &artifactregistry.RegistryArgs{
		Project: cfg.GCPProject, Location: cfg.Region, RepositoryID: repositoryID, ImageName: "dbt",
		NodeServiceAccount: c.NodeServiceAccountEmail, KeepTags: keepTags, Protect: prod,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("dbt registry: %w", err)
	}
	repository := fmt.Sprintf("%s-docker.pkg.dev/%s/%s/dbt", cfg.Region, cfg.GCPProject, repositoryID)
	return &DataServices{
		Store: store.Info, DB: db.Connection, DBReady: []pulumi.Resource{db.BootstrapJob},
		DatabaseCIDRs: []string{cfg.Network.PrivateServiceCIDR},
		DbtImage:      dbtImage(cfg, repository), RegistryURL: registry.RepositoryURL,
	}, nil
}

// proxyOnlyCIDR is the proxy-only subnet's range when the edge is internal, else "" (no subnet).
func proxyOnlyCIDR(cfg *config.Platform) string {
	if gcpEdgeInternal(cfg) {
		return cfg.Network.ProxyOnlyCIDR
	}
	return ""
}

// gkeAuthorizedCIDRs are the master authorized networks: the node subnet (bastions and runners inside
// the VPC), cluster.privateAccessCidrs (CI runners and operators' VPN reaching the private endpoint
// through VPN, Interconnect or peering) and, with a public endpoint, cluster.publicAccessCidrs.
func gkeAuthorizedCIDRs(cfg *config.Platform) []string {
	out := append([]string{cfg.Network.CIDR}, cfg.Cluster.PrivateAccessCIDRs...)
	if cfg.Cluster.EndpointAccess != config.PrivateEndpoint {
		out = append(out, cfg.Cluster.PublicAccessCIDRs...)
	}
	return out
}

// gcpName makes a Google Cloud resource name (RFC 1035: lower-case letters, digits and hyphens,
// starting with a letter) of at most max characters from a stack name and a suffix; a name that is too
// long keeps 6 hex digits of the SHA-256 of the whole, so two stacks never share a shortened name.
func gcpName(base, suffix string, max int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		name = "dp-" + name
	}
	if len(name)+len(suffix) > max {
		sum := sha256.Sum256([]byte(base))
		name = strings.TrimRight(name[:max-len(suffix)-7], "-") + "-" + hex.EncodeToString(sum[:])[:6]
	}
	return name + suffix
}
