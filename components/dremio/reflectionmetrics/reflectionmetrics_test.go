package reflectionmetrics

import (
	"os"
	"regexp"
	"strings"
	"testing"

	corev1k "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/platform"
	"github.com/opendataplatform/dataplatform/components/observability/probe"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

func TestBridgeObjects(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "prod", preview)
		err := m.Run(func(ctx *pulumi.Context) error {
			// Stands for Dremio (its bootstrap creates the monitor user).
			d, err := corev1k.NewConfigMap(ctx, "dremio", &corev1k.ConfigMapArgs{})
			if err != nil {
				return err
			}
			_, err = New(ctx, Name, &Args{Namespace: pulumi.String("dataplatform"), NamespaceName: "dataplatform", After: []pulumi.Resource{d}})
			return err
		}, nil)
		inspect.RequireRan(t, preview, err)
		dr := inspect.One(t, m, "kubernetes:apps/v1:Deployment")
		var dep appsv1.Deployment
		inspect.DecodeStrict(t, dr, &dep)
		assert.Equal(t, Name, dep.Name)
		assert.True(t, m.DependsOn(dr, m.Named("kubernetes:core/v1:ConfigMap", "dremio")), "after Dremio")
		c := dep.Spec.Template.Spec.Containers[0]
		assert.Equal(t, probe.Image, c.Image)
		env := map[string]corev1.EnvVar{}
		for _, e := range c.Env {
			env[e.Name] = e
		}
		assert.Equal(t, "http://dremio-client.dataplatform.svc.cluster.local:9047", env["DREMIO_URL"].Value)
		assert.Equal(t, "55", env["CACHE_SECONDS"].Value)
		assert.Equal(t, "8", env["DEADLINE_SECONDS"].Value)
		for k, key := range map[string]string{"DREMIO_USER": "user", "DREMIO_PASSWORD": "password"} {
			assert.Equal(t, dremio.MonitorCredentialsSecret, env[k].ValueFrom.SecretKeyRef.Name, "the monitor user, never the administrator")
			assert.Equal(t, key, env[k].ValueFrom.SecretKeyRef.Key)
		}
		assert.Equal(t, Script, inspect.Str(inspect.MustNamed(t, m, "kubernetes:core/v1:ConfigMap", Name+"-script").Inputs, "data", probe.ScriptFile))
		var pol networkingv1.NetworkPolicy
		inspect.DecodeStrict(t, inspect.One(t, m, "kubernetes:networking.k8s.io/v1:NetworkPolicy"), &pol)
		require.Len(t, pol.Spec.Egress, 2, "DNS and Dremio's web port")
		assert.Equal(t, dremio.CoordinatorSelector(), pol.Spec.Egress[1].To[0].PodSelector.MatchLabels)
		assert.Equal(t, int32(dremio.WebPort), pol.Spec.Egress[1].Ports[0].Port.IntVal)
		assert.NotEmpty(t, dep.Annotations[probe.SingletonAnnotation])
	})
}

// TestModel: the rules and the panel read only the bridge's declared series, every rule has its
// runbook section, and the stale bound and the scope reach the expressions.
func TestModel(t *testing.T) {
	for _, scope := range []string{"", `cluster="dp-prod"`} {
		spec := observability.Spec{
			Targets: []observability.ScrapeTarget{Target("dataplatform")}, Rules: Rules(scope, 12),
			Dashboards: []observability.Dashboard{{UID: "x", Title: "x", Panels: []observability.Panel{{Title: "Reflection freshness", Queries: []string{FreshnessQuery(scope)}}}}},
		}
		require.NoError(t, spec.Validate())
		assert.Empty(t, spec.Undeclared(observability.Metric{Name: "up", Source: "prometheus"}))
		for _, r := range spec.Rules {
			assert.Contains(t, r.Expr, Job)
			if scope != "" {
				assert.Contains(t, r.Expr, scope)
			}
		}
	}
	stale := Rules("", 12)[0]
	assert.Equal(t, "DremioReflectionStale", stale.Name)
	assert.Contains(t, stale.Expr, "> 43200")
	assert.Contains(t, stale.Expr, LastRefresh+"{"+Job+", "+Real+"}", "the placeholder never alerts")
	assert.Contains(t, stale.Summary, "12 hours")
	down := Rules("", 6)[1]
	assert.Equal(t, "DremioReflectionBridgeDown", down.Name)
	assert.Equal(t, `min(`+ScrapeSuccess+`{`+Job+`}) == 0 or absent(`+ScrapeSuccess+`{`+Job+`})`, down.Expr)
	assert.Contains(t, FreshnessQuery(""), Real)

	// The job matcher holds on both job label shapes.
	re := regexp.MustCompile(`^(.+/)?` + Name + `$`)
	assert.True(t, re.MatchString("dataplatform/"+Name))
	assert.True(t, re.MatchString(Name))
	assert.False(t, re.MatchString("dataplatform/dremio-coordinator"))

	// The platform's Dremio dashboard carries the same panel.
	found := false
	for _, d := range platform.Dashboards() {
		for _, p := range d.Panels {
			if p.Title == "Reflection freshness" {
				found = d.UID == "dataplatform-dremio"
				assert.Equal(t, []string{FreshnessQuery("")}, p.Queries)
				assert.Equal(t, "s", p.Unit)
			}
		}
	}
	assert.True(t, found, "the Reflection freshness panel is on the Dremio dashboard")
	assert.Equal(t, Job, platform.DremioReflectionJob)
}

// TestRunbookSections: every rule's anchor and heading exist in docs/runbook-alerts.md, and the old
// "not a metric yet" sentence is gone.
func TestRunbookSections(t *testing.T) {
	doc, err := os.ReadFile("../../../" + observability.RunbookDoc)
	require.NoError(t, err)
	for _, r := range Rules("", DefaultStaleHours) {
		heading := `<a id="` + r.Runbook + `"></a>` + "\n## " + r.Name + " (" + string(r.Severity) + ")"
		assert.True(t, strings.Contains(string(doc), heading), "%s has no section %q", observability.RunbookDoc, heading)
	}
	assert.False(t, strings.Contains(string(doc), "is not a metric yet"))
}
