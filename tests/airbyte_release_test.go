package tests

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/airbyte"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestAirbyteIsAHelmRelease: on every target Airbyte is a helm/v3 Release (a real Helm install that runs
// the chart's pre-install/pre-upgrade hooks: its env ConfigMap, its Secret and the bootloader), never a
// helm/v4 Chart, which drops them. The three things the old Chart transform did are chart values:
// the launcher's jobs namespace as a Java system property, the worker at the autoscaler's floor, and
// the JDBC TLS parameters in the database name.
func TestAirbyteIsAHelmRelease(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		for _, c := range resourcesOf(r, "kubernetes:helm.sh/v4:Chart") {
			if c.Name == "airbyte-chart" {
				t.Fatal("Airbyte is still a helm/v4 Chart, which renders none of its hook-only objects")
			}
		}
		rel := named(t, r, "kubernetes:helm.sh/v3:Release", "airbyte-release")
		for key, want := range map[string]string{"chart": "airbyte", "version": "2.0.19", "name": "airbyte"} {
			if got := inspect.Str(rel.Inputs, key); got != want {
				t.Errorf("Release %s = %q; want %q", key, got, want)
			}
		}
		if got := inspect.Str(rel.Inputs, "repositoryOpts", "repo"); got != "https://airbytehq.github.io/charts" {
			t.Errorf("Release repo %q", got)
		}
		if got := inspect.Num(rel.Inputs, "timeout"); got != 1200 {
			t.Errorf("Release timeout %v; want 1200 s", got)
		}
		for _, off := range []string{"atomic", "skipAwait", "disableWebhooks", "disableCRDHooks"} {
			if v := inspect.At(rel.Inputs, off); v.IsBool() && v.BoolValue() {
				t.Errorf("Release %s is set; it must wait, run its hooks and not roll back atomically", off)
			}
		}
		apps := named(t, r, "kubernetes:core/v1:ServiceAccount", "airbyte-sa")
		jobs := named(t, r, "kubernetes:core/v1:ServiceAccount", "airbyte-jobs-sa")
		if !preview {
			if got, want := inspect.Str(rel.Inputs, "namespace"), inspect.Str(apps.Inputs, "metadata", "namespace"); got == "" || got != want {
				t.Errorf("Release namespace %q; want Airbyte's apps namespace %q", got, want)
			}
		}
		v := inspect.Obj(rel.Inputs["values"])
		jobsNS := inspect.Str(jobs.Inputs, "metadata", "namespace")
		if !preview || jobsNS != "" {
			want := "-Dairbyte.worker.job.kube.namespace=" + jobsNS
			for _, svc := range []string{"workloadLauncher", "airbyteBootloader"} {
				var opts []string
				for _, e := range inspect.At(v, svc, "extraEnv").ArrayValue() {
					if inspect.Str(inspect.Obj(e), "name") == "JAVA_TOOL_OPTIONS" {
						opts = append(opts, inspect.Str(inspect.Obj(e), "value"))
					}
				}
				if len(opts) != 1 || !strings.Contains(" "+opts[0]+" ", " "+want+" ") {
					t.Errorf("%s JAVA_TOOL_OPTIONS %q; want one holding %q", svc, opts, want)
				}
			}
		}
		hpa := named(t, r, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "airbyte-worker-hpa")
		if got, want := inspect.Num(v, "worker", "replicaCount"), inspect.Num(hpa.Inputs, "spec", "minReplicas"); got != want || got < 1 {
			t.Errorf("worker.replicaCount %v; want the autoscaler's minimum %v", got, want)
		}
		if name := inspect.Str(v, "global", "database", "name"); !strings.HasPrefix(name, "airbyte?sslmode=verify-") ||
			!strings.Contains(name, "&sslrootcert="+airbyte.JobsTrustStoreDir+"/") {
			t.Errorf("global.database.name %q does not carry a verifying sslmode and the CA file", name)
		}
		// Job pods get DATABASE_URL too and mount only the data-plane Secret (review B2).
		if got := inspect.Str(v, "global", "workloads", "containerOrchestrator", "dataPlane", "secretMountPath"); got != airbyte.JobsTrustStoreDir {
			t.Errorf("data-plane secretMountPath %q; want %q, where sslrootcert points", got, airbyte.JobsTrustStoreDir)
		}
		if m := inspect.At(v, "airbyteBootloader", "extraVolumeMount"); !m.IsBool() || !m.BoolValue() {
			t.Error("the bootloader would not mount the database CA (airbyteBootloader.extraVolumeMount)")
		}
	})
}
