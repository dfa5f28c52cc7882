package policies

import (
	"encoding/base64"
	"regexp"
	"sort"
	"strings"
)

// K8sSecret is a Kubernetes Secret (pulumi-kubernetes v4).
const K8sSecret = "kubernetes:core/v1:Secret"

// AirbyteStackType is the platform's Airbyte component (components/airbyte AirbyteStackType): the one
// reader of a static storage credential (GCS key file, ADLS connection string) the object stores mint.
const AirbyteStackType = "dataplatform:airbyte:AirbyteStack"

// staticKeyPatterns recognise a cloud's long-lived credentials in a Secret value:
//   - AWS access key IDs: "AKIA" (long-term IAM user keys) or "ASIA" (STS) and 16 upper-case
//     letters or digits (AWS IAM User Guide, "Understanding unique ID prefixes").
//   - Azure storage account keys in a connection string: "AccountKey=" (Azure Storage docs,
//     "Configure a connection string": DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…).
//   - GCP service account key files: JSON with "type": "service_account" and "private_key" (the
//     key file format of iam.serviceAccounts.keys.create, privateKeyData decoded).
var staticKeyPatterns = []struct {
	what string
	re   *regexp.Regexp
}{
	{"an AWS access key ID", regexp.MustCompile(`\b(AKIA|ASIA)[A-Z0-9]{16}\b`)},
	{"an Azure storage account key (AccountKey=)", regexp.MustCompile(`(?i)AccountKey=`)},
	{"a GCP service account key file", regexp.MustCompile(`(?s)"type"\s*:\s*"service_account".*"private_key"|"private_key".*"type"\s*:\s*"service_account"`)},
}

// staticKeyIn names the kind of static key value holds, or "".
func staticKeyIn(value string) string {
	for _, p := range staticKeyPatterns {
		if p.re.MatchString(value) {
			return p.what
		}
	}
	return ""
}

// secretStaticKeys checks a Kubernetes Secret's data (base64) and stringData for static cloud keys.
// The credentials the platform creates live in the secret store and reach the cluster through
// ExternalSecrets, so no Secret of the program holds a cloud key; the one exception is the storage
// credential Airbyte's GCS and Azure clients need (the GCS key file and the ADLS connection string
// that noStaticCloudKeys lets the object stores mint), inside the Airbyte component. An AWS key is
// never an exception.
func secretStaticKeys(r Resource) []Finding {
	e := newEval(r.URN)
	e.rule(func() {
		var found []string
		for _, field := range []string{"data", "stringData"} {
			v, ok := e.val(r.Properties, field)
			if !ok || !v.IsObject() {
				continue
			}
			obj := v.ObjectValue()
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, string(k))
			}
			sort.Strings(keys)
			for _, k := range keys {
				s, ok := e.str(r.Properties, field, k)
				if !ok {
					continue
				}
				if field == "data" {
					if b, err := base64.StdEncoding.DecodeString(s); err == nil {
						s = string(b)
					}
				}
				what := staticKeyIn(s)
				if what == "" {
					continue
				}
				if what != staticKeyPatterns[0].what && mintedBy(r.URN, AirbyteStackType) {
					continue
				}
				found = append(found, field+"."+k+" holds "+what)
			}
		}
		if len(found) > 0 {
			e.fail("Secret %s: a static cloud credential in a Kubernetes Secret; use workload identity, or write the "+
				"credential to the secret store and materialize it with an ExternalSecret", strings.Join(found, "; "))
		}
	})
	return e.findings
}
