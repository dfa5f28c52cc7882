package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/eks"
	"github.com/opendataplatform/dataplatform/components/clusteraddons"
	"github.com/opendataplatform/dataplatform/components/clusteraddons/eksaddons"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/edge/awsgateway"
	"github.com/opendataplatform/dataplatform/components/metadatadb/rds"
	"github.com/opendataplatform/dataplatform/components/network/awsvpc"
	"github.com/opendataplatform/dataplatform/components/objectstore/s3"
	"github.com/opendataplatform/dataplatform/components/registry/ecr"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/config"
)

// awsFoundation builds the VPC, the EKS cluster and its add-ons with an explicit provider for the
// stack's region, so the region comes from one key and every resource carries the stack's default
// tags. The account it deploys into scopes the globally unique names (stacks/names.go).
func awsFoundation(ctx *pulumi.Context, cfg *config.Platform) (*Foundation, error) {
	provider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{
		Region:      pulumi.String(cfg.Region),
		DefaultTags: &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(tags(cfg))},
	})
	if err != nil {
		return nil, err
	}
	account, err := aws.GetCallerIdentity(ctx, nil, pulumi.Provider(provider))
	if err != nil {
		return nil, fmt.Errorf("reading the AWS account: %w", err)
	}
	names := namesFor(cfg, account.AccountId)
	prod := cfg.Environment == config.Prod
	clusterName := names.Base // EKS names are unique per account and region

	net, err := awsvpc.NewNetwork(ctx, "network", &awsvpc.NetworkArgs{
		CIDR:                 cfg.Network.CIDR,
		AvailabilityZones:    cfg.Network.AvailabilityZones,
		Zones:                cfg.Network.Zones,
		NATGateways:          cfg.Network.NATGateways,
		FlowLogRetentionDays: cfg.Network.FlowLogRetentionDays,
		ClusterName:          clusterName,
		Protect:              prod,
	}, pulumi.Provider(provider))
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
		// The VPC (a runner inside it) and the ranges behind peering or a VPN reach the private endpoint.
		PrivateAccessCIDRs:  append([]string{cfg.Network.CIDR}, cfg.Cluster.PrivateAccessCIDRs...),
		ServiceCIDR:         cfg.Network.ServiceCIDR,
		SystemPool:          nodePool(cfg.Cluster.SystemPool),
		WorkloadPool:        nodePool(cfg.Cluster.WorkloadPool),
		StorageClasses:      storageClasses(cfg),
		RetainVolumes:       prod,
		LogRetentionDays:    cfg.Network.FlowLogRetentionDays,
		Region:              cfg.Region,
		NodeGroupDependsOn:  net.EgressResources,
		NodeSecurityGroupID: net.NodeSecurityGroupID,
		Admins:              cfg.Cluster.Admins,
		CreatorIsAdmin:      cfg.Cluster.CreatorAdmin,
		Protect:             prod,
	}, pulumi.Provider(provider))
	if err != nil {
		return nil, err
	}
	var pools []clusteraddons.Pool
	for _, n := range []string{"system", "workloads"} {
		pools = append(pools, clusteraddons.Pool{Name: n, MinNodes: c.Pools[n].MinNodes, MaxNodes: c.Pools[n].MaxNodes})
	}
	if _, err := eksaddons.NewAddons(ctx, "cluster-addons", &eksaddons.AddonsArgs{
		ClusterName: clusterName, Cluster: c.Name, KubernetesVersion: c.KubernetesVersion, Region: cfg.Region,
		NodeGroupARNs: c.NodeGroupARNs, Pools: pools, Provider: c.Provider,
		SystemNodeSelector: map[string]string{eks.PoolLabel: "system"}, Tags: tags(cfg),
	}, pulumi.Provider(provider)); err != nil {
		return nil, err
	}
	info := net.Info
	f := &Foundation{Network: &info, Cluster: c.Info}
	f.secretStore = awsSecretStore(cfg, provider, names, account.AccountId, c)
	if cfg.Edge.On() {
		if err := awsEdgeFoundation(ctx, cfg, provider, names, clusterName, net, c, f); err != nil {
			return nil, err
		}
	}
	f.data = func(ctx *pulumi.Context, ns Namespaces) (*DataServices, error) {
		return awsData(ctx, cfg, provider, names, account.AccountId, net, c, ns, f.secrets)
	}
	f.observability = awsObservability(cfg, provider, names, clusterName, net, c, f)
	return f, nil
}

// awsData builds S3, RDS and ECR. The database admits the network's node security group, which every
// EKS node carries, so the Multi-AZ instance starts with the VPC and never waits for the cluster.
func awsData(ctx *pulumi.Context, cfg *config.Platform, provider *aws.Provider, names Names, account string, net *awsvpc.Network, c *eks.Cluster, ns Namespaces, credStore *secrets.Store) (*DataServices, error) {
	prod := cfg.Environment == config.Prod
	opts := []pulumi.ResourceOption{pulumi.Provider(provider)}
	store, err := s3.NewObjectStore(ctx, "object-store", &s3.ObjectStoreArgs{
		NamePrefix: names.Global(), Region: cfg.Region, // bucket names are global across AWS
		Versioning: cfg.ObjectStore.Versioning, NoncurrentVersionDays: cfg.ObjectStore.NoncurrentVersionDays,
		ColdTierAfterDays: cfg.ObjectStore.ColdTierAfterDays, ReplicationRegion: cfg.ObjectStore.ReplicationRegion,
		ClusterName: c.Name, OIDCProviderARN: c.OIDCProviderARN, OIDCIssuerURL: c.OIDCIssuerURL,
		Access: storeAccess(cfg, ""), Tags: tags(cfg), ForceDestroy: !prod, Protect: prod,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	db, err := rds.NewMetadataDB(ctx, "metadata-db", &rds.MetadataDBArgs{
		Identifier: names.Base + "-metadata", EngineVersion: cfg.MetadataDB.Version, // unique per account and region
		InstanceClass: cfg.MetadataDB.InstanceClass, AllocatedStorageGiB: cfg.MetadataDB.StorageGiB,
		MaxAllocatedStorageGiB: cfg.MetadataDB.MaxStorageGiB, MultiAZ: cfg.MetadataDB.HighAvailability,
		BackupRetentionDays: cfg.MetadataDB.BackupRetentionDays, DeletionProtection: cfg.MetadataDB.DeletionProtection,
		PerformanceInsights: cfg.MetadataDB.PerformanceInsights, DRRegion: cfg.MetadataDB.DRRegion,
		DBSubnetGroupName: net.DatabaseSubnetGroupName, VpcID: net.VpcID,
		AllowedSecurityGroupIDs: pulumi.StringArray{net.NodeSecurityGroupID},
		ServerCIDRs:             []string{cfg.Network.CIDR}, KubernetesProvider: c.Provider, Secrets: credStore,
		Namespace: ns.Apps, DataNamespace: ns.Data, CACertificatePEM: cfg.MetadataDB.CABundlePEM, Tags: tags(cfg), Protect: prod,
		Scheduling: c.Info.Scheduling,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("metadata database: %w", err)
	}
	repoName := names.Base + "/dbt" // ECR names are unique per account and region
	registry, err := ecr.NewRegistry(ctx, "dbt-registry", &ecr.RegistryArgs{
		Name: repoName, KMSKeyARN: c.KMSKeyARN, Tags: tags(cfg),
		PinnedTags: pinnedDbtTags(cfg), ForceDelete: !prod, Protect: prod,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("dbt registry: %w", err)
	}
	repository := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", account, cfg.Region, repoName)
	return &DataServices{
		Store: store.Info, DB: db.Connection, DBReady: []pulumi.Resource{db.BootstrapJob}, ManagedDBID: db.ResourceID,
		DatabaseCIDRs: []string{cfg.Network.CIDR},
		DbtImage:      dbtImage(cfg, repository), RegistryURL: registry.RepositoryURL,
	}, nil
}

// pinnedDbtTags is the dbt image tag the CronJob runs from the platform's registry, which the
// registry's lifecycle policy must never expire; none when the stack names its own image.
func pinnedDbtTags(cfg *config.Platform) []string {
	if cfg.Dbt.Image != "" || cfg.Dbt.ImageTag == "" {
		return nil
	}
	return []string{cfg.Dbt.ImageTag}
}

// awsEdgeFoundation installs the AWS Load Balancer Controller with the Gateway API CRDs (a cluster
// add-on) and sets the edge up. The load balancers sit in the public subnets whatever their scheme:
// internet-facing, or internal when every source range is private (prod's default; an internal load
// balancer takes private addresses only, in any subnet). They reach pods (ip targets) from those
// subnets' addresses, which the engine's NetworkPolicies admit on the routed ports — and the public
// subnets hold no pods (the VPC CNI gives pods addresses in the private subnets), so admitting them
// admits the load balancers and nothing else, where the private subnets would admit every pod.
func awsEdgeFoundation(ctx *pulumi.Context, cfg *config.Platform, provider *aws.Provider, names Names, clusterName string, net *awsvpc.Network, c *eks.Cluster, f *Foundation) error {
	lbc, err := eksaddons.NewLoadBalancerController(ctx, "edge-controller", &eksaddons.LoadBalancerControllerArgs{
		ClusterName: clusterName, Cluster: c.Name, Region: cfg.Region, VpcID: net.VpcID,
		SystemNodeSelector: map[string]string{eks.PoolLabel: "system"}, Provider: c.Provider, Tags: tags(cfg),
	}, pulumi.Provider(provider))
	if err != nil {
		return fmt.Errorf("edge controller: %w", err)
	}
	f.edgeCIDRs = net.PublicCIDRs
	f.edge = func(ctx *pulumi.Context, e *Engine) (*edge.Info, error) {
		// Grafana's route (stacks/grafana_aws.go) beside the engine's.
		routes := append(engineRoutes(e), f.extraRoutes...)
		out, err := awsgateway.NewEdge(ctx, "edge", &awsgateway.EdgeArgs{
			Domain: cfg.Domain, Routes: routes,
			// What the backends answer 200 on when ready: Dremio's coordinator readiness probe
			// (components/dremio/workloads.go, /apiv2/server_status on the web port) and Airbyte's
			// server probe (airbyte-platform charts/v2/airbyte/templates/airbyte-server/deployment.yaml:
			// /api/v1/health on port 8001).
			HealthCheckPaths:   awsEdgeHealthPaths(f, withSearchHealthPaths(e, withHealthPaths(e, map[string]string{"dremio-ui": "/apiv2/server_status", "airbyte": "/api/v1/health"}))),
			SourceRanges:       cfg.Edge.SourceRanges,
			Internal:           cfg.Edge.InternalOnly(),
			SubnetIDs:          net.PublicSubnetIDs,
			DNSZoneID:          cfg.Edge.DNSZone,
			LoadBalancerPrefix: names.Base, // load balancer names are unique per account and region
			Controller:         lbc.Ready(),
			Protect:            cfg.Environment == config.Prod,
			Tags:               tags(cfg),
		}, pulumi.Providers(provider, c.Provider), pulumi.Transformations([]pulumi.ResourceTransformation{
			// The route and target group configuration of Grafana are created beside it, in the
			// monitoring namespace, which must exist first.
			waitFor("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", f.edgeAfter),
			waitFor("kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration", f.edgeAfter),
		}))
		if err != nil {
			return nil, err
		}
		if cfg.Edge.DNSZone == "" {
			// The parent zone delegates the domain to these (ACM validates through them).
			ctx.Export("dnsNameServers", out.NameServers)
		}
		if f.watchEdgeCertificate != nil {
			if err := f.watchEdgeCertificate(ctx, out.CertificateArn); err != nil {
				return nil, fmt.Errorf("edge certificate alarm: %w", err)
			}
		}
		return &out.Info, nil
	}
	return nil
}
