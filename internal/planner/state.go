package planner

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// EngineVersion is written into the state manifest: the CLI version the state format follows.
const EngineVersion = "v3.274.1"

// Signatures of the state file's special values (the engine's well-known sigil and markers).
const (
	sigKey         = "4dabf18193072939515e22adb298388d"
	secretSig      = "1b47061264138c4ac30d75fd1eb44270"
	resourceRefSig = "5cf8f73096256a8f31e491e813e4eb8e"
	unknownValue   = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
)

// Deployment returns the plan as a `pulumi stack export` document (deployment version 3), so that
// `pulumi stack import` and `pulumi policy analyze --file` read it. With a passphrase, secrets are
// encrypted the way the passphrase secrets provider does and the document names that provider, so
// `pulumi stack import` accepts it (with PULUMI_CONFIG_PASSPHRASE set to the same passphrase).
// Without one, secrets are written in plaintext as `pulumi stack export --show-secrets` does, which
// `pulumi policy analyze --file` reads but `pulumi stack import` refuses. Custom resources without an
// explicit provider get the default provider the engine would create.
func (r *Result) Deployment(now time.Time, passphrase string) (*apitype.UntypedDeployment, error) {
	return r.deployment(now, passphrase, passphrase != "")
}

// EncryptedDeployment is Deployment with the secrets always encrypted, even under an empty
// passphrase: the CLI's passphrase provider accepts PULUMI_CONFIG_PASSPHRASE set to "", and a state
// it imports must name a secrets provider.
func (r *Result) EncryptedDeployment(now time.Time, passphrase string) (*apitype.UntypedDeployment, error) {
	return r.deployment(now, passphrase, true)
}

func (r *Result) deployment(now time.Time, passphrase string, encrypt bool) (*apitype.UntypedDeployment, error) {
	manifest := apitype.ManifestV1{Time: now.UTC(), Version: EngineVersion}
	manifest.Magic = manifest.NewMagic()
	enc, secretsProviders, err := newEncoder(passphrase, encrypt)
	if err != nil {
		return nil, err
	}

	defaults := map[string]string{} // package → default provider reference
	var out []apitype.ResourceV3
	stackURN := ""
	for _, res := range r.Resources {
		if res.Parent == "" {
			stackURN = res.URN
		}
	}
	for _, res := range r.Resources {
		provider := res.Provider
		if res.Custom && provider == "" && !strings.HasPrefix(res.Type, "pulumi:providers:") {
			pkg := strings.SplitN(res.Type, ":", 2)[0]
			ref, ok := defaults[pkg]
			if !ok {
				urn := resource.NewURN(tokens.QName(r.Stack), tokens.PackageName(r.Project), "", tokens.Type("pulumi:providers:"+pkg), "default")
				id := "default-" + pkg
				ref = string(urn) + "::" + id
				defaults[pkg] = ref
				out = append(out, apitype.ResourceV3{
					URN: urn, Custom: true, ID: resource.ID(id), Type: tokens.Type("pulumi:providers:" + pkg),
					Inputs: map[string]any{}, Outputs: map[string]any{},
				})
			}
			provider = ref
		}
		inputs, err := enc.serialize(res.Inputs)
		if err != nil {
			return nil, fmt.Errorf("%s: inputs: %w", res.URN, err)
		}
		outputs, err := enc.serialize(res.Outputs)
		if err != nil {
			return nil, fmt.Errorf("%s: outputs: %w", res.URN, err)
		}
		v3 := apitype.ResourceV3{
			URN:                     resource.URN(res.URN),
			Custom:                  res.Custom || strings.HasPrefix(res.Type, "pulumi:providers:"),
			ID:                      resource.ID(res.ID),
			Type:                    tokens.Type(res.Type),
			Inputs:                  inputs,
			Outputs:                 outputs,
			Parent:                  resource.URN(res.Parent),
			Protect:                 res.Protect,
			Provider:                provider,
			RetainOnDelete:          res.RetainOnDelete,
			IgnoreChanges:           res.IgnoreChanges,
			AdditionalSecretOutputs: keys(res.AdditionalSecretOutputs),
		}
		for _, d := range res.Dependencies {
			v3.Dependencies = append(v3.Dependencies, resource.URN(d))
		}
		if len(res.PropertyDependencies) > 0 {
			v3.PropertyDependencies = map[resource.PropertyKey][]resource.URN{}
			for k, ds := range res.PropertyDependencies {
				for _, d := range ds {
					v3.PropertyDependencies[resource.PropertyKey(k)] = append(v3.PropertyDependencies[resource.PropertyKey(k)], resource.URN(d))
				}
			}
		}
		out = append(out, v3)
	}
	// Default providers must precede their first user; they belong right after the stack.
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i], stackURN) < rank(out[j], stackURN) })

	deployment := apitype.DeploymentV3{Manifest: manifest, SecretsProviders: secretsProviders, Resources: out}
	raw, err := json.Marshal(deployment)
	if err != nil {
		return nil, err
	}
	return &apitype.UntypedDeployment{Version: 3, Deployment: raw}, nil
}

// rank keeps the stack first and default providers second; everything else keeps its order.
func rank(r apitype.ResourceV3, stackURN string) int {
	switch {
	case string(r.URN) == stackURN:
		return 0
	case r.Parent == "" && strings.HasPrefix(string(r.Type), "pulumi:providers:"):
		return 1
	}
	return 2
}

func keys(ks []string) []resource.PropertyKey {
	var out []resource.PropertyKey
	for _, k := range ks {
		out = append(out, resource.PropertyKey(k))
	}
	return out
}

// encoder renders property values in the state file's JSON encoding; crypter is nil for plaintext.
type encoder struct {
	crypter config.Crypter
}

// newEncoder makes the passphrase secrets provider's state — a fresh salt and the check value the
// CLI decrypts to verify the passphrase — and the crypter for the secrets.
func newEncoder(passphrase string, encrypt bool) (*encoder, *apitype.SecretsProvidersV1, error) {
	if !encrypt {
		return &encoder{}, nil, nil
	}
	salt := make([]byte, 8)
	if _, err := rand.Read(salt); err != nil {
		return nil, nil, err
	}
	crypter := config.NewSymmetricCrypterFromPassphrase(passphrase, salt)
	check, err := crypter.EncryptValue(context.Background(), "pulumi")
	if err != nil {
		return nil, nil, err
	}
	state, err := json.Marshal(map[string]string{"salt": fmt.Sprintf("v1:%s:%s", base64.StdEncoding.EncodeToString(salt), check)})
	if err != nil {
		return nil, nil, err
	}
	return &encoder{crypter: crypter}, &apitype.SecretsProvidersV1{Type: "passphrase", State: state}, nil
}

// serialize renders a property map.
func (e *encoder) serialize(m resource.PropertyMap) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range m {
		s, err := e.serializeValue(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[string(k)] = s
	}
	return out, nil
}

func (e *encoder) serializeValue(v resource.PropertyValue) (any, error) {
	switch {
	case v.IsNull():
		return nil, nil
	case v.IsBool():
		return v.BoolValue(), nil
	case v.IsNumber():
		return v.NumberValue(), nil
	case v.IsString():
		return v.StringValue(), nil
	case v.IsArray():
		arr := []any{}
		for _, elem := range v.ArrayValue() {
			s, err := e.serializeValue(elem)
			if err != nil {
				return nil, err
			}
			arr = append(arr, s)
		}
		return arr, nil
	case v.IsObject():
		return e.serialize(v.ObjectValue())
	case v.IsComputed():
		return unknownValue, nil
	case v.IsOutput():
		o := v.OutputValue()
		if !o.Known {
			return unknownValue, nil
		}
		inner := o.Element
		if o.Secret {
			inner = resource.MakeSecret(inner)
		}
		return e.serializeValue(inner)
	case v.IsSecret():
		inner, err := e.serializeValue(v.SecretValue().Element)
		if err != nil {
			return nil, err
		}
		plain, err := json.Marshal(inner)
		if err != nil {
			return nil, err
		}
		if e.crypter == nil {
			return map[string]any{sigKey: secretSig, "plaintext": string(plain)}, nil
		}
		ciphertext, err := e.crypter.EncryptValue(context.Background(), string(plain))
		if err != nil {
			return nil, err
		}
		return map[string]any{sigKey: secretSig, "ciphertext": ciphertext}, nil
	case v.IsResourceReference():
		ref := v.ResourceReferenceValue()
		out := map[string]any{sigKey: resourceRefSig, "urn": string(ref.URN), "packageVersion": ref.PackageVersion}
		if id, ok := ref.IDString(); ok {
			out["id"] = id
		}
		return out, nil
	case v.IsAsset(), v.IsArchive():
		return nil, fmt.Errorf("assets and archives are not supported in the offline plan")
	}
	return nil, fmt.Errorf("unsupported property value %v", v)
}
