package adls

import (
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	tDiag     = "azure-native:insights:DiagnosticSetting"
	workspace = sub + "/resourceGroups/rg-dataplatform-prod/providers/Microsoft.OperationalInsights/workspaces/aks-logs"
)

// fullArgs has every optional writer of an account: lifecycle, lock, diagnostics, and (static
// credential) the keyed account.
func fullArgs() *ObjectStoreArgs {
	a := staticArgs()
	a.LogAnalyticsWorkspaceID = pulumi.String(workspace)
	a.Protect = true
	return a
}

// writers returns the resources whose creation writes to the account: everything that names it in
// its inputs, except identities' role assignments (authorization, not storage).
func writers(m *mockcloud.Mocks, account *mockcloud.Resource) []*mockcloud.Resource {
	var out []*mockcloud.Resource
	for _, r := range m.Resources() {
		if r == account || r.Type == tRA || r.Type == tZoneGroup {
			continue
		}
		for _, urns := range r.PropertyDependencies {
			if contains2(urns, account.URN) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

func contains2(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// The blob service settings, containers, lifecycle policy, private endpoints, diagnostic setting
// and lock of one account are written one after the other: every pair is ordered in the graph, so
// the storage provider never sees two writes at once (StorageAccountOperationInProgress).
func TestWritesToAnAccountAreSerialised(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, fullArgs())
		for _, acct := range m.ByType(tAccount) {
			ws := writers(m, acct)
			types := map[string]bool{}
			for _, w := range ws {
				types[w.Type] = true
			}
			// The main account has all of them; the keyed one has no dfs endpoint but the same kinds.
			for _, typ := range []string{tBlobSvc, tContainer, tPE, tDiag, tLock} {
				assert.True(t, types[typ], "%s: no %s writes to it", acct.Name, typ)
			}
			for i, a := range ws {
				for _, b := range ws[i+1:] {
					assert.True(t, m.DependsOn(a, b) || m.DependsOn(b, a),
						"%s: %s and %s write to the account in parallel", acct.Name, a.Name, b.Name)
				}
			}
			// The blob service settings come first, right after the account.
			svc := inspect.MustNamed(t, m, tBlobSvc, acct.Name[:len(acct.Name)-len("account")]+"blob-service")
			for _, w := range ws {
				if w != svc {
					assert.True(t, m.DependsOn(w, svc), "%s is written before the blob service settings", w.Name)
				}
			}
		}
	})
}

// Only the accounts and their containers are protected; settings, endpoints, locks, identities,
// federations and role assignments stay replaceable in prod.
func TestProtectsOnlyAccountsAndContainers(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		for _, protect := range []bool{true, false} {
			a := fullArgs()
			a.Protect = protect
			m, _ := deploy(t, preview, a)
			protected := inspect.Protected(m)
			if !protect {
				assert.Empty(t, protected)
				continue
			}
			want := []string{}
			for _, r := range append(m.ByType(tAccount), m.ByType(tContainer)...) {
				want = append(want, r.Type+" "+r.Name)
			}
			sort.Strings(want)
			require.Len(t, m.ByType(tAccount), 2)
			assert.Equal(t, want, protected)
			assert.NotEmpty(t, m.ByType(tUAI))
		}
	})
}

func TestBlobDiagnostics(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m, _ := deploy(t, preview, fullArgs())
		acct := inspect.MustNamed(t, m, tAccount, "object-store-account")
		d := inspect.MustNamed(t, m, tDiag, "object-store-diagnostics")
		assert.Equal(t, workspace, inspect.RequireStr(t, d.Inputs, "workspaceId"))
		assert.True(t, inspect.DependsOnInput(d, "resourceUri", acct))
		if !preview {
			assert.Equal(t, acct.ID+"/blobServices/default", inspect.RequireStr(t, d.Inputs, "resourceUri"))
		}
		var cats []string
		for _, l := range inspect.RequireAt(t, d.Inputs, "logs").ArrayValue() {
			cats = append(cats, inspect.RequireStr(t, l.ObjectValue(), "category"))
		}
		assert.Equal(t, []string{"StorageRead", "StorageWrite", "StorageDelete"}, cats)
		assert.Equal(t, "Transaction", inspect.RequireStr(t, inspect.RequireAt(t, d.Inputs, "metrics").ArrayValue()[0].ObjectValue(), "category"))
		inspect.MustNamed(t, m, tDiag, "object-store-keyed-diagnostics")

		// Without a workspace there is no diagnostic setting.
		m2, _ := deploy(t, preview, prodArgs())
		assert.Empty(t, m2.ByType(tDiag))
	})
}
