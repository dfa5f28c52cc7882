package probe

import (
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/opendataplatform/dataplatform/policy/policies"
)

const (
	deployType = "kubernetes:apps/v1:Deployment"
	npType     = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	cmType     = "kubernetes:core/v1:ConfigMap"
	saType     = "kubernetes:core/v1:ServiceAccount"
	svcType    = "kubernetes:core/v1:Service"
)

const script = "print('hello')\n"

func args() *Args {
	return &Args{
		Namespace: pulumi.String("dataplatform"), NamespaceName: "dataplatform", Name: "test-probe", Script: script,
		Env:       map[string]pulumi.StringInput{"B_URL": pulumi.String("http://b"), "A_TIMEOUT": pulumi.String("5")},
		SecretEnv: []SecretEnv{{Name: "TOKEN", Secret: pulumi.String("probe-credentials"), Key: "token"}},
		Egress: []Egress{
			{Namespaces: []string{"dataplatform"}, PodSelector: map[string]string{"app": "dremio"}, Ports: []int{9047}},
			{CIDRs: []string{"0.0.0.0/0"}, Except: []string{"169.254.169.254/32"}, Ports: []int{443}},
		},
		SingletonReason: "stateless gauges",
		Scheduling: cluster.Scheduling{
			Tolerations:  []cluster.Toleration{{Key: "kubernetes.azure.com/scalesetpriority", Operator: "Equal", Value: "spot", Effect: "NoSchedule"}},
			NodeSelector: map[string]string{"pool": "workload"},
		},
		Labels: map[string]string{"team": "data"},
	}
}

func run(t *testing.T, preview bool, mutate func(*Args)) (*mockcloud.Mocks, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		a := args()
		if mutate != nil {
			mutate(a)
		}
		_, err := New(ctx, "test-probe", a)
		return err
	}, nil)
	return m, err
}

func TestProbeObjects(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		inspect.RequireRan(t, preview, err)

		var d appsv1.Deployment
		inspect.DecodeStrict(t, inspect.One(t, m, deployType), &d)
		assert.Equal(t, int32(1), *d.Spec.Replicas)
		assert.Equal(t, "stateless gauges", d.Annotations[policies.SingletonAnnotation], "policy stateless-replicas: a one-replica Deployment says why")
		assert.Equal(t, "data", d.Labels["team"])
		pod := d.Spec.Template.Spec
		assert.Equal(t, "test-probe", d.Spec.Template.Labels["app.kubernetes.io/name"])
		assert.Equal(t, d.Spec.Selector.MatchLabels, Selector("test-probe"))
		assert.NotEmpty(t, d.Spec.Template.Annotations["dataplatform.io/config-sha256"], "a changed script restarts the pod")
		assert.True(t, *pod.SecurityContext.RunAsNonRoot)
		assert.Equal(t, int64(UID), *pod.SecurityContext.RunAsUser)
		assert.Equal(t, int64(UID), *pod.SecurityContext.RunAsGroup)
		assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, pod.SecurityContext.SeccompProfile.Type)
		assert.False(t, *pod.AutomountServiceAccountToken)
		if !preview {
			assert.Equal(t, "test-probe", pod.ServiceAccountName)
		}
		require.Len(t, pod.Tolerations, 1)
		assert.Equal(t, "spot", pod.Tolerations[0].Value)
		assert.Equal(t, "workload", pod.NodeSelector["pool"])
		require.Len(t, pod.Containers, 1)
		c := pod.Containers[0]
		assert.Equal(t, "python:3.14.7-slim-trixie", c.Image)
		assert.Regexp(t, `^python:[0-9]+\.[0-9]+\.[0-9]+-slim-[a-z]+$`, c.Image, "an exact tag of the official image")
		assert.Equal(t, []string{"python3", "-B", "-u", "/opt/probe/probe.py"}, c.Command)
		assert.True(t, *c.SecurityContext.ReadOnlyRootFilesystem)
		assert.False(t, *c.SecurityContext.AllowPrivilegeEscalation)
		assert.Equal(t, []corev1.Capability{"ALL"}, c.SecurityContext.Capabilities.Drop)
		assert.Nil(t, c.SecurityContext.Privileged)
		assert.False(t, c.Resources.Limits.Memory().IsZero())
		assert.False(t, c.Resources.Limits.Cpu().IsZero())
		assert.False(t, c.Resources.Requests.Cpu().IsZero())
		assert.False(t, c.Resources.Requests.Memory().IsZero())
		for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe} {
			require.NotNil(t, p)
			assert.Equal(t, "/healthz", p.HTTPGet.Path)
			assert.Equal(t, PortName, p.HTTPGet.Port.StrVal)
		}
		require.Len(t, c.Ports, 1)
		assert.Equal(t, int32(Port), c.Ports[0].ContainerPort)
		assert.Equal(t, PortName, c.Ports[0].Name)
		names := []string{}
		env := map[string]corev1.EnvVar{}
		for _, e := range c.Env {
			names = append(names, e.Name)
			env[e.Name] = e
		}
		assert.Equal(t, []string{"PROBE_PORT", "PYTHONDONTWRITEBYTECODE", "A_TIMEOUT", "B_URL", "TOKEN"}, names, "a stable order: no diff between runs")
		assert.Equal(t, "9110", env["PROBE_PORT"].Value)
		assert.Equal(t, "1", env["PYTHONDONTWRITEBYTECODE"].Value)
		assert.Equal(t, "probe-credentials", env["TOKEN"].ValueFrom.SecretKeyRef.Name)
		assert.Equal(t, "token", env["TOKEN"].ValueFrom.SecretKeyRef.Key)
		mounts := map[string]string{}
		for _, vm := range c.VolumeMounts {
			mounts[vm.Name] = vm.MountPath
		}
		assert.Equal(t, ScriptDir, mounts["script"])

		// The script is in the ConfigMap, as given.
		cm := inspect.One(t, m, cmType)
		assert.Equal(t, script, inspect.Str(cm.Inputs, "data", ScriptFile))

		// Its own ServiceAccount, no token by default.
		var sa corev1.ServiceAccount
		inspect.DecodeStrict(t, inspect.One(t, m, saType), &sa)
		assert.Equal(t, "test-probe", sa.Name)
		assert.False(t, *sa.AutomountServiceAccountToken)
		assert.Empty(t, sa.Annotations)

		// Pods are selected by label: no Service.
		assert.Empty(t, m.ByType(svcType))

		// Egress: DNS and the two peers; ingress: none of its own.
		var pol networkingv1.NetworkPolicy
		inspect.DecodeStrict(t, inspect.One(t, m, npType), &pol)
		assert.Equal(t, Selector("test-probe"), pol.Spec.PodSelector.MatchLabels)
		assert.ElementsMatch(t, []networkingv1.PolicyType{"Ingress", "Egress"}, pol.Spec.PolicyTypes)
		assert.Empty(t, pol.Spec.Ingress)
		require.Len(t, pol.Spec.Egress, 3)
		assert.Equal(t, int32(53), pol.Spec.Egress[0].Ports[0].Port.IntVal)
		assert.Equal(t, "dataplatform", pol.Spec.Egress[1].To[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
		assert.Equal(t, "dremio", pol.Spec.Egress[1].To[0].PodSelector.MatchLabels["app"])
		require.Len(t, pol.Spec.Egress[1].Ports, 1)
		assert.Equal(t, int32(9047), pol.Spec.Egress[1].Ports[0].Port.IntVal)
		assert.Equal(t, "0.0.0.0/0", pol.Spec.Egress[2].To[0].IPBlock.CIDR)
		assert.Equal(t, []string{"169.254.169.254/32"}, pol.Spec.Egress[2].To[0].IPBlock.Except)
		assert.Equal(t, int32(443), pol.Spec.Egress[2].Ports[0].Port.IntVal)
		assert.True(t, m.DependsOn(inspect.One(t, m, deployType), inspect.One(t, m, npType)), "the pod starts inside its policy")
		assert.Empty(t, inspect.Protected(m), "nothing here is stateful")
	})
}

// TestProbeIdentity: workload identity wants SA annotations, a pod label and the token.
func TestProbeIdentity(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, func(a *Args) {
			// Outputs, as a managed identity's client id and a server's id are.
			a.ServiceAccountAnnotations = map[string]pulumi.StringInput{"azure.workload.identity/client-id": pulumi.String("00000000-0000-0000-0000-000000000001").ToStringOutput()}
			a.Env["SERVER_ID"] = pulumi.String("/subscriptions/s/resourceGroups/g/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg").ToStringOutput()
			a.ServiceAccountLabels = map[string]string{"azure.workload.identity/use": "true"}
			a.PodLabels = map[string]string{"azure.workload.identity/use": "true"}
			a.MountServiceAccountToken = true
			a.Image = "mirror.example.com/library/python:3.14.7-slim-trixie"
		})
		inspect.RequireRan(t, preview, err)
		var sa corev1.ServiceAccount
		inspect.DecodeStrict(t, inspect.One(t, m, saType), &sa)
		assert.Equal(t, "00000000-0000-0000-0000-000000000001", sa.Annotations["azure.workload.identity/client-id"])
		assert.Equal(t, "true", sa.Labels["azure.workload.identity/use"])
		assert.True(t, *sa.AutomountServiceAccountToken)
		var d appsv1.Deployment
		inspect.DecodeStrict(t, inspect.One(t, m, deployType), &d)
		assert.Equal(t, "true", d.Spec.Template.Labels["azure.workload.identity/use"])
		assert.True(t, *d.Spec.Template.Spec.AutomountServiceAccountToken)
		assert.Equal(t, "mirror.example.com/library/python:3.14.7-slim-trixie", d.Spec.Template.Spec.Containers[0].Image)
		assert.Equal(t, "test-probe", d.Spec.Selector.MatchLabels["app.kubernetes.io/name"], "a pod label never replaces the selector")
		env := map[string]string{}
		for _, e := range d.Spec.Template.Spec.Containers[0].Env {
			env[e.Name] = e.Value
		}
		assert.Equal(t, "/subscriptions/s/resourceGroups/g/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg", env["SERVER_ID"])
	})
}

// TestProbeRollsOnIdentityChange: the pod template's hash follows the script and the
// ServiceAccount's annotations (a workload identity webhook reads them at admission only).
func TestProbeRollsOnIdentityChange(t *testing.T) {
	hash := func(mutate func(*Args)) string {
		m, err := run(t, false, mutate)
		require.NoError(t, err)
		return inspect.Str(inspect.One(t, m, deployType).Inputs, "spec", "template", "metadata", "annotations", "dataplatform.io/config-sha256")
	}
	id := func(v string) func(*Args) {
		return func(a *Args) {
			a.ServiceAccountAnnotations = map[string]pulumi.StringInput{"azure.workload.identity/client-id": pulumi.String(v).ToStringOutput()}
		}
	}
	a, b := hash(id("one")), hash(id("two"))
	assert.NotEmpty(t, a)
	assert.NotEqual(t, a, b)
	assert.Equal(t, a, hash(id("one")))
	assert.NotEqual(t, hash(nil), hash(func(a *Args) { a.Script = "print(2)\n" }))
}

func TestProbeValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*Args)
		want   string
	}{
		"no name":         {func(a *Args) { a.Name = "" }, `Name = ""`},
		"no namespace":    {func(a *Args) { a.NamespaceName = "Apps" }, `NamespaceName = "Apps"`},
		"no script":       {func(a *Args) { a.Script = "" }, "Script is empty"},
		"no reason":       {func(a *Args) { a.SingletonReason = "" }, "SingletonReason"},
		"reserved env":    {func(a *Args) { a.Env["PROBE_PORT"] = pulumi.String("1") }, `"PROBE_PORT"`},
		"nil env":         {func(a *Args) { a.Env["X"] = nil }, `Env["X"] is nil`},
		"except no cidrs": {func(a *Args) { a.Egress[0].Except = []string{"10.0.0.0/8"} }, "without CIDRs"},
		"bad except":      {func(a *Args) { a.Egress[1].Except = []string{"10.0.0.1/8"} }, "Except"},
		"duplicate env":   {func(a *Args) { a.SecretEnv[0].Name = "B_URL" }, `"B_URL"`},
		"bad env":         {func(a *Args) { a.Env["1X"] = pulumi.String("") }, `"1X"`},
		"secret no key":   {func(a *Args) { a.SecretEnv[0].Key = "" }, "Secret and Key"},
		"egress no peers": {func(a *Args) { a.Egress[0].Namespaces = nil }, "Egress[0]"},
		"egress no ports": {func(a *Args) { a.Egress[1].Ports = nil }, "Egress[1]"},
		"egress bad port": {func(a *Args) { a.Egress[1].Ports = []int{70000} }, "port 70000"},
		"egress bad cidr": {func(a *Args) { a.Egress[1].CIDRs = []string{"10.1.0.1/16"} }, "10.1.0.1/16"},
		"latest image":    {func(a *Args) { a.Image = "python:latest" }, "latest"},
		"unpinned image":  {func(a *Args) { a.Image = "python" }, "pinned"},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := run(t, false, tc.mutate)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			for _, typ := range []string{deployType, npType, cmType, saType} {
				assert.Empty(t, m.ByType(typ), "nothing is registered before the error")
			}
		})
	}
}

func TestTarget(t *testing.T) {
	tg := Target("test-probe", "dataplatform", time.Minute, []observability.Metric{{Name: "x_up", Source: "here"}})
	require.NoError(t, observability.Spec{Targets: []observability.ScrapeTarget{tg}}.Validate())
	assert.Equal(t, Selector("test-probe"), tg.Selector)
	assert.Equal(t, Port, tg.PortNumber)
	assert.Equal(t, PortName, tg.Port)
	assert.Equal(t, observability.HTTP, tg.Scheme)
}
