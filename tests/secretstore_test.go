package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/secrets/awssm"
	"github.com/opendataplatform/dataplatform/components/secrets/azurekv"
	"github.com/opendataplatform/dataplatform/components/secrets/gcpsm"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	esoChartType = "kubernetes:helm.sh/v4:Chart"
	cloudCSSType = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
)

// cloudStore is what each cloud's store must show in a plan.
var cloudStore = map[string]struct {
	component, storeName, provider string
	// identity are the resources the operator's pods need when admitted: created before the chart.
	identity []string
	// stateful are protected in prod, and nothing else of the store.
	stateful []string
}{
	"aws": {awssm.StoreType, awssm.ClusterStoreName, "aws",
		[]string{"aws:eks/podIdentityAssociation:PodIdentityAssociation", "aws:iam/rolePolicy:RolePolicy"}, nil},
	"azure": {azurekv.StoreType, azurekv.ClusterStoreName, "azurekv",
		[]string{"azure-native:managedidentity:FederatedIdentityCredential", "azure-native:authorization:RoleAssignment", "azure-native:network:PrivateDnsZoneGroup"},
		[]string{"azure-native:keyvault:Vault"}},
	"gcp": {gcpsm.StoreType, gcpsm.ClusterStoreName, "gcpsm",
		[]string{"gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"},
		[]string{"gcp:kms/cryptoKey:CryptoKey", "gcp:kms/keyRing:KeyRing"}},
}

// TestCloudSecretStores: every cloud stack has its cloud's store, whose ClusterSecretStore is the one
// the platform's ExternalSecrets reference, admits the platform's namespaces only, waits for the
// operator, and whose identity exists before the operator starts; prod protects the store's keys and
// vault and nothing else of it.
func TestCloudSecretStores(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		want, ok := cloudStore[target]
		if !ok {
			for typ := range map[string]bool{awssm.StoreType: true, azurekv.StoreType: true, gcpsm.StoreType: true} {
				assert.Empty(t, resourcesOf(r, typ), "no cloud store on %s", target)
			}
			return
		}
		stores := resourcesOf(r, want.component)
		require.Len(t, stores, 1)
		store := stores[0]

		css := resourcesOf(r, cloudCSSType)
		require.Len(t, css, 1, "one ClusterSecretStore")
		assert.Equal(t, want.storeName, inspect.Str(css[0].Inputs, "metadata", "name"))
		provider := inspect.Obj(inspect.At(css[0].Inputs, "spec", "provider"))
		assert.Len(t, provider, 1)
		assert.True(t, inspect.Has(provider, want.provider), "spec.provider.%s", want.provider)
		n := r.Platform.Network.Namespaces
		admitted := []string{n.Apps, n.Data, n.Jobs}
		if target == "azure" && r.Platform.Observability.On() {
			admitted = append(admitted, "monitoring") // Grafana's admin and the receiver (obsazure_test.go)
		}
		if target == "aws" && r.Platform.Observability.On() {
			admitted = append(admitted, "monitoring") // Grafana's admin (awsgrafana_test.go)
		}
		assert.ElementsMatch(t, admitted, inspect.Strs(inspect.Obj(inspect.Arr(inspect.At(css[0].Inputs, "spec", "conditions"))[0]), "namespaces"))

		charts := resourcesOf(r, esoChartType)
		var operator *mockcloud.Resource
		for _, c := range charts {
			if inspect.Str(c.Inputs, "chart") == "external-secrets" {
				operator = c
			}
		}
		require.NotNil(t, operator, "the External Secrets Operator chart")
		assert.True(t, r.Mocks.DependsOn(css[0], operator), "the store waits for the operator's CRDs")
		for _, typ := range want.identity {
			ids := resourcesOf(r, typ)
			found := false
			for _, id := range ids {
				if id.Parent == store.URN {
					found = true
					assert.True(t, r.Mocks.DependsOn(operator, id), "%s exists before the operator", typ)
				}
			}
			assert.True(t, found, "%s under the store", typ)
		}

		var protected []string
		for _, res := range r.Resources {
			if res.Protect && res.Parent == store.URN {
				protected = append(protected, res.Type)
			}
		}
		if stack == "prod" {
			assert.ElementsMatch(t, want.stateful, protected)
		} else {
			assert.Empty(t, protected)
		}
		checkCloudStore(t, stack, target, preview, r, store)
	})
}

// checkCloudStore checks each cloud's own settings as the stack sets them.
func checkCloudStore(t *testing.T, stack, target string, preview bool, r *planner.Result, store *mockcloud.Resource) {
	base := r.Platform.Project + "-" + r.Platform.Stack
	switch target {
	case "aws":
		assert.Equal(t, base, inspect.Str(store.Inputs, "namePrefix"))
		window := 0.0
		if stack == "prod" {
			window = 30
		}
		assert.Equal(t, window, inspect.Num(store.Inputs, "recoveryWindowDays"))
		if !preview {
			for _, p := range resourcesOf(r, "aws:iam/rolePolicy:RolePolicy") {
				if p.Parent != store.URN {
					continue
				}
				var doc struct{ Statement []struct{ Resource []string } }
				require.NoError(t, json.Unmarshal([]byte(inspect.Str(p.Inputs, "policy")), &doc))
				assert.Equal(t, []string{fmt.Sprintf("arn:aws:secretsmanager:eu-north-1:%s:secret:%s/*", mockcloud.AWSAccountID, base)}, doc.Statement[0].Resource,
					"exactly the stack's secrets")
			}
		}
	case "azure":
		vault := resourcesOf(r, "azure-native:keyvault:Vault")
		var name string
		for _, v := range vault {
			if v.Parent == store.URN {
				name = inspect.Str(v.Inputs, "vaultName")
				p := inspect.Obj(inspect.At(v.Inputs, "properties"))
				assert.Equal(t, "Disabled", inspect.Str(p, "publicNetworkAccess"))
				_, purge := inspect.Bool(p, "enablePurgeProtection")
				assert.Equal(t, stack == "prod", purge)
			}
		}
		assert.True(t, strings.HasPrefix(name, "kvs-"), name)
		assert.LessOrEqual(t, len(name), 24)
		for _, v := range vault {
			if v.Parent != store.URN {
				assert.NotEqual(t, name, inspect.Str(v.Inputs, "vaultName"), "not the cluster's KMS vault's name")
			}
		}
	case "gcp":
		assert.Equal(t, "acme-data-"+stack, inspect.Str(store.Inputs, "project"))
		assert.Equal(t, "europe-north1", inspect.Str(store.Inputs, "region"))
	}
}

// storedCredential returns a credential the platform wrote to the target's store under the logical
// name, as the raw recorded value (to check it is a Pulumi secret) and its keys: the Kubernetes
// Secret of the in-cluster store, the Secrets Manager version, the Key Vault secret or the Secret
// Manager version, each holding the JSON object of the credential. In a preview whose value is
// unknown the keys are empty.
func storedCredential(t *testing.T, r *planner.Result, target, name string) (resource.PropertyValue, map[string]string) {
	t.Helper()
	var raw resource.PropertyValue
	switch target {
	case "aws":
		raw = named(t, r, "aws:secretsmanager/secretVersion:SecretVersion", name+"-value").Inputs["secretString"]
	case "azure":
		raw = named(t, r, "azure-native:keyvault:Secret", name).Inputs["properties"]
		if raw.IsObject() {
			raw = raw.ObjectValue()["value"]
		}
	case "gcp":
		raw = named(t, r, "gcp:secretmanager/secretVersion:SecretVersion", name+"-value").Inputs["secretData"]
	default:
		sec := named(t, r, "kubernetes:core/v1:Secret", name)
		out := map[string]string{}
		for k, v := range inspect.Obj(inspect.At(sec.Inputs, "stringData")) {
			out[string(k)] = inspect.Unwrap(v).StringValue()
		}
		return sec.Inputs["stringData"], out
	}
	out := map[string]string{}
	if v := inspect.Unwrap(raw); v.IsString() {
		require.NoError(t, json.Unmarshal([]byte(v.StringValue()), &out), "%s holds a JSON object", name)
	}
	return raw, out
}
