package aks

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/internal/azurerbac"
	"github.com/opendataplatform/dataplatform/components/network/azurevnet"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	tVault    = "azure-native:keyvault:Vault"
	tKey      = "azure-native:keyvault:Key"
	tRG       = "azure-native:resources:ResourceGroup"
	deployer  = "00000000-0000-4000-8000-00000000000d" // the harness's getClientConfig objectId
	opsGroup  = "5b1f4c1e-3a7d-4a55-9b0e-1d2c3b4a5f60"
	ciPrincpl = "0f0e0d0c-0b0a-4909-8807-060504030201"
)

// With Protect, exactly the cluster, the Key Vault and its key are protected (not the pool, the
// identities, the role assignments, the workspace, the diagnostic setting or the StorageClasses);
// without it nothing is.
func TestProtectsOnlyStatefulLeaves(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		for _, protect := range []bool{true, false} {
			m, _ := deploy(t, preview, func(n *azurevnet.Network) *ClusterArgs {
				a := prodArgs(n)
				a.Protect = protect
				return a
			})
			var got []string
			for _, r := range m.Resources() {
				if r.Protect && r.Parent == inspect.MustNamed(t, m, ClusterType, "aks").URN {
					got = append(got, r.Type)
				}
			}
			sort.Strings(got)
			if protect {
				assert.Equal(t, []string{tMC, tKey, tVault}, got)
			} else {
				assert.Empty(t, got)
			}
			assert.False(t, workloadPool(t, m).Protect)
		}
	})
}

// Platform pods carry what the pools need: the workload pool's label as node selector (the system
// pool is tainted CriticalAddonsOnly and takes add-ons only) and, on Spot, the toleration of the
// taint AKS puts on every Spot node.
func TestSchedulingMatchesThePools(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, c := deploy(t, preview, devArgs)
		pool := workloadPool(t, m)
		require.Equal(t, "Spot", inspect.RequireStr(t, pool.Inputs, "scaleSetPriority"))
		s := c.Info.Scheduling
		assert.Equal(t, map[string]string{PoolLabel: inspect.RequireStr(t, pool.Inputs, "nodeLabels", PoolLabel)}, s.NodeSelector)
		assert.Equal(t, []cluster.Toleration{{Key: "kubernetes.azure.com/scalesetpriority", Operator: "Equal", Value: "spot", Effect: "NoSchedule"}}, s.Tolerations)
		// The system pool's taint is not tolerated: platform pods stay off it.
		for _, tol := range s.Tolerations {
			assert.NotEqual(t, "CriticalAddonsOnly", tol.Key)
		}
		assert.Equal(t, []string{"CriticalAddonsOnly=true:NoSchedule"}, inspect.RequireStrs(t, systemPool(t, inspect.MustNamed(t, m, tMC, "aks-aks")), "nodeTaints"))

		// Both pools grow: the cluster autoscaler is on with their bounds.
		assert.True(t, inspect.RequireBool(t, pool.Inputs, "enableAutoScaling"))
		assert.Equal(t, 1.0, inspect.RequireNum(t, pool.Inputs, "minCount"))
		assert.Equal(t, 3.0, inspect.RequireNum(t, pool.Inputs, "maxCount"))
		assert.True(t, inspect.RequireBool(t, systemPool(t, inspect.MustNamed(t, m, tMC, "aks-aks")), "enableAutoScaling"))

		// On demand (prod): no toleration, the same selector.
		_, prod := deploy(t, preview, prodArgs)
		assert.Empty(t, prod.Info.Scheduling.Tolerations)
		assert.Equal(t, map[string]string{PoolLabel: WorkloadPool}, prod.Info.Scheduling.NodeSelector)
	})
}

// Admins get cluster admin under names that depend on the principal, the resource group and the
// role only; the deployer gets an assignment of its own unless listed; the cluster is created after
// all of them (Azure RBAC takes up to 5 minutes to apply) and the provider waits for them.
func TestAdminsAndDeployer(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, func(n *azurevnet.Network) *ClusterArgs {
			a := prodArgs(n)
			a.Admins = []string{opsGroup, ciPrincpl}
			return a
		})
		mc := inspect.MustNamed(t, m, tMC, "aks-aks")
		rg := inspect.MustNamed(t, m, tRG, "net-rg")
		prov := inspect.MustNamed(t, m, tK8sProv, "aks-k8s")
		role := subPrefix + "/providers/Microsoft.Authorization/roleDefinitions/" + RBACClusterAdminRole
		for logical, principal := range map[string]string{"aks-admin-" + opsGroup: opsGroup, "aks-admin-" + ciPrincpl: ciPrincpl, "aks-deployer-cluster-admin": deployer} {
			ra := inspect.MustNamed(t, m, tRA, logical)
			assert.Equal(t, principal, inspect.RequireStr(t, ra.Inputs, "principalId"))
			assert.Equal(t, role, inspect.RequireStr(t, ra.Inputs, "roleDefinitionId"))
			assert.True(t, inspect.DependsOnInput(ra, "scope", rg))
			assert.False(t, m.DependsOn(ra, mc), "%s must not wait for the cluster", logical)
			assert.True(t, m.DependsOn(mc, ra), "the cluster is created after %s", logical)
			assert.True(t, m.DependsOn(prov, ra), "the provider waits for %s", logical)
			assert.False(t, ra.Protect)
			if !preview {
				assert.Equal(t, azurerbac.DeterministicGUID(rg.ID, principal, role), inspect.RequireStr(t, ra.Inputs, "roleAssignmentName"),
					"the name follows principal, scope and role, not whoever deploys")
			}
		}

		// A deployer listed in Admins gets no duplicate (Azure refuses one under another name).
		m2, _ := deploy(t, preview, func(n *azurevnet.Network) *ClusterArgs {
			a := prodArgs(n)
			a.Admins = []string{opsGroup, deployer}
			return a
		})
		assert.Nil(t, m2.Named(tRA, "aks-deployer-cluster-admin"))
		inspect.MustNamed(t, m2, tRA, "aks-admin-"+deployer)
	})
}

// Secrets in etcd are encrypted with a Key Vault key: the control-plane identity may use it before
// the cluster is created; the vault authorises with Azure RBAC and keeps deleted keys.
func TestKMSEncryption(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, c := deploy(t, preview, prodArgs)
		mc := inspect.MustNamed(t, m, tMC, "aks-aks")
		vault := inspect.MustNamed(t, m, tVault, "aks-kms-vault")
		key := inspect.MustNamed(t, m, tKey, "aks-kms-key")
		identity := inspect.MustNamed(t, m, tUAI, "aks-identity")

		assert.True(t, inspect.DependsOnInput(mc, "securityProfile", key), "keyId is the key's versioned URI")
		if !preview { // unknown in preview, until the key exists
			kms := inspect.RequireObj(t, mc.Inputs, "securityProfile", "azureKeyVaultKms")
			assert.True(t, inspect.RequireBool(t, kms, "enabled"))
			assert.Equal(t, "Public", inspect.RequireStr(t, kms, "keyVaultNetworkAccess"))
			assert.True(t, inspect.HasKey(kms, "keyId"))
		}

		assert.Equal(t, "kv-dataplatform-1a2b3c", inspect.RequireStr(t, vault.Inputs, "vaultName"))
		assert.True(t, inspect.RequireBool(t, vault.Inputs, "properties", "enableRbacAuthorization"))
		assert.True(t, inspect.RequireBool(t, vault.Inputs, "properties", "enableSoftDelete"))
		assert.True(t, inspect.RequireBool(t, vault.Inputs, "properties", "enablePurgeProtection"))
		assert.Equal(t, 90.0, inspect.RequireNum(t, vault.Inputs, "properties", "softDeleteRetentionInDays"))
		assert.Equal(t, "RSA", inspect.RequireStr(t, key.Inputs, "properties", "kty"))
		assert.Equal(t, 2048.0, inspect.RequireNum(t, key.Inputs, "properties", "keySize"))
		assert.True(t, inspect.DependsOnInput(key, "vaultName", vault))

		ra := inspect.MustNamed(t, m, tRA, "aks-kms-crypto-user")
		assert.Equal(t, subPrefix+"/providers/Microsoft.Authorization/roleDefinitions/"+KeyVaultCryptoUserRole, inspect.RequireStr(t, ra.Inputs, "roleDefinitionId"))
		assert.True(t, inspect.DependsOnInput(ra, "scope", vault))
		assert.True(t, inspect.DependsOnInput(ra, "principalId", identity))
		assert.True(t, m.DependsOn(mc, ra), "the control plane may use the key before AKS checks it")
		if !preview {
			assert.Equal(t, vault.ID, inspect.Await(t, c.KeyVaultID).Value)
		}

		// Outside prod: no purge protection (irreversible), the shortest retention.
		m2, _ := deploy(t, preview, devArgs)
		dv := inspect.MustNamed(t, m2, tVault, "aks-kms-vault")
		assert.False(t, inspect.HasKey(inspect.RequireObj(t, dv.Inputs, "properties"), "enablePurgeProtection"))
		assert.Equal(t, 7.0, inspect.RequireNum(t, dv.Inputs, "properties", "softDeleteRetentionInDays"))
	})
}
