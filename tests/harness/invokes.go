package harness

import (
	"encoding/base64"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// answerInvoke returns what the cloud would answer to a data-source call. An invoke the harness does not
// know is an error: a program that starts calling something new must teach the harness a realistic
// answer, rather than get an empty one that lets a test pass silently.
func answerInvoke(token string, args resource.PropertyMap, region, project string) (resource.PropertyMap, error) {
	if r := str(args, "region"); r != "" {
		region = r
	}
	if region == "" {
		region = "eu-north-1"
	}
	switch token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		names, ids := []any{}, []any{}
		for i, s := range []string{"a", "b", "c"} {
			names = append(names, region+s)
			ids = append(ids, fmt.Sprintf("%s-az%d", shortRegion(region), i+1))
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": region, "names": names, "zoneIds": ids, "groupNames": []any{region}}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": AWSAccountID, "accountId": AWSAccountID, "userId": "AIDAMOCKUSER",
			"arn": "arn:aws:iam::" + AWSAccountID + ":user/ci",
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"id": region, "name": region, "endpoint": "ec2." + region + ".amazonaws.com"}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}), nil
	case "aws:eks/getAddonVersion:getAddonVersion":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": str(args, "addonName"), "addonName": str(args, "addonName"), "kubernetesVersion": str(args, "kubernetesVersion"),
			"version": "v1.0.0-eksbuild.1",
		}), nil
	case "gcp:organizations/getProject:getProject":
		p := str(args, "projectId")
		return resource.NewPropertyMapFromMap(map[string]any{"id": "projects/" + p, "projectId": p, "number": GCPProjectNumber, "name": p}), nil
	case "gcp:organizations/getClientConfig:getClientConfig":
		return resource.NewPropertyMapFromMap(map[string]any{"id": "client", "project": "project", "region": region, "accessToken": "mock"}), nil
	case "gcp:compute/getZones:getZones":
		names := []any{}
		for _, s := range []string{"a", "b", "c"} {
			names = append(names, region+"-"+s)
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": region, "names": names, "region": region}), nil
	case "azure-native:authorization:getClientConfig":
		return resource.NewPropertyMapFromMap(map[string]any{
			"clientId": "00000000-0000-4000-8000-00000000000c", "objectId": "00000000-0000-4000-8000-00000000000d",
			"subscriptionId": AzureSubscriptionID, "tenantId": AzureTenantID,
		}), nil
	case "azure-native:containerservice:listManagedClusterUserCredentials",
		"azure-native:containerservice:listManagedClusterAdminCredentials":
		name := str(args, "resourceName")
		kubeconfig := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: %s\n  cluster:\n    server: https://%s.hcp.%s.azmk8s.io:443\n    certificate-authority-data: TU9DSw==\ncontexts:\n- name: %s\n  context:\n    cluster: %s\n    user: clusterUser\ncurrent-context: %s\nusers:\n- name: clusterUser\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubelogin\n      args: [get-token, --login, azurecli, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]\n", name, name, region, name, name, name)
		return resource.NewPropertyMapFromMap(map[string]any{
			"kubeconfigs": []any{map[string]any{"name": "clusterUser", "value": base64.StdEncoding.EncodeToString([]byte(kubeconfig))}},
		}), nil
	}
	return nil, fmt.Errorf("harness: no mock answer for invoke %s; add a realistic one to tests/harness/invokes.go", token)
}

// shortRegion abbreviates "eu-north-1" to "eun1", the prefix of AWS zone IDs.
func shortRegion(region string) string {
	out := []byte{}
	parts := []byte(region)
	word := true
	for _, c := range parts {
		switch {
		case c == '-':
			word = true
		case c >= '0' && c <= '9':
			out = append(out, c)
		case word:
			out = append(out, c)
			word = false
		}
	}
	return string(out)
}
