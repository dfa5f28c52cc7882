package gke

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/network/gcpvpc"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tCluster      = "gcp:container/cluster:Cluster"
	tNodePool     = "gcp:container/nodePool:NodePool"
	tAccount      = "gcp:serviceaccount/account:Account"
	tIAMMember    = "gcp:projects/iAMMember:IAMMember"
	tKeyRing      = "gcp:kms/keyRing:KeyRing"
	tCryptoKey    = "gcp:kms/cryptoKey:CryptoKey"
	tKeyMember    = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
	tK8sProvider  = "pulumi:providers:kubernetes"
	tGCPProvider  = "pulumi:providers:gcp"
	tStorageClass = "kubernetes:storage.k8s.io/v1:StorageClass"
	testProject   = "acme-data-prod"
	testRegion    = "europe-north1"
)

func prodArgs() *ClusterArgs {
	return &ClusterArgs{
		Project:            testProject,
		Region:             testRegion,
		Regional:           true,
		KubernetesVersion:  "1.34",
		ReleaseChannel:     "REGULAR",
		NetworkSelfLink:    pulumi.String("https://www.googleapis.com/compute/v1/projects/acme-data-prod/global/networks/net"),
		SubnetSelfLink:     pulumi.String("https://www.googleapis.com/compute/v1/projects/acme-data-prod/regions/europe-north1/subnetworks/net-nodes"),
		PodRangeName:       "pods",
		ServiceRangeName:   "services",
		MasterCIDR:         "172.16.0.0/28",
		PrivateEndpoint:    true,
		AuthorizedCIDRs:    []string{"10.8.0.0/24"},
		SystemPool:         cluster.NodePool{MachineType: "e2-standard-2", MinNodes: 3, MaxNodes: 4, DiskSizeGiB: 50},
		WorkloadPool:       cluster.NodePool{MachineType: "n2-standard-16", MinNodes: 3, MaxNodes: 12, DiskSizeGiB: 200},
		StorageClasses:     cluster.StorageClasses{FastSSD: "fast-ssd", Standard: "standard-balanced"},
		DeletionProtection: true,
		RetainVolumes:      true,
		KubeStateMetrics:   true,
		Labels:             map[string]string{"environment": "prod"},
	}
}

func devArgs() *ClusterArgs {
	a := prodArgs()
	a.Regional = false
	a.PrivateEndpoint = false
	a.AuthorizedCIDRs = []string{"203.0.113.0/24", "198.51.100.7/32"}
	a.SystemPool = cluster.NodePool{MachineType: "e2-standard-2", MinNodes: 1, MaxNodes: 2, DiskSizeGiB: 50}
	a.WorkloadPool = cluster.NodePool{MachineType: "e2-standard-4", MinNodes: 1, MaxNodes: 3, DiskSizeGiB: 100, Spot: true}
	a.DeletionProtection = false
	a.RetainVolumes = false
	a.StorageClasses = cluster.StorageClasses{}
	a.ReleaseChannel = "rapid"
	a.KubernetesVersion = ""
	a.KubeStateMetrics = false
	return a
}

func newProvider(ctx *pulumi.Context) (*gcp.Provider, error) {
	return gcp.NewProvider(ctx, "gcp", &gcp.ProviderArgs{Project: pulumi.String(testProject), Region: pulumi.String(testRegion)})
}

func run(t *testing.T, preview bool, name string, args *ClusterArgs) (*mockcloud.Mocks, *Cluster, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	var c *Cluster
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := newProvider(ctx)
		if err != nil {
			return err
		}
		c, err = NewCluster(ctx, name, args, pulumi.Provider(p))
		return err
	}, nil)
	return m, c, err
}

func TestProdClusterResources(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, c, err := run(t, preview, "gke", prodArgs())
		require.NoError(t, err)

		comp := inspect.One(t, m, ClusterType)
		assert.Equal(t, "REGULAR", inspect.Str(comp.Inputs, "releaseChannel"), "the component records its inputs (V2)")
		gcpProvider := inspect.One(t, m, tGCPProvider)
		for _, child := range m.Children(comp.URN) {
			assert.True(t, strings.HasPrefix(child.Name, "gke-"), "child %s is named after the component", child.Name)
			if child.Type != tK8sProvider && !strings.HasPrefix(child.Type, "kubernetes:") {
				assert.True(t, strings.HasPrefix(child.Provider, gcpProvider.URN+"::"), "%s inherits the gcp provider", child.Name)
			}
		}

		// Cluster.
		gke := inspect.One(t, m, tCluster)
		assert.Equal(t, comp.URN, gke.Parent)
		in := gke.Inputs
		assert.Equal(t, testRegion, inspect.Str(in, "location"), "regional control plane")
		assert.Equal(t, "gke", inspect.Str(in, "name"))
		assert.True(t, inspect.At(in, "removeDefaultNodePool").BoolValue())
		assert.EqualValues(t, 1, inspect.At(in, "initialNodeCount").NumberValue())
		assert.True(t, inspect.At(in, "nodeConfig").IsNull(), "no node_config with removeDefaultNodePool: it would replace the cluster on every run")
		assert.Equal(t, "pods", inspect.Str(in, "ipAllocationPolicy", "clusterSecondaryRangeName"))
		assert.Equal(t, "services", inspect.Str(in, "ipAllocationPolicy", "servicesSecondaryRangeName"))
		assert.True(t, inspect.At(in, "privateClusterConfig", "enablePrivateNodes").BoolValue())
		assert.True(t, inspect.At(in, "privateClusterConfig", "enablePrivateEndpoint").BoolValue())
		assert.True(t, inspect.At(in, "privateClusterConfig", "masterGlobalAccessConfig", "enabled").BoolValue())
		assert.Equal(t, "172.16.0.0/28", inspect.Str(in, "privateClusterConfig", "masterIpv4CidrBlock"))
		blocks := inspect.At(in, "masterAuthorizedNetworksConfig", "cidrBlocks").ArrayValue()
		require.Len(t, blocks, 1)
		assert.Equal(t, "10.8.0.0/24", inspect.Str(blocks[0].ObjectValue(), "cidrBlock"))
		assert.False(t, inspect.At(in, "masterAuthorizedNetworksConfig", "gcpPublicCidrsAccessEnabled").BoolValue())
		assert.Equal(t, "acme-data-prod.svc.id.goog", inspect.Str(in, "workloadIdentityConfig", "workloadPool"))
		assert.Equal(t, "REGULAR", inspect.Str(in, "releaseChannel", "channel"))
		assert.Equal(t, "1.34", inspect.Str(in, "minMasterVersion"))
		assert.Equal(t, "ADVANCED_DATAPATH", inspect.Str(in, "datapathProvider"), "Dataplane V2 enforces NetworkPolicy")
		assert.True(t, inspect.At(in, "networkPolicy").IsNull(), "no Calico next to Dataplane V2")
		assert.Equal(t, "ENCRYPTED", inspect.Str(in, "databaseEncryption", "state"))
		assert.True(t, inspect.At(in, "enableShieldedNodes").BoolValue())
		assert.True(t, inspect.At(in, "deletionProtection").BoolValue())
		assert.True(t, inspect.At(in, "addonsConfig", "gcePersistentDiskCsiDriverConfig", "enabled").BoolValue())
		// The GKE Gateway controller (the platform's HTTP edge) needs Gateway API and HTTP load balancing.
		assert.Equal(t, "CHANNEL_STANDARD", inspect.Str(in, "gatewayApiConfig", "channel"))
		assert.False(t, inspect.RequireBool(t, in, "addonsConfig", "httpLoadBalancing", "disabled"))
		assert.ElementsMatch(t, []string{"SYSTEM_COMPONENTS", "WORKLOADS"}, inspect.StringsOf(inspect.At(in, "loggingConfig", "enableComponents")))
		assert.Contains(t, inspect.StringsOf(inspect.At(in, "monitoringConfig", "enableComponents")), "SYSTEM_COMPONENTS")
		// The managed kube-state-metrics packages the GCP alert policies read (components/observability/gmp).
		assert.ElementsMatch(t, []string{"SYSTEM_COMPONENTS", "POD", "STATEFULSET"}, inspect.StringsOf(inspect.At(in, "monitoringConfig", "enableComponents")))
		assert.Equal(t, "prod", inspect.Str(in, "resourceLabels", "environment"))
		assert.Equal(t, "https://www.googleapis.com/compute/v1/projects/acme-data-prod/regions/europe-north1/subnetworks/net-nodes", inspect.Str(in, "subnetwork"))

		// KMS: the cluster encrypts secrets with the key, after the GKE service agent may use it.
		ring := inspect.One(t, m, tKeyRing)
		assert.Equal(t, testRegion, inspect.Str(ring.Inputs, "location"))
		key := inspect.One(t, m, tCryptoKey)
		assert.Equal(t, "7776000s", inspect.Str(key.Inputs, "rotationPeriod"))
		assert.True(t, inspect.DependsOnInput(key, "keyRing", ring))
		assert.True(t, inspect.DependsOnInput(gke, "databaseEncryption", key), "the encryption key is the cluster key")
		if !preview {
			assert.Equal(t, key.ID, inspect.Str(in, "databaseEncryption", "keyName"))
		}
		grant := inspect.One(t, m, tKeyMember)
		assert.Equal(t, "roles/cloudkms.cryptoKeyEncrypterDecrypter", inspect.Str(grant.Inputs, "role"))
		assert.Equal(t, "serviceAccount:service-"+mockcloud.GCPProjectNumber+"@container-engine-robot.iam.gserviceaccount.com", inspect.Str(grant.Inputs, "member"))
		assert.True(t, inspect.DependsOnInput(grant, "cryptoKeyId", key))
		assert.Contains(t, gke.Dependencies, grant.URN, "the cluster waits for the key grant")
		var projectLookups int
		for _, inv := range m.Invokes() {
			switch inv.Token {
			case "gcp:organizations/getProject:getProject":
				projectLookups++
				assert.Equal(t, testProject, inspect.Str(inv.Args, "projectId"))
			case "gcp:compute/getZones:getZones":
				t.Errorf("a regional cluster needs no zone lookup")
			}
		}
		assert.Equal(t, 1, projectLookups)

		// Node identity: its own service account with exactly the five node roles.
		sa := inspect.One(t, m, tAccount)
		accountID := inspect.Str(sa.Inputs, "accountId")
		assert.Equal(t, "gke-nodes", accountID)
		var roles []string
		members := m.ByType(tIAMMember)
		for _, r := range members {
			roles = append(roles, inspect.Str(r.Inputs, "role"))
			assert.Equal(t, testProject, inspect.Str(r.Inputs, "project"))
			assert.True(t, inspect.DependsOnInput(r, "member", sa))
			if !preview {
				assert.Equal(t, "serviceAccount:gke-nodes@acme-data-prod.iam.gserviceaccount.com", inspect.Str(r.Inputs, "member"))
			}
		}
		assert.ElementsMatch(t, []string{
			"roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/monitoring.viewer",
			"roles/stackdriver.resourceMetadata.writer", "roles/artifactregistry.reader",
		}, roles)

		// Node pools.
		pools := map[string]*mockcloud.Resource{}
		for _, p := range m.ByType(tNodePool) {
			pools[inspect.Str(p.Inputs, "name")] = p
		}
		require.Len(t, pools, 2)
		for name, want := range map[string]cluster.NodePool{"system": prodArgs().SystemPool, "workloads": prodArgs().WorkloadPool} {
			p := pools[name]
			require.NotNil(t, p, name)
			assert.True(t, inspect.DependsOnInput(p, "cluster", gke))
			for _, member := range members {
				assert.True(t, m.DependsOn(p, member), "pool %s waits for role %s", name, member.Name)
			}
			nc := p.Inputs["nodeConfig"].ObjectValue()
			assert.Equal(t, name, inspect.Str(nc, "labels", PoolLabel))
			assert.Equal(t, want.MachineType, inspect.Str(nc, "machineType"))
			assert.Equal(t, "pd-balanced", inspect.Str(nc, "diskType"))
			assert.EqualValues(t, want.DiskSizeGiB, inspect.At(nc, "diskSizeGb").NumberValue())
			assert.False(t, inspect.At(nc, "spot").BoolValue(), "prod pools are on-demand")
			assert.Equal(t, "GKE_METADATA", inspect.Str(nc, "workloadMetadataConfig", "mode"))
			assert.True(t, inspect.At(nc, "shieldedInstanceConfig", "enableSecureBoot").BoolValue())
			assert.True(t, inspect.At(nc, "shieldedInstanceConfig", "enableIntegrityMonitoring").BoolValue())
			assert.Equal(t, []string{"https://www.googleapis.com/auth/cloud-platform"}, inspect.StringsOf(inspect.At(nc, "oauthScopes")))
			assert.True(t, inspect.DependsOnInput(p, "nodeConfig", sa), "nodes run as the node service account")
			if !preview {
				assert.Equal(t, "gke-nodes@acme-data-prod.iam.gserviceaccount.com", inspect.Str(nc, "serviceAccount"))
			}
			assert.EqualValues(t, want.MinNodes, inspect.At(p.Inputs, "autoscaling", "totalMinNodeCount").NumberValue())
			assert.EqualValues(t, want.MaxNodes, inspect.At(p.Inputs, "autoscaling", "totalMaxNodeCount").NumberValue())
			assert.Equal(t, "BALANCED", inspect.Str(p.Inputs, "autoscaling", "locationPolicy"))
			assert.True(t, inspect.At(p.Inputs, "management", "autoRepair").BoolValue())
			assert.True(t, inspect.At(p.Inputs, "management", "autoUpgrade").BoolValue())
		}

		// Kubernetes provider and StorageClasses.
		k8s := inspect.One(t, m, tK8sProvider)
		assert.Equal(t, comp.URN, k8s.Parent)
		assert.Contains(t, k8s.Dependencies, pools["system"].URN)
		assert.Contains(t, k8s.Dependencies, pools["workloads"].URN)
		classes := map[string]*mockcloud.Resource{}
		for _, sc := range m.ByType(tStorageClass) {
			classes[inspect.Str(sc.Inputs, "metadata", "name")] = sc
			assert.True(t, strings.HasPrefix(sc.Provider, k8s.URN+"::"), "classes are created on this cluster")
			assert.Equal(t, comp.URN, sc.Parent)
			assert.Equal(t, CSIProvisioner, inspect.Str(sc.Inputs, "provisioner"))
			assert.Equal(t, "Retain", inspect.Str(sc.Inputs, "reclaimPolicy"), "prod keeps its disks")
			assert.Equal(t, "WaitForFirstConsumer", inspect.Str(sc.Inputs, "volumeBindingMode"))
		}
		require.Len(t, classes, 2)
		assert.Equal(t, "pd-ssd", inspect.Str(classes["fast-ssd"].Inputs, "parameters", "type"))
		assert.Equal(t, "regional-pd", inspect.Str(classes["fast-ssd"].Inputs, "parameters", "replication-type"), "regional clusters replicate fast volumes")
		assert.Equal(t, "pd-balanced", inspect.Str(classes["standard-balanced"].Inputs, "parameters", "type"))
		assert.Equal(t, "true", inspect.Str(classes["standard-balanced"].Inputs, "metadata", "annotations", "storageclass.kubernetes.io/is-default-class"))
		assert.Empty(t, inspect.Str(classes["fast-ssd"].Inputs, "metadata", "annotations", "storageclass.kubernetes.io/is-default-class"))

		// Outputs.
		pool := inspect.Await(t, c.WorkloadPool)
		assert.True(t, pool.Known, "the pool is an input of the cluster, known in preview")
		assert.Equal(t, "acme-data-prod.svc.id.goog", pool.Value)
		assert.Same(t, c.Provider, c.Info.Provider)
		assert.Equal(t, cluster.GKEWorkloadIdentity, c.Info.Identity.Mechanism)
		assert.Equal(t, "acme-data-prod.svc.id.goog", c.Info.Identity.WorkloadPool)
		assert.Equal(t, cluster.StorageClasses{FastSSD: "fast-ssd", Standard: "standard-balanced"}, c.Info.StorageClasses)
		kc := inspect.Await(t, c.Kubeconfig)
		assert.Equal(t, !preview, kc.Secret, "the kubeconfig is a secret whenever it has a value")
		assert.Equal(t, !preview, inspect.Await(t, c.Info.Kubeconfig).Secret)
		name := inspect.Await(t, c.Name)
		assert.Equal(t, "gke", name.Value, "the name is an input, known in preview")
		email := inspect.Await(t, c.NodeServiceAccountEmail)
		endpoint := inspect.Await(t, c.Endpoint)
		if preview {
			assert.False(t, kc.Known, "the endpoint is unknown until the cluster exists")
			assert.False(t, endpoint.Known)
			return
		}
		assert.Equal(t, "gke-nodes@acme-data-prod.iam.gserviceaccount.com", email.Value)
		ep := endpoint.Value.(string)
		assert.True(t, strings.HasPrefix(ep, "https://10."), "private endpoint URL, got %s", ep)
		var cfg struct {
			Clusters []struct {
				Name    string
				Cluster struct {
					Server string `json:"server"`
					CA     string `json:"certificate-authority-data"`
				}
			}
			Users []struct {
				User struct {
					Exec struct {
						Command string   `json:"command"`
						Args    []string `json:"args"`
					} `json:"exec"`
				} `json:"user"`
			} `json:"users"`
			CurrentContext string `json:"current-context"`
		}
		require.NoError(t, json.Unmarshal([]byte(kc.Value.(string)), &cfg))
		require.Len(t, cfg.Clusters, 1)
		assert.Equal(t, ep, cfg.Clusters[0].Cluster.Server)
		assert.Equal(t, inspect.Str(gke.Outputs, "masterAuth", "clusterCaCertificate"), cfg.Clusters[0].Cluster.CA)
		assert.NotEmpty(t, cfg.Clusters[0].Cluster.CA)
		require.Len(t, cfg.Users, 1)
		assert.Equal(t, "gke-gcloud-auth-plugin", cfg.Users[0].User.Exec.Command)
		assert.Empty(t, cfg.Users[0].User.Exec.Args)
		assert.Equal(t, "gke_acme-data-prod_europe-north1_gke", cfg.CurrentContext)
		assert.True(t, k8s.Inputs["kubeconfig"].IsSecret(), "the provider receives the kubeconfig as a secret")
	})
}

func TestDevClusterIsZonalWithSpotWorkloads(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, c, err := run(t, preview, "gke", devArgs())
		require.NoError(t, err)

		gke := inspect.One(t, m, tCluster)
		assert.Equal(t, "europe-north1-a", inspect.Str(gke.Inputs, "location"), "zonal, in the region's first zone")
		assert.False(t, inspect.At(gke.Inputs, "privateClusterConfig", "enablePrivateEndpoint").BoolValue(), "public endpoint")
		assert.True(t, inspect.At(gke.Inputs, "privateClusterConfig", "enablePrivateNodes").BoolValue(), "nodes stay private")
		var cidrs []string
		for _, b := range inspect.At(gke.Inputs, "masterAuthorizedNetworksConfig", "cidrBlocks").ArrayValue() {
			cidrs = append(cidrs, inspect.Str(b.ObjectValue(), "cidrBlock"))
		}
		assert.Equal(t, []string{"203.0.113.0/24", "198.51.100.7/32"}, cidrs)
		assert.Equal(t, "RAPID", inspect.Str(gke.Inputs, "releaseChannel", "channel"), "channel is normalised to upper case")
		assert.True(t, inspect.At(gke.Inputs, "minMasterVersion").IsNull(), "empty version: the channel default")
		assert.False(t, inspect.At(gke.Inputs, "deletionProtection").BoolValue())
		// Without KubeStateMetrics no kube-state-metrics package is billed.
		assert.Equal(t, []string{"SYSTEM_COMPONENTS"}, inspect.StringsOf(inspect.At(gke.Inputs, "monitoringConfig", "enableComponents")))
		assert.True(t, inspect.At(gke.Inputs, "monitoringConfig", "managedPrometheus", "enabled").BoolValue())
		var zoneLookups int
		for _, inv := range m.Invokes() {
			if inv.Token == "gcp:compute/getZones:getZones" {
				zoneLookups++
				assert.Equal(t, testRegion, inspect.Str(inv.Args, "region"))
				// Was "UP": a zone that is down during one run moved (and replaced) the cluster.
				assert.True(t, inspect.At(inv.Args, "status").IsNull(), "no status filter on the zone list")
			}
		}
		assert.Equal(t, 1, zoneLookups)

		for _, p := range m.ByType(tNodePool) {
			spot := inspect.At(p.Inputs, "nodeConfig", "spot").BoolValue()
			switch inspect.Str(p.Inputs, "name") {
			case "workloads":
				assert.True(t, spot, "workload pool on spot capacity")
				assert.Equal(t, "ANY", inspect.Str(p.Inputs, "autoscaling", "locationPolicy"))
				assert.Equal(t, "workloads", inspect.Str(p.Inputs, "nodeConfig", "labels", PoolLabel))
			case "system":
				assert.False(t, spot)
			default:
				t.Errorf("unexpected pool %s", p.Name)
			}
			if !preview {
				assert.Equal(t, "europe-north1-a", inspect.Str(p.Inputs, "location"), "pools follow the cluster's location")
			}
		}

		classes := map[string]*mockcloud.Resource{}
		for _, sc := range m.ByType(tStorageClass) {
			classes[inspect.Str(sc.Inputs, "metadata", "name")] = sc
			assert.Equal(t, "Delete", inspect.Str(sc.Inputs, "reclaimPolicy"))
		}
		require.Contains(t, classes, "fast-ssd", "empty names get the defaults")
		require.Contains(t, classes, "standard-balanced")
		assert.True(t, inspect.At(classes["fast-ssd"].Inputs, "parameters", "replication-type").IsNull(), "zonal clusters cannot use regional disks")
		assert.Equal(t, cluster.StorageClasses{FastSSD: "fast-ssd", Standard: "standard-balanced"}, c.Info.StorageClasses)
	})
}

// The cluster must not wait for Cloud NAT or private service access: those only matter to workloads
// and Cloud SQL, and making the cluster (15+ minutes) wait for them lengthens every first deployment.
func TestClusterOnNetworkDependencies(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "prod", preview)
		err := m.Run(func(ctx *pulumi.Context) error {
			p, err := newProvider(ctx)
			if err != nil {
				return err
			}
			net, err := gcpvpc.NewNetwork(ctx, "net", &gcpvpc.NetworkArgs{
				Project: testProject, Region: testRegion, CIDR: "10.40.0.0/16", PodCIDR: "10.64.0.0/14",
				ServiceCIDR: "172.20.0.0/16", MasterCIDR: "172.16.0.0/28",
			}, pulumi.Provider(p))
			if err != nil {
				return err
			}
			args := prodArgs()
			args.NetworkSelfLink = net.NetworkSelfLink
			args.SubnetSelfLink = net.SubnetSelfLink
			args.PodRangeName = net.PodRangeName
			args.ServiceRangeName = net.ServiceRangeName
			_, err = NewCluster(ctx, "gke", args, pulumi.Provider(p))
			return err
		}, nil)
		require.NoError(t, err)

		gke := inspect.One(t, m, tCluster)
		vpc := inspect.One(t, m, "gcp:compute/network:Network")
		subnet := inspect.One(t, m, "gcp:compute/subnetwork:Subnetwork")
		assert.True(t, inspect.DependsOnInput(gke, "network", vpc))
		assert.True(t, inspect.DependsOnInput(gke, "subnetwork", subnet), "the cluster needs the subnet and its secondary ranges")
		if !preview {
			assert.Equal(t, inspect.Str(subnet.Outputs, "selfLink"), inspect.Str(gke.Inputs, "subnetwork"))
		}
		for _, typ := range []string{
			"gcp:compute/routerNat:RouterNat", "gcp:compute/router:Router",
			"gcp:servicenetworking/connection:Connection", "gcp:compute/globalAddress:GlobalAddress",
			"gcp:compute/firewall:Firewall",
		} {
			rs := m.ByType(typ)
			require.NotEmpty(t, rs, typ)
			for _, r := range rs {
				assert.False(t, m.DependsOn(gke, r), "the cluster must not wait for %s", r.Name)
				for _, p := range m.ByType(tNodePool) {
					assert.False(t, m.DependsOn(p, r), "pool %s must not wait for %s", p.Name, r.Name)
				}
			}
		}
	})
}

func TestClusterValidation(t *testing.T) {
	mut := func(f func(a *ClusterArgs)) *ClusterArgs { a := prodArgs(); f(a); return a }
	cases := []struct {
		name string
		args *ClusterArgs
		want []string
	}{
		{"nil args", nil, []string{"args are nil"}},
		{"project", mut(func(a *ClusterArgs) { a.Project = "acme" }), []string{"Project", `"acme"`}},
		{"region", mut(func(a *ClusterArgs) { a.Region = "" }), []string{"Region", `""`}},
		{"version", mut(func(a *ClusterArgs) { a.KubernetesVersion = "v1.34" }), []string{"KubernetesVersion", "v1.34"}},
		{"channel", mut(func(a *ClusterArgs) { a.ReleaseChannel = "EXTENDED-ISH" }), []string{"ReleaseChannel", "EXTENDED-ISH", "RAPID, REGULAR or STABLE"}},
		{"empty channel", mut(func(a *ClusterArgs) { a.ReleaseChannel = "" }), []string{"ReleaseChannel"}},
		{"network", mut(func(a *ClusterArgs) { a.NetworkSelfLink = nil }), []string{"NetworkSelfLink"}},
		{"subnet", mut(func(a *ClusterArgs) { a.SubnetSelfLink = nil }), []string{"SubnetSelfLink"}},
		{"ranges", mut(func(a *ClusterArgs) { a.PodRangeName = "" }), []string{"PodRangeName"}},
		{"same ranges", mut(func(a *ClusterArgs) { a.ServiceRangeName = "pods" }), []string{"PodRangeName", "ServiceRangeName", "pods"}},
		{"master cidr", mut(func(a *ClusterArgs) { a.MasterCIDR = "172.16.0.0/24" }), []string{"MasterCIDR", "172.16.0.0/24", "/28"}},
		{"master parse", mut(func(a *ClusterArgs) { a.MasterCIDR = "172.16.0.0" }), []string{"MasterCIDR", "IPv4 CIDR"}},
		{"public without cidrs", mut(func(a *ClusterArgs) { a.PrivateEndpoint = false; a.AuthorizedCIDRs = nil }), []string{"AuthorizedCIDRs", "PrivateEndpoint"}},
		{"open to the internet", mut(func(a *ClusterArgs) { a.PrivateEndpoint = false; a.AuthorizedCIDRs = []string{"0.0.0.0/0"} }), []string{"AuthorizedCIDRs[0]", "0.0.0.0/0", "internet"}},
		{"bad authorized cidr", mut(func(a *ClusterArgs) { a.AuthorizedCIDRs = []string{"10.8.0.0/24", "office"} }), []string{"AuthorizedCIDRs[1]", "office"}},
		{"system pool", mut(func(a *ClusterArgs) { a.SystemPool.MinNodes = 0 }), []string{"SystemPool", "MinNodes"}},
		{"workload pool", mut(func(a *ClusterArgs) { a.WorkloadPool.MaxNodes = 1 }), []string{"WorkloadPool", "MaxNodes"}},
		{"workload disk", mut(func(a *ClusterArgs) { a.WorkloadPool.DiskSizeGiB = 10 }), []string{"WorkloadPool", "DiskSizeGiB"}},
		{"gke class name", mut(func(a *ClusterArgs) { a.StorageClasses.Standard = "standard" }), []string{"StorageClasses.Standard", `"standard"`, "GKE already creates"}},
		{"premium-rwo", mut(func(a *ClusterArgs) { a.StorageClasses.FastSSD = "premium-rwo" }), []string{"StorageClasses.FastSSD", "premium-rwo"}},
		{"class name", mut(func(a *ClusterArgs) { a.StorageClasses.FastSSD = "Fast_SSD" }), []string{"StorageClasses.FastSSD", "Fast_SSD", "DNS label"}},
		{"same classes", mut(func(a *ClusterArgs) { a.StorageClasses.FastSSD = "standard-balanced" }), []string{"FastSSD", "Standard", "must differ"}},
		{"labels", mut(func(a *ClusterArgs) { a.Labels = map[string]string{"cost-center": "Data/Eng"} }), []string{"Labels", "Data/Eng"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, cl, err := run(t, false, "gke", c.args)
			require.Error(t, err)
			assert.Nil(t, cl)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, r := range m.Resources() {
				assert.Contains(t, []string{string(resource.RootStackType), tGCPProvider}, r.Type, "nothing registered after a validation error, got %s", r.URN)
			}
			assert.Empty(t, m.Invokes(), "no invoke before validation passes")
		})
	}
}

func TestLongComponentNameFitsGCPLimits(t *testing.T) {
	m, _, err := run(t, false, "DataPlatform_Production_Europe_North_Primary_Cluster", devArgs())
	require.NoError(t, err)
	name := inspect.Str(inspect.One(t, m, tCluster).Inputs, "name")
	assert.LessOrEqual(t, len(name), 40, "GKE cluster names are at most 40 characters: %s", name)
	assert.True(t, strings.HasPrefix(name, "dataplatform-production"), name)
	id := inspect.Str(inspect.One(t, m, tAccount).Inputs, "accountId")
	assert.GreaterOrEqual(t, len(id), 6)
	assert.LessOrEqual(t, len(id), 30, "service account IDs are at most 30 characters: %s", id)
	assert.Regexp(t, `^[a-z][-a-z0-9]*[a-z0-9]$`, id)
	assert.Regexp(t, `^[a-z][-a-z0-9]*[a-z0-9]$`, name)
}
