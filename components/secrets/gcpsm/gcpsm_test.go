package gcpsm

import (
	"testing"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
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
	tRing    = "gcp:kms/keyRing:KeyRing"
	tKey     = "gcp:kms/cryptoKey:CryptoKey"
	tKeyIAM  = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
	tAgent   = "gcp:projects/serviceIdentity:ServiceIdentity"
	tSecret  = "gcp:secretmanager/secret:Secret"
	tIAM     = "gcp:secretmanager/secretIamMember:SecretIamMember"
	tVersion = "gcp:secretmanager/secretVersion:SecretVersion"
	tCSS     = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
	tOp      = "kubernetes:core/v1:Namespace"
	member   = "principal://iam.googleapis.com/projects/" + mockcloud.GCPProjectNumber +
		"/locations/global/workloadIdentityPools/my-project.svc.id.goog/subject/ns/external-secrets/sa/external-secrets"
)

func args(protect bool) *StoreArgs {
	return &StoreArgs{
		Project: "my-project", Region: "europe-north1", SecretPrefix: "dataplatform-dev",
		Namespaces: []string{"dataplatform-apps"}, Protect: protect, Labels: map[string]string{"stack": "dev"},
	}
}

// settings are what the store asked of the installer in the last run.
var settings secrets.OperatorSettings

func run(t *testing.T, preview bool, a *StoreArgs) (*mockcloud.Mocks, *Store, secrets.RemoteRef, error) {
	m := mockcloud.New("dataplatform", "dev", preview)
	var (
		out *Store
		ref secrets.RemoteRef
	)
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := gcp.NewProvider(ctx, "gcp", &gcp.ProviderArgs{Project: pulumi.String("my-project"), Region: pulumi.String("europe-north1")})
		if err != nil {
			return err
		}
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		if a != nil {
			a.KubernetesProvider = k
			// an output, as gke.Cluster.WorkloadPool is
			a.WorkloadPool = pulumi.String("my-project.svc.id.goog").ToStringOutput()
		}
		install := func(s secrets.OperatorSettings) (pulumi.Resource, error) {
			settings = s
			return corev1.NewNamespace(ctx, "operator", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(secrets.OperatorNamespace)}},
				pulumi.Provider(k), pulumi.DependsOn(s.DependsOn))
		}
		out, err = NewStore(ctx, "secret-store", a, install, pulumi.Provider(p))
		if err != nil {
			return err
		}
		ref, err = out.Store.Writer.Put(ctx, "airbyte-db", "metadata-db-airbyte", pulumi.StringMap{
			"password": pulumi.ToSecret(pulumi.String("pw")).(pulumi.StringOutput),
		})
		return err
	}, nil)
	return m, out, ref, err
}

// TestStore: each secret is replicated in the region only, encrypted with the store's key (which the
// Secret Manager agent may use), readable by the operator's ServiceAccount principal and nobody else
// the store grants; the ClusterSecretStore uses the controller's metadata-server credentials.
func TestStore(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, s, ref, err := run(t, preview, args(false))
		inspect.RequireRan(t, preview, err)
		assert.Equal(t, Egress, settings.Egress)
		assert.Contains(t, settings.Egress, secrets.Egress{CIDR: "169.254.169.252/32", TCPPorts: []int{988}}, "the GKE metadata server under network policy")
		assert.Nil(t, settings.ServiceAccountAnnotations, "a direct principal: no iam.gke.io/gcp-service-account annotation")

		key := inspect.One(t, m, tKey)
		assert.Equal(t, KeyRotationPeriod, inspect.Str(key.Inputs, "rotationPeriod"))
		assert.Equal(t, "europe-north1", inspect.Str(inspect.One(t, m, tRing).Inputs, "location"), "the key is where the replica is")
		agent := inspect.One(t, m, tAgent)
		assert.Equal(t, "secretmanager.googleapis.com", inspect.Str(agent.Inputs, "service"))
		grant := inspect.One(t, m, tKeyIAM)
		assert.Equal(t, KeyRole, inspect.Str(grant.Inputs, "role"))
		assert.Equal(t, "serviceAccount:service-"+mockcloud.GCPProjectNumber+"@gcp-sa-secretmanager.iam.gserviceaccount.com", inspect.Str(grant.Inputs, "member"))
		assert.True(t, m.DependsOn(grant, agent), "the agent exists before its grant")

		sec := inspect.MustNamed(t, m, tSecret, "airbyte-db")
		assert.Equal(t, "dataplatform-dev-metadata-db-airbyte", inspect.Str(sec.Inputs, "secretId"))
		assert.False(t, inspect.Has(sec.Inputs, "replication", "auto"), "no automatic replication: the data stays in the region")
		replicas := inspect.Arr(inspect.At(sec.Inputs, "replication", "userManaged", "replicas"))
		require.Len(t, replicas, 1)
		assert.Equal(t, "europe-north1", inspect.Str(inspect.Obj(replicas[0]), "location"))
		if !preview {
			assert.Equal(t, key.ID, inspect.Str(inspect.Obj(replicas[0]), "customerManagedEncryption", "kmsKeyName"))
		} else {
			assert.True(t, inspect.Has(inspect.Obj(replicas[0]), "customerManagedEncryption", "kmsKeyName"))
		}
		assert.True(t, m.DependsOn(sec, grant), "Secret Manager can use the key when the secret is created")
		assert.False(t, sec.Protect)

		iam := inspect.MustNamed(t, m, tIAM, "airbyte-db-operator")
		assert.Equal(t, AccessorRole, inspect.Str(iam.Inputs, "role"))
		assert.Len(t, m.ByType(tIAM), 1, "one grant per secret, none on the project")
		ver := inspect.MustNamed(t, m, tVersion, "airbyte-db-value")
		assert.True(t, ver.Inputs["secretData"].IsSecret())
		assert.True(t, m.DependsOn(ver, iam), "an ExternalSecret waiting for the value can read it")
		assert.Equal(t, ver.URN, string(inspect.Await(t, ref.Resource.URN()).Value.(pulumi.URN)))
		if !preview {
			assert.Equal(t, member, inspect.Str(iam.Inputs, "member"))
			assert.Equal(t, member, inspect.Await(t, s.Member).Value)
			assert.Equal(t, "dataplatform-dev-metadata-db-airbyte", inspect.Str(iam.Inputs, "secretId"))
			assert.JSONEq(t, `{"password":"pw"}`, inspect.Str(ver.Inputs, "secretData"))
			assert.Equal(t, "dataplatform-dev-metadata-db-airbyte", inspect.Await(t, ref.Key).Value)
		}

		op := inspect.MustNamed(t, m, tOp, "operator")
		css := inspect.MustNamed(t, m, tCSS, "secret-store-cluster-store")
		assert.True(t, m.DependsOn(css, op))
		assert.Equal(t, ClusterStoreName, inspect.Str(css.Inputs, "metadata", "name"))
		assert.Equal(t, map[string]any{"gcpsm": map[string]any{"projectID": "my-project"}}, inspect.Plain(inspect.At(css.Inputs, "spec", "provider")))
		assert.Equal(t, []string{"dataplatform-apps"}, inspect.Strs(inspect.Obj(inspect.Arr(inspect.At(css.Inputs, "spec", "conditions"))[0]), "namespaces"))
		assert.Empty(t, inspect.Protected(m), "outside prod nothing is protected")
	})
}

// TestProdProtectsTheKey: the key ring and key are protected; secrets, grants and the store are not.
func TestProdProtectsTheKey(t *testing.T) {
	m, _, _, err := run(t, false, args(true))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{tRing, tKey}, inspect.ProtectedTypes(m))
}

func TestValidation(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*StoreArgs)
		want   string
	}{
		{func(a *StoreArgs) { a.Project = "X" }, `Project = "X"`},
		{func(a *StoreArgs) { a.Region = "eu" }, `Region = "eu"`},
		{func(a *StoreArgs) { a.SecretPrefix = "a.b" }, `SecretPrefix = "a.b"`},
		{func(a *StoreArgs) { a.Namespaces = []string{"a_b"} }, `"a_b" is not a namespace name`},
	} {
		a := args(false)
		tc.mutate(a)
		m, _, _, err := run(t, false, a)
		assert.ErrorContains(t, err, tc.want)
		assert.Empty(t, m.ByType(StoreType))
	}
}
