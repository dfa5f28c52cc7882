package elasticsearch

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const azureClientID = "00000000-1111-4222-8333-444444444444"

// adlsStore is what package adls hands out for Elasticsearch: the client ID annotation, the webhook's
// pod label, and Ready (the federation and the prefix-scoped grant; stand-ins here, created by
// readyMarkers in the same program).
func adlsStore(ready ...pulumi.Resource) func() objectstore.Info {
	return func() objectstore.Info {
		return objectstore.Info{
			Kind:        objectstore.ADLS,
			Region:      "swedencentral",
			Endpoint:    pulumi.String("https://dpdevlake.dfs.core.windows.net").ToStringOutput(),
			Account:     pulumi.String("dpdevlake").ToStringOutput(),
			BucketNames: map[objectstore.Bucket]pulumi.StringOutput{objectstore.Backups: pulumi.String("backups").ToStringOutput()},
			Identities: map[string]objectstore.Identity{"elasticsearch": {
				ServiceAccountAnnotations: pulumi.StringMap{"azure.workload.identity/client-id": pulumi.String(azureClientID)}.ToStringMapOutput(),
				PodLabels:                 map[string]string{"azure.workload.identity/use": "true"},
				Principal:                 pulumi.String(azureClientID).ToStringOutput(),
				CredentialsSecret:         pulumi.String("").ToStringOutput(),
				Ready:                     ready,
			}},
		}
	}
}

// TestADLSSnapshots: on ADLS the nodes run as the elasticsearch ServiceAccount carrying the client
// ID, with the webhook's label on their pods; the federated token is projected (audience
// api://AzureADTokenExchange) under config/azure/tokens and AZURE_FEDERATED_TOKEN_FILE points there;
// the keystore holds the account name and no key or SAS token; no S3 client or trust store; the
// repository is azure on the backups container under the prefix through client default; egress is
// HTTPS anywhere but the metadata address, nothing else.
func TestADLSSnapshots(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := runWith(t, preview, devArgs(), adlsStore())
		require.NoError(t, err)
		sa := inspect.MustNamed(t, m, "kubernetes:core/v1:ServiceAccount", "search-serviceaccount")
		assert.Equal(t, ServiceAccountName, inspect.Str(sa.Inputs, "metadata", "name"))
		if !preview {
			assert.Equal(t, azureClientID, inspect.Str(sa.Inputs, "metadata", "annotations", "azure.workload.identity/client-id"))
		}

		es := inspect.MustNamed(t, m, esType, "search-cluster")
		for _, v := range inspect.Arr(inspect.At(es.Inputs, "spec", "nodeSets")) {
			n := inspect.Obj(v)
			assert.Equal(t, "true", inspect.Str(n, "podTemplate", "metadata", "labels", "azure.workload.identity/use"))
			ps := inspect.Obj(inspect.At(n, "podTemplate", "spec"))
			assert.Equal(t, ServiceAccountName, inspect.Str(ps, "serviceAccountName"))
			assert.False(t, inspect.Has(ps, "initContainers"), "no MinIO trust store")
			for k := range inspect.Obj(inspect.At(n, "config")) {
				assert.NotContains(t, string(k), "s3.", "S3 client setting %s on ADLS", k)
			}
			c := inspect.Obj(inspect.At(ps, "containers", 0))
			require.Len(t, inspect.Arr(inspect.At(c, "env")), 1, "the webhook adds AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_AUTHORITY_HOST")
			assert.Equal(t, "AZURE_FEDERATED_TOKEN_FILE", inspect.Str(c, "env", 0, "name"))
			assert.Equal(t, "/usr/share/elasticsearch/config/azure/tokens/azure-identity-token", inspect.Str(c, "env", 0, "value"))
			assert.Equal(t, "azure-identity-token", inspect.Str(c, "volumeMounts", 0, "name"))
			assert.Equal(t, "/usr/share/elasticsearch/config/azure/tokens", inspect.Str(c, "volumeMounts", 0, "mountPath"))
			ro, _ := inspect.Bool(inspect.Obj(inspect.At(c, "volumeMounts", 0)), "readOnly")
			assert.True(t, ro)
			vol := inspect.Obj(inspect.At(ps, "volumes", 0))
			assert.Equal(t, "azure-identity-token", inspect.Str(vol, "name"))
			tok := inspect.Obj(inspect.At(vol, "projected", "sources", 0, "serviceAccountToken"))
			assert.Equal(t, "api://AzureADTokenExchange", inspect.Str(tok, "audience"))
			assert.Equal(t, "azure-identity-token", inspect.Str(tok, "path"))
			assert.Equal(t, 3600.0, inspect.Num(tok, "expirationSeconds"))
		}

		// The keystore: the account name only, from the component's Secret.
		ss := inspect.Arr(inspect.At(es.Inputs, "spec", "secureSettings"))
		require.Len(t, ss, 1)
		entries := inspect.Arr(inspect.At(inspect.Obj(ss[0]), "entries"))
		require.Len(t, entries, 1)
		assert.Equal(t, "azure.client.default.account", inspect.Str(inspect.Obj(entries[0]), "key"))
		sec := inspect.MustNamed(t, m, "kubernetes:core/v1:Secret", "search-azure-client")
		assert.Contains(t, es.Dependencies, sec.URN)
		if !preview {
			assert.Equal(t, "elasticsearch-azure-client", inspect.Str(inspect.Obj(ss[0]), "secretName"))
			data := inspect.Obj(inspect.At(sec.Inputs, "stringData"))
			assert.Len(t, data, 1, "no azure.client.default.key or sas_token: DefaultAzureCredential")
			assert.Equal(t, "dpdevlake", inspect.Str(data, "azure.client.default.account"))
		}

		eg := inspect.MustNamed(t, m, npType, "search-elasticsearch-objectstore-egress")
		require.Len(t, inspect.Arr(inspect.At(eg.Inputs, "spec", "egress")), 1)
		assert.Equal(t, "0.0.0.0/0", inspect.Str(eg.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, []string{"169.254.169.254/32"}, inspect.Strs(eg.Inputs, "spec", "egress", 0, "to", 0, "ipBlock", "except"))
		assert.Equal(t, 443.0, inspect.Num(eg.Inputs, "spec", "egress", 0, "ports", 0, "port"))

		// Kibana has no identity.
		kb := inspect.MustNamed(t, m, kbType, "search-kibana")
		assert.False(t, inspect.Has(kb.Inputs, "spec", "podTemplate", "metadata", "labels", "azure.workload.identity/use"))
		if preview {
			return
		}
		cm := inspect.MustNamed(t, m, "kubernetes:core/v1:ConfigMap", "search-snapshot-config")
		assertRepository(t, cm, "azure", map[string]string{"container": "backups", "base_path": "elasticsearch", "client": "default"})
	})
}

// TestADLSWaitsForGrant: the Elasticsearch resource depends on what the store lists in the
// identity's Ready (on ADLS the federated credential and the prefix-scoped role assignment), so the
// nodes exchange their token and verify the repository only once both exist.
func TestADLSWaitsForGrant(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		var ready []pulumi.Resource
		m, err := runWithSetup(t, preview, prodArgs(), func(ctx *pulumi.Context) (func() objectstore.Info, error) {
			for _, n := range []string{"federation", "grant"} {
				r, err := random.NewRandomId(ctx, n, &random.RandomIdArgs{ByteLength: pulumi.Int(4)})
				if err != nil {
					return nil, err
				}
				ready = append(ready, r)
			}
			return adlsStore(ready...), nil
		})
		require.NoError(t, err)
		es := inspect.MustNamed(t, m, esType, "search-cluster")
		for _, n := range []string{"federation", "grant"} {
			assert.Contains(t, es.Dependencies, inspect.MustNamed(t, m, "random:index/randomId:RandomId", n).URN, n)
		}
	})
}

// runWithSetup is runWith with a store built inside the program (from resources it creates).
func runWithSetup(t *testing.T, preview bool, a *Args, setup func(ctx *pulumi.Context) (func() objectstore.Info, error)) (*mockcloud.Mocks, error) {
	m := mockcloud.New("dataplatform", "dev", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		op, err := corev1.NewNamespace(ctx, "operator", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("elastic-system")}}, pulumi.Provider(k))
		if err != nil {
			return err
		}
		store, err := setup(ctx)
		if err != nil {
			return err
		}
		a.Operator = op
		a.Namespace = pulumi.String(a.NamespaceName)
		a.Snapshots.Store = store()
		_, err = New(ctx, "search", a, pulumi.Provider(k))
		return err
	}, nil)
	return m, err
}
