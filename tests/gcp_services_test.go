package tests

import (
	"sort"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestGCPServices: a gcp stack enables the APIs it calls (never disabling them on destroy), and every
// gcp resource — the secret store's key and secrets, the Certificate Manager and Cloud DNS resources,
// the cluster — waits for them directly.
func TestGCPServices(t *testing.T) {
	for _, preview := range []bool{false, true} {
		// With the observability model (opt-in on gcp) and the _Default bucket it may manage.
		r := plan(t, "dev", "gcp", preview, `dataplatform:observability={"enabled": true, "logsRetentionDays": 30}`)
		services := resourcesOf(r, "gcp:projects/service:Service")
		var apis []string
		urns := map[string]string{}
		for _, s := range services {
			api := inspect.Str(s.Inputs, "service")
			apis = append(apis, api)
			urns[api] = s.URN
			d, dok := inspect.Bool(s.Inputs, "disableOnDestroy")
			dd, ddok := inspect.Bool(s.Inputs, "disableDependentServices")
			if d || dd || !dok || !ddok {
				t.Errorf("%s: disableOnDestroy %v (set %v), disableDependentServices %v (set %v); want both set to false", api, d, dok, dd, ddok)
			}
			if p := inspect.Str(s.Inputs, "project"); p != r.Platform.GCPProject {
				t.Errorf("%s enabled in %q; want %s", api, p, r.Platform.GCPProject)
			}
		}
		sort.Strings(apis)
		// logging and monitoring: the observability model is on (observability.enabled).
		want := []string{"artifactregistry", "certificatemanager", "cloudkms", "cloudresourcemanager", "compute", "container", "dns", "iam", "logging", "monitoring", "secretmanager", "servicenetworking", "sqladmin", "storage"}
		for i := range want {
			want[i] += ".googleapis.com"
		}
		if strings.Join(apis, ",") != strings.Join(want, ",") {
			t.Fatalf("enabled APIs %v; want %v", apis, want)
		}
		waits := func(typ string, apis ...string) {
			t.Helper()
			rs := resourcesOf(r, typ)
			if len(rs) == 0 {
				t.Errorf("no %s", typ)
			}
			for _, res := range rs {
				deps := map[string]bool{}
				for _, d := range res.Dependencies {
					deps[d] = true
				}
				for _, api := range apis {
					if !deps[urns[api]] {
						t.Errorf("%s %s does not wait for %s", typ, res.Name, api)
					}
				}
			}
		}
		waits("gcp:secretmanager/secret:Secret", "secretmanager.googleapis.com", "cloudkms.googleapis.com")
		waits("gcp:projects/serviceIdentity:ServiceIdentity", "secretmanager.googleapis.com")
		waits("gcp:kms/cryptoKey:CryptoKey", "cloudkms.googleapis.com")
		waits("gcp:certificatemanager/dnsAuthorization:DnsAuthorization", "certificatemanager.googleapis.com")
		waits("gcp:certificatemanager/certificate:Certificate", "certificatemanager.googleapis.com")
		waits("gcp:certificatemanager/certificateMapEntry:CertificateMapEntry", "certificatemanager.googleapis.com")
		waits("gcp:dns/managedZone:ManagedZone", "dns.googleapis.com")
		waits("gcp:dns/recordSet:RecordSet", "dns.googleapis.com")
		waits("gcp:container/cluster:Cluster", "container.googleapis.com", "compute.googleapis.com")
		waits("gcp:sql/databaseInstance:DatabaseInstance", "sqladmin.googleapis.com")
		waits("gcp:servicenetworking/connection:Connection", "servicenetworking.googleapis.com")
		waits("gcp:artifactregistry/repository:Repository", "artifactregistry.googleapis.com")
		waits("gcp:monitoring/alertPolicy:AlertPolicy", "monitoring.googleapis.com")
		waits("gcp:monitoring/dashboard:Dashboard", "monitoring.googleapis.com")
		waits("gcp:logging/projectBucketConfig:ProjectBucketConfig", "logging.googleapis.com")
		// And every other gcp resource: none is created before the APIs are on.
		for _, res := range r.Resources {
			if !strings.HasPrefix(res.Type, "gcp:") || res.Type == "gcp:projects/service:Service" {
				continue
			}
			deps := strings.Join(res.Dependencies, " ")
			for api, urn := range urns {
				if !strings.Contains(deps, urn) {
					t.Errorf("%s %s does not wait for %s", res.Type, res.Name, api)
				}
			}
		}
	}
	// Without the edge, neither Cloud DNS nor Certificate Manager is enabled.
	r := plan(t, "dev", "gcp", false, `dataplatform:edge={"enabled": false}`)
	for _, s := range resourcesOf(r, "gcp:projects/service:Service") {
		if api := inspect.Str(s.Inputs, "service"); api == "dns.googleapis.com" || api == "certificatemanager.googleapis.com" {
			t.Errorf("%s enabled without the edge", api)
		}
	}
}
