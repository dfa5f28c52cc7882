package policies

import (
	"encoding/base64"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestNoStaticCloudKeysInSecrets(t *testing.T) {
	const violation = "a static cloud credential in a Kubernetes Secret"
	// Shapes of real credentials, made up.
	gcpKey := `{"type": "service_account", "project_id": "p", "private_key_id": "0a1b", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", "client_email": "airbyte@p.iam.gserviceaccount.com"}`
	azureConn := "DefaultEndpointsProtocol=https;AccountName=lake;AccountKey=bXlrZXk=;EndpointSuffix=core.windows.net"
	secret := func(name string, props M) Resource { return res(K8sSecret, name, props) }
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	runPolicy(t, "no-static-cloud-keys", []tc{
		{name: "password secret is fine", env: Dev, rs: []Resource{secret("db", M{"stringData": M{"username": "airbyte", "password": "Zx81kkQw0pLm"}})}},
		{name: "empty aws keys are fine", rs: []Resource{secret("airbyte-config", M{"stringData": M{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}})}},
		{name: "aws access key id in stringData", rs: []Resource{secret("s3", M{"stringData": M{"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"}})},
			want: "stringData.AWS_ACCESS_KEY_ID holds an AWS access key ID"},
		{name: "aws session key id in data", env: Dev, rs: []Resource{secret("s3", M{"data": M{"id": b64("ASIAIOSFODNN7EXAMPLE")}})},
			want: "data.id holds an AWS access key ID"},
		{name: "aws key inside airbyte is still a violation", rs: []Resource{under(secret("s3", M{"stringData": M{"k": "AKIAIOSFODNN7EXAMPLE"}}), AirbyteStackType)},
			want: violation},
		{name: "azure connection string", rs: []Resource{secret("adls", M{"stringData": M{"connection": azureConn}})},
			want: "holds an Azure storage account key"},
		{name: "gcp key file in data", rs: []Resource{secret("gcs", M{"data": M{"key.json": b64(gcpKey)}})},
			want: "data.key.json holds a GCP service account key file"},
		{name: "gcp key file under another component", rs: []Resource{under(secret("gcs", M{"stringData": M{"key.json": gcpKey}}), "dataplatform:dremio:DremioCluster")},
			want: violation},
		{name: "airbyte's gcs key file", rs: []Resource{under(secret("airbyte-config", M{"stringData": M{"key.json": gcpKey}}), AirbyteStackType)}},
		{name: "airbyte's adls connection string", rs: []Resource{under(secret("airbyte-config", M{"stringData": M{"c": azureConn}}), "dataplatform:index:Platform", AirbyteStackType)}},
		{name: "a secret-wrapped key is seen", rs: []Resource{secret("s3", M{"stringData": resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{
			"k": resource.NewStringProperty("AKIAIOSFODNN7EXAMPLE")}))})}, want: violation},
	})
}

// TestStaticKeyIn: what the patterns recognise, and look-alikes they do not.
func TestStaticKeyIn(t *testing.T) {
	for v, want := range map[string]bool{
		"AKIAIOSFODNN7EXAMPLE":                            true,
		"prefix AKIAIOSFODNN7EXAMPLE suffix":              true,
		"AKIAIOSFODNN7EXAMPL":                             false, // 15 characters after the prefix
		"akiaiosfodnn7example":                            false,
		"XAKIAIOSFODNN7EXAMPLE":                           false,
		"accountkey=abc":                                  true,
		"AccountName=lake;SharedAccessSignature":          false,
		`{"private_key": "x"}`:                            false, // not a service account key file
		`{"type": "authorized_user"}`:                     false,
		`{"private_key": "x", "type": "service_account"}`: true,
	} {
		if got := staticKeyIn(v) != ""; got != want {
			t.Errorf("staticKeyIn(%q) = %v, want %v", v, got, want)
		}
	}
}
