package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/edge/agc"
	"github.com/opendataplatform/dataplatform/components/elasticsearch"
	"github.com/opendataplatform/dataplatform/components/objectstore/adls"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/opendataplatform/dataplatform/policy/policies"
)

// eachAzureESPlan runs f on the azure plan of every stack, normal and preview, with Elasticsearch on.
func eachAzureESPlan(t *testing.T, f func(t *testing.T, stack string, preview bool, r *planner.Result)) {
	for _, stack := range Stacks {
		for _, preview := range []bool{false, true} {
			stack, preview := stack, preview
			t.Run(fmt.Sprintf("%s/azure/%s", stack, mode(preview)), func(t *testing.T) {
				f(t, stack, preview, plan(t, stack, "azure", preview, "dataplatform:elasticsearch.enabled=true"))
			})
		}
	}
}

func esNamed(r *planner.Result, typ, name string) *mockcloud.Resource {
	for _, res := range resourcesOf(r, typ) {
		if res.Name == name {
			return res
		}
	}
	return nil
}

// TestElasticsearchOnAzure: an azure stack with Elasticsearch on gets ECK (API-server egress to any
// address on 443/6443, as on the other clouds), an Elasticsearch on the fast class whose pods carry
// the workload identity webhook's label and run as the elasticsearch ServiceAccount annotated with
// the identity's client ID, the federated token projected under config/azure/tokens with
// AZURE_FEDERATED_TOKEN_FILE there, the account name alone in the keystore, an azure repository on
// the backups container under elasticsearch/, the grant (Storage Blob Data Contributor on the backups
// container) limited to elasticsearch/ by its ABAC condition, the federation bound to
// dataplatform-data/elasticsearch, the Elasticsearch waiting for both, HTTPS egress only, zone
// awareness in prod, Kibana on the edge at kibana.<domain> (AGC where the edge is open, which probes
// Kibana's readiness probe, /api/status) with the edge's addresses admitted, and Kibana's budget in
// prod. The policy pack passes.
func TestElasticsearchOnAzure(t *testing.T) {
	eachAzureESPlan(t, func(t *testing.T, stack string, preview bool, r *planner.Result) {
		prod := stack == "prod"
		pcfg, err := r.PolicyConfig(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range r.Evaluate(pcfg) {
			if v.Level == policies.Mandatory {
				t.Errorf("%s", v)
			}
		}
		es := resourcesOf(r, esCRType)
		if len(es) != 1 {
			t.Fatalf("%d Elasticsearch resources; want 1", len(es))
		}
		e := es[0]
		if e.Protect != prod {
			t.Errorf("Elasticsearch protect = %v; want %v", e.Protect, prod)
		}
		for _, v := range inspect.Arr(inspect.At(e.Inputs, "spec", "nodeSets")) {
			n := inspect.Obj(v)
			name := inspect.Str(n, "name")
			if l := inspect.Str(n, "podTemplate", "metadata", "labels", adls.UseLabel); l != "true" {
				t.Errorf("node set %s: %s = %q; want true (the webhook selects pods by it)", name, adls.UseLabel, l)
			}
			ps := inspect.Obj(inspect.At(n, "podTemplate", "spec"))
			if sa := inspect.Str(ps, "serviceAccountName"); sa != elasticsearch.ServiceAccountName {
				t.Errorf("node set %s runs as %q", name, sa)
			}
			if sc, want := inspect.Str(n, "volumeClaimTemplates", 0, "spec", "storageClassName"), r.Platform.Cluster.StorageClasses.FastSSD; sc != want || sc == "" {
				t.Errorf("node set %s: storage class %q; want %q", name, sc, want)
			}
			if za := inspect.Has(n, "zoneAwareness"); za != prod {
				t.Errorf("node set %s: zoneAwareness = %v; want %v (AKS nodes carry the zone label)", name, za, prod)
			}
			c := inspect.Obj(inspect.At(ps, "containers", 0))
			if inspect.Str(c, "env", 0, "name") != "AZURE_FEDERATED_TOKEN_FILE" || inspect.Str(c, "env", 0, "value") != elasticsearch.AzureTokenPath {
				t.Errorf("node set %s: env %v; want AZURE_FEDERATED_TOKEN_FILE=%s", name, inspect.At(c, "env"), elasticsearch.AzureTokenPath)
			}
			if inspect.Str(c, "volumeMounts", 0, "mountPath") != "/usr/share/elasticsearch/config/azure/tokens" ||
				inspect.Str(ps, "volumes", 0, "projected", "sources", 0, "serviceAccountToken", "audience") != adls.TokenAudience {
				t.Errorf("node set %s: the federated token is not projected under config/azure/tokens", name)
			}
		}
		entries := inspect.Arr(inspect.At(e.Inputs, "spec", "secureSettings", 0, "entries"))
		if len(entries) != 1 || inspect.Str(inspect.Obj(entries[0]), "key") != elasticsearch.AzureAccountSetting {
			t.Errorf("keystore entries %v; want %s alone", entries, elasticsearch.AzureAccountSetting)
		}
		client := esNamed(r, "kubernetes:core/v1:Secret", "elasticsearch-azure-client")
		account := esNamed(r, "azure-native:storage:StorageAccount", "object-store-account")
		if client == nil || account == nil {
			t.Fatalf("no keystore Secret (%v) or storage account (%v)", client, account)
		}
		if !preview && inspect.Str(client.Inputs, "stringData", elasticsearch.AzureAccountSetting) != inspect.Str(account.Inputs, "accountName") {
			t.Errorf("keystore account %q; want the store's %q", inspect.Str(client.Inputs, "stringData", elasticsearch.AzureAccountSetting), inspect.Str(account.Inputs, "accountName"))
		}

		sa := esNamed(r, "kubernetes:core/v1:ServiceAccount", "elasticsearch-serviceaccount")
		uai := esNamed(r, "azure-native:managedidentity:UserAssignedIdentity", "object-store-elasticsearch")
		fic := esNamed(r, "azure-native:managedidentity:FederatedIdentityCredential", "object-store-elasticsearch-federation")
		grant := esNamed(r, "azure-native:authorization:RoleAssignment", "object-store-elasticsearch-backups")
		if sa == nil || uai == nil || fic == nil || grant == nil {
			t.Fatalf("ServiceAccount %v, identity %v, federation %v, grant %v", sa != nil, uai != nil, fic != nil, grant != nil)
		}
		if !preview && inspect.Str(sa.Inputs, "metadata", "annotations", adls.ClientIDAnnotation) != inspect.Str(uai.Outputs, "clientId") {
			t.Errorf("the ServiceAccount's client ID %q is not its identity's", inspect.Str(sa.Inputs, "metadata", "annotations", adls.ClientIDAnnotation))
		}
		if s := inspect.Str(fic.Inputs, "subject"); s != "system:serviceaccount:"+r.Platform.Network.Namespaces.Data+":"+elasticsearch.ServiceAccountName {
			t.Errorf("federation subject %q", s)
		}
		if c := inspect.Str(grant.Inputs, "condition"); c != adls.PrefixCondition("elasticsearch") || inspect.Str(grant.Inputs, "conditionVersion") != "2.0" {
			t.Errorf("Elasticsearch's grant condition %q; want the elasticsearch/ prefix condition", c)
		}
		if !strings.HasSuffix(inspect.Str(grant.Inputs, "roleDefinitionId"), "/"+adls.BlobDataContributorRole) {
			t.Errorf("Elasticsearch's grant is %q; want Storage Blob Data Contributor", inspect.Str(grant.Inputs, "roleDefinitionId"))
		}
		backups := esNamed(r, "azure-native:storage:BlobContainer", "object-store-backups")
		if backups == nil || !strings.Contains(strings.Join(grant.PropertyDependencies["scope"], ","), backups.URN) {
			t.Errorf("Elasticsearch's grant is not scoped to the backups container")
		}
		for _, d := range []*mockcloud.Resource{fic, grant} {
			if !r.Mocks.DependsOn(e, d) {
				t.Errorf("the Elasticsearch does not wait for %s", d.Name)
			}
		}

		var repo struct {
			Type     string
			Settings map[string]string
		}
		cm := esNamed(r, "kubernetes:core/v1:ConfigMap", "elasticsearch-snapshot-config")
		if cm == nil {
			t.Fatalf("no snapshot ConfigMap")
		}
		if !preview {
			if err := json.Unmarshal([]byte(inspect.Str(cm.Inputs, "data", "repository.json")), &repo); err != nil || repo.Type != "azure" ||
				repo.Settings["container"] != "backups" || repo.Settings["base_path"] != "elasticsearch" || repo.Settings["client"] != "default" {
				t.Errorf("repository.json = %s", inspect.Str(cm.Inputs, "data", "repository.json"))
			}
		}

		if eg := esNamed(r, k8sNPType, "elasticsearch-elasticsearch-objectstore-egress"); eg == nil ||
			len(inspect.Arr(inspect.At(eg.Inputs, "spec", "egress"))) != 1 ||
			inspect.Str(eg.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "cidr") != "0.0.0.0/0" ||
			strings.Join(inspect.Strs(eg.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "except"), ",") != "169.254.169.254/32" {
			t.Errorf("Elasticsearch's egress on azure: want HTTPS anywhere but the metadata address, nothing else")
		}
		if api := esNamed(r, k8sNPType, "eck-allow-kube-api"); api == nil || inspect.Str(api.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "cidr") != "0.0.0.0/0" {
			t.Errorf("ECK cannot reach AKS's API server (public endpoint, or the private cluster's endpoint in the VNet)")
		}

		routed := ""
		for _, hr := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute") {
			if strings.Join(inspect.Strs(hr.Inputs, "spec", "hostnames"), ",") == "kibana."+r.Platform.Domain &&
				inspect.Str(hr.Inputs, "spec", "rules", 0, "backendRefs", 0, "name") == elasticsearch.KibanaService {
				routed = inspect.Str(hr.Inputs, "spec", "parentRefs", 0, "name")
			}
		}
		open := false
		for _, c := range r.Platform.Edge.SourceRanges {
			open = open || c == "0.0.0.0/0"
		}
		switch {
		case routed == "":
			t.Errorf("no HTTPRoute for kibana.%s", r.Platform.Domain)
		case open && routed != agc.GatewayName:
			t.Errorf("kibana.%s attaches to %q; want the AGC Gateway", r.Platform.Domain, routed)
		}
		if open {
			// AGC reaches the pods from its subnet: the Kibana policy admits it.
			allow := esNamed(r, k8sNPType, "elasticsearch-kibana-allow-edge")
			if allow == nil || !strings.Contains(fmt.Sprint(inspect.Plain(inspect.At(allow.Inputs, "spec", "ingress", 0, "from"))), "ipBlock") {
				t.Errorf("Kibana does not admit the AGC subnet")
			}
		}
		kibanaPDB := esNamed(r, "kubernetes:policy/v1:PodDisruptionBudget", "elasticsearch-kibana-pdb") != nil
		if kibanaPDB != prod {
			t.Errorf("Kibana budget = %v; want %v", kibanaPDB, prod)
		}
	})
}

const k8sNPType = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
