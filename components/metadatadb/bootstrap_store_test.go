package metadatadb

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/components/secrets/k8sstore"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestBootstrapThroughTheStore: with a store, the administrator's and every role's credential are
// written to it once, the Secrets the Job and the workloads read keep their names but are
// ExternalSecrets, no plain Secret is left in the apps or data namespace, and the Job waits for the
// ExternalSecrets of the Secrets it reads.
func TestBootstrapThroughTheStore(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "prod", preview)
		require.NoError(t, m.Run(func(ctx *pulumi.Context) error {
			p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
			if err != nil {
				return err
			}
			op, err := corev1.NewNamespace(ctx, "operator", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("external-secrets")}}, pulumi.Provider(p))
			if err != nil {
				return err
			}
			st, err := k8sstore.NewStore(ctx, "secret-store", &k8sstore.StoreArgs{Namespaces: []string{appsNS, dataNS}, Operator: op, Provider: p}, pulumi.Provider(p))
			if err != nil {
				return err
			}
			parent := &testParent{}
			if err := ctx.RegisterComponentResource("test:index:Parent", "db", parent, pulumi.Protect(true)); err != nil {
				return err
			}
			a := bootArgs()
			a.Secrets = st.Store
			_, err = NewBootstrap(ctx, "db-bootstrap", parent, p, a)
			return err
		}, nil))

		const esType = "kubernetes:external-secrets.io/v1:ExternalSecret"
		targets := map[string]*mockcloud.Resource{}
		jobReads := map[string]bool{} // the versioned names the Job reads
		for _, es := range m.ByType(esType) {
			n := inspect.Str(es.Inputs, "spec", "target", "name")
			assert.Equal(t, n, inspect.Str(es.Inputs, "metadata", "name"))
			// What the Job reads is versioned: <name>-<digest of the values>.
			for _, base := range []string{"metadata-db-admin", "metadata-db-bootstrap"} {
				if secrets.IsVersionOf(base, n) {
					jobReads[n] = true
					n = base
				}
			}
			targets[n] = es
			assert.False(t, es.Protect, "%s is disposable", es.Name)
		}
		assert.Len(t, jobReads, 2)
		want := []string{"metadata-db-admin", "metadata-db-bootstrap"}
		for _, r := range loginRoles() {
			want = append(want, CredentialSecretName(r))
		}
		assert.ElementsMatch(t, want, keys(targets))

		stored := map[string]bool{}
		for _, s := range m.ByType("kubernetes:core/v1:Secret") {
			assert.Equal(t, "kubernetes", inspect.Str(s.Inputs, "metadata", "labels", k8sstore.StoredLabel), "%s is not a stored credential", s.Name)
			stored[inspect.Str(s.Inputs, "metadata", "name")] = true
		}
		assert.True(t, stored["metadata-db-admin"])
		for _, r := range loginRoles() {
			assert.True(t, stored["metadata-db-"+strings.ReplaceAll(r, "_", "-")], r)
		}
		// The Job's roles Secret maps <role>-password to each role's credential.
		rolesES := targets["metadata-db-bootstrap"]
		require.NotNil(t, rolesES)
		assert.Equal(t, len(loginRoles()), inspect.Len(rolesES.Inputs, "spec", "data"))
		assert.Equal(t, "password", inspect.Str(rolesES.Inputs, "spec", "data", 0, "remoteRef", "property"))

		job := inspect.One(t, m, jobType)
		for _, n := range []string{"metadata-db-admin", "metadata-db-bootstrap"} {
			assert.True(t, m.DependsOn(job, targets[n]), "the Job waits for %s", n)
		}
		// The Job's env names exactly the versioned Secrets, and no stable one.
		read := map[string]bool{}
		for _, e := range inspect.Arr(inspect.At(job.Inputs, "spec", "template", "spec", "containers", 0, "env")) {
			if n := inspect.Str(inspect.Obj(e), "valueFrom", "secretKeyRef", "name"); n != "" {
				read[n] = true
			}
		}
		assert.Equal(t, jobReads, read)
	})
}

func keys(m map[string]*mockcloud.Resource) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	return out
}
