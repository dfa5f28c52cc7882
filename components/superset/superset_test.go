package superset

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	depType    = "kubernetes:apps/v1:Deployment"
	stsType    = "kubernetes:apps/v1:StatefulSet"
	jobType    = "kubernetes:batch/v1:Job"
	hpaType    = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
	pdbType    = "kubernetes:policy/v1:PodDisruptionBudget"
	npType     = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	secretType = "kubernetes:core/v1:Secret"
	cmType     = "kubernetes:core/v1:ConfigMap"
	esType     = "kubernetes:external-secrets.io/v1:ExternalSecret"
	pwType     = "random:index/randomPassword:RandomPassword"
)

func so(s string) pulumi.StringOutput { return pulumi.String(s).ToStringOutput() }

func args(prod bool) *SupersetArgs {
	a := &SupersetArgs{
		Namespace: pulumi.String("apps"), NamespaceName: "apps",
		Image:       "registry.example.com/dataplatform/superset:6.1.0-1",
		ValkeyImage: "valkey/valkey:8.1.8-alpine",
		WebReplicas: 1, WebMaxReplicas: 1, WorkerReplicas: 1,
		Web: Compute{CPU: 1, MemoryGiB: 2}, Worker: Compute{CPU: 1, MemoryGiB: 2},
		Database: metadatadb.Connection{
			Host: so("metadata-db-pooler.data.svc.cluster.local"), Port: 5432,
			Databases:         map[metadatadb.Database]string{metadatadb.Superset: "superset"},
			CredentialSecrets: map[string]pulumi.StringOutput{"superset": so("superset-db-credentials")},
			SSLMode:           metadatadb.SSLModeVerifyFull, CACert: so("-----BEGIN CERTIFICATE-----"), CAConfigMap: so("metadata-db-ca"),
		},
		DatabaseNamespace: "data",
		DremioHost:        "dremio-client.apps.svc.cluster.local", DremioFlightPort: 32010,
		DremioCredentialsSecret: pulumi.String("dremio-superset"),
		PublicURL:               "https://superset.data.example.com",
		ClientNamespaces:        []string{"envoy-gateway-system"},
		SecretKeyGeneration:     1,
		Labels:                  map[string]string{"environment": "test"},
	}
	if prod {
		a.WebReplicas, a.WebMaxReplicas, a.WorkerReplicas, a.Prod, a.Protect = 2, 6, 2, true, true
	}
	return a
}

func run(t *testing.T, preview bool, a *SupersetArgs) (*mockcloud.Mocks, *Superset, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	var s *Superset
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		s, err = NewSuperset(ctx, "superset", a, pulumi.Provider(p))
		return err
	}, nil)
	return m, s, err
}

func deployment(t *testing.T, m *mockcloud.Mocks, name string) appsv1.Deployment {
	t.Helper()
	r := m.Named(depType, name)
	require.NotNil(t, r, name)
	var d appsv1.Deployment
	inspect.DecodeStrict(t, r, &d)
	return d
}

func TestReplicasHPAAndPDBPerEnvironment(t *testing.T) {
	for _, prod := range []bool{false, true} {
		inspect.Modes(t, func(t *testing.T, preview bool) {
			m, _, err := run(t, preview, args(prod))
			require.NoError(t, err)
			if prod {
				require.NotNil(t, m.Named(hpaType, "superset-web"))
				require.NotNil(t, m.Named(pdbType, "superset-web"))
				require.NotNil(t, m.Named(pdbType, "superset-worker"))
			} else {
				assert.Nil(t, m.Named(hpaType, "superset-web"), "no HPA when min = max")
				assert.Empty(t, m.ByType(pdbType), "no PDB outside prod")
			}
			if preview {
				return
			}
			web := deployment(t, m, "superset-web")
			if prod {
				assert.Equal(t, int32(2), *web.Spec.Replicas)
				var h autoscalingv2.HorizontalPodAutoscaler
				inspect.DecodeStrict(t, m.Named(hpaType, "superset-web"), &h)
				assert.Equal(t, int32(2), *h.Spec.MinReplicas)
				assert.Equal(t, int32(6), h.Spec.MaxReplicas)
				assert.Equal(t, []string{"spec.replicas"}, m.Named(depType, "superset-web").IgnoreChanges)
				require.NotNil(t, web.Spec.Template.Spec.Affinity.PodAntiAffinity)
				assert.Len(t, web.Spec.Template.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, 1)
			} else {
				assert.Equal(t, int32(1), *web.Spec.Replicas)
				assert.Len(t, web.Spec.Template.Spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution, 1)
			}
		})
	}
}

func statefulSet(t *testing.T, m *mockcloud.Mocks, name string) appsv1.StatefulSet {
	t.Helper()
	r := m.Named(stsType, name)
	require.NotNil(t, r, name)
	var s appsv1.StatefulSet
	inspect.DecodeStrict(t, r, &s)
	return s
}

func TestWebPodIsHardened(t *testing.T) {
	m, _, err := run(t, false, args(true))
	require.NoError(t, err)
	pods := map[string]corev1.PodSpec{
		"superset-web": deployment(t, m, "superset-web").Spec.Template.Spec, "superset-worker": deployment(t, m, "superset-worker").Spec.Template.Spec,
		"superset-beat": statefulSet(t, m, "superset-beat").Spec.Template.Spec, "superset-valkey": statefulSet(t, m, "superset-valkey").Spec.Template.Spec,
	}
	for name, pod := range pods {
		assert.True(t, *pod.SecurityContext.RunAsNonRoot, name)
		assert.False(t, *pod.AutomountServiceAccountToken, name)
		for _, c := range pod.Containers {
			assert.True(t, *c.SecurityContext.ReadOnlyRootFilesystem, name)
			assert.False(t, *c.SecurityContext.AllowPrivilegeEscalation, name)
			assert.Equal(t, []corev1.Capability{"ALL"}, c.SecurityContext.Capabilities.Drop, name)
			assert.False(t, c.Resources.Limits.Cpu().IsZero(), name)
			assert.False(t, c.Resources.Limits.Memory().IsZero(), name)
			assert.Equal(t, c.Resources.Requests, c.Resources.Limits, name)
		}
	}
	web := deployment(t, m, "superset-web").Spec.Template.Spec.Containers[0]
	for _, p := range []*corev1.Probe{web.StartupProbe, web.ReadinessProbe, web.LivenessProbe} {
		require.NotNil(t, p)
		assert.Equal(t, "/health", p.HTTPGet.Path)
		assert.Equal(t, int32(WebPort), p.HTTPGet.Port.IntVal)
	}
}

func TestExactlyOneBeat(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args(true)
		a.WorkerReplicas = 5
		m, _, err := run(t, preview, a)
		require.NoError(t, err)
		require.NotNil(t, m.Named(stsType, "superset-beat"))
		assert.Nil(t, m.Named(depType, "superset-beat"))
		if preview {
			return
		}
		beat := statefulSet(t, m, "superset-beat")
		assert.Equal(t, int32(1), *beat.Spec.Replicas)
		assert.Equal(t, "superset-beat", beat.Spec.ServiceName)
		// The beat runs behind the secret key check (keyCheck).
		cmd := beat.Spec.Template.Spec.Containers[0].Command
		require.Len(t, cmd, 3)
		assert.True(t, strings.HasSuffix(cmd[2], "exec '"+strings.Join(beatCommand, "' '")+"'\n"), cmd[2])
		assert.Equal(t, int32(5), *deployment(t, m, "superset-worker").Spec.Replicas)
	})
}

func initJobOf(t *testing.T, a *SupersetArgs) (*mockcloud.Mocks, batchv1.Job) {
	t.Helper()
	m, _, err := run(t, false, a)
	require.NoError(t, err)
	r := m.Named(jobType, "superset-init")
	require.NotNil(t, r)
	var j batchv1.Job
	inspect.DecodeStrict(t, r, &j)
	return m, j
}

func TestInitJobRunsFirstAndAgainOnNewVersion(t *testing.T) {
	m, j := initJobOf(t, args(false))
	job := m.Named(jobType, "superset-init")
	assert.True(t, job.DeleteBeforeReplace)
	for _, r := range []*mockcloud.Resource{m.Named(depType, "superset-web"), m.Named(depType, "superset-worker"), m.Named(stsType, "superset-beat")} {
		assert.True(t, m.DependsOn(r, job), "%s waits for the init Job", r.Name)
	}
	script := strings.Join(j.Spec.Template.Spec.Containers[0].Command, " ")
	for _, step := range []string{"superset db upgrade", "superset init", "superset fab create-admin", "superset set-database-uri --database_name Dremio",
		"dremio+flight://${DREMIO_USER}:${DREMIO_PASSWORD}@dremio-client.apps.svc.cluster.local:32010?UseEncryption=false"} {
		assert.Contains(t, script, step)
	}
	assert.Less(t, strings.Index(script, "db upgrade"), strings.Index(script, "superset init"))

	// A new version changes the pod template (image and digest), which replaces the Job; the name stays.
	next := args(false)
	next.Image = "registry.example.com/dataplatform/superset:6.1.1-1"
	_, j2 := initJobOf(t, next)
	assert.Equal(t, j.Name, j2.Name)
	assert.NotEqual(t, j.Spec.Template.Spec.Containers[0].Image, j2.Spec.Template.Spec.Containers[0].Image)
	assert.NotEqual(t, j.Spec.Template.Annotations["dataplatform.io/init-sha256"], j2.Spec.Template.Annotations["dataplatform.io/init-sha256"])
	// The same inputs give the same template: no needless re-run.
	_, j3 := initJobOf(t, args(false))
	assert.Equal(t, j.Spec.Template.Annotations, j3.Spec.Template.Annotations)
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	out := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		out[e.Name] = e
	}
	return out
}

func TestSecretKeyFromStoreAndRotation(t *testing.T) {
	// Without a store: plain Secrets; the key never appears in a pod spec.
	m, _ := initJobOf(t, args(false))
	web := deployment(t, m, "superset-web").Spec.Template.Spec.Containers[0]
	key := envOf(web)["SUPERSET_SECRET_KEY"]
	require.NotNil(t, key.ValueFrom)
	assert.Equal(t, secretKeySecretName, key.ValueFrom.SecretKeyRef.Name)
	assert.Empty(t, key.Value)
	assert.NotContains(t, envOf(web), "PREVIOUS_SECRET_KEY")
	assert.Len(t, m.ByType(pwType), 3, "secret key, admin password, Valkey password")

	// With a store: the key is written to it and materialized by an ExternalSecret.
	store := args(false)
	store.Secrets = &secrets.Store{ClusterStore: "platform", Writer: fakeWriter{}}
	ms, _, err := run(t, false, store)
	require.NoError(t, err)
	es := ms.Named(esType, secretKeySecretName)
	require.NotNil(t, es)
	assert.Nil(t, ms.Named(secretType, secretKeySecretName), "no plain Secret with a store")

	// Generation 2: a new key, the previous one in PREVIOUS_SECRET_KEY, re-encrypt-secrets in the Job.
	rot := args(true)
	rot.SecretKeyGeneration = 2
	mr, j := initJobOf(t, rot)
	assert.Len(t, mr.ByType(pwType), 4)
	e := envOf(j.Spec.Template.Spec.Containers[0])
	assert.Equal(t, "PREVIOUS_SECRET_KEY", e["PREVIOUS_SECRET_KEY"].ValueFrom.SecretKeyRef.Key)
	assert.Contains(t, strings.Join(j.Spec.Template.Spec.Containers[0].Command, " "), "superset re-encrypt-secrets")
	for _, r := range mr.ByType(pwType) {
		switch {
		case strings.HasSuffix(r.Name, "-secret-key-2"):
			assert.True(t, r.Protect, "the current key is protected in prod")
		case strings.HasSuffix(r.Name, "-secret-key-1"):
			// Every generation's key is kept (review M2): a jump or a step back never deletes the key
			// the data is encrypted with.
			assert.True(t, r.Protect, "every generation's key stays, protected in prod")
		}
	}
}

type fakeWriter struct{}

func (fakeWriter) Put(ctx *pulumi.Context, name, key string, data pulumi.StringMapInput, opts ...pulumi.ResourceOption) (secrets.RemoteRef, error) {
	return secrets.RemoteRef{Key: pulumi.String("platform/" + key).ToStringOutput()}, nil
}

func TestDatabaseOverVerifiedTLS(t *testing.T) {
	m, _, err := run(t, false, args(false))
	require.NoError(t, err)
	var cm corev1.ConfigMap
	inspect.DecodeStrict(t, m.Named(cmType, configMapName), &cm)
	cfg := cm.Data["superset_config.py"]
	assert.Contains(t, cfg, "postgresql+psycopg2://%s:%s@%s:%s/%s?sslmode=verify-full&sslrootcert="+DatabaseCAPath)
	pod := deployment(t, m, "superset-web").Spec.Template.Spec
	var caVolume *corev1.Volume
	for i, v := range pod.Volumes {
		if v.Name == "db-ca" {
			caVolume = &pod.Volumes[i]
		}
	}
	require.NotNil(t, caVolume)
	assert.Equal(t, "metadata-db-ca", caVolume.ConfigMap.Name)
	mounted := false
	for _, vm := range pod.Containers[0].VolumeMounts {
		if vm.Name == "db-ca" && vm.MountPath+"/"+metadatadb.CAKey == DatabaseCAPath {
			mounted = true
		}
	}
	assert.True(t, mounted, "the CA ConfigMap is mounted where sslrootcert points")
	e := envOf(pod.Containers[0])
	assert.Equal(t, "superset-db-credentials", e["DATABASE_PASSWORD"].ValueFrom.SecretKeyRef.Name)
	assert.Equal(t, "metadata-db-pooler.data.svc.cluster.local", e["DATABASE_HOST"].Value)

	// Cloud SQL's per-instance CA: verify-ca, as the Connection says.
	a := args(false)
	a.Database.SSLMode = metadatadb.SSLModeVerifyCA
	m2, _, err := run(t, false, a)
	require.NoError(t, err)
	inspect.DecodeStrict(t, m2.Named(cmType, configMapName), &cm)
	assert.Contains(t, cm.Data["superset_config.py"], "sslmode=verify-ca&")
}

func TestValkeyTLSAndAuth(t *testing.T) {
	m, _, err := run(t, false, args(false))
	require.NoError(t, err)
	v := statefulSet(t, m, "superset-valkey")
	assert.Equal(t, int32(1), *v.Spec.Replicas)
	c := v.Spec.Template.Spec.Containers[0]
	assert.Equal(t, "valkey/valkey:8.1.8-alpine", c.Image)
	args := strings.Join(c.Args, " ")
	for _, want := range []string{"--port 0", "--tls-port 6379", "--requirepass $(VALKEY_PASSWORD)", "--tls-protocols TLSv1.2 TLSv1.3"} {
		assert.Contains(t, args, want)
	}
	var tlsSecret corev1.Secret
	inspect.DecodeStrict(t, m.Named(secretType, valkeyTLSSecret), &tlsSecret)
	assert.Equal(t, corev1.SecretTypeTLS, tlsSecret.Type)
	cert := m.Named("tls:index/certRequest:CertRequest", "superset-valkey-csr")
	require.NotNil(t, cert)
	assert.Contains(t, inspect.Strs(cert.Inputs, "dnsNames"), ValkeyHost("apps"))
	var cm corev1.ConfigMap
	inspect.DecodeStrict(t, m.Named(cmType, configMapName), &cm)
	assert.Contains(t, cm.Data["superset_config.py"], `"rediss://:%s@superset-valkey.apps.svc.cluster.local:6379"`)
}

func TestNetworkPolicies(t *testing.T) {
	for _, cloud := range []bool{false, true} {
		a := args(false)
		if cloud {
			a.DatabaseNamespace, a.DatabaseCIDRs = "", []string{"10.0.8.0/22"}
			a.ClientNamespaces, a.ClientCIDRs = nil, []string{"10.0.0.0/24"}
		}
		m, _, err := run(t, false, a)
		require.NoError(t, err)
		var in networkingv1.NetworkPolicy
		inspect.DecodeStrict(t, m.Named(npType, "superset-ingress-web"), &in)
		assert.Equal(t, "web", in.Spec.PodSelector.MatchLabels["app.kubernetes.io/component"])
		assert.Equal(t, int32(WebPort), in.Spec.Ingress[0].Ports[0].Port.IntVal)
		from := in.Spec.Ingress[0].From[0]
		var out networkingv1.NetworkPolicy
		inspect.DecodeStrict(t, m.Named(npType, "superset-egress"), &out)
		require.Len(t, out.Spec.Egress, 3)
		assert.Equal(t, int32(5432), out.Spec.Egress[0].Ports[0].Port.IntVal)
		assert.Equal(t, int32(ValkeyPort), out.Spec.Egress[1].Ports[0].Port.IntVal)
		assert.Equal(t, int32(32010), out.Spec.Egress[2].Ports[0].Port.IntVal)
		if cloud {
			assert.Equal(t, "10.0.0.0/24", from.IPBlock.CIDR)
			assert.Equal(t, "10.0.8.0/22", out.Spec.Egress[0].To[0].IPBlock.CIDR)
		} else {
			assert.Equal(t, "envoy-gateway-system", from.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
			assert.Equal(t, "data", out.Spec.Egress[0].To[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
		}
		require.NotNil(t, m.Named(npType, "superset-valkey-ingress"))
	}
}

func TestRoutes(t *testing.T) {
	_, s, err := run(t, false, args(false))
	require.NoError(t, err)
	require.Len(t, s.Routes, 1)
	r := s.Routes[0]
	assert.Equal(t, "superset.data.example.com", r.FQDN("data.example.com"))
	assert.Equal(t, WebService, r.Service)
	assert.Equal(t, WebPort, r.Port)
}

func TestValidation(t *testing.T) {
	cases := map[string]func(a *SupersetArgs){
		"latest image":       func(a *SupersetArgs) { a.Image = "apache/superset:latest" },
		"untagged image":     func(a *SupersetArgs) { a.Image = "apache/superset" },
		"one web in prod":    func(a *SupersetArgs) { a.WebReplicas = 1 },
		"max below min":      func(a *SupersetArgs) { a.WebMaxReplicas = 1 },
		"no workers":         func(a *SupersetArgs) { a.WorkerReplicas = 0 },
		"require sslmode":    func(a *SupersetArgs) { a.Database.SSLMode = "require" },
		"no superset db":     func(a *SupersetArgs) { a.Database.Databases = map[metadatadb.Database]string{} },
		"generation 0":       func(a *SupersetArgs) { a.SecretKeyGeneration = 0 },
		"database nowhere":   func(a *SupersetArgs) { a.DatabaseNamespace = "" },
		"no dremio secret":   func(a *SupersetArgs) { a.DremioCredentialsSecret = nil },
		"bad client CIDR":    func(a *SupersetArgs) { a.ClientCIDRs = []string{"10.0.0.1/24"} },
		"latest valkey":      func(a *SupersetArgs) { a.ValkeyImage = "valkey/valkey:latest" },
		"no namespace label": func(a *SupersetArgs) { a.NamespaceName = "Apps" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a := args(true)
			mutate(a)
			m, _, err := run(t, false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "superset:")
			assert.Empty(t, m.ByType(depType), "nothing is registered")
		})
	}
	_, _, err := run(t, false, args(true))
	require.NoError(t, err, "the baseline is valid")
	digest := args(true)
	digest.Image = "registry.example.com/superset@sha256:" + strings.Repeat("a", 64)
	_, _, err = run(t, false, digest)
	require.NoError(t, err, "a digest pins the image")
}
