package superset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/secrets"
)

// Secrets the pods read (each materialized from the store by an ExternalSecret).
const (
	secretKeySecretName = "superset-secret-key"
	adminSecretName     = "superset-admin"
	valkeySecretName    = "superset-valkey-auth"
)

// secretKeyName is the logical name of generation n's key. Generation n is SUPERSET_SECRET_KEY and
// n-1 PREVIOUS_SECRET_KEY, which `superset re-encrypt-secrets` decrypts with
// (superset/cli/update.py re_encrypt_secrets: previous_secret_key or
// current_app.config.get("PREVIOUS_SECRET_KEY")). Every generation 1..n stays registered: a
// generation moved by more than one, or back, then never deletes the key the stored secrets are
// encrypted with (the init Job refuses such a pair, see InitScript, and setting the generation
// back restores the Secret).
func (b *builder) secretKeyName(n int) string { return fmt.Sprintf("%s-secret-key-%d", b.name, n) }

// MaxSecretKeyGeneration bounds SecretKeyGeneration (each generation's key stays registered).
const MaxSecretKeyGeneration = 100

// credentials generates the secret key, the admin password and Valkey's password, writes them to the
// store and materializes the Secrets the pods read.
func (b *builder) credentials() error {
	a := b.a
	password := func(logical string, length int, protect bool) (*random.RandomPassword, error) {
		// Letters and digits: the values go into URLs (rediss://:<password>@…) and shell arguments.
		return random.NewRandomPassword(b.ctx, logical, &random.RandomPasswordArgs{
			Length: pulumi.Int(length), Special: pulumi.Bool(false),
			MinNumeric: pulumi.Int(4), MinUpper: pulumi.Int(4), MinLower: pulumi.Int(4),
		}, b.opts(pulumi.Protect(protect))...)
	}
	var err error
	n := a.SecretKeyGeneration
	// Every generation's key is kept and protected alike (a 64-character string costs nothing).
	keys := make([]*random.RandomPassword, n+1)
	for g := 1; g <= n; g++ {
		if keys[g], err = password(b.secretKeyName(g), 64, a.Protect); err != nil {
			return err
		}
	}
	current := keys[n]
	// The digest the pods check their key against: a SHA-256 of 64 random letters and digits
	// (~380 bits) reveals nothing usable, so it is a plain value.
	b.secretKeyDigest = pulumi.Unsecret(current.Result.ApplyT(func(k string) string {
		sum := sha256.Sum256([]byte(k))
		return hex.EncodeToString(sum[:])
	}).(pulumi.StringOutput)).(pulumi.StringOutput)
	keyData := map[string]pulumi.StringInput{"secretKey": current.Result}
	if n > 1 {
		keyData["previousSecretKey"] = keys[n-1].Result
	}
	adminPW, err := password(b.name+"-admin-password", 32, a.Protect)
	if err != nil {
		return err
	}
	// Valkey holds only cache entries and queued tasks: its password may be replaced.
	valkeyPW, err := password(b.name+"-valkey-password", 48, false)
	if err != nil {
		return err
	}

	put := func(suffix, key string, data map[string]pulumi.StringInput) (*secrets.Credential, error) {
		return a.Secrets.Put(b.ctx, b.name+"-"+suffix+"-credential", key, data, b.opts()...)
	}
	materialize := func(suffix, objName string, data map[string]secrets.Ref) (*readyName, error) {
		m, err := a.Secrets.Materialize(b.ctx, b.name+"-"+suffix, secrets.Secret{
			Name: objName, Namespace: a.Namespace, Type: "Opaque",
			Labels: map[string]string{"app.kubernetes.io/part-of": "dataplatform", "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/name": "superset"},
			Data:   data,
		}, b.opts()...)
		if err != nil {
			return nil, err
		}
		return &readyName{name: m.Name, resource: m.Resource}, nil
	}

	keyCred, err := put("secret-key", "superset-secret-key", keyData)
	if err != nil {
		return err
	}
	keyRefs := map[string]secrets.Ref{"SUPERSET_SECRET_KEY": keyCred.Ref("secretKey")}
	if n > 1 {
		keyRefs["PREVIOUS_SECRET_KEY"] = keyCred.Ref("previousSecretKey")
	}
	if b.secretKey, err = materialize("secret-key", secretKeySecretName, keyRefs); err != nil {
		return err
	}

	adminCred, err := put("admin", "superset-admin", map[string]pulumi.StringInput{"username": pulumi.String(AdminUser), "password": adminPW.Result})
	if err != nil {
		return err
	}
	if b.admin, err = materialize("admin", adminSecretName, map[string]secrets.Ref{"username": adminCred.Ref("username"), "password": adminCred.Ref("password")}); err != nil {
		return err
	}

	valkeyCred, err := put("valkey-auth", "superset-valkey", map[string]pulumi.StringInput{"password": valkeyPW.Result})
	if err != nil {
		return err
	}
	b.valkeyPassword, err = materialize("valkey-auth", valkeySecretName, map[string]secrets.Ref{"password": valkeyCred.Ref("password")})
	return err
}
