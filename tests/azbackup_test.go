package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/observability/azmon/backupprobe"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestAzureBackupProbe (issue 12, failed or missing backups on azure): every azure plan runs the
// Flexible Server backup probe — a managed identity federated with the probe's ServiceAccount on the
// AKS OIDC issuer, Reader on the server's ID only, the probe's Deployment in the apps namespace
// starting after both, scraped by the in-cluster Prometheus on its port only — and the in-cluster
// rules carry PostgresBackupMissing and PostgresBackupProbeDown with their azure runbook sections.
func TestAzureBackupProbe(t *testing.T) {
	for _, stack := range Stacks {
		for _, preview := range []bool{false, true} {
			stack, preview := stack, preview
			t.Run(fmt.Sprintf("%s/%s", stack, mode(preview)), func(t *testing.T) {
				r := plan(t, stack, "azure", preview)
				if n := len(resourcesOf(r, backupprobe.Type)); n != 1 {
					t.Fatalf("%d backup probes on azure/%s; want 1", n, stack)
				}
				apps := r.Platform.Network.Namespaces.Apps
				mc := inspect.One(t, r.Mocks, "azure-native:containerservice/v20240901:ManagedCluster")
				server := inspect.One(t, r.Mocks, "azure-native:dbforpostgresql/v20230601preview:Server")
				id := named(t, r, "azure-native:managedidentity:UserAssignedIdentity", "pg-backup-probe-identity")
				fic := named(t, r, "azure-native:managedidentity:FederatedIdentityCredential", "pg-backup-probe-federation")
				ra := named(t, r, "azure-native:authorization:RoleAssignment", "pg-backup-probe-server-reader")
				if !inspect.DependsOnInput(fic, "issuer", mc) {
					t.Errorf("the federated credential's issuer is not the AKS cluster's OIDC issuer output")
				}
				if !inspect.DependsOnInput(fic, "resourceName", id) || !inspect.DependsOnInput(ra, "principalId", id) {
					t.Errorf("the federation and the grant are not the probe identity's")
				}
				if got, want := inspect.Str(fic.Inputs, "subject"), "system:serviceaccount:"+apps+":pg-backup-probe"; got != want {
					t.Errorf("federated subject %q; want %q", got, want)
				}
				if got := inspect.Strs(fic.Inputs, "audiences"); len(got) != 1 || got[0] != "api://AzureADTokenExchange" {
					t.Errorf("audiences %v; want [api://AzureADTokenExchange]", got)
				}
				if !inspect.DependsOnInput(ra, "scope", server) {
					t.Errorf("the Reader grant's scope is not the Flexible Server's ID")
				}
				if !preview {
					if got := inspect.Str(fic.Inputs, "issuer"); !strings.HasPrefix(got, "https://") {
						t.Errorf("issuer %q; want the cluster's https issuer URL", got)
					}
					if got := inspect.Str(ra.Inputs, "scope"); got != server.ID {
						t.Errorf("Reader scope %q; want the server %q only", got, server.ID)
					}
					if got := inspect.Str(ra.Inputs, "roleDefinitionId"); !strings.HasSuffix(got, "/providers/Microsoft.Authorization/roleDefinitions/"+backupprobe.ReaderRole) {
						t.Errorf("role %q; want Reader", got)
					}
				}

				dep := named(t, r, "kubernetes:apps/v1:Deployment", "pg-backup-probe-runtime")
				if got := inspect.Str(dep.Inputs, "metadata", "namespace"); got != apps {
					t.Errorf("probe in %q; want the apps namespace %q", got, apps)
				}
				for _, on := range []*mockcloud.Resource{fic, ra} {
					if !r.Mocks.DependsOn(dep, on) {
						t.Errorf("the probe starts before %s", on.Name)
					}
				}
				pod := inspect.Obj(inspect.At(dep.Inputs, "spec", "template"))
				if inspect.Str(pod, "metadata", "labels", backupprobe.UseLabel) != "true" {
					t.Errorf("pod not labelled %s", backupprobe.UseLabel)
				}
				sa := named(t, r, "kubernetes:core/v1:ServiceAccount", "pg-backup-probe-runtime")
				if !inspect.DependsOnInput(sa, "metadata", id) {
					t.Errorf("the ServiceAccount's client-id annotation is not the probe identity's")
				}

				pm := named(t, r, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "monitoring-pg-backup-probe-podmonitor")
				if got := inspect.Str(pm.Inputs, "metadata", "namespace"); got != apps {
					t.Errorf("PodMonitor in %q; want %q", got, apps)
				}
				np := named(t, r, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "monitoring-pg-backup-probe-allow-prometheus")
				if got := inspect.Num(np.Inputs, "spec", "ingress", 0, "ports", 0, "port"); got != backupprobe.Port {
					t.Errorf("Prometheus admitted on %v; want %d", got, backupprobe.Port)
				}

				rules := named(t, r, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules")
				found := map[string]string{}
				for _, g := range inspect.Arr(inspect.At(rules.Inputs, "spec", "groups")) {
					for _, rule := range inspect.Arr(inspect.At(inspect.Obj(g), "rules")) {
						o := inspect.Obj(rule)
						found[inspect.Str(o, "alert")] = inspect.Str(o, "annotations", "runbook_url") + " " + inspect.Str(o, "expr")
					}
				}
				for name, anchor := range map[string]string{"PostgresBackupMissing": "postgres-backup-missing", "PostgresBackupProbeDown": "postgres-backup-probe-down"} {
					got, ok := found[name]
					if !ok {
						t.Errorf("no %s rule on azure", name)
						continue
					}
					if !strings.Contains(got, "docs/runbook-alerts-azure.md#"+anchor+" ") || !strings.Contains(got, backupprobe.MetricPrefix) {
						t.Errorf("%s: %q; want the azure runbook's #%s and the probe's series", name, got, anchor)
					}
				}
			})
		}
	}
}
