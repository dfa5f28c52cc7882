// Package cloudstore holds what the cloud secret stores (awssm, azurekv, gcpsm) share: the
// credential's JSON encoding, the key and namespace rules, and the ClusterSecretStore object.
package cloudstore

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/secrets"
)

// Installer installs the External Secrets Operator once settings.DependsOn exist, with the identity
// and egress the store asks for, and returns what a ClusterSecretStore waits for
// (stacks.OperatorInstaller has this underlying type).
type Installer = func(settings secrets.OperatorSettings) (pulumi.Resource, error)

// Egress destinations the stores' controllers need.
const (
	// Anywhere is a public cloud API (Secrets Manager, Secret Manager, Entra ID) over HTTPS; it
	// also covers a private endpoint inside the network.
	Anywhere = "0.0.0.0/0"
)

// dnsLabel is the contract's key (secrets.Writer.Put) and a namespace name.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// CheckPut validates Put's arguments.
func CheckPut(pkg, name, key string, data pulumi.StringMapInput) error {
	if !dnsLabel.MatchString(key) {
		return fmt.Errorf("%s: Put %q: key %q must be a DNS label (lower-case letters, digits and hyphens, at most 63)", pkg, name, key)
	}
	if data == nil {
		return fmt.Errorf("%s: Put %q: data is nil; pass the credential's keys and values", pkg, name)
	}
	return nil
}

// CheckNamespaces validates the namespaces that may use a ClusterSecretStore.
func CheckNamespaces(pkg string, namespaces []string) error {
	for _, ns := range namespaces {
		if !dnsLabel.MatchString(ns) {
			return fmt.Errorf("%s: Namespaces: %q is not a namespace name (a DNS label)", pkg, ns)
		}
	}
	return nil
}

// Install calls the installer and checks that it returned something to wait for.
func Install(pkg string, install Installer, settings secrets.OperatorSettings) (pulumi.Resource, error) {
	if install == nil {
		return nil, fmt.Errorf("%s: install is nil; pass the External Secrets Operator's installer", pkg)
	}
	operator, err := install(settings)
	if err != nil {
		return nil, fmt.Errorf("%s: installing the External Secrets Operator: %w", pkg, err)
	}
	if operator == nil {
		return nil, fmt.Errorf("%s: the operator's installer returned no resource to wait for", pkg)
	}
	return operator, nil
}

// JSON encodes data as one JSON object with sorted keys: the same credential always gives the same
// string, so an unchanged credential writes no new version.
func JSON(data pulumi.StringMapInput) pulumi.StringOutput {
	return data.ToStringMapOutput().ApplyT(func(m map[string]string) (string, error) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, err := json.Marshal(k)
			if err != nil {
				return "", err
			}
			vb, err := json.Marshal(m[k])
			if err != nil {
				return "", err
			}
			b.Write(kb)
			b.WriteByte(':')
			b.Write(vb)
		}
		b.WriteByte('}')
		return b.String(), nil
	}).(pulumi.StringOutput)
}

// SecretJSON is JSON(data) marked a Pulumi secret.
func SecretJSON(data pulumi.StringMapInput) pulumi.StringOutput {
	return pulumi.ToSecret(JSON(data)).(pulumi.StringOutput)
}

// ClusterSecretStore creates the external-secrets.io/v1 ClusterSecretStore named name with the given
// spec.provider. With namespaces, only ExternalSecrets in those namespaces may use it
// (spec.conditions[].namespaces; external-secrets@v2.9.0 apis/externalsecrets/v1/secretstore_types.go
// ClusterSecretStoreCondition: "Choose namespaces by name").
func ClusterSecretStore(ctx *pulumi.Context, logical, name string, provider map[string]any, namespaces []string, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	spec := map[string]any{"provider": provider}
	if len(namespaces) > 0 {
		ns := make([]any, len(namespaces))
		for i, n := range namespaces {
			ns[i] = n
		}
		spec["conditions"] = []any{map[string]any{"namespaces": ns}}
	}
	return apiextensions.NewCustomResource(ctx, logical, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("external-secrets.io/v1"),
		Kind:       pulumi.String("ClusterSecretStore"),
		Metadata: &metav1.ObjectMetaArgs{
			Name:   pulumi.String(name),
			Labels: pulumi.StringMap{"app.kubernetes.io/managed-by": pulumi.String("pulumi")},
		},
		OtherFields: map[string]any{"spec": spec},
	}, opts...)
}
