package logging

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	dsType     = "kubernetes:apps/v1:DaemonSet"
	jobType    = "kubernetes:batch/v1:Job"
	cmType     = "kubernetes:core/v1:ConfigMap"
	secretType = "kubernetes:core/v1:Secret"
	npType     = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
)

func testArgs() *Args {
	return &Args{
		NamespaceName: Namespace, DataNamespaceName: "dataplatform-data",
		RetentionDays: 30,
		LogNamespaces: []string{"dataplatform-apps", "dataplatform-data", "dataplatform-jobs"},
	}
}

// run creates the realm and the shipper the way the stacks do; mutate may break the arguments.
func run(t *testing.T, preview bool, mutate func(*Args)) (*mockcloud.Mocks, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		search, err := corev1.NewNamespace(ctx, "search", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("stand-in")}}, pulumi.Provider(k))
		if err != nil {
			return err
		}
		a := testArgs()
		a.Namespace, a.DataNamespace = pulumi.String(a.NamespaceName), pulumi.String(a.DataNamespaceName)
		realm, err := NewRealm(ctx, "logging-users", &RealmArgs{Namespace: a.Namespace, DataNamespace: a.DataNamespace, Protect: true}, pulumi.Provider(k))
		if err != nil {
			return err
		}
		a.Realm, a.Search, a.ClusterUID = realm, search, pulumi.String("uid-1")
		if mutate != nil {
			mutate(a)
		}
		_, err = New(ctx, "logging", a, pulumi.Provider(k))
		return err
	}, nil)
	return m, err
}

func fluentBitConf(t *testing.T, m *mockcloud.Mocks) string {
	cm := inspect.MustNamed(t, m, cmType, "logging-config")
	return inspect.Str(cm.Inputs, "data", "fluent-bit.conf")
}

// section returns the key → value pairs of the first [NAME] section of a classic config.
func section(conf, name string) map[string]string {
	out := map[string]string{}
	in := false
	for _, line := range strings.Split(conf, "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "[") {
			if in {
				break
			}
			in = l == "["+name+"]"
			continue
		}
		if in && l != "" {
			k, v, _ := strings.Cut(l, " ")
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// TestShipperConfig: the tail input reads only the platform's namespaces, the kubernetes filter adds
// metadata, and the es output writes create operations into the data stream as the writer, over TLS
// verified against ECK's CA and the Service name.
func TestShipperConfig(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		require.NoError(t, err)
		conf := fluentBitConf(t, m)
		in := section(conf, "INPUT")
		assert.Equal(t, "tail", in["Name"])
		assert.Equal(t, "/var/log/containers/*_dataplatform-apps_*.log,/var/log/containers/*_dataplatform-data_*.log,/var/log/containers/*_dataplatform-jobs_*.log", in["Path"])
		assert.Equal(t, "cri, docker", in["multiline.parser"])
		assert.Equal(t, "/var/lib/fluent-bit/tail.db", in["DB"])
		f := section(conf, "FILTER")
		assert.Equal(t, "kubernetes", f["Name"])
		assert.Equal(t, "Off", f["Merge_Log"])
		out := section(conf, "OUTPUT")
		assert.Equal(t, map[string]string{
			"Name": "es", "Match": "kube.*", "Host": "elasticsearch-es-http.dataplatform-data.svc", "Port": "9200",
			"Index": "logs-kubernetes.container_logs-platform", "Write_Operation": "create", "Suppress_Type_Name": "On",
			"Replace_Dots": "On", "HTTP_User": "${ES_USER}", "HTTP_Passwd": "${ES_PASSWORD}",
			"tls": "On", "tls.verify": "On", "tls.verify_hostname": "On", "tls.ca_file": "/es-ca/ca.crt",
			"Buffer_Size": "False", "Retry_Limit": "15", "storage.total_limit_size": "1G",
		}, out)
		svc := section(conf, "SERVICE")
		assert.Equal(t, "2020", svc["HTTP_Port"])
		assert.Equal(t, "On", svc["HTTP_Server"])
		ca := inspect.Str(inspect.MustNamed(t, m, cmType, "logging-config").Inputs, "data", "fetch-ca.sh")
		assert.Contains(t, ca, "/api/v1/namespaces/dataplatform-data/secrets/elasticsearch-es-http-certs-public")
	})
}

// TestDaemonSet: every Linux node (every taint tolerated, only the OS selected), requests and limits, the
// writer's credentials from its Secret, /var/log read-only, no privilege, the CA fetched first.
func TestDaemonSet(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		require.NoError(t, err)
		ds := inspect.MustNamed(t, m, dsType, "logging-daemonset")
		assert.Equal(t, Namespace, inspect.Str(ds.Inputs, "metadata", "namespace"))
		pod := inspect.Obj(inspect.At(ds.Inputs, "spec", "template", "spec"))
		require.Equal(t, 1, inspect.Len(pod, "tolerations"))
		assert.Equal(t, "Exists", inspect.Str(pod, "tolerations", 0, "operator"))
		assert.False(t, inspect.Has(pod, "tolerations", 0, "key"), "tolerates every taint")
		assert.Equal(t, map[string]any{"kubernetes.io/os": "linux"}, inspect.Plain(inspect.At(pod, "nodeSelector")), "every Linux node")
		c := inspect.Obj(inspect.At(pod, "containers", 0))
		assert.Equal(t, "cr.fluentbit.io/fluent/fluent-bit:5.1.1", inspect.Str(c, "image"))
		for _, k := range []string{"requests", "limits"} {
			assert.True(t, inspect.Has(c, "resources", k, "cpu"), k)
			assert.True(t, inspect.Has(c, "resources", k, "memory"), k)
		}
		assert.Equal(t, "ES_USER", inspect.Str(c, "env", 0, "name"))
		assert.Equal(t, "username", inspect.Str(c, "env", 0, "valueFrom", "secretKeyRef", "key"))
		assert.Equal(t, "password", inspect.Str(c, "env", 1, "valueFrom", "secretKeyRef", "key"))
		if !preview {
			assert.Equal(t, WriterSecret, inspect.Str(c, "env", 1, "valueFrom", "secretKeyRef", "name"))
			assert.Len(t, inspect.Str(ds.Inputs, "spec", "template", "metadata", "annotations", "dataplatform.io/config-sha256"), 64)
		}
		assert.Equal(t, "http", inspect.Str(c, "ports", 0, "name"))
		assert.Equal(t, float64(MetricsPort), inspect.Num(c, "ports", 0, "containerPort"))
		sc := inspect.Obj(inspect.At(c, "securityContext"))
		pe, _ := inspect.Bool(sc, "allowPrivilegeEscalation")
		ro, _ := inspect.Bool(sc, "readOnlyRootFilesystem")
		assert.False(t, pe)
		assert.True(t, ro)
		assert.Equal(t, []string{"ALL"}, inspect.Strs(sc, "capabilities", "drop"))
		assert.False(t, inspect.Has(sc, "privileged"))
		mounts := map[string]resource.PropertyMap{}
		for _, v := range inspect.Arr(inspect.At(c, "volumeMounts")) {
			mounts[inspect.Str(inspect.Obj(v), "name")] = inspect.Obj(v)
		}
		varlog, _ := inspect.Bool(mounts["varlog"], "readOnly")
		assert.True(t, varlog, "/var/log is read-only")
		hostPaths := map[string]string{}
		for _, v := range inspect.Arr(inspect.At(pod, "volumes")) {
			if p := inspect.Str(inspect.Obj(v), "hostPath", "path"); p != "" {
				hostPaths[inspect.Str(inspect.Obj(v), "name")] = p
			}
		}
		assert.Equal(t, map[string]string{"varlog": "/var/log", "dockercontainers": "/var/lib/docker/containers", "state": "/var/lib/fluent-bit"}, hostPaths)
		ic := inspect.Obj(inspect.At(pod, "initContainers", 0))
		assert.Equal(t, "fetch-ca", inspect.Str(ic, "name"))
		nonRoot, _ := inspect.Bool(ic, "securityContext", "runAsNonRoot")
		assert.True(t, nonRoot)
		// The shipper starts after the retention Job registered the template.
		job := inspect.MustNamed(t, m, jobType, "logging-retention")
		assert.Contains(t, ds.Dependencies, job.URN)
	})
}

// TestRealm: two users with the least privileges, written to the store's stand-in and materialized
// where they are read; the writer's role only creates documents in the data stream.
func TestRealm(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		require.NoError(t, err)
		roles := inspect.Str(inspect.MustNamed(t, m, secretType, "logging-users-roles").Inputs, "stringData", "roles.yml")
		assert.Contains(t, roles, WriterRole+`:
  indices:
    - names: ["logs-kubernetes.container_logs-*"]
      privileges: ["create_doc", "auto_configure"]
`)
		assert.Contains(t, roles, AdminRole+`:
  cluster: ["manage_index_templates", "monitor"]`)
		writerBlock, _, _ := strings.Cut(roles, AdminRole+":")
		assert.NotContains(t, writerBlock, "cluster", "the writer has no cluster privilege")
		for _, name := range []string{"logging-users-writer-realm", "logging-users-admin-realm"} {
			s := inspect.MustNamed(t, m, secretType, name)
			assert.Equal(t, "kubernetes.io/basic-auth", inspect.Str(s.Inputs, "type"), name)
			assert.Equal(t, "dataplatform-data", inspect.Str(s.Inputs, "metadata", "namespace"), name)
		}
		shipper := inspect.MustNamed(t, m, secretType, "logging-users-writer-shipper")
		assert.Equal(t, Namespace, inspect.Str(shipper.Inputs, "metadata", "namespace"))
		assert.False(t, inspect.HasKey(shipper.Inputs, "stringData", "roles"), "Fluent Bit's copy holds no roles")
		for _, p := range []string{"logging-users-writer-password", "logging-users-admin-password"} {
			assert.True(t, inspect.MustNamed(t, m, "random:index/randomPassword:RandomPassword", p).Protect, p)
		}
	})
}

// TestRetentionJob: the template's data stream lifecycle keeps RetentionDays, above the built-in
// logs template, the existing data stream's lifecycle is set too, as the admin, against ECK's CA.
func TestRetentionJob(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, nil)
		require.NoError(t, err)
		cm := inspect.MustNamed(t, m, cmType, "logging-retention-config")
		var tpl map[string]any
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(cm.Inputs, "data", "template.json")), &tpl))
		assert.Equal(t, []any{DataStreamPattern}, tpl["index_patterns"])
		assert.Equal(t, 200.0, tpl["priority"])
		assert.Equal(t, map[string]any{}, tpl["data_stream"])
		template := tpl["template"].(map[string]any)
		assert.Equal(t, map[string]any{"data_retention": "30d"}, template["lifecycle"])
		assert.NotContains(t, inspect.Str(cm.Inputs, "data", "template.json"), "index.lifecycle.name", "no ILM policy")
		assert.JSONEq(t, `{"data_retention": "30d"}`, inspect.Str(cm.Inputs, "data", "lifecycle.json"))
		sh := inspect.Str(cm.Inputs, "data", "register.sh")
		for _, want := range []string{
			`-X PUT "https://elasticsearch-es-http.dataplatform-data.svc:9200/_index_template/platform-logs"`,
			`PUT "https://elasticsearch-es-http.dataplatform-data.svc:9200/_data_stream/logs-kubernetes.container_logs-platform"`,
			`/_data_stream/logs-kubernetes.container_logs-platform/_lifecycle" --data-binary @/config/lifecycle.json`,
			"--cacert /es-ca/ca.crt", "--netrc-file /tmp/netrc",
		} {
			assert.Contains(t, sh, want)
		}
		job := inspect.MustNamed(t, m, jobType, "logging-retention")
		assert.Equal(t, "dataplatform-data", inspect.Str(job.Inputs, "metadata", "namespace"))
		assert.True(t, job.DeleteBeforeReplace)
		c := inspect.Obj(inspect.At(job.Inputs, "spec", "template", "spec", "containers", 0))
		if !preview {
			assert.Equal(t, AdminSecret, inspect.Str(c, "env", 0, "valueFrom", "secretKeyRef", "name"))
		}
		search := inspect.MustNamed(t, m, "kubernetes:core/v1:Namespace", "search")
		assert.Contains(t, job.Dependencies, search.URN, "the Job waits for Elasticsearch")
	})
}

// TestRetentionChangeReplacesJob: another retention is another pod template hash (the Job runs again).
func TestRetentionChangeReplacesJob(t *testing.T) {
	hash := func(days int) string {
		m, err := run(t, false, func(a *Args) { a.RetentionDays = days })
		require.NoError(t, err)
		j := inspect.MustNamed(t, m, jobType, "logging-retention")
		return inspect.Str(j.Inputs, "spec", "template", "metadata", "annotations", "dataplatform.io/config-sha256")
	}
	a, b := hash(30), hash(7)
	require.NotEmpty(t, a)
	assert.NotEqual(t, a, b)
}

// TestNetworkPolicies: the shipper's namespace denies all, then DNS, the API server and
// Elasticsearch's 9200; Elasticsearch admits the shipper on 9200.
func TestNetworkPolicies(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, func(a *Args) { a.APIServerCIDRs = []string{"10.0.0.1/32"} })
		require.NoError(t, err)
		deny := inspect.MustNamed(t, m, npType, "logging-logging-default-deny")
		assert.ElementsMatch(t, []string{"Ingress", "Egress"}, inspect.Strs(deny.Inputs, "spec", "policyTypes"))
		api := inspect.MustNamed(t, m, npType, "logging-logging-allow-kube-api")
		assert.Equal(t, "10.0.0.1/32", inspect.Str(api.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "cidr"))
		es := inspect.MustNamed(t, m, npType, "logging-logging-allow-elasticsearch")
		assert.Equal(t, 9200.0, inspect.Num(es.Inputs, "spec", "egress", 0, "ports", 0, "port"))
		assert.Equal(t, "dataplatform-data", inspect.Str(es.Inputs, "spec", "egress", 0, "to", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		in := inspect.MustNamed(t, m, npType, "logging-elasticsearch-allow-logging")
		assert.Equal(t, "dataplatform-data", inspect.Str(in.Inputs, "metadata", "namespace"))
		assert.Equal(t, Namespace, inspect.Str(in.Inputs, "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
		assert.Equal(t, 9200.0, inspect.Num(in.Inputs, "spec", "ingress", 0, "ports", 0, "port"))
		var n int
		for _, r := range m.Resources() {
			if r.Type == npType {
				n++
			}
		}
		assert.Equal(t, 5, n)
	})
}

// TestRefusesBadArgs: each missing or bad input is an error before any resource is registered.
func TestRefusesBadArgs(t *testing.T) {
	for want, mutate := range map[string]func(*Args){
		"RetentionDays":       func(a *Args) { a.RetentionDays = 0 },
		"LogNamespaces":       func(a *Args) { a.LogNamespaces = nil },
		"not a namespace":     func(a *Args) { a.LogNamespaces = []string{"Apps"} },
		"must not be":         func(a *Args) { a.NamespaceName = a.DataNamespaceName },
		"Realm is required":   func(a *Args) { a.Realm = nil },
		"Search and":          func(a *Args) { a.Search = nil },
		"DataNamespaceName (": func(a *Args) { a.DataNamespaceName = "" },
	} {
		m, err := run(t, false, mutate)
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
		assert.False(t, slices.ContainsFunc(m.Resources(), func(r *mockcloud.Resource) bool { return r.Type == Type }), want)
	}
}

// TestMetricsTarget: a valid scrape target on the pods' http port and Fluent Bit's Prometheus path.
func TestMetricsTarget(t *testing.T) {
	tg := MetricsTarget(Namespace)
	require.NoError(t, observability.Spec{Targets: []observability.ScrapeTarget{tg}}.Validate())
	assert.Equal(t, "/api/v2/metrics/prometheus", tg.Path)
	assert.Equal(t, Selector(), tg.Selector)
	assert.Equal(t, 2020, tg.PortNumber)
	for _, m := range tg.Metrics {
		assert.True(t, strings.HasPrefix(m.Name, "fluentbit_"), m.Name)
	}
}
