// Package aks is the Azure implementation of the platform cluster: an AKS cluster with Azure CNI
// Overlay (Cilium), a user-assigned control-plane identity, Entra ID authentication with Azure RBAC
// and no local accounts, workload identity, a system and a workload node pool, control-plane logs in
// Log Analytics, and the platform's StorageClasses.
//
// The cluster and its pools use the containerservice 2024-09-01 API (the SDK's default, 2023-04-01,
// cannot set the node OS upgrade channel), so their type tokens are
// "azure-native:containerservice/v20240901:ManagedCluster" and "…:AgentPool".
package aks

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	containerservice "github.com/pulumi/pulumi-azure-native-sdk/containerservice/v2/v20240901"
	"github.com/pulumi/pulumi-azure-native-sdk/insights/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/operationalinsights/v2"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/internal/azurerbac"
)

// ClusterType is the component's type token.
const ClusterType = "dataplatform:azure:KubernetesCluster"

// Built-in role definitions (the same GUID in every tenant).
const (
	// NetworkContributorRole lets the control plane join nodes and load balancers to the subnet.
	NetworkContributorRole = "4d97b98b-1d4f-4787-a291-c67834d212e7"
	// RBACClusterAdminRole is "Azure Kubernetes Service RBAC Cluster Admin": with local accounts
	// disabled and Azure RBAC on, the deploying principal needs it to create the StorageClasses.
	RBACClusterAdminRole = "b1ff04bb-8a4e-4dc4-8eb5-8693888ce32b"
	// KeyVaultCryptoUserRole is "Key Vault Crypto User": the control-plane identity wraps and unwraps
	// etcd's data keys with the KMS key (learn.microsoft.com/azure/aks/use-kms-etcd-encryption,
	// "Key Vault with Azure RBAC": assign Key Vault Crypto User to the cluster's identity).
	KeyVaultCryptoUserRole = "12338af0-0e69-4776-bea7-57ae8d297424"
)

// Taints and labels of the pools (AKS sets the spot taint itself on every Spot pool:
// learn.microsoft.com/azure/aks/spot-node-pool, "kubernetes.azure.com/scalesetpriority=spot:NoSchedule").
const (
	SpotTaintKey   = "kubernetes.azure.com/scalesetpriority"
	SpotTaintValue = "spot"
	PoolLabel      = "dataplatform.io/pool"
	WorkloadPool   = "workloads"
)

// ControlPlaneLogCategories are the control-plane logs shipped to Log Analytics: admin audit (writes,
// without the read noise of kube-audit), the API server, the controller manager, and Entra ID
// authentication (guard).
var ControlPlaneLogCategories = []string{"kube-audit-admin", "kube-apiserver", "kube-controller-manager", "guard"}

// Cluster is the AKS cluster component.
type Cluster struct {
	pulumi.ResourceState

	// Name is the AKS cluster's name.
	Name pulumi.StringOutput
	// Endpoint is the API server URL: the private FQDN on a private cluster, the public one otherwise.
	Endpoint pulumi.StringOutput
	// Kubeconfig reaches the cluster through kubelogin (no embedded credential); a secret.
	Kubeconfig pulumi.StringOutput
	// OIDCIssuerURL is the ServiceAccount token issuer that workload identity federates with.
	OIDCIssuerURL pulumi.StringOutput
	// KubeletIdentityObjectID is the principal the nodes pull images as (grant it AcrPull).
	KubeletIdentityObjectID pulumi.StringOutput
	// ControlPlaneIdentityID is the ARM ID of the control plane's user-assigned identity.
	ControlPlaneIdentityID pulumi.StringOutput
	// ControlPlanePrincipalID is that identity's principal (object) ID: grant it what the cloud
	// provider needs beyond the node subnet (e.g. a LoadBalancer Service's static public IP in the
	// platform's resource group).
	ControlPlanePrincipalID pulumi.StringOutput
	// NodeResourceGroupID is the ARM ID of the resource group AKS manages for the nodes
	// (MC_<group>_<cluster>_<region>), where the cloud provider and add-ons create their resources.
	NodeResourceGroupID pulumi.StringOutput
	// LogAnalyticsWorkspaceID is the workspace the control-plane logs go to; other components can send
	// their diagnostics there too.
	LogAnalyticsWorkspaceID pulumi.StringOutput
	// LogAnalyticsWorkspaceName is that workspace's name (its tables are addressed by it).
	LogAnalyticsWorkspaceName pulumi.StringOutput
	// ClusterID is the managed cluster's ARM ID (the scope of data collection rule associations).
	ClusterID pulumi.StringOutput
	// Provider creates resources on the cluster.
	Provider *kubernetes.Provider
	// KeyVaultID is the ARM ID of the Key Vault holding the KMS key.
	KeyVaultID pulumi.StringOutput
	// Info is the cloud-neutral view of the cluster.
	Info cluster.Info
}

// Scheduling is what a platform pod carries to land on the workload pool: the pool's label as node
// selector (the system pool is tainted CriticalAddonsOnly=true:NoSchedule and takes only add-ons), and
// the spot taint's toleration when the pool runs on Spot.
func Scheduling(workload cluster.NodePool) cluster.Scheduling {
	s := cluster.Scheduling{NodeSelector: map[string]string{PoolLabel: WorkloadPool}}
	if workload.Spot {
		s.Tolerations = []cluster.Toleration{{Key: SpotTaintKey, Operator: "Equal", Value: SpotTaintValue, Effect: "NoSchedule"}}
	}
	return s
}

// NewCluster creates the AKS cluster, its identity, log workspace, workload pool, Kubernetes provider
// and StorageClasses.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	dnsIP, err := args.validate(name)
	if err != nil {
		return nil, err
	}
	comp := &Cluster{}
	props := pulumi.Map{
		"resourceGroupName":  args.ResourceGroupName,
		"location":           pulumi.String(args.Location),
		"kubernetesVersion":  pulumi.String(args.KubernetesVersion),
		"subnetId":           args.SubnetID,
		"privateCluster":     pulumi.Bool(args.PrivateCluster),
		"authorizedIpRanges": pulumi.ToStringArray(args.AuthorizedIPRanges),
		"zones":              pulumi.ToStringArray(args.Zones),
		"systemPool":         args.SystemPool.Props(),
		"workloadPool":       args.WorkloadPool.Props(),
		"serviceCidr":        pulumi.String(args.ServiceCIDR),
		"podCidr":            pulumi.String(args.PodCIDR),
		"storageClasses":     pulumi.StringMap{"fastSsd": pulumi.String(args.StorageClasses.FastSSD), "standard": pulumi.String(args.StorageClasses.Standard)},
		"retainVolumes":      pulumi.Bool(args.RetainVolumes),
		"logRetentionDays":   pulumi.Int(args.LogRetentionDays),
		"productionTier":     pulumi.Bool(args.ProductionTier),
		"encryptionAtHost":   pulumi.Bool(args.EncryptionAtHost),
		"admins":             pulumi.ToStringArray(args.Admins),
		"keyVaultName":       pulumi.String(args.KeyVaultName),
		"protect":            pulumi.Bool(args.Protect),
		"tags":               pulumi.ToStringMap(args.Tags),
	}
	if err := ctx.RegisterComponentResourceV2(ClusterType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	disposable := pulumi.Protect(false)
	stateful := pulumi.Protect(args.Protect)
	base := baseName(name)
	location := pulumi.String(args.Location)
	tags := pulumi.ToStringMap(args.Tags)

	identity, err := managedidentity.NewUserAssignedIdentity(ctx, name+"-identity", &managedidentity.UserAssignedIdentityArgs{
		ResourceName:      pulumi.String(base + "-control-plane"),
		ResourceGroupName: args.ResourceGroupName,
		Location:          location,
		Tags:              tags,
	}, parent, disposable)
	if err != nil {
		return nil, err
	}

	client := authorization.GetClientConfigOutput(ctx, parent)
	roleID := func(guid string) pulumi.StringOutput {
		return client.SubscriptionId().ApplyT(func(sub string) string {
			return "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + guid
		}).(pulumi.StringOutput)
	}
	networkContributor := roleID(NetworkContributorRole)
	subnetRole, err := authorization.NewRoleAssignment(ctx, name+"-subnet-network-contributor", &authorization.RoleAssignmentArgs{
		RoleAssignmentName: azurerbac.AssignmentName(args.SubnetID.ToStringOutput(), identity.PrincipalId, networkContributor),
		PrincipalId:        identity.PrincipalId,
		// ServicePrincipal skips the directory lookup that fails while a new identity replicates.
		PrincipalType:    pulumi.String("ServicePrincipal"),
		RoleDefinitionId: networkContributor,
		Scope:            args.SubnetID,
	}, parent, disposable)
	if err != nil {
		return nil, err
	}

	kms, err := newKMS(ctx, name, base, args, identity, roleID, parent, stateful, disposable)
	if err != nil {
		return nil, err
	}
	admins, err := newAdmins(ctx, name, args, roleID(RBACClusterAdminRole), parent, disposable)
	if err != nil {
		return nil, err
	}

	workspace, err := operationalinsights.NewWorkspace(ctx, name+"-logs", &operationalinsights.WorkspaceArgs{
		WorkspaceName:     pulumi.String(base + "-logs"),
		ResourceGroupName: args.ResourceGroupName,
		Location:          location,
		Sku:               &operationalinsights.WorkspaceSkuArgs{Name: pulumi.String("PerGB2018")},
		RetentionInDays:   pulumi.Int(args.LogRetentionDays),
		Tags:              tags,
	}, parent, disposable)
	if err != nil {
		return nil, err
	}

	zones := zonesInput(args.Zones)
	tier := "Free"
	if args.ProductionTier {
		tier = "Standard"
	}
	access := &containerservice.ManagedClusterAPIServerAccessProfileArgs{}
	if args.PrivateCluster {
		access.EnablePrivateCluster = pulumi.Bool(true)
		access.PrivateDNSZone = pulumi.String("system")
		// The "system" private zone is linked to this VNet only. The public FQDN is an A record of the
		// private address in Azure public DNS (AKS's default for private clusters): operators and CI in
		// peered or VPN-connected networks resolve it without a DNS forwarder, and it leads nowhere
		// outside the private network. learn.microsoft.com/azure/aks/private-clusters.
		access.EnablePrivateClusterPublicFQDN = pulumi.Bool(true)
	} else {
		access.EnablePrivateCluster = pulumi.Bool(false)
		access.AuthorizedIPRanges = authorizedRanges(args.AuthorizedIPRanges, args.EgressIP)
	}
	sys := args.SystemPool
	mc, err := containerservice.NewManagedCluster(ctx, name+"-aks", &containerservice.ManagedClusterArgs{
		ResourceName:      pulumi.String(base),
		ResourceGroupName: args.ResourceGroupName,
		Location:          location,
		DnsPrefix:         pulumi.String(base),
		KubernetesVersion: pulumi.String(args.KubernetesVersion),
		Sku:               &containerservice.ManagedClusterSKUArgs{Name: pulumi.String("Base"), Tier: pulumi.String(tier)},
		Identity: &containerservice.ManagedClusterIdentityArgs{
			Type:                   containerservice.ResourceIdentityTypeUserAssigned,
			UserAssignedIdentities: pulumi.StringArray{identity.ID().ToStringOutput()},
		},
		EnableRBAC:           pulumi.Bool(true),
		DisableLocalAccounts: pulumi.Bool(true),
		AadProfile: &containerservice.ManagedClusterAADProfileArgs{
			Managed:         pulumi.Bool(true),
			EnableAzureRBAC: pulumi.Bool(true),
		},
		OidcIssuerProfile: &containerservice.ManagedClusterOIDCIssuerProfileArgs{Enabled: pulumi.Bool(true)},
		SecurityProfile: &containerservice.ManagedClusterSecurityProfileArgs{
			WorkloadIdentity: &containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs{Enabled: pulumi.Bool(true)},
			// Secrets in etcd are encrypted with the Key Vault key (KMS v2). containerservice
			// v20240901 pulumiTypes.go AzureKeyVaultKmsArgs: keyId is the versioned key identifier;
			// keyVaultNetworkAccess "Private" needs API Server VNet Integration, which this API version
			// cannot enable, so the vault is Public (and, per the AKS docs, without a firewall).
			AzureKeyVaultKms: &containerservice.AzureKeyVaultKmsArgs{
				Enabled:               pulumi.Bool(true),
				KeyId:                 kms.keyID,
				KeyVaultNetworkAccess: pulumi.String("Public"),
			},
		},
		ApiServerAccessProfile: access,
		AddonProfiles:          addonProfiles(args, workspace),
		AutoUpgradeProfile: &containerservice.ManagedClusterAutoUpgradeProfileArgs{
			UpgradeChannel:       pulumi.String("patch"),
			NodeOSUpgradeChannel: pulumi.String("NodeImage"),
		},
		NetworkProfile: &containerservice.ContainerServiceNetworkProfileArgs{
			NetworkPlugin:     pulumi.String("azure"),
			NetworkPluginMode: pulumi.String("overlay"),
			NetworkDataplane:  pulumi.String("cilium"),
			NetworkPolicy:     pulumi.String("cilium"),
			PodCidr:           pulumi.String(args.PodCIDR),
			ServiceCidr:       pulumi.String(args.ServiceCIDR),
			DnsServiceIP:      pulumi.String(dnsIP),
			OutboundType:      pulumi.String("userAssignedNATGateway"),
			LoadBalancerSku:   pulumi.String("standard"),
		},
		StorageProfile: &containerservice.ManagedClusterStorageProfileArgs{
			DiskCSIDriver: &containerservice.ManagedClusterStorageProfileDiskCSIDriverArgs{Enabled: pulumi.Bool(true)},
		},
		AgentPoolProfiles: containerservice.ManagedClusterAgentPoolProfileArray{&containerservice.ManagedClusterAgentPoolProfileArgs{
			Name:                   pulumi.String("system"),
			Mode:                   pulumi.String("System"),
			Type:                   pulumi.String("VirtualMachineScaleSets"),
			OsType:                 pulumi.String("Linux"),
			VmSize:                 pulumi.String(sys.MachineType),
			OrchestratorVersion:    pulumi.String(args.KubernetesVersion),
			EnableAutoScaling:      pulumi.Bool(true),
			Count:                  pulumi.Int(sys.MinNodes),
			MinCount:               pulumi.Int(sys.MinNodes),
			MaxCount:               pulumi.Int(sys.MaxNodes),
			AvailabilityZones:      zones,
			OsDiskSizeGB:           pulumi.Int(sys.DiskSizeGiB),
			OsDiskType:             pulumi.String(osDiskType(sys.MachineType, sys.DiskSizeGiB)),
			EnableEncryptionAtHost: pulumi.Bool(args.EncryptionAtHost),
			VnetSubnetID:           args.SubnetID,
			// Only critical add-ons (CoreDNS, konnectivity, CSI) schedule here; workloads go elsewhere.
			NodeTaints: pulumi.StringArray{pulumi.String("CriticalAddonsOnly=true:NoSchedule")},
			NodeLabels: pulumi.StringMap{"dataplatform.io/pool": pulumi.String("system")},
			Tags:       tags,
		}},
		Tags: tags,
	}, parent, stateful,
		// The control plane must be able to join the subnet and use the KMS key before AKS validates
		// them; the admins' assignments are created first so they propagate (up to 5 minutes) while the
		// cluster is being created, and the first namespaces do not meet a 403.
		pulumi.DependsOn(append([]pulumi.Resource{subnetRole, kms.role}, resourcesOf(admins)...)),
		// The autoscaler owns the node count after creation; re-applying the initial count would scale
		// the pool back down.
		pulumi.IgnoreChanges([]string{"agentPoolProfiles[0].count"}))
	if err != nil {
		return nil, err
	}

	wl := args.WorkloadPool
	wlName := args.WorkloadPoolName
	if wlName == "" {
		wlName = WorkloadPoolName(wl, args.Zones, args.EncryptionAtHost)
	}
	poolArgs := &containerservice.AgentPoolArgs{
		AgentPoolName:          pulumi.String(wlName),
		ResourceName:           mc.Name,
		ResourceGroupName:      args.ResourceGroupName,
		Mode:                   pulumi.String("User"),
		Type:                   pulumi.String("VirtualMachineScaleSets"),
		OsType:                 pulumi.String(poolOSType),
		OsSKU:                  pulumi.String(poolOSSKU),
		VmSize:                 pulumi.String(wl.MachineType),
		OrchestratorVersion:    pulumi.String(args.KubernetesVersion),
		EnableAutoScaling:      pulumi.Bool(true),
		Count:                  pulumi.Int(wl.MinNodes),
		MinCount:               pulumi.Int(wl.MinNodes),
		MaxCount:               pulumi.Int(wl.MaxNodes),
		AvailabilityZones:      zones,
		OsDiskSizeGB:           pulumi.Int(wl.DiskSizeGiB),
		OsDiskType:             pulumi.String(osDiskType(wl.MachineType, wl.DiskSizeGiB)),
		EnableEncryptionAtHost: pulumi.Bool(args.EncryptionAtHost),
		VnetSubnetID:           args.SubnetID,
		NodeLabels:             pulumi.StringMap{PoolLabel: pulumi.String(WorkloadPool)},
		Tags:                   tags,
	}
	if wl.Spot {
		// Delete (not Deallocate) frees quota at eviction; -1 pays up to the on-demand price, so nodes
		// are evicted for capacity only, never for price.
		poolArgs.ScaleSetPriority = pulumi.String("Spot")
		poolArgs.ScaleSetEvictionPolicy = pulumi.String("Delete")
		poolArgs.SpotMaxPrice = pulumi.Float64(-1)
	}
	// The logical name carries the pool name too: a changed pool is a new resource, created before the
	// old one is deleted at the end of the update (azure-native replaces an explicitly named resource
	// delete-first, which would leave the workloads without nodes until the new pool is up).
	if _, err := containerservice.NewAgentPool(ctx, name+"-"+wlName, poolArgs, parent, disposable,
		pulumi.IgnoreChanges([]string{"count"})); err != nil {
		return nil, err
	}

	logs := insights.LogSettingsArray{}
	for _, c := range ControlPlaneLogCategories {
		logs = append(logs, &insights.LogSettingsArgs{Category: pulumi.String(c), Enabled: pulumi.Bool(true)})
	}
	if _, err := insights.NewDiagnosticSetting(ctx, name+"-diagnostics", &insights.DiagnosticSettingArgs{
		Name:        pulumi.String(base + "-control-plane"),
		ResourceUri: mc.ID().ToStringOutput(),
		WorkspaceId: workspace.ID().ToStringOutput(),
		// Resource-specific tables (AKSAudit, AKSControlPlane): cheaper and typed.
		LogAnalyticsDestinationType: pulumi.String("Dedicated"),
		Logs:                        logs,
	}, parent, disposable); err != nil {
		return nil, err
	}

	creds := containerservice.ListManagedClusterUserCredentialsOutput(ctx, containerservice.ListManagedClusterUserCredentialsOutputArgs{
		ResourceName:      mc.Name,
		ResourceGroupName: args.ResourceGroupName,
		Format:            pulumi.String("exec"),
		ServerFqdn:        serverFqdn(args.PrivateCluster),
	}, parent)
	// The kubeconfig waits for every cluster-admin assignment (the deployer's among them), so nothing
	// is applied on the cluster before the deployer may.
	ready := []any{mc.Name, creds.Kubeconfigs()}
	for _, a := range admins {
		ready = append(ready, a.ID())
	}
	kubeconfig := pulumi.All(ready...).ApplyT(func(v []any) (string, error) {
		kcs := v[1].([]containerservice.CredentialResultResponse)
		if len(kcs) == 0 {
			return "", fmt.Errorf("aks %q: AKS returned no user kubeconfig", name)
		}
		return kubeconfigFromCredentials(v[0].(string), kcs[0].Value, args.KubeloginMode)
	}).(pulumi.StringOutput)

	// The provider gets the plain kubeconfig: it carries no credential (kubelogin fetches short-lived
	// tokens at use; server and CA are not secret), and the harness cannot record a secret that is
	// still unknown in preview. The component's output is the secret one.
	provider, err := kubernetes.NewProvider(ctx, name+"-k8s", &kubernetes.ProviderArgs{Kubeconfig: kubeconfig}, parent)
	if err != nil {
		return nil, err
	}

	classes := cluster.StorageClasses{FastSSD: args.StorageClasses.FastSSD, Standard: args.StorageClasses.Standard}
	premium, standard := "Premium_LRS", "StandardSSD_LRS"
	if len(args.Zones) > 0 {
		// Zone-redundant disks survive a zone outage and let a pod move to another zone with its volume.
		premium, standard = "Premium_ZRS", "StandardSSD_ZRS"
	}
	if err := cluster.NewStorageClasses(ctx, name, comp, provider, []cluster.StorageClassSpec{
		{Name: classes.FastSSD, Provisioner: "disk.csi.azure.com", Parameters: map[string]string{"skuName": premium}, Retain: args.RetainVolumes},
		{Name: classes.Standard, Provisioner: "disk.csi.azure.com", Parameters: map[string]string{"skuName": standard}, Retain: args.RetainVolumes, Default: true},
	}); err != nil {
		return nil, err
	}

	// Public clusters, and private ones through their public FQDN (the private address in public
	// DNS), are reached on mc.Fqdn.
	fqdn := mc.Fqdn
	comp.Name = mc.Name
	comp.Endpoint = pulumi.Sprintf("https://%s", fqdn)
	comp.Kubeconfig = pulumi.ToSecret(kubeconfig).(pulumi.StringOutput)
	comp.OIDCIssuerURL = mc.OidcIssuerProfile.IssuerURL().Elem()
	comp.KubeletIdentityObjectID = mc.IdentityProfile.ApplyT(func(p map[string]containerservice.UserAssignedIdentityResponse) string {
		if k, ok := p["kubeletidentity"]; ok && k.ObjectId != nil {
			return *k.ObjectId
		}
		return ""
	}).(pulumi.StringOutput)
	comp.ControlPlaneIdentityID = identity.ID().ToStringOutput()
	comp.ControlPlanePrincipalID = identity.PrincipalId
	// containerservice v2.82.0 managedCluster.go NodeResourceGroup: "The name of the resource group
	// containing agent pool nodes", in the cluster's subscription.
	comp.NodeResourceGroupID = pulumi.All(mc.ID(), mc.NodeResourceGroup).ApplyT(func(v []any) string {
		sub := strings.SplitN(strings.TrimPrefix(string(v[0].(pulumi.ID)), "/"), "/", 3)
		rg := ""
		if p, ok := v[1].(*string); ok && p != nil {
			rg = *p
		}
		if len(sub) < 2 {
			return ""
		}
		return "/subscriptions/" + sub[1] + "/resourceGroups/" + rg
	}).(pulumi.StringOutput)
	comp.LogAnalyticsWorkspaceID = workspace.ID().ToStringOutput()
	comp.LogAnalyticsWorkspaceName = workspace.Name
	comp.ClusterID = mc.ID().ToStringOutput()
	comp.KeyVaultID = kms.vaultID
	comp.Provider = provider
	comp.Info = cluster.Info{
		Name:           comp.Name,
		Endpoint:       comp.Endpoint,
		Kubeconfig:     comp.Kubeconfig,
		Provider:       provider,
		StorageClasses: classes,
		Identity: cluster.WorkloadIdentity{
			Mechanism:     cluster.AzureWorkloadIdentity,
			OIDCIssuerURL: comp.OIDCIssuerURL,
		},
		Scheduling: Scheduling(args.WorkloadPool),
	}

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"name":                    comp.Name,
		"endpoint":                comp.Endpoint,
		"kubeconfig":              comp.Kubeconfig,
		"oidcIssuerUrl":           comp.OIDCIssuerURL,
		"kubeletIdentityObjectId": comp.KubeletIdentityObjectID,
		"controlPlaneIdentityId":  comp.ControlPlaneIdentityID,
		"nodeResourceGroupId":     comp.NodeResourceGroupID,
		"logAnalyticsWorkspaceId": comp.LogAnalyticsWorkspaceID,
		"keyVaultId":              comp.KeyVaultID,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// MonitoringAddon is the AKS monitoring add-on's key in addonProfiles, and its configuration keys
// (Azure/azure-cli@010cc060 src/azure-cli/azure/cli/command_modules/acs/_consts.py
// CONST_MONITORING_ADDON_NAME "omsagent", CONST_MONITORING_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID
// "logAnalyticsWorkspaceResourceID", CONST_MONITORING_USING_AAD_MSI_AUTH "useAADAuth").
const (
	MonitoringAddon        = "omsagent"
	monitoringWorkspaceKey = "logAnalyticsWorkspaceResourceID"
	monitoringAADAuthKey   = "useAADAuth"
)

// addonProfiles turns on the monitoring add-on with ContainerInsights (containerservice
// v2.82.0 v20240901 pulumiTypes.go ManagedClusterAddonProfileArgs: Config map, Enabled). With
// useAADAuth the agent authenticates with the add-on's managed identity and reads its data
// collection rule through the rule's association with the cluster (the "aad_route" of the CLI's
// addonconfiguration.py), instead of the workspace's shared key. Unset otherwise: AKS then leaves the
// add-on off (an absent profile is "not enabled").
func addonProfiles(a *ClusterArgs, workspace *operationalinsights.Workspace) containerservice.ManagedClusterAddonProfileMap {
	if !a.ContainerInsights {
		return nil
	}
	return containerservice.ManagedClusterAddonProfileMap{
		MonitoringAddon: &containerservice.ManagedClusterAddonProfileArgs{
			Enabled: pulumi.Bool(true),
			Config: pulumi.StringMap{
				monitoringWorkspaceKey: workspace.ID().ToStringOutput(),
				monitoringAADAuthKey:   pulumi.String("true"),
			},
		},
	}
}

// zonesInput leaves the property unset without zones: AKS treats an absent list as "no zones".
func zonesInput(zones []string) pulumi.StringArrayInput {
	if len(zones) == 0 {
		return nil
	}
	return pulumi.ToStringArray(zones)
}
