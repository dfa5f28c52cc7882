package tests

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/stacks"
)

// azureGlobalNames are the Azure names unique across every customer, with the rule each must meet.
var azureGlobalNames = []struct {
	typ, input string
	rule       *regexp.Regexp
}{
	{"azure-native:storage:StorageAccount", "accountName", regexp.MustCompile(`^[a-z0-9]{3,24}$`)},
	{"azure-native:dbforpostgresql/v20230601preview:Server", "serverName", regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)},
	{"azure-native:containerregistry:Registry", "registryName", regexp.MustCompile(`^[a-zA-Z0-9]{5,50}$`)},
	{"azure-native:keyvault:Vault", "vaultName", regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$`)},
}

func azurePlan(t *testing.T, stack, account string, preview bool, extra ...string) *planner.Result {
	t.Helper()
	res, err := planner.Plan(stacks.Run, planner.Options{
		Dir: "..", Stack: stack, Preview: preview, Account: account, Sets: append(TargetSets(stack, "azure"), extra...),
	})
	if err != nil {
		t.Fatalf("plan %s/azure in %s: %v", stack, account, err)
	}
	return res
}

func azureNames(t *testing.T, r *planner.Result) []string {
	t.Helper()
	var out []string
	for _, n := range azureGlobalNames {
		found := 0
		for _, res := range r.Resources {
			if res.Type != n.typ {
				continue
			}
			v := res.Inputs[resource.PropertyKey(n.input)]
			if !v.IsString() || !n.rule.MatchString(v.StringValue()) {
				t.Errorf("%s %s = %v breaks its naming rule %s", n.typ, n.input, v, n.rule)
				continue
			}
			out = append(out, v.StringValue())
			found++
		}
		if found == 0 {
			t.Errorf("no %s in the plan", n.typ)
		}
	}
	return out
}

// Two subscriptions deploying the same stack get different global names; nameSuffix overrides the
// derived suffix in every one of them.
func TestAzureGlobalNamesPerSubscription(t *testing.T) {
	const subA, subB = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
	for _, stack := range Stacks {
		for _, preview := range []bool{false, true} {
			t.Run(stack+"/"+mode(preview), func(t *testing.T) {
				a := azureNames(t, azurePlan(t, stack, subA, preview))
				b := azureNames(t, azurePlan(t, stack, subB, preview))
				for _, n := range a {
					if contains(b, n) {
						t.Errorf("%s is the same in two subscriptions", n)
					}
				}
				oa := azureNames(t, azurePlan(t, stack, subA, preview, "dataplatform:nameSuffix=zz99"))
				ob := azureNames(t, azurePlan(t, stack, subB, preview, "dataplatform:nameSuffix=zz99"))
				sort.Strings(oa)
				sort.Strings(ob)
				if strings.Join(oa, ",") != strings.Join(ob, ",") {
					t.Errorf("with nameSuffix the names still depend on the subscription: %v / %v", oa, ob)
				}
				// Every name ends with the suffix but the keyed storage account's, which is derived
				// from the main account's name (adls.KeyedAccountName).
				suffixed := 0
				for _, n := range oa {
					if strings.HasSuffix(n, "zz99") {
						suffixed++
					}
				}
				if suffixed < len(azureGlobalNames) {
					t.Errorf("nameSuffix missing from %v", oa)
				}
			})
		}
	}
}

// In prod exactly the stateful Azure leaves are protected; outside prod no Azure resource is.
func TestAzureProtectedSet(t *testing.T) {
	want := []string{
		"azure-native:containerregistry:Registry",
		"azure-native:containerservice/v20240901:ManagedCluster",
		"azure-native:dbforpostgresql/v20230601preview:Server",
		"azure-native:keyvault:Key",
		"azure-native:keyvault:Vault",
		"azure-native:network:VirtualNetwork",
		// The edge's DNS zone: its name servers are delegated from the parent zone, and a new zone gets new ones.
		"azure-native:network:Zone",
		"azure-native:resources:ResourceGroup",
		"azure-native:storage:BlobContainer",
		"azure-native:storage:StorageAccount",
		"random:index/randomPassword:RandomPassword",
	}
	for _, stack := range Stacks {
		for _, preview := range []bool{false, true} {
			t.Run(stack+"/"+mode(preview), func(t *testing.T) {
				r := azurePlan(t, stack, "", preview)
				set := map[string]bool{}
				for _, res := range r.Resources {
					if res.Protect && (strings.HasPrefix(res.Type, "azure-native:") || strings.Contains(res.URN, "dataplatform:azure:MetadataDB")) {
						set[res.Type] = true
					}
				}
				var got []string
				for typ := range set {
					got = append(got, typ)
				}
				sort.Strings(got)
				if stack != "prod" {
					if len(got) > 0 {
						t.Errorf("protected outside prod: %v", got)
					}
					return
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("protected types:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			})
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
