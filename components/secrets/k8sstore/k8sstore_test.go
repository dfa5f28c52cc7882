package k8sstore

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	secretType = "kubernetes:core/v1:Secret"
	esType     = "kubernetes:external-secrets.io/v1:ExternalSecret"
	cssType    = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
)

// run builds the store and materializes one credential as two Secrets, the way the components do.
func run(t *testing.T, preview bool, mutate func(*StoreArgs)) (*mockcloud.Mocks, error) {
	return runWith(t, preview, mutate, "s3cr3t")
}

func runWith(t *testing.T, preview bool, mutate func(*StoreArgs), password string) (*mockcloud.Mocks, error) {
	m := mockcloud.New("dataplatform", "dev", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		// Stands in for the operator's chart.
		op, err := corev1.NewNamespace(ctx, "operator", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(secrets.OperatorNamespace)}}, pulumi.Provider(k))
		if err != nil {
			return err
		}
		a := &StoreArgs{Namespaces: []string{"dataplatform-apps", "dataplatform-data"}, Operator: op, Provider: k}
		if mutate != nil {
			mutate(a)
		}
		st, err := NewStore(ctx, "secret-store", a, pulumi.Provider(k))
		if err != nil {
			return err
		}
		cred, err := st.Store.Put(ctx, "db-airbyte-credential", "metadata-db-airbyte",
			map[string]pulumi.StringInput{"username": pulumi.String("airbyte"), "password": pulumi.ToSecret(pulumi.String(password)).(pulumi.StringOutput)})
		if err != nil {
			return err
		}
		for _, ns := range []string{"dataplatform-apps", "dataplatform-data"} {
			if _, err := st.Store.Materialize(ctx, "db-airbyte-"+ns, secrets.Secret{
				Name: "airbyte-db-credentials", Namespace: pulumi.String(ns), Type: "kubernetes.io/basic-auth",
				Labels: map[string]string{"cnpg.io/reload": "true"},
				Data:   map[string]secrets.Ref{"username": cred.Ref("username"), "password": cred.Ref("password")},
			}, pulumi.Provider(k)); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	return m, err
}

// TestStore: the credential is a Secret of the store namespace only a dedicated ServiceAccount may
// read (get, nothing else); the ClusterSecretStore reads it as that account, verifies the API server
// with the cluster CA and serves only the platform's namespaces; each ExternalSecret maps the
// Secret's keys to the credential's properties and waits for the store and the value.
func TestStore(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		require.NoError(t, err)

		ns := inspect.MustNamed(t, m, "kubernetes:core/v1:Namespace", "secret-store-namespace")
		assert.Equal(t, DefaultNamespace, inspect.Str(ns.Inputs, "metadata", "name"))
		assert.Equal(t, "restricted", inspect.Str(ns.Inputs, "metadata", "labels", "pod-security.kubernetes.io/enforce"))

		role := inspect.MustNamed(t, m, "kubernetes:rbac.authorization.k8s.io/v1:Role", "secret-store-reader-role")
		require.Equal(t, 1, inspect.Len(role.Inputs, "rules"))
		assert.Equal(t, []string{"secrets"}, inspect.Strs(role.Inputs, "rules", 0, "resources"))
		assert.Equal(t, []string{"get"}, inspect.Strs(role.Inputs, "rules", 0, "verbs"))
		sa := inspect.MustNamed(t, m, "kubernetes:core/v1:ServiceAccount", "secret-store-reader")
		assert.Equal(t, ReaderServiceAccount, inspect.Str(sa.Inputs, "metadata", "name"))

		css := inspect.MustNamed(t, m, cssType, "secret-store-cluster-store")
		assert.Equal(t, DefaultClusterStore, inspect.Str(css.Inputs, "metadata", "name"))
		assert.Equal(t, secrets.WaitForReady, inspect.Str(css.Inputs, "metadata", "annotations", secrets.WaitForAnnotation))
		k := func(path ...any) string {
			return inspect.Str(css.Inputs, append([]any{"spec", "provider", "kubernetes"}, path...)...)
		}
		assert.Equal(t, APIServerURL, k("server", "url"))
		assert.Equal(t, "ConfigMap", k("server", "caProvider", "type"))
		assert.Equal(t, RootCAConfigMap, k("server", "caProvider", "name"))
		assert.Equal(t, ReaderServiceAccount, k("auth", "serviceAccount", "name"))
		assert.Equal(t, []string{"dataplatform-apps", "dataplatform-data"}, inspect.Strs(css.Inputs, "spec", "conditions", 0, "namespaces"))
		if !preview {
			assert.Equal(t, DefaultNamespace, k("remoteNamespace"))
			assert.Equal(t, DefaultNamespace, k("server", "caProvider", "namespace"))
			assert.Equal(t, DefaultNamespace, k("auth", "serviceAccount", "namespace"))
		}
		binding := inspect.MustNamed(t, m, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "secret-store-reader-binding")
		assert.True(t, m.DependsOn(css, binding), "the store is validated once the reader may read")
		assert.True(t, m.DependsOn(css, inspect.MustNamed(t, m, "kubernetes:core/v1:Namespace", "operator")), "the store waits for the operator's CRDs")

		stored := inspect.MustNamed(t, m, secretType, "db-airbyte-credential")
		assert.Equal(t, "metadata-db-airbyte", inspect.Str(stored.Inputs, "metadata", "name"))
		assert.Contains(t, inspect.ProviderURN(stored), "::k8s", "Put uses the store's provider")
		if !preview {
			assert.Equal(t, DefaultNamespace, inspect.Str(stored.Inputs, "metadata", "namespace"))
			assert.Equal(t, "s3cr3t", inspect.Str(stored.Inputs, "stringData", "password"))
		}

		// No plain Secret besides the stored credential: the workloads' Secrets are ESO's.
		assert.Len(t, m.ByType(secretType), 1)
		ess := m.ByType(esType)
		require.Len(t, ess, 2)
		for _, es := range ess {
			s := func(path ...any) string { return inspect.Str(es.Inputs, append([]any{"spec"}, path...)...) }
			assert.Equal(t, "airbyte-db-credentials", inspect.Str(es.Inputs, "metadata", "name"))
			assert.Equal(t, secrets.WaitForReady, inspect.Str(es.Inputs, "metadata", "annotations", secrets.WaitForAnnotation))
			assert.Equal(t, "30m", es.CreateTimeout, "the first sync may wait for a store grant to apply")
			assert.Equal(t, "30m", es.UpdateTimeout)
			assert.Equal(t, "1h", s("refreshInterval"))
			assert.Equal(t, "ClusterSecretStore", s("secretStoreRef", "kind"))
			assert.Equal(t, DefaultClusterStore, s("secretStoreRef", "name"))
			assert.Equal(t, "airbyte-db-credentials", s("target", "name"))
			assert.Equal(t, "Owner", s("target", "creationPolicy"))
			assert.Equal(t, "Retain", s("target", "deletionPolicy"))
			assert.Equal(t, "kubernetes.io/basic-auth", s("target", "template", "type"))
			assert.Equal(t, "true", s("target", "template", "metadata", "labels", "cnpg.io/reload"))
			require.Equal(t, 2, inspect.Len(es.Inputs, "spec", "data"))
			// Keys sorted: password, username.
			assert.Equal(t, "password", s("data", 0, "secretKey"))
			assert.Equal(t, "password", s("data", 0, "remoteRef", "property"))
			assert.Equal(t, "username", s("data", 1, "secretKey"))
			if !preview {
				assert.Equal(t, "metadata-db-airbyte", s("data", 0, "remoteRef", "key"))
			}
			assert.True(t, m.DependsOn(es, css), "an ExternalSecret waits for the store")
			assert.True(t, m.DependsOn(es, stored), "an ExternalSecret waits for the value")
		}
	})
}

// TestStoreRejects: bad input fails before anything is registered.
func TestStoreRejects(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(*StoreArgs)
		want   string
	}{
		"no operator":              {func(a *StoreArgs) { a.Operator = nil }, "Operator is required"},
		"no provider":              {func(a *StoreArgs) { a.Provider = nil }, "Provider is required"},
		"no namespaces":            {func(a *StoreArgs) { a.Namespaces = nil }, "Namespaces is empty"},
		"workloads beside secrets": {func(a *StoreArgs) { a.Namespaces = append(a.Namespaces, DefaultNamespace) }, "store namespace"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := run(t, false, c.mutate)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// TestStoreProtect: in prod the store namespace, which holds every credential, is protected; nothing
// else of the store is.
func TestStoreProtect(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, func(a *StoreArgs) { a.Protect = true })
		require.NoError(t, err)
		ns := inspect.MustNamed(t, m, "kubernetes:core/v1:Namespace", "secret-store-namespace")
		assert.True(t, ns.Protect)
		for _, r := range m.Resources() {
			if r != ns {
				assert.False(t, r.Protect, r.URN)
			}
		}
	})
}

// TestValueHashFollowsTheValue: a new value Pulumi writes to the store changes the ExternalSecret's
// annotation (so ESO re-reads at once instead of within refreshInterval), the same value keeps it,
// and the digest is not a secret of its own (it is written in the clear).
func TestValueHashFollowsTheValue(t *testing.T) {
	hash := func(password string) string {
		m, err := runWith(t, false, nil, password)
		require.NoError(t, err)
		es := m.ByType(esType)
		require.NotEmpty(t, es)
		v := inspect.At(es[0].Inputs, "metadata", "annotations", secrets.ValueHashAnnotation)
		require.False(t, v.ContainsSecrets(), "the digest is marked secret")
		h := inspect.Str(es[0].Inputs, "metadata", "annotations", secrets.ValueHashAnnotation)
		require.Len(t, h, 64)
		return h
	}
	first := hash("s3cr3t")
	assert.Equal(t, first, hash("s3cr3t"))
	assert.NotEqual(t, first, hash("rotated-value"))
}
