package aks

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/internal/azurerbac"
	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	tMC       = "azure-native:containerservice/v20240901:ManagedCluster"
	tPool     = "azure-native:containerservice/v20240901:AgentPool"
	tRA       = "azure-native:authorization:RoleAssignment"
	tWS       = "azure-native:operationalinsights:Workspace"
	tDiag     = "azure-native:insights:DiagnosticSetting"
	tUAI      = "azure-native:managedidentity:UserAssignedIdentity"
	tSubnet   = "azure-native:network:Subnet"
	tZone     = "azure-native:network:PrivateZone"
	tLink     = "azure-native:network:VirtualNetworkLink"
	tSC       = "kubernetes:storage.k8s.io/v1:StorageClass"
	tK8sProv  = "pulumi:providers:kubernetes"
	subPrefix = "/subscriptions/" + mockcloud.AzureSubscriptionID
)

// prodArgs mirrors config.Defaults(Azure, Prod); devArgs mirrors Dev.
func prodArgs(net *azurevnet.Network) *ClusterArgs {
	return &ClusterArgs{
		ResourceGroupName:       net.ResourceGroupName,
		ResourceGroupID:         net.ResourceGroupID,
		KeyVaultName:            "kv-dataplatform-1a2b3c",
		KeyVaultPurgeProtection: true,
		Location:                "swedencentral",
		KubernetesVersion:       "1.34",
		SubnetID:                net.AksSubnetID,
		PrivateCluster:          true,
		Zones:                   []string{"1", "2", "3"},
		SystemPool:              cluster.NodePool{MachineType: "Standard_D2s_v5", MinNodes: 3, MaxNodes: 4, DiskSizeGiB: 50},
		WorkloadPool:            cluster.NodePool{MachineType: "Standard_D16s_v5", MinNodes: 3, MaxNodes: 12, DiskSizeGiB: 200},
		ServiceCIDR:             "172.20.0.0/16",
		PodCIDR:                 "10.64.0.0/14",
		StorageClasses:          cluster.StorageClasses{FastSSD: "fast-ssd", Standard: "standard"},
		RetainVolumes:           true,
		LogRetentionDays:        90,
		ProductionTier:          true,
		Tags:                    map[string]string{"environment": "prod"},
	}
}

func devArgs(net *azurevnet.Network) *ClusterArgs {
	a := prodArgs(net)
	a.PrivateCluster = false
	a.AuthorizedIPRanges = []string{"203.0.113.0/24", "198.51.100.7"}
	a.EgressIP = net.NatPublicIP
	a.KeyVaultPurgeProtection = false
	a.Zones = nil
	a.SystemPool = cluster.NodePool{MachineType: "Standard_D2s_v5", MinNodes: 1, MaxNodes: 2, DiskSizeGiB: 50}
	a.WorkloadPool = cluster.NodePool{MachineType: "Standard_D4ds_v5", MinNodes: 1, MaxNodes: 3, DiskSizeGiB: 100, Spot: true}
	a.RetainVolumes = false
	a.LogRetentionDays = 30
	a.ProductionTier = false
	return a
}

// deploy builds the network and the cluster in one program, as the stack does.
func deploy(t *testing.T, preview bool, argsFor func(*azurevnet.Network) *ClusterArgs) (*mockcloud.Mocks, *Cluster) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	var c *Cluster
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String("swedencentral")})
		if err != nil {
			return err
		}
		net, err := azurevnet.NewNetwork(ctx, "net", &azurevnet.NetworkArgs{
			Location: "swedencentral", ResourceGroupName: "dataplatform-prod", CIDR: "10.40.0.0/16", PodCIDR: "10.64.0.0/14",
		}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		c, err = NewCluster(ctx, "aks", argsFor(net), pulumi.Provider(p))
		return err
	}, nil)
	require.NoError(t, err)
	require.NotNil(t, c)
	return m, c
}

func systemPool(t *testing.T, mc *mockcloud.Resource) resource.PropertyMap {
	t.Helper()
	pools := inspect.RequireAt(t, mc.Inputs, "agentPoolProfiles").ArrayValue()
	require.Len(t, pools, 1, "the ManagedCluster holds the system pool only; workloads is an AgentPool")
	return pools[0].ObjectValue()
}

// workloadPool is the one AgentPool; its logical and physical names carry the hash of its immutable
// settings.
func workloadPool(t *testing.T, m *mockcloud.Mocks) *mockcloud.Resource {
	t.Helper()
	pools := m.ByType(tPool)
	require.Len(t, pools, 1)
	return pools[0]
}

func TestProdCluster(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, prodArgs)
		mc := inspect.MustNamed(t, m, tMC, "aks-aks")
		in := mc.Inputs

		// API server: private, no authorized ranges, Entra ID only.
		assert.True(t, inspect.RequireBool(t, in, "apiServerAccessProfile", "enablePrivateCluster"))
		assert.False(t, inspect.HasKey(inspect.RequireAt(t, in, "apiServerAccessProfile").ObjectValue(), "authorizedIPRanges"))
		assert.True(t, inspect.RequireBool(t, in, "disableLocalAccounts"))
		assert.True(t, inspect.RequireBool(t, in, "aadProfile", "managed"))
		assert.True(t, inspect.RequireBool(t, in, "aadProfile", "enableAzureRBAC"))
		assert.True(t, inspect.RequireBool(t, in, "enableRBAC"))

		// Workload identity.
		assert.True(t, inspect.RequireBool(t, in, "oidcIssuerProfile", "enabled"))
		assert.False(t, inspect.HasKey(inspect.RequireAt(t, in, "oidcIssuerProfile").ObjectValue(), "issuerURL"), "the issuer URL is computed, never an input")
		// The KMS key's versioned URI is unknown until the key exists, and with it the whole
		// securityProfile in preview.
		if preview {
			assert.True(t, inspect.DependsOnInput(mc, "securityProfile", inspect.MustNamed(t, m, "azure-native:keyvault:Key", "aks-kms-key")))
		} else {
			assert.True(t, inspect.RequireBool(t, in, "securityProfile", "workloadIdentity", "enabled"))
		}

		// Azure CNI Overlay with Cilium, NAT gateway egress.
		assert.Equal(t, "azure", inspect.RequireStr(t, in, "networkProfile", "networkPlugin"))
		assert.Equal(t, "overlay", inspect.RequireStr(t, in, "networkProfile", "networkPluginMode"))
		assert.Equal(t, "cilium", inspect.RequireStr(t, in, "networkProfile", "networkDataplane"))
		assert.Equal(t, "cilium", inspect.RequireStr(t, in, "networkProfile", "networkPolicy"))
		assert.Equal(t, "userAssignedNATGateway", inspect.RequireStr(t, in, "networkProfile", "outboundType"))
		assert.Equal(t, "10.64.0.0/14", inspect.RequireStr(t, in, "networkProfile", "podCidr"))
		assert.Equal(t, "172.20.0.0/16", inspect.RequireStr(t, in, "networkProfile", "serviceCidr"))
		assert.Equal(t, "172.20.0.10", inspect.RequireStr(t, in, "networkProfile", "dnsServiceIP"))

		assert.Equal(t, "patch", inspect.RequireStr(t, in, "autoUpgradeProfile", "upgradeChannel"))
		assert.Equal(t, "NodeImage", inspect.RequireStr(t, in, "autoUpgradeProfile", "nodeOSUpgradeChannel"))
		assert.Equal(t, "Standard", inspect.RequireStr(t, in, "sku", "tier"))
		assert.Equal(t, "1.34", inspect.RequireStr(t, in, "kubernetesVersion"))
		assert.Equal(t, "aks", inspect.RequireStr(t, in, "resourceName"))

		// Control plane identity.
		identity := inspect.MustNamed(t, m, tUAI, "aks-identity")
		assert.Equal(t, "UserAssigned", inspect.RequireStr(t, in, "identity", "type"))
		assert.True(t, inspect.DependsOnInput(mc, "identity", identity))

		// System pool.
		sys := systemPool(t, mc)
		assert.Equal(t, "System", inspect.RequireStr(t, sys, "mode"))
		assert.Equal(t, []string{"CriticalAddonsOnly=true:NoSchedule"}, inspect.RequireStrs(t, sys, "nodeTaints"))
		assert.Equal(t, []string{"1", "2", "3"}, inspect.RequireStrs(t, sys, "availabilityZones"))
		assert.True(t, inspect.RequireBool(t, sys, "enableAutoScaling"))
		assert.Equal(t, 3.0, inspect.RequireNum(t, sys, "minCount"))
		assert.Equal(t, 4.0, inspect.RequireNum(t, sys, "maxCount"))
		assert.Equal(t, "Managed", inspect.RequireStr(t, sys, "osDiskType"), "Standard_D2s_v5 has no local disk for an ephemeral OS disk")
		assert.Equal(t, 50.0, inspect.RequireNum(t, sys, "osDiskSizeGB"))
		assert.Contains(t, mc.IgnoreChanges, "agentPoolProfiles[0].count")

		// Workloads pool: zonal, on demand in prod.
		pool := workloadPool(t, m)
		wlName := WorkloadPoolName(cluster.NodePool{MachineType: "Standard_D16s_v5", MinNodes: 3, MaxNodes: 12, DiskSizeGiB: 200}, []string{"1", "2", "3"}, false)
		assert.Equal(t, "aks-"+wlName, pool.Name)
		assert.Regexp(t, `^wl[0-9a-f]{8}$`, inspect.RequireStr(t, pool.Inputs, "agentPoolName"))
		assert.Equal(t, wlName, inspect.RequireStr(t, pool.Inputs, "agentPoolName"))
		assert.Equal(t, "User", inspect.RequireStr(t, pool.Inputs, "mode"))
		assert.Equal(t, []string{"1", "2", "3"}, inspect.RequireStrs(t, pool.Inputs, "availabilityZones"))
		assert.True(t, inspect.RequireBool(t, pool.Inputs, "enableAutoScaling"))
		assert.Equal(t, 3.0, inspect.RequireNum(t, pool.Inputs, "minCount"))
		assert.Equal(t, 12.0, inspect.RequireNum(t, pool.Inputs, "maxCount"))
		assert.Equal(t, "workloads", inspect.RequireStr(t, pool.Inputs, "nodeLabels", "dataplatform.io/pool"))
		assert.False(t, inspect.HasKey(pool.Inputs, "scaleSetPriority"), "prod workloads must not run on Spot")
		assert.True(t, inspect.DependsOnInput(pool, "resourceName", mc))

		// Both pools sit in the aks subnet.
		net := m.Named(azurevnet.NetworkType, "net")
		require.NotNil(t, net)
		aksSubnet := inspect.MustNamed(t, m, tSubnet, "net-aks")
		assert.True(t, inspect.DependsOnInput(mc, "agentPoolProfiles", aksSubnet))
		assert.True(t, inspect.DependsOnInput(pool, "vnetSubnetID", aksSubnet))
		if !preview {
			assert.Equal(t, aksSubnet.ID, inspect.RequireStr(t, sys, "vnetSubnetID"))
			assert.Equal(t, aksSubnet.ID, inspect.RequireStr(t, pool.Inputs, "vnetSubnetID"))
		}

		// The cluster needs the aks subnet, never the postgres subnet or the private DNS zones.
		assert.True(t, m.DependsOn(mc, aksSubnet))
		assert.False(t, m.DependsOn(mc, inspect.MustNamed(t, m, tSubnet, "net-postgres")))
		assert.False(t, m.DependsOn(mc, inspect.MustNamed(t, m, tSubnet, "net-endpoints")))
		for _, z := range append(m.ByType(tZone), m.ByType(tLink)...) {
			assert.False(t, m.DependsOn(mc, z), "the cluster waits for %s", z.Name)
		}
	})
}

func TestRoleAssignments(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, prodArgs)
		mc := inspect.MustNamed(t, m, tMC, "aks-aks")
		identity := inspect.MustNamed(t, m, tUAI, "aks-identity")
		aksSubnet := inspect.MustNamed(t, m, tSubnet, "net-aks")

		ra := inspect.MustNamed(t, m, tRA, "aks-subnet-network-contributor")
		assert.Equal(t, subPrefix+"/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7",
			inspect.RequireStr(t, ra.Inputs, "roleDefinitionId"))
		assert.Equal(t, "ServicePrincipal", inspect.RequireStr(t, ra.Inputs, "principalType"))
		assert.True(t, inspect.DependsOnInput(ra, "scope", aksSubnet), "scoped to the aks subnet")
		assert.True(t, inspect.DependsOnInput(ra, "principalId", identity))
		assert.True(t, m.DependsOn(mc, ra), "the cluster waits for its subnet permission")
		if !preview {
			assert.Equal(t, aksSubnet.ID, inspect.RequireStr(t, ra.Inputs, "scope"))
			assert.Equal(t, inspect.RequireStr(t, identity.Outputs, "principalId"), inspect.RequireStr(t, ra.Inputs, "principalId"))
			assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, inspect.RequireStr(t, ra.Inputs, "roleAssignmentName"))
		}

		admin := inspect.MustNamed(t, m, tRA, "aks-deployer-cluster-admin")
		assert.Equal(t, subPrefix+"/providers/Microsoft.Authorization/roleDefinitions/"+RBACClusterAdminRole, inspect.RequireStr(t, admin.Inputs, "roleDefinitionId"))
		assert.Equal(t, "00000000-0000-4000-8000-00000000000d", inspect.RequireStr(t, admin.Inputs, "principalId"), "the deploying principal")
		// Scoped to the resource group (it holds this cluster only), so the assignment is created, and
		// propagates, while the cluster is being created.
		assert.True(t, inspect.DependsOnInput(admin, "scope", inspect.MustNamed(t, m, "azure-native:resources:ResourceGroup", "net-rg")))
		assert.True(t, m.DependsOn(mc, admin), "the cluster is created after the admin assignment")

		// Nothing is applied on the cluster before the deployer may: the provider waits for the role.
		assert.True(t, m.DependsOn(inspect.MustNamed(t, m, tK8sProv, "aks-k8s"), admin))
	})
}

func TestLogsAndDiagnostics(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, c := deploy(t, preview, prodArgs)
		mc := inspect.MustNamed(t, m, tMC, "aks-aks")
		ws := inspect.MustNamed(t, m, tWS, "aks-logs")
		assert.Equal(t, 90.0, inspect.RequireNum(t, ws.Inputs, "retentionInDays"))
		assert.Equal(t, "PerGB2018", inspect.RequireStr(t, ws.Inputs, "sku", "name"))

		diag := inspect.MustNamed(t, m, tDiag, "aks-diagnostics")
		assert.True(t, inspect.DependsOnInput(diag, "resourceUri", mc))
		assert.True(t, inspect.DependsOnInput(diag, "workspaceId", ws))
		var categories []string
		for _, l := range inspect.RequireAt(t, diag.Inputs, "logs").ArrayValue() {
			assert.True(t, inspect.RequireBool(t, l.ObjectValue(), "enabled"))
			categories = append(categories, inspect.RequireStr(t, l.ObjectValue(), "category"))
		}
		sort.Strings(categories)
		assert.Equal(t, []string{"guard", "kube-apiserver", "kube-audit-admin", "kube-controller-manager"}, categories)
		if !preview {
			assert.Equal(t, mc.ID, inspect.RequireStr(t, diag.Inputs, "resourceUri"))
			assert.Equal(t, ws.ID, inspect.RequireStr(t, diag.Inputs, "workspaceId"))
			assert.Equal(t, ws.ID, inspect.Await(t, c.LogAnalyticsWorkspaceID).Value)
		}
	})
}

func TestStorageClassesProd(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, c := deploy(t, preview, prodArgs)
		comp := inspect.MustNamed(t, m, ClusterType, "aks")
		prov := inspect.MustNamed(t, m, tK8sProv, "aks-k8s")
		assert.Equal(t, comp.URN, prov.Parent)
		scs := m.ByType(tSC)
		require.Len(t, scs, 2)
		fast := inspect.MustNamed(t, m, tSC, "aks-sc-fast-ssd")
		std := inspect.MustNamed(t, m, tSC, "aks-sc-standard")
		for _, sc := range scs {
			assert.Equal(t, comp.URN, sc.Parent)
			assert.Contains(t, sc.Provider, prov.URN, "%s uses the cluster's provider", sc.Name)
			assert.Equal(t, "disk.csi.azure.com", inspect.RequireStr(t, sc.Inputs, "provisioner"))
			assert.Equal(t, "Retain", inspect.RequireStr(t, sc.Inputs, "reclaimPolicy"))
			assert.Equal(t, "WaitForFirstConsumer", inspect.RequireStr(t, sc.Inputs, "volumeBindingMode"))
		}
		assert.Equal(t, "Premium_ZRS", inspect.RequireStr(t, fast.Inputs, "parameters", "skuName"))
		assert.Equal(t, "StandardSSD_ZRS", inspect.RequireStr(t, std.Inputs, "parameters", "skuName"))
		assert.Equal(t, "true", inspect.RequireStr(t, std.Inputs, "metadata", "annotations", "storageclass.kubernetes.io/is-default-class"))
		assert.False(t, inspect.HasKey(inspect.RequireAt(t, fast.Inputs, "metadata", "annotations").ObjectValue(), "storageclass.kubernetes.io/is-default-class"))
		assert.Equal(t, cluster.StorageClasses{FastSSD: "fast-ssd", Standard: "standard"}, c.Info.StorageClasses)
	})
}

func TestDevCluster(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, c := deploy(t, preview, devArgs)
		mc := inspect.MustNamed(t, m, tMC, "aks-aks")
		in := mc.Inputs
		assert.False(t, inspect.RequireBool(t, in, "apiServerAccessProfile", "enablePrivateCluster"))
		// The NAT gateway's egress IP is authorized beside the user's ranges (its address is unknown in
		// preview, and the mocks allocate none).
		assert.True(t, inspect.DependsOnInput(mc, "apiServerAccessProfile", inspect.MustNamed(t, m, "azure-native:network:PublicIPAddress", "net-nat-ip")))
		if !preview {
			assert.Equal(t, []string{"203.0.113.0/24", "198.51.100.7"}, inspect.RequireStrs(t, in, "apiServerAccessProfile", "authorizedIPRanges"))
		}
		assert.Equal(t, "Free", inspect.RequireStr(t, in, "sku", "tier"))
		assert.True(t, inspect.RequireBool(t, in, "disableLocalAccounts"), "local accounts stay off outside prod too")
		sys := systemPool(t, mc)
		assert.False(t, inspect.HasKey(sys, "availabilityZones"), "no zones requested")

		pool := workloadPool(t, m)
		assert.False(t, inspect.HasKey(pool.Inputs, "availabilityZones"))
		assert.Equal(t, "Spot", inspect.RequireStr(t, pool.Inputs, "scaleSetPriority"))
		assert.Equal(t, "Delete", inspect.RequireStr(t, pool.Inputs, "scaleSetEvictionPolicy"))
		assert.Equal(t, -1.0, inspect.RequireNum(t, pool.Inputs, "spotMaxPrice"))
		assert.Equal(t, "Ephemeral", inspect.RequireStr(t, pool.Inputs, "osDiskType"), "Standard_D4ds_v5 has a 150 GiB local disk")
		assert.Contains(t, pool.IgnoreChanges, "count")

		for _, sc := range m.ByType(tSC) {
			assert.Equal(t, "Delete", inspect.RequireStr(t, sc.Inputs, "reclaimPolicy"))
		}
		assert.Equal(t, "Premium_LRS", inspect.RequireStr(t, inspect.MustNamed(t, m, tSC, "aks-sc-fast-ssd").Inputs, "parameters", "skuName"))
		assert.Equal(t, "StandardSSD_LRS", inspect.RequireStr(t, inspect.MustNamed(t, m, tSC, "aks-sc-standard").Inputs, "parameters", "skuName"))
		assert.Equal(t, 30.0, inspect.RequireNum(t, inspect.MustNamed(t, m, tWS, "aks-logs").Inputs, "retentionInDays"))

		if !preview {
			assert.Equal(t, "https://"+inspect.RequireStr(t, mc.Outputs, "fqdn"), inspect.Await(t, c.Endpoint).Value, "public clusters are reached on the public FQDN")
		}
	})
}

func TestOutputs(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, c := deploy(t, preview, prodArgs)
		mc := inspect.MustNamed(t, m, tMC, "aks-aks")
		assert.Equal(t, cluster.AzureWorkloadIdentity, c.Info.Identity.Mechanism)
		assert.Same(t, c.Provider, c.Info.Provider)

		kc := inspect.Await(t, c.Kubeconfig)
		assert.True(t, kc.Secret, "the kubeconfig must be a secret")
		assert.True(t, inspect.Await(t, c.Info.Kubeconfig).Secret)
		if preview {
			// The cluster does not exist yet: no credentials, no issuer, but no crash either.
			assert.False(t, kc.Known)
			assert.False(t, inspect.Await(t, c.Name).Known)
			assert.False(t, inspect.Await(t, c.ControlPlaneIdentityID).Known)
			return
		}
		assert.Equal(t, "aks", inspect.Await(t, c.Name).Value)
		// Changed: a private cluster is reached on its public FQDN, the private address published in
		// public DNS, which resolves from peered and VPN networks too (the private zone resolves in
		// this VNet only).
		assert.True(t, inspect.RequireBool(t, mc.Inputs, "apiServerAccessProfile", "enablePrivateClusterPublicFQDN"))
		assert.Equal(t, "https://"+inspect.RequireStr(t, mc.Outputs, "fqdn"), inspect.Await(t, c.Endpoint).Value, "private clusters are reached on the public FQDN of their private address")
		issuer := inspect.Await(t, c.OIDCIssuerURL).Value
		assert.Equal(t, inspect.RequireStr(t, mc.Outputs, "oidcIssuerProfile", "issuerURL"), issuer)
		assert.Regexp(t, `^https://swedencentral\.oic\.prod-aks\.azure\.com/`, issuer)
		assert.Equal(t, issuer, inspect.Await(t, c.Info.Identity.OIDCIssuerURL).Value)
		assert.Equal(t, inspect.RequireStr(t, mc.Outputs, "identityProfile", "kubeletidentity", "objectId"), inspect.Await(t, c.KubeletIdentityObjectID).Value)
		assert.NotEmpty(t, inspect.Await(t, c.KubeletIdentityObjectID).Value)
		assert.Equal(t, inspect.MustNamed(t, m, tUAI, "aks-identity").ID, inspect.Await(t, c.ControlPlaneIdentityID).Value)
		assert.Equal(t, []string{inspect.MustNamed(t, m, tUAI, "aks-identity").ID}, inspect.RequireStrs(t, mc.Inputs, "identity", "userAssignedIdentities"))

		// The kubeconfig uses kubelogin non-interactively, for the cluster AKS answered for.
		var cfg struct {
			Clusters []struct {
				Cluster map[string]string `json:"cluster"`
			} `json:"clusters"`
			Users []struct {
				User struct {
					Exec struct {
						Command string   `json:"command"`
						Args    []string `json:"args"`
					} `json:"exec"`
				} `json:"user"`
			} `json:"users"`
		}
		require.NoError(t, json.Unmarshal([]byte(kc.Value.(string)), &cfg))
		require.Len(t, cfg.Clusters, 1)
		assert.Equal(t, "https://aks.hcp.swedencentral.azmk8s.io:443", cfg.Clusters[0].Cluster["server"])
		assert.Equal(t, "TU9DSw==", cfg.Clusters[0].Cluster["certificate-authority-data"])
		require.Len(t, cfg.Users, 1)
		assert.Equal(t, "kubelogin", cfg.Users[0].User.Exec.Command)
		assert.Equal(t, []string{"get-token", "--login", "azurecli", "--server-id", aksServerAppID}, cfg.Users[0].User.Exec.Args)

		// The provider is built from that kubeconfig.
		prov := inspect.MustNamed(t, m, tK8sProv, "aks-k8s")
		assert.Equal(t, kc.Value, inspect.RequireStr(t, prov.Inputs, "kubeconfig"))

		var invoked bool
		for _, inv := range m.Invokes() {
			if inv.Token == "azure-native:containerservice/v20240901:listManagedClusterUserCredentials" {
				invoked = true
				assert.Equal(t, "aks", inv.Args["resourceName"].StringValue())
				assert.Equal(t, "dataplatform-prod", inv.Args["resourceGroupName"].StringValue())
				assert.Equal(t, "public", inv.Args["serverFqdn"].StringValue(), "the kubeconfig names the public FQDN")
			}
		}
		assert.True(t, invoked, "credentials come from listManagedClusterUserCredentials")
	})
}

func TestKubeloginMode(t *testing.T) {
	m, c := deploy(t, false, func(n *azurevnet.Network) *ClusterArgs {
		a := prodArgs(n)
		a.KubeloginMode = "workloadidentity"
		return a
	})
	require.NotNil(t, m)
	assert.Contains(t, inspect.Await(t, c.Kubeconfig).Value, `"--login","workloadidentity"`)
}

func TestValidation(t *testing.T) {
	type mutate func(a *ClusterArgs)
	cases := map[string]struct {
		name string
		f    mutate
		want []string
	}{
		"nil rg":             {"aks", func(a *ClusterArgs) { a.ResourceGroupName = nil }, []string{"ResourceGroupName"}},
		"nil subnet":         {"aks", func(a *ClusterArgs) { a.SubnetID = nil }, []string{"SubnetID"}},
		"bad name":           {"***", func(a *ClusterArgs) {}, []string{`"***"`, "name"}},
		"bad location":       {"aks", func(a *ClusterArgs) { a.Location = "West Europe" }, []string{"Location", "West Europe"}},
		"bad version":        {"aks", func(a *ClusterArgs) { a.KubernetesVersion = "latest" }, []string{"KubernetesVersion", "latest", "1.34"}},
		"public no ranges":   {"aks", func(a *ClusterArgs) { a.PrivateCluster = false }, []string{"AuthorizedIPRanges", "PrivateCluster"}},
		"private and ranges": {"aks", func(a *ClusterArgs) { a.AuthorizedIPRanges = []string{"203.0.113.0/24"} }, []string{"AuthorizedIPRanges", "203.0.113.0/24", "PrivateCluster"}},
		"open range": {"aks", func(a *ClusterArgs) {
			a.PrivateCluster, a.AuthorizedIPRanges = false, []string{"0.0.0.0/0"}
		}, []string{"AuthorizedIPRanges", "0.0.0.0/0"}},
		"bad range": {"aks", func(a *ClusterArgs) {
			a.PrivateCluster, a.AuthorizedIPRanges = false, []string{"office"}
		}, []string{"AuthorizedIPRanges", "office"}},
		"bad zone":         {"aks", func(a *ClusterArgs) { a.Zones = []string{"1", "4"} }, []string{"Zones", `"4"`}},
		"dup zone":         {"aks", func(a *ClusterArgs) { a.Zones = []string{"1", "1"} }, []string{"Zones", "twice"}},
		"system pool":      {"aks", func(a *ClusterArgs) { a.SystemPool.MachineType = "" }, []string{"SystemPool", "MachineType"}},
		"workload min":     {"aks", func(a *ClusterArgs) { a.WorkloadPool.MinNodes = 0 }, []string{"WorkloadPool", "MinNodes"}},
		"workload max":     {"aks", func(a *ClusterArgs) { a.WorkloadPool.MaxNodes = 2000 }, []string{"WorkloadPool", "MaxNodes = 2000"}},
		"disk too big":     {"aks", func(a *ClusterArgs) { a.WorkloadPool.DiskSizeGiB = 4096 }, []string{"WorkloadPool", "DiskSizeGiB = 4096"}},
		"spot system":      {"aks", func(a *ClusterArgs) { a.SystemPool.Spot = true }, []string{"SystemPool", "Spot"}},
		"service not cidr": {"aks", func(a *ClusterArgs) { a.ServiceCIDR = "172.20.0.0" }, []string{"ServiceCIDR", "172.20.0.0"}},
		"service host":     {"aks", func(a *ClusterArgs) { a.ServiceCIDR = "172.20.0.1/16" }, []string{"ServiceCIDR", "host bits"}},
		"service huge":     {"aks", func(a *ClusterArgs) { a.ServiceCIDR = "172.0.0.0/8" }, []string{"ServiceCIDR", "/12"}},
		"service reserved": {"aks", func(a *ClusterArgs) { a.ServiceCIDR = "172.31.0.0/16" }, []string{"ServiceCIDR", "reserves"}},
		"pod overlaps":     {"aks", func(a *ClusterArgs) { a.PodCIDR = "172.16.0.0/12" }, []string{"PodCIDR", "ServiceCIDR", "overlaps"}},
		"pod empty":        {"aks", func(a *ClusterArgs) { a.PodCIDR = "" }, []string{"PodCIDR"}},
		"class empty":      {"aks", func(a *ClusterArgs) { a.StorageClasses.FastSSD = "" }, []string{"StorageClasses.FastSSD"}},
		"class invalid":    {"aks", func(a *ClusterArgs) { a.StorageClasses.Standard = "Standard_SSD" }, []string{"StorageClasses.Standard", "Standard_SSD"}},
		"class same":       {"aks", func(a *ClusterArgs) { a.StorageClasses.Standard = "fast-ssd" }, []string{"StorageClasses", "differ"}},
		"retention":        {"aks", func(a *ClusterArgs) { a.LogRetentionDays = 7 }, []string{"LogRetentionDays = 7", "30 to 730"}},
		"kubelogin":        {"aks", func(a *ClusterArgs) { a.KubeloginMode = "devicecode" }, []string{"KubeloginMode", "devicecode"}},
		"nil rg id":        {"aks", func(a *ClusterArgs) { a.ResourceGroupID = nil }, []string{"ResourceGroupID"}},
		"public no egress": {"aks", func(a *ClusterArgs) { a.PrivateCluster, a.AuthorizedIPRanges = false, []string{"203.0.113.0/24"} }, []string{"EgressIP", "NAT"}},
		"admin not guid":   {"aks", func(a *ClusterArgs) { a.Admins = []string{"ops@example.com"} }, []string{"Admins[0]", "ops@example.com", "GUID"}},
		"admin twice": {"aks", func(a *ClusterArgs) {
			a.Admins = []string{"5b1f4c1e-3a7d-4a55-9b0e-1d2c3b4a5f60", "5B1F4C1E-3A7D-4A55-9B0E-1D2C3B4A5F60"}
		}, []string{"Admins[1]", "twice"}},
		"vault name":   {"aks", func(a *ClusterArgs) { a.KeyVaultName = "1-vault" }, []string{"KeyVaultName", "1-vault"}},
		"vault hyphen": {"aks", func(a *ClusterArgs) { a.KeyVaultName = "kv--x" }, []string{"KeyVaultName"}},
	}
	run := func(t *testing.T, name string, args *ClusterArgs, want []string) {
		m := mockcloud.New("dataplatform", "prod", false)
		err := m.Run(func(ctx *pulumi.Context) error {
			_, err := NewCluster(ctx, name, args)
			return err
		}, nil)
		require.Error(t, err)
		for _, w := range want {
			assert.Contains(t, err.Error(), w)
		}
		assert.Len(t, m.Resources(), 1, "nothing but the stack may be registered")
		assert.Empty(t, m.Invokes(), "nothing may be invoked")
	}
	t.Run("nil args", func(t *testing.T) { run(t, "aks", nil, []string{"args are nil"}) })
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			a := prodArgs(&azurevnet.Network{
				ResourceGroupName: pulumi.String("rg").ToStringOutput(),
				ResourceGroupID:   pulumi.String(subPrefix + "/resourceGroups/rg").ToStringOutput(),
				AksSubnetID:       pulumi.String(subPrefix + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/aks").ToStringOutput(),
			})
			c.f(a)
			run(t, c.name, a, c.want)
		})
	}
	// The valid baseline passes, so every case above fails for its own reason.
	t.Run("baseline", func(t *testing.T) {
		a := prodArgs(&azurevnet.Network{ResourceGroupName: pulumi.String("rg").ToStringOutput(), AksSubnetID: pulumi.String("s").ToStringOutput(),
			ResourceGroupID: pulumi.String("r").ToStringOutput()})
		_, err := a.validate("aks")
		require.NoError(t, err)
	})
}

func TestOSDiskType(t *testing.T) {
	for _, c := range []struct {
		size string
		gib  int
		want string
	}{
		{"Standard_D2s_v5", 50, "Managed"},     // no local disk
		{"Standard_D16s_v5", 200, "Managed"},   // no local disk
		{"Standard_D2ds_v5", 50, "Ephemeral"},  // 75 GiB temp disk
		{"Standard_D2ds_v5", 100, "Managed"},   // OS disk larger than the temp disk
		{"Standard_D4ds_v5", 100, "Ephemeral"}, // 150 GiB
		{"Standard_E8ads_v5", 200, "Ephemeral"},
		{"Standard_D8ds_v6", 100, "Managed"}, // NVMe placement
		{"Standard_D4ds_v4", 100, "Ephemeral"},
		{"Standard_E4-2ds_v5", 50, "Managed"}, // constrained vCPU: unknown layout
		{"Standard_B2ms", 30, "Managed"},
	} {
		assert.Equal(t, c.want, osDiskType(c.size, c.gib), "%s %d GiB", c.size, c.gib)
	}
}

func TestKubeconfigFromCredentials(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	kc, err := kubeconfigFromCredentials("c", enc("clusters:\n- name: c\n  cluster:\n    server: https://c.example:443\n    certificate-authority-data: Q0E=\n"), "")
	require.NoError(t, err)
	assert.Contains(t, kc, `"server":"https://c.example:443"`)
	assert.Contains(t, kc, `"--login","azurecli"`)
	assert.NotContains(t, kc, "devicecode")

	_, err = kubeconfigFromCredentials("c", "%%%", "")
	assert.ErrorContains(t, err, "base64")
	_, err = kubeconfigFromCredentials("c", enc("clusters: []\n"), "")
	assert.ErrorContains(t, err, "no cluster server")
	_, err = kubeconfigFromCredentials("c", enc("clusters: {"), "")
	assert.ErrorContains(t, err, "YAML")
}

func TestDeterministicGUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a := azurerbac.DeterministicGUID("/scope", "principal", "role")
	assert.Regexp(t, re, a)
	assert.Equal(t, a, azurerbac.DeterministicGUID("/Scope", "principal", "role"), "ARM IDs are case-insensitive")
	assert.NotEqual(t, a, azurerbac.DeterministicGUID("/scope", "principal2", "role"))
	for i := 0; i < 50; i++ {
		assert.Regexp(t, re, azurerbac.DeterministicGUID(fmt.Sprint(i)))
	}
}

func TestBaseName(t *testing.T) {
	assert.Equal(t, "data-platform", baseName("Data_Platform"))
	assert.Equal(t, "", baseName("***"))
	assert.LessOrEqual(t, len(baseName("a-very-long-component-name-that-goes-on-and-on-and-on")), 40)
}
