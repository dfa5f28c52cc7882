package config

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// testRDSBundle stands in for the region's RDS CA bundle every aws stack names.
const testRDSBundle = "../tests/testdata/rds-ca-test-bundle.pem"

// parse parses values; on the kubernetes target it supplies the dbt registry every such stack needs,
// and on aws the RDS CA bundle, unless the test sets dbt or the bundle itself.
func parse(t *testing.T, stack string, values map[string]string) (*Platform, *Error) {
	t.Helper()
	if _, set := values["dataplatform:dbt"]; !set && values["dataplatform:cloud"] == "kubernetes" {
		values["dataplatform:dbt"] = `{"registry": "registry.example.com:5000"}`
	}
	if values["dataplatform:cloud"] == "aws" {
		db := map[string]any{}
		if raw, set := values["dataplatform:metadataDb"]; set {
			if err := json.Unmarshal([]byte(raw), &db); err != nil {
				t.Fatalf("metadataDb in the test is not JSON: %v", err)
			}
		}
		if _, set := db["caBundleFile"]; !set {
			db["caBundleFile"] = testRDSBundle
			raw, _ := json.Marshal(db)
			values["dataplatform:metadataDb"] = string(raw)
		}
	}
	p, err := Parse("dataplatform", stack, values)
	if err == nil {
		return p, nil
	}
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Parse returned %T %v; want *config.Error", err, err)
	}
	return nil, cerr
}

// On aws the RDS CA bundle is required and checked before anything runs: missing, unreadable or not a
// CA bundle is refused with the key, the value and where to download it.
func TestAWSRequiresTheRDSCABundle(t *testing.T) {
	base := func(file string) map[string]string {
		return map[string]string{"dataplatform:cloud": "aws", "dataplatform:region": "eu-north-1",
			"dataplatform:metadataDb": `{"caBundleFile": "` + file + `"}`}
	}
	p, err := parse(t, "dev", base(testRDSBundle))
	if err != nil {
		t.Fatalf("a valid bundle was refused: %v", err)
	}
	if !strings.Contains(p.MetadataDB.CABundlePEM, "BEGIN CERTIFICATE") {
		t.Errorf("the bundle's content was not loaded: %q", p.MetadataDB.CABundlePEM)
	}
	for file, want := range map[string]string{"": "truststore.pki.rds.amazonaws.com/eu-north-1/eu-north-1-bundle.pem", "testdata/missing.pem": "no such file", "config.go": "no PEM certificate"} {
		_, err := parse(t, "dev", base(file))
		if err == nil {
			t.Errorf("caBundleFile %q accepted", file)
			continue
		}
		if pr := problem(t, err, "dataplatform:metadataDb.caBundleFile"); !strings.Contains(pr.Allowed, want) {
			t.Errorf("caBundleFile %q: %q does not say %q", file, pr.Allowed, want)
		}
	}
}

// problem finds the problem for a key, failing the test when there is none.
func problem(t *testing.T, err *Error, key string) Problem {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want a problem for %s", key)
	}
	for _, p := range err.Problems {
		if p.Key == key {
			return p
		}
	}
	t.Fatalf("no problem for %s in:\n%v", key, err)
	return Problem{}
}

func TestDefaultsFollowTheDesignDocument(t *testing.T) {
	for _, cloud := range Clouds {
		for _, env := range Environments {
			p := Defaults(cloud, env)
			p.Project, p.Stack = "dataplatform", string(env)
			if cloud == GCP {
				p.GCPProject = "acme-data-" + string(env)
			}
			if cloud == Kubernetes {
				p.Dbt.Registry = "registry.example.com:5000"
			}
			if cloud == AWS {
				p.MetadataDB.CABundleFile = testRDSBundle // the deployer's download; no default can exist
			}
			if problems := Validate(&p); len(problems) > 0 {
				t.Errorf("%s/%s defaults are invalid: %v", cloud, env, problems)
			}
		}
	}
	prod := Defaults(AWS, Prod)
	if prod.Profile.RTO != time.Hour || prod.Profile.RPO != 15*time.Minute || prod.Profile.AvailabilityPercent != 99.9 {
		t.Errorf("prod profile = %+v; want RTO 1h, RPO 15m, 99.9%%", prod.Profile)
	}
	if prod.Dremio.Executors != 3 || prod.Dremio.Executor != (Compute{CPU: 8, MemoryGiB: 16}) {
		t.Errorf("prod Dremio executors = %d × %+v; want 3 × 8 CPU/16 GiB", prod.Dremio.Executors, prod.Dremio.Executor)
	}
	if prod.MetadataDB.Compute != (Compute{CPU: 4, MemoryGiB: 8}) || !prod.MetadataDB.HighAvailability {
		t.Errorf("prod PostgreSQL = %+v; want 4 CPU/8 GiB with HA", prod.MetadataDB)
	}
	if prod.Airbyte.Worker != (Compute{CPU: 2, MemoryGiB: 4}) || prod.Airbyte.WorkerMinReplicas != 2 || prod.Airbyte.WorkerMaxReplicas != 10 {
		t.Errorf("prod Airbyte worker = %+v; want 2 CPU/4 GiB, HPA 2–10", prod.Airbyte)
	}
	if prod.Network.NATGateways != 3 || prod.Cluster.EndpointAccess != PrivateEndpoint || prod.Cluster.WorkloadPool.Spot {
		t.Errorf("prod network/cluster = %+v / %+v; want NAT per zone, private endpoint, no spot", prod.Network, prod.Cluster)
	}
	dev := Defaults(AWS, Dev)
	if dev.Network.NATGateways != 1 || !dev.Cluster.WorkloadPool.Spot || dev.Dremio.Executors != 1 {
		t.Errorf("dev = NAT %d, spot %v, executors %d; want 1, true, 1", dev.Network.NATGateways, dev.Cluster.WorkloadPool.Spot, dev.Dremio.Executors)
	}
	if k := Defaults(Kubernetes, Prod); k.Cluster.StorageClasses != (StorageClasses{}) || k.ObjectStore.MinIO.Replicas != 4 {
		t.Errorf("kubernetes prod: storage classes %+v (want cluster default), MinIO replicas %d (want 4)", k.Cluster.StorageClasses, k.ObjectStore.MinIO.Replicas)
	}
}

func TestParseOverlaysObjectsOnDefaults(t *testing.T) {
	p, err := parse(t, "prod", map[string]string{
		"dataplatform:cloud":       "aws",
		"dataplatform:region":      "eu-west-1",
		"dataplatform:metadataDb":  `{"backupRetentionDays": 21, "drRegion": "eu-central-1"}`,
		"dataplatform:dremio":      `{"executors": 5}`,
		"dataplatform:tags":        `{"team": "data"}`,
		"aws:region":               "eu-west-1", // other namespaces are the providers' business
		"dataplatform:environment": "prod",
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.MetadataDB.BackupRetentionDays != 21 || p.MetadataDB.DRRegion != "eu-central-1" {
		t.Errorf("metadataDb = %+v; want retention 21 and DR eu-central-1", p.MetadataDB)
	}
	if !p.MetadataDB.HighAvailability || p.MetadataDB.Compute.CPU != 4 {
		t.Errorf("unset metadataDb fields lost their prod defaults: %+v", p.MetadataDB)
	}
	if p.Dremio.Executors != 5 || p.Dremio.Executor.MemoryGiB != 16 {
		t.Errorf("dremio = %+v; want 5 executors keeping 16 GiB", p.Dremio)
	}
	if p.Tags["team"] != "data" || p.Region != "eu-west-1" {
		t.Errorf("tags/region = %v/%s", p.Tags, p.Region)
	}
}

func TestEnvironmentDefaultsToStackName(t *testing.T) {
	p, err := parse(t, "staging", map[string]string{"dataplatform:cloud": "kubernetes"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Environment != Staging || p.Dremio.Executors != 2 {
		t.Errorf("environment %s, executors %d; want staging, 2", p.Environment, p.Dremio.Executors)
	}
	_, err = parse(t, "prod-eu", map[string]string{"dataplatform:cloud": "kubernetes"})
	pr := problem(t, err, "dataplatform:environment")
	if !strings.Contains(pr.Allowed, `"prod-eu"`) {
		t.Errorf("environment problem %q does not explain that the stack name is not an environment", pr)
	}
}

func TestValidationReportsEveryProblemWithKeyValueAndAllowed(t *testing.T) {
	_, err := parse(t, "prod", map[string]string{
		"dataplatform:cloud":       "oracle",
		"dataplatform:metadataDb":  `{"backupRetentionDays": 0}`,
		"dataplatform:network":     `{"cidr": "10.0.0.0/33"}`,
		"dataplatform:dremio":      `{"executors": -1}`,
		"dataplatform:metadataDB":  `{}`,
		"dataplatform:environment": "prod",
	})
	cloud := problem(t, err, "dataplatform:cloud")
	if cloud.Value != "oracle" || !strings.Contains(cloud.Allowed, "kubernetes, aws, azure, gcp") {
		t.Errorf("cloud problem = %+v", cloud)
	}
	retention := problem(t, err, "dataplatform:metadataDb.backupRetentionDays")
	if retention.Value != "0" || !strings.Contains(retention.Allowed, "≥ 7") || !strings.Contains(retention.Allowed, "prod floor") {
		t.Errorf("retention problem = %+v; want value 0 and the prod floor of 7", retention)
	}
	if cidr := problem(t, err, "dataplatform:network.cidr"); cidr.Value != "10.0.0.0/33" {
		t.Errorf("cidr problem = %+v", cidr)
	}
	if ex := problem(t, err, "dataplatform:dremio.executors"); ex.Value != "-1" {
		t.Errorf("executors problem = %+v", ex)
	}
	typo := problem(t, err, "dataplatform:metadataDB")
	if !strings.Contains(typo.Allowed, "dataplatform:metadataDb") {
		t.Errorf("unknown key problem does not list the known keys: %+v", typo)
	}
	msg := err.Error()
	for _, want := range []string{`dataplatform:cloud = "oracle" is not allowed`, "dataplatform:dremio.executors"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error text lacks %q:\n%s", want, msg)
		}
	}
}

func TestProdFloors(t *testing.T) {
	base := map[string]string{"dataplatform:cloud": "aws", "dataplatform:region": "eu-north-1"}
	cases := []struct {
		key, object, field string
	}{
		{"dataplatform:dremio.executors", "dataplatform:dremio", `{"executors": 2}`},
		{"dataplatform:metadataDb.highAvailability", "dataplatform:metadataDb", `{"highAvailability": false}`},
		{"dataplatform:metadataDb.deletionProtection", "dataplatform:metadataDb", `{"deletionProtection": false}`},
		{"dataplatform:metadataDb.pointInTimeRecovery", "dataplatform:metadataDb", `{"pointInTimeRecovery": false}`},
		{"dataplatform:cluster.endpointAccess", "dataplatform:cluster", `{"endpointAccess": "public-and-private", "publicAccessCidrs": ["203.0.113.0/24"]}`},
		{"dataplatform:cluster.workloadPool.spot", "dataplatform:cluster", `{"workloadPool": {"machineType": "m7i.4xlarge", "minNodes": 3, "maxNodes": 6, "diskSizeGiB": 100, "spot": true}}`},
		{"dataplatform:network.natGateways", "dataplatform:network", `{"natGateways": 1}`},
		{"dataplatform:objectStore.versioning", "dataplatform:objectStore", `{"versioning": false}`},
		{"dataplatform:airbyte.workerMinReplicas", "dataplatform:airbyte", `{"workerMinReplicas": 1}`},
		{"dataplatform:dremio.zookeeperReplicas", "dataplatform:dremio", `{"zookeeperReplicas": 1}`},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			values := map[string]string{c.object: c.field}
			for k, v := range base {
				values[k] = v
			}
			_, err := parse(t, "prod", values)
			problem(t, err, c.key)

			// The same value is fine outside prod (where the floor does not apply).
			if c.key == "dataplatform:cluster.endpointAccess" || c.key == "dataplatform:network.natGateways" ||
				c.key == "dataplatform:dremio.zookeeperReplicas" {
				if _, err := parse(t, "dev", values); err != nil {
					t.Errorf("dev refuses a value only prod forbids: %v", err)
				}
			}
		})
	}
}

func TestRegionMustBelongToTheTarget(t *testing.T) {
	_, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "gcp", "dataplatform:region": "eu-north-1", "dataplatform:gcpProject": "acme-data-dev"})
	pr := problem(t, err, "dataplatform:region")
	if pr.Value != "eu-north-1" || !strings.Contains(pr.Allowed, "europe-north1") {
		t.Errorf("region problem = %+v", pr)
	}
	_, err = parse(t, "dev", map[string]string{"dataplatform:cloud": "gcp", "dataplatform:region": "europe-north1"})
	problem(t, err, "dataplatform:gcpProject")
	if _, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "kubernetes", "dataplatform:region": "on-prem-1"}); err != nil {
		t.Errorf("kubernetes target refuses a free-text region: %v", err)
	}
}

func TestObjectsAreDecodedStrictly(t *testing.T) {
	_, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "kubernetes", "dataplatform:dremio": `{"executor": {"cpu": "eight"}}`})
	pr := problem(t, err, "dataplatform:dremio.executor.cpu")
	if !strings.Contains(pr.Allowed, "number") {
		t.Errorf("type problem = %+v; want it to name the number type", pr)
	}
	_, err = parse(t, "dev", map[string]string{"dataplatform:cloud": "kubernetes", "dataplatform:dremio": `{"executorz": 3}`})
	pr = problem(t, err, "dataplatform:dremio.executorz")
	if !strings.Contains(pr.Allowed, "executors") {
		t.Errorf("unknown field problem = %+v; want the known fields listed", pr)
	}
}

func TestNetworkRangesMustNotOverlap(t *testing.T) {
	_, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "kubernetes", "dataplatform:network": `{"podCidr": "10.40.0.0/16"}`})
	problem(t, err, "dataplatform:network.podCidr")
	_, err = parse(t, "dev", map[string]string{"dataplatform:cloud": "kubernetes", "dataplatform:network": `{"cidr": "8.8.0.0/16"}`})
	if pr := problem(t, err, "dataplatform:network.cidr"); !strings.Contains(pr.Allowed, "private") {
		t.Errorf("public CIDR problem = %+v", pr)
	}
}

func TestImagesMustBePinned(t *testing.T) {
	for _, img := range []string{"dremio/dremio-oss", "dremio/dremio-oss:latest", ""} {
		_, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "kubernetes", "dataplatform:dremio": `{"image": "` + img + `"}`})
		problem(t, err, "dataplatform:dremio.image")
	}
	if _, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "kubernetes", "dataplatform:dremio": `{"image": "registry.local:5000/dremio/dremio-oss@sha256:abc"}`}); err != nil {
		t.Errorf("a digest-pinned image on a registry with a port is refused: %v", err)
	}
}

// The token proxy sidecar runs on azure only (Dremio's ADLS access), so its image is checked there.
func TestDremioTokenProxyImageIsPinnedOnAzure(t *testing.T) {
	azure := func(dremio string) map[string]string {
		cfg := map[string]string{"dataplatform:cloud": "azure", "dataplatform:region": "swedencentral"}
		if dremio != "" {
			cfg["dataplatform:dremio"] = dremio
		}
		return cfg
	}
	p, err := parse(t, "dev", azure(""))
	if err != nil || p.Dremio.TokenProxyImage != "mcr.microsoft.com/oss/azure/workload-identity/proxy:v1.6.0" {
		t.Fatalf("azure default tokenProxyImage = %v, %v; want the pinned v1.6.0 proxy", p, err)
	}
	for _, img := range []string{"mcr.microsoft.com/oss/azure/workload-identity/proxy", "mcr.microsoft.com/oss/azure/workload-identity/proxy:latest", ""} {
		_, err := parse(t, "dev", azure(`{"tokenProxyImage": "`+img+`"}`))
		if pr := problem(t, err, "dataplatform:dremio.tokenProxyImage"); pr.Value != img || !strings.Contains(pr.Allowed, "pinned") {
			t.Errorf("tokenProxyImage %q problem = %+v", img, pr)
		}
	}
	p, err = parse(t, "dev", azure(`{"tokenProxyImage": "registry.example.com/azwi/proxy@sha256:abc"}`))
	if err != nil || p.Dremio.TokenProxyImage != "registry.example.com/azwi/proxy@sha256:abc" {
		t.Errorf("a digest-pinned token proxy is refused: %v", err)
	}
	// Elsewhere nothing runs it.
	if _, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "kubernetes", "dataplatform:dremio": `{"tokenProxyImage": ""}`}); err != nil {
		t.Errorf("kubernetes refuses an unused tokenProxyImage: %v", err)
	}
}

// On aws only the minors with a pinned Cluster Autoscaler are accepted: its minor must match the
// control plane's, and a missing pin would otherwise fail halfway through `pulumi up`.
func TestAWSKubernetesVersionHasAPinnedAutoscaler(t *testing.T) {
	for v, ok := range map[string]bool{"1.32": false, "1.33": true, "1.35": true, "1.36": false} {
		_, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "aws", "dataplatform:region": "eu-north-1", "dataplatform:cluster": `{"kubernetesVersion": "` + v + `"}`})
		if ok && err != nil {
			t.Errorf("kubernetesVersion %s refused on aws: %v", v, err)
		}
		if !ok {
			if pr := problem(t, err, "dataplatform:cluster.kubernetesVersion"); pr.Value != v || !strings.Contains(pr.Allowed, "1.33, 1.34, 1.35") {
				t.Errorf("kubernetesVersion %s problem on aws = %+v", v, pr)
			}
		}
	}
}

// Airbyte's storage credential on gcp and azure is minted by the platform unless the user names a
// Secret of their own, which must then be a valid name.
func TestAirbyteStorageCredentialsSecretIsOptional(t *testing.T) {
	for _, cloud := range []string{"gcp", "azure"} {
		region := map[string]string{"gcp": "europe-north1", "azure": "swedencentral"}[cloud]
		cfg := map[string]string{"dataplatform:cloud": cloud, "dataplatform:region": region}
		if cloud == "gcp" {
			cfg["dataplatform:gcpProject"] = "acme-data-dev"
		}
		if _, err := parse(t, "dev", cfg); err != nil {
			t.Errorf("%s without airbyte.storageCredentialsSecret: %v", cloud, err)
		}
		cfg["dataplatform:airbyte"] = `{"storageCredentialsSecret": "airbyte-storage"}`
		p, err := parse(t, "dev", cfg)
		if err != nil || p.Airbyte.StorageCredentialsSecret != "airbyte-storage" {
			t.Errorf("%s with a user-managed Secret: %v, %q", cloud, err, p.Airbyte.StorageCredentialsSecret)
		}
		cfg["dataplatform:airbyte"] = `{"storageCredentialsSecret": "Airbyte_Storage"}`
		_, err = parse(t, "dev", cfg)
		if pr := problem(t, err, "dataplatform:airbyte.storageCredentialsSecret"); pr.Value != "Airbyte_Storage" || !strings.Contains(pr.Allowed, "DNS label") {
			t.Errorf("%s bad Secret name problem = %+v", cloud, pr)
		}
	}
}

func TestKubernetesVersionFloor(t *testing.T) {
	for v, ok := range map[string]bool{"1.28": false, "1.29": true, "1.34": true, "1.9": false, "2.0": false} {
		_, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "azure", "dataplatform:region": "swedencentral", "dataplatform:cluster": `{"kubernetesVersion": "` + v + `"}`})
		if ok && err != nil {
			t.Errorf("kubernetesVersion %s refused: %v", v, err)
		}
		if !ok {
			if pr := problem(t, err, "dataplatform:cluster.kubernetesVersion"); pr.Value != v || !strings.Contains(pr.Allowed, "1.29") {
				t.Errorf("kubernetesVersion %s problem = %+v", v, pr)
			}
		}
	}
}
