package secrets

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestWithoutStore: with no store (library users without ESO), Materialize writes a plain Secret with
// the credential's values under the Secret's keys, and no ExternalSecret.
func TestWithoutStore(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "dev", preview)
		require.NoError(t, m.Run(func(ctx *pulumi.Context) error {
			var s *Store
			cred, err := s.Put(ctx, "c", "metadata-db-airbyte", map[string]pulumi.StringInput{"username": pulumi.String("airbyte"), "password": pulumi.String("pw")})
			if err != nil {
				return err
			}
			_, err = s.Materialize(ctx, "job-secret", Secret{
				Name: "metadata-db-bootstrap", Namespace: pulumi.String("data"),
				Data: map[string]Ref{"airbyte-password": cred.Ref("password")},
			})
			return err
		}, nil))
		sec := inspect.MustNamed(t, m, "kubernetes:core/v1:Secret", "job-secret")
		assert.Equal(t, "metadata-db-bootstrap", inspect.Str(sec.Inputs, "metadata", "name"))
		assert.Equal(t, "Opaque", inspect.Str(sec.Inputs, "type"))
		assert.Equal(t, "pw", inspect.Str(sec.Inputs, "stringData", "airbyte-password"))
		assert.Empty(t, m.ByType("kubernetes:external-secrets.io/v1:ExternalSecret"))
	})
}

type recorder struct{ keys []string }

func (r *recorder) Put(ctx *pulumi.Context, name, key string, data pulumi.StringMapInput, opts ...pulumi.ResourceOption) (RemoteRef, error) {
	r.keys = append(r.keys, key)
	return RemoteRef{Key: pulumi.String("arn:" + key).ToStringOutput()}, nil
}

// TestRejects: bad credentials and Secrets fail before anything is registered, with the key named.
func TestRejects(t *testing.T) {
	store := &Store{ClusterStore: "s", Writer: &recorder{}}
	for name, c := range map[string]struct {
		run  func(ctx *pulumi.Context) error
		want string
	}{
		"key not a DNS label": {func(ctx *pulumi.Context) error {
			_, err := store.Put(ctx, "c", "Metadata_DB", map[string]pulumi.StringInput{"a": pulumi.String("b")})
			return err
		}, `"Metadata_DB"`},
		"no data": {func(ctx *pulumi.Context) error {
			_, err := store.Put(ctx, "c", "k", nil)
			return err
		}, "has no data"},
		"bad data key": {func(ctx *pulumi.Context) error {
			_, err := store.Put(ctx, "c", "k", map[string]pulumi.StringInput{"a b": pulumi.String("b")})
			return err
		}, `"a b"`},
		"unknown property": {func(ctx *pulumi.Context) error {
			cred, err := store.Put(ctx, "c", "k", map[string]pulumi.StringInput{"password": pulumi.String("b")})
			if err != nil {
				return err
			}
			_, err = store.Materialize(ctx, "s", Secret{Name: "x", Namespace: pulumi.String("apps"), Data: map[string]Ref{"password": cred.Ref("pasword")}})
			return err
		}, `no property "pasword"`},
		"credential not in the store": {func(ctx *pulumi.Context) error {
			var none *Store
			cred, err := none.Put(ctx, "c", "k", map[string]pulumi.StringInput{"password": pulumi.String("b")})
			if err != nil {
				return err
			}
			_, err = store.Materialize(ctx, "s", Secret{Name: "x", Namespace: pulumi.String("apps"), Data: map[string]Ref{"password": cred.Ref("password")}})
			return err
		}, "not written to the store"},
		"no namespace": {func(ctx *pulumi.Context) error {
			cred, _ := store.Put(ctx, "c", "k", map[string]pulumi.StringInput{"password": pulumi.String("b")})
			_, err := store.Materialize(ctx, "s", Secret{Name: "x", Data: map[string]Ref{"password": cred.Ref("password")}})
			return err
		}, "no namespace"},
	} {
		t.Run(name, func(t *testing.T) {
			m := mockcloud.New("dataplatform", "dev", false)
			err := m.Run(c.run, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, m.ByType("kubernetes:external-secrets.io/v1:ExternalSecret"))
		})
	}
}
