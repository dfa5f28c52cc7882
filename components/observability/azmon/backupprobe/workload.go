package backupprobe

import (
	"fmt"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

// Image is the official python image, pinned to an exact tag (docker-library/official-images@37079fb
// library/python "Tags: 3.14.7-slim-trixie", the tag components/observability/probe pins). probe.py
// uses only the standard library and is tested on Python 3.11 (script_test.go), so it keeps to what
// both have; it parses ARM's seven-digit fractions itself rather than relying on a version's
// datetime.fromisoformat.
const Image = "python:3.14.7-slim-trixie"

// UID is the user the probe runs as: nobody (65534) of Debian's base-passwd in the slim image; the
// script writes nothing.
const UID = 65534

// ScriptDir is where the ConfigMap is mounted.
const ScriptDir = "/opt/probe"

// SingletonAnnotation and SingletonReason exempt the probe from the prod policy's two-replica rule
// (policy/policies/stack.go stateless-replicas).
const (
	SingletonAnnotation = "dataplatform.io/singleton"
	SingletonReason     = "stateless gauges read from Azure Resource Manager at most every five minutes; a second replica doubles the reads against the subscription's quota and serves the same values, and the backup alert tolerates a restart (its for is 15 minutes, the probe-down alert's 30)"
)

// IdentityAnnotation carries the identity's client ID on the pod template, so that a replaced
// identity rolls the pods.
const IdentityAnnotation = "dataplatform.io/identity-client-id"

// MetadataEndpoint is the node's instance metadata service: on AKS it hands any pod that reaches it
// tokens of the kubelet's identity, so the probe's egress excludes it (as components/airbyte's).
const MetadataEndpoint = "169.254.169.254/32"

// CacheSeconds is how long a good answer is served before ARM is asked again: one list and one
// server read every five minutes, far below ARM's read limits (azure-resource-manager/management/
// request-limits-and-throttling.md).
const CacheSeconds = 300

// egress admits DNS and HTTPS anywhere but the metadata endpoint. The probe calls Entra ID's
// authority (login.microsoftonline.com) and ARM (management.azure.com): public endpoints on
// addresses Microsoft publishes only as the AzureActiveDirectory and AzureResourceManager service
// tags, which a Kubernetes NetworkPolicy (ipBlock CIDRs only) cannot name, and which change weekly;
// AKS has no FQDN policy without Advanced Container Networking Services. So 0.0.0.0/0 on 443, the
// same as the Key Vault store's operator (components/secrets/azurekv Egress).
func egress() networkingv1.NetworkPolicyEgressRuleArray {
	return networkingv1.NetworkPolicyEgressRuleArray{
		k8snet.DNSEgress(),
		&networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{
				Cidr: pulumi.String("0.0.0.0/0"), Except: pulumi.StringArray{pulumi.String(MetadataEndpoint)},
			}}},
			Ports: k8snet.TCPPorts(443),
		},
	}
}

// workload creates the probe's Kubernetes objects; the Deployment waits for after (the federation
// and the grant). It returns the Deployment's name.
func workload(ctx *pulumi.Context, name string, a *Args, clientID pulumi.StringOutput, after []pulumi.Resource, child pulumi.ResourceOption) (pulumi.StringOutput, error) {
	labels := func(extra map[string]string) pulumi.StringMap {
		l := pulumi.StringMap{
			"app.kubernetes.io/part-of": pulumi.String("dataplatform"), "app.kubernetes.io/managed-by": pulumi.String("pulumi"),
			"app.kubernetes.io/component": pulumi.String("exporter"), "app.kubernetes.io/name": pulumi.String(Name),
		}
		for _, m := range []map[string]string{a.Labels, extra} {
			for k, v := range m {
				l[k] = pulumi.String(v)
			}
		}
		return l
	}
	meta := func() *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(Name), Namespace: a.Namespace, Labels: labels(nil)}
	}
	none := pulumi.StringOutput{}

	// Egress only; no ingress of its own: kube-prometheus-stack's renderer admits Prometheus on Port
	// (components/clusteraddons/kubeprometheus objects.go, per ScrapeTarget).
	np, err := networkingv1.NewNetworkPolicy(ctx, name+"-egress", &networkingv1.NetworkPolicyArgs{
		Metadata: meta(),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(Selector())},
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
			Egress:      egress(),
		},
	}, child)
	if err != nil {
		return none, err
	}
	saMeta := meta()
	saMeta.Annotations = pulumi.StringMap{ClientIDAnnotation: clientID}
	sa, err := corev1.NewServiceAccount(ctx, name+"-sa", &corev1.ServiceAccountArgs{
		Metadata: saMeta,
		// The webhook projects its own token volume (audience TokenAudience); the API token is
		// not needed.
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, child)
	if err != nil {
		return none, err
	}
	cm, err := corev1.NewConfigMap(ctx, name+"-script", &corev1.ConfigMapArgs{
		Metadata: meta(),
		Data:     pulumi.StringMap{ScriptFile: pulumi.String(Script)},
	}, child)
	if err != nil {
		return none, err
	}

	env := corev1.EnvVarArray{
		&corev1.EnvVarArgs{Name: pulumi.String("PROBE_PORT"), Value: pulumi.String(fmt.Sprint(Port))},
		&corev1.EnvVarArgs{Name: pulumi.String("PROBE_SERVER_ID"), Value: a.ServerID},
		&corev1.EnvVarArgs{Name: pulumi.String("PROBE_API_VERSION"), Value: pulumi.String(APIVersion)},
		&corev1.EnvVarArgs{Name: pulumi.String("PROBE_CACHE_SECONDS"), Value: pulumi.String(fmt.Sprint(CacheSeconds))},
		&corev1.EnvVarArgs{Name: pulumi.String("PYTHONDONTWRITEBYTECODE"), Value: pulumi.String("1")},
	}
	if a.ARMEndpoint != "" {
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String("ARM_ENDPOINT"), Value: pulumi.String(a.ARMEndpoint)})
	}
	image := a.Image
	if image == "" {
		image = Image
	}
	probe := func(initial, period int) *corev1.ProbeArgs {
		return &corev1.ProbeArgs{
			HttpGet:             &corev1.HTTPGetActionArgs{Path: pulumi.String("/healthz"), Port: pulumi.String(PortName)},
			InitialDelaySeconds: pulumi.Int(initial), PeriodSeconds: pulumi.Int(period), TimeoutSeconds: pulumi.Int(5),
		}
	}
	depMeta := meta()
	depMeta.Annotations = pulumi.StringMap{SingletonAnnotation: pulumi.String(SingletonReason)}
	dep, err := appsv1.NewDeployment(ctx, name, &appsv1.DeploymentArgs{
		Metadata: depMeta,
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(1),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(Selector())},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels: labels(map[string]string{UseLabel: "true"}),
					// A changed script restarts the pod (a ConfigMap edit alone would not); so does a new
					// identity: the webhook copies the ServiceAccount's client ID into AZURE_CLIENT_ID only
					// when it admits a pod (azure-workload-identity@v1.5.1 pkg/webhook/webhook.go Handle).
					Annotations: pulumi.StringMap{
						metadatadb.ConfigHashAnnotation: pulumi.String(metadatadb.ConfigHash(Script)),
						IdentityAnnotation:              clientID,
					},
				},
				Spec: &corev1.PodSpecArgs{
					ServiceAccountName:           sa.Metadata.Name().Elem(),
					AutomountServiceAccountToken: pulumi.Bool(false),
					Tolerations:                  a.Scheduling.TolerationArray(),
					NodeSelector:                 a.Scheduling.NodeSelectorMap(),
					SecurityContext: &corev1.PodSecurityContextArgs{
						RunAsNonRoot: pulumi.Bool(true), RunAsUser: pulumi.Int(UID), RunAsGroup: pulumi.Int(UID),
						SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
					},
					Containers: corev1.ContainerArray{&corev1.ContainerArgs{
						Name:    pulumi.String("probe"),
						Image:   pulumi.String(image),
						Command: pulumi.StringArray{pulumi.String("python3"), pulumi.String("-B"), pulumi.String("-u"), pulumi.String(ScriptDir + "/" + ScriptFile)},
						Ports:   corev1.ContainerPortArray{&corev1.ContainerPortArgs{Name: pulumi.String(PortName), ContainerPort: pulumi.Int(Port), Protocol: pulumi.String("TCP")}},
						Env:     env,
						Resources: &corev1.ResourceRequirementsArgs{
							Requests: pulumi.StringMap{"cpu": pulumi.String("10m"), "memory": pulumi.String("32Mi")},
							Limits:   pulumi.StringMap{"cpu": pulumi.String("200m"), "memory": pulumi.String("128Mi")},
						},
						SecurityContext: &corev1.SecurityContextArgs{
							AllowPrivilegeEscalation: pulumi.Bool(false),
							ReadOnlyRootFilesystem:   pulumi.Bool(true),
							Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
						},
						LivenessProbe:  probe(10, 20),
						ReadinessProbe: probe(3, 10),
						VolumeMounts: corev1.VolumeMountArray{
							&corev1.VolumeMountArgs{Name: pulumi.String("script"), MountPath: pulumi.String(ScriptDir), ReadOnly: pulumi.Bool(true)},
						},
					}},
					Volumes: corev1.VolumeArray{
						&corev1.VolumeArgs{Name: pulumi.String("script"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: cm.Metadata.Name().Elem()}},
					},
				},
			},
		},
	}, child, pulumi.DependsOn(append([]pulumi.Resource{np}, after...)))
	if err != nil {
		return none, err
	}
	return dep.Metadata.Name().Elem(), nil
}
