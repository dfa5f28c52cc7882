package elasticsearch

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

type builder struct {
	ctx        *pulumi.Context
	name       string
	args       *Args
	child      pulumi.ResourceOption
	userSecret pulumi.StringOutput
}

func (b *builder) labels(component string) pulumi.StringMap {
	out := pulumi.StringMap{
		"app.kubernetes.io/part-of":    pulumi.String("dataplatform"),
		"app.kubernetes.io/managed-by": pulumi.String("pulumi"),
		"app.kubernetes.io/component":  pulumi.String(component),
	}
	for k, v := range b.args.Labels {
		out[k] = pulumi.String(v)
	}
	return out
}

func (b *builder) meta(name, component string) *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{Name: pulumi.String(name), Namespace: b.args.Namespace, Labels: b.labels(component)}
}

func plain(m pulumi.StringMap) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(pulumi.String); ok {
			out[k] = string(s)
		}
	}
	return out
}

// New creates the snapshot user, the Elasticsearch cluster, Kibana, their NetworkPolicies and the
// Job that registers the snapshot repository and policy.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Search, error) {
	if args == nil {
		return nil, fmt.Errorf("elasticsearch: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &Search{}
	nodes := 0
	for _, n := range args.NodeSets {
		nodes += n.Count
	}
	if err := ctx.RegisterComponentResourceV2(Type, name, pulumi.Map{
		"version": pulumi.String(args.Version), "nodes": pulumi.Int(nodes), "protect": pulumi.Bool(args.Protect),
	}, comp, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, args: args, child: pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))}
	s := args.Snapshots
	identity := s.Store.Identities[s.Workload]

	// The snapshot Job's user, from the secret store.
	password, err := random.NewRandomPassword(ctx, name+"-snapshot-password", &random.RandomPasswordArgs{
		Length: pulumi.Int(32), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4),
	}, pulumi.Parent(comp), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	cred, err := args.Secrets.Put(ctx, name+"-snapshot-user", "elasticsearch-snapshot-user", map[string]pulumi.StringInput{
		"username": pulumi.String(SnapshotUser), "password": password.Result, "roles": pulumi.String(SnapshotRole),
	}, b.child)
	if err != nil {
		return nil, err
	}
	// A kubernetes.io/basic-auth Secret with username, password and roles is one file-realm user
	// (pkg/controller/elasticsearch/user/user_provided.go realmFromBasicAuthSecret).
	user, err := args.Secrets.Materialize(ctx, name+"-snapshot-user", secrets.Secret{
		Name: "elasticsearch-snapshot-user", Namespace: args.Namespace, Type: "kubernetes.io/basic-auth",
		Labels: plain(b.labels("snapshots")),
		Data: map[string]secrets.Ref{
			"username": cred.Ref("username"), "password": cred.Ref("password"), "roles": cred.Ref("roles"),
		},
	}, b.child)
	if err != nil {
		return nil, err
	}
	b.userSecret = user.Name
	admin, err := b.adminUser(comp)
	if err != nil {
		return nil, err
	}
	comp.AdminSecret = admin.Name
	roles, err := corev1.NewSecret(ctx, name+"-roles", &corev1.SecretArgs{
		Metadata:   b.meta("elasticsearch-roles", "elasticsearch"),
		StringData: pulumi.StringMap{"roles.yml": pulumi.String(rolesFile())},
	}, b.child)
	if err != nil {
		return nil, err
	}
	policies, err := b.networkPolicies()
	if err != nil {
		return nil, err
	}

	deps := append([]pulumi.Resource{args.Operator, user.Resource, admin.Resource, roles}, policies...)
	keystore := identity.CredentialsSecret
	if s.Store.Kind == objectstore.ADLS {
		client, err := b.azureClient()
		if err != nil {
			return nil, err
		}
		keystore, deps = client.Metadata.Name().Elem(), append(deps, client)
	}
	if args.cloudStore() {
		sa, err := b.identityServiceAccount()
		if err != nil {
			return nil, err
		}
		// The nodes verify the repository with the store's identity when the Job registers it: the
		// grants and the workload identity binding exist first (objectstore.Identity.Ready).
		deps = append(append(deps, sa), identity.Ready...)
	}
	deps = append(deps, args.clientRealmResources()...)
	es, err := apiextensions.NewCustomResource(ctx, name+"-cluster", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("elasticsearch.k8s.elastic.co/v1"),
		Kind:       pulumi.String("Elasticsearch"),
		Metadata:   b.meta(ClusterName, "elasticsearch"),
		OtherFields: map[string]any{"spec": elasticsearchSpec(args, keystore, []pulumi.StringOutput{admin.Name, user.Name},
			roles.Metadata.Name().Elem(), s.Store.Endpoint)},
	}, pulumi.Parent(comp), pulumi.Protect(args.Protect), pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	kb, err := apiextensions.NewCustomResource(ctx, name+"-kibana", &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String("kibana.k8s.elastic.co/v1"),
		Kind:        pulumi.String("Kibana"),
		Metadata:    b.meta(KibanaName, "kibana"),
		OtherFields: map[string]any{"spec": kibanaSpec(args)},
	}, b.child, pulumi.DependsOn([]pulumi.Resource{args.Operator, es}))
	if err != nil {
		return nil, err
	}
	if err := b.kibanaBudget(kb); err != nil {
		return nil, err
	}
	host := fmt.Sprintf("%s.%s.svc", HTTPService, args.NamespaceName)
	if _, err := b.snapshotJob(host, s.Store.BucketNames[s.Bucket], password.Result, es.Metadata.Uid().Elem(), []pulumi.Resource{es, user.Resource}); err != nil {
		return nil, err
	}

	comp.URL = pulumi.Sprintf("https://%s:%d", es.Metadata.Name().Elem().ApplyT(func(string) string { return host }), HTTPPort)
	comp.KibanaURL = kb.Metadata.Name().Elem().ApplyT(func(string) string {
		return fmt.Sprintf("https://%s:%d", KibanaHost(args.NamespaceName), KibanaPort)
	}).(pulumi.StringOutput)
	comp.Routes = Routes(args.NamespaceName)
	comp.ClusterUID = es.Metadata.Uid().Elem()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"url": comp.URL, "kibanaUrl": comp.KibanaURL}); err != nil {
		return nil, err
	}
	return comp, nil
}

// networkPolicies add to the namespace's baseline (default deny; the namespace's own pods — Kibana,
// the snapshot Job, the nodes among themselves, MinIO on the kubernetes target — already admitted):
// the ECK operator reaches the Elasticsearch API, the edge reaches Kibana, and on a cloud store the
// nodes reach the store and their token endpoint (storeEgress), nothing else.
func (b *builder) networkPolicies() ([]pulumi.Resource, error) {
	a := b.args
	ingress := pulumi.ToStringArray([]string{"Ingress"})
	esPods := &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{
		"common.k8s.elastic.co/type": pulumi.String("elasticsearch"), "elasticsearch.k8s.elastic.co/cluster-name": pulumi.String(ClusterName),
	}}
	kbPods := &metav1.LabelSelectorArgs{MatchLabels: kibanaPodLabels()}
	specs := []struct {
		suffix string
		spec   *networkingv1.NetworkPolicySpecArgs
	}{
		{"elasticsearch-allow-operator", &networkingv1.NetworkPolicySpecArgs{PodSelector: esPods, PolicyTypes: ingress,
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From:  networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: k8snet.NamespaceSelector(a.OperatorNamespace)}},
				Ports: k8snet.TCPPorts(HTTPPort),
			}}}},
	}
	if len(a.ClientNamespaces)+len(a.ClientCIDRs) > 0 {
		specs = append(specs, struct {
			suffix string
			spec   *networkingv1.NetworkPolicySpecArgs
		}{"kibana-allow-edge", &networkingv1.NetworkPolicySpecArgs{PodSelector: kbPods, PolicyTypes: ingress,
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From: k8snet.Peers(a.ClientNamespaces, a.ClientCIDRs), Ports: k8snet.TCPPorts(KibanaPort),
			}}}})
	}
	var out []pulumi.Resource
	if p, err := b.storeEgress(esPods); err != nil {
		return nil, err
	} else if p != nil {
		out = append(out, p)
	}
	for _, s := range specs {
		p, err := networkingv1.NewNetworkPolicy(b.ctx, b.name+"-"+s.suffix, &networkingv1.NetworkPolicyArgs{
			Metadata: b.meta(s.suffix, "network"), Spec: s.spec,
		}, b.child)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// kibanaPodLabels select Kibana's pods: ECK labels them with the Kibana's name and type
// (cloud-on-k8s@v3.5.0 pkg/controller/kibana/label/labels.go NewLabels: kibana.k8s.elastic.co/name,
// common.k8s.elastic.co/type "kibana").
func kibanaPodLabels() pulumi.StringMap {
	return pulumi.StringMap{"common.k8s.elastic.co/type": pulumi.String("kibana"), "kibana.k8s.elastic.co/name": pulumi.String(KibanaName)}
}

// kibanaBudget keeps all but one Kibana pod up through voluntary disruptions (node drains, cluster
// upgrades) when there is more than one. ECK creates a PodDisruptionBudget for Elasticsearch only
// (cloud-on-k8s@v3.5.0: no PodDisruptionBudget under pkg/controller/kibana, no podDisruptionBudget
// in the Kibana CRD), so the component writes Kibana's.
func (b *builder) kibanaBudget(kb pulumi.Resource) error {
	if b.args.KibanaReplicas < 2 {
		return nil
	}
	_, err := policyv1.NewPodDisruptionBudget(b.ctx, b.name+"-kibana-pdb", &policyv1.PodDisruptionBudgetArgs{
		Metadata: b.meta("kibana", "kibana"),
		Spec: &policyv1.PodDisruptionBudgetSpecArgs{
			MaxUnavailable: pulumi.Int(1),
			Selector:       &metav1.LabelSelectorArgs{MatchLabels: kibanaPodLabels()},
		},
	}, b.child, pulumi.DependsOn([]pulumi.Resource{kb}))
	return err
}

// adminUser is the `elastic` superuser: its password generated here (kept across updates, protected
// in prod like the cluster), written to the secret store and materialized as a file-realm
// basic-auth Secret with the built-in superuser role (pkg/controller/elasticsearch/user/
// user_provided.go realmFromBasicAuthSecret reads username, password and the comma-separated roles).
func (b *builder) adminUser(comp *Search) (*secrets.Materialized, error) {
	password, err := random.NewRandomPassword(b.ctx, b.name+"-admin-password", &random.RandomPasswordArgs{
		Length: pulumi.Int(32), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4),
	}, pulumi.Parent(comp), pulumi.Protect(b.args.Protect))
	if err != nil {
		return nil, err
	}
	cred, err := b.args.Secrets.Put(b.ctx, b.name+"-admin-user", AdminSecret, map[string]pulumi.StringInput{
		"username": pulumi.String(AdminUser), "password": password.Result, "roles": pulumi.String("superuser"),
	}, b.child)
	if err != nil {
		return nil, err
	}
	return b.args.Secrets.Materialize(b.ctx, b.name+"-admin-user", secrets.Secret{
		Name: AdminSecret, Namespace: b.args.Namespace, Type: "kubernetes.io/basic-auth",
		Labels: plain(b.labels("elasticsearch")),
		Data: map[string]secrets.Ref{
			"username": cred.Ref("username"), "password": cred.Ref("password"), "roles": cred.Ref("roles"),
		},
	}, b.child)
}
