package mockcloud

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// gcpOutputs fills the computed properties of Google Cloud resources.
func gcpOutputs(r *Resource, region, mod, typ string, set func(string, any)) {
	project := str(r.Inputs, "project")
	if project == "" {
		project = "project"
	}
	name := nameOf(r, "accountId", "secretId", "repositoryId")
	if mod == "serviceaccount" && typ == "Key" {
		// A key is named after its service account: projects/<p>/serviceAccounts/<email>/keys/<id>.
		keyProject, email, keyID := serviceAccountKey(r)
		set("name", fmt.Sprintf("projects/%s/serviceAccounts/%s/keys/%s", keyProject, email, keyID))
	}
	set("name", name)
	set("project", project)
	switch {
	case mod == "serviceaccount" && typ == "Account":
		email := fmt.Sprintf("%s@%s.iam.gserviceaccount.com", name, project)
		set("email", email)
		set("member", "serviceAccount:"+email)
		set("uniqueId", GCPProjectNumber+digest(r, 9))
	case mod == "serviceaccount" && typ == "Key":
		// A credentials file as Google returns it, base64-encoded; every value is an obvious
		// placeholder. The engine keeps privateKey secret (the SDK asks for it); the mock returns it
		// plain like every other output, so the program must make its own copies secret.
		keyProject, email, keyID := serviceAccountKey(r)
		file, _ := json.MarshalIndent(map[string]string{
			"type":                        "service_account",
			"project_id":                  keyProject,
			"private_key_id":              keyID,
			"private_key":                 "-----BEGIN PRIVATE KEY-----\nMOCK-NOT-A-REAL-KEY-" + digest(r, 32) + "\n-----END PRIVATE KEY-----\n",
			"client_email":                email,
			"client_id":                   GCPProjectNumber + digest(r, 9),
			"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
			"token_uri":                   "https://oauth2.googleapis.com/token",
			"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
			"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/" + url.PathEscape(email),
			"universe_domain":             "googleapis.com",
		}, "", "  ")
		set("privateKey", base64.StdEncoding.EncodeToString(file))
		set("publicKey", base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMOCK"+digest(r, 32)+"\n-----END CERTIFICATE-----\n")))
		set("keyAlgorithm", "KEY_ALG_RSA_2048")
		set("privateKeyType", "TYPE_GOOGLE_CREDENTIALS_FILE")
		set("validAfter", "2025-01-01T00:00:00Z")
		set("validBefore", "9999-12-31T23:59:59Z")
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
	case mod == "compute" && typ == "Address":
		// A regional address: Google picks one in the subnet (internal) or from its pool (external).
		set("address", fmt.Sprintf("10.40.%d.%d", 200+r.order%50, len(name)%250+2))
		set("selfLink", fmt.Sprintf("https://www.googleapis.com/compute/v1/projects/%s/regions/%s/addresses/%s", project, region, name))
	case mod == "certificatemanager" && typ == "DnsAuthorization":
		// The record to publish: a PER_PROJECT_RECORD authorization's CNAME under the domain.
		domain := str(r.Inputs, "domain")
		set("dnsResourceRecords", []any{map[string]any{
			"name": "_acme-challenge_" + digest(r, 16) + "." + domain + ".", "type": "CNAME",
			"data": digest(r, 8) + "-" + digest(r, 4) + ".4." + "authorize.certificatemanager.goog.",
		}})
	case mod == "dns" && typ == "ManagedZone":
		set("nameServers", []any{"ns-cloud-a1.googledomains.com.", "ns-cloud-a2.googledomains.com.", "ns-cloud-a3.googledomains.com.", "ns-cloud-a4.googledomains.com."})
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

// serviceAccountKey returns the project and email of the service account a key's serviceAccountId
// input names (an email, or projects/<p>/serviceAccounts/<email>), and a stable key ID.
func serviceAccountKey(r *Resource) (project, email, keyID string) {
	email = str(r.Inputs, "serviceAccountId")
	if i := strings.LastIndex(email, "/"); i >= 0 {
		email = email[i+1:]
	}
	project = str(r.Inputs, "project")
	if at := strings.Index(email, "@"); at >= 0 {
		project = strings.TrimSuffix(email[at+1:], ".iam.gserviceaccount.com")
	}
	if project == "" {
		project = "project"
	}
	if email == "" {
		email = "account@" + project + ".iam.gserviceaccount.com"
	}
	return project, email, digest(r, 40)
}
