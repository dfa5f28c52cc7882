package tests

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/opendataplatform/dataplatform/stacks"
)

// statefulTypes are the only resource types prod protects, per target: what holds data, keys or
// addresses that a replacement would lose. Everything else (Jobs, Secrets, policies, bindings, node
// groups, add-ons) is disposable and must stay replaceable in prod, or a key rotation, an image bump or
// a script change fails with "resource is protected".
var statefulTypes = map[string][]string{
	// The edge's self-signed root CA key (the selfSigned issuer, the kubernetes default): external
	// clients trust that CA, so a new key makes every client re-import it.
	"kubernetes": append(slices.Clip(inClusterStateful), "kubernetes:postgresql.cnpg.io/v1:Cluster", "tls:index/privateKey:PrivateKey",
		// Elasticsearch (opt-in: optionalStateful): its nodes' volumes.
		"kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch"),
	"aws": append(slices.Clip(inClusterStateful),
		"aws:ec2/vpc:Vpc", "aws:eks/cluster:Cluster", "aws:kms/key:Key", "aws:rds/instance:Instance",
		"aws:s3/bucketV2:BucketV2", "aws:ecr/repository:Repository",
		// The edge's hosted zone: the parent zone delegates to its name servers.
		"aws:route53/zone:Zone",
		// The AMP workspace holds the metrics (observability, on by default on aws).
		"aws:amp/workspace:Workspace"),
	"azure": append(slices.Clip(inClusterStateful),
		// Deleting a resource group deletes everything in it, whatever protect says of its contents.
		"azure-native:resources:ResourceGroup", "azure-native:network:VirtualNetwork",
		"azure-native:containerservice/v20240901:ManagedCluster", "azure-native:keyvault:Vault", "azure-native:keyvault:Key",
		"azure-native:storage:StorageAccount", "azure-native:storage:BlobContainer",
		"azure-native:dbforpostgresql/v20230601preview:Server", "azure-native:containerregistry:Registry",
		// The edge's DNS zone: the parent zone delegates to the name servers Azure gave it.
		"azure-native:network:Zone"),
	"gcp": append(slices.Clip(inClusterStateful),
		"gcp:compute/network:Network", "gcp:container/cluster:Cluster", "gcp:kms/keyRing:KeyRing",
		"gcp:kms/cryptoKey:CryptoKey", "gcp:sql/databaseInstance:DatabaseInstance", "gcp:storage/bucket:Bucket",
		"gcp:artifactregistry/repository:Repository",
		// The edge's static IPs (DNS records and clients' allow lists hold them) and its Cloud DNS
		// zone (a new zone gets new name servers, and the parent's delegation breaks).
		"gcp:compute/address:Address", "gcp:dns/managedZone:ManagedZone"),
}

// optionalStateful are stateful types of opt-in services, absent from the default plans: protected
// in prod when planned (their own tests plan them), not required to appear.
var optionalStateful = map[string]bool{"kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch": true}

// inClusterStateful are stateful on every target: namespaces that hold volumes (deleting one deletes
// its PVCs), volume-bearing StatefulSets, and generated credentials and identities that running
// systems hold (a replaced password locks clients out; a replaced client ID orphans Airbyte's).
var inClusterStateful = []string{
	"kubernetes:core/v1:Namespace", "kubernetes:apps/v1:StatefulSet",
	"random:index/randomPassword:RandomPassword", "random:index/randomUuid:RandomUuid",
}

// In prod exactly the stateful leaves are protected; outside prod nothing is; no component is, since
// a protected component protects every child that does not say otherwise (sdk/v3 go/pulumi/context.go).
func TestProdProtectsExactlyTheStatefulLeaves(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		want := map[string]bool{}
		for _, typ := range statefulTypes[target] {
			want[typ] = true
		}
		got := map[string]bool{}
		for _, res := range r.Resources {
			if !res.Protect {
				continue
			}
			switch {
			case stack != "prod":
				t.Errorf("%s is protected outside prod", res.URN)
			case !res.Custom:
				t.Errorf("component %s is protected: its disposable children inherit it", res.URN)
			case !want[res.Type]:
				t.Errorf("%s is protected but %s is not a stateful type", res.URN, res.Type)
			}
			got[res.Type] = true
		}
		if stack != "prod" {
			return
		}
		for typ := range want {
			if !got[typ] && !optionalStateful[typ] {
				t.Errorf("no %s is protected in prod", typ)
			}
		}
		// Every resource of a stateful type is protected, not just one of them.
		for _, res := range r.Resources {
			if want[res.Type] && !res.Protect && !unprotectedByDesign(res.URN) {
				t.Errorf("%s (%s) is not protected in prod", res.URN, res.Type)
			}
		}
	})
}

// unprotectedByDesign names stateful-typed resources that are deliberately replaceable: namespaces
// that hold no volumes — the jobs namespace (Airbyte's short-lived sync pods) and the CloudNativePG
// operator's (the operator and the backup plugin; the databases live in the data namespace) and the
// edge controllers' (cert-manager, Envoy Gateway and its proxies) — and the keys of the in-cluster
// CAs whose only clients are the platform's own pods (MinIO's, PostgreSQL's, the backup plugin's
// mTLS pair), which receive a replaced CA in the same update; only the edge's CA is trusted outside.
// The External Secrets Operator's namespace holds the operator only (its CRDs are cluster-scoped and
// the Secrets it writes live in the platform's namespaces).
func unprotectedByDesign(urn string) bool {
	return strings.HasSuffix(urn, "kubernetes:core/v1:Namespace::platform-jobs") ||
		strings.HasSuffix(urn, "kubernetes:core/v1:Namespace::external-secrets-namespace") ||
		strings.HasSuffix(urn, "kubernetes:core/v1:Namespace::metadata-db-operator-namespace") ||
		strings.HasSuffix(urn, "kubernetes:core/v1:Namespace::edge-controllers-cert-manager-namespace") ||
		strings.HasSuffix(urn, "kubernetes:core/v1:Namespace::edge-controllers-envoy-gateway-namespace") ||
		strings.HasSuffix(urn, "kubernetes:core/v1:Namespace::edge-namespace") || // aws: Gateways only, no pods
		strings.HasSuffix(urn, "kubernetes:core/v1:Namespace::eck-namespace") || // the ECK operator only
		strings.HasSuffix(urn, "kubernetes:core/v1:Namespace::grafana-namespace") || // aws Grafana: no volumes (SQLite on an emptyDir)
		(strings.Contains(urn, "tls:index/privateKey:PrivateKey::") && !strings.HasSuffix(urn, "tls:index/privateKey:PrivateKey::edge-ca-key"))
}

// Every Job carries the hash of what it runs in its pod template: pulumi-kubernetes replaces a Job
// only when spec.template, selector, completions or parallelism change
// (pulumi-kubernetes provider/pkg/await: a Job's metadata changes are not a replacement), so a hash in
// the Job's own metadata never makes a changed script run.
func TestEveryJobHashesItsScriptInThePodTemplate(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		for _, j := range resourcesOf(r, "kubernetes:batch/v1:Job") {
			v := inspect.At(j.Inputs, "spec", "template", "metadata", "annotations", jobHashAnnotation)
			if preview && (v.IsComputed() || v.IsOutput() && !v.OutputValue().Known) {
				continue // hashed from values the preview does not know yet; known on every later run
			}
			if h := inspect.Str(j.Inputs, "spec", "template", "metadata", "annotations", jobHashAnnotation); len(h) != 64 {
				t.Errorf("%s: pod template annotation %s = %q; want a SHA-256", j.URN, jobHashAnnotation, h)
			}
		}
	})
}

const jobHashAnnotation = "dataplatform.io/config-sha256"

// globalNames returns the names that must be unique across the whole cloud, by resource type.
func globalNames(r *planner.Result) []string {
	keys := map[string][]string{
		"aws:s3/bucketV2:BucketV2":                             {"bucket"},
		"aws:s3/bucket:Bucket":                                 {"bucket"},
		"gcp:storage/bucket:Bucket":                            {"name"},
		"azure-native:storage:StorageAccount":                  {"accountName"},
		"azure-native:containerregistry:Registry":              {"registryName"},
		"azure-native:dbforpostgresql:Server":                  {"serverName"},
		"azure-native:dbforpostgresql/v20240801:Server":        {"serverName"},
		"azure-native:dbforpostgresql/v20230601preview:Server": {"serverName"},
		"azure-native:keyvault:Vault":                          {"vaultName"},
	}
	var out []string
	for _, res := range r.Resources {
		for _, k := range keys[res.Type] {
			if n := inspect.Str(res.Inputs, k); n != "" {
				out = append(out, res.Type+" "+n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Two organisations deploying the same stack get different globally unique names, the same
// organisation gets the same names on every run, and dataplatform:nameSuffix wins over the derived one.
func TestGlobalNamesAreUniquePerAccountAndOverridable(t *testing.T) {
	for _, target := range []string{"aws", "azure", "gcp"} {
		for _, preview := range []bool{false, true} {
			t.Run(target+"/"+mode(preview), func(t *testing.T) {
				run := func(account string, extra ...string) []string {
					res, err := planner.Plan(stacks.Run, planner.Options{
						Dir: "..", Stack: "prod", Preview: preview, Account: account,
						Sets: append(TargetSets("prod", target), extra...),
					})
					if err != nil {
						t.Fatal(err)
					}
					return globalNames(res)
				}
				other := []string{}
				if target == "gcp" {
					other = append(other, "dataplatform:gcpProject=globex-data-prod")
				}
				a, again := run(""), run("")
				b := run("210987654321", other...)
				if len(a) == 0 {
					t.Fatal("no globally unique names found; teach globalNames the target's types")
				}
				if strings.Join(a, ",") != strings.Join(again, ",") {
					t.Errorf("names changed between two runs:\n%v\n%v", a, again)
				}
				seen := map[string]bool{}
				for _, n := range a {
					seen[n] = true
				}
				for _, n := range b {
					if seen[n] {
						t.Errorf("%s is the same in two accounts", n)
					}
				}
				// The override wins: every global name changes with it (a name derived from another,
				// like the keyed Azure account hashed from the lake account's, changes too), and the
				// primary names carry it literally.
				overridden, carried := run("", "dataplatform:nameSuffix=zz42"), 0
				for _, n := range overridden {
					if seen[n] {
						t.Errorf("%s ignores dataplatform:nameSuffix=zz42", n)
					}
					if strings.Contains(n, "zz42") {
						carried++
					}
				}
				if carried == 0 || len(overridden) != len(a) {
					t.Errorf("nameSuffix=zz42 gave %v; want the same %d names, carrying zz42", overridden, len(a))
				}
			})
		}
	}
}
