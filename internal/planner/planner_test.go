package planner

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
)

func writeProject(t *testing.T, stackYAML string) string {
	t.Helper()
	dir := t.TempDir()
	project := "name: dataplatform\nruntime: go\nconfig:\n  cloud:\n    type: string\n  dremio:\n    type: object\n  tags:\n    type: object\n"
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(project), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.dev.yaml"), []byte(stackYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStackConfigIsPassedLikeTheEngineDoes(t *testing.T) {
	dir := writeProject(t, "config:\n  dataplatform:cloud: kubernetes\n  dataplatform:dremio:\n    executors: 2\n    executor:\n      cpu: 4\n  aws:region: eu-north-1\n")
	p, err := LoadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := p.LoadStackConfig(dir, "dev")
	if err != nil {
		t.Fatal(err)
	}
	values := sc.Values
	if values["dataplatform:cloud"] != "kubernetes" || values["aws:region"] != "eu-north-1" {
		t.Errorf("scalars = %v", values)
	}
	var dremio map[string]any
	if err := json.Unmarshal([]byte(values["dataplatform:dremio"]), &dremio); err != nil || dremio["executors"] != float64(2) {
		t.Errorf("dremio object = %q (%v)", values["dataplatform:dremio"], err)
	}
}

func TestSetOverridesPathsAndParsesJSON(t *testing.T) {
	p := &Project{Name: "dataplatform"}
	values := map[string]string{"dataplatform:dremio": `{"executors": 2, "executor": {"cpu": 4}}`}
	for _, s := range []string{"dataplatform:dremio.executor.memoryGiB=32", "cloud=gcp", "dataplatform:dremio.image=dremio/dremio-oss:26.0.0", "dataplatform:tags.team=data"} {
		if err := p.ApplySet(values, s); err != nil {
			t.Fatal(err)
		}
	}
	var dremio map[string]any
	if err := json.Unmarshal([]byte(values["dataplatform:dremio"]), &dremio); err != nil {
		t.Fatal(err)
	}
	exec := dremio["executor"].(map[string]any)
	if exec["cpu"] != float64(4) || exec["memoryGiB"] != float64(32) || dremio["executors"] != float64(2) {
		t.Errorf("dremio after --set = %v", dremio)
	}
	if dremio["image"] != "dremio/dremio-oss:26.0.0" || values["dataplatform:cloud"] != "gcp" || !strings.Contains(values["dataplatform:tags"], `"team":"data"`) {
		t.Errorf("values = %v", values)
	}
	if err := p.ApplySet(values, "no-equals-sign"); err == nil {
		t.Error("a --set without = was accepted")
	}
	if err := p.ApplySet(values, "dataplatform:dremio.executors.count=3"); err == nil {
		t.Error("a path through a number was accepted")
	}
}

func TestDeclaredTypesAreEnforced(t *testing.T) {
	dir := writeProject(t, "config:\n  dataplatform:cloud: kubernetes\n  dataplatform:dremio: not-an-object\n")
	_, err := Plan(func(*pulumi.Context) error { return nil }, Options{Dir: dir, Stack: "dev"})
	var cerr *ConfigError
	if !errors.As(err, &cerr) || !strings.Contains(cerr.Error(), "dataplatform:dremio") || !strings.Contains(cerr.Error(), "an object") {
		t.Fatalf("error = %v; want the declared object type named", err)
	}
}

func TestManifestsAndTree(t *testing.T) {
	dir := writeProject(t, "config:\n  dataplatform:cloud: kubernetes\n  dataplatform:dbt:\n    registry: localhost:5001\n")
	r, err := Plan(func(ctx *pulumi.Context) error {
		_, err := corev1.NewConfigMap(ctx, "settings", &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("settings"), Namespace: pulumi.String("apps")},
			Data:     pulumi.StringMap{"key": pulumi.String("value")},
		})
		return err
	}, Options{Dir: dir, Stack: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	ms := r.Manifests()
	if len(ms) != 1 || ms[0].File != "001-configmap-apps-settings.yaml" || ms[0].Object["apiVersion"] != "v1" || ms[0].Object["kind"] != "ConfigMap" {
		t.Fatalf("manifests = %+v", ms)
	}
	out := t.TempDir()
	if err := r.WriteManifests(out); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(out, ms[0].File))
	if err != nil || !strings.HasPrefix(string(raw), "apiVersion: v1\nkind: ConfigMap\n") {
		t.Errorf("manifest file = %q (%v)", raw, err)
	}
	var tree strings.Builder
	if err := r.WriteTree(&tree); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pulumi:pulumi:Stack", "└─ kubernetes:core/v1:ConfigMap", "+ 2 to create"} {
		if !strings.Contains(tree.String(), want) {
			t.Errorf("tree lacks %q:\n%s", want, tree.String())
		}
	}
}
