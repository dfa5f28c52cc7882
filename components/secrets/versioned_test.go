package secrets

import (
	"regexp"
	"strings"
	"testing"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const esType = "kubernetes:external-secrets.io/v1:ExternalSecret"

// materializeJobSecret writes a credential with the given password and materializes it twice: the
// stable-name Secret a workload reads and the versioned one a Job reads.
func materializeJobSecret(store *Store, password string, names *[2]pulumi.StringOutput) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		cred, err := store.Put(ctx, "c", "metadata-db-airbyte", map[string]pulumi.StringInput{"username": pulumi.String("airbyte"), "password": pulumi.String(password)})
		if err != nil {
			return err
		}
		stable, err := store.Materialize(ctx, "stable", Secret{Name: "airbyte-db-credentials", Namespace: pulumi.String("apps"),
			Data: map[string]Ref{"password": cred.Ref("password")}})
		if err != nil {
			return err
		}
		job, err := store.Materialize(ctx, "job", Secret{Name: "metadata-db-bootstrap", Namespace: pulumi.String("data"), Versioned: true,
			Data: map[string]Ref{"airbyte-password": cred.Ref("password"), "airbyte-user": cred.Ref("username")}})
		if err != nil {
			return err
		}
		names[0], names[1] = stable.Name, job.Name
		return nil
	}
}

var versionedName = regexp.MustCompile(`^metadata-db-bootstrap-[0-9a-f]{10}$`)

// TestVersionedName: with and without a store, a versioned Secret (and its ExternalSecret, whose
// target is the same name) is named <name>-<10 hex of the values' SHA-256>, a DNS label; a changed
// value changes the name, the same value keeps it, and a stable-name Secret keeps its name either
// way. Materialized.Name is that name.
func TestVersionedName(t *testing.T) {
	stores := map[string]*Store{"store": {ClusterStore: "s", Writer: &recorder{}}, "plain": nil}
	for kind, store := range stores {
		t.Run(kind, func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				run := func(password string) (stable, job string, objects []string) {
					m := mockcloud.New("dataplatform", "dev", preview)
					var names [2]pulumi.StringOutput
					require.NoError(t, m.Run(materializeJobSecret(store, password, &names), nil))
					stable, job = inspect.Await(t, names[0]).Value.(string), inspect.Await(t, names[1]).Value.(string)
					if store == nil {
						for _, s := range m.ByType("kubernetes:core/v1:Secret") {
							objects = append(objects, inspect.Str(s.Inputs, "metadata", "name"))
						}
						return
					}
					for _, es := range m.ByType(esType) {
						n := inspect.Str(es.Inputs, "metadata", "name")
						assert.Equal(t, n, inspect.Str(es.Inputs, "spec", "target", "name"), "an ExternalSecret writes the Secret of its own name")
						assert.Len(t, inspect.Str(es.Inputs, "metadata", "annotations", ValueHashAnnotation), 64)
						if strings.HasPrefix(n, "metadata-db-bootstrap") {
							assert.Equal(t, VersionedName("metadata-db-bootstrap", inspect.Str(es.Inputs, "metadata", "annotations", ValueHashAnnotation)), n,
								"the name carries the digest the annotation shows")
						}
						objects = append(objects, n)
					}
					return
				}
				stable1, job1, objs1 := run("old")
				stable2, job2, objs2 := run("new")
				stable3, job3, _ := run("old")
				assert.Equal(t, "airbyte-db-credentials", stable1)
				assert.Equal(t, stable1, stable2, "a workload's Secret keeps its name")
				assert.Regexp(t, versionedName, job1)
				assert.Regexp(t, versionedName, job2)
				assert.NotEqual(t, job1, job2, "a new value is a new Secret")
				assert.Equal(t, job1, job3, "the same value keeps the name: nothing is replaced")
				assert.Equal(t, stable3, stable1)
				assert.ElementsMatch(t, []string{"airbyte-db-credentials", job1}, objs1)
				assert.ElementsMatch(t, []string{"airbyte-db-credentials", job2}, objs2)
			})
		})
	}
}

// TestVersionedNameTooLong: a versioned Secret's base name leaves room for the digest.
func TestVersionedNameTooLong(t *testing.T) {
	store := &Store{ClusterStore: "s", Writer: &recorder{}}
	m := mockcloud.New("dataplatform", "dev", false)
	err := m.Run(func(ctx *pulumi.Context) error {
		cred, err := store.Put(ctx, "c", "k", map[string]pulumi.StringInput{"password": pulumi.String("b")})
		if err != nil {
			return err
		}
		_, err = store.Materialize(ctx, "s", Secret{Name: strings.Repeat("a", MaxVersionedBase+1), Namespace: pulumi.String("apps"), Versioned: true,
			Data: map[string]Ref{"password": cred.Ref("password")}})
		return err
	}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "at most 52 characters")
	assert.Empty(t, m.ByType(esType))
	assert.Len(t, VersionedName(strings.Repeat("a", MaxVersionedBase), strings.Repeat("0", 64)), 63)
}

// TestVersionedNameUnknownInPreview: a value not known before the update (a password a preview
// creates) leaves the versioned name unknown in the preview — the ExternalSecret's name and
// target — rather than failing; pulumi-kubernetes counts an unknown name as named
// (provider/v4 pkg/metadata/naming.go IsNamed), so it plans a replacement, not an autoname. The
// update knows it.
func TestVersionedNameUnknownInPreview(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		store := &Store{ClusterStore: "s", Writer: &recorder{}}
		m := mockcloud.New("dataplatform", "dev", preview)
		var name pulumi.StringOutput
		require.NoError(t, m.Run(func(ctx *pulumi.Context) error {
			// A ConfigMap's uid is known only once it exists: a value computed by the update.
			cm, err := corev1.NewConfigMap(ctx, "source", &corev1.ConfigMapArgs{})
			if err != nil {
				return err
			}
			cred, err := store.Put(ctx, "c", "k", map[string]pulumi.StringInput{"password": cm.Metadata.Uid().Elem()})
			if err != nil {
				return err
			}
			sec, err := store.Materialize(ctx, "job", Secret{Name: "metadata-db-bootstrap", Namespace: pulumi.String("data"), Versioned: true,
				Data: map[string]Ref{"password": cred.Ref("password")}})
			if err != nil {
				return err
			}
			name = sec.Name
			return nil
		}, nil))
		es := inspect.MustNamed(t, m, esType, "job")
		if preview {
			// (Materialized.Name is read back from the mocks, which echo inputs as outputs: not checked.)
			assert.True(t, inspect.At(es.Inputs, "metadata", "name").ContainsUnknowns(), "metadata.name")
			assert.True(t, inspect.At(es.Inputs, "spec", "target", "name").ContainsUnknowns(), "spec.target.name")
			return
		}
		got := inspect.Await(t, name)
		require.True(t, got.Known)
		assert.Regexp(t, versionedName, got.Value)
		assert.Equal(t, got.Value, inspect.Str(es.Inputs, "spec", "target", "name"))
	})
}
