package awssm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	tRole   = "aws:iam/role:Role"
	tPolicy = "aws:iam/rolePolicy:RolePolicy"
	tAssoc  = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
	tSecret = "aws:secretsmanager/secret:Secret"
	tValue  = "aws:secretsmanager/secretVersion:SecretVersion"
	tCSS    = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
	tOp     = "kubernetes:core/v1:Namespace"
	keyARN  = "arn:aws:kms:eu-north-1:123456789012:key/11111111-2222-3333-4444-555555555555"
)

func args() *StoreArgs {
	return &StoreArgs{
		ClusterName: "dataplatform-dev", AccountID: "123456789012", Region: "eu-north-1",
		NamePrefix: "dataplatform-dev", RecoveryWindowDays: 0,
		Namespaces: []string{"dataplatform-apps", "dataplatform-data"},
		Tags:       map[string]string{"stack": "dev"},
	}
}

// run builds the store with a fake installer (a Namespace standing for the operator) and writes one
// credential.
// settings are what the store asked of the installer in the last run.
var settings secrets.OperatorSettings

func run(t *testing.T, preview bool, a *StoreArgs) (*mockcloud.Mocks, *Store, secrets.RemoteRef, error) {
	m := mockcloud.New("dataplatform", "dev", preview)
	var (
		out *Store
		ref secrets.RemoteRef
	)
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
		if err != nil {
			return err
		}
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		if a != nil {
			a.KubernetesProvider, a.Cluster, a.KMSKeyARN = k, pulumi.String(a.ClusterName), pulumi.String(keyARN)
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
			"username": pulumi.String("airbyte"), "password": pulumi.ToSecret(pulumi.String("s3cr\"t")).(pulumi.StringOutput),
		})
		return err
	}, nil)
	return m, out, ref, err
}

// TestStore: the operator's Pod Identity role reads exactly the stack's secrets and decrypts only
// through Secrets Manager; the association exists before the operator; the ClusterSecretStore uses
// the controller's own credentials; Put writes an encrypted secret holding a JSON object.
func TestStore(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, s, ref, err := run(t, preview, args())
		inspect.RequireRan(t, preview, err)
		assert.Equal(t, Egress, settings.Egress)
		assert.Contains(t, settings.Egress, secrets.Egress{CIDR: "169.254.170.23/32", TCPPorts: []int{80}}, "the Pod Identity agent")
		assert.Nil(t, settings.ServiceAccountAnnotations, "Pod Identity needs no annotation")

		op := inspect.MustNamed(t, m, tOp, "operator")
		assoc := inspect.MustNamed(t, m, tAssoc, "secret-store-operator-pod-identity")
		policy := inspect.MustNamed(t, m, tPolicy, "secret-store-operator-policy")
		assert.True(t, m.DependsOn(op, assoc), "Pod Identity credentials are injected at admission: the association precedes the operator")
		assert.True(t, m.DependsOn(op, policy), "the role can read when the operator starts")
		assert.Equal(t, secrets.OperatorNamespace, inspect.Str(assoc.Inputs, "namespace"))
		assert.Equal(t, secrets.OperatorServiceAccount, inspect.Str(assoc.Inputs, "serviceAccount"))
		assert.Equal(t, "dataplatform-dev", inspect.Str(assoc.Inputs, "clusterName"))

		var trust awsiam.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(inspect.MustNamed(t, m, tRole, "secret-store-operator-role").Inputs, "assumeRolePolicy")), &trust))
		cond := trust.Statement[0].Condition["StringEquals"]
		assert.Equal(t, "pods.eks.amazonaws.com", trust.Statement[0].Principal["Service"])
		assert.Equal(t, "external-secrets", cond["aws:RequestTag/kubernetes-service-account"])
		assert.Equal(t, "external-secrets", cond["aws:RequestTag/kubernetes-namespace"])
		assert.Equal(t, "dataplatform-dev", cond["aws:RequestTag/eks-cluster-name"])

		if !preview { // the key ARN is an output: the policy is unknown in a preview
			var doc awsiam.PolicyDocument
			require.NoError(t, json.Unmarshal([]byte(inspect.Str(policy.Inputs, "policy")), &doc))
			require.Len(t, doc.Statement, 2)
			assert.Equal(t, []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}, doc.Statement[0].Action)
			assert.Equal(t, []string{"arn:aws:secretsmanager:eu-north-1:123456789012:secret:dataplatform-dev/*"}, doc.Statement[0].Resource)
			assert.Equal(t, []string{"kms:Decrypt"}, doc.Statement[1].Action)
			assert.Equal(t, []string{keyARN}, doc.Statement[1].Resource)
			assert.Equal(t, "secretsmanager.eu-north-1.amazonaws.com", doc.Statement[1].Condition["StringEquals"]["kms:ViaService"])
			assert.Equal(t, "arn:aws:secretsmanager:eu-north-1:123456789012:secret:dataplatform-dev/*", doc.Statement[1].Condition["StringLike"]["kms:EncryptionContext:SecretARN"])
			for _, st := range doc.Statement {
				for _, r := range st.Resource {
					assert.NotEqual(t, "*", r, "no statement on every resource")
				}
			}
		}

		css := inspect.MustNamed(t, m, tCSS, "secret-store-cluster-store")
		assert.True(t, m.DependsOn(css, op), "the store waits for the operator's CRDs")
		assert.Equal(t, ClusterStoreName, inspect.Str(css.Inputs, "metadata", "name"))
		assert.Equal(t, map[string]any{"aws": map[string]any{"service": "SecretsManager", "region": "eu-north-1"}},
			inspect.Plain(inspect.At(css.Inputs, "spec", "provider")), "no auth: the controller's Pod Identity")
		assert.Equal(t, []string{"dataplatform-apps", "dataplatform-data"}, inspect.Strs(inspect.Obj(inspect.Arr(inspect.At(css.Inputs, "spec", "conditions"))[0]), "namespaces"))
		assert.Equal(t, ClusterStoreName, s.Store.ClusterStore)
		assert.Len(t, s.Store.Ready, 2)

		sec := inspect.MustNamed(t, m, tSecret, "airbyte-db")
		assert.Equal(t, "dataplatform-dev/metadata-db-airbyte", inspect.Str(sec.Inputs, "name"))
		assert.Equal(t, 0.0, inspect.Num(sec.Inputs, "recoveryWindowInDays"), "outside prod a destroyed secret's name is free at once")
		assert.Equal(t, keyARN, inspect.Str(sec.Inputs, "kmsKeyId"))
		assert.Equal(t, string(m.ByType(StoreType)[0].URN), sec.Parent, "a child of the store, with its AWS provider")
		assert.False(t, sec.Protect)
		ver := inspect.MustNamed(t, m, tValue, "airbyte-db-value")
		assert.True(t, ver.Inputs["secretString"].IsSecret(), "the value is a Pulumi secret")
		if !preview {
			assert.JSONEq(t, `{"password":"s3cr\"t","username":"airbyte"}`, inspect.Str(ver.Inputs, "secretString"))
			assert.Equal(t, "dataplatform-dev/metadata-db-airbyte", inspect.Await(t, ref.Key).Value)
		}
		assert.Equal(t, ver.URN, string(inspect.Await(t, ref.Resource.URN()).Value.(pulumi.URN)), "an ExternalSecret waits for the value")
	})
}

// TestRecoveryWindow: prod keeps a deleted secret recoverable.
func TestRecoveryWindow(t *testing.T) {
	a := args()
	a.RecoveryWindowDays = 30
	m, _, _, err := run(t, false, a)
	require.NoError(t, err)
	assert.Equal(t, 30.0, inspect.Num(inspect.One(t, m, tSecret).Inputs, "recoveryWindowInDays"))
}

func TestValidation(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*StoreArgs)
		want   string
	}{
		{func(a *StoreArgs) { a.RecoveryWindowDays = 3 }, "RecoveryWindowDays = 3; allowed 0"},
		{func(a *StoreArgs) { a.RecoveryWindowDays = 31 }, "RecoveryWindowDays = 31"},
		{func(a *StoreArgs) { a.NamePrefix = "a/b" }, `NamePrefix = "a/b"`},
		{func(a *StoreArgs) { a.AccountID = "12" }, `AccountID = "12"`},
		{func(a *StoreArgs) { a.Region = "europe" }, `Region = "europe"`},
		{func(a *StoreArgs) { a.Namespaces = []string{"Apps"} }, `"Apps" is not a namespace name`},
	} {
		a := args()
		tc.mutate(a)
		m, _, _, err := run(t, false, a)
		assert.ErrorContains(t, err, tc.want)
		assert.Empty(t, m.ByType(StoreType), "nothing registered on bad input")
	}
}

// TestPutRejectsBadKeys: the key is a DNS label; nothing is written otherwise.
func TestPutRejectsBadKeys(t *testing.T) {
	for _, key := range []string{"", "Upper", "has_underscore", "-lead", strings.Repeat("a", 64)} {
		m := mockcloud.New("dataplatform", "dev", false)
		err := m.Run(func(ctx *pulumi.Context) error {
			s := &Store{args: args()}
			_, err := s.Put(ctx, "x", key, pulumi.StringMap{})
			return err
		}, nil)
		assert.ErrorContains(t, err, "must be a DNS label", key)
		assert.Empty(t, m.ByType(tSecret))
	}
}
