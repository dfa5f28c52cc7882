package gcs

import (
	"slices"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/tests/harness"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tBucket      = "gcp:storage/bucket:Bucket"
	tBucketIAM   = "gcp:storage/bucketIAMMember:BucketIAMMember"
	tKeyRing     = "gcp:kms/keyRing:KeyRing"
	tCryptoKey   = "gcp:kms/cryptoKey:CryptoKey"
	tKeyMember   = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
	tAccount     = "gcp:serviceaccount/account:Account"
	tSAIAM       = "gcp:serviceaccount/iAMMember:IAMMember"
	tGCPProvider = "pulumi:providers:gcp"
	testProject  = "acme-data-prod"
	testRegion   = "europe-north1"
	agentMember  = "serviceAccount:service-" + harness.GCPProjectNumber + "@gs-project-accounts.iam.gserviceaccount.com"
)

func prodArgs() *ObjectStoreArgs {
	return &ObjectStoreArgs{
		Project:               testProject,
		Region:                testRegion,
		NamePrefix:            "dataplatform-prod",
		Versioning:            true,
		NoncurrentVersionDays: 90,
		ColdTierAfterDays:     90,
		ReplicationRegion:     "europe-west1",
		WorkloadPool:          testProject + ".svc.id.goog",
		Access: []objectstore.Access{
			{Workload: "dremio", Namespace: "dataplatform-data", ServiceAccount: "dremio", Buckets: []objectstore.Bucket{objectstore.Lake, objectstore.Dremio}},
			{Workload: "airbyte", Namespace: "dataplatform", ServiceAccount: "airbyte-admin", Buckets: []objectstore.Bucket{objectstore.Airbyte, objectstore.Lake}},
			{Workload: "postgres-backup", Namespace: "dataplatform-jobs", ServiceAccount: "backup", Buckets: []objectstore.Bucket{objectstore.Backups}},
		},
		Labels: map[string]string{"environment": "prod"},
	}
}

func devArgs() *ObjectStoreArgs {
	a := prodArgs()
	a.NamePrefix = "dataplatform-dev"
	a.ReplicationRegion = ""
	a.NoncurrentVersionDays = 30
	a.Labels = map[string]string{"environment": "dev"}
	return a
}

func run(t *testing.T, preview bool, args *ObjectStoreArgs, opts ...pulumi.ResourceOption) (*harness.Mocks, *ObjectStore, error) {
	t.Helper()
	m := harness.New("dataplatform", "prod", preview)
	var s *ObjectStore
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := gcp.NewProvider(ctx, "gcp", &gcp.ProviderArgs{Project: pulumi.String(testProject), Region: pulumi.String(testRegion)})
		if err != nil {
			return err
		}
		s, err = NewObjectStore(ctx, "store", args, append([]pulumi.ResourceOption{pulumi.Provider(p)}, opts...)...)
		return err
	}, nil)
	return m, s, err
}

func buckets(t *testing.T, m *harness.Mocks) map[objectstore.Bucket]*harness.Resource {
	t.Helper()
	out := map[objectstore.Bucket]*harness.Resource{}
	for _, role := range objectstore.Buckets {
		b := m.Named(tBucket, "store-"+string(role))
		require.NotNil(t, b, "bucket %s", role)
		out[role] = b
	}
	require.Len(t, m.ByType(tBucket), len(objectstore.Buckets))
	return out
}

// rule is a lifecycle rule reduced to what the tests compare.
type rule struct {
	Action, StorageClass string
	Age, NoncurrentDays  float64
	State                string
	Matches              string
}

func rules(b *harness.Resource) []rule {
	var out []rule
	for _, r := range harness.At(b.Inputs, "lifecycleRules").ArrayValue() {
		o := r.ObjectValue()
		x := rule{Action: harness.Str(o, "action", "type"), StorageClass: harness.Str(o, "action", "storageClass"), State: harness.Str(o, "condition", "withState"),
			Matches: strings.Join(harness.StringsOf(harness.At(o, "condition", "matchesStorageClasses")), ",")}
		if v := harness.At(o, "condition", "age"); v.IsNumber() {
			x.Age = v.NumberValue()
		}
		if v := harness.At(o, "condition", "daysSinceNoncurrentTime"); v.IsNumber() {
			x.NoncurrentDays = v.NumberValue()
		}
		out = append(out, x)
	}
	return out
}

func TestProdBuckets(t *testing.T) {
	harness.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, prodArgs(), pulumi.Protect(true))
		require.NoError(t, err)
		comp := m.Named(ObjectStoreType, "store")
		require.NotNil(t, comp)
		provider := m.ByType(tGCPProvider)[0]

		bs := buckets(t, m)
		for role, b := range bs {
			in := b.Inputs
			assert.Equal(t, comp.URN, b.Parent)
			assert.True(t, b.Protect, "prod buckets are protected through the component")
			assert.True(t, strings.HasPrefix(b.Provider, provider.URN+"::"))
			assert.Equal(t, "dataplatform-prod-"+string(role)+"-acme-data-prod", harness.Str(in, "name"))
			assert.Equal(t, testProject, harness.Str(in, "project"))
			assert.True(t, harness.At(in, "uniformBucketLevelAccess").BoolValue())
			assert.Equal(t, "enforced", harness.Str(in, "publicAccessPrevention"))
			assert.True(t, harness.At(in, "versioning", "enabled").BoolValue())
			assert.EqualValues(t, 7*86400, harness.At(in, "softDeletePolicy", "retentionDurationSeconds").NumberValue())
			fd := harness.At(in, "forceDestroy")
			assert.True(t, fd.IsBool() && !fd.BoolValue(), "forceDestroy is explicitly false")
			assert.Equal(t, "STANDARD", harness.Str(in, "storageClass"))
			assert.Equal(t, string(role), harness.Str(in, "labels", "dataplatform-bucket"))
			assert.Equal(t, "prod", harness.Str(in, "labels", "environment"))
		}

		// Lake and backups are dual-region across the two regions, with turbo replication.
		for _, role := range []objectstore.Bucket{objectstore.Lake, objectstore.Backups} {
			in := bs[role].Inputs
			assert.Equal(t, "EU", harness.Str(in, "location"), role)
			assert.Equal(t, []string{"EUROPE-NORTH1", "EUROPE-WEST1"}, harness.StringsOf(harness.At(in, "customPlacementConfig", "dataLocations")), role)
			assert.Equal(t, "ASYNC_TURBO", harness.Str(in, "rpo"), role)
		}
		for _, role := range []objectstore.Bucket{objectstore.Dremio, objectstore.Airbyte} {
			in := bs[role].Inputs
			assert.Equal(t, "EUROPE-NORTH1", harness.Str(in, "location"), "%s holds rebuildable data and stays regional", role)
			assert.True(t, harness.At(in, "customPlacementConfig").IsNull(), role)
			assert.True(t, harness.At(in, "rpo").IsNull(), role)
		}

		assert.ElementsMatch(t, []rule{
			{Action: "AbortIncompleteMultipartUpload", Age: 7},
			{Action: "Delete", NoncurrentDays: 90, State: "ARCHIVED"},
			{Action: "SetStorageClass", StorageClass: "NEARLINE", Age: 90, Matches: "STANDARD"},
			{Action: "SetStorageClass", StorageClass: "COLDLINE", Age: 360, Matches: "STANDARD,NEARLINE"},
		}, rules(bs[objectstore.Lake]))
		for _, role := range []objectstore.Bucket{objectstore.Dremio, objectstore.Airbyte, objectstore.Backups} {
			assert.ElementsMatch(t, []rule{
				{Action: "AbortIncompleteMultipartUpload", Age: 7},
				{Action: "Delete", NoncurrentDays: 90, State: "ARCHIVED"},
			}, rules(bs[role]), "only the lake is tiered: %s", role)
		}
	})
}

func TestCMEKWiring(t *testing.T) {
	harness.Modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, preview, prodArgs(), pulumi.Protect(true))
		require.NoError(t, err)

		rings := map[string]*harness.Resource{}
		for _, r := range m.ByType(tKeyRing) {
			rings[harness.Str(r.Inputs, "location")] = r
			assert.True(t, harness.At(r.Inputs, "name").IsNull(), "key rings are auto-named: they can never be deleted")
		}
		require.Len(t, rings, 2)
		require.Contains(t, rings, testRegion)
		require.Contains(t, rings, "europe", "the dual-region buckets need a key in the multi-region")

		regional, multi := m.Named(tCryptoKey, "store-key"), m.Named(tCryptoKey, "store-key-europe")
		require.NotNil(t, regional)
		require.NotNil(t, multi)
		assert.Contains(t, regional.PropertyDependencies["keyRing"], rings[testRegion].URN)
		assert.Contains(t, multi.PropertyDependencies["keyRing"], rings["europe"].URN)
		for _, k := range []*harness.Resource{regional, multi} {
			assert.Equal(t, KeyRotationPeriod, harness.Str(k.Inputs, "rotationPeriod"))
			assert.Equal(t, "ENCRYPT_DECRYPT", harness.Str(k.Inputs, "purpose"))
			assert.True(t, k.Protect)
		}

		grants := m.ByType(tKeyMember)
		require.Len(t, grants, 2)
		grantOf := map[string]*harness.Resource{}
		for _, g := range grants {
			assert.Equal(t, KeyRole, harness.Str(g.Inputs, "role"))
			assert.Equal(t, agentMember, harness.Str(g.Inputs, "member"), "the Cloud Storage service agent")
			for _, k := range []*harness.Resource{regional, multi} {
				if slices.Contains(g.PropertyDependencies["cryptoKeyId"], k.URN) {
					grantOf[k.URN] = g
				}
			}
		}
		require.Len(t, grantOf, 2, "one grant per key")

		bs := buckets(t, m)
		for role, b := range bs {
			key := regional
			if role == objectstore.Lake || role == objectstore.Backups {
				key = multi
			}
			assert.Contains(t, b.PropertyDependencies["encryption"], key.URN, "%s is encrypted with %s", role, key.Name)
			assert.Contains(t, b.Dependencies, grantOf[key.URN].URN, "%s waits until the agent may use its key", role)
			if !preview {
				assert.Equal(t, key.ID, harness.Str(b.Inputs, "encryption", "defaultKmsKeyName"))
			}
		}

		invokes := []string{}
		for _, i := range m.Invokes() {
			invokes = append(invokes, i.Token)
		}
		assert.Contains(t, invokes, "gcp:storage/getProjectServiceAccount:getProjectServiceAccount")

		if !preview {
			assert.Equal(t, regional.ID, harness.Await(t, s.KMSKeyID).Value)
			assert.Equal(t, multi.ID, harness.Await(t, s.ReplicatedKMSKeyID).Value)
		}
	})
}

func TestDevIsRegional(t *testing.T) {
	harness.Modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, preview, devArgs())
		require.NoError(t, err)
		for role, b := range buckets(t, m) {
			assert.Equal(t, "EUROPE-NORTH1", harness.Str(b.Inputs, "location"), role)
			assert.True(t, harness.At(b.Inputs, "customPlacementConfig").IsNull())
			assert.True(t, harness.At(b.Inputs, "rpo").IsNull())
			assert.False(t, b.Protect)
			assert.Equal(t, "dataplatform-dev-"+string(role)+"-acme-data-prod", harness.Str(b.Inputs, "name"))
		}
		require.Len(t, m.ByType(tKeyRing), 1)
		require.Len(t, m.ByType(tCryptoKey), 1)
		require.Len(t, m.ByType(tKeyMember), 1)
		assert.Equal(t, "EUROPE-NORTH1", s.BucketLocations[objectstore.Lake])
		assert.Equal(t, "", harness.Await(t, s.ReplicatedKMSKeyID).Value)
	})
}

func TestVersioningOffKeepsSoftDelete(t *testing.T) {
	a := devArgs()
	a.Versioning = false
	a.SoftDeleteDays = 30
	a.ColdTierAfterDays = 0
	m, _, err := run(t, false, a)
	require.NoError(t, err)
	for role, b := range buckets(t, m) {
		assert.False(t, harness.At(b.Inputs, "versioning", "enabled").BoolValue())
		assert.EqualValues(t, 30*86400, harness.At(b.Inputs, "softDeletePolicy", "retentionDurationSeconds").NumberValue(),
			"deleted objects stay restorable without versioning")
		assert.Equal(t, []rule{{Action: "AbortIncompleteMultipartUpload", Age: 7}}, rules(b),
			"no noncurrent versions to expire, no tiering: %s", role)
	}
}

func TestAccessBindings(t *testing.T) {
	harness.Modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		bs := buckets(t, m)

		accounts := map[string]*harness.Resource{}
		for _, a := range m.ByType(tAccount) {
			accounts[a.Name] = a
			id := harness.Str(a.Inputs, "accountId")
			assert.Regexp(t, `^[a-z][a-z0-9-]{4,28}[a-z0-9]$`, id)
		}
		require.Len(t, accounts, 3, "one Google service account per workload")
		assert.Equal(t, "dataplatform-prod-dremio", harness.Str(accounts["store-dremio"].Inputs, "accountId"))
		assert.Equal(t, "dataplatform-prod-airbyte", harness.Str(accounts["store-airbyte"].Inputs, "accountId"))
		backupID := harness.Str(accounts["store-postgres-backup"].Inputs, "accountId")
		assert.Len(t, backupID, 30, "a long ID is shortened with a hash")
		assert.True(t, strings.HasPrefix(backupID, "dataplatform-prod-pos"))

		// Exactly the buckets each workload asked for, with the object role only.
		want := map[string][]objectstore.Bucket{}
		for _, a := range prodArgs().Access {
			want[a.Workload] = a.Buckets
		}
		got := map[string][]objectstore.Bucket{}
		for _, b := range m.ByType(tBucketIAM) {
			assert.Equal(t, ObjectRole, harness.Str(b.Inputs, "role"))
			var workload string
			for w, acc := range accounts {
				if slices.Contains(b.PropertyDependencies["member"], acc.URN) {
					workload = strings.TrimPrefix(w, "store-")
				}
			}
			require.NotEmpty(t, workload, "%s grants a workload's account", b.Name)
			var role objectstore.Bucket
			for r, bucket := range bs {
				if slices.Contains(b.PropertyDependencies["bucket"], bucket.URN) {
					role = r
				}
			}
			require.NotEmpty(t, role, "%s is on one of the store's buckets", b.Name)
			got[workload] = append(got[workload], role)
			if !preview {
				assert.Equal(t, "serviceAccount:"+harness.Str(accounts["store-"+workload].Inputs, "accountId")+"@acme-data-prod.iam.gserviceaccount.com", harness.Str(b.Inputs, "member"))
				assert.Equal(t, harness.Str(bs[role].Inputs, "name"), harness.Str(b.Inputs, "bucket"))
			}
		}
		for w := range want {
			assert.ElementsMatch(t, want[w], got[w], "bindings of %s", w)
		}

		wi := map[string]*harness.Resource{}
		for _, r := range m.ByType(tSAIAM) {
			wi[r.Name] = r
			assert.Equal(t, WorkloadIdentityRole, harness.Str(r.Inputs, "role"))
		}
		require.Len(t, wi, 3)
		assert.Equal(t, "serviceAccount:acme-data-prod.svc.id.goog[dataplatform-data/dremio]", harness.Str(wi["store-dremio-workload-identity"].Inputs, "member"))
		assert.Equal(t, "serviceAccount:acme-data-prod.svc.id.goog[dataplatform/airbyte-admin]", harness.Str(wi["store-airbyte-workload-identity"].Inputs, "member"))
		assert.Equal(t, "serviceAccount:acme-data-prod.svc.id.goog[dataplatform-jobs/backup]", harness.Str(wi["store-postgres-backup-workload-identity"].Inputs, "member"))
		assert.Contains(t, wi["store-dremio-workload-identity"].PropertyDependencies["serviceAccountId"], accounts["store-dremio"].URN)
		if !preview {
			assert.Equal(t, "projects/acme-data-prod/serviceAccounts/dataplatform-prod-dremio@acme-data-prod.iam.gserviceaccount.com",
				harness.Str(wi["store-dremio-workload-identity"].Inputs, "serviceAccountId"))
		}

		// No static credentials of any kind.
		for _, r := range m.Resources() {
			assert.NotContains(t, []string{"gcp:serviceaccount/key:Key", "gcp:storage/hmacKey:HmacKey"}, r.Type)
		}

		// What the workloads consume.
		info := s.Info
		assert.Equal(t, objectstore.GCS, info.Kind)
		assert.Equal(t, testRegion, info.Region)
		assert.False(t, info.PathStyle)
		assert.Equal(t, Endpoint, harness.Await(t, info.Endpoint).Value)
		assert.Equal(t, "", harness.Await(t, info.CABundle).Value)
		require.Len(t, info.BucketNames, 4)
		require.Len(t, info.Identities, 3)
		id := info.Identities["dremio"]
		assert.Empty(t, id.PodLabels)
		assert.Equal(t, "", harness.Await(t, id.CredentialsSecret).Value)
		if preview {
			assert.False(t, harness.Await(t, id.Principal).Known, "the email is unknown before create")
			return
		}
		assert.Equal(t, "dataplatform-prod-lake-acme-data-prod", harness.Await(t, info.BucketNames[objectstore.Lake]).Value)
		assert.Equal(t, "dataplatform-prod-dremio@acme-data-prod.iam.gserviceaccount.com", harness.Await(t, id.Principal).Value)
		assert.Equal(t, map[string]string{"iam.gke.io/gcp-service-account": "dataplatform-prod-dremio@acme-data-prod.iam.gserviceaccount.com"},
			harness.Await(t, id.ServiceAccountAnnotations).Value)
	})
}

func TestNames(t *testing.T) {
	long := bucketName("a-very-long-stack-prefix-for-the-platform", "backups", "acme-data-production-1")
	assert.LessOrEqual(t, len(long), 63)
	assert.NoError(t, validBucketName(long))
	assert.NotEqual(t, long, bucketName("a-very-long-stack-prefix-for-the-platform", "backups", "acme-data-production-2"),
		"shortened names keep a hash of the whole name")
	assert.Equal(t, "dp-dbt", accountID("dp", "dbt"))
	assert.Equal(t, "dp-ab-gcs", accountID("dp", "ab"), "IDs are padded to 6 characters")
	assert.Equal(t, "sa-1x-dbt", accountID("1x", "dbt"), "IDs start with a letter")
	for _, c := range []struct{ region, storage, kms string }{
		{"europe-west4", "EU", "europe"}, {"us-east1", "US", "us"}, {"northamerica-northeast1", "US", "us"},
		{"asia-northeast1", "ASIA", "asia"}, {"australia-southeast1", "", ""},
	} {
		s, k := multiRegionOf(c.region)
		assert.Equal(t, c.storage, s, c.region)
		assert.Equal(t, c.kms, k, c.region)
	}
}

func TestValidation(t *testing.T) {
	mut := func(f func(a *ObjectStoreArgs)) *ObjectStoreArgs { a := prodArgs(); f(a); return a }
	cases := []struct {
		name string
		args *ObjectStoreArgs
		want []string
	}{
		{"nil", nil, []string{"args are nil"}},
		{"project", mut(func(a *ObjectStoreArgs) { a.Project = "x" }), []string{"Project", `"x"`}},
		{"region", mut(func(a *ObjectStoreArgs) { a.Region = "EUROPE-NORTH1" }), []string{"Region", "EUROPE-NORTH1"}},
		{"prefix", mut(func(a *ObjectStoreArgs) { a.NamePrefix = "Data_Platform" }), []string{"NamePrefix", "Data_Platform"}},
		{"prefix google", mut(func(a *ObjectStoreArgs) { a.NamePrefix = "google-data" }), []string{"NamePrefix", "google"}},
		{"noncurrent", mut(func(a *ObjectStoreArgs) { a.NoncurrentVersionDays = -1 }), []string{"NoncurrentVersionDays", "-1"}},
		{"cold tier", mut(func(a *ObjectStoreArgs) { a.ColdTierAfterDays = -5 }), []string{"ColdTierAfterDays", "-5"}},
		{"soft delete", mut(func(a *ObjectStoreArgs) { a.SoftDeleteDays = 3 }), []string{"SoftDeleteDays", "3", "7 and 90"}},
		{"replication same", mut(func(a *ObjectStoreArgs) { a.ReplicationRegion = testRegion }), []string{"ReplicationRegion", "own Region"}},
		{"replication other continent", mut(func(a *ObjectStoreArgs) { a.ReplicationRegion = "us-east1" }), []string{"ReplicationRegion", "us-east1", "multi-region"}},
		{"replication unsupported", mut(func(a *ObjectStoreArgs) {
			a.Region, a.ReplicationRegion = "australia-southeast1", "australia-southeast2"
		}), []string{"ReplicationRegion", "australia-southeast2"}},
		{"workload pool", mut(func(a *ObjectStoreArgs) { a.WorkloadPool = "" }), []string{"WorkloadPool", "svc.id.goog"}},
		{"workload name", mut(func(a *ObjectStoreArgs) { a.Access[0].Workload = "Dremio" }), []string{"Access[0].Workload", "Dremio"}},
		{"duplicate workload", mut(func(a *ObjectStoreArgs) { a.Access[1].Workload = "dremio" }), []string{"Access[1].Workload", "twice"}},
		{"namespace", mut(func(a *ObjectStoreArgs) { a.Access[0].Namespace = "" }), []string{"Access[0].Namespace"}},
		{"service account", mut(func(a *ObjectStoreArgs) { a.Access[2].ServiceAccount = "Backup" }), []string{"Access[2].ServiceAccount", "Backup"}},
		{"no buckets", mut(func(a *ObjectStoreArgs) { a.Access[0].Buckets = nil }), []string{"Access[0].Buckets", "empty"}},
		{"unknown bucket", mut(func(a *ObjectStoreArgs) { a.Access[0].Buckets = []objectstore.Bucket{"logs"} }), []string{"Access[0].Buckets", "logs"}},
		{"duplicate bucket", mut(func(a *ObjectStoreArgs) { a.Access[0].Buckets = []objectstore.Bucket{"lake", "lake"} }), []string{"Access[0].Buckets", "twice"}},
		{"labels", mut(func(a *ObjectStoreArgs) { a.Labels = map[string]string{"env": "Prod"} }), []string{"Labels", "Prod"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _, err := run(t, false, c.args)
			require.Error(t, err)
			for _, s := range c.want {
				assert.Contains(t, err.Error(), s)
			}
			assert.Empty(t, m.ByType(ObjectStoreType), "nothing is registered before validation passes")
			assert.Empty(t, m.ByType(tBucket))
		})
	}
}

func TestNoAccessNeedsNoWorkloadPool(t *testing.T) {
	a := devArgs()
	a.Access, a.WorkloadPool = nil, ""
	m, s, err := run(t, false, a)
	require.NoError(t, err)
	assert.Len(t, m.ByType(tBucket), 4)
	assert.Empty(t, m.ByType(tAccount))
	assert.Empty(t, s.Info.Identities)
}
