package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/eks"
	"github.com/opendataplatform/dataplatform/components/metadatadb/rds"
	"github.com/opendataplatform/dataplatform/components/network/awsvpc"
	"github.com/opendataplatform/dataplatform/components/objectstore/s3"
	"github.com/opendataplatform/dataplatform/components/registry/ecr"
	"github.com/opendataplatform/dataplatform/config"
)

// awsFoundation builds the VPC and the EKS cluster with an explicit provider for the stack's region,
// so the region comes from one key and every resource carries the stack's default tags.
func awsFoundation(ctx *pulumi.Context, cfg *config.Platform) (*Foundation, error) {
	provider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{
		Region:      pulumi.String(cfg.Region),
		DefaultTags: &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(tags(cfg))},
	})
	if err != nil {
		return nil, err
	}
	clusterName := physicalName(cfg)

	net, err := awsvpc.NewNetwork(ctx, "network", &awsvpc.NetworkArgs{
		CIDR:                 cfg.Network.CIDR,
		AvailabilityZones:    cfg.Network.AvailabilityZones,
		NATGateways:          cfg.Network.NATGateways,
		FlowLogRetentionDays: cfg.Network.FlowLogRetentionDays,
		ClusterName:          clusterName,
	}, pulumi.Provider(provider), protectInProd(cfg))
	if err != nil {
		return nil, err
	}

	c, err := eks.NewCluster(ctx, "cluster", &eks.ClusterArgs{
		ClusterName:         clusterName,
		KubernetesVersion:   cfg.Cluster.KubernetesVersion,
		VpcID:               net.VpcID,
		SubnetIDs:           net.PrivateSubnetIDs,
		PrivateEndpointOnly: cfg.Cluster.EndpointAccess == config.PrivateEndpoint,
		PublicAccessCIDRs:   cfg.Cluster.PublicAccessCIDRs,
		PrivateAccessCIDRs:  []string{cfg.Network.CIDR},
		ServiceCIDR:         cfg.Network.ServiceCIDR,
		SystemPool:          nodePool(cfg.Cluster.SystemPool),
		WorkloadPool:        nodePool(cfg.Cluster.WorkloadPool),
		StorageClasses:      storageClasses(cfg),
		RetainVolumes:       cfg.Environment == config.Prod,
		LogRetentionDays:    cfg.Network.FlowLogRetentionDays,
		Region:              cfg.Region,
		NodeGroupDependsOn:  net.EgressResources,
	}, pulumi.Provider(provider), protectInProd(cfg))
	if err != nil {
		return nil, err
	}
	info := net.Info
	f := &Foundation{Network: &info, Cluster: c.Info}
	f.data = func(ctx *pulumi.Context, ns Namespaces) (*DataServices, error) {
		return awsData(ctx, cfg, provider, net, c, ns)
	}
	return f, nil
}

// awsData builds S3, RDS and ECR. The database admits only the cluster's security group.
func awsData(ctx *pulumi.Context, cfg *config.Platform, provider *aws.Provider, net *awsvpc.Network, c *eks.Cluster, ns Namespaces) (*DataServices, error) {
	opts := []pulumi.ResourceOption{pulumi.Provider(provider), protectInProd(cfg)}
	store, err := s3.NewObjectStore(ctx, "object-store", &s3.ObjectStoreArgs{
		NamePrefix: physicalName(cfg), Region: cfg.Region,
		Versioning: cfg.ObjectStore.Versioning, NoncurrentVersionDays: cfg.ObjectStore.NoncurrentVersionDays,
		ColdTierAfterDays: cfg.ObjectStore.ColdTierAfterDays, ReplicationRegion: cfg.ObjectStore.ReplicationRegion,
		ClusterName: c.Name, OIDCProviderARN: c.OIDCProviderARN, OIDCIssuerURL: c.OIDCIssuerURL,
		Access: storeAccess(cfg, ""), Tags: tags(cfg),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	db, err := rds.NewMetadataDB(ctx, "metadata-db", &rds.MetadataDBArgs{
		Identifier: physicalName(cfg) + "-metadata", EngineVersion: cfg.MetadataDB.Version,
		InstanceClass: cfg.MetadataDB.InstanceClass, AllocatedStorageGiB: cfg.MetadataDB.StorageGiB,
		MaxAllocatedStorageGiB: cfg.MetadataDB.MaxStorageGiB, MultiAZ: cfg.MetadataDB.HighAvailability,
		BackupRetentionDays: cfg.MetadataDB.BackupRetentionDays, DeletionProtection: cfg.MetadataDB.DeletionProtection,
		PerformanceInsights: cfg.MetadataDB.PerformanceInsights, DRRegion: cfg.MetadataDB.DRRegion,
		DBSubnetGroupName: net.DatabaseSubnetGroupName, VpcID: net.VpcID,
		AllowedSecurityGroupIDs: pulumi.StringArray{c.ClusterSecurityGroupID},
		ServerCIDRs:             []string{cfg.Network.CIDR}, KubernetesProvider: c.Provider,
		Namespace: ns.Apps, DataNamespace: ns.Data, Tags: tags(cfg),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("metadata database: %w", err)
	}
	repoName := physicalName(cfg) + "/dbt"
	registry, err := ecr.NewRegistry(ctx, "dbt-registry", &ecr.RegistryArgs{Name: repoName, KMSKeyARN: c.KMSKeyARN, Tags: tags(cfg)}, opts...)
	if err != nil {
		return nil, fmt.Errorf("dbt registry: %w", err)
	}
	account, err := aws.GetCallerIdentity(ctx, nil, pulumi.Provider(provider))
	if err != nil {
		return nil, err
	}
	repository := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", account.AccountId, cfg.Region, repoName)
	return &DataServices{
		Store: store.Info, DB: db.Connection, DBReady: []pulumi.Resource{db.BootstrapJob},
		DatabaseCIDRs: []string{cfg.Network.CIDR},
		DbtImage:      dbtImage(cfg, repository), RegistryURL: registry.RepositoryURL,
	}, nil
}
