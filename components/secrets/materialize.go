package secrets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The ExternalSecret every materialized Secret comes from (external-secrets@v2.9.0
// config/crds/bases/external-secrets.io_externalsecrets.yaml, apis/externalsecrets/v1/externalsecret_types.go).
const (
	// APIVersion is the only version the v2.9.0 CRDs serve (v1beta1 is served: false).
	APIVersion = "external-secrets.io/v1"
	// ExternalSecretKind and ClusterSecretStoreKind are the kinds the platform creates.
	ExternalSecretKind     = "ExternalSecret"
	ClusterSecretStoreKind = "ClusterSecretStore"
	// RefreshInterval is how often ESO reads the store again: a credential rotated in the store
	// reaches the Kubernetes Secret within it (spec.refreshInterval, a Go duration).
	RefreshInterval = "1h"
	// CreationPolicy Owner: ESO creates the Secret and sets itself as its controller owner
	// (CreatePolicyOwner), adopting a Secret of that name that exists without an ExternalSecret owner
	// (pkg/controllers/externalsecret/externalsecret_controller.go applyOwnership:
	// SetControllerReference). Deleting the ExternalSecret garbage-collects the Secret.
	CreationPolicy = "Owner"
	// DeletionPolicy Retain (the CRD default, stated): a credential missing from the store leaves the
	// last synced Secret in place instead of deleting what running workloads read.
	DeletionPolicy = "Retain"
	// WaitForAnnotation makes pulumi-kubernetes wait until the ExternalSecret reports Ready — ESO has
	// written the Secret (condition type Ready, reason SecretSynced: externalsecret_types.go
	// ExternalSecretReady) — so a Job or pod created after it never starts on a missing Secret
	// (pulumi-kubernetes provider/v4 pkg/metadata/overrides.go ReadyCondition: "condition=" values).
	WaitForAnnotation = "pulumi.com/waitFor"
	WaitForReady      = "condition=Ready"
	// ReadyTimeout bounds that wait (customTimeouts create/update; the provider's default is 10 min).
	// A store's grant can take longer to apply than to create — Azure RBAC "up to 10 minutes"
	// (azure-docs articles/key-vault/general/rbac-guide.md, Known limits) — and ESO retries a failed
	// read with controller-runtime's exponential backoff (externalsecret_controller.go Reconcile
	// returns the provider error), so the first sync may come well after the grant works.
	ReadyTimeout = "30m"
	// ValueHashAnnotation carries the SHA-256 of the Secret's values. ESO re-reads the store before
	// refreshInterval only when the ExternalSecret's generation or its labels and annotations change
	// (pkg/controllers/externalsecret/externalsecret_controller.go shouldRefreshPeriodic,
	// pkg/controllers/util/util.go GetResourceVersion), so a value Pulumi writes to the store reaches
	// the Secret within seconds of the same `up`, not within the hour.
	ValueHashAnnotation = "dataplatform.io/value-sha256"
)

var (
	// dnsLabel is what a credential key must be: it names a Kubernetes Secret in the in-cluster store
	// and a secret in every cloud's store.
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// secretKeyPattern is a Kubernetes Secret data key (and the CRD's secretKey / property pattern).
	secretKeyPattern = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
)

// Credential is a credential written to a store, or, without a store, held for plain Secrets.
type Credential struct {
	key  string
	data map[string]pulumi.StringInput
	ref  *RemoteRef
}

// Key is the credential's name in the store.
func (c *Credential) Key() string { return c.key }

// Ref names one property of the credential.
func (c *Credential) Ref(property string) Ref { return Ref{cred: c, property: property} }

// Ref is one property of a credential: the value of one key of a materialized Secret.
type Ref struct {
	cred     *Credential
	property string
}

// Secret is a Kubernetes Secret as a workload reads it.
type Secret struct {
	// Name is the Secret's name (and its ExternalSecret's); it does not change when a store is used.
	// A Versioned Secret's name is Name with a digest suffix.
	Name string
	// Namespace is where the workload runs.
	Namespace pulumi.StringInput
	// Type is the Secret's type; empty is Opaque.
	Type string
	// Labels are the Secret's labels.
	Labels map[string]string
	// Data maps each key of the Secret to the credential property it holds.
	Data map[string]Ref
	// Versioned names the Secret (and its ExternalSecret) VersionedName(Name, digest of its values):
	// a new value is a new Secret, so whoever names it can only read the value it was created for.
	// For what a Job reads once when it starts (a bootstrap applying a credential to a server): a
	// stable-name Secret that ESO updates in place may still hold the previous value when the Job,
	// replaced in the same `up`, starts. Long-running workloads keep stable names (Versioned false):
	// ESO updates their Secret in place, without a restart. Name is then at most
	// MaxVersionedBase characters; read the resulting name from Materialized.Name.
	Versioned bool
}

// DigestLength is how many hex digits of the values' SHA-256 a versioned Secret's name carries:
// 40 bits, only ever compared with the name the same Secret had before.
const DigestLength = 10

// MaxVersionedBase is the longest Name of a versioned Secret: with "-" and the digest it is a
// DNS label (63), which every Kubernetes object name and label value accepts.
const MaxVersionedBase = 63 - 1 - DigestLength

// VersionedName is the name of a versioned Secret whose values have the hex SHA-256 valueHash (the
// ValueHashAnnotation): name-<first DigestLength hex digits>.
func VersionedName(name, valueHash string) string {
	return name + "-" + valueHash[:DigestLength]
}

// IsVersionOf reports whether name is a versioned Secret's name for base: base-<DigestLength hex>.
func IsVersionOf(base, name string) bool {
	suffix, ok := strings.CutPrefix(name, base+"-")
	return ok && len(suffix) == DigestLength && strings.Trim(suffix, "0123456789abcdef") == ""
}

// valueDigest is the hex SHA-256 of the Secret's values in key order (the ValueHashAnnotation).
func valueDigest(keys []string, values []any) string {
	h := sha256.New()
	for i, v := range values {
		fmt.Fprintf(h, "%s=%d:%s\n", keys[i], len(fmt.Sprint(v)), v)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Materialized is a Secret that exists (or will, once its ExternalSecret is Ready).
type Materialized struct {
	// Resource is what a reader waits for: the ExternalSecret, Ready once ESO wrote the Secret, or
	// the plain Secret.
	Resource pulumi.Resource
	// Name is the Secret's name, resolved once Resource exists.
	Name pulumi.StringOutput
}

// Put writes a credential (key → value) as the remote secret key, a DNS label unique per stack.
// Values become Pulumi secrets. A nil Store keeps the values for plain Secrets.
func (s *Store) Put(ctx *pulumi.Context, name, key string, data map[string]pulumi.StringInput, opts ...pulumi.ResourceOption) (*Credential, error) {
	if !dnsLabel.MatchString(key) || len(key) > 63 {
		return nil, fmt.Errorf("secrets: credential key %q: must be a DNS label (lower-case letters, digits and '-', at most 63 characters)", key)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("secrets: credential %q has no data", key)
	}
	for k, v := range data {
		if !secretKeyPattern.MatchString(k) {
			return nil, fmt.Errorf("secrets: credential %q: key %q: must match %s", key, k, secretKeyPattern)
		}
		if v == nil {
			return nil, fmt.Errorf("secrets: credential %q: key %q has no value", key, k)
		}
	}
	c := &Credential{key: key, data: data}
	if s == nil {
		return c, nil
	}
	if s.Writer == nil || s.ClusterStore == "" {
		return nil, fmt.Errorf("secrets: the store has no Writer or ClusterSecretStore name")
	}
	m := pulumi.StringMap{}
	for k, v := range data {
		m[k] = v
	}
	ref, err := s.Writer.Put(ctx, name, key, pulumi.ToSecret(m).(pulumi.StringMapOutput), opts...)
	if err != nil {
		return nil, fmt.Errorf("secrets: writing %q: %w", key, err)
	}
	c.ref = &ref
	return c, nil
}

func (sec Secret) validate(hasStore bool) error {
	if !dnsLabel.MatchString(sec.Name) || len(sec.Name) > 63 {
		return fmt.Errorf("secrets: Secret name %q: must be a DNS label", sec.Name)
	}
	if sec.Versioned && len(sec.Name) > MaxVersionedBase {
		return fmt.Errorf("secrets: Secret name %q: a versioned Secret's name is at most %d characters (the digest suffix makes it %d)", sec.Name, MaxVersionedBase, 63)
	}
	if sec.Namespace == nil {
		return fmt.Errorf("secrets: Secret %q has no namespace", sec.Name)
	}
	if len(sec.Data) == 0 {
		return fmt.Errorf("secrets: Secret %q has no data", sec.Name)
	}
	for k, r := range sec.Data {
		switch {
		case !secretKeyPattern.MatchString(k):
			return fmt.Errorf("secrets: Secret %q: key %q: must match %s", sec.Name, k, secretKeyPattern)
		case r.cred == nil:
			return fmt.Errorf("secrets: Secret %q: key %q names no credential", sec.Name, k)
		case r.cred.data[r.property] == nil:
			return fmt.Errorf("secrets: Secret %q: key %q: credential %q has no property %q", sec.Name, k, r.cred.key, r.property)
		case hasStore && r.cred.ref == nil:
			return fmt.Errorf("secrets: Secret %q: credential %q was not written to the store", sec.Name, r.cred.key)
		}
	}
	return nil
}

// Materialize creates the Secret a workload reads: with a Store, an ExternalSecret that ESO turns
// into it from the ClusterSecretStore; without one (library users without ESO), a plain Secret.
func (s *Store) Materialize(ctx *pulumi.Context, name string, sec Secret, opts ...pulumi.ResourceOption) (*Materialized, error) {
	if err := sec.validate(s != nil); err != nil {
		return nil, err
	}
	typ := sec.Type
	if typ == "" {
		typ = "Opaque"
	}
	keys := make([]string, 0, len(sec.Data))
	for k := range sec.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var values []any
	for _, k := range keys {
		r := sec.Data[k]
		values = append(values, r.cred.data[r.property])
	}
	// The digest of random credentials reveals nothing of them: it is written in the clear. It is
	// computed inside the Apply, from the values as they are deployed (unknown in a preview that
	// creates them, and so is a versioned name).
	valueHash := pulumi.Unsecret(pulumi.All(values...).ApplyT(func(vs []any) string {
		return valueDigest(keys, vs)
	})).(pulumi.StringOutput)
	// The object's name: fixed, or carrying the digest. A changed name is a replacement, and since
	// the name differs pulumi-kubernetes creates the new object before it deletes the old one
	// (provider/v4 pkg/provider/provider.go Diff: deleteBeforeReplace only when the new name equals
	// the old); an unknown name counts as named, not autonamed (pkg/metadata/naming.go IsNamed).
	objName := pulumi.String(sec.Name).ToStringOutput()
	if sec.Versioned {
		base := sec.Name
		objName = valueHash.ApplyT(func(h string) string { return VersionedName(base, h) }).(pulumi.StringOutput)
	}

	if s == nil {
		data := pulumi.StringMap{}
		for _, k := range keys {
			r := sec.Data[k]
			data[k] = pulumi.ToSecret(r.cred.data[r.property]).(pulumi.StringOutput)
		}
		out, err := corev1.NewSecret(ctx, name, &corev1.SecretArgs{
			Metadata:   &metav1.ObjectMetaArgs{Name: objName, Namespace: sec.Namespace, Labels: pulumi.ToStringMap(sec.Labels)},
			Type:       pulumi.String(typ),
			StringData: data,
		}, opts...)
		if err != nil {
			return nil, err
		}
		return &Materialized{Resource: out, Name: out.Metadata.Name().Elem()}, nil
	}

	deps := append([]pulumi.Resource{}, s.Ready...)
	var items pulumi.Array
	for _, k := range keys {
		r := sec.Data[k]
		if r.cred.ref.Resource != nil {
			deps = append(deps, r.cred.ref.Resource)
		}
		items = append(items, pulumi.Map{
			"secretKey": pulumi.String(k),
			"remoteRef": pulumi.Map{"key": r.cred.ref.Key, "property": pulumi.String(r.property)},
		})
	}
	labels := map[string]any{}
	for k, v := range sec.Labels {
		labels[k] = v
	}
	es, err := apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(APIVersion),
		Kind:       pulumi.String(ExternalSecretKind),
		Metadata: &metav1.ObjectMetaArgs{
			Name: objName, Namespace: sec.Namespace, Labels: pulumi.ToStringMap(sec.Labels),
			Annotations: pulumi.StringMap{WaitForAnnotation: pulumi.String(WaitForReady), ValueHashAnnotation: valueHash},
		},
		OtherFields: map[string]any{"spec": pulumi.Map{
			"refreshInterval": pulumi.String(RefreshInterval),
			"secretStoreRef":  pulumi.Map{"kind": pulumi.String(ClusterSecretStoreKind), "name": pulumi.String(s.ClusterStore)},
			"target": pulumi.Map{
				"name":           objName,
				"creationPolicy": pulumi.String(CreationPolicy),
				"deletionPolicy": pulumi.String(DeletionPolicy),
				// A template with type and metadata only copies the fetched data as it is
				// (externalsecret_controller_template.go ApplyTemplate: "no data template").
				"template": pulumi.Map{
					"type":     pulumi.String(typ),
					"metadata": pulumi.Map{"labels": pulumi.ToMap(labels)},
				},
			},
			"data": items,
		}},
	}, append(opts, pulumi.DependsOn(deps), pulumi.Timeouts(&pulumi.CustomTimeouts{Create: ReadyTimeout, Update: ReadyTimeout}))...)
	if err != nil {
		return nil, err
	}
	return &Materialized{Resource: es, Name: es.Metadata.Name().Elem()}, nil
}
