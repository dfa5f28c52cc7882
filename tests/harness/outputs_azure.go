package harness

import (
	"fmt"
	"strings"
)

// azureOutputs fills the computed properties of azure-native resources.
func azureOutputs(r *Resource, region, typ string, set func(string, any)) {
	id := azureID(r)
	set("name", azureName(r, typ))
	set("azureApiVersion", "2024-01-01")
	if loc := str(r.Inputs, "location"); loc != "" {
		region = loc
	}
	switch typ {
	case "UserAssignedIdentity":
		set("principalId", uuidOf(r))
		set("clientId", uuidOf(&Resource{URN: r.URN + "#client"}))
		set("tenantId", AzureTenantID)
	case "ManagedCluster":
		set("fqdn", fmt.Sprintf("%s-%s.hcp.%s.azmk8s.io", azureName(r, typ), digest(r, 8), region))
		set("privateFQDN", fmt.Sprintf("%s-%s.privatelink.%s.azmk8s.io", azureName(r, typ), digest(r, 8), region))
		set("oidcIssuerProfile", map[string]any{"enabled": true, "issuerURL": fmt.Sprintf("https://%s.oic.prod-aks.azure.com/%s/%s/", region, AzureTenantID, uuidOf(r))})
		set("identityProfile", map[string]any{"kubeletidentity": map[string]any{
			"objectId": uuidOf(&Resource{URN: r.URN + "#kubelet"}), "clientId": uuidOf(&Resource{URN: r.URN + "#kubeletclient"}),
			"resourceId": id + "-kubelet",
		}})
		set("nodeResourceGroup", "MC_"+str(r.Inputs, "resourceGroupName")+"_"+azureName(r, typ)+"_"+region)
	case "Server":
		set("fullyQualifiedDomainName", azureName(r, typ)+".postgres.database.azure.com")
	case "StorageAccount":
		name := azureName(r, typ)
		set("primaryEndpoints", map[string]any{
			"blob": "https://" + name + ".blob.core.windows.net/",
			"dfs":  "https://" + name + ".dfs.core.windows.net/",
		})
	case "Registry":
		set("loginServer", strings.ToLower(azureName(r, typ))+".azurecr.io")
	case "Vault":
		set("properties", map[string]any{"vaultUri": "https://" + azureName(r, typ) + ".vault.azure.net/"})
	case "Workspace":
		set("customerId", uuidOf(r))
	}
}
