package airbyte

import (
	"encoding/base64"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// plainLabels are the labels every platform object carries (airbyte.go labels), as a plain map.
func plainLabels(extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range labels(extra) {
		if s, ok := v.(pulumi.String); ok {
			out[k] = string(s)
		}
	}
	return out
}

const (
	// AuthBootstrapSecret is the platform's Secret (apps namespace) the bootloader reads the instance
	// admin's credentials and the JWT signing secret from (global.auth.secretName).
	AuthBootstrapSecret = "airbyte-auth-bootstrap"
	// AdminPasswordKey is the key of the instance admin's password in AuthBootstrapSecret.
	AdminPasswordKey = "AB_INSTANCE_ADMIN_PASSWORD"
	// ManagedAuthSecret is the Secret the bootloader writes from AuthBootstrapSecret and the server
	// reads (chart 2.0.19 _auth.tpl "airbyte.auth.bootstrap.managedSecretName", default
	// airbyte-auth-secrets; password under "instance-admin-password").
	ManagedAuthSecret = "airbyte-auth-secrets"
)

// AuthSecretKeys are the keys of AuthBootstrapSecret: the chart's defaults for the bootloader's
// secretKeyRefs (chart 2.0.19 templates/config/_auth.tpl: airbyte.auth.bootstrap.instanceAdmin.
// password.secretKey, …clientId.secretKey, …clientSecret.secretKey, …security.jwtSignatureSecret.
// secretKey). The bootloader copies a provided value into ManagedAuthSecret and generates only the
// missing ones (airbyte-platform@v2.0.0 airbyte-bootloader/.../AuthKubernetesSecretInitializer.kt
// getOrCreateSecretValue), so the platform's generated values are the ones in force.
var AuthSecretKeys = []string{AdminPasswordKey, "AB_INSTANCE_ADMIN_CLIENT_ID", "AB_INSTANCE_ADMIN_CLIENT_SECRET", "AB_JWT_SIGNATURE_SECRET"}

type authSecret struct {
	secret   *secrets.Materialized
	password pulumi.StringOutput
}

// newAuthSecret generates the instance admin's password, client credentials and the JWT signing
// secret (protected with Protect: regenerating them changes the login and voids every session) and
// writes them into AuthBootstrapSecret.
func newAuthSecret(ctx *pulumi.Context, name string, a AirbyteStackArgs,
	meta func(string, pulumi.StringInput) *metav1.ObjectMetaArgs, child []pulumi.ResourceOption) (authSecret, error) {
	keep := append(append([]pulumi.ResourceOption{}, child...), pulumi.Protect(a.Protect))
	gen := func(suffix string, length int) (*random.RandomPassword, error) {
		// Letters and digits: the values travel through env vars and HTTP forms unescaped.
		return random.NewRandomPassword(ctx, name+"-"+suffix, &random.RandomPasswordArgs{
			Length: pulumi.Int(length), Special: pulumi.Bool(false),
			MinUpper: pulumi.Int(2), MinLower: pulumi.Int(2), MinNumeric: pulumi.Int(2),
		}, keep...)
	}
	password, err := gen("admin-password", 32)
	if err != nil {
		return authSecret{}, err
	}
	clientSecret, err := gen("admin-client-secret", 32)
	if err != nil {
		return authSecret{}, err
	}
	jwt, err := gen("jwt-signature-secret", 48)
	if err != nil {
		return authSecret{}, err
	}
	clientID, err := random.NewRandomUuid(ctx, name+"-admin-client-id", &random.RandomUuidArgs{}, keep...)
	if err != nil {
		return authSecret{}, err
	}
	cred, err := a.Secrets.Put(ctx, name+"-auth-credential", "airbyte-auth", map[string]pulumi.StringInput{
		AuthSecretKeys[0]: password.Result,
		AuthSecretKeys[1]: clientID.Result,
		AuthSecretKeys[2]: clientSecret.Result,
		AuthSecretKeys[3]: jwt.Result,
	}, append(child, pulumi.Protect(false))...)
	if err != nil {
		return authSecret{}, err
	}
	data := map[string]secrets.Ref{}
	for _, k := range AuthSecretKeys {
		data[k] = cred.Ref(k)
	}
	sec, err := a.Secrets.Materialize(ctx, name+"-auth", secrets.Secret{
		Name: AuthBootstrapSecret, Namespace: a.Namespace, Type: "Opaque", Labels: plainLabels(a.Labels), Data: data,
	}, append(child, pulumi.Protect(false))...)
	if err != nil {
		return authSecret{}, err
	}
	return authSecret{secret: sec, password: password.Result}, nil
}

// newTrustSecrets writes, with MinIO, the store's CA for the Airbyte services (apps namespace), and
// JobsTrustStoreSecret (jobs namespace) for job pods: with MinIO the orchestrator's JKS trust store,
// and where the Connection verifies the server the database's CA under DatabaseCAFile.
//
// With MinIO (the kubernetes target) the Secret is written as a core/v1 Secret. Off MinIO it holds only
// the database CA, a public certificate, and is registered as a generic object of apiVersion v1 and
// kind Secret (apiextensions.CustomResource registers kubernetes:v1:Secret; pulumi-kubernetes@v4.32.0
// applies any kind from its apiVersion/kind through the dynamic client). The reason: the Cloud SQL
// CA is unknown until the instance exists, core/v1 Secret's Go constructor wraps data in a secret
// (sdk/go/kubernetes/core/v1/secret.go: pulumi.ToSecret(args.Data)), and the SDK's mock monitor
// cannot carry a secret-wrapped unknown in a preview (mockcloud/inspect MockSecretLimitation), which
// would leave the gcp plans untestable. The CA needs no secrecy in the state.
func newTrustSecrets(ctx *pulumi.Context, name string, a AirbyteStackArgs, jobsNS pulumi.StringInput,
	meta func(string, pulumi.StringInput) *metav1.ObjectMetaArgs, child []pulumi.ResourceOption) ([]pulumi.Resource, error) {
	if a.ObjectStore.Kind != objectstore.MinIO {
		if !verifies(a.Database) {
			return nil, nil
		}
		sec, err := apiextensions.NewCustomResource(ctx, name+"-jobs-truststore", &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("v1"),
			Kind:       pulumi.String("Secret"),
			Metadata:   meta(JobsTrustStoreSecret, jobsNS),
			OtherFields: map[string]any{
				"type": "Opaque",
				"data": pulumi.StringMap{DatabaseCAFile: a.Database.CACert.ApplyT(func(pem string) string {
					return base64.StdEncoding.EncodeToString([]byte(pem))
				}).(pulumi.StringOutput)},
			},
		}, child...)
		if err != nil {
			return nil, err
		}
		return []pulumi.Resource{sec}, nil
	}
	ca, err := corev1.NewSecret(ctx, name+"-objectstore-ca", &corev1.SecretArgs{
		Metadata:   meta(CASecretName, a.Namespace),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{ObjectStoreCAKey: a.ObjectStore.CABundle},
	}, child...)
	if err != nil {
		return nil, err
	}
	data := pulumi.StringMap{JobsTrustStoreKey: a.ObjectStore.CABundle.ApplyT(jksBase64).(pulumi.StringOutput)}
	if verifies(a.Database) {
		// The database CA for job pods' DATABASE_URL (databaseURLParams); a CA certificate is public.
		data[DatabaseCAFile] = a.Database.CACert.ApplyT(func(pem string) string {
			return base64.StdEncoding.EncodeToString([]byte(pem))
		}).(pulumi.StringOutput)
	}
	store, err := corev1.NewSecret(ctx, name+"-jobs-truststore", &corev1.SecretArgs{
		Metadata: meta(JobsTrustStoreSecret, jobsNS),
		Type:     pulumi.String("Opaque"),
		Data:     data,
	}, child...)
	if err != nil {
		return nil, err
	}
	return []pulumi.Resource{ca, store}, nil
}
