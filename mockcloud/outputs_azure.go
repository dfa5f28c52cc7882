package mockcloud

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// azureOutputs fills the computed properties of azure-native resources.
func azureOutputs(r *Resource, region, typ string, set func(string, any)) {
	id := azureID(r)
	// ManagedCluster and UserAssignedIdentity take their own name as "resourceName".
	ownName := azureName(r, typ)
	if typ == "ManagedCluster" || typ == "UserAssignedIdentity" {
		if s := str(r.Inputs, "resourceName"); s != "" {
			ownName = s
		}
	}
	set("name", ownName)
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
		set("fqdn", fmt.Sprintf("%s-%s.hcp.%s.azmk8s.io", ownName, digest(r, 8), region))
		set("privateFQDN", fmt.Sprintf("%s-%s.privatelink.%s.azmk8s.io", ownName, digest(r, 8), region))
		issuer := fmt.Sprintf("https://%s.oic.prod-aks.azure.com/%s/%s/", region, AzureTenantID, uuidOf(r))
		if p, ok := r.Inputs["oidcIssuerProfile"]; ok && p.IsObject() {
			// The program sets {enabled: true}; AKS adds the issuer URL to that object. set() only adds
			// missing top-level keys, so add the URL to the object the outputs share with the inputs
			// (outputsFor copies the map shallowly) and give the recorded inputs their own copy.
			shared := p.ObjectValue()
			r.Inputs["oidcIssuerProfile"] = resource.NewObjectProperty(shared.Copy())
			if e, ok := shared["enabled"]; ok && e.IsBool() && e.BoolValue() {
				shared["issuerURL"] = resource.NewPropertyValue(issuer)
			}
		}
		set("oidcIssuerProfile", map[string]any{"enabled": true, "issuerURL": issuer})
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
