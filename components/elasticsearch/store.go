package elasticsearch

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// ServiceAccountName is the ServiceAccount the Elasticsearch pods run as on a cloud store: the one
// the store's workload identity is bound to (objectstore.Access.ServiceAccount). On MinIO the pods
// keep the namespace's default ServiceAccount and authenticate with the scoped key pair instead.
const ServiceAccountName = "elasticsearch"

// Addresses the nodes reach for their cloud credentials.
const (
	// metadataCIDR is the instance metadata address. On GKE with Workload Identity the GKE metadata
	// server answers there for the pod's ServiceAccount (never the node's identity), and the GCS
	// client asks it for the project ID and the access token (elastic/elasticsearch
	// modules/repository-gcs GoogleCloudStorageService.createStorageOptions:
	// GoogleCredentials.getApplicationDefault and getDefaultProjectId on metadata.google.internal).
	metadataCIDR = "169.254.169.254/32"
	// gkeMetadataServerCIDR:988 is where the GKE metadata server is reached when network policy is
	// enforced (GKE "Workload Identity Federation for GKE", restrictions: allow egress to
	// 169.254.169.252/32 port 988; the same rule components/secrets/gcpsm and dremio write).
	gkeMetadataServerCIDR = "169.254.169.252/32"
)

// cloudStore reports whether the snapshots go to a cloud store reached with workload identity (not
// MinIO's key pair).
func (a *Args) cloudStore() bool { return a.Snapshots.Store.Kind != objectstore.MinIO }

// supportedStores are the stores whose repository type, client settings and identity are wired.
var supportedStores = map[objectstore.Kind]bool{objectstore.MinIO: true, objectstore.GCS: true}

// repositoryType is the Elasticsearch repository type of a store (the repository-s3 and
// repository-gcs modules bundled since 8.0: S3Repository.TYPE "s3", GoogleCloudStorageRepository.TYPE
// "gcs").
func repositoryType(k objectstore.Kind) string {
	if k == objectstore.GCS {
		return "gcs"
	}
	return "s3"
}

// identityServiceAccount creates the ServiceAccount the nodes run as on a cloud store, carrying the
// annotations that bind it to the store's identity for the workload (iam.gke.io/gcp-service-account
// on GKE). The pods need no API token of their own: the GKE metadata server identifies them by
// their ServiceAccount, so none is mounted.
func (b *builder) identityServiceAccount() (*corev1.ServiceAccount, error) {
	id := b.args.Snapshots.Store.Identities[b.args.Snapshots.Workload]
	return corev1.NewServiceAccount(b.ctx, b.name+"-serviceaccount", &corev1.ServiceAccountArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(ServiceAccountName), Namespace: b.args.Namespace,
			Labels: b.labels("elasticsearch"), Annotations: id.ServiceAccountAnnotations,
		},
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, b.child)
}

// storeEgress lets the Elasticsearch pods reach a cloud store: HTTPS anywhere but the metadata
// address (storage.googleapis.com and oauth2.googleapis.com have no fixed addresses), and on GCS
// the GKE metadata server for the Workload Identity token, on 80 at the metadata address and on 988
// at 169.254.169.252. MinIO runs in the namespace itself, which the baseline already admits.
func (b *builder) storeEgress(esPods *metav1.LabelSelectorArgs) (pulumi.Resource, error) {
	a := b.args
	if !a.cloudStore() {
		return nil, nil
	}
	rules := networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
		To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{
			Cidr: pulumi.String("0.0.0.0/0"), Except: pulumi.StringArray{pulumi.String(metadataCIDR)},
		}}},
		Ports: k8snet.TCPPorts(443),
	}}
	switch a.Snapshots.Store.Kind {
	case objectstore.GCS:
		rules = append(rules,
			&networkingv1.NetworkPolicyEgressRuleArgs{
				To:    networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(metadataCIDR)}}},
				Ports: k8snet.TCPPorts(80),
			},
			&networkingv1.NetworkPolicyEgressRuleArgs{
				To:    networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(gkeMetadataServerCIDR)}}},
				Ports: k8snet.TCPPorts(988),
			})
	default:
		return nil, fmt.Errorf("elasticsearch: no egress rules for a %q store", a.Snapshots.Store.Kind)
	}
	return networkingv1.NewNetworkPolicy(b.ctx, b.name+"-elasticsearch-objectstore-egress", &networkingv1.NetworkPolicyArgs{
		Metadata: b.meta("elasticsearch-objectstore-egress", "network"),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: esPods, PolicyTypes: pulumi.ToStringArray([]string{"Egress"}), Egress: rules,
		},
	}, b.child)
}
