package mockcloud

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// answerAzure answers the azure invokes the components make.
func answerAzure(token string, args resource.PropertyMap, region string) (resource.PropertyMap, bool) {
	switch unversionedAzureToken(token) {
	case "azure-native:authorization:getClientConfig":
		return resource.NewPropertyMapFromMap(map[string]any{
			"clientId": "00000000-0000-4000-8000-00000000000c", "objectId": "00000000-0000-4000-8000-00000000000d",
			"subscriptionId": AzureSubscriptionID, "tenantId": AzureTenantID,
		}), true
	case "azure-native:storage:listStorageAccountKeys":
		// An account's two keys, as ListKeys answers them when shared key access is on.
		account := str(args, "accountName")
		keys := []any{}
		for _, n := range []int{1, 2} {
			keys = append(keys, map[string]any{
				"keyName": fmt.Sprintf("key%d", n), "value": MockStorageAccountKey(account, n),
				"permissions": "FULL", "creationTime": "2024-01-01T00:00:00.0000000Z",
			})
		}
		return resource.NewPropertyMapFromMap(map[string]any{"keys": keys}), true
	case "azure-native:network:getNetworkWatcher":
		// The watcher Azure created with the subscription's first VNet in the region (Mocks.Without
		// answers NotFound instead, as a fresh subscription does).
		rg, name := str(args, "resourceGroupName"), str(args, "networkWatcherName")
		return resource.NewPropertyMapFromMap(map[string]any{
			"id":   "/subscriptions/" + AzureSubscriptionID + "/resourceGroups/" + rg + "/providers/Microsoft.Network/networkWatchers/" + name,
			"name": name, "location": region, "provisioningState": "Succeeded", "etag": "W/\"mock\"", "type": "Microsoft.Network/networkWatchers",
			"tags": map[string]any{},
		}), true
	case "azure-native:resources:getResourceGroup":
		rg := str(args, "resourceGroupName")
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": "/subscriptions/" + AzureSubscriptionID + "/resourceGroups/" + rg, "name": rg, "location": region,
			"type": "Microsoft.Resources/resourceGroups", "properties": map[string]any{"provisioningState": "Succeeded"}, "tags": map[string]any{},
		}), true
	case "azure-native:containerservice:listManagedClusterUserCredentials",
		"azure-native:containerservice:listManagedClusterAdminCredentials":
		// AKS answers an Entra ID cluster's user credentials with an interactive devicecode login.
		name := str(args, "resourceName")
		kubeconfig := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: %s\n  cluster:\n    server: https://%s.hcp.%s.azmk8s.io:443\n    certificate-authority-data: TU9DSw==\ncontexts:\n- name: %s\n  context:\n    cluster: %s\n    user: clusterUser\ncurrent-context: %s\nusers:\n- name: clusterUser\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubelogin\n      args: [get-token, --environment, AzurePublicCloud, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630, --client-id, 80faf920-1908-4b52-b5ef-a8e7bedfc67a, --tenant-id, %s, --login, devicecode]\n", name, name, region, name, name, name, AzureTenantID)
		return resource.NewPropertyMapFromMap(map[string]any{
			"kubeconfigs": []any{map[string]any{"name": "clusterUser", "value": base64.StdEncoding.EncodeToString([]byte(kubeconfig))}},
		}), true
	}
	return nil, false
}

// MockStorageAccountKey is the fake key n (1 or 2) the mocks list for a storage account: like a real
// one, 88 characters of base64 encoding 64 bytes, but the bytes spell out that it is a mock.
func MockStorageAccountKey(account string, n int) string {
	raw := []byte(fmt.Sprintf("MOCK-STORAGE-KEY%d-%s-", n, account))
	for len(raw) < 64 {
		raw = append(raw, 'x')
	}
	return base64.StdEncoding.EncodeToString(raw[:64])
}

// unversionedAzureToken maps an explicit API version's token to the default one, so
// "azure-native:containerservice/v20240901:listManagedClusterUserCredentials" gets the same answer as
// "azure-native:containerservice:listManagedClusterUserCredentials".
func unversionedAzureToken(token string) string {
	parts := strings.Split(token, ":")
	if len(parts) != 3 || parts[0] != "azure-native" {
		return token
	}
	if i := strings.Index(parts[1], "/"); i >= 0 {
		parts[1] = parts[1][:i]
	}
	return strings.Join(parts, ":")
}
