package eksaddons

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/utilities"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
)

// LoadBalancerControllerType is the type token of the AWS Load Balancer Controller add-on.
const LoadBalancerControllerType = "dataplatform:aws:LoadBalancerController"

const (
	// LoadBalancerControllerRepo, LoadBalancerControllerChart and LoadBalancerControllerVersion pin
	// the controller's chart (kubernetes-sigs/aws-load-balancer-controller@v3.5.0
	// helm/aws-load-balancer-controller/Chart.yaml: version 3.5.0, appVersion v3.5.0, published in the
	// eks-charts repository). Gateway API is GA since v3.0.0.
	LoadBalancerControllerRepo    = "https://aws.github.io/eks-charts"
	LoadBalancerControllerChart   = "aws-load-balancer-controller"
	LoadBalancerControllerVersion = "3.5.0"
	// LoadBalancerControllerImage is the image the chart runs (values.yaml image.repository, tag =
	// appVersion), pinned here so a chart default never moves it.
	LoadBalancerControllerImage = "public.ecr.aws/eks/aws-load-balancer-controller:v3.5.0"
	// LoadBalancerControllerServiceAccount is the controller's ServiceAccount in Namespace, which its
	// Pod Identity association binds.
	LoadBalancerControllerServiceAccount = "aws-load-balancer-controller"
	lbcRelease                           = "aws-load-balancer-controller"
	// lbcWebhookService is the webhook's Service (templates/_helpers.tpl
	// aws-load-balancer-controller.webhookService: "<namePrefix>-webhook-service", namePrefix = the
	// chart name without "-controller").
	lbcWebhookService = "aws-load-balancer-webhook-service"
	lbcReplicas       = 2

	// GatewayAPIVersion is the Gateway API standard channel the cluster gets: the controller "is built
	// for Gateway API version v1.6.0" (docs/guide/gateway/gateway.md@v3.5.0) and needs the v1 TCPRoute
	// that 1.6 brings (l4gateway.md: without it "the controller disables the NLB gateway feature");
	// v1.6.1 is the bundle the kubernetes target installs with Envoy Gateway v1.9.0 and the one
	// internal/apicheck/crds.txt checks the platform's objects against.
	GatewayAPIVersion = "v1.6.1"
	// GatewayAPICRDs is the release asset gateway.md's prerequisites apply ("kubectl apply
	// --server-side=true -f …/standard-install.yaml"): the standard-channel CRDs and the
	// safe-upgrades ValidatingAdmissionPolicy (gateway-api@v1.6.1 hack/build-install-yaml.sh
	// concatenates config/crd/standard/gateway*.yaml). Fetched by the Kubernetes provider at `pulumi
	// up`, never at build or test time.
	GatewayAPICRDs = "https://github.com/kubernetes-sigs/gateway-api/releases/download/" + GatewayAPIVersion + "/standard-install.yaml"
	// DefaultSSLPolicy is the TLS policy of every HTTPS and TLS listener the controller creates
	// without its own (values.yaml defaultSSLPolicy → --default-ssl-policy; the controller's own
	// default is ELBSecurityPolicy-2016-08, which allows TLS 1.0): TLS 1.3 and 1.2 only.
	DefaultSSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
)

// LoadBalancerControllerArgs configures the controller.
type LoadBalancerControllerArgs struct {
	// ClusterName is the EKS cluster's name (values clusterName: the controller tags what it creates
	// with it, and its role may be used only by its ServiceAccount in this cluster).
	ClusterName string
	// Cluster is the cluster's name as an output of the cluster, so the association waits for it.
	Cluster pulumi.StringInput
	// Region and VpcID are given to the controller (values region, vpcId): pods cannot reach IMDS
	// (the node launch template allows one hop), where it would otherwise look them up.
	Region string
	VpcID  pulumi.StringInput
	// SystemNodeSelector places the controller on the system pool.
	SystemNodeSelector map[string]string
	// Provider reaches the cluster.
	Provider *kubernetes.Provider
	// Tags are added to the AWS resources.
	Tags map[string]string
}

// LoadBalancerController is the add-on: the Gateway API CRDs, the controller's identity and chart.
type LoadBalancerController struct {
	pulumi.ResourceState

	// GatewayAPI is the Gateway API CRDs; Chart is the controller (with its gateway.k8s.aws CRDs).
	GatewayAPI pulumi.Resource
	Chart      *helmv4.Chart
}

// Ready lists what a Gateway, a route or a gateway.k8s.aws object waits for.
func (c *LoadBalancerController) Ready() []pulumi.Resource {
	return []pulumi.Resource{c.GatewayAPI, c.Chart}
}

func (a *LoadBalancerControllerArgs) validate() error {
	switch {
	case a == nil:
		return fmt.Errorf("eksaddons: LoadBalancerControllerArgs is nil")
	case !clusterNameRE.MatchString(a.ClusterName):
		return fmt.Errorf("eksaddons: ClusterName = %q; must be an EKS cluster name", a.ClusterName)
	case a.Cluster == nil || a.VpcID == nil:
		return fmt.Errorf("eksaddons: Cluster and VpcID are required: the association needs the cluster, the controller its VPC")
	case a.Region == "":
		return fmt.Errorf("eksaddons: Region is empty; the controller cannot read it from IMDS")
	case a.Provider == nil:
		return fmt.Errorf("eksaddons: Provider is nil; pass the cluster's Kubernetes provider")
	}
	for k := range a.SystemNodeSelector {
		if !labelKeyRE.MatchString(k) {
			return fmt.Errorf("eksaddons: SystemNodeSelector key %q; must be a Kubernetes label key", k)
		}
	}
	return nil
}

// NewLoadBalancerController installs the Gateway API CRDs and the AWS Load Balancer Controller.
//
// Order on a first run: the role, its policy and the Pod Identity association, then the CRDs, then
// the chart. EKS Pod Identity injects credentials when a pod is admitted, so the association must
// exist before the controller's pods; and the controller enables its Gateway controllers only if
// the Gateway API CRDs exist when it starts (gateway.md "Configuration": "will attempt to detect
// Gateway CRDs. If they are present, the respective controller will be enabled").
//
// Who installs the CRDs: EKS installs no Gateway API CRDs, and the chart ships only its own
// (helm/aws-load-balancer-controller/crds: elbv2.k8s.aws, aga.k8s.aws and gateway-crds.yaml with
// gateway.k8s.aws LoadBalancerConfiguration, TargetGroupConfiguration, ListenerRuleConfiguration);
// helm/v4 Chart installs a chart's crds/ unless skipCrds is set, and, unlike the helm CLI, updates
// them with the chart. The Gateway API standard CRDs come from GatewayAPICRDs, owned here only.
func NewLoadBalancerController(ctx *pulumi.Context, name string, args *LoadBalancerControllerArgs, opts ...pulumi.ResourceOption) (*LoadBalancerController, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &LoadBalancerController{}
	if err := ctx.RegisterComponentResourceV2(LoadBalancerControllerType, name, pulumi.Map{
		"clusterName": pulumi.String(args.ClusterName), "chartVersion": pulumi.String(LoadBalancerControllerVersion),
		"image": pulumi.String(LoadBalancerControllerImage), "gatewayAPIVersion": pulumi.String(GatewayAPIVersion),
	}, comp, opts...); err != nil {
		return nil, err
	}
	// Nothing here holds state: a Protect on the component must not reach the children.
	child := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	identity, err := lbcRole(ctx, name, args, pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	k8s := pulumi.Provider(args.Provider)
	comp.GatewayAPI, err = newConfigFile(ctx, name+"-gateway-api-crds", GatewayAPICRDs, child, k8s)
	if err != nil {
		return nil, err
	}
	webhook, err := webhookTLS(ctx, name, child)
	if err != nil {
		return nil, err
	}
	comp.Chart, err = helmv4.NewChart(ctx, name+"-chart", &helmv4.ChartArgs{
		Chart:          pulumi.String(LoadBalancerControllerChart),
		Version:        pulumi.String(LoadBalancerControllerVersion),
		RepositoryOpts: &helmv4.RepositoryOptsArgs{Repo: pulumi.String(LoadBalancerControllerRepo)},
		Name:           pulumi.String(lbcRelease),
		Namespace:      pulumi.String(Namespace),
		Values:         lbcValues(args, webhook),
	}, child, k8s, pulumi.DependsOn(append(identity, comp.GatewayAPI)))
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"chartVersion": pulumi.String(LoadBalancerControllerVersion)}); err != nil {
		return nil, err
	}
	return comp, nil
}

// lbcValues are the chart's values (helm/aws-load-balancer-controller/values.yaml@v3.5.0).
func lbcValues(a *LoadBalancerControllerArgs, webhook pulumi.Map) pulumi.Map {
	res := func(cpu, mem string) pulumi.Map {
		return pulumi.Map{"cpu": pulumi.String(cpu), "memory": pulumi.String(mem)}
	}
	return pulumi.Map{
		"clusterName": pulumi.String(a.ClusterName),
		"region":      pulumi.String(a.Region),
		"vpcId":       a.VpcID,
		"image": pulumi.Map{
			"repository": pulumi.String("public.ecr.aws/eks/aws-load-balancer-controller"),
			"tag":        pulumi.String("v3.5.0"),
		},
		// Two replicas with leader election (the chart's default replicaCount 2); templates/pdb.yaml
		// renders the PodDisruptionBudget only when replicaCount > 1 and podDisruptionBudget is set.
		"replicaCount":        pulumi.Int(lbcReplicas),
		"podDisruptionBudget": pulumi.Map{"maxUnavailable": pulumi.Int(1)},
		// values.yaml leaves resources empty "as a conscious choice for the user".
		"resources":    pulumi.Map{"requests": res("100m", "256Mi"), "limits": res("1", "512Mi")},
		"nodeSelector": pulumi.ToStringMap(a.SystemNodeSelector),
		"serviceAccount": pulumi.Map{
			"create": pulumi.Bool(true), "name": pulumi.String(LoadBalancerControllerServiceAccount),
		},
		// The webhook's certificate: without webhookTLS (or cert-manager) the chart generates a new
		// CA with genCA on every render (templates/_helpers.tpl webhookCerts), which helm/v4 Chart
		// does on every `up`: a diff each time. Generated once here and kept in state instead.
		"webhookTLS": webhook,
		// The controller detects its Gateway API features once at startup and silently disables
		// ALBGatewayAPI and NLBGatewayAPI when a required CRD (its own gateway.k8s.aws kinds from the
		// chart's crds/, the Gateway API kinds) is not served yet; the detection only runs when at
		// least one of ALBGatewayAPI, NLBGatewayAPI, GatewayListenerSet is left at its default
		// (aws-load-balancer-controller@v3.5.0 pkg/gateway/crddetect/gateway_feature_flags.go
		// ApplyGatewayCRDDetection). All three are set, so a controller that starts before the
		// CRDs still reconciles the edge's Gateways. GatewayListenerSet is off: the edge uses no
		// ListenerSet, whose CRD the Gateway API standard channel does not install (main.go and
		// pkg/gateway/routeutils/loader.go read it only to watch and load ListenerSets).
		// values.yaml controllerConfig.featureGates → --feature-gates (templates/deployment.yaml).
		"controllerConfig": pulumi.Map{"featureGates": pulumi.Map{
			"ALBGatewayAPI": pulumi.Bool(true), "NLBGatewayAPI": pulumi.Bool(true), "GatewayListenerSet": pulumi.Bool(false),
		}},
		"defaultSSLPolicy": pulumi.String(DefaultSSLPolicy),
		// The service mutator makes the controller the default for every new Service of type
		// LoadBalancer, with failurePolicy Fail (values serviceMutatorWebhookConfig): the platform
		// uses it through Gateways only, so Services stay untouched and never wait for its webhook.
		"enableServiceMutatorWebhook": pulumi.Bool(false),
	}
}

// webhookTLS generates the webhook's CA and serving certificate (values webhookTLS.caCert, cert, key:
// PEM, base64-encoded by the template). Ten years, re-signed with the same keys by the `up` that
// runs in their last year.
func webhookTLS(ctx *pulumi.Context, name string, child pulumi.ResourceOption) (pulumi.Map, error) {
	caKey, err := tls.NewPrivateKey(ctx, name+"-webhook-ca-key", &tls.PrivateKeyArgs{Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256")}, child)
	if err != nil {
		return nil, err
	}
	const validity, early = 10 * 365 * 24, 365 * 24
	ca, err := tls.NewSelfSignedCert(ctx, name+"-webhook-ca", &tls.SelfSignedCertArgs{
		PrivateKeyPem: caKey.PrivateKeyPem, IsCaCertificate: pulumi.Bool(true),
		ValidityPeriodHours: pulumi.Int(validity), EarlyRenewalHours: pulumi.Int(early),
		AllowedUses: pulumi.ToStringArray([]string{"cert_signing", "crl_signing", "digital_signature"}),
		Subject:     &tls.SelfSignedCertSubjectArgs{CommonName: pulumi.String("aws-load-balancer-controller-ca")},
	}, child)
	if err != nil {
		return nil, err
	}
	key, err := tls.NewPrivateKey(ctx, name+"-webhook-key", &tls.PrivateKeyArgs{Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256")}, child)
	if err != nil {
		return nil, err
	}
	// The names the API server dials (templates/_helpers.tpl webhookCerts altNames).
	dns := []string{lbcWebhookService + "." + Namespace, lbcWebhookService + "." + Namespace + ".svc", lbcWebhookService + "." + Namespace + ".svc.cluster.local"}
	csr, err := tls.NewCertRequest(ctx, name+"-webhook-csr", &tls.CertRequestArgs{
		PrivateKeyPem: key.PrivateKeyPem, DnsNames: pulumi.ToStringArray(dns),
		Subject: &tls.CertRequestSubjectArgs{CommonName: pulumi.String(dns[1])},
	}, child)
	if err != nil {
		return nil, err
	}
	cert, err := tls.NewLocallySignedCert(ctx, name+"-webhook-cert", &tls.LocallySignedCertArgs{
		CertRequestPem: csr.CertRequestPem, CaPrivateKeyPem: caKey.PrivateKeyPem, CaCertPem: ca.CertPem,
		ValidityPeriodHours: pulumi.Int(validity), EarlyRenewalHours: pulumi.Int(early),
		AllowedUses: pulumi.ToStringArray([]string{"digital_signature", "key_encipherment", "server_auth"}),
	}, child)
	if err != nil {
		return nil, err
	}
	return pulumi.Map{"caCert": ca.CertPem, "cert": cert.CertPem, "key": pulumi.ToSecret(key.PrivateKeyPem)}, nil
}

// lbcRole creates the controller's Pod Identity role with the v3.5.0 policy and its association.
func lbcRole(ctx *pulumi.Context, name string, args *LoadBalancerControllerArgs, parent pulumi.ResourceOrInvokeOption) ([]pulumi.Resource, error) {
	account, err := aws.GetCallerIdentity(ctx, nil, parent)
	if err != nil {
		return nil, fmt.Errorf("eksaddons: reading the account: %w", err)
	}
	trust, err := json.Marshal(awsiam.PodIdentityTrust(account.AccountId, args.ClusterName, Namespace, LoadBalancerControllerServiceAccount))
	if err != nil {
		return nil, err
	}
	policy, err := json.Marshal(loadBalancerControllerPolicy())
	if err != nil {
		return nil, err
	}
	ropts := []pulumi.ResourceOption{parent, pulumi.Protect(false)}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:      pulumi.String("AWS Load Balancer Controller of EKS cluster " + args.ClusterName + " (Pod Identity)"),
		AssumeRolePolicy: pulumi.String(string(trust)),
		Tags:             tags(args.Tags, name+"-role"),
	}, ropts...)
	if err != nil {
		return nil, err
	}
	rp, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{Role: role.ID(), Policy: pulumi.String(string(policy))}, ropts...)
	if err != nil {
		return nil, err
	}
	assoc, err := eks.NewPodIdentityAssociation(ctx, name+"-pod-identity", &eks.PodIdentityAssociationArgs{
		ClusterName: args.Cluster, Namespace: pulumi.String(Namespace), ServiceAccount: pulumi.String(LoadBalancerControllerServiceAccount),
		RoleArn: role.Arn, Tags: tags(args.Tags, name+"-pod-identity"),
	}, ropts...)
	if err != nil {
		return nil, err
	}
	return []pulumi.Resource{rp, assoc}, nil
}

// configFile is a kubernetes:yaml/v2:ConfigFile, the remote component the Kubernetes provider expands
// into the objects of a manifest file or URL (server-side applied, CRDs first).
type configFile struct{ pulumi.ResourceState }

// newConfigFile registers a ConfigFile the way pulumi-kubernetes@v4.32.0
// sdk/go/kubernetes/yaml/v2/configFile.go NewConfigFile does (RegisterRemoteComponentResource with
// the package's default options), without importing that package: it links every typed Kubernetes
// API package of the SDK, which would multiply the build of every binary that imports this one.
func newConfigFile(ctx *pulumi.Context, name, file string, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	res := &configFile{}
	err := ctx.RegisterRemoteComponentResource("kubernetes:yaml/v2:ConfigFile", name, pulumi.Map{"file": pulumi.String(file)}, res,
		utilities.PkgResourceDefaultOpts(opts)...)
	return res, err
}
