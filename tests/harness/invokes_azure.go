package harness

import (
	"encoding/base64"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// answerAzure answers the azure invokes the components make.
func answerAzure(token string, args resource.PropertyMap, region string) (resource.PropertyMap, bool) {
	switch token {
	case "azure-native:authorization:getClientConfig":
		return resource.NewPropertyMapFromMap(map[string]any{
			"clientId": "00000000-0000-4000-8000-00000000000c", "objectId": "00000000-0000-4000-8000-00000000000d",
			"subscriptionId": AzureSubscriptionID, "tenantId": AzureTenantID,
		}), true
	case "azure-native:containerservice:listManagedClusterUserCredentials",
		"azure-native:containerservice:listManagedClusterAdminCredentials":
		name := str(args, "resourceName")
		kubeconfig := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: %s\n  cluster:\n    server: https://%s.hcp.%s.azmk8s.io:443\n    certificate-authority-data: TU9DSw==\ncontexts:\n- name: %s\n  context:\n    cluster: %s\n    user: clusterUser\ncurrent-context: %s\nusers:\n- name: clusterUser\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubelogin\n      args: [get-token, --login, azurecli, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]\n", name, name, region, name, name, name)
		return resource.NewPropertyMapFromMap(map[string]any{
			"kubeconfigs": []any{map[string]any{"name": "clusterUser", "value": base64.StdEncoding.EncodeToString([]byte(kubeconfig))}},
		}), true
	}
	return nil, false
}
