package elasticsearch

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	esType  = "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch"
	kbType  = "kubernetes:kibana.k8s.elastic.co/v1:Kibana"
	jobType = "kubernetes:batch/v1:Job"
	npType  = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
)

func devArgs() *Args {
	return &Args{
		NamespaceName: "dataplatform-data", Version: "9.4.3",
		NodeSets:       []NodeSet{{Name: "nodes", Roles: []string{"master", "data", "ingest"}, Count: 1, CPU: 1, MemoryGiB: 4, VolumeGiB: 30}},
		StorageClass:   "fast-ssd",
		KibanaReplicas: 1,
		Snapshots: Snapshots{Bucket: objectstore.Backups, Prefix: "elasticsearch", Workload: "elasticsearch",
			Schedule: "0 30 1 * * ?", PerDay: 1, RetentionDays: 7},
		OperatorNamespace: "elastic-system",
		ClientNamespaces:  []string{"envoy-gateway-system"},
		PublicURL:         "https://kibana.data.example.com",
	}
}

func prodArgs() *Args {
	a := devArgs()
	a.NodeSets = []NodeSet{
		{Name: "masters", Roles: []string{"master"}, Count: 3, CPU: 1, MemoryGiB: 2, VolumeGiB: 10},
		{Name: "data", Roles: []string{"data", "ingest"}, Count: 3, CPU: 2, MemoryGiB: 8, VolumeGiB: 100},
	}
	a.ZoneAwareness, a.Protect, a.KibanaReplicas = true, true, 2
	a.Snapshots.Schedule, a.Snapshots.PerDay, a.Snapshots.RetentionDays = "0 0/15 * * * ?", 96, 30
	return a
}

func run(t *testing.T, preview bool, a *Args) (*mockcloud.Mocks, error) {
	return runWith(t, preview, a, minioStore)
}

func minioStore() objectstore.Info {
	return objectstore.Info{
		Kind:        objectstore.MinIO,
		Endpoint:    pulumi.String("https://minio.dataplatform-data.svc.cluster.local:9000").ToStringOutput(),
		BucketNames: map[objectstore.Bucket]pulumi.StringOutput{objectstore.Backups: pulumi.String("backups").ToStringOutput()},
		Identities: map[string]objectstore.Identity{"elasticsearch": {
			CredentialsSecret: pulumi.String("elasticsearch-object-store").ToStringOutput(),
		}},
	}
}

func runWith(t *testing.T, preview bool, a *Args, store func() objectstore.Info) (*mockcloud.Mocks, error) {
	m := mockcloud.New("dataplatform", "dev", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		op, err := corev1.NewNamespace(ctx, "operator", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("elastic-system")}}, pulumi.Provider(k))
		if err != nil {
			return err
		}
		a.Operator = op
		a.Namespace = pulumi.String(a.NamespaceName)
		a.Snapshots.Store = store()
		_, err = New(ctx, "search", a, pulumi.Provider(k))
		return err
	}, nil)
	return m, err
}

func nodeSets(t *testing.T, m *mockcloud.Mocks) map[string]map[string]any {
	es := inspect.MustNamed(t, m, esType, "search-cluster")
	out := map[string]map[string]any{}
	for _, v := range inspect.Arr(inspect.At(es.Inputs, "spec", "nodeSets")) {
		p, _ := inspect.Plain(v).(map[string]any)
		out[p["name"].(string)] = p
	}
	return out
}

// TestDevCluster: one node with every role, Guaranteed resources, the fast class, no mmap, the MinIO
// client and keys, the snapshot user and role, volumes deleted with the cluster, not protected.
func TestDevCluster(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, devArgs())
		require.NoError(t, err)
		es := inspect.MustNamed(t, m, esType, "search-cluster")
		assert.False(t, es.Protect)
		assert.Equal(t, "9.4.3", inspect.Str(es.Inputs, "spec", "version"))
		assert.Equal(t, "DeleteOnScaledownAndClusterDeletion", inspect.Str(es.Inputs, "spec", "volumeClaimDeletePolicy"))
		sets := nodeSets(t, m)
		require.Len(t, sets, 1)
		n := inspect.Obj(inspect.At(es.Inputs, "spec", "nodeSets", 0))
		assert.Equal(t, 1.0, inspect.Num(n, "count"))
		assert.False(t, inspect.Has(n, "zoneAwareness"))
		cfg := inspect.Obj(inspect.At(n, "config"))
		assert.ElementsMatch(t, []string{"master", "data", "ingest"}, inspect.Strs(cfg, "node.roles"))
		v, _ := inspect.Bool(cfg, "node.store.allow_mmap")
		assert.False(t, v)
		assert.True(t, inspect.Has(cfg, "node.store.allow_mmap"))
		if !preview {
			assert.Equal(t, "https://minio.dataplatform-data.svc.cluster.local:9000", inspect.Str(cfg, "s3.client.default.endpoint"))
		}
		pa, _ := inspect.Bool(cfg, "s3.client.default.path_style_access")
		assert.True(t, pa)
		c := inspect.Obj(inspect.At(n, "podTemplate", "spec", "containers", 0))
		assert.Equal(t, "elasticsearch", inspect.Str(c, "name"))
		assert.Equal(t, "4096Mi", inspect.Str(c, "resources", "limits", "memory"))
		assert.Equal(t, inspect.Str(c, "resources", "limits", "memory"), inspect.Str(c, "resources", "requests", "memory"), "memory requests = limits")
		assert.Contains(t, inspect.Str(c, "env", 0, "value"), "-Djavax.net.ssl.trustStore=/usr/share/elasticsearch/config/objectstore-truststore/cacerts")
		assert.NotContains(t, inspect.Str(c, "env", 0, "value"), "-Xmx", "the heap is Elasticsearch's automatic half of the memory")
		ic := inspect.Obj(inspect.At(n, "podTemplate", "spec", "initContainers", 0))
		assert.True(t, inspect.Has(ic, "resources", "limits", "memory"))
		claim := inspect.Obj(inspect.At(n, "volumeClaimTemplates", 0))
		assert.Equal(t, "elasticsearch-data", inspect.Str(claim, "metadata", "name"))
		assert.Equal(t, "fast-ssd", inspect.Str(claim, "spec", "storageClassName"))
		assert.Equal(t, "30Gi", inspect.Str(claim, "spec", "resources", "requests", "storage"))
		if !preview {
			assert.Equal(t, "elasticsearch-object-store", inspect.Str(es.Inputs, "spec", "secureSettings", 0, "secretName"))
			assert.Equal(t, AdminSecret, inspect.Str(es.Inputs, "spec", "auth", "fileRealm", 0, "secretName"))
			assert.Equal(t, "elasticsearch-snapshot-user", inspect.Str(es.Inputs, "spec", "auth", "fileRealm", 1, "secretName"))
		}
		// The `elastic` superuser is the platform's (its password from the secret store), so ECK
		// generates no elasticsearch-es-elastic-user: user_provided.go reads username, password, roles.
		admin := inspect.MustNamed(t, m, "kubernetes:core/v1:Secret", "search-admin-user")
		assert.Equal(t, "kubernetes.io/basic-auth", inspect.Str(admin.Inputs, "type"))
		assert.Equal(t, AdminSecret, inspect.Str(admin.Inputs, "metadata", "name"))
		if !preview {
			assert.Equal(t, AdminUser, inspect.Str(admin.Inputs, "stringData", "username"))
			assert.Equal(t, "superuser", inspect.Str(admin.Inputs, "stringData", "roles"))
			assert.NotEmpty(t, inspect.Str(admin.Inputs, "stringData", "password"))
		}
		assert.Contains(t, es.Dependencies, admin.URN, "the cluster waits for its superuser's Secret")
		paths := []string{}
		for _, e := range inspect.Arr(inspect.At(es.Inputs, "spec", "secureSettings", 0, "entries")) {
			paths = append(paths, inspect.Str(inspect.Obj(e), "path"))
		}
		assert.ElementsMatch(t, []string{"s3.client.default.access_key", "s3.client.default.secret_key"}, paths)
		user := inspect.MustNamed(t, m, "kubernetes:core/v1:Secret", "search-snapshot-user")
		assert.Equal(t, "kubernetes.io/basic-auth", inspect.Str(user.Inputs, "type"))
		roles := inspect.MustNamed(t, m, "kubernetes:core/v1:Secret", "search-roles")
		assert.Contains(t, inspect.Str(roles.Inputs, "stringData", "roles.yml"), SnapshotRole+":")
	})
}

// TestProdCluster: three dedicated masters and three data nodes, zone awareness on both, the
// resource protected and its volumes kept when it is deleted; two Kibanas.
func TestProdCluster(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		es := inspect.MustNamed(t, m, esType, "search-cluster")
		assert.True(t, es.Protect)
		assert.Equal(t, "DeleteOnScaledownOnly", inspect.Str(es.Inputs, "spec", "volumeClaimDeletePolicy"))
		// ECK's default budget stays on: no disruption unless green, then one node at a time (CRD
		// description of spec.podDisruptionBudget); an override here would replace it.
		assert.False(t, inspect.Has(es.Inputs, "spec", "podDisruptionBudget"))
		sets := nodeSets(t, m)
		require.Len(t, sets, 2)
		assert.Equal(t, 3.0, sets["masters"]["count"])
		assert.Equal(t, 3.0, sets["data"]["count"])
		assert.Equal(t, []any{"master"}, sets["masters"]["config"].(map[string]any)["node.roles"])
		for name, s := range sets {
			assert.Contains(t, s, "zoneAwareness", name)
		}
		kb := inspect.MustNamed(t, m, kbType, "search-kibana")
		assert.False(t, kb.Protect)
		assert.Equal(t, 2.0, inspect.Num(kb.Inputs, "spec", "count"))
		for _, r := range m.Resources() {
			if r.Protect && r.Type != esType && r.Type != "random:index/randomPassword:RandomPassword" {
				t.Errorf("%s %s is protected; only the Elasticsearch and the generated password are", r.Type, r.Name)
			}
		}
	})
}

// TestKibana: the same version as Elasticsearch, its reference, HTTPS with ECK's self-signed
// certificate (not disabled) on a Service port that declares appProtocol HTTPS, the public URL,
// requests and limits; its route tells the edge to verify it with ECK's CA and Service name.
func TestKibana(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, devArgs())
		require.NoError(t, err)
		kb := inspect.MustNamed(t, m, kbType, "search-kibana")
		assert.Equal(t, "9.4.3", inspect.Str(kb.Inputs, "spec", "version"))
		assert.Equal(t, ClusterName, inspect.Str(kb.Inputs, "spec", "elasticsearchRef", "name"))
		assert.False(t, inspect.Has(kb.Inputs, "spec", "http", "tls"), "ECK's self-signed certificate stays on")
		port := inspect.Obj(inspect.At(kb.Inputs, "spec", "http", "service", "spec", "ports", 0))
		assert.Equal(t, "https", inspect.Str(port, "name"))
		assert.Equal(t, 5601.0, inspect.Num(port, "port"))
		assert.Equal(t, "HTTPS", inspect.Str(port, "appProtocol"))
		r := Routes("dataplatform-data")[0]
		require.NotNil(t, r.BackendTLS)
		assert.Equal(t, "kibana-kb-http-certs-public", r.BackendTLS.CASecret)
		assert.Equal(t, "kibana-kb-http.dataplatform-data.svc", r.BackendTLS.Hostname)
		require.NoError(t, edge.Validate("data.example.com", Routes("dataplatform-data")))
		assert.Equal(t, "https://kibana.data.example.com", inspect.Str(kb.Inputs, "spec", "config", "server.publicBaseUrl"))
		assert.Equal(t, "2048Mi", inspect.Str(kb.Inputs, "spec", "podTemplate", "spec", "containers", 0, "resources", "limits", "memory"))
		assert.Equal(t, []string{"kibana"}, func() []string {
			var out []string
			for _, r := range Routes("dataplatform-data") {
				out = append(out, r.Host)
			}
			return out
		}())
	})
}

// TestSnapshotJob: the pinned curl image, the store-materialized user, ECK's CA, idempotent PUTs of
// the repository (s3 on the backups bucket under the prefix) and of the SLM policy on the schedule;
// a changed schedule changes the pod template's config hash, so the Job runs again.
func TestSnapshotJob(t *testing.T) {
	hashes := map[string]string{}
	for _, a := range []*Args{devArgs(), prodArgs()} {
		m, err := run(t, false, a)
		require.NoError(t, err)
		job := inspect.MustNamed(t, m, jobType, "search-snapshots")
		// Longer than pulumi-kubernetes' 10-minute Job wait: the first up forms the cluster first.
		assert.Equal(t, "30m", job.CreateTimeout)
		assert.Equal(t, "30m", job.UpdateTimeout)
		c := inspect.Obj(inspect.At(job.Inputs, "spec", "template", "spec", "containers", 0))
		assert.Equal(t, JobImage, inspect.Str(c, "image"))
		assert.Equal(t, "elasticsearch-snapshot-user", inspect.Str(c, "env", 1, "valueFrom", "secretKeyRef", "name"))
		assert.Equal(t, CASecret, inspect.Str(job.Inputs, "spec", "template", "spec", "volumes", 1, "secret", "secretName"))
		cm := inspect.MustNamed(t, m, "kubernetes:core/v1:ConfigMap", "search-snapshot-config")
		sh := inspect.Str(cm.Inputs, "data", "register.sh")
		assert.Contains(t, sh, "put \"https://elasticsearch-es-http.dataplatform-data.svc:9200/_snapshot/"+Repository+"\"")
		// PUTs keep Elasticsearch's reason when refused (-f alone drops the body).
		assert.Contains(t, sh, "put() { curl --fail-with-body ")
		assert.Contains(t, sh, "-X PUT")
		assert.Contains(t, sh, "/_slm/policy/"+SLMPolicy)
		assert.Contains(t, sh, "--cacert /es-ca/ca.crt")
		assert.NotContains(t, sh, "-k ")
		assertRepository(t, cm, "s3", map[string]string{"bucket": "backups", "base_path": "elasticsearch", "client": "default"})
		var policy struct {
			Schedule, Repository string
			Retention            map[string]any
		}
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(cm.Inputs, "data", "policy.json")), &policy))
		assert.Equal(t, a.Snapshots.Schedule, policy.Schedule)
		assert.Equal(t, Repository, policy.Repository)
		hashes[a.Snapshots.Schedule] = inspect.Str(job.Inputs, "spec", "template", "metadata", "annotations", "dataplatform.io/config-sha256")
	}
	assert.Len(t, hashes, 2)
	assert.NotEqual(t, hashes["0 30 1 * * ?"], hashes["0 0/15 * * * ?"])
	assert.NotEmpty(t, hashes["0 30 1 * * ?"])
}

// TestNetworkPolicies: the operator's namespace reaches the Elasticsearch pods on 9200; the edge
// reaches Kibana on 5601; without an edge nothing outside the namespace reaches Kibana.
func TestNetworkPolicies(t *testing.T) {
	m, err := run(t, false, devArgs())
	require.NoError(t, err)
	op := inspect.MustNamed(t, m, npType, "search-elasticsearch-allow-operator")
	assert.Equal(t, "elastic-system", inspect.Str(op.Inputs, "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
	assert.Equal(t, 9200.0, inspect.Num(op.Inputs, "spec", "ingress", 0, "ports", 0, "port"))
	assert.Equal(t, "elasticsearch", inspect.Str(op.Inputs, "spec", "podSelector", "matchLabels", "common.k8s.elastic.co/type"))
	kb := inspect.MustNamed(t, m, npType, "search-kibana-allow-edge")
	assert.Equal(t, "envoy-gateway-system", inspect.Str(kb.Inputs, "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
	assert.Equal(t, 5601.0, inspect.Num(kb.Inputs, "spec", "ingress", 0, "ports", 0, "port"))

	a := devArgs()
	a.ClientNamespaces = nil
	m, err = run(t, false, a)
	require.NoError(t, err)
	for _, r := range m.Resources() {
		if r.Type == npType && r.Name == "search-kibana-allow-edge" {
			t.Errorf("Kibana admits clients without an edge")
		}
	}
}

// TestRefusesBadArgs: every malformed input is an error before anything is registered.
func TestRefusesBadArgs(t *testing.T) {
	for name, mutate := range map[string]func(*Args){
		"version 8":         func(a *Args) { a.Version = "8.19.0" },
		"no node sets":      func(a *Args) { a.NodeSets = nil },
		"two masters":       func(a *Args) { a.NodeSets[0].Count = 2 },
		"no master":         func(a *Args) { a.NodeSets[0].Roles = []string{"data"} },
		"unknown role":      func(a *Args) { a.NodeSets[0].Roles = append(a.NodeSets[0].Roles, "ml") },
		"no kibana":         func(a *Args) { a.KibanaReplicas = 0 },
		"no schedule":       func(a *Args) { a.Snapshots.Schedule = "" },
		"no per day":        func(a *Args) { a.Snapshots.PerDay = 0 },
		"unknown workload":  func(a *Args) { a.Snapshots.Workload = "other" },
		"no prefix":         func(a *Args) { a.Snapshots.Prefix = "" },
		"unknown bucket":    func(a *Args) { a.Snapshots.Bucket = objectstore.Lake },
		"no operator space": func(a *Args) { a.OperatorNamespace = "" },
	} {
		a := devArgs()
		mutate(a)
		m, err := run(t, false, a)
		assert.Error(t, err, name)
		for _, r := range m.Resources() {
			if r.Type == esType {
				t.Errorf("%s: an Elasticsearch was registered", name)
			}
		}
	}
}

// assertRepository checks the snapshot Job's repository body (repository.json in its ConfigMap cm):
// the repository type and its settings, exactly.
func assertRepository(t *testing.T, cm *mockcloud.Resource, typ string, settings map[string]string) {
	t.Helper()
	var repo struct {
		Type     string
		Settings map[string]string
	}
	require.NoError(t, json.Unmarshal([]byte(inspect.Str(cm.Inputs, "data", "repository.json")), &repo))
	assert.Equal(t, typ, repo.Type)
	assert.Equal(t, settings, repo.Settings)
}
