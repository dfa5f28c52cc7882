// Package k8sstore is the platform's secret store that needs no cloud: credentials are Kubernetes
// Secrets in a dedicated namespace that no workload runs in, and the External Secrets Operator's
// `kubernetes` provider materializes them, through a ClusterSecretStore, as the Secrets the workloads
// read in their own namespaces. Rotating a credential is editing its Secret in the store namespace;
// ESO copies it within the refresh interval.
//
// ESO reads the store namespace as a ServiceAccount of its own that may only `get` Secrets there
// (external-secrets@v2.9.0 providers/v1/kubernetes/client.go GetSecret: one Get by name); the
// controller mints that ServiceAccount's tokens (chart values rbac.serviceAccountTokenCreate, true by
// default: serviceaccounts/token create) and verifies the API server with the cluster's root CA, the
// kube-root-ca.crt ConfigMap every namespace has.
package k8sstore

import (
	"fmt"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/secrets"
)

// StoreType is the component's type token.
const StoreType = "dataplatform:secrets:KubernetesStore"

const (
	// DefaultNamespace holds the credentials.
	DefaultNamespace = "dataplatform-secrets"
	// DefaultClusterStore is the ClusterSecretStore's name.
	DefaultClusterStore = "dataplatform-kubernetes"
	// ReaderServiceAccount is the identity ESO reads the store namespace as.
	ReaderServiceAccount = "external-secrets-reader"
	// APIServerURL is the in-cluster API server (KubernetesServer.url; the CRD default is
	// "kubernetes.default", stated here with its scheme).
	APIServerURL = "https://kubernetes.default.svc"
	// RootCAConfigMap is the ConfigMap Kubernetes publishes in every namespace with the cluster CA.
	RootCAConfigMap = "kube-root-ca.crt"
	RootCAKey       = "ca.crt"
)

// StoreArgs are the inputs of the store.
type StoreArgs struct {
	// Namespace holds the credentials; default DefaultNamespace.
	Namespace string
	// ClusterStore names the ClusterSecretStore; default DefaultClusterStore.
	ClusterStore string
	// Namespaces may create ExternalSecrets that read the store (the platform's namespaces); the
	// ClusterSecretStore's conditions refuse every other namespace. Required.
	Namespaces []string
	// Operator is the installed External Secrets Operator (its CRDs and controller).
	Operator pulumi.Resource
	// Provider is the cluster's provider: Put creates the credentials' Secrets with it whatever
	// component calls it. Required.
	Provider *kubernetes.Provider
	// Protect protects the store namespace (prod): deleting it deletes every credential in it,
	// including values rotated there by hand. Nothing else here is stateful.
	Protect bool
	// Labels are added to every object.
	Labels map[string]string
}

// Store is the component.
type Store struct {
	pulumi.ResourceState

	// Store is what components write to and materialize from.
	Store *secrets.Store
	// Namespace is the store namespace, resolved once it exists.
	Namespace pulumi.StringOutput
}

func (a *StoreArgs) validate() error {
	if a.Operator == nil {
		return fmt.Errorf("k8sstore: Operator is required: the ClusterSecretStore needs ESO's CRDs")
	}
	if a.Provider == nil {
		return fmt.Errorf("k8sstore: Provider is required")
	}
	if len(a.Namespaces) == 0 {
		return fmt.Errorf("k8sstore: Namespaces is empty: name the namespaces whose ExternalSecrets may read the store")
	}
	for _, n := range a.Namespaces {
		if n == a.Namespace {
			return fmt.Errorf("k8sstore: Namespaces contains the store namespace %q: workloads must not run beside the credentials", n)
		}
	}
	return nil
}

// NewStore creates the store namespace, its reader identity and the ClusterSecretStore.
func NewStore(ctx *pulumi.Context, name string, args *StoreArgs, opts ...pulumi.ResourceOption) (*Store, error) {
	if args == nil {
		return nil, fmt.Errorf("k8sstore: args are required")
	}
	a := *args
	if a.Namespace == "" {
		a.Namespace = DefaultNamespace
	}
	if a.ClusterStore == "" {
		a.ClusterStore = DefaultClusterStore
	}
	if err := a.validate(); err != nil {
		return nil, err
	}
	comp := &Store{}
	if err := ctx.RegisterComponentResourceV2(StoreType, name, pulumi.Map{
		"namespace":    pulumi.String(a.Namespace),
		"clusterStore": pulumi.String(a.ClusterStore),
		"namespaces":   pulumi.ToStringArray(a.Namespaces),
	}, comp, opts...); err != nil {
		return nil, err
	}
	// The credentials' values live in Pulumi state (random.RandomPassword, protected by their
	// owners); these objects are re-created from it.
	child := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	labels := k8snet.PartOfLabels(a.Labels)
	// No pod runs here: the strictest profile.
	ns, err := k8snet.NewAddonNamespace(ctx, name+"-namespace", a.Namespace, "restricted", labels, pulumi.Parent(comp), pulumi.Protect(a.Protect))
	if err != nil {
		return nil, err
	}
	nsName := ns.Metadata.Name().Elem()
	meta := func(n string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(n), Namespace: nsName, Labels: labels}
	}
	// Nothing may run or be reached here.
	if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-default-deny", &networkingv1.NetworkPolicyArgs{
		Metadata: meta("default-deny"),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{},
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress", "Egress"}),
		},
	}, child); err != nil {
		return nil, err
	}
	sa, err := corev1.NewServiceAccount(ctx, name+"-reader", &corev1.ServiceAccountArgs{
		Metadata:                     meta(ReaderServiceAccount),
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, child)
	if err != nil {
		return nil, err
	}
	role, err := rbacv1.NewRole(ctx, name+"-reader-role", &rbacv1.RoleArgs{
		Metadata: meta(ReaderServiceAccount),
		Rules: rbacv1.PolicyRuleArray{rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray([]string{""}), Resources: pulumi.ToStringArray([]string{"secrets"}),
			Verbs: pulumi.ToStringArray([]string{"get"}),
		}},
	}, child)
	if err != nil {
		return nil, err
	}
	binding, err := rbacv1.NewRoleBinding(ctx, name+"-reader-binding", &rbacv1.RoleBindingArgs{
		Metadata: meta(ReaderServiceAccount),
		RoleRef:  rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("Role"), Name: role.Metadata.Name().Elem()},
		Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{Kind: pulumi.String("ServiceAccount"), Name: sa.Metadata.Name().Elem(), Namespace: nsName}},
	}, child)
	if err != nil {
		return nil, err
	}
	css, err := apiextensions.NewCustomResource(ctx, name+"-cluster-store", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(secrets.APIVersion),
		Kind:       pulumi.String(secrets.ClusterSecretStoreKind),
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(a.ClusterStore), Labels: labels,
			// Ready once ESO validated that the reader may get Secrets there
			// (providers/v1/kubernetes/validate.go Validate; SecretStoreReady = "Ready").
			Annotations: pulumi.StringMap{secrets.WaitForAnnotation: pulumi.String(secrets.WaitForReady)},
		},
		OtherFields: map[string]any{"spec": ClusterStoreSpec(nsName, a.Namespaces)},
	}, child, pulumi.DependsOn([]pulumi.Resource{args.Operator, binding}))
	if err != nil {
		return nil, err
	}
	comp.Namespace = nsName
	comp.Store = &secrets.Store{
		ClusterStore: a.ClusterStore,
		Writer:       &writer{ns: nsName, labels: storedLabels(labels), provider: a.Provider},
		Ready:        []pulumi.Resource{args.Operator, css},
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"namespace": nsName, "clusterStore": pulumi.String(a.ClusterStore)}); err != nil {
		return nil, err
	}
	return comp, nil
}

// ClusterStoreSpec is the ClusterSecretStore's spec, each field checked against external-secrets@v2.9.0
// apis/externalsecrets/v1/secretstore_kubernetes_types.go and secretstore_types.go:
//   - provider.kubernetes.remoteNamespace: the store namespace (default "default").
//   - server.url and server.caProvider {type ConfigMap, name, key, namespace}: a ClusterSecretStore's
//     caProvider must name its namespace (runtime/esutils/k8s_connection_validate.go:
//     "CAProvider.namespace must not be empty with ClusterSecretStore").
//   - auth.serviceAccount {name, namespace}: with a namespace the token is the reader's, not one
//     "referent" per ExternalSecret namespace (IsReferentKubernetesAuth).
//   - conditions[].namespaces: only these namespaces' ExternalSecrets may use the store.
func ClusterStoreSpec(ns pulumi.StringInput, namespaces []string) pulumi.Map {
	return pulumi.Map{
		"provider": pulumi.Map{"kubernetes": pulumi.Map{
			"remoteNamespace": ns,
			"server": pulumi.Map{
				"url": pulumi.String(APIServerURL),
				"caProvider": pulumi.Map{
					"type": pulumi.String("ConfigMap"), "name": pulumi.String(RootCAConfigMap),
					"key": pulumi.String(RootCAKey), "namespace": ns,
				},
			},
			"auth": pulumi.Map{"serviceAccount": pulumi.Map{"name": pulumi.String(ReaderServiceAccount), "namespace": ns}},
		}},
		"conditions": pulumi.Array{pulumi.Map{"namespaces": pulumi.ToStringArray(namespaces)}},
	}
}

// StoredLabel marks the credentials' Secrets in the store namespace.
const StoredLabel = "dataplatform.io/secret-store"

func storedLabels(l pulumi.StringMap) pulumi.StringMap {
	out := pulumi.StringMap{StoredLabel: pulumi.String("kubernetes")}
	for k, v := range l {
		out[k] = v
	}
	return out
}

// writer puts each credential as a Secret of the store namespace named by its key; the
// ExternalSecret's remoteRef is {key: that name, property: a data key}.
type writer struct {
	ns       pulumi.StringOutput
	labels   pulumi.StringMap
	provider *kubernetes.Provider
}

func (w *writer) Put(ctx *pulumi.Context, name, key string, data pulumi.StringMapInput, opts ...pulumi.ResourceOption) (secrets.RemoteRef, error) {
	sec, err := corev1.NewSecret(ctx, name, &corev1.SecretArgs{
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(key), Namespace: w.ns, Labels: w.labels},
		Type:       pulumi.String("Opaque"),
		StringData: data,
	}, append(append([]pulumi.ResourceOption{}, opts...), pulumi.Provider(w.provider))...)
	if err != nil {
		return secrets.RemoteRef{}, err
	}
	return secrets.RemoteRef{Key: sec.Metadata.Name().Elem(), Resource: sec}, nil
}
