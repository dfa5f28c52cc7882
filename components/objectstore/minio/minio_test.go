package minio

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
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

func run(t *testing.T, preview bool, args *ObjectStoreArgs) (*mockcloud.Mocks, *ObjectStore, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
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

func envValue(c resource.PropertyMap, name string) string {
	for i := 0; i < inspect.Len(c, "env"); i++ {
		if inspect.Str(c, "env", i, "name") == name {
			return inspect.Str(c, "env", i, "value")
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
			inspect.Modes(t, func(t *testing.T, preview bool) {
				m, _, err := run(t, preview, envArgs(tc.env))
				inspect.RequireRan(t, preview, err)
				sts := inspect.MustNamed(t, m, stsType, "store-server")
				in := sts.Inputs
				assert.Equal(t, "minio", inspect.Str(in, "metadata", "name"))
				assert.Equal(t, dataNS, inspect.Str(in, "metadata", "namespace"))
				assert.Equal(t, float64(tc.replicas), inspect.Num(in, "spec", "replicas"))
				assert.Equal(t, "Parallel", inspect.Str(in, "spec", "podManagementPolicy"))
				assert.Equal(t, "minio-hl", inspect.Str(in, "spec", "serviceName"))
				assert.Equal(t, tc.claims, inspect.Len(in, "spec", "volumeClaimTemplates"))
				c := inspect.At(in, "spec", "template", "spec", "containers", 0).ObjectValue()
				args := inspect.Strs(c, "args")
				require.NotEmpty(t, args)
				assert.Equal(t, tc.volume, args[len(args)-1])
				assert.Equal(t, tc.ec, envValue(c, "MINIO_STORAGE_CLASS_STANDARD"))
				assert.Equal(t, config.MinIOImage, inspect.Str(c, "image"))
				assert.Equal(t, tc.claims+2, inspect.Len(c, "volumeMounts"), "certs, tmp and one mount per drive")

				pdb := m.Named(pdbType, "store-pdb")
				if tc.pdb {
					require.NotNil(t, pdb)
					assert.Equal(t, float64(1), inspect.Num(pdb.Inputs, "spec", "maxUnavailable"))
					assert.Equal(t, "minio", inspect.Str(pdb.Inputs, "spec", "selector", "matchLabels", "app.kubernetes.io/name"))
				} else {
					assert.Nil(t, pdb, "a single pod has nothing to budget")
				}
			})
		})
	}
}

func TestStorageAndSizing(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)
		in := inspect.MustNamed(t, m, stsType, "store-server").Inputs
		for i, name := range []string{"data1", "data2"} {
			assert.Equal(t, name, inspect.Str(in, "spec", "volumeClaimTemplates", i, "metadata", "name"))
			assert.Equal(t, "500Gi", inspect.Str(in, "spec", "volumeClaimTemplates", i, "spec", "resources", "requests", "storage"))
			assert.Equal(t, "standard", inspect.Str(in, "spec", "volumeClaimTemplates", i, "spec", "storageClassName"))
		}
		c := inspect.At(in, "spec", "template", "spec", "containers", 0).ObjectValue()
		assert.Equal(t, "2000m", inspect.Str(c, "resources", "requests", "cpu"))
		assert.Equal(t, "8192Mi", inspect.Str(c, "resources", "requests", "memory"))
		assert.Equal(t, "8192Mi", inspect.Str(c, "resources", "limits", "memory"))
		assert.Equal(t, "2000m", inspect.Str(c, "resources", "limits", "cpu"))

		// Dev leaves the class to the cluster's default.
		m, _, err = run(t, preview, envArgs(config.Dev))
		inspect.RequireRan(t, preview, err)
		in = inspect.MustNamed(t, m, stsType, "store-server").Inputs
		assert.Equal(t, "", inspect.Str(in, "spec", "volumeClaimTemplates", 0, "spec", "storageClassName"))
		assert.Equal(t, "50Gi", inspect.Str(in, "spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage"))
	})
}

func TestAffinityAndSecurity(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)
		spec := inspect.At(inspect.MustNamed(t, m, stsType, "store-server").Inputs, "spec", "template", "spec").ObjectValue()
		assert.Equal(t, 1, inspect.Len(spec, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"))
		assert.Equal(t, "kubernetes.io/hostname", inspect.Str(spec, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", 0, "topologyKey"))
		assert.Equal(t, "topology.kubernetes.io/zone", inspect.Str(spec, "topologySpreadConstraints", 0, "topologyKey"))
		assert.Equal(t, float64(1000), inspect.Num(spec, "securityContext", "runAsUser"))
		assert.Equal(t, float64(1000), inspect.Num(spec, "securityContext", "fsGroup"))
		assert.True(t, inspect.At(spec, "securityContext", "runAsNonRoot").BoolValue())
		assert.Equal(t, "RuntimeDefault", inspect.Str(spec, "securityContext", "seccompProfile", "type"))
		assert.False(t, inspect.At(spec, "automountServiceAccountToken").BoolValue())
		c := inspect.At(spec, "containers", 0).ObjectValue()
		assert.False(t, inspect.At(c, "securityContext", "allowPrivilegeEscalation").BoolValue())
		assert.True(t, inspect.At(c, "securityContext", "readOnlyRootFilesystem").BoolValue())
		assert.Equal(t, []string{"ALL"}, inspect.Strs(c, "securityContext", "capabilities", "drop"))

		m, _, err = run(t, preview, envArgs(config.Staging))
		inspect.RequireRan(t, preview, err)
		spec = inspect.At(inspect.MustNamed(t, m, stsType, "store-server").Inputs, "spec", "template", "spec").ObjectValue()
		assert.Equal(t, 0, inspect.Len(spec, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"))
		assert.Equal(t, float64(100), inspect.Num(spec, "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution", 0, "weight"))
	})
}

func TestTLSAndProbes(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)

		ca := inspect.MustNamed(t, m, caType, "store-ca")
		assert.True(t, inspect.At(ca.Inputs, "isCaCertificate").BoolValue())
		assert.Contains(t, inspect.Strs(ca.Inputs, "allowedUses"), "cert_signing")
		csr := inspect.MustNamed(t, m, csrType, "store-server-csr")
		sans := inspect.Strs(csr.Inputs, "dnsNames")
		assert.Contains(t, sans, "minio.dataplatform-data.svc.cluster.local")
		assert.Contains(t, sans, "*.minio-hl.dataplatform-data.svc.cluster.local")
		assert.Contains(t, sans, "minio")
		cert := inspect.MustNamed(t, m, certType, "store-server-cert")
		assert.Contains(t, inspect.Strs(cert.Inputs, "allowedUses"), "server_auth")
		assert.True(t, m.DependsOn(cert, ca), "the server certificate is signed by the CA")

		tlsSecret := inspect.MustNamed(t, m, secretType, "store-tls")
		assert.Equal(t, "minio-tls", inspect.Str(tlsSecret.Inputs, "metadata", "name"))
		data := inspect.At(tlsSecret.Inputs, "stringData").ObjectValue()
		for _, k := range []string{"public.crt", "private.key", "ca.crt"} {
			assert.Contains(t, data, resource.PropertyKey(k))
		}
		assert.True(t, m.DependsOn(tlsSecret, cert))

		spec := inspect.At(inspect.MustNamed(t, m, stsType, "store-server").Inputs, "spec", "template", "spec").ObjectValue()
		c := inspect.At(spec, "containers", 0).ObjectValue()
		args := inspect.Strs(c, "args")
		assert.Equal(t, "server", args[0])
		assert.Contains(t, strings.Join(args, " "), "--certs-dir "+certsDir)
		assert.True(t, strings.HasPrefix(args[len(args)-1], "https://"), "peers talk TLS")
		var certsVol resource.PropertyMap
		for i := 0; i < inspect.Len(spec, "volumes"); i++ {
			if inspect.Str(spec, "volumes", i, "name") == "certs" {
				certsVol = inspect.At(spec, "volumes", i).ObjectValue()
			}
		}
		require.NotNil(t, certsVol)
		assert.Equal(t, "minio-tls", inspect.Str(certsVol, "secret", "secretName"))
		paths := []string{}
		for i := 0; i < inspect.Len(certsVol, "secret", "items"); i++ {
			paths = append(paths, inspect.Str(certsVol, "secret", "items", i, "path"))
		}
		assert.ElementsMatch(t, []string{"public.crt", "private.key", "CAs/ca.crt"}, paths)

		for probe, path := range map[string]string{"livenessProbe": "/minio/health/live", "readinessProbe": "/minio/health/ready", "startupProbe": "/minio/health/live"} {
			assert.Equal(t, path, inspect.Str(c, probe, "httpGet", "path"), probe)
			assert.Equal(t, "HTTPS", inspect.Str(c, probe, "httpGet", "scheme"), probe)
			assert.Equal(t, "api", inspect.Str(c, probe, "httpGet", "port"), probe)
		}

		hl := inspect.MustNamed(t, m, svcType, "store-headless")
		assert.Equal(t, "None", inspect.Str(hl.Inputs, "spec", "clusterIP"))
		assert.True(t, inspect.At(hl.Inputs, "spec", "publishNotReadyAddresses").BoolValue())
		svc := inspect.MustNamed(t, m, svcType, "store-service")
		assert.Equal(t, "minio", inspect.Str(svc.Inputs, "metadata", "name"))
		assert.Equal(t, float64(9000), inspect.Num(svc.Inputs, "spec", "ports", 0, "port"))
		assert.Equal(t, float64(9001), inspect.Num(svc.Inputs, "spec", "ports", 1, "port"))

		assert.Equal(t, "minio-ca", inspect.Await(t, s.CASecret).Value)
		assert.Equal(t, "minio-root", inspect.Await(t, s.RootCredentialsSecret).Value)
		root := inspect.MustNamed(t, m, secretType, "store-root")
		rootData := inspect.At(root.Inputs, "stringData").ObjectValue()
		assert.Contains(t, rootData, resource.PropertyKey("rootUser"))
		assert.Contains(t, rootData, resource.PropertyKey("rootPassword"))
		// The bundle is the CA certificate's PEM (the harness answers generated keys and certificates
		// with known PEM blocks even in preview, since its mock monitor cannot carry unknown secrets).
		ca2 := inspect.Await(t, s.Info.CABundle)
		require.True(t, ca2.Known)
		assert.Contains(t, ca2.Value, "-----BEGIN CERTIFICATE-----")
	})
}

func TestSetupJob(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)
		cm := inspect.MustNamed(t, m, cmType, "store-setup")
		script := inspect.Str(cm.Inputs, "data", "setup.sh")
		for _, b := range objectstore.Buckets {
			assert.Contains(t, script, "mc mb --ignore-existing minio/"+string(b))
			assert.Contains(t, script, "mc version enable minio/"+string(b))
			assert.Contains(t, script, "mc ilm import minio/"+string(b)+" < /setup/lifecycle.json")
		}
		assert.Contains(t, inspect.Str(cm.Inputs, "data", "lifecycle.json"), `"NoncurrentDays":90`)
		assert.Contains(t, script, "https://${MINIO_ROOT_USER}:${MINIO_ROOT_PASSWORD}@minio.dataplatform-data.svc.cluster.local:9000")
		for i, a := range accesses() {
			assert.Contains(t, script, fmt.Sprintf("mc admin user add minio %s \"$SECRET_KEY_%d\"", a.Workload, i))
			assert.Contains(t, script, fmt.Sprintf("attach %s-buckets %s", a.Workload, a.Workload))
		}
		policy := inspect.Str(cm.Inputs, "data", "policy-dremio.json")
		assert.Contains(t, policy, "arn:aws:s3:::lake/*")
		assert.Contains(t, policy, "arn:aws:s3:::dremio/*")
		assert.NotContains(t, policy, "backups", "a workload gets only its buckets")
		assert.NotContains(t, script, "generated-", "secret keys stay out of the script")

		job := inspect.MustNamed(t, m, jobType, "store-setup-job")
		assert.Equal(t, "minio-setup", inspect.Str(job.Inputs, "metadata", "name"))
		// pulumi-kubernetes replaces a Job only for a changed pod template: the hash lives there.
		assert.False(t, inspect.Has(job.Inputs, "metadata", "annotations"), "a hash in the Job's metadata re-runs nothing")
		if !preview {
			assert.Len(t, inspect.Str(job.Inputs, "spec", "template", "metadata", "annotations", "dataplatform.io/config-sha256"), 64)
		}
		assert.True(t, job.DeleteBeforeReplace)
		assert.True(t, m.DependsOn(job, inspect.MustNamed(t, m, stsType, "store-server")), "the Job runs once the server is up")
		assert.True(t, m.DependsOn(job, cm))
		pod := inspect.At(job.Inputs, "spec", "template", "spec").ObjectValue()
		c := inspect.At(pod, "containers", 0).ObjectValue()
		assert.Equal(t, DefaultClientImage, inspect.Str(c, "image"))
		assert.Equal(t, "setup", inspect.Str(job.Inputs, "spec", "template", "metadata", "labels", "app.kubernetes.io/component"))
		svcSel := inspect.At(inspect.MustNamed(t, m, svcType, "store-service").Inputs, "spec", "selector").ObjectValue()
		assert.Equal(t, "server", inspect.Str(svcSel, "app.kubernetes.io/component"), "the Service never routes to the setup pod")
		assert.Equal(t, "/setup/setup.sh", inspect.Strs(c, "command")[1])
		assert.NotEmpty(t, inspect.Str(c, "resources", "requests", "cpu"))
		assert.NotEmpty(t, inspect.Str(c, "resources", "requests", "memory"))
		assert.NotEmpty(t, inspect.Str(c, "resources", "limits", "memory"))
		assert.True(t, inspect.At(c, "securityContext", "readOnlyRootFilesystem").BoolValue())
		assert.True(t, inspect.At(pod, "securityContext", "runAsNonRoot").BoolValue())
		refs := map[string]string{}
		for i := 0; i < inspect.Len(c, "env"); i++ {
			refs[inspect.Str(c, "env", i, "name")] = inspect.Str(c, "env", i, "valueFrom", "secretKeyRef", "name") + "/" + inspect.Str(c, "env", i, "valueFrom", "secretKeyRef", "key")
		}
		// The Job reads versioned Secrets (<name>-<digest of the values>), exactly those materialized;
		// the server keeps the stable minio-root.
		users := inspect.MustNamed(t, m, secretType, "store-users")
		assert.Len(t, inspect.At(users.Inputs, "stringData").ObjectValue(), 3)
		usersName := inspect.Str(users.Inputs, "metadata", "name")
		assert.True(t, secrets.IsVersionOf("minio-users", usersName), usersName)
		setupRoot := inspect.Str(inspect.MustNamed(t, m, secretType, "store-setup-root").Inputs, "metadata", "name")
		assert.True(t, secrets.IsVersionOf("minio-setup-root", setupRoot), setupRoot)
		assert.Equal(t, usersName+"/dremio", refs["SECRET_KEY_1"])
		assert.Equal(t, setupRoot+"/rootPassword", refs["MINIO_ROOT_PASSWORD"])
		assert.Equal(t, setupRoot+"/rootUser", refs["MINIO_ROOT_USER"])
	})
}

func TestVersioningOff(t *testing.T) {
	a := envArgs(config.Dev)
	a.Versioning, a.NoncurrentVersionDays = false, 0
	m, _, err := run(t, false, a)
	require.NoError(t, err)
	cm := inspect.MustNamed(t, m, cmType, "store-setup")
	assert.NotContains(t, inspect.Str(cm.Inputs, "data", "setup.sh"), "mc version enable")
	assert.NotContains(t, inspect.Str(cm.Inputs, "data", "setup.sh"), "mc ilm import")
	assert.Equal(t, "", inspect.Str(cm.Inputs, "data", "lifecycle.json"))
}

func TestAccessSecretsAndInfo(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, preview, envArgs(config.Staging))
		inspect.RequireRan(t, preview, err)
		job := inspect.MustNamed(t, m, jobType, "store-setup-job")
		for _, a := range accesses() {
			sec := inspect.MustNamed(t, m, secretType, "store-"+a.Workload+"-credentials")
			assert.Equal(t, a.Workload+"-object-store", inspect.Str(sec.Inputs, "metadata", "name"))
			assert.Equal(t, a.Namespace, inspect.Str(sec.Inputs, "metadata", "namespace"))
			data := inspect.At(sec.Inputs, "stringData").ObjectValue()
			assert.Equal(t, a.Workload, inspect.Str(data, "accessKey"))
			for _, k := range []string{"secretKey", "ca.crt"} {
				assert.Contains(t, data, resource.PropertyKey(k))
			}
			id, ok := s.Info.Identities[a.Workload]
			require.True(t, ok, a.Workload)
			got := inspect.Await(t, id.CredentialsSecret)
			assert.True(t, got.Known, "names are known in preview too")
			assert.Equal(t, a.Workload+"-object-store", got.Value)
			assert.Equal(t, a.Workload, inspect.Await(t, id.Principal).Value)
			var deps []string
			for _, d := range got.Dependencies {
				deps = append(deps, string(inspect.Await(t, d.URN()).Value.(pulumi.URN)))
			}
			assert.Contains(t, deps, job.URN, "%s's credentials resolve after the setup Job", a.Workload)
		}
		assert.Equal(t, objectstore.MinIO, s.Info.Kind)
		assert.True(t, s.Info.PathStyle)
		assert.Equal(t, "https://minio.dataplatform-data.svc.cluster.local:9000", inspect.Await(t, s.Info.Endpoint).Value)
		for _, b := range objectstore.Buckets {
			assert.Equal(t, string(b), inspect.Await(t, s.Info.BucketNames[b]).Value)
		}
	})
}

func TestNetworkPolicy(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Prod))
		inspect.RequireRan(t, preview, err)
		np := inspect.MustNamed(t, m, npType, "store-allow-clients")
		in := np.Inputs
		assert.Equal(t, dataNS, inspect.Str(in, "metadata", "namespace"))
		assert.Equal(t, "minio", inspect.Str(in, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name"))
		assert.Equal(t, []string{"Ingress"}, inspect.Strs(in, "spec", "policyTypes"))
		assert.Equal(t, float64(9000), inspect.Num(in, "spec", "ingress", 0, "ports", 0, "port"))
		assert.Equal(t, "kubernetes.io/metadata.name", inspect.Str(in, "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchExpressions", 0, "key"))
		assert.Equal(t, []string{"dataplatform", "dataplatform-jobs"}, inspect.Strs(in, "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchExpressions", 0, "values"))

		a := envArgs(config.Dev)
		a.ClientNamespaces = nil
		m, _, err = run(t, preview, a)
		inspect.RequireRan(t, preview, err)
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
		assert.NotEmpty(t, inspect.Str(r.Inputs, "metadata", "name"), r.Name)
		assert.NotEmpty(t, inspect.Str(r.Inputs, "metadata", "namespace"), r.Name)
		assert.Equal(t, comp[0].URN, r.Parent, r.Name)
		assert.Contains(t, r.Provider, "k8s", "%s inherits the component's provider", r.Name)
		assert.Equal(t, "prod", inspect.Str(r.Inputs, "metadata", "labels", "environment"), r.Name)
	}
}

func TestNamespaceOutputsCarryDependency(t *testing.T) {
	m := mockcloud.New("dataplatform", "prod", false)
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
	sec := inspect.MustNamed(t, m, secretType, "store-dremio-credentials")
	assert.Equal(t, "dataplatform", inspect.Str(sec.Inputs, "metadata", "namespace"))
	assert.True(t, m.DependsOn(sec, inspect.MustNamed(t, m, "kubernetes:core/v1:Namespace", "apps")), "the Secret waits for its namespace")
	other := inspect.MustNamed(t, m, secretType, "store-postgres-backup-credentials")
	assert.Equal(t, dataNS, inspect.Str(other.Inputs, "metadata", "namespace"), "namespaces not in NamespaceOutputs are used as given")
}

// TestPreview runs the prod store as `pulumi preview` does: the only failure allowed is the mock
// monitor's on unknown secrets, and everything that does not carry a generated secret is registered
// with its settings.
func TestPreview(t *testing.T) {
	m, _, err := run(t, true, envArgs(config.Prod))
	if err != nil {
		require.Contains(t, err.Error(), inspect.MockSecretLimitation, "no other failure in a preview")
	}
	require.Len(t, m.ByType(ObjectStoreType), 1)
	hl := inspect.MustNamed(t, m, svcType, "store-headless")
	assert.True(t, inspect.At(hl.Inputs, "spec", "publishNotReadyAddresses").BoolValue())
	inspect.MustNamed(t, m, svcType, "store-service")
	assert.Equal(t, float64(1), inspect.Num(inspect.MustNamed(t, m, pdbType, "store-pdb").Inputs, "spec", "maxUnavailable"))
	assert.Equal(t, float64(9000), inspect.Num(inspect.MustNamed(t, m, npType, "store-allow-clients").Inputs, "spec", "ingress", 0, "ports", 0, "port"))
	assert.Contains(t, inspect.Str(inspect.MustNamed(t, m, cmType, "store-setup").Inputs, "data", "setup.sh"), "mc mb --ignore-existing minio/backups")
	for _, n := range []string{"store-ca-key", "store-server-key"} {
		k := inspect.MustNamed(t, m, "tls:index/privateKey:PrivateKey", n)
		assert.Equal(t, "ECDSA", inspect.Str(k.Inputs, "algorithm"))
	}
}
