package aks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
	"github.com/opendataplatform/dataplatform/tests/harness"
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
	subPrefix = "/subscriptions/" + harness.AzureSubscriptionID
)

// prodArgs mirrors config.Defaults(Azure, Prod); devArgs mirrors Dev.
func prodArgs(net *azurevnet.Network) *ClusterArgs {
	return &ClusterArgs{
		ResourceGroupName: net.ResourceGroupName,
		Location:          "swedencentral",
		KubernetesVersion: "1.34",
		SubnetID:          net.AksSubnetID,
		PrivateCluster:    true,
		Zones:             []string{"1", "2", "3"},
		SystemPool:        cluster.NodePool{MachineType: "Standard_D2s_v5", MinNodes: 3, MaxNodes: 4, DiskSizeGiB: 50},
		WorkloadPool:      cluster.NodePool{MachineType: "Standard_D16s_v5", MinNodes: 3, MaxNodes: 12, DiskSizeGiB: 200},
		ServiceCIDR:       "172.20.0.0/16",
		PodCIDR:           "10.64.0.0/14",
		StorageClasses:    cluster.StorageClasses{FastSSD: "fast-ssd", Standard: "standard"},
		RetainVolumes:     true,
		LogRetentionDays:  90,
		ProductionTier:    true,
		Tags:              map[string]string{"environment": "prod"},
	}
}

func devArgs(net *azurevnet.Network) *ClusterArgs {
	a := prodArgs(net)
	a.PrivateCluster = false
	a.AuthorizedIPRanges = []string{"203.0.113.0/24", "198.51.100.7"}
	a.Zones = nil
	a.SystemPool = cluster.NodePool{MachineType: "Standard_D2s_v5", MinNodes: 1, MaxNodes: 2, DiskSizeGiB: 50}
	a.WorkloadPool = cluster.NodePool{MachineType: "Standard_D4ds_v5", MinNodes: 1, MaxNodes: 3, DiskSizeGiB: 100, Spot: true}
	a.RetainVolumes = false
	a.LogRetentionDays = 30
	a.ProductionTier = false
	return a
}

// deploy builds the network and the cluster in one program, as the stack does.
func deploy(t *testing.T, preview bool, argsFor func(*azurevnet.Network) *ClusterArgs) (*harness.Mocks, *Cluster) {
	t.Helper()
	m := harness.New("dataplatform", "prod", preview)
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

func forModes(t *testing.T, f func(t *testing.T, preview bool)) {
	for _, preview := range []bool{false, true} {
		name := "up"
		if preview {
			name = "preview"
		}
		t.Run(name, func(t *testing.T) { f(t, preview) })
	}
}

func named(t *testing.T, m *harness.Mocks, typ, name string) *harness.Resource {
	t.Helper()
	r := m.Named(typ, name)
	require.NotNil(t, r, "%s %s not registered", typ, name)
	return r
}

func val(t *testing.T, pm resource.PropertyMap, path ...string) resource.PropertyValue {
	t.Helper()
	for i, k := range path {
		v, ok := pm[resource.PropertyKey(k)]
		require.True(t, ok, "property %v missing", path[:i+1])
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if i == len(path)-1 {
			return v
		}
		require.True(t, v.IsObject(), "property %v is %v, not an object", path[:i+1], v)
		pm = v.ObjectValue()
	}
	t.Fatal("empty path")
	return resource.PropertyValue{}
}

func str(t *testing.T, pm resource.PropertyMap, path ...string) string {
	t.Helper()
	v := val(t, pm, path...)
	require.True(t, v.IsString(), "property %v is %v, not a string", path, v)
	return v.StringValue()
}

func boolean(t *testing.T, pm resource.PropertyMap, path ...string) bool {
	t.Helper()
	v := val(t, pm, path...)
	require.True(t, v.IsBool(), "property %v is %v, not a bool", path, v)
	return v.BoolValue()
}

func num(t *testing.T, pm resource.PropertyMap, path ...string) float64 {
	t.Helper()
	v := val(t, pm, path...)
	require.True(t, v.IsNumber(), "property %v is %v, not a number", path, v)
	return v.NumberValue()
}

func strs(t *testing.T, pm resource.PropertyMap, path ...string) []string {
	t.Helper()
	v := val(t, pm, path...)
	require.True(t, v.IsArray(), "property %v is %v, not an array", path, v)
	var out []string
	for _, e := range v.ArrayValue() {
		out = append(out, e.StringValue())
	}
	return out
}

func has(pm resource.PropertyMap, key string) bool {
	_, ok := pm[resource.PropertyKey(key)]
	return ok
}

func dependsOnProperty(r *harness.Resource, key string, dep *harness.Resource) bool {
	for _, u := range r.PropertyDependencies[key] {
		if u == dep.URN {
			return true
		}
	}
	return false
}

func await(t *testing.T, o pulumi.Output) internals.UnsafeAwaitOutputResult {
	t.Helper()
	res, err := internals.UnsafeAwaitOutput(context.Background(), o)
	require.NoError(t, err)
	return res
}

func systemPool(t *testing.T, mc *harness.Resource) resource.PropertyMap {
	t.Helper()
	pools := val(t, mc.Inputs, "agentPoolProfiles").ArrayValue()
	require.Len(t, pools, 1, "the ManagedCluster holds the system pool only; workloads is an AgentPool")
	return pools[0].ObjectValue()
}

func TestProdCluster(t *testing.T) {
	forModes(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, prodArgs)
		mc := named(t, m, tMC, "aks-aks")
		in := mc.Inputs

		// API server: private, no authorized ranges, Entra ID only.
		assert.True(t, boolean(t, in, "apiServerAccessProfile", "enablePrivateCluster"))
		assert.False(t, has(val(t, in, "apiServerAccessProfile").ObjectValue(), "authorizedIPRanges"))
		assert.True(t, boolean(t, in, "disableLocalAccounts"))
		assert.True(t, boolean(t, in, "aadProfile", "managed"))
		assert.True(t, boolean(t, in, "aadProfile", "enableAzureRBAC"))
		assert.True(t, boolean(t, in, "enableRBAC"))

		// Workload identity.
		assert.True(t, boolean(t, in, "oidcIssuerProfile", "enabled"))
		assert.False(t, has(val(t, in, "oidcIssuerProfile").ObjectValue(), "issuerURL"), "the issuer URL is computed, never an input")
		assert.True(t, boolean(t, in, "securityProfile", "workloadIdentity", "enabled"))

		// Azure CNI Overlay with Cilium, NAT gateway egress.
		assert.Equal(t, "azure", str(t, in, "networkProfile", "networkPlugin"))
		assert.Equal(t, "overlay", str(t, in, "networkProfile", "networkPluginMode"))
		assert.Equal(t, "cilium", str(t, in, "networkProfile", "networkDataplane"))
		assert.Equal(t, "cilium", str(t, in, "networkProfile", "networkPolicy"))
		assert.Equal(t, "userAssignedNATGateway", str(t, in, "networkProfile", "outboundType"))
		assert.Equal(t, "10.64.0.0/14", str(t, in, "networkProfile", "podCidr"))
		assert.Equal(t, "172.20.0.0/16", str(t, in, "networkProfile", "serviceCidr"))
		assert.Equal(t, "172.20.0.10", str(t, in, "networkProfile", "dnsServiceIP"))

		assert.Equal(t, "patch", str(t, in, "autoUpgradeProfile", "upgradeChannel"))
		assert.Equal(t, "NodeImage", str(t, in, "autoUpgradeProfile", "nodeOSUpgradeChannel"))
		assert.Equal(t, "Standard", str(t, in, "sku", "tier"))
		assert.Equal(t, "1.34", str(t, in, "kubernetesVersion"))
		assert.Equal(t, "aks", str(t, in, "resourceName"))

		// Control plane identity.
		identity := named(t, m, tUAI, "aks-identity")
		assert.Equal(t, "UserAssigned", str(t, in, "identity", "type"))
		assert.True(t, dependsOnProperty(mc, "identity", identity))

		// System pool.
		sys := systemPool(t, mc)
		assert.Equal(t, "System", str(t, sys, "mode"))
		assert.Equal(t, []string{"CriticalAddonsOnly=true:NoSchedule"}, strs(t, sys, "nodeTaints"))
		assert.Equal(t, []string{"1", "2", "3"}, strs(t, sys, "availabilityZones"))
		assert.True(t, boolean(t, sys, "enableAutoScaling"))
		assert.Equal(t, 3.0, num(t, sys, "minCount"))
		assert.Equal(t, 4.0, num(t, sys, "maxCount"))
		assert.Equal(t, "Managed", str(t, sys, "osDiskType"), "Standard_D2s_v5 has no local disk for an ephemeral OS disk")
		assert.Equal(t, 50.0, num(t, sys, "osDiskSizeGB"))
		assert.Contains(t, mc.IgnoreChanges, "agentPoolProfiles[0].count")

		// Workloads pool: zonal, on demand in prod.
		pool := named(t, m, tPool, "aks-workloads")
		assert.Equal(t, "User", str(t, pool.Inputs, "mode"))
		assert.Equal(t, "workloads", str(t, pool.Inputs, "agentPoolName"))
		assert.Equal(t, []string{"1", "2", "3"}, strs(t, pool.Inputs, "availabilityZones"))
		assert.True(t, boolean(t, pool.Inputs, "enableAutoScaling"))
		assert.Equal(t, 3.0, num(t, pool.Inputs, "minCount"))
		assert.Equal(t, 12.0, num(t, pool.Inputs, "maxCount"))
		assert.Equal(t, "workloads", str(t, pool.Inputs, "nodeLabels", "dataplatform.io/pool"))
		assert.False(t, has(pool.Inputs, "scaleSetPriority"), "prod workloads must not run on Spot")
		assert.True(t, dependsOnProperty(pool, "resourceName", mc))

		// Both pools sit in the aks subnet.
		net := m.Named(azurevnet.NetworkType, "net")
		require.NotNil(t, net)
		aksSubnet := named(t, m, tSubnet, "net-aks")
		assert.True(t, dependsOnProperty(mc, "agentPoolProfiles", aksSubnet))
		assert.True(t, dependsOnProperty(pool, "vnetSubnetID", aksSubnet))
		if !preview {
			assert.Equal(t, aksSubnet.ID, str(t, sys, "vnetSubnetID"))
			assert.Equal(t, aksSubnet.ID, str(t, pool.Inputs, "vnetSubnetID"))
		}

		// The cluster needs the aks subnet, never the postgres subnet or the private DNS zones.
		assert.True(t, m.DependsOn(mc, aksSubnet))
		assert.False(t, m.DependsOn(mc, named(t, m, tSubnet, "net-postgres")))
		assert.False(t, m.DependsOn(mc, named(t, m, tSubnet, "net-endpoints")))
		for _, z := range append(m.ByType(tZone), m.ByType(tLink)...) {
			assert.False(t, m.DependsOn(mc, z), "the cluster waits for %s", z.Name)
		}
	})
}

func TestRoleAssignments(t *testing.T) {
	forModes(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, prodArgs)
		mc := named(t, m, tMC, "aks-aks")
		identity := named(t, m, tUAI, "aks-identity")
		aksSubnet := named(t, m, tSubnet, "net-aks")

		ra := named(t, m, tRA, "aks-subnet-network-contributor")
		assert.Equal(t, subPrefix+"/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7",
			str(t, ra.Inputs, "roleDefinitionId"))
		assert.Equal(t, "ServicePrincipal", str(t, ra.Inputs, "principalType"))
		assert.True(t, dependsOnProperty(ra, "scope", aksSubnet), "scoped to the aks subnet")
		assert.True(t, dependsOnProperty(ra, "principalId", identity))
		assert.True(t, m.DependsOn(mc, ra), "the cluster waits for its subnet permission")
		if !preview {
			assert.Equal(t, aksSubnet.ID, str(t, ra.Inputs, "scope"))
			assert.Equal(t, str(t, identity.Outputs, "principalId"), str(t, ra.Inputs, "principalId"))
			assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, str(t, ra.Inputs, "roleAssignmentName"))
		}

		admin := named(t, m, tRA, "aks-deployer-cluster-admin")
		assert.Equal(t, subPrefix+"/providers/Microsoft.Authorization/roleDefinitions/"+RBACClusterAdminRole, str(t, admin.Inputs, "roleDefinitionId"))
		assert.Equal(t, "00000000-0000-4000-8000-00000000000d", str(t, admin.Inputs, "principalId"), "the deploying principal")
		assert.True(t, dependsOnProperty(admin, "scope", mc))

		// Nothing is applied on the cluster before the deployer may: the provider waits for the role.
		assert.True(t, m.DependsOn(named(t, m, tK8sProv, "aks-k8s"), admin))
	})
}

func TestLogsAndDiagnostics(t *testing.T) {
	forModes(t, func(t *testing.T, preview bool) {
		m, c := deploy(t, preview, prodArgs)
		mc := named(t, m, tMC, "aks-aks")
		ws := named(t, m, tWS, "aks-logs")
		assert.Equal(t, 90.0, num(t, ws.Inputs, "retentionInDays"))
		assert.Equal(t, "PerGB2018", str(t, ws.Inputs, "sku", "name"))

		diag := named(t, m, tDiag, "aks-diagnostics")
		assert.True(t, dependsOnProperty(diag, "resourceUri", mc))
		assert.True(t, dependsOnProperty(diag, "workspaceId", ws))
		var categories []string
		for _, l := range val(t, diag.Inputs, "logs").ArrayValue() {
			assert.True(t, boolean(t, l.ObjectValue(), "enabled"))
			categories = append(categories, str(t, l.ObjectValue(), "category"))
		}
		sort.Strings(categories)
		assert.Equal(t, []string{"guard", "kube-apiserver", "kube-audit-admin", "kube-controller-manager"}, categories)
		if !preview {
			assert.Equal(t, mc.ID, str(t, diag.Inputs, "resourceUri"))
			assert.Equal(t, ws.ID, str(t, diag.Inputs, "workspaceId"))
			assert.Equal(t, ws.ID, await(t, c.LogAnalyticsWorkspaceID).Value)
		}
	})
}

func TestStorageClassesProd(t *testing.T) {
	forModes(t, func(t *testing.T, preview bool) {
		m, c := deploy(t, preview, prodArgs)
		comp := named(t, m, ClusterType, "aks")
		prov := named(t, m, tK8sProv, "aks-k8s")
		assert.Equal(t, comp.URN, prov.Parent)
		scs := m.ByType(tSC)
		require.Len(t, scs, 2)
		fast := named(t, m, tSC, "aks-sc-fast-ssd")
		std := named(t, m, tSC, "aks-sc-standard")
		for _, sc := range scs {
			assert.Equal(t, comp.URN, sc.Parent)
			assert.Contains(t, sc.Provider, prov.URN, "%s uses the cluster's provider", sc.Name)
			assert.Equal(t, "disk.csi.azure.com", str(t, sc.Inputs, "provisioner"))
			assert.Equal(t, "Retain", str(t, sc.Inputs, "reclaimPolicy"))
			assert.Equal(t, "WaitForFirstConsumer", str(t, sc.Inputs, "volumeBindingMode"))
		}
		assert.Equal(t, "Premium_ZRS", str(t, fast.Inputs, "parameters", "skuName"))
		assert.Equal(t, "StandardSSD_ZRS", str(t, std.Inputs, "parameters", "skuName"))
		assert.Equal(t, "true", str(t, std.Inputs, "metadata", "annotations", "storageclass.kubernetes.io/is-default-class"))
		assert.False(t, has(val(t, fast.Inputs, "metadata", "annotations").ObjectValue(), "storageclass.kubernetes.io/is-default-class"))
		assert.Equal(t, cluster.StorageClasses{FastSSD: "fast-ssd", Standard: "standard"}, c.Info.StorageClasses)
	})
}

func TestDevCluster(t *testing.T) {
	forModes(t, func(t *testing.T, preview bool) {
		m, c := deploy(t, preview, devArgs)
		mc := named(t, m, tMC, "aks-aks")
		in := mc.Inputs
		assert.False(t, boolean(t, in, "apiServerAccessProfile", "enablePrivateCluster"))
		assert.Equal(t, []string{"203.0.113.0/24", "198.51.100.7"}, strs(t, in, "apiServerAccessProfile", "authorizedIPRanges"))
		assert.Equal(t, "Free", str(t, in, "sku", "tier"))
		assert.True(t, boolean(t, in, "disableLocalAccounts"), "local accounts stay off outside prod too")
		sys := systemPool(t, mc)
		assert.False(t, has(sys, "availabilityZones"), "no zones requested")

		pool := named(t, m, tPool, "aks-workloads")
		assert.False(t, has(pool.Inputs, "availabilityZones"))
		assert.Equal(t, "Spot", str(t, pool.Inputs, "scaleSetPriority"))
		assert.Equal(t, "Delete", str(t, pool.Inputs, "scaleSetEvictionPolicy"))
		assert.Equal(t, -1.0, num(t, pool.Inputs, "spotMaxPrice"))
		assert.Equal(t, "Ephemeral", str(t, pool.Inputs, "osDiskType"), "Standard_D4ds_v5 has a 150 GiB local disk")
		assert.Contains(t, pool.IgnoreChanges, "count")

		for _, sc := range m.ByType(tSC) {
			assert.Equal(t, "Delete", str(t, sc.Inputs, "reclaimPolicy"))
		}
		assert.Equal(t, "Premium_LRS", str(t, named(t, m, tSC, "aks-sc-fast-ssd").Inputs, "parameters", "skuName"))
		assert.Equal(t, "StandardSSD_LRS", str(t, named(t, m, tSC, "aks-sc-standard").Inputs, "parameters", "skuName"))
		assert.Equal(t, 30.0, num(t, named(t, m, tWS, "aks-logs").Inputs, "retentionInDays"))

		if !preview {
			assert.Equal(t, "https://"+str(t, mc.Outputs, "fqdn"), await(t, c.Endpoint).Value, "public clusters are reached on the public FQDN")
		}
	})
}

func TestOutputs(t *testing.T) {
	forModes(t, func(t *testing.T, preview bool) {
		m, c := deploy(t, preview, prodArgs)
		mc := named(t, m, tMC, "aks-aks")
		assert.Equal(t, cluster.AzureWorkloadIdentity, c.Info.Identity.Mechanism)
		assert.Same(t, c.Provider, c.Info.Provider)

		kc := await(t, c.Kubeconfig)
		assert.True(t, kc.Secret, "the kubeconfig must be a secret")
		assert.True(t, await(t, c.Info.Kubeconfig).Secret)
		if preview {
			// The cluster does not exist yet: no credentials, no issuer, but no crash either.
			assert.False(t, kc.Known)
			assert.False(t, await(t, c.Name).Known)
			assert.False(t, await(t, c.ControlPlaneIdentityID).Known)
			return
		}
		assert.Equal(t, "aks", await(t, c.Name).Value)
		assert.Equal(t, "https://"+str(t, mc.Outputs, "privateFQDN"), await(t, c.Endpoint).Value, "private clusters are reached on the private FQDN")
		issuer := await(t, c.OIDCIssuerURL).Value
		assert.Equal(t, str(t, mc.Outputs, "oidcIssuerProfile", "issuerURL"), issuer)
		assert.Regexp(t, `^https://swedencentral\.oic\.prod-aks\.azure\.com/`, issuer)
		assert.Equal(t, issuer, await(t, c.Info.Identity.OIDCIssuerURL).Value)
		assert.Equal(t, str(t, mc.Outputs, "identityProfile", "kubeletidentity", "objectId"), await(t, c.KubeletIdentityObjectID).Value)
		assert.NotEmpty(t, await(t, c.KubeletIdentityObjectID).Value)
		assert.Equal(t, named(t, m, tUAI, "aks-identity").ID, await(t, c.ControlPlaneIdentityID).Value)
		assert.Equal(t, []string{named(t, m, tUAI, "aks-identity").ID}, strs(t, mc.Inputs, "identity", "userAssignedIdentities"))

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
		prov := named(t, m, tK8sProv, "aks-k8s")
		assert.Equal(t, kc.Value, str(t, prov.Inputs, "kubeconfig"))

		var invoked bool
		for _, inv := range m.Invokes() {
			if inv.Token == "azure-native:containerservice/v20240901:listManagedClusterUserCredentials" {
				invoked = true
				assert.Equal(t, "aks", inv.Args["resourceName"].StringValue())
				assert.Equal(t, "dataplatform-prod", inv.Args["resourceGroupName"].StringValue())
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
	assert.Contains(t, await(t, c.Kubeconfig).Value, `"--login","workloadidentity"`)
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
	}
	run := func(t *testing.T, name string, args *ClusterArgs, want []string) {
		m := harness.New("dataplatform", "prod", false)
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
				AksSubnetID:       pulumi.String(subPrefix + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/aks").ToStringOutput(),
			})
			c.f(a)
			run(t, c.name, a, c.want)
		})
	}
	// The valid baseline passes, so every case above fails for its own reason.
	t.Run("baseline", func(t *testing.T) {
		a := prodArgs(&azurevnet.Network{ResourceGroupName: pulumi.String("rg").ToStringOutput(), AksSubnetID: pulumi.String("s").ToStringOutput()})
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
	a := deterministicGUID("/scope", "principal", "role")
	assert.Regexp(t, re, a)
	assert.Equal(t, a, deterministicGUID("/Scope", "principal", "role"), "ARM IDs are case-insensitive")
	assert.NotEqual(t, a, deterministicGUID("/scope", "principal2", "role"))
	for i := 0; i < 50; i++ {
		assert.Regexp(t, re, deterministicGUID(fmt.Sprint(i)))
	}
}

func TestBaseName(t *testing.T) {
	assert.Equal(t, "data-platform", baseName("Data_Platform"))
	assert.Equal(t, "", baseName("***"))
	assert.LessOrEqual(t, len(baseName("a-very-long-component-name-that-goes-on-and-on-and-on")), 40)
}
