package externaldns

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

func awsArgs() *Args {
	return &Args{
		Provider: AWS, Domain: "data.example.com", OwnerID: "dataplatform-prod",
		Sources:   []Source{HTTPRoute, GRPCRoute, TLSRoute},
		AWSZoneID: pulumi.String("Z0123456789ABC"), AWSRegion: "eu-north-1",
		Scheduling: cluster.Scheduling{Tolerations: []cluster.Toleration{{Key: "dataplatform.io/pool", Operator: "Exists", Effect: "NoSchedule"}}},
	}
}

func azureArgs() *Args {
	return &Args{
		Provider: Azure, Domain: "data.example.com", OwnerID: "dataplatform-prod", Sources: []Source{HTTPRoute},
		Azure: &AzureDNS{
			TenantID: "11111111-2222-3333-4444-555555555555", SubscriptionID: "66666666-7777-8888-9999-000000000000",
			ResourceGroup: pulumi.String("dns-rg"), ClientID: pulumi.String("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
		},
	}
}

func run(t *testing.T, preview bool, a *Args) (*mockcloud.Mocks, error) {
	m := mockcloud.New("dataplatform", "prod", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		_, err = New(ctx, "external-dns", a, pulumi.Provider(k))
		return err
	}, nil)
	return m, err
}

// TestRoute53: the chart is pinned, syncs only this stack's records in the stack's zone from the
// Gateway route kinds whose v1 API it reads, and its pod reaches only DNS, HTTPS and the Pod Identity
// agent.
func TestRoute53(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, awsArgs())
		require.NoError(t, err)
		c := inspect.MustNamed(t, m, "kubernetes:helm.sh/v4:Chart", "external-dns-chart")
		assert.Equal(t, ChartVersion, inspect.Str(c.Inputs, "version"))
		assert.Equal(t, ChartRepo, inspect.Str(c.Inputs, "repositoryOpts", "repo"))
		v := func(path ...any) string { return inspect.Str(c.Inputs, append([]any{"values"}, path...)...) }
		assert.Equal(t, "sync", v("policy"))
		assert.Equal(t, "dataplatform-prod", v("txtOwnerId"))
		assert.Equal(t, "aws", v("provider", "name"))
		assert.Equal(t, ImageTag, v("image", "tag"))
		assert.Equal(t, ServiceAccount, v("serviceAccount", "name"))
		assert.Equal(t, []string{"gateway-httproute", "gateway-grpcroute", "gateway-tlsroute"}, inspect.Strs(c.Inputs, "values", "sources"))
		assert.Equal(t, []string{"data.example.com"}, inspect.Strs(c.Inputs, "values", "domainFilters"))
		assert.Equal(t, 1.0, inspect.Num(c.Inputs, "values", "replicaCount"))
		assert.Equal(t, "200m", v("resources", "limits", "cpu"))
		assert.Equal(t, "dataplatform.io/pool", v("tolerations", 0, "key"))
		if !preview {
			assert.Equal(t, "Z0123456789ABC", v("extraArgs", "zone-id-filter"))
		}
		assert.Equal(t, "AWS_DEFAULT_REGION", v("env", 0, "name"))

		np := inspect.MustNamed(t, m, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "external-dns-network-policy")
		assert.Equal(t, []string{"Ingress", "Egress"}, inspect.Strs(np.Inputs, "spec", "policyTypes"))
		assert.Zero(t, inspect.Len(np.Inputs, "spec", "ingress"))
		assert.Equal(t, 3, inspect.Len(np.Inputs, "spec", "egress"))
		assert.Equal(t, []string{"169.254.169.254/32"}, inspect.Strs(np.Inputs, "spec", "egress", 1, "to", 0, "ipBlock", "except"))
		assert.Equal(t, "169.254.170.23/32", inspect.Str(np.Inputs, "spec", "egress", 2, "to", 0, "ipBlock", "cidr"))
		assert.True(t, m.DependsOn(c, np), "the chart's pod starts after its network policy")
		ns := inspect.MustNamed(t, m, "kubernetes:core/v1:Namespace", "external-dns-namespace")
		assert.Equal(t, "restricted", inspect.Str(ns.Inputs, "metadata", "labels", "pod-security.kubernetes.io/enforce"))
		assert.Empty(t, inspect.Protected(m))
	})
}

// TestAzureDNS: workload identity as the external-dns Azure tutorial sets it up, with azure.json in
// a ConfigMap (no credential in it) mounted where the provider reads it.
func TestAzureDNS(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := run(t, preview, azureArgs())
		require.NoError(t, err)
		c := inspect.MustNamed(t, m, "kubernetes:helm.sh/v4:Chart", "external-dns-chart")
		v := func(path ...any) string { return inspect.Str(c.Inputs, append([]any{"values"}, path...)...) }
		assert.Equal(t, "azure", v("provider", "name"))
		assert.Equal(t, "true", v("podLabels", "azure.workload.identity/use"))
		assert.Equal(t, "true", v("serviceAccount", "labels", "azure.workload.identity/use"))
		assert.Equal(t, "/etc/kubernetes", v("extraVolumeMounts", 0, "mountPath"))
		assert.Equal(t, azureConfigName, v("extraVolumes", 0, "configMap", "name"))
		assert.Empty(t, m.ByType("kubernetes:core/v1:Secret"))
		if preview {
			return
		}
		assert.Equal(t, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", v("serviceAccount", "annotations", "azure.workload.identity/client-id"))
		cm := inspect.MustNamed(t, m, "kubernetes:core/v1:ConfigMap", "external-dns-azure-config")
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(cm.Inputs, "data", "azure.json")), &doc))
		assert.Equal(t, map[string]any{
			"tenantId": "11111111-2222-3333-4444-555555555555", "subscriptionId": "66666666-7777-8888-9999-000000000000",
			"resourceGroup": "dns-rg", "useWorkloadIdentityExtension": true,
		}, doc)
		np := inspect.MustNamed(t, m, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "external-dns-network-policy")
		assert.Equal(t, 2, inspect.Len(np.Inputs, "spec", "egress"), "no Pod Identity agent off AWS")
	})
}

// TestDomainFilters: a zone named a parent of the domain is a further --domain-filter, or the Azure
// provider drops the zone (external-dns@v0.23.0 provider/azure/azure.go zones(): DomainFilter.Match(zone.Name)).
func TestDomainFilters(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := azureArgs()
		a.Domains = []string{"example.com", "data.example.com"}
		m, err := run(t, preview, a)
		require.NoError(t, err)
		c := inspect.MustNamed(t, m, "kubernetes:helm.sh/v4:Chart", "external-dns-chart")
		assert.Equal(t, []string{"data.example.com", "example.com"}, inspect.Strs(c.Inputs, "values", "domainFilters"))
	})
}

// TestValidation: bad input is refused before anything is registered.
func TestValidation(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(*Args)
		want   string
	}{
		"provider":     {func(a *Args) { a.Provider = "google" }, `Provider "google"`},
		"domain":       {func(a *Args) { a.Domain = "" }, "Domain is required"},
		"owner":        {func(a *Args) { a.OwnerID = "Data Platform" }, "OwnerID"},
		"domain case":  {func(a *Args) { a.Domain = "Data.Example.com" }, `Domain "Data.Example.com"`},
		"domains":      {func(a *Args) { a.Domains = []string{"example.com", "bad_name.com"} }, `Domains entry "bad_name.com"`},
		"no sources":   {func(a *Args) { a.Sources = nil }, "no Sources"},
		"tcproute":     {func(a *Args) { a.Sources = []Source{"gateway-tcproute"} }, `source "gateway-tcproute"`},
		"aws zone":     {func(a *Args) { a.AWSZoneID = nil }, "AWSZoneID"},
		"azure fields": {func(a *Args) { a.Provider = Azure }, "Azure.TenantID"},
	} {
		t.Run(name, func(t *testing.T) {
			a := awsArgs()
			c.mutate(a)
			m, err := run(t, false, a)
			require.ErrorContains(t, err, c.want)
			assert.Empty(t, m.ByType("kubernetes:helm.sh/v4:Chart"))
		})
	}
}
