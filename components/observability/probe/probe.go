// Package probe runs one exporter script written in this project — Python using only the standard
// library — as a scrape target: a ConfigMap holding the script, a one-replica Deployment of the
// pinned official python image running it, its own ServiceAccount, and NetworkPolicies (egress: DNS
// and what the caller lists; ingress: nothing of its own — each renderer of the model admits its own
// collector on the metrics port, as for every ScrapeTarget). The renderers select pods (PodMonitor,
// the AMP scraper's pod role, PodMonitoring), so there is no Service.
//
// The script's contract: serve Prometheus text at GET /metrics and 200 at GET /healthz on the port in
// the environment variable PROBE_PORT (Port), on every interface; never crash on a failed upstream
// (report it in a gauge instead). The probes poll /healthz, so a hung server restarts the pod.
package probe

import (
	"fmt"
	"regexp"
	"sort"
	"time"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/observability"
)

// Type is the component's Pulumi type.
const Type = "dataplatform:observability:Probe"

// Image is the official python image, pinned to an exact tag: docker-library/official-images@37079fb
// library/python "Tags: 3.14.7-slim-trixie, 3.14-slim-trixie, …" (GitCommit 228f71e7, Directory
// 3.14/slim-trixie). The scripts use only the standard library and are tested here on Python 3.11,
// so they keep to what both versions have.
const Image = "python:3.14.7-slim-trixie"

// UID is the user the script runs as: nobody (65534) of Debian's base-passwd, which the slim image
// (debian:trixie-slim) carries; any non-root uid works, since the script writes nothing.
const UID = 65534

// Port is the metrics port the script listens on (PROBE_PORT); PortName names it.
const (
	Port     = 9110
	PortName = "metrics"
)

// ScriptDir is where the script is mounted; ScriptFile its name there.
const (
	ScriptDir  = "/opt/probe"
	ScriptFile = "probe.py"
)

// SingletonAnnotation is the policy pack's mark of a one-replica Deployment with its reason
// (policy/policies/stack.go stateless-replicas).
const SingletonAnnotation = "dataplatform.io/singleton"

// SecretEnv is an environment variable read from one key of a Secret in the probe's namespace.
type SecretEnv struct {
	// Name is the variable's name.
	Name string
	// Secret is the Secret's name.
	Secret pulumi.StringInput
	// Key is the data key in it.
	Key string
}

// Egress admits the probe's pods to one set of peers on TCP ports.
type Egress struct {
	// Namespaces are peer namespaces (with PodSelector: only those pods in them).
	Namespaces []string
	// PodSelector narrows the peers to pods with these labels.
	PodSelector map[string]string
	// CIDRs are peer address ranges (cloud services outside the cluster); Except are ranges inside
	// them that stay closed (networking/v1 IPBlock.except: e.g. the node metadata endpoint
	// 169.254.169.254/32 inside 0.0.0.0/0).
	CIDRs  []string
	Except []string
	// Ports are the TCP ports (at least one).
	Ports []int
}

// Args configure one probe.
type Args struct {
	// Namespace is where the probe runs (NamespaceName its name).
	Namespace     pulumi.StringInput
	NamespaceName string
	// Name names every object and is the pods' app.kubernetes.io/name (a DNS label, at most 50).
	Name string
	// Script is the Python script's text (the caller embeds it with go:embed).
	Script string
	// Env are plain environment variables (values may be outputs: a resource's id), set in key
	// order; SecretEnv read Secret keys. PROBE_PORT and PYTHONDONTWRITEBYTECODE are set by the probe.
	Env       map[string]pulumi.StringInput
	SecretEnv []SecretEnv
	// Egress are the peers the script calls, beyond DNS.
	Egress []Egress
	// PodLabels are added to the pods (e.g. azure.workload.identity/use).
	PodLabels map[string]string
	// ServiceAccountAnnotations are set on the probe's ServiceAccount (e.g. a workload identity's
	// client id, an output); the pod template carries their hash, so a changed identity restarts the
	// pod (identity webhooks read the ServiceAccount at admission only). ServiceAccountLabels are
	// added to its labels.
	ServiceAccountAnnotations map[string]pulumi.StringInput
	ServiceAccountLabels      map[string]string
	// MountServiceAccountToken mounts the ServiceAccount's token into the pod (workload identity
	// webhooks project theirs beside it); off by default.
	MountServiceAccountToken bool
	// Image overrides Image (a registry mirror); pinned by a tag or digest.
	Image string
	// SingletonReason says why one replica is right (policy stateless-replicas); required.
	SingletonReason string
	// After are what the Deployment waits for (the Secrets its SecretEnv read, the service it calls).
	After []pulumi.Resource
	// Scheduling places the pod on the workload pool.
	Scheduling cluster.Scheduling
	// Labels are added to every object.
	Labels map[string]string
}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$`)
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (a *Args) validate() error {
	if a == nil {
		return fmt.Errorf("probe: args are required")
	}
	switch {
	case !dnsLabel.MatchString(a.Name):
		return fmt.Errorf("probe: Name = %q: a DNS label of at most 50 characters", a.Name)
	case a.Namespace == nil || !dnsLabel.MatchString(a.NamespaceName):
		return fmt.Errorf("probe %s: NamespaceName = %q: the namespace the probe runs in (a DNS label), with Namespace", a.Name, a.NamespaceName)
	case a.Script == "":
		return fmt.Errorf("probe %s: Script is empty: the exporter's Python text", a.Name)
	case a.SingletonReason == "":
		return fmt.Errorf("probe %s: SingletonReason is empty: why one replica is right (policy stateless-replicas)", a.Name)
	}
	seen := map[string]bool{"PROBE_PORT": true, "PYTHONDONTWRITEBYTECODE": true}
	check := func(n string) error {
		if !envName.MatchString(n) || seen[n] {
			return fmt.Errorf("probe %s: environment variable %q: a unique C identifier, not PROBE_PORT or PYTHONDONTWRITEBYTECODE", a.Name, n)
		}
		seen[n] = true
		return nil
	}
	for _, n := range sortedKeys(a.Env) {
		if a.Env[n] == nil {
			return fmt.Errorf("probe %s: Env[%q] is nil", a.Name, n)
		}
		if err := check(n); err != nil {
			return err
		}
	}
	for _, s := range a.SecretEnv {
		if err := check(s.Name); err != nil {
			return err
		}
		if s.Secret == nil || s.Key == "" {
			return fmt.Errorf("probe %s: SecretEnv %s: Secret and Key are required", a.Name, s.Name)
		}
	}
	for i, e := range a.Egress {
		at := fmt.Sprintf("probe %s: Egress[%d]", a.Name, i)
		if len(e.Ports) == 0 || (len(e.Namespaces) == 0 && len(e.CIDRs) == 0) {
			return fmt.Errorf("%s: Ports and Namespaces or CIDRs are required (an empty peer list admits everything)", at)
		}
		for _, p := range e.Ports {
			if p < 1 || p > 65535 {
				return fmt.Errorf("%s: port %d: 1–65535", at, p)
			}
		}
		for _, ns := range e.Namespaces {
			if !dnsLabel.MatchString(ns) {
				return fmt.Errorf("%s: namespace %q: a DNS label", at, ns)
			}
		}
		if err := k8snet.ValidateCIDRs(at+".CIDRs", e.CIDRs); err != nil {
			return err
		}
		if err := k8snet.ValidateCIDRs(at+".Except", e.Except); err != nil {
			return err
		}
		if len(e.Except) > 0 && len(e.CIDRs) == 0 {
			return fmt.Errorf("%s: Except %v without CIDRs: it narrows the CIDR peers", at, e.Except)
		}
	}
	if a.Image != "" {
		return dremio.ValidateImage("probe "+a.Name+": Image", a.Image)
	}
	return nil
}

// Probe is one running script.
type Probe struct {
	pulumi.ResourceState
	// Deployment is the Deployment's name.
	Deployment pulumi.StringOutput `pulumi:"deployment"`
	// ServiceAccount is the pods' ServiceAccount name (Name).
	ServiceAccount pulumi.StringOutput `pulumi:"serviceAccount"`
}

// Selector are the probe pods' labels the scrape target selects.
func Selector(name string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": name}
}

// Target is the probe's scrape target: the caller names the metrics the script serves, each with
// the upstream source of what it measures, and how often to scrape.
func Target(name, namespace string, interval time.Duration, metrics []observability.Metric) observability.ScrapeTarget {
	return observability.ScrapeTarget{
		Name: name, Namespace: namespace, Selector: Selector(name),
		Port: PortName, PortNumber: Port, Path: "/metrics", Scheme: observability.HTTP,
		Interval: interval, Metrics: metrics,
	}
}

// New deploys the probe. Nothing here is stateful.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Probe, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	a := *args
	image := a.Image
	if image == "" {
		image = Image
	}
	comp := &Probe{}
	if err := ctx.RegisterComponentResourceV2(Type, name, pulumi.Map{
		"namespace": a.Namespace, "name": pulumi.String(a.Name), "image": pulumi.String(image),
	}, comp, opts...); err != nil {
		return nil, err
	}
	parent := []pulumi.ResourceOption{pulumi.Parent(comp)}
	labels := func(extra map[string]string) pulumi.StringMap {
		l := pulumi.StringMap{
			"app.kubernetes.io/part-of": pulumi.String("dataplatform"), "app.kubernetes.io/managed-by": pulumi.String("pulumi"),
			"app.kubernetes.io/component": pulumi.String("exporter"), "app.kubernetes.io/name": pulumi.String(a.Name),
		}
		for _, m := range []map[string]string{a.Labels, extra} {
			for k, v := range m {
				l[k] = pulumi.String(v)
			}
		}
		return l
	}
	meta := func(extra map[string]string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(a.Name), Namespace: a.Namespace, Labels: labels(extra)}
	}

	// Egress: DNS and the caller's peers only. Ingress: none of its own (the renderers add their
	// collector's on Port); the namespace baseline's same-namespace allow still applies.
	egress := networkingv1.NetworkPolicyEgressRuleArray{k8snet.DNSEgress()}
	for _, e := range a.Egress {
		var peers networkingv1.NetworkPolicyPeerArray
		for _, ns := range e.Namespaces {
			p := &networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: k8snet.NamespaceSelector(ns)}
			if len(e.PodSelector) > 0 {
				p.PodSelector = &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(e.PodSelector)}
			}
			peers = append(peers, p)
		}
		for _, c := range e.CIDRs {
			block := &networkingv1.IPBlockArgs{Cidr: pulumi.String(c)}
			if len(e.Except) > 0 {
				block.Except = pulumi.ToStringArray(e.Except)
			}
			peers = append(peers, &networkingv1.NetworkPolicyPeerArgs{IpBlock: block})
		}
		egress = append(egress, &networkingv1.NetworkPolicyEgressRuleArgs{To: peers, Ports: k8snet.TCPPorts(e.Ports...)})
	}
	np, err := networkingv1.NewNetworkPolicy(ctx, name+"-egress", &networkingv1.NetworkPolicyArgs{
		Metadata: meta(nil),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(Selector(a.Name))},
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
			Egress:      egress,
		},
	}, parent...)
	if err != nil {
		return nil, err
	}

	saMeta := meta(a.ServiceAccountLabels)
	saAnnotations := pulumi.StringMap{}
	for k, v := range a.ServiceAccountAnnotations {
		saAnnotations[k] = v
	}
	if len(saAnnotations) > 0 {
		saMeta.Annotations = saAnnotations
	}
	sa, err := corev1.NewServiceAccount(ctx, name, &corev1.ServiceAccountArgs{
		Metadata:                     saMeta,
		AutomountServiceAccountToken: pulumi.Bool(a.MountServiceAccountToken),
	}, parent...)
	if err != nil {
		return nil, err
	}

	cm, err := corev1.NewConfigMap(ctx, name+"-script", &corev1.ConfigMapArgs{
		Metadata: meta(nil),
		Data:     pulumi.StringMap{ScriptFile: pulumi.String(a.Script)},
	}, parent...)
	if err != nil {
		return nil, err
	}

	env := corev1.EnvVarArray{
		&corev1.EnvVarArgs{Name: pulumi.String("PROBE_PORT"), Value: pulumi.String(fmt.Sprint(Port))},
		// No .pyc anywhere (the root filesystem is read-only); -B says the same.
		&corev1.EnvVarArgs{Name: pulumi.String("PYTHONDONTWRITEBYTECODE"), Value: pulumi.String("1")},
	}
	for _, k := range sortedKeys(a.Env) {
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(k), Value: a.Env[k]})
	}
	for _, s := range a.SecretEnv {
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(s.Name), ValueFrom: &corev1.EnvVarSourceArgs{
			SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: s.Secret, Key: pulumi.String(s.Key)},
		}})
	}
	probe := func(initial, period int) *corev1.ProbeArgs {
		return &corev1.ProbeArgs{
			HttpGet:             &corev1.HTTPGetActionArgs{Path: pulumi.String("/healthz"), Port: pulumi.String(PortName)},
			InitialDelaySeconds: pulumi.Int(initial), PeriodSeconds: pulumi.Int(period), TimeoutSeconds: pulumi.Int(5),
		}
	}
	depMeta := meta(nil)
	depMeta.Annotations = pulumi.StringMap{SingletonAnnotation: pulumi.String(a.SingletonReason)}
	dep, err := appsv1.NewDeployment(ctx, name, &appsv1.DeploymentArgs{
		Metadata: depMeta,
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(1),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(Selector(a.Name))},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels: labels(a.PodLabels),
					// A changed script or identity restarts the pod (a ConfigMap or ServiceAccount edit
					// alone would not).
					Annotations: pulumi.StringMap{metadatadb.ConfigHashAnnotation: configHash(a.Script, saAnnotations)},
				},
				Spec: &corev1.PodSpecArgs{
					ServiceAccountName:           sa.Metadata.Name().Elem(),
					AutomountServiceAccountToken: pulumi.Bool(a.MountServiceAccountToken),
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
							&corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")},
						},
					}},
					Volumes: corev1.VolumeArray{
						&corev1.VolumeArgs{Name: pulumi.String("script"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: cm.Metadata.Name().Elem()}},
						// Python's tempfile wants a writable directory if anything asks for one.
						&corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("16Mi")}},
					},
				},
			},
		},
	}, append(parent, pulumi.DependsOn(append([]pulumi.Resource{np, cm}, a.After...)))...)
	if err != nil {
		return nil, err
	}
	comp.Deployment = dep.Metadata.Name().Elem()
	comp.ServiceAccount = sa.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"deployment": comp.Deployment, "serviceAccount": comp.ServiceAccount}); err != nil {
		return nil, err
	}
	return comp, nil
}

// configHash is the hash of the script and the ServiceAccount's annotations (in key order); not
// secret (the annotations are not).
func configHash(script string, annotations pulumi.StringMap) pulumi.StringOutput {
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []any{pulumi.String(script)}
	for _, k := range keys {
		parts = append(parts, pulumi.String(k), annotations[k])
	}
	return pulumi.Unsecret(pulumi.All(parts...).ApplyT(func(v []any) string {
		return metadatadb.ConfigHash(v...)
	}).(pulumi.StringOutput)).(pulumi.StringOutput)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
