package gcs

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/opendataplatform/dataplatform/policy/policies"
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
	tSAKey       = "gcp:serviceaccount/key:Key"
	tGCPProvider = "pulumi:providers:gcp"
	testProject  = "acme-data-prod"
	testRegion   = "europe-north1"
	agentMember  = "serviceAccount:service-" + mockcloud.GCPProjectNumber + "@gs-project-accounts.iam.gserviceaccount.com"
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
		WorkloadPool:          pulumi.String(testProject + ".svc.id.goog"),
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

func run(t *testing.T, preview bool, args *ObjectStoreArgs, opts ...pulumi.ResourceOption) (*mockcloud.Mocks, *ObjectStore, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
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

func buckets(t *testing.T, m *mockcloud.Mocks) map[objectstore.Bucket]*mockcloud.Resource {
	t.Helper()
	out := map[objectstore.Bucket]*mockcloud.Resource{}
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

func rules(b *mockcloud.Resource) []rule {
	var out []rule
	for _, r := range inspect.At(b.Inputs, "lifecycleRules").ArrayValue() {
		o := r.ObjectValue()
		x := rule{Action: inspect.Str(o, "action", "type"), StorageClass: inspect.Str(o, "action", "storageClass"), State: inspect.Str(o, "condition", "withState"),
			Matches: strings.Join(inspect.StringsOf(inspect.At(o, "condition", "matchesStorageClasses")), ",")}
		if v := inspect.At(o, "condition", "age"); v.IsNumber() {
			x.Age = v.NumberValue()
		}
		if v := inspect.At(o, "condition", "daysSinceNoncurrentTime"); v.IsNumber() {
			x.NoncurrentDays = v.NumberValue()
		}
		out = append(out, x)
	}
	return out
}

func TestProdBuckets(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		// Protect is an argument now (issue 9, class 1): it was a component option inherited by every child.
		m, _, err := run(t, preview, protectedArgs())
		require.NoError(t, err)
		comp := m.Named(ObjectStoreType, "store")
		require.NotNil(t, comp)
		provider := m.ByType(tGCPProvider)[0]

		bs := buckets(t, m)
		for role, b := range bs {
			in := b.Inputs
			assert.Equal(t, comp.URN, b.Parent)
			assert.True(t, b.Protect, "prod buckets are protected")
			assert.True(t, strings.HasPrefix(b.Provider, provider.URN+"::"))
			assert.Equal(t, "dataplatform-prod-"+string(role)+"-acme-data-prod", inspect.Str(in, "name"))
			assert.Equal(t, testProject, inspect.Str(in, "project"))
			assert.True(t, inspect.At(in, "uniformBucketLevelAccess").BoolValue())
			assert.Equal(t, "enforced", inspect.Str(in, "publicAccessPrevention"))
			assert.True(t, inspect.At(in, "versioning", "enabled").BoolValue())
			assert.EqualValues(t, 7*86400, inspect.At(in, "softDeletePolicy", "retentionDurationSeconds").NumberValue())
			fd := inspect.At(in, "forceDestroy")
			assert.True(t, fd.IsBool() && !fd.BoolValue(), "forceDestroy is explicitly false")
			assert.Equal(t, "STANDARD", inspect.Str(in, "storageClass"))
			assert.Equal(t, string(role), inspect.Str(in, "labels", "dataplatform-bucket"))
			assert.Equal(t, "prod", inspect.Str(in, "labels", "environment"))
		}

		// Lake and backups are dual-region across the two regions, with turbo replication.
		for _, role := range []objectstore.Bucket{objectstore.Lake, objectstore.Backups} {
			in := bs[role].Inputs
			assert.Equal(t, "EU", inspect.Str(in, "location"), role)
			assert.Equal(t, []string{"EUROPE-NORTH1", "EUROPE-WEST1"}, inspect.StringsOf(inspect.At(in, "customPlacementConfig", "dataLocations")), role)
			assert.Equal(t, "ASYNC_TURBO", inspect.Str(in, "rpo"), role)
		}
		for _, role := range []objectstore.Bucket{objectstore.Dremio, objectstore.Airbyte} {
			in := bs[role].Inputs
			assert.Equal(t, "EUROPE-NORTH1", inspect.Str(in, "location"), "%s holds rebuildable data and stays regional", role)
			assert.True(t, inspect.At(in, "customPlacementConfig").IsNull(), role)
			assert.True(t, inspect.At(in, "rpo").IsNull(), role)
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
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, preview, protectedArgs())
		require.NoError(t, err)

		rings := map[string]*mockcloud.Resource{}
		for _, r := range m.ByType(tKeyRing) {
			rings[inspect.Str(r.Inputs, "location")] = r
			assert.True(t, inspect.At(r.Inputs, "name").IsNull(), "key rings are auto-named: they can never be deleted")
		}
		require.Len(t, rings, 2)
		require.Contains(t, rings, testRegion)
		require.Contains(t, rings, "europe", "the dual-region buckets need a key in the multi-region")

		regional, multi := m.Named(tCryptoKey, "store-key"), m.Named(tCryptoKey, "store-key-europe")
		require.NotNil(t, regional)
		require.NotNil(t, multi)
		assert.Contains(t, regional.PropertyDependencies["keyRing"], rings[testRegion].URN)
		assert.Contains(t, multi.PropertyDependencies["keyRing"], rings["europe"].URN)
		for _, k := range []*mockcloud.Resource{regional, multi} {
			assert.Equal(t, KeyRotationPeriod, inspect.Str(k.Inputs, "rotationPeriod"))
			assert.Equal(t, "ENCRYPT_DECRYPT", inspect.Str(k.Inputs, "purpose"))
			assert.True(t, k.Protect)
		}

		grants := m.ByType(tKeyMember)
		require.Len(t, grants, 2)
		grantOf := map[string]*mockcloud.Resource{}
		for _, g := range grants {
			assert.Equal(t, KeyRole, inspect.Str(g.Inputs, "role"))
			assert.Equal(t, agentMember, inspect.Str(g.Inputs, "member"), "the Cloud Storage service agent")
			for _, k := range []*mockcloud.Resource{regional, multi} {
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
				assert.Equal(t, key.ID, inspect.Str(b.Inputs, "encryption", "defaultKmsKeyName"))
			}
		}

		invokes := []string{}
		for _, i := range m.Invokes() {
			invokes = append(invokes, i.Token)
		}
		assert.Contains(t, invokes, "gcp:storage/getProjectServiceAccount:getProjectServiceAccount")

		if !preview {
			assert.Equal(t, regional.ID, inspect.Await(t, s.KMSKeyID).Value)
			assert.Equal(t, multi.ID, inspect.Await(t, s.ReplicatedKMSKeyID).Value)
		}
	})
}

func TestDevIsRegional(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, preview, devArgs())
		require.NoError(t, err)
		for role, b := range buckets(t, m) {
			assert.Equal(t, "EUROPE-NORTH1", inspect.Str(b.Inputs, "location"), role)
			assert.True(t, inspect.At(b.Inputs, "customPlacementConfig").IsNull())
			assert.True(t, inspect.At(b.Inputs, "rpo").IsNull())
			assert.False(t, b.Protect)
			assert.Equal(t, "dataplatform-dev-"+string(role)+"-acme-data-prod", inspect.Str(b.Inputs, "name"))
		}
		require.Len(t, m.ByType(tKeyRing), 1)
		require.Len(t, m.ByType(tCryptoKey), 1)
		require.Len(t, m.ByType(tKeyMember), 1)
		assert.Equal(t, "EUROPE-NORTH1", s.BucketLocations[objectstore.Lake])
		assert.Equal(t, "", inspect.Await(t, s.ReplicatedKMSKeyID).Value)
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
		assert.False(t, inspect.At(b.Inputs, "versioning", "enabled").BoolValue())
		assert.EqualValues(t, 30*86400, inspect.At(b.Inputs, "softDeletePolicy", "retentionDurationSeconds").NumberValue(),
			"deleted objects stay restorable without versioning")
		assert.Equal(t, []rule{{Action: "AbortIncompleteMultipartUpload", Age: 7}}, rules(b),
			"no noncurrent versions to expire, no tiering: %s", role)
	}
}

func TestAccessBindings(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, preview, prodArgs())
		require.NoError(t, err)
		bs := buckets(t, m)

		accounts := map[string]*mockcloud.Resource{}
		for _, a := range m.ByType(tAccount) {
			accounts[a.Name] = a
			id := inspect.Str(a.Inputs, "accountId")
			assert.Regexp(t, `^[a-z][a-z0-9-]{4,28}[a-z0-9]$`, id)
		}
		require.Len(t, accounts, 3, "one Google service account per workload")
		assert.Equal(t, "dataplatform-prod-dremio", inspect.Str(accounts["store-dremio"].Inputs, "accountId"))
		assert.Equal(t, "dataplatform-prod-airbyte", inspect.Str(accounts["store-airbyte"].Inputs, "accountId"))
		backupID := inspect.Str(accounts["store-postgres-backup"].Inputs, "accountId")
		assert.Len(t, backupID, 30, "a long ID is shortened with a hash")
		assert.True(t, strings.HasPrefix(backupID, "dataplatform-prod-pos"))

		// Exactly the buckets each workload asked for, with the object role only.
		want := map[string][]objectstore.Bucket{}
		for _, a := range prodArgs().Access {
			want[a.Workload] = a.Buckets
		}
		got := map[string][]objectstore.Bucket{}
		for _, b := range m.ByType(tBucketIAM) {
			assert.Equal(t, ObjectRole, inspect.Str(b.Inputs, "role"))
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
				assert.Equal(t, "serviceAccount:"+inspect.Str(accounts["store-"+workload].Inputs, "accountId")+"@acme-data-prod.iam.gserviceaccount.com", inspect.Str(b.Inputs, "member"))
				assert.Equal(t, inspect.Str(bs[role].Inputs, "name"), inspect.Str(b.Inputs, "bucket"))
			}
		}
		for w := range want {
			assert.ElementsMatch(t, want[w], got[w], "bindings of %s", w)
		}

		wi := map[string]*mockcloud.Resource{}
		for _, r := range m.ByType(tSAIAM) {
			wi[r.Name] = r
			assert.Equal(t, WorkloadIdentityRole, inspect.Str(r.Inputs, "role"))
		}
		require.Len(t, wi, 3)
		assert.Equal(t, "serviceAccount:acme-data-prod.svc.id.goog[dataplatform-data/dremio]", inspect.Str(wi["store-dremio-workload-identity"].Inputs, "member"))
		assert.Equal(t, "serviceAccount:acme-data-prod.svc.id.goog[dataplatform/airbyte-admin]", inspect.Str(wi["store-airbyte-workload-identity"].Inputs, "member"))
		assert.Equal(t, "serviceAccount:acme-data-prod.svc.id.goog[dataplatform-jobs/backup]", inspect.Str(wi["store-postgres-backup-workload-identity"].Inputs, "member"))
		assert.Contains(t, wi["store-dremio-workload-identity"].PropertyDependencies["serviceAccountId"], accounts["store-dremio"].URN)
		if !preview {
			assert.Equal(t, "projects/acme-data-prod/serviceAccounts/dataplatform-prod-dremio@acme-data-prod.iam.gserviceaccount.com",
				inspect.Str(wi["store-dremio-workload-identity"].Inputs, "serviceAccountId"))
		}

		// No static credentials of any kind.
		for _, r := range m.Resources() {
			assert.NotContains(t, []string{tSAKey, "gcp:storage/hmacKey:HmacKey"}, r.Type)
		}
		for w, id := range s.Info.Identities {
			assert.Nil(t, id.StaticCredential.OutputState, "no static credential for %s", w)
		}
		for _, acc := range inspect.Arr(inspect.At(m.Named(ObjectStoreType, "store").Inputs, "access")) {
			st, ok := inspect.Bool(inspect.Obj(acc), "staticCredential")
			assert.True(t, ok, "the flag is recorded for every workload")
			assert.False(t, st)
		}

		// What the workloads consume.
		info := s.Info
		assert.Equal(t, objectstore.GCS, info.Kind)
		assert.Equal(t, testRegion, info.Region)
		assert.False(t, info.PathStyle)
		assert.Equal(t, Endpoint, inspect.Await(t, info.Endpoint).Value)
		assert.Equal(t, "", inspect.Await(t, info.CABundle).Value)
		require.Len(t, info.BucketNames, 4)
		require.Len(t, info.Identities, 3)
		id := info.Identities["dremio"]
		assert.Empty(t, id.PodLabels)
		assert.Equal(t, "", inspect.Await(t, id.CredentialsSecret).Value)
		if preview {
			assert.False(t, inspect.Await(t, id.Principal).Known, "the email is unknown before create")
			return
		}
		assert.Equal(t, "dataplatform-prod-lake-acme-data-prod", inspect.Await(t, info.BucketNames[objectstore.Lake]).Value)
		assert.Equal(t, "dataplatform-prod-dremio@acme-data-prod.iam.gserviceaccount.com", inspect.Await(t, id.Principal).Value)
		assert.Equal(t, map[string]string{"iam.gke.io/gcp-service-account": "dataplatform-prod-dremio@acme-data-prod.iam.gserviceaccount.com"},
			inspect.Await(t, id.ServiceAccountAnnotations).Value)
	})
}

// staticArgs asks for a key file for Airbyte, whose GCS client cannot use Workload Identity.
func staticArgs() *ObjectStoreArgs {
	a := prodArgs()
	a.Access[1].StaticCredential = true
	return a
}

func TestStaticCredential(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, preview, staticArgs())
		require.NoError(t, err)
		comp := inspect.MustNamed(t, m, ObjectStoreType, "store")
		airbyte := inspect.MustNamed(t, m, tAccount, "store-airbyte")
		require.Len(t, m.ByType(tAccount), 3, "the static workload still has its own service account")

		// Exactly one key, the component's, for Airbyte's service account.
		key := inspect.One(t, m, tSAKey)
		assert.Equal(t, "store-airbyte-key", key.Name)
		assert.Equal(t, comp.URN, key.Parent)
		assert.True(t, inspect.DependsOnInput(key, "serviceAccountId", airbyte), "the key belongs to airbyte's service account")
		for _, other := range []string{"store-dremio", "store-postgres-backup"} {
			assert.False(t, inspect.DependsOnInput(key, "serviceAccountId", inspect.MustNamed(t, m, tAccount, other)))
		}
		assert.Equal(t, KeyAlgorithm, inspect.Str(key.Inputs, "keyAlgorithm"))
		assert.Equal(t, "KEY_ALG_RSA_2048", inspect.Str(key.Inputs, "keyAlgorithm"))
		assert.Equal(t, "TYPE_GOOGLE_CREDENTIALS_FILE", inspect.Str(key.Inputs, "privateKeyType"))
		assert.Contains(t, key.AdditionalSecretOutputs, "privateKey")

		// Its bucket grants are unchanged: airbyte and lake, object role only.
		var grants []string
		for _, b := range m.ByType(tBucketIAM) {
			if inspect.DependsOnInput(b, "member", airbyte) {
				assert.Equal(t, ObjectRole, inspect.Str(b.Inputs, "role"))
				grants = append(grants, b.Name)
			}
		}
		assert.ElementsMatch(t, []string{"store-airbyte-airbyte", "store-airbyte-lake"}, grants)

		// No Workload Identity path for the static workload; the others keep theirs.
		wi := map[string]bool{}
		for _, r := range m.ByType(tSAIAM) {
			wi[r.Name] = true
			assert.False(t, inspect.DependsOnInput(r, "serviceAccountId", airbyte), "%s binds airbyte's account", r.Name)
		}
		assert.Equal(t, map[string]bool{"store-dremio-workload-identity": true, "store-postgres-backup-workload-identity": true}, wi)

		// The flag is recorded in the component's props.
		flags := map[string]bool{}
		for _, acc := range inspect.Arr(inspect.At(comp.Inputs, "access")) {
			st, ok := inspect.Bool(inspect.Obj(acc), "staticCredential")
			require.True(t, ok)
			flags[inspect.Str(inspect.Obj(acc), "workload")] = st
		}
		assert.Equal(t, map[string]bool{"dremio": false, "airbyte": true, "postgres-backup": false}, flags)

		require.Len(t, s.Info.Identities, 3)
		id := s.Info.Identities["airbyte"]
		annotations := inspect.Await(t, id.ServiceAccountAnnotations)
		assert.True(t, annotations.Known)
		assert.Empty(t, annotations.Value, "no iam.gke.io/gcp-service-account annotation")
		assert.Empty(t, id.PodLabels)
		assert.Equal(t, "", inspect.Await(t, id.CredentialsSecret).Value)
		for _, w := range []string{"dremio", "postgres-backup"} {
			other := s.Info.Identities[w]
			assert.Nil(t, other.StaticCredential.OutputState, "%s has no static credential", w)
			if a := inspect.Await(t, other.ServiceAccountAnnotations); a.Known {
				assert.Len(t, a.Value, 1, "%s keeps Workload Identity", w)
			} else {
				assert.True(t, preview, "%s's annotation is unknown only before create", w)
			}
		}

		// The project's policy pack exempts exactly this key from no-static-cloud-keys.
		assert.Equal(t, policies.GCPObjectStoreType, ObjectStoreType)
		var rs []policies.Resource
		for _, r := range m.Resources() {
			rs = append(rs, policies.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Properties: r.Inputs,
				Protect: r.Protect, Parent: r.Parent, Dependencies: r.AllDependencies(), Provider: r.Provider})
		}
		for _, v := range policies.Evaluate(rs, policies.DefaultConfig("prod")) {
			assert.NotEqual(t, "no-static-cloud-keys", v.Policy, v.String())
		}

		require.NotNil(t, id.StaticCredential.OutputState)
		cred := inspect.Await(t, id.StaticCredential)
		assert.True(t, cred.Secret, "the key file is a secret")
		require.True(t, cred.Known)
		// The credentials file is the provider's privateKey, decoded. (The engine reports a new key
		// unknown in a preview; the harness hands out a known placeholder so that the mock monitor
		// can carry the secret on — see mockcloud/outputs.go.)
		if preview {
			encoded := inspect.Str(key.Outputs, "privateKey")
			file, err := base64.StdEncoding.DecodeString(encoded)
			require.NoError(t, err)
			assert.Equal(t, string(file), cred.Value)
			return
		}
		assert.Equal(t, "dataplatform-prod-airbyte@acme-data-prod.iam.gserviceaccount.com", inspect.Await(t, id.Principal).Value)
		assert.Equal(t, "projects/acme-data-prod/serviceAccounts/dataplatform-prod-airbyte@acme-data-prod.iam.gserviceaccount.com",
			inspect.Str(key.Inputs, "serviceAccountId"))
		encoded := inspect.Str(key.Outputs, "privateKey")
		require.NotEmpty(t, encoded)
		file, err := base64.StdEncoding.DecodeString(encoded)
		require.NoError(t, err)
		assert.Equal(t, string(file), cred.Value)
		var parsed map[string]any
		require.NoError(t, json.Unmarshal(file, &parsed))
		assert.Equal(t, "service_account", parsed["type"])
		assert.Equal(t, "dataplatform-prod-airbyte@acme-data-prod.iam.gserviceaccount.com", parsed["client_email"])
		assert.Equal(t, testProject, parsed["project_id"])
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
		{"workload pool", mut(func(a *ObjectStoreArgs) { a.WorkloadPool = nil }), []string{"WorkloadPool is nil", "Access[0] (dremio)", "gke.Cluster.WorkloadPool"}},
		{"bucket prefix", mut(func(a *ObjectStoreArgs) { a.BucketPrefix = "Data-1a2b3c" }), []string{"BucketPrefix", "Data-1a2b3c"}},
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
	a.Access, a.WorkloadPool = nil, nil
	m, s, err := run(t, false, a)
	require.NoError(t, err)
	assert.Len(t, m.ByType(tBucket), 4)
	assert.Empty(t, m.ByType(tAccount))
	assert.Empty(t, s.Info.Identities)
}

func protectedArgs() *ObjectStoreArgs {
	a := prodArgs()
	a.Protect = true
	return a
}
