package harness

import (
	"encoding/base64"
	"fmt"
)

// gcpOutputs fills the computed properties of Google Cloud resources.
func gcpOutputs(r *Resource, region, mod, typ string, set func(string, any)) {
	project := str(r.Inputs, "project")
	if project == "" {
		project = "project"
	}
	name := nameOf(r, "accountId", "secretId", "repositoryId")
	set("name", name)
	set("project", project)
	switch {
	case mod == "serviceaccount" && typ == "Account":
		email := fmt.Sprintf("%s@%s.iam.gserviceaccount.com", name, project)
		set("email", email)
		set("member", "serviceAccount:"+email)
		set("uniqueId", GCPProjectNumber+digest(r, 9))
	case mod == "container" && typ == "Cluster":
		set("endpoint", fmt.Sprintf("10.%d.%d.2", 100+r.order%100, len(name)%250))
		set("masterAuth", map[string]any{"clusterCaCertificate": base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMOCK" + digest(r, 32) + "\n-----END CERTIFICATE-----\n"))})
		set("selfLink", fmt.Sprintf("https://container.googleapis.com/v1/projects/%s/locations/%s/clusters/%s", project, str(r.Inputs, "location"), name))
	case mod == "sql" && typ == "DatabaseInstance":
		set("connectionName", fmt.Sprintf("%s:%s:%s", project, region, name))
		set("privateIpAddress", fmt.Sprintf("10.90.%d.%d", r.order%250, len(name)%250+2))
		set("selfLink", fmt.Sprintf("https://sqladmin.googleapis.com/sql/v1beta4/projects/%s/instances/%s", project, name))
		set("serverCaCerts", []any{map[string]any{"cert": "-----BEGIN CERTIFICATE-----\nMOCK" + digest(r, 32) + "\n-----END CERTIFICATE-----\n"}})
	case mod == "storage" && typ == "Bucket":
		set("url", "gs://"+name)
		set("selfLink", "https://www.googleapis.com/storage/v1/b/"+name)
	case mod == "artifactregistry":
		set("registryUri", fmt.Sprintf("%s-docker.pkg.dev/%s/%s", region, project, name))
	case mod == "kms" && typ == "CryptoKey":
		set("id", fmt.Sprintf("%s/cryptoKeys/%s", str(r.Inputs, "keyRing"), name))
	case mod == "servicenetworking" && typ == "Connection":
		// The peering Google creates to its service producer network, the same name in every project.
		set("peering", "servicenetworking-googleapis-com")
	case mod == "compute" && typ == "GlobalAddress":
		// Google allocates the reserved range; a stable, private one here.
		set("address", fmt.Sprintf("10.%d.0.0", 100+r.order%100))
		set("selfLink", fmt.Sprintf("https://www.googleapis.com/compute/v1/projects/%s/global/addresses/%s", project, name))
	case mod == "compute":
		scope := "global"
		if region != "" && typ != "Network" && typ != "GlobalAddress" && typ != "Firewall" {
			scope = "regions/" + region
		}
		set("selfLink", fmt.Sprintf("https://www.googleapis.com/compute/v1/projects/%s/%s/%ss/%s", project, scope, lowerFirst(typ), name))
		if typ == "Network" {
			set("gatewayIpv4", "10.40.0.1")
		}
	}
}
