package minio

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/tests/harness"
)

const (
	stsType    = "kubernetes:apps/v1:StatefulSet"
	secretType = "kubernetes:core/v1:Secret"
	svcType    = "kubernetes:core/v1:Service"
	cmType     = "kubernetes:core/v1:ConfigMap"
	jobType    = "kubernetes:batch/v1:Job"
	pdbType    = "kubernetes:policy/v1:PodDisruptionBudget"
	npType     = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	csrType    = "tls:index/certRequest:CertRequest"
	caType     = "tls:index/selfSignedCert:SelfSignedCert"
	certType   = "tls:index/locallySignedCert:LocallySignedCert"
	dataNS     = "dataplatform-data"
)

func accesses() []objectstore.Access {
	return []objectstore.Access{
		{Workload: "postgres-backup", Namespace: dataNS, ServiceAccount: "metadata-db", Buckets: []objectstore.Bucket{objectstore.Backups}},
		{Workload: "dremio", Namespace: "dataplatform", ServiceAccount: "dremio", Buckets: []objectstore.Bucket{objectstore.Lake, objectstore.Dremio}},
		{Workload: "airbyte", Namespace: "dataplatform", ServiceAccount: "airbyte", Buckets: []objectstore.Bucket{objectstore.Airbyte, objectstore.Lake}},
	}
}

// envArgs mirror config.Defaults(Kubernetes, env) as the stack passes them.
func envArgs(env config.Environment) *ObjectStoreArgs {
	d := config.Defaults(config.Kubernetes, env)
	a := &ObjectStoreArgs{
		Namespace:             pulumi.String(dataNS),
		NamespaceName:         dataNS,
		Image:                 d.ObjectStore.MinIO.Image,
		Replicas:              d.ObjectStore.MinIO.Replicas,
		VolumeSizeGiB:         d.ObjectStore.MinIO.VolumeSizeGiB,
		CPU:                   d.ObjectStore.MinIO.Compute.CPU,
		MemoryGiB:             d.ObjectStore.MinIO.Compute.MemoryGiB,
		HighAvailability:      env == config.Prod,
		Versioning:            d.ObjectStore.Versioning,
		NoncurrentVersionDays: d.ObjectStore.NoncurrentVersionDays,
		Access:                accesses(),
		ClientNamespaces:      []string{"dataplatform", "dataplatform-jobs"},
		Labels:                map[string]string{"environment": string(env)},
	}
	if env == config.Prod {
		a.DrivesPerPod = 2
		a.StorageClass = "standard"
	}
	return a
}

func run(t *testing.T, preview bool, args *ObjectStoreArgs) (*harness.Mocks, *ObjectStore, error) {
	t.Helper()
	m := harness.New("dataplatform", "prod", preview)
	var s *ObjectStore
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		s, err = NewObjectStore(ctx, "store", args, pulumi.Provider(p))
		return err
	}, nil)
	return m, s, err
}

// mockSecretLimitation is the SDK mock monitor's failure on an input that is a secret with an unknown
// value: in a preview the generated keys and passwords are unknown, and the monitor drops the unknown
// inside the secret before the harness sees it. The real engine handles such inputs.
const mockSecretLimitation = "malformed RPC secret: missing value"

// requireRan fails on any error except, in a preview, the mock limitation; TestPreview asserts what
// a preview does register.
func requireRan(t *testing.T, preview bool, err error) {
	t.Helper()
	if preview && err != nil && strings.Contains(err.Error(), mockSecretLimitation) {
		t.Skip("SDK mock monitor cannot unmarshal unknown secret inputs in a preview; see TestPreview")
	}
	require.NoError(t, err)
}

func modes(t *testing.T, f func(t *testing.T, preview bool)) {
	for _, preview := range []bool{false, true} {
		t.Run(fmt.Sprintf("preview=%v", preview), func(t *testing.T) { f(t, preview) })
	}
}

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	if v.IsSecret() {
		return v.SecretValue().Element
	}
	return v
}

// at walks objects and arrays: at(m, "spec", "template", "spec", "containers", 0, "name").
func at(m resource.PropertyMap, path ...any) resource.PropertyValue {
	v := resource.NewObjectProperty(m)
	for _, p := range path {
		v = unwrap(v)
		switch k := p.(type) {
		case string:
			if !v.IsObject() {
				return resource.NewNullProperty()
			}
			v = v.ObjectValue()[resource.PropertyKey(k)]
		case int:
			if !v.IsArray() || k >= len(v.ArrayValue()) {
				return resource.NewNullProperty()
			}
			v = v.ArrayValue()[k]
		}
	}
	return unwrap(v)
}

func str(m resource.PropertyMap, path ...any) string {
	if v := at(m, path...); v.IsString() {
		return v.StringValue()
	}
	return ""
}

func num(m resource.PropertyMap, path ...any) float64 {
	if v := at(m, path...); v.IsNumber() {
		return v.NumberValue()
	}
	return -1
}

func strs(m resource.PropertyMap, path ...any) []string {
	var out []string
	if v := at(m, path...); v.IsArray() {
		for _, e := range v.ArrayValue() {
			if e = unwrap(e); e.IsString() {
				out = append(out, e.StringValue())
			}
		}
	}
	return out
}

func length(m resource.PropertyMap, path ...any) int {
	if v := at(m, path...); v.IsArray() {
		return len(v.ArrayValue())
	}
	return 0
}

func mustNamed(t *testing.T, m *harness.Mocks, typ, name string) *harness.Resource {
	t.Helper()
	r := m.Named(typ, name)
	require.NotNil(t, r, "%s %s", typ, name)
	return r
}

func await(t *testing.T, o pulumi.Output) internals.UnsafeAwaitOutputResult {
	t.Helper()
	r, err := internals.UnsafeAwaitOutput(context.Background(), o)
	require.NoError(t, err)
	return r
}

func envValue(c resource.PropertyMap, name string) string {
	for i := 0; i < length(c, "env"); i++ {
		if str(c, "env", i, "name") == name {
			return str(c, "env", i, "value")
		}
	}
	return ""
}

func TestValidation(t *testing.T) {
	cases := map[string]struct {
		mutate func(a *ObjectStoreArgs)
		want   string
	}{
		"no namespace":          {func(a *ObjectStoreArgs) { a.Namespace = nil }, "Namespace is required"},
		"bad namespace name":    {func(a *ObjectStoreArgs) { a.NamespaceName = "Data_NS" }, `NamespaceName = "Data_NS"`},
		"two replicas":          {func(a *ObjectStoreArgs) { a.Replicas = 2 }, "Replicas = 2"},
		"drives on one pod":     {func(a *ObjectStoreArgs) { a.Replicas, a.DrivesPerPod = 1, 2 }, "DrivesPerPod = 2 with Replicas = 1"},
		"no volume":             {func(a *ObjectStoreArgs) { a.VolumeSizeGiB = 0 }, "VolumeSizeGiB = 0"},
		"no cpu":                {func(a *ObjectStoreArgs) { a.CPU = 0 }, "CPU = 0"},
		"tiny memory":           {func(a *ObjectStoreArgs) { a.MemoryGiB = 0.25 }, "MemoryGiB = 0.25"},
		"versions never expire": {func(a *ObjectStoreArgs) { a.NoncurrentVersionDays = 0 }, "NoncurrentVersionDays = 0"},
		"bad client namespace":  {func(a *ObjectStoreArgs) { a.ClientNamespaces = []string{"Apps"} }, `"Apps"`},
		"duplicate workload":    {func(a *ObjectStoreArgs) { a.Access = append(a.Access, a.Access[0]) }, "appears twice"},
		"unknown bucket":        {func(a *ObjectStoreArgs) { a.Access[0].Buckets = []objectstore.Bucket{"logs"} }, `has "logs"`},
		"no buckets":            {func(a *ObjectStoreArgs) { a.Access[1].Buckets = nil }, "Access[1] (dremio).Buckets is empty"},
		"short workload":        {func(a *ObjectStoreArgs) { a.Access[0].Workload = "pg" }, `Workload = "pg"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a := envArgs(config.Prod)
			tc.mutate(a)
			m, _, err := run(t, false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType(ObjectStoreType), "nothing is registered before validation passes")
		})
	}
	_, _, err := run(t, false, nil)
	require.ErrorContains(t, err, "args are required")
}

func TestReplicasDrivesAndErasureCoding(t *testing.T) {
	cases := []struct {
		env              config.Environment
		replicas, claims int
		volume           string
		ec               string
		pdb              bool
	}{
		{config.Dev, 1, 1, "/data1", "", false},
		{config.Staging, 4, 1, "https://minio-{0...3}.minio-hl.dataplatform-data.svc.cluster.local/data1", "EC:2", true},
		{config.Prod, 4, 2, "https://minio-{0...3}.minio-hl.dataplatform-data.svc.cluster.local/data{1...2}", "EC:4", true},
	}
	for _, tc := range cases {
		t.Run(string(tc.env), func(t *testing.T) {
			modes(t, func(t *testing.T, preview bool) {
				m, _, err := run(t, preview, envArgs(tc.env))
				requireRan(t, preview, err)
				sts := mustNamed(t, m, stsType, "store-server")
				in := sts.Inputs
				assert.Equal(t, "minio", str(in, "metadata", "name"))
				assert.Equal(t, dataNS, str(in, "metadata", "namespace"))
				assert.Equal(t, float64(tc.replicas), num(in, "spec", "replicas"))
				assert.Equal(t, "Parallel", str(in, "spec", "podManagementPolicy"))
				assert.Equal(t, "minio-hl", str(in, "spec", "serviceName"))
				assert.Equal(t, tc.claims, length(in, "spec", "volumeClaimTemplates"))
				c := at(in, "spec", "template", "spec", "containers", 0).ObjectValue()
				args := strs(c, "args")
				require.NotEmpty(t, args)
				assert.Equal(t, tc.volume, args[len(args)-1])
				assert.Equal(t, tc.ec, envValue(c, "MINIO_STORAGE_CLASS_STANDARD"))
				assert.Equal(t, config.MinIOImage, str(c, "image"))
				assert.Equal(t, tc.claims+2, length(c, "volumeMounts"), "certs, tmp and one mount per drive")

				pdb := m.Named(pdbType, "store-pdb")
				if tc.pdb {
					require.NotNil(t, pdb)
					assert.Equal(t, float64(1), num(pdb.Inputs, "spec", "maxUnavailable"))
					assert.Equal(t, "minio", str(pdb.Inputs, "spec", "selector", "matchLabels", "app.kubernetes.io/name"))
				} else {
					assert.Nil(t, pdb, "a single pod has nothing to budget")
				}
			})
		})
	}
}

func TestStorageAndSizing(t *testing.T) {
	modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		requireRan(t, preview, err)
		in := mustNamed(t, m, stsType, "store-server").Inputs
		for i, name := range []string{"data1", "data2"} {
			assert.Equal(t, name, str(in, "spec", "volumeClaimTemplates", i, "metadata", "name"))
			assert.Equal(t, "500Gi", str(in, "spec", "volumeClaimTemplates", i, "spec", "resources", "requests", "storage"))
			assert.Equal(t, "standard", str(in, "spec", "volumeClaimTemplates", i, "spec", "storageClassName"))
		}
		c := at(in, "spec", "template", "spec", "containers", 0).ObjectValue()
		assert.Equal(t, "2000m", str(c, "resources", "requests", "cpu"))
		assert.Equal(t, "8192Mi", str(c, "resources", "requests", "memory"))
		assert.Equal(t, "8192Mi", str(c, "resources", "limits", "memory"))
		assert.Equal(t, "2000m", str(c, "resources", "limits", "cpu"))

		// Dev leaves the class to the cluster's default.
		m, _, err = run(t, preview, envArgs(config.Dev))
		requireRan(t, preview, err)
		in = mustNamed(t, m, stsType, "store-server").Inputs
		assert.Equal(t, "", str(in, "spec", "volumeClaimTemplates", 0, "spec", "storageClassName"))
		assert.Equal(t, "50Gi", str(in, "spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage"))
	})
}

func TestAffinityAndSecurity(t *testing.T) {
	modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		requireRan(t, preview, err)
		spec := at(mustNamed(t, m, stsType, "store-server").Inputs, "spec", "template", "spec").ObjectValue()
		assert.Equal(t, 1, length(spec, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"))
		assert.Equal(t, "kubernetes.io/hostname", str(spec, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", 0, "topologyKey"))
		assert.Equal(t, "topology.kubernetes.io/zone", str(spec, "topologySpreadConstraints", 0, "topologyKey"))
		assert.Equal(t, float64(1000), num(spec, "securityContext", "runAsUser"))
		assert.Equal(t, float64(1000), num(spec, "securityContext", "fsGroup"))
		assert.True(t, at(spec, "securityContext", "runAsNonRoot").BoolValue())
		assert.Equal(t, "RuntimeDefault", str(spec, "securityContext", "seccompProfile", "type"))
		assert.False(t, at(spec, "automountServiceAccountToken").BoolValue())
		c := at(spec, "containers", 0).ObjectValue()
		assert.False(t, at(c, "securityContext", "allowPrivilegeEscalation").BoolValue())
		assert.True(t, at(c, "securityContext", "readOnlyRootFilesystem").BoolValue())
		assert.Equal(t, []string{"ALL"}, strs(c, "securityContext", "capabilities", "drop"))

		m, _, err = run(t, preview, envArgs(config.Staging))
		requireRan(t, preview, err)
		spec = at(mustNamed(t, m, stsType, "store-server").Inputs, "spec", "template", "spec").ObjectValue()
		assert.Equal(t, 0, length(spec, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"))
		assert.Equal(t, float64(100), num(spec, "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution", 0, "weight"))
	})
}

func TestTLSAndProbes(t *testing.T) {
	modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, preview, envArgs(config.Prod))
		requireRan(t, preview, err)

		ca := mustNamed(t, m, caType, "store-ca")
		assert.True(t, at(ca.Inputs, "isCaCertificate").BoolValue())
		assert.Contains(t, strs(ca.Inputs, "allowedUses"), "cert_signing")
		csr := mustNamed(t, m, csrType, "store-server-csr")
		sans := strs(csr.Inputs, "dnsNames")
		assert.Contains(t, sans, "minio.dataplatform-data.svc.cluster.local")
		assert.Contains(t, sans, "*.minio-hl.dataplatform-data.svc.cluster.local")
		assert.Contains(t, sans, "minio")
		cert := mustNamed(t, m, certType, "store-server-cert")
		assert.Contains(t, strs(cert.Inputs, "allowedUses"), "server_auth")
		assert.True(t, m.DependsOn(cert, ca), "the server certificate is signed by the CA")

		tlsSecret := mustNamed(t, m, secretType, "store-tls")
		assert.Equal(t, "minio-tls", str(tlsSecret.Inputs, "metadata", "name"))
		data := at(tlsSecret.Inputs, "stringData").ObjectValue()
		for _, k := range []string{"public.crt", "private.key", "ca.crt"} {
			assert.Contains(t, data, resource.PropertyKey(k))
		}
		assert.True(t, m.DependsOn(tlsSecret, cert))

		spec := at(mustNamed(t, m, stsType, "store-server").Inputs, "spec", "template", "spec").ObjectValue()
		c := at(spec, "containers", 0).ObjectValue()
		args := strs(c, "args")
		assert.Equal(t, "server", args[0])
		assert.Contains(t, strings.Join(args, " "), "--certs-dir "+certsDir)
		assert.True(t, strings.HasPrefix(args[len(args)-1], "https://"), "peers talk TLS")
		var certsVol resource.PropertyMap
		for i := 0; i < length(spec, "volumes"); i++ {
			if str(spec, "volumes", i, "name") == "certs" {
				certsVol = at(spec, "volumes", i).ObjectValue()
			}
		}
		require.NotNil(t, certsVol)
		assert.Equal(t, "minio-tls", str(certsVol, "secret", "secretName"))
		paths := []string{}
		for i := 0; i < length(certsVol, "secret", "items"); i++ {
			paths = append(paths, str(certsVol, "secret", "items", i, "path"))
		}
		assert.ElementsMatch(t, []string{"public.crt", "private.key", "CAs/ca.crt"}, paths)

		for probe, path := range map[string]string{"livenessProbe": "/minio/health/live", "readinessProbe": "/minio/health/ready", "startupProbe": "/minio/health/live"} {
			assert.Equal(t, path, str(c, probe, "httpGet", "path"), probe)
			assert.Equal(t, "HTTPS", str(c, probe, "httpGet", "scheme"), probe)
			assert.Equal(t, "api", str(c, probe, "httpGet", "port"), probe)
		}

		hl := mustNamed(t, m, svcType, "store-headless")
		assert.Equal(t, "None", str(hl.Inputs, "spec", "clusterIP"))
		assert.True(t, at(hl.Inputs, "spec", "publishNotReadyAddresses").BoolValue())
		svc := mustNamed(t, m, svcType, "store-service")
		assert.Equal(t, "minio", str(svc.Inputs, "metadata", "name"))
		assert.Equal(t, float64(9000), num(svc.Inputs, "spec", "ports", 0, "port"))
		assert.Equal(t, float64(9001), num(svc.Inputs, "spec", "ports", 1, "port"))

		assert.Equal(t, "minio-ca", await(t, s.CASecret).Value)
		assert.Equal(t, "minio-root", await(t, s.RootCredentialsSecret).Value)
		root := mustNamed(t, m, secretType, "store-root")
		rootData := at(root.Inputs, "stringData").ObjectValue()
		assert.Contains(t, rootData, resource.PropertyKey("rootUser"))
		assert.Contains(t, rootData, resource.PropertyKey("rootPassword"))
		// The bundle is the CA certificate's PEM (the harness answers generated keys and certificates
		// with known mock PEMs even in preview, since its mock monitor cannot carry unknown secrets).
		ca2 := await(t, s.Info.CABundle)
		require.True(t, ca2.Known)
		if preview {
			assert.Contains(t, ca2.Value, "BEGIN MOCK")
		} else {
			assert.Contains(t, ca2.Value, "BEGIN CERTIFICATE")
		}
	})
}

func TestSetupJob(t *testing.T) {
	modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		requireRan(t, preview, err)
		cm := mustNamed(t, m, cmType, "store-setup")
		script := str(cm.Inputs, "data", "setup.sh")
		for _, b := range objectstore.Buckets {
			assert.Contains(t, script, "mc mb --ignore-existing minio/"+string(b))
			assert.Contains(t, script, "mc version enable minio/"+string(b))
			assert.Contains(t, script, "mc ilm import minio/"+string(b)+" < /setup/lifecycle.json")
		}
		assert.Contains(t, str(cm.Inputs, "data", "lifecycle.json"), `"NoncurrentDays":90`)
		assert.Contains(t, script, "https://${MINIO_ROOT_USER}:${MINIO_ROOT_PASSWORD}@minio.dataplatform-data.svc.cluster.local:9000")
		for i, a := range accesses() {
			assert.Contains(t, script, fmt.Sprintf("mc admin user add minio %s \"$SECRET_KEY_%d\"", a.Workload, i))
			assert.Contains(t, script, fmt.Sprintf("attach %s-buckets %s", a.Workload, a.Workload))
		}
		policy := str(cm.Inputs, "data", "policy-dremio.json")
		assert.Contains(t, policy, "arn:aws:s3:::lake/*")
		assert.Contains(t, policy, "arn:aws:s3:::dremio/*")
		assert.NotContains(t, policy, "backups", "a workload gets only its buckets")
		assert.NotContains(t, script, "generated-", "secret keys stay out of the script")

		job := mustNamed(t, m, jobType, "store-setup-job")
		assert.Equal(t, "minio-setup", str(job.Inputs, "metadata", "name"))
		assert.NotEmpty(t, str(job.Inputs, "metadata", "annotations", "dataplatform.io/setup-sha256"))
		assert.True(t, job.DeleteBeforeReplace)
		assert.True(t, m.DependsOn(job, mustNamed(t, m, stsType, "store-server")), "the Job runs once the server is up")
		assert.True(t, m.DependsOn(job, cm))
		pod := at(job.Inputs, "spec", "template", "spec").ObjectValue()
		c := at(pod, "containers", 0).ObjectValue()
		assert.Equal(t, DefaultClientImage, str(c, "image"))
		assert.Equal(t, "setup", str(job.Inputs, "spec", "template", "metadata", "labels", "app.kubernetes.io/component"))
		svcSel := at(mustNamed(t, m, svcType, "store-service").Inputs, "spec", "selector").ObjectValue()
		assert.Equal(t, "server", str(svcSel, "app.kubernetes.io/component"), "the Service never routes to the setup pod")
		assert.Equal(t, "/setup/setup.sh", strs(c, "command")[1])
		assert.NotEmpty(t, str(c, "resources", "requests", "cpu"))
		assert.NotEmpty(t, str(c, "resources", "requests", "memory"))
		assert.NotEmpty(t, str(c, "resources", "limits", "memory"))
		assert.True(t, at(c, "securityContext", "readOnlyRootFilesystem").BoolValue())
		assert.True(t, at(pod, "securityContext", "runAsNonRoot").BoolValue())
		refs := map[string]string{}
		for i := 0; i < length(c, "env"); i++ {
			refs[str(c, "env", i, "name")] = str(c, "env", i, "valueFrom", "secretKeyRef", "name") + "/" + str(c, "env", i, "valueFrom", "secretKeyRef", "key")
		}
		assert.Equal(t, "minio-users/dremio", refs["SECRET_KEY_1"])
		assert.Equal(t, "minio-root/rootPassword", refs["MINIO_ROOT_PASSWORD"])
		users := mustNamed(t, m, secretType, "store-users")
		assert.Len(t, at(users.Inputs, "stringData").ObjectValue(), 3)
	})
}

func TestVersioningOff(t *testing.T) {
	a := envArgs(config.Dev)
	a.Versioning, a.NoncurrentVersionDays = false, 0
	m, _, err := run(t, false, a)
	require.NoError(t, err)
	cm := mustNamed(t, m, cmType, "store-setup")
	assert.NotContains(t, str(cm.Inputs, "data", "setup.sh"), "mc version enable")
	assert.NotContains(t, str(cm.Inputs, "data", "setup.sh"), "mc ilm import")
	assert.Equal(t, "", str(cm.Inputs, "data", "lifecycle.json"))
}

func TestAccessSecretsAndInfo(t *testing.T) {
	modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, preview, envArgs(config.Staging))
		requireRan(t, preview, err)
		job := mustNamed(t, m, jobType, "store-setup-job")
		for _, a := range accesses() {
			sec := mustNamed(t, m, secretType, "store-"+a.Workload+"-credentials")
			assert.Equal(t, a.Workload+"-object-store", str(sec.Inputs, "metadata", "name"))
			assert.Equal(t, a.Namespace, str(sec.Inputs, "metadata", "namespace"))
			data := at(sec.Inputs, "stringData").ObjectValue()
			assert.Equal(t, a.Workload, str(data, "accessKey"))
			for _, k := range []string{"secretKey", "ca.crt"} {
				assert.Contains(t, data, resource.PropertyKey(k))
			}
			id, ok := s.Info.Identities[a.Workload]
			require.True(t, ok, a.Workload)
			got := await(t, id.CredentialsSecret)
			assert.True(t, got.Known, "names are known in preview too")
			assert.Equal(t, a.Workload+"-object-store", got.Value)
			assert.Equal(t, a.Workload, await(t, id.Principal).Value)
			var deps []string
			for _, d := range got.Dependencies {
				deps = append(deps, string(await(t, d.URN()).Value.(pulumi.URN)))
			}
			assert.Contains(t, deps, job.URN, "%s's credentials resolve after the setup Job", a.Workload)
		}
		assert.Equal(t, objectstore.MinIO, s.Info.Kind)
		assert.True(t, s.Info.PathStyle)
		assert.Equal(t, "https://minio.dataplatform-data.svc.cluster.local:9000", await(t, s.Info.Endpoint).Value)
		for _, b := range objectstore.Buckets {
			assert.Equal(t, string(b), await(t, s.Info.BucketNames[b]).Value)
		}
	})
}

func TestNetworkPolicy(t *testing.T) {
	modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		requireRan(t, preview, err)
		np := mustNamed(t, m, npType, "store-allow-clients")
		in := np.Inputs
		assert.Equal(t, dataNS, str(in, "metadata", "namespace"))
		assert.Equal(t, "minio", str(in, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name"))
		assert.Equal(t, []string{"Ingress"}, strs(in, "spec", "policyTypes"))
		assert.Equal(t, float64(9000), num(in, "spec", "ingress", 0, "ports", 0, "port"))
		assert.Equal(t, "kubernetes.io/metadata.name", str(in, "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchExpressions", 0, "key"))
		assert.Equal(t, []string{"dataplatform", "dataplatform-jobs"}, strs(in, "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchExpressions", 0, "values"))

		a := envArgs(config.Dev)
		a.ClientNamespaces = nil
		m, _, err = run(t, preview, a)
		requireRan(t, preview, err)
		assert.Nil(t, m.Named(npType, "store-allow-clients"), "no cross-namespace clients, no policy")
	})
}

func TestEveryObjectHasNameNamespaceAndParent(t *testing.T) {
	m, _, err := run(t, false, envArgs(config.Prod))
	require.NoError(t, err)
	comp := m.ByType(ObjectStoreType)
	require.Len(t, comp, 1)
	for _, r := range m.Resources() {
		if !strings.HasPrefix(r.Type, "kubernetes:") || r.Type == "pulumi:providers:kubernetes" {
			continue
		}
		assert.NotEmpty(t, str(r.Inputs, "metadata", "name"), r.Name)
		assert.NotEmpty(t, str(r.Inputs, "metadata", "namespace"), r.Name)
		assert.Equal(t, comp[0].URN, r.Parent, r.Name)
		assert.Contains(t, r.Provider, "k8s", "%s inherits the component's provider", r.Name)
		assert.Equal(t, "prod", str(r.Inputs, "metadata", "labels", "environment"), r.Name)
	}
}

func TestNamespaceOutputsCarryDependency(t *testing.T) {
	m := harness.New("dataplatform", "prod", false)
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		apps, err := corev1.NewNamespace(ctx, "apps", &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("dataplatform")},
		}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		a := envArgs(config.Dev)
		a.NamespaceOutputs = map[string]pulumi.StringInput{"dataplatform": apps.Metadata.Name().Elem()}
		_, err = NewObjectStore(ctx, "store", a, pulumi.Provider(p))
		return err
	}, nil)
	require.NoError(t, err)
	sec := mustNamed(t, m, secretType, "store-dremio-credentials")
	assert.Equal(t, "dataplatform", str(sec.Inputs, "metadata", "namespace"))
	assert.True(t, m.DependsOn(sec, mustNamed(t, m, "kubernetes:core/v1:Namespace", "apps")), "the Secret waits for its namespace")
	other := mustNamed(t, m, secretType, "store-postgres-backup-credentials")
	assert.Equal(t, dataNS, str(other.Inputs, "metadata", "namespace"), "namespaces not in NamespaceOutputs are used as given")
}

// TestPreview runs the prod store as `pulumi preview` does: the only failure allowed is the mock
// monitor's on unknown secrets, and everything that does not carry a generated secret is registered
// with its settings.
func TestPreview(t *testing.T) {
	m, _, err := run(t, true, envArgs(config.Prod))
	if err != nil {
		require.Contains(t, err.Error(), mockSecretLimitation, "no other failure in a preview")
	}
	require.Len(t, m.ByType(ObjectStoreType), 1)
	hl := mustNamed(t, m, svcType, "store-headless")
	assert.True(t, at(hl.Inputs, "spec", "publishNotReadyAddresses").BoolValue())
	mustNamed(t, m, svcType, "store-service")
	assert.Equal(t, float64(1), num(mustNamed(t, m, pdbType, "store-pdb").Inputs, "spec", "maxUnavailable"))
	assert.Equal(t, float64(9000), num(mustNamed(t, m, npType, "store-allow-clients").Inputs, "spec", "ingress", 0, "ports", 0, "port"))
	assert.Contains(t, str(mustNamed(t, m, cmType, "store-setup").Inputs, "data", "setup.sh"), "mc mb --ignore-existing minio/backups")
	for _, n := range []string{"store-ca-key", "store-server-key"} {
		k := mustNamed(t, m, "tls:index/privateKey:PrivateKey", n)
		assert.Equal(t, "ECDSA", str(k.Inputs, "algorithm"))
	}
}
