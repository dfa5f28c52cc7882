// Package gke is the Google Cloud implementation of the platform's Kubernetes cluster: a private,
// VPC-native GKE Standard cluster with Dataplane V2, Workload Identity, application-layer secrets
// encryption with a Cloud KMS key, a system and a workload node pool running as a least-privilege
// service account, and the design document's fast-ssd and standard StorageClasses.
//
// Location: with Regional set the control plane is regional (replicated across the region's zones,
// which keeps the API up through zone failures and control-plane upgrades) and the node pools span the
// zones GKE picks for the region. Otherwise the cluster is zonal, in ClusterArgs.Zone, or else in the
// alphabetically first zone of the region's zone list (the getZones invoke without a status filter, not
// a guessed "-a": europe-west1, us-east1 and others have none). The zone is never taken from a live
// status answer: a zone that is down during one run would move the cluster, and a new location
// replaces it. Zonal is cheaper and is what dev and staging need.
//
// Scheduling: GKE adds no taint to Spot VM nodes (it labels them cloud.google.com/gke-spot=true) and
// none to the system pool, so platform pods need no toleration; Info.Scheduling's node selector keeps
// them on the workload pool. HPAs read resource metrics from the metrics-server GKE runs in kube-system
// on every Standard cluster, so the platform installs none.
//
// Node pool sizes are totals across zones (total_min/total_max_node_count), so the same NodePool
// means the same number of nodes on a zonal and a regional cluster and on every cloud.
package gke

import (
	"fmt"
	"strings"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/container"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/kms"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/organizations"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/projects"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/serviceaccount"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ClusterType is the component's type token.
const ClusterType = "dataplatform:gcp:KubernetesCluster"

const (
	// PoolLabel is the node label that tells the system and workload pools apart.
	PoolLabel = "dataplatform.io/pool"
	// CSIProvisioner is the Compute Engine persistent disk CSI driver.
	CSIProvisioner = "pd.csi.storage.gke.io"
	// KeyRotationPeriod rotates the secrets-encryption key every 90 days.
	KeyRotationPeriod = "7776000s"
)

// nodeRoles are all the node service account needs: write logs and metrics, read its own resource
// metadata for the agents, and pull images from Artifact Registry. Nothing else: pods get their own
// identities through Workload Identity.
var nodeRoles = []struct{ suffix, role string }{
	{"log-writer", "roles/logging.logWriter"},
	{"metric-writer", "roles/monitoring.metricWriter"},
	{"monitoring-viewer", "roles/monitoring.viewer"},
	{"metadata-writer", "roles/stackdriver.resourceMetadata.writer"},
	{"ar-reader", "roles/artifactregistry.reader"},
}

// Cluster is a private GKE Standard cluster with two node pools.
type Cluster struct {
	pulumi.ResourceState

	// Name is the cluster's name in GKE.
	Name pulumi.StringOutput
	// Endpoint is the API server URL, https://<endpoint IP>; the private IP when PrivateEndpoint is set.
	Endpoint pulumi.StringOutput
	// Kubeconfig reaches the cluster through gke-gcloud-auth-plugin; a secret.
	Kubeconfig pulumi.StringOutput
	// NodeServiceAccountEmail is the Google service account the nodes run as.
	NodeServiceAccountEmail pulumi.StringOutput
	// WorkloadPool is the Workload Identity pool, "<project>.svc.id.goog", read from the cluster's
	// workloadIdentityConfig: the pool exists only once the cluster does, so every IAM binding for a
	// "serviceAccount:<pool>[ns/sa]" member must take this output (a plain string lets the binding run
	// before the cluster and fail with 400 "Identity Pool does not exist").
	WorkloadPool pulumi.StringOutput
	// ProjectNumber is the cluster's project number: Workload Identity Federation principals name it
	// (principal://iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<pool>/subject/ns/<ns>/sa/<sa>).
	ProjectNumber string
	// Provider creates resources on the cluster; it waits for both node pools.
	Provider *kubernetes.Provider
	// Info is the cloud-neutral view of the cluster.
	Info cluster.Info
}

// NewCluster creates the node service account, the KMS key, the GKE cluster, its node pools, a
// Kubernetes provider and the StorageClasses.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if err := args.validate(name); err != nil {
		return nil, err
	}
	channel := strings.ToUpper(args.ReleaseChannel)
	fastName, standardName := args.storageClassNames()
	workloadPool := args.Project + ".svc.id.goog"

	comp := &Cluster{}
	props := pulumi.Map{
		"project":            pulumi.String(args.Project),
		"region":             pulumi.String(args.Region),
		"regional":           pulumi.Bool(args.Regional),
		"kubernetesVersion":  pulumi.String(args.KubernetesVersion),
		"releaseChannel":     pulumi.String(channel),
		"networkSelfLink":    args.NetworkSelfLink,
		"subnetSelfLink":     args.SubnetSelfLink,
		"podRangeName":       pulumi.String(args.PodRangeName),
		"serviceRangeName":   pulumi.String(args.ServiceRangeName),
		"masterCidr":         pulumi.String(args.MasterCIDR),
		"privateEndpoint":    pulumi.Bool(args.PrivateEndpoint),
		"authorizedCidrs":    pulumi.ToStringArray(args.AuthorizedCIDRs),
		"systemPool":         args.SystemPool.Props(),
		"workloadPool":       args.WorkloadPool.Props(),
		"deletionProtection": pulumi.Bool(args.DeletionProtection),
		"storageClasses":     pulumi.StringMap{"fastSsd": pulumi.String(fastName), "standard": pulumi.String(standardName)},
		"retainVolumes":      pulumi.Bool(args.RetainVolumes),
		"labels":             pulumi.ToStringMap(args.Labels),
		"name":               pulumi.String(args.clusterName(name)),
		"zone":               pulumi.String(args.Zone),
		"admins":             pulumi.ToStringArray(args.Admins),
		"protect":            pulumi.Bool(args.Protect),
	}
	if err := ctx.RegisterComponentResourceV2(ClusterType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, args: args, comp: comp, parent: pulumi.Parent(comp),
		stateful:   pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(args.Protect)),
		disposable: pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))}
	if err := b.build(channel, workloadPool, fastName, standardName); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"name":                    comp.Name,
		"endpoint":                comp.Endpoint,
		"kubeconfig":              comp.Kubeconfig,
		"nodeServiceAccountEmail": comp.NodeServiceAccountEmail,
		"workloadPool":            comp.WorkloadPool,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *ClusterArgs
	comp   *Cluster
	parent pulumi.ResourceOrInvokeOption
	// stateful carries Protect for the cluster and its KMS key; disposable says Protect(false) on
	// everything else, so nothing disposable inherits a protect from the component's options.
	stateful, disposable pulumi.ResourceOption
}

func (b *builder) build(channel, workloadPool, fastName, standardName string) error {
	ctx, name, args := b.ctx, b.name, b.args
	project := pulumi.String(args.Project)
	labels := pulumi.ToStringMap(args.Labels)

	location, err := b.location()
	if err != nil {
		return err
	}
	proj, err := organizations.LookupProject(ctx, &organizations.LookupProjectArgs{ProjectId: &args.Project}, b.parent)
	if err != nil {
		return fmt.Errorf("gke %s: looking up project %s: %w", name, args.Project, err)
	}
	if proj.Number == "" {
		return fmt.Errorf("gke %s: project %s has no project number; is it visible to the provider's credentials?", name, args.Project)
	}

	// Nodes run as their own service account, not the Compute Engine default (Editor on the project).
	nodeSA, err := serviceaccount.NewAccount(ctx, name+"-nodes", &serviceaccount.AccountArgs{
		Project:     project,
		AccountId:   pulumi.String(args.nodeAccountID(name)),
		DisplayName: pulumi.String("GKE nodes of " + args.clusterName(name)),
		Description: pulumi.String("Least-privilege identity of the GKE nodes; pods use Workload Identity"),
	}, b.disposable)
	if err != nil {
		return err
	}
	var roleGrants []pulumi.Resource
	for _, r := range nodeRoles {
		m, err := projects.NewIAMMember(ctx, name+"-nodes-"+r.suffix, &projects.IAMMemberArgs{
			Project: project,
			Role:    pulumi.String(r.role),
			Member:  nodeSA.Member,
		}, b.disposable)
		if err != nil {
			return err
		}
		roleGrants = append(roleGrants, m)
	}

	// Application-layer secrets encryption. Key rings and keys can never be deleted in Cloud KMS, so
	// they are auto-named (the logical name plus a suffix kept in state): a fixed name would make a
	// stack that was destroyed impossible to create again.
	keyRing, err := kms.NewKeyRing(ctx, name+"-kms", &kms.KeyRingArgs{
		Project:  project,
		Location: pulumi.String(args.Region), // GKE needs the key in the cluster's region
	}, b.stateful)
	if err != nil {
		return err
	}
	key, err := kms.NewCryptoKey(ctx, name+"-secrets", &kms.CryptoKeyArgs{
		KeyRing:        keyRing.ID(),
		Purpose:        pulumi.String("ENCRYPT_DECRYPT"),
		RotationPeriod: pulumi.String(KeyRotationPeriod),
		Labels:         labels,
	}, b.stateful)
	if err != nil {
		return err
	}
	keyGrant, err := kms.NewCryptoKeyIAMMember(ctx, name+"-secrets-gke-agent", &kms.CryptoKeyIAMMemberArgs{
		CryptoKeyId: key.ID(),
		Role:        pulumi.String("roles/cloudkms.cryptoKeyEncrypterDecrypter"),
		Member:      pulumi.String(fmt.Sprintf("serviceAccount:service-%s@container-engine-robot.iam.gserviceaccount.com", proj.Number)),
	}, b.disposable)
	if err != nil {
		return err
	}

	authorized := container.ClusterMasterAuthorizedNetworksConfigCidrBlockArray{}
	for _, c := range args.AuthorizedCIDRs {
		authorized = append(authorized, &container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs{
			CidrBlock: pulumi.String(c), DisplayName: pulumi.String(c),
		})
	}
	clusterName := args.clusterName(name)
	var minVersion pulumi.StringPtrInput
	if args.KubernetesVersion != "" {
		minVersion = pulumi.String(args.KubernetesVersion)
	}
	gke, err := container.NewCluster(ctx, name+"-cluster", &container.ClusterArgs{
		Project:     project,
		Name:        pulumi.String(clusterName),
		Location:    pulumi.String(location),
		Description: pulumi.String("Data platform cluster, managed by Pulumi"),
		// The default pool would run as the Compute Engine default account; it is replaced by the two
		// pools below. Its node_config is left unset on purpose: setting it with this flag makes every
		// later run replace the cluster.
		RemoveDefaultNodePool: pulumi.Bool(true),
		InitialNodeCount:      pulumi.Int(1),
		Network:               args.NetworkSelfLink,
		Subnetwork:            args.SubnetSelfLink,
		NetworkingMode:        pulumi.String("VPC_NATIVE"),
		IpAllocationPolicy: &container.ClusterIpAllocationPolicyArgs{
			ClusterSecondaryRangeName:  pulumi.String(args.PodRangeName),
			ServicesSecondaryRangeName: pulumi.String(args.ServiceRangeName),
		},
		PrivateClusterConfig: &container.ClusterPrivateClusterConfigArgs{
			EnablePrivateNodes:    pulumi.Bool(true),
			EnablePrivateEndpoint: pulumi.Bool(args.PrivateEndpoint),
			MasterIpv4CidrBlock:   pulumi.String(args.MasterCIDR),
			// A private endpoint is reachable from every region of the VPC and over VPN.
			MasterGlobalAccessConfig: &container.ClusterPrivateClusterConfigMasterGlobalAccessConfigArgs{
				Enabled: pulumi.Bool(args.PrivateEndpoint),
			},
		},
		MasterAuthorizedNetworksConfig: &container.ClusterMasterAuthorizedNetworksConfigArgs{
			CidrBlocks: authorized,
			// Not every Google Cloud IP: only the listed ranges (and the nodes) reach the API.
			GcpPublicCidrsAccessEnabled: pulumi.Bool(false),
		},
		WorkloadIdentityConfig: &container.ClusterWorkloadIdentityConfigArgs{WorkloadPool: pulumi.String(args.Project + ".svc.id.goog")},
		ReleaseChannel:         &container.ClusterReleaseChannelArgs{Channel: pulumi.String(channel)},
		MinMasterVersion:       minVersion,
		// Dataplane V2 (eBPF) enforces NetworkPolicy without the Calico add-on.
		DatapathProvider: pulumi.String("ADVANCED_DATAPATH"),
		DatabaseEncryption: &container.ClusterDatabaseEncryptionArgs{
			State:   pulumi.String("ENCRYPTED"),
			KeyName: key.ID(),
		},
		EnableShieldedNodes: pulumi.Bool(true),
		LoggingConfig: &container.ClusterLoggingConfigArgs{
			EnableComponents: pulumi.ToStringArray([]string{"SYSTEM_COMPONENTS", "WORKLOADS"}),
		},
		MonitoringConfig: &container.ClusterMonitoringConfigArgs{
			EnableComponents:  pulumi.ToStringArray(monitoringComponents(args.KubeStateMetrics)),
			ManagedPrometheus: &container.ClusterMonitoringConfigManagedPrometheusArgs{Enabled: pulumi.Bool(true)},
		},
		// The GKE Gateway controller implements Gateway API (ingress-nginx is retired).
		GatewayApiConfig:   &container.ClusterGatewayApiConfigArgs{Channel: pulumi.String("CHANNEL_STANDARD")},
		DeletionProtection: pulumi.Bool(args.DeletionProtection),
		AddonsConfig: &container.ClusterAddonsConfigArgs{
			GcePersistentDiskCsiDriverConfig: &container.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs{Enabled: pulumi.Bool(true)},
			// The GKE Gateway controller needs the HttpLoadBalancing add-on (GKE docs "Secure a
			// Gateway", GKE Gateway controller requirements); on by default, stated so nobody turns it off.
			HttpLoadBalancing: &container.ClusterAddonsConfigHttpLoadBalancingArgs{Disabled: pulumi.Bool(false)},
		},
		ResourceLabels: labels,
	}, b.stateful, pulumi.DependsOn([]pulumi.Resource{keyGrant})) // GKE checks it may use the key at create
	if err != nil {
		return err
	}

	system, err := b.nodePool("system", args.SystemPool, gke, nodeSA, roleGrants)
	if err != nil {
		return err
	}
	workloads, err := b.nodePool("workloads", args.WorkloadPool, gke, nodeSA, roleGrants)
	if err != nil {
		return err
	}

	endpoint := gke.Endpoint.ApplyT(func(ep string) string { return "https://" + ep }).(pulumi.StringOutput)
	// The kubeconfig is made secret inside the apply: secret whenever it has a value, while the unknown
	// of a preview stays a plain unknown (the SDK's mock monitor cannot unmarshal a secret unknown, and
	// there is nothing in it to hide). It holds no credential: the plugin fetches short-lived tokens.
	kubeconfig := pulumi.All(gke.Name, gke.Location, endpoint, gke.MasterAuth.ClusterCaCertificate()).ApplyT(func(v []any) pulumi.StringOutput {
		ca := ""
		if p, ok := v[3].(*string); ok && p != nil {
			ca = *p
		}
		// The context name gcloud would write, so people recognise it.
		context := fmt.Sprintf("gke_%s_%s_%s", args.Project, v[1].(string), v[0].(string))
		kc := cluster.ExecKubeconfig(context, v[2].(string), ca, "gke-gcloud-auth-plugin", nil, nil)
		return pulumi.ToSecret(pulumi.String(kc)).(pulumi.StringOutput)
	}).(pulumi.StringOutput)

	// The provider waits for the node pools, so workloads created with it can schedule, and on destroy
	// they go before the nodes do.
	provider, err := kubernetes.NewProvider(ctx, name+"-k8s", &kubernetes.ProviderArgs{
		Kubeconfig: kubeconfig,
		// A new endpoint or CA updates the provider instead of replacing everything created with it.
		ClusterIdentifier: pulumi.String(fmt.Sprintf("gke_%s_%s_%s", args.Project, location, clusterName)),
	}, b.disposable, pulumi.DependsOn([]pulumi.Resource{system, workloads}))
	if err != nil {
		return err
	}

	fastParams := map[string]string{"type": "pd-ssd"}
	if args.Regional {
		// Synchronously replicated across two zones: a zone outage does not strand the volume.
		fastParams["replication-type"] = "regional-pd"
	}
	if err := cluster.NewStorageClasses(ctx, name, b.comp, provider, []cluster.StorageClassSpec{
		{Name: fastName, Provisioner: CSIProvisioner, Parameters: fastParams, Retain: args.RetainVolumes},
		{Name: standardName, Provisioner: CSIProvisioner, Parameters: map[string]string{"type": "pd-balanced"}, Default: true, Retain: args.RetainVolumes},
	}); err != nil {
		return err
	}

	if err := b.admins(); err != nil {
		return err
	}

	c := b.comp
	// The pool as the cluster reports it: consumers that bind "serviceAccount:<pool>[ns/sa]" members
	// then depend on the cluster (pulumi-gcp@v7.38.0 sdk/go/gcp/container/pulumiTypes.go:
	// ClusterWorkloadIdentityConfig.WorkloadPool).
	c.WorkloadPool = gke.WorkloadIdentityConfig.WorkloadPool().Elem()
	c.ProjectNumber = proj.Number
	c.Name = gke.Name
	c.Endpoint = endpoint
	c.Kubeconfig = kubeconfig
	c.NodeServiceAccountEmail = nodeSA.Email
	c.Provider = provider
	c.Info = cluster.Info{
		Name:           c.Name,
		Endpoint:       c.Endpoint,
		Kubeconfig:     c.Kubeconfig,
		Provider:       provider,
		StorageClasses: cluster.StorageClasses{FastSSD: fastName, Standard: standardName},
		Identity:       cluster.WorkloadIdentity{Mechanism: cluster.GKEWorkloadIdentity, WorkloadPool: workloadPool},
		Scheduling:     Scheduling(),
	}
	return nil
}

// nodePool creates one autoscaled pool. Sizes are totals across the pool's zones.
func (b *builder) nodePool(pool string, p cluster.NodePool, gke *container.Cluster, sa *serviceaccount.Account, grants []pulumi.Resource) (*container.NodePool, error) {
	locationPolicy := "BALANCED"
	if p.Spot {
		locationPolicy = "ANY" // spot capacity: take whichever zone has it, fewer preemptions
	}
	labels := pulumi.ToStringMap(b.args.Labels)
	return container.NewNodePool(b.ctx, b.name+"-"+pool, &container.NodePoolArgs{
		Project:  pulumi.String(b.args.Project),
		Cluster:  gke.Name,
		Location: gke.Location,
		Name:     pulumi.String(pool),
		// One node per zone to start; a constant, because changing it replaces the pool. The
		// autoscaler takes it from there within the bounds below.
		InitialNodeCount: pulumi.Int(1),
		Autoscaling: &container.NodePoolAutoscalingArgs{
			TotalMinNodeCount: pulumi.Int(p.MinNodes),
			TotalMaxNodeCount: pulumi.Int(p.MaxNodes),
			LocationPolicy:    pulumi.String(locationPolicy),
		},
		Management: &container.NodePoolManagementArgs{AutoRepair: pulumi.Bool(true), AutoUpgrade: pulumi.Bool(true)},
		// Surge one node at a time and never take capacity away during upgrades.
		UpgradeSettings: &container.NodePoolUpgradeSettingsArgs{
			Strategy: pulumi.String("SURGE"), MaxSurge: pulumi.Int(1), MaxUnavailable: pulumi.Int(0),
		},
		NodeConfig: &container.NodePoolNodeConfigArgs{
			MachineType:    pulumi.String(p.MachineType),
			ImageType:      pulumi.String("COS_CONTAINERD"),
			DiskType:       pulumi.String("pd-balanced"),
			DiskSizeGb:     pulumi.Int(p.DiskSizeGiB),
			Spot:           pulumi.Bool(p.Spot),
			ServiceAccount: sa.Email,
			// Access is governed by IAM roles, not by legacy scopes.
			OauthScopes: pulumi.ToStringArray([]string{"https://www.googleapis.com/auth/cloud-platform"}),
			Labels:      pulumi.StringMap{PoolLabel: pulumi.String(pool)},
			// Labels on the VMs and disks, for billing.
			ResourceLabels: labels,
			// GKE sets this anyway; stating it avoids a perpetual diff that would replace the pool.
			Metadata: pulumi.StringMap{"disable-legacy-endpoints": pulumi.String("true")},
			// Pods see the GKE metadata server: Workload Identity, not the node's credentials.
			WorkloadMetadataConfig: &container.NodePoolNodeConfigWorkloadMetadataConfigArgs{Mode: pulumi.String("GKE_METADATA")},
			ShieldedInstanceConfig: &container.NodePoolNodeConfigShieldedInstanceConfigArgs{
				EnableSecureBoot: pulumi.Bool(true), EnableIntegrityMonitoring: pulumi.Bool(true),
			},
		},
	}, b.disposable, pulumi.DependsOn(grants)) // nodes boot with their log, metric and image-pull roles
}

// Scheduling is what platform pods carry on GKE: a node selector for the workload pool and no
// toleration. GKE taints no pool the component creates: Spot VM nodes only get the label
// cloud.google.com/gke-spot=true ("GKE doesn't add taints to Spot VM nodes by default", GKE docs,
// "Spot VMs"), and the pools set no nodeConfig.taints.
func Scheduling() cluster.Scheduling {
	return cluster.Scheduling{NodeSelector: map[string]string{PoolLabel: "workloads"}}
}

// monitoringComponents is the cluster's monitoringConfig.enableComponents. POD and STATEFULSET are
// GKE's managed kube-state-metrics packages (pod phase, waiting reasons; StatefulSet replicas), which
// the GCP alert policies read; the list replaces the cluster's, so naming only SYSTEM_COMPONENTS
// turns them off (pulumi-gcp@v7.38.0 sdk/go/gcp/container/pulumiTypes.go
// ClusterMonitoringConfig.EnableComponents: SYSTEM_COMPONENTS, …, POD, DAEMONSET, DEPLOYMENT,
// STATEFULSET, …; GKE ≥ 1.27.2-gke.1200).
func monitoringComponents(kubeStateMetrics bool) []string {
	if kubeStateMetrics {
		return []string{"SYSTEM_COMPONENTS", "POD", "STATEFULSET"}
	}
	return []string{"SYSTEM_COMPONENTS"}
}
