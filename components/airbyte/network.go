package airbyte

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// The EKS Pod Identity agent's addresses.
const (
	PodIdentityAgentV4 = "169.254.170.23/32"
	PodIdentityAgentV6 = "fd00:ec2::23/128"
)

// newNetworkPolicies opens, in the default-deny apps and jobs namespaces, exactly the flows Airbyte
// needs. Traffic between Airbyte's own pods stays inside the apps namespace, which the platform
// network already allows.
func newNetworkPolicies(ctx *pulumi.Context, name string, parent pulumi.Resource, a AirbyteStackArgs, jobsNS pulumi.StringInput,
	meta func(string, pulumi.StringInput) *metav1.ObjectMetaArgs) ([]pulumi.Resource, error) {
	airbytePods := &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/instance": pulumi.String(ReleaseName)}}
	allPods := &metav1.LabelSelectorArgs{}
	// Anywhere but the cloud metadata endpoint, which would hand the node's credentials to any pod.
	anywhere := networkingv1.NetworkPolicyPeerArray{
		&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("0.0.0.0/0"), Except: pulumi.StringArray{pulumi.String(MetadataEndpoint)}}},
		&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("::/0"), Except: pulumi.StringArray{pulumi.String("fd00:ec2::254/128")}}},
	}
	egress := func(selector *metav1.LabelSelectorArgs, rule *networkingv1.NetworkPolicyEgressRuleArgs) *networkingv1.NetworkPolicySpecArgs {
		return &networkingv1.NetworkPolicySpecArgs{
			PodSelector: selector, PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress: networkingv1.NetworkPolicyEgressRuleArray{rule},
		}
	}
	ingress := func(selector *metav1.LabelSelectorArgs, from networkingv1.NetworkPolicyPeerArray, ports networkingv1.NetworkPolicyPortArray) *networkingv1.NetworkPolicySpecArgs {
		return &networkingv1.NetworkPolicySpecArgs{
			PodSelector: selector, PolicyTypes: pulumi.StringArray{pulumi.String("Ingress")},
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{From: from, Ports: ports}},
		}
	}

	type policy struct {
		logical, objName string
		ns               pulumi.StringInput
		spec             *networkingv1.NetworkPolicySpecArgs
	}
	var policies []policy

	// Airbyte → metadata database: the data namespace in-cluster, the database's ranges on the clouds.
	dbPeers := networkingv1.NetworkPolicyPeerArray{}
	if a.DatabaseNamespace != "" {
		dbPeers = append(dbPeers, &networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: k8snet.NamespaceSelector(a.DatabaseNamespace)})
	}
	for _, c := range a.AllowedDatabaseCIDRs {
		dbPeers = append(dbPeers, &networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(c)}})
	}
	policies = append(policies, policy{"egress-database", "airbyte-egress-database", a.Namespace,
		egress(airbytePods, &networkingv1.NetworkPolicyEgressRuleArgs{To: dbPeers, Ports: k8snet.TCPPorts(a.Database.Port)})})

	// Airbyte → object store: MinIO in its namespace, the cloud stores over HTTPS.
	if a.ObjectStore.Kind == objectstore.MinIO {
		store := &networkingv1.NetworkPolicyEgressRuleArgs{
			To:    networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: k8snet.NamespaceSelector(a.ObjectStoreNamespace)}},
			Ports: k8snet.TCPPorts(MinIOPort),
		}
		policies = append(policies,
			policy{"egress-object-store", "airbyte-egress-object-store", a.Namespace, egress(airbytePods, store)},
			policy{"jobs-egress-object-store", "airbyte-jobs-egress-object-store", jobsNS, egress(allPods, store)})
	} else {
		policies = append(policies, policy{"egress-object-store", "airbyte-egress-object-store", a.Namespace,
			egress(airbytePods, &networkingv1.NetworkPolicyEgressRuleArgs{To: anywhere, Ports: k8snet.TCPPorts(443)})})
	}

	// Airbyte → Kubernetes API (the launcher creates job pods, cron sweeps them) and the connector
	// registry over HTTPS. The API server's address differs per cluster and is not known here.
	policies = append(policies, policy{"egress-apis", "airbyte-egress-apis", a.Namespace,
		egress(airbytePods, &networkingv1.NetworkPolicyEgressRuleArgs{To: anywhere, Ports: k8snet.TCPPorts(443, 6443)})})

	// Airbyte → the EKS Pod Identity agent: on S3 the AWS SDK's default chain gets the pods'
	// credentials from the container credentials endpoint the agent serves on every node, on the
	// link-local addresses 169.254.170.23 and fd00:ec2::23, port 80 (EKS User Guide, "EKS Pod
	// Identity": AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials, injected by
	// the Pod Identity webhook). Job pods reach it through their all-ports egress.
	if a.ObjectStore.Kind == objectstore.S3 {
		policies = append(policies, policy{"egress-pod-identity", "airbyte-egress-pod-identity", a.Namespace,
			egress(airbytePods, &networkingv1.NetworkPolicyEgressRuleArgs{
				To: networkingv1.NetworkPolicyPeerArray{
					&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(PodIdentityAgentV4)}},
					&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(PodIdentityAgentV6)}},
				},
				Ports: k8snet.TCPPorts(80),
			})})
	}

	// Airbyte ↔ job pods.
	jobsPeer := networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: k8snet.NamespaceSelector(a.JobsNamespace), PodSelector: allPods}}
	appsPeer := networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: k8snet.NamespaceSelector(a.NamespaceName), PodSelector: airbytePods}}
	apiPods := &metav1.LabelSelectorArgs{
		MatchLabels: pulumi.StringMap{"app.kubernetes.io/instance": pulumi.String(ReleaseName)},
		MatchExpressions: metav1.LabelSelectorRequirementArray{&metav1.LabelSelectorRequirementArgs{
			Key: pulumi.String("app.kubernetes.io/name"), Operator: pulumi.String("In"),
			Values: pulumi.ToStringArray([]string{"server", "workload-api-server"}),
		}},
	}
	policies = append(policies,
		policy{"egress-jobs", "airbyte-egress-jobs", a.Namespace, egress(airbytePods, &networkingv1.NetworkPolicyEgressRuleArgs{To: jobsPeer})},
		policy{"ingress-from-jobs", "airbyte-ingress-from-jobs", a.Namespace, ingress(apiPods, jobsPeer, k8snet.TCPPorts(ServerPort, WorkloadAPIPort))},
		policy{"jobs-egress-platform", "airbyte-jobs-egress-platform", jobsNS,
			egress(allPods, &networkingv1.NetworkPolicyEgressRuleArgs{To: appsPeer, Ports: k8snet.TCPPorts(ServerPort, WorkloadAPIPort)})},
		policy{"jobs-ingress-from-platform", "airbyte-jobs-ingress-from-platform", jobsNS, ingress(allPods, appsPeer, nil)},
		// Connectors reach sources and destinations anywhere, on ports only the connector knows
		// (databases, HTTPS APIs, SFTP, …). Only the metadata endpoint is closed: connector code is
		// third-party and must not obtain the node's cloud credentials.
		policy{"jobs-egress-internet", "airbyte-jobs-egress-internet", jobsNS,
			egress(allPods, &networkingv1.NetworkPolicyEgressRuleArgs{To: anywhere})},
	)

	// Clients (the Gateway, API callers) → the server, which serves both UI and API in chart V2.
	if from := k8snet.Peers(a.ClientNamespaces, a.ClientCIDRs); len(from) > 0 {
		policies = append(policies, policy{"ingress-from-clients", "airbyte-ingress-from-clients", a.Namespace,
			ingress(&metav1.LabelSelectorArgs{MatchLabels: podSelector("server")}, from, k8snet.TCPPorts(ServerPort))})
	}

	var out []pulumi.Resource
	for _, p := range policies {
		np, err := networkingv1.NewNetworkPolicy(ctx, name+"-"+p.logical, &networkingv1.NetworkPolicyArgs{
			Metadata: meta(p.objName, p.ns),
			Spec:     p.spec,
		}, pulumi.Parent(parent))
		if err != nil {
			return nil, err
		}
		out = append(out, np)
	}
	return out, nil
}
