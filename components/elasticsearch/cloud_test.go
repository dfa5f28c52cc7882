package elasticsearch

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const gsa = "dp-dev-elasticsearch@my-project.iam.gserviceaccount.com"

func gcsStore() objectstore.Info {
	return objectstore.Info{
		Kind:        objectstore.GCS,
		Endpoint:    pulumi.String("https://storage.googleapis.com").ToStringOutput(),
		BucketNames: map[objectstore.Bucket]pulumi.StringOutput{objectstore.Backups: pulumi.String("dp-dev-backups").ToStringOutput()},
		Identities: map[string]objectstore.Identity{"elasticsearch": {
			ServiceAccountAnnotations: pulumi.StringMap{"iam.gke.io/gcp-service-account": pulumi.String(gsa)}.ToStringMapOutput(),
			Principal:                 pulumi.String(gsa).ToStringOutput(),
			CredentialsSecret:         pulumi.String("").ToStringOutput(),
		}},
	}
}

// TestGCSSnapshots: on GCS the nodes run as the ServiceAccount bound to the store's Google service
// account (no token mounted, no keystore keys, no MinIO client or trust store), the repository is
// of type gcs on the backups bucket under the prefix, and the nodes may reach HTTPS anywhere but
// the metadata address plus the GKE metadata server's two token endpoints.
func TestGCSSnapshots(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := runWith(t, preview, devArgs(), gcsStore)
		require.NoError(t, err)
		sa := inspect.MustNamed(t, m, "kubernetes:core/v1:ServiceAccount", "search-serviceaccount")
		assert.Equal(t, ServiceAccountName, inspect.Str(sa.Inputs, "metadata", "name"))
		automount, _ := inspect.Bool(sa.Inputs, "automountServiceAccountToken")
		assert.False(t, automount)
		if !preview {
			assert.Equal(t, gsa, inspect.Str(sa.Inputs, "metadata", "annotations", "iam.gke.io/gcp-service-account"))
		}
		es := inspect.MustNamed(t, m, esType, "search-cluster")
		assert.False(t, inspect.Has(es.Inputs, "spec", "secureSettings"), "no keys in the keystore: Workload Identity")
		n := inspect.Obj(inspect.At(es.Inputs, "spec", "nodeSets", 0))
		assert.Equal(t, ServiceAccountName, inspect.Str(n, "podTemplate", "spec", "serviceAccountName"))
		assert.False(t, inspect.Has(n, "podTemplate", "spec", "initContainers"))
		assert.False(t, inspect.Has(n, "podTemplate", "spec", "containers", 0, "env"))
		for k := range inspect.Obj(inspect.At(n, "config")) {
			assert.False(t, strings.HasPrefix(string(k), "s3."), "MinIO client setting %s on GCS", k)
		}
		eg := inspect.MustNamed(t, m, npType, "search-elasticsearch-objectstore-egress")
		assert.Equal(t, []string{"Egress"}, inspect.Strs(eg.Inputs, "spec", "policyTypes"))
		assert.Equal(t, "elasticsearch", inspect.Str(eg.Inputs, "spec", "podSelector", "matchLabels", "common.k8s.elastic.co/type"))
		assert.Equal(t, "0.0.0.0/0", inspect.Str(eg.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, []string{"169.254.169.254/32"}, inspect.Strs(eg.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "except"))
		assert.Equal(t, 443.0, inspect.Num(eg.Inputs, "spec", "egress", 0, "ports", 0, "port"))
		assert.Equal(t, "169.254.169.254/32", inspect.Str(eg.Inputs, "spec", "egress", 1, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, 80.0, inspect.Num(eg.Inputs, "spec", "egress", 1, "ports", 0, "port"))
		assert.Equal(t, "169.254.169.252/32", inspect.Str(eg.Inputs, "spec", "egress", 2, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, 988.0, inspect.Num(eg.Inputs, "spec", "egress", 2, "ports", 0, "port"))
		if preview {
			return
		}
		cm := inspect.MustNamed(t, m, "kubernetes:core/v1:ConfigMap", "search-snapshot-config")
		assertRepository(t, cm, "gcs", map[string]string{"bucket": "dp-dev-backups", "base_path": "elasticsearch", "client": "default"})
	})
}

// TestMinIOHasNoIdentityObjects: on MinIO the pods keep the default ServiceAccount and no egress
// policy is added (MinIO is in the namespace).
func TestMinIOHasNoIdentityObjects(t *testing.T) {
	m, err := run(t, false, devArgs())
	require.NoError(t, err)
	for _, r := range m.Resources() {
		if r.Type == "kubernetes:core/v1:ServiceAccount" || r.Name == "search-elasticsearch-objectstore-egress" {
			t.Errorf("%s %s on MinIO", r.Type, r.Name)
		}
	}
}

// TestSnapshotCountBounded: at the prod RPO (96 a day) the new RPO policy keeps a day and at most
// PerDay+3, and the policy a stack had before it, SLMPolicy, keeps its name and RetentionDays with
// no max_count (which would delete the RPO snapshots it took before the upgrade at the next
// retention run) on a daily schedule; a daily RPO has SLMPolicy alone, and the script deletes the
// RPO policy a former RPO left behind.
func TestSnapshotCountBounded(t *testing.T) {
	type retention struct {
		ExpireAfter string `json:"expire_after"`
		MinCount    int    `json:"min_count"`
		MaxCount    *int   `json:"max_count"`
	}
	type body struct {
		Schedule, Name string
		Retention      retention
	}
	parse := func(s string) body {
		var b body
		require.NoError(t, json.Unmarshal([]byte(s), &b))
		return b
	}
	prod := policyBodies(Snapshots{Schedule: "0 0/15 * * * ?", PerDay: 96, RetentionDays: 30})
	require.Len(t, prod, 2)
	rpo, daily := parse(prod[0].body), parse(prod[1].body)
	assert.Equal(t, RPOPolicy, prod[0].name)
	assert.Equal(t, "policy.json", prod[0].file)
	assert.Equal(t, "0 0/15 * * * ?", rpo.Schedule)
	assert.Equal(t, "1d", rpo.Retention.ExpireAfter)
	require.NotNil(t, rpo.Retention.MaxCount)
	assert.Equal(t, 99, *rpo.Retention.MaxCount)
	assert.Equal(t, SLMPolicy, prod[1].name)
	assert.Equal(t, "platform-snapshots", prod[1].name, "the name existing stacks' snapshots carry")
	assert.Equal(t, DailySchedule, daily.Schedule)
	assert.Equal(t, retention{"30d", 3, nil}, daily.Retention)
	assert.Equal(t, "<platform-{now/d}>", daily.Name)
	assert.NotEqual(t, rpo.Name, daily.Name)
	sh := script("es", prod)
	assert.Contains(t, sh, "/_slm/policy/"+RPOPolicy+"\" --data-binary @/config/policy.json")
	assert.Contains(t, sh, "/_slm/policy/"+SLMPolicy+"\" --data-binary @/config/daily.json")
	assert.NotContains(t, sh, "DELETE")

	dev := policyBodies(Snapshots{Schedule: DailySchedule, PerDay: 1, RetentionDays: 7})
	require.Len(t, dev, 1)
	assert.Equal(t, SLMPolicy, dev[0].name)
	assert.Equal(t, retention{"7d", 3, nil}, parse(dev[0].body).Retention)
	sh = script("es", dev)
	assert.Contains(t, sh, "-X DELETE \"https://es:9200/_slm/policy/"+RPOPolicy+"\"")
	assert.Contains(t, sh, "200|404)")
}

// TestRefusesUnwiredStores: a store kind without a repository wiring is refused before anything is
// registered (ADLS was, before azure.go).
func TestRefusesUnwiredStores(t *testing.T) {
	for _, k := range []objectstore.Kind{"nfs"} {
		m, err := runWith(t, false, devArgs(), func() objectstore.Info {
			s := gcsStore()
			s.Kind = k
			return s
		})
		require.Error(t, err, k)
		assert.Contains(t, err.Error(), string(k))
		for _, r := range m.Resources() {
			if r.Type == esType {
				t.Errorf("%s: an Elasticsearch was registered", k)
			}
		}
	}
}

// TestKibanaBudget: with two Kibanas a PodDisruptionBudget keeps one up (ECK writes none for
// Kibana); with one there is none, since it would block every drain.
func TestKibanaBudget(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		pdb := inspect.MustNamed(t, m, "kubernetes:policy/v1:PodDisruptionBudget", "search-kibana-pdb")
		assert.Equal(t, 1.0, inspect.Num(pdb.Inputs, "spec", "maxUnavailable"))
		assert.Equal(t, "kibana", inspect.Str(pdb.Inputs, "spec", "selector", "matchLabels", "common.k8s.elastic.co/type"))
		assert.Equal(t, KibanaName, inspect.Str(pdb.Inputs, "spec", "selector", "matchLabels", "kibana.k8s.elastic.co/name"))
		m, err = run(t, preview, devArgs())
		require.NoError(t, err)
		for _, r := range m.Resources() {
			if r.Type == "kubernetes:policy/v1:PodDisruptionBudget" {
				t.Errorf("a Kibana budget with one replica")
			}
		}
	})
}

const roleARN = "arn:aws:iam::123456789012:role/dp-dev-elasticsearch"

func s3Store() objectstore.Info {
	return objectstore.Info{
		Kind:        objectstore.S3,
		Region:      "eu-north-1",
		Endpoint:    pulumi.String("https://s3.eu-north-1.amazonaws.com").ToStringOutput(),
		BucketNames: map[objectstore.Bucket]pulumi.StringOutput{objectstore.Backups: pulumi.String("dp-dev-backups").ToStringOutput()},
		Identities: map[string]objectstore.Identity{"elasticsearch": {
			ServiceAccountAnnotations: pulumi.StringMap{}.ToStringMapOutput(),
			Principal:                 pulumi.String(roleARN).ToStringOutput(),
			CredentialsSecret:         pulumi.String("").ToStringOutput(),
		}},
	}
}

// TestS3Snapshots: on S3 the nodes run as the elasticsearch ServiceAccount with a projected token for
// STS mounted as config/repository-s3/aws-web-identity-token-file (the only place Elasticsearch
// reads it), AWS_ROLE_ARN the store's role, the client's region the buckets', no keystore keys; the
// repository is s3 on the backups bucket under the prefix; egress is HTTPS but not the metadata
// address, and nothing else (no GKE metadata server).
func TestS3Snapshots(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := runWith(t, preview, devArgs(), s3Store)
		require.NoError(t, err)
		inspect.MustNamed(t, m, "kubernetes:core/v1:ServiceAccount", "search-serviceaccount")
		es := inspect.MustNamed(t, m, esType, "search-cluster")
		assert.False(t, inspect.Has(es.Inputs, "spec", "secureSettings"))
		n := inspect.Obj(inspect.At(es.Inputs, "spec", "nodeSets", 0))
		ps := inspect.Obj(inspect.At(n, "podTemplate", "spec"))
		assert.Equal(t, ServiceAccountName, inspect.Str(ps, "serviceAccountName"))
		assert.Equal(t, "eu-north-1", inspect.Str(n, "config", "s3.client.default.region"))
		assert.False(t, inspect.Has(n, "config", "s3.client.default.endpoint"), "the SDK's own endpoint for the region")
		c := inspect.Obj(inspect.At(ps, "containers", 0))
		env := map[string]string{}
		for _, e := range inspect.Arr(inspect.At(c, "env")) {
			env[inspect.Str(inspect.Obj(e), "name")] = inspect.Str(inspect.Obj(e), "value")
		}
		assert.Equal(t, "/usr/share/elasticsearch/config/repository-s3/aws-web-identity-token-file", env["AWS_WEB_IDENTITY_TOKEN_FILE"])
		// The STS client takes its region from the environment only (S3Service
		// CustomWebIdentityTokenCredentialsProvider builds it without one).
		assert.Equal(t, "eu-north-1", env["AWS_REGION"])
		assert.Equal(t, "regional", env["AWS_STS_REGIONAL_ENDPOINTS"])
		if !preview {
			assert.Equal(t, roleARN, env["AWS_ROLE_ARN"])
		}
		assert.Equal(t, "/usr/share/elasticsearch/config/repository-s3", inspect.Str(c, "volumeMounts", 0, "mountPath"))
		tok := inspect.Obj(inspect.At(ps, "volumes", 0, "projected", "sources", 0, "serviceAccountToken"))
		assert.Equal(t, "sts.amazonaws.com", inspect.Str(tok, "audience"))
		assert.Equal(t, "aws-web-identity-token-file", inspect.Str(tok, "path"))
		assert.Equal(t, inspect.Str(c, "volumeMounts", 0, "name"), inspect.Str(ps, "volumes", 0, "name"))
		eg := inspect.MustNamed(t, m, npType, "search-elasticsearch-objectstore-egress")
		assert.Len(t, inspect.Arr(inspect.At(eg.Inputs, "spec", "egress")), 1)
		assert.Equal(t, []string{"169.254.169.254/32"}, inspect.Strs(eg.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "except"))
		if preview {
			return
		}
		cm := inspect.MustNamed(t, m, "kubernetes:core/v1:ConfigMap", "search-snapshot-config")
		assertRepository(t, cm, "s3", map[string]string{"bucket": "dp-dev-backups", "base_path": "elasticsearch", "client": "default"})
	})
}
