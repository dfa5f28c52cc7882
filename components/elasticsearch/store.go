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
var supportedStores = map[objectstore.Kind]bool{objectstore.MinIO: true, objectstore.GCS: true, objectstore.S3: true, objectstore.ADLS: true}

// The S3 repository's web identity (IRSA): Elasticsearch reads the token only at this path under
// its config directory — the entitlements confine the module to it — and uses web identity when
// AWS_WEB_IDENTITY_TOKEN_FILE is set and the file there exists and is readable, assuming
// AWS_ROLE_ARN (elastic/elasticsearch modules/repository-s3 S3Service
// CustomWebIdentityTokenCredentialsProvider: WEB_IDENTITY_TOKEN_FILE_LOCATION
// "repository-s3/aws-web-identity-token-file"; docs/reference snapshot-restore s3-repository
// "symlink … ${ES_PATH_CONF}/repository-s3/aws-web-identity-token-file"). EKS Pod Identity is only
// read from 9.6 (elastic/elasticsearch#151614), so the platform projects the token itself: a
// projected ServiceAccount token with the audience STS expects (sts.amazonaws.com, the audience the
// store's web-identity trust statement requires), mounted as that file.
const (
	webIdentityDir   = configDir + "/repository-s3"
	webIdentityFile  = "aws-web-identity-token-file"
	webIdentityAud   = "sts.amazonaws.com"
	webIdentityTTL   = 86400
	webIdentityMount = "aws-web-identity-token"
)

// repositoryType is the Elasticsearch repository type of a store (the repository-s3, repository-gcs
// and repository-azure modules bundled since 8.0: S3Repository.TYPE "s3",
// GoogleCloudStorageRepository.TYPE "gcs", AzureRepository.TYPE "azure").
func repositoryType(k objectstore.Kind) string {
	switch k {
	case objectstore.GCS:
		return "gcs"
	case objectstore.ADLS:
		return "azure"
	}
	return "s3"
}

// cloudNode adds a cloud store's client to a node set: the ServiceAccount the store's identity is
// bound to, and on S3 the client's region (repository-s3 S3ClientSettings "s3.client.default.region";
// the buckets' region) and the web identity token.
//
// AWS_REGION is the STS client's region: S3Service's CustomWebIdentityTokenCredentialsProvider
// builds its StsClient with no region, and the SDK v2 builder then resolves it from
// DefaultAwsRegionProviderChain (AWS_REGION, the aws.region property, ~/.aws/config, IMDS) or
// throws "Unable to load region from any of the providers in the chain" while the node is
// constructed (Elastic's own web-identity ITs set AWS_REGION). IMDS is out of reach (hop limit 1,
// and storeEgress excepts its address). AWS_STS_REGIONAL_ENDPOINTS=regional keeps the SDK on the
// region's STS endpoint. The store also creates an EKS Pod Identity association for the
// ServiceAccount, whose webhook may inject AWS_REGION and AWS_CONTAINER_CREDENTIALS_*; the region is
// set here so the nodes do not depend on it, and the container credentials are unused by
// Elasticsearch before 9.6 (elastic/elasticsearch#151614) and unreachable (169.254.170.23:80 is
// not in storeEgress).
func cloudNode(a *Args, config, container, spec pulumi.Map) {
	spec["serviceAccountName"] = pulumi.String(ServiceAccountName)
	if a.Snapshots.Store.Kind == objectstore.ADLS {
		azureNode(container, spec)
		return
	}
	if a.Snapshots.Store.Kind != objectstore.S3 {
		return
	}
	id := a.Snapshots.Store.Identities[a.Snapshots.Workload]
	config["s3.client.default.region"] = pulumi.String(a.Snapshots.Store.Region)
	container["env"] = pulumi.Array{
		pulumi.Map{"name": pulumi.String("AWS_ROLE_ARN"), "value": id.Principal},
		pulumi.Map{"name": pulumi.String("AWS_WEB_IDENTITY_TOKEN_FILE"), "value": pulumi.String(webIdentityDir + "/" + webIdentityFile)},
		pulumi.Map{"name": pulumi.String("AWS_REGION"), "value": pulumi.String(a.Snapshots.Store.Region)},
		pulumi.Map{"name": pulumi.String("AWS_STS_REGIONAL_ENDPOINTS"), "value": pulumi.String("regional")},
	}
	container["volumeMounts"] = pulumi.Array{
		pulumi.Map{"name": pulumi.String(webIdentityMount), "mountPath": pulumi.String(webIdentityDir), "readOnly": pulumi.Bool(true)},
	}
	spec["volumes"] = pulumi.Array{pulumi.Map{"name": pulumi.String(webIdentityMount), "projected": pulumi.Map{
		"sources": pulumi.Array{pulumi.Map{"serviceAccountToken": pulumi.Map{
			"audience": pulumi.String(webIdentityAud), "expirationSeconds": pulumi.Int(webIdentityTTL), "path": pulumi.String(webIdentityFile),
		}}},
	}}}
}

// identityServiceAccount creates the ServiceAccount the nodes run as on a cloud store, carrying the
// annotations that bind it to the store's identity for the workload (iam.gke.io/gcp-service-account
// on GKE; none on EKS, where the store's role trusts the ServiceAccount by name). The pods need no
// Kubernetes API token: the GKE metadata server identifies them by their ServiceAccount, and on EKS
// the only token is the projected one for STS (cloudNode), so the default token is not mounted.
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
// address (storage.googleapis.com, oauth2.googleapis.com, S3 and STS have no fixed addresses), and on GCS
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
	case objectstore.S3:
		// S3 and STS (regional and global endpoints): HTTPS, no fixed addresses; the web identity
		// token is a file, so no link-local agent is reached.
	case objectstore.ADLS:
		// The account's blob private endpoint (an address of the endpoints subnet) and Microsoft
		// Entra ID (login.microsoftonline.com, public addresses), both HTTPS; the federated token is
		// a file, so no link-local agent is reached — the metadata address, where the managed
		// identity credential of DefaultAzureCredential would ask for the node's identity, stays
		// closed. The same rule as Dremio's on ADLS (components/dremio access.go).
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
