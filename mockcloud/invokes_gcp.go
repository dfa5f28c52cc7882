package mockcloud

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// answerGCP answers the gcp invokes the components make.
func answerGCP(token string, args resource.PropertyMap, region string) (resource.PropertyMap, bool) {
	switch token {
	case "gcp:organizations/getProject:getProject":
		p := str(args, "projectId")
		return resource.NewPropertyMapFromMap(map[string]any{"id": "projects/" + p, "projectId": p, "number": GCPProjectNumber, "name": p}), true
	case "gcp:organizations/getClientConfig:getClientConfig":
		return resource.NewPropertyMapFromMap(map[string]any{"id": "client", "project": "project", "region": region, "accessToken": "mock"}), true
	case "gcp:compute/getZones:getZones":
		names := []any{}
		for _, s := range []string{"a", "b", "c"} {
			names = append(names, region+"-"+s)
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": region, "names": names, "region": region}), true
	case "gcp:dns/getManagedZone:getManagedZone":
		// A public zone whose DNS name is its name with dots for hyphens ("data-example-com" holds
		// data.example.com.), so tests choose the zone a name stands for.
		n := str(args, "name")
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": "projects/" + str(args, "project") + "/managedZones/" + n, "name": n, "managedZoneId": "1234567890",
			"dnsName": strings.ReplaceAll(n, "-", ".") + ".", "visibility": "public", "project": str(args, "project"),
			"nameServers": []any{"ns-cloud-b1.googledomains.com.", "ns-cloud-b2.googledomains.com."},
		}), true
	case "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":
		// The Cloud Storage service agent; the call also creates it in a project that never used GCS.
		p := str(args, "project")
		if p == "" {
			p = "project"
		}
		email := "service-" + GCPProjectNumber + "@gs-project-accounts.iam.gserviceaccount.com"
		return resource.NewPropertyMapFromMap(map[string]any{"id": email, "emailAddress": email, "member": "serviceAccount:" + email, "project": p}), true
	}
	return nil, false
}
