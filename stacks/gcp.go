package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/gke"
	"github.com/opendataplatform/dataplatform/components/metadatadb/cloudsql"
	"github.com/opendataplatform/dataplatform/components/network/gcpvpc"
	"github.com/opendataplatform/dataplatform/components/objectstore/gcs"
	"github.com/opendataplatform/dataplatform/components/registry/artifactregistry"
	"github.com/opendataplatform/dataplatform/config"
)

// gcpFoundation builds the VPC and the GKE cluster with an explicit provider for the stack's project
// and region; every resource that takes labels carries the stack's.
func gcpFoundation(ctx *pulumi.Context, cfg *config.Platform) (*Foundation, error) {
	provider, err := gcp.NewProvider(ctx, "gcp", &gcp.ProviderArgs{
		Project:       pulumi.String(cfg.GCPProject),
		Region:        pulumi.String(cfg.Region),
		DefaultLabels: pulumi.ToStringMap(tags(cfg)),
	})
	if err != nil {
		return nil, err
	}
	prod := cfg.Environment == config.Prod

	net, err := gcpvpc.NewNetwork(ctx, "network", &gcpvpc.NetworkArgs{
		Project:     cfg.GCPProject,
		Region:      cfg.Region,
		CIDR:        cfg.Network.CIDR,
		PodCIDR:     cfg.Network.PodCIDR,
		ServiceCIDR: cfg.Network.ServiceCIDR,
		MasterCIDR:  cfg.Network.ControlPlaneCIDR,
		FlowLogs:    true,
		// Pinned, so the database's addresses are known to network policies.
		PrivateServiceAccessCIDR: cfg.Network.PrivateServiceCIDR,
	}, pulumi.Provider(provider), protectInProd(cfg))
	if err != nil {
		return nil, err
	}

	c, err := gke.NewCluster(ctx, "cluster", &gke.ClusterArgs{
		Project:            cfg.GCPProject,
		Region:             cfg.Region,
		Regional:           prod, // a regional control plane and nodes in every zone: the prod SLA
		KubernetesVersion:  cfg.Cluster.KubernetesVersion,
		ReleaseChannel:     cfg.Cluster.ReleaseChannel,
		NetworkSelfLink:    net.NetworkSelfLink,
		SubnetSelfLink:     net.SubnetSelfLink,
		PodRangeName:       net.PodRangeName,
		ServiceRangeName:   net.ServiceRangeName,
		MasterCIDR:         cfg.Network.ControlPlaneCIDR,
		PrivateEndpoint:    cfg.Cluster.EndpointAccess == config.PrivateEndpoint,
		AuthorizedCIDRs:    authorizedCIDRs(cfg),
		SystemPool:         nodePool(cfg.Cluster.SystemPool),
		WorkloadPool:       nodePool(cfg.Cluster.WorkloadPool),
		DeletionProtection: prod,
		StorageClasses:     storageClasses(cfg),
		RetainVolumes:      prod,
	}, pulumi.Provider(provider), protectInProd(cfg))
	if err != nil {
		return nil, err
	}
	info := net.Info
	f := &Foundation{Network: &info, Cluster: c.Info}
	f.data = func(ctx *pulumi.Context, ns Namespaces) (*DataServices, error) {
		return gcpData(ctx, cfg, provider, net, c, ns)
	}
	return f, nil
}

// gcpData builds GCS, Cloud SQL (private IP in the pinned private-service range) and Artifact Registry.
func gcpData(ctx *pulumi.Context, cfg *config.Platform, provider *gcp.Provider, net *gcpvpc.Network, c *gke.Cluster, ns Namespaces) (*DataServices, error) {
	opts := []pulumi.ResourceOption{pulumi.Provider(provider), protectInProd(cfg)}
	store, err := gcs.NewObjectStore(ctx, "object-store", &gcs.ObjectStoreArgs{
		Project: cfg.GCPProject, Region: cfg.Region, NamePrefix: physicalName(cfg),
		Versioning: cfg.ObjectStore.Versioning, NoncurrentVersionDays: cfg.ObjectStore.NoncurrentVersionDays,
		ColdTierAfterDays: cfg.ObjectStore.ColdTierAfterDays, ReplicationRegion: cfg.ObjectStore.ReplicationRegion,
		WorkloadPool: c.WorkloadPool, Access: storeAccess(cfg, ""),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	db, err := cloudsql.NewMetadataDB(ctx, "metadata-db", &cloudsql.MetadataDBArgs{
		Project: cfg.GCPProject, Region: cfg.Region, InstanceName: physicalName(cfg),
		Version: cfg.MetadataDB.Version, Tier: cfg.MetadataDB.InstanceClass,
		DiskSizeGiB: cfg.MetadataDB.StorageGiB, DiskAutoresizeLimitGiB: cfg.MetadataDB.MaxStorageGiB,
		HighAvailability: cfg.MetadataDB.HighAvailability, BackupRetentionDays: cfg.MetadataDB.BackupRetentionDays,
		PointInTimeRecovery: cfg.MetadataDB.PointInTimeRecovery, DeletionProtection: cfg.MetadataDB.DeletionProtection,
		DRRegion: cfg.MetadataDB.DRRegion, NetworkID: net.NetworkID,
		PrivateServiceAccessConnectionID: net.PrivateServiceAccessConnectionID,
		ServerCIDRs:                      []string{cfg.Network.PrivateServiceCIDR},
		KubernetesProvider:               c.Provider, Namespace: ns.Apps, DataNamespace: ns.Data,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("metadata database: %w", err)
	}
	registry, err := artifactregistry.NewRegistry(ctx, "dbt-registry", &artifactregistry.RegistryArgs{
		Project: cfg.GCPProject, Location: cfg.Region, RepositoryID: physicalName(cfg), ImageName: "dbt",
		NodeServiceAccount: c.NodeServiceAccountEmail,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("dbt registry: %w", err)
	}
	repository := fmt.Sprintf("%s-docker.pkg.dev/%s/%s/dbt", cfg.Region, cfg.GCPProject, physicalName(cfg))
	return &DataServices{
		Store: store.Info, DB: db.Connection, DBReady: []pulumi.Resource{db.BootstrapJob},
		DatabaseCIDRs: []string{cfg.Network.PrivateServiceCIDR},
		DbtImage:      dbtImage(cfg, repository), RegistryURL: registry.RepositoryURL,
	}, nil
}
