package apicheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSplitYAML(t *testing.T) {
	in := `# leading comment
---
apiVersion: v1
kind: Namespace
metadata:
  name: a
---
# only a comment
---
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: s
  namespace: a
spec:
  replicas: 2
`
	objs, err := SplitYAML("f.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 {
		t.Fatalf("got %d objects: %+v", len(objs), objs)
	}
	if o := objs[1]; o.Ref() != "StatefulSet a/s" || o.Group() != "apps" || o.Version() != "v1" || o.File != "f.yaml" ||
		!strings.Contains(string(o.JSON), `"replicas":2`) {
		t.Errorf("second object = %+v (%s)", o, o.JSON)
	}
	if o := objs[0]; o.Ref() != "Namespace a" || o.Group() != "" || o.Version() != "v1" {
		t.Errorf("first object = %+v", o)
	}
}

func TestSplitYAMLRefusesBrokenDocuments(t *testing.T) {
	for name, in := range map[string]string{
		"no kind":       "apiVersion: v1\nmetadata:\n  name: x\n",
		"no name":       "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
		"a list":        "- a\n- b\n",
		"duplicate key": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: a\n  k: b\n",
		"bad yaml":      "apiVersion: [\n",
	} {
		if objs, err := SplitYAML("f.yaml", []byte(in)); err == nil {
			t.Errorf("%s: accepted as %+v", name, objs)
		}
		if objs, err := SplitKubectlYAML("f.yaml", []byte(in)); err == nil {
			t.Errorf("%s: kubectl reading accepted as %+v", name, objs)
		}
	}
}

// The plan's yaml.v3 writes the string "on" plain; read back it is still the string the plan had,
// while kubectl's YAML 1.1 reading of the same file would turn it into true.
func TestSplitYAMLKeepsThePlansScalars(t *testing.T) {
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\ndata:\n  mode: on\n"
	objs, err := SplitYAML("f.yaml", []byte(in))
	if err != nil || len(objs) != 1 || !strings.Contains(string(objs[0].JSON), `"mode":"on"`) || objs[0].Name != "n" {
		t.Errorf("SplitYAML = %+v, %v", objs, err)
	}
	if _, err := SplitKubectlYAML("f.yaml", []byte(in)); err == nil {
		t.Error("kubectl's reading of metadata.name n (a YAML 1.1 boolean) was accepted")
	}
}

func TestLoadDirReadsInFileOrder(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"002-b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: n\n",
		"001-a.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n",
		"notes.txt":  "not a manifest",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	objs, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].File != "001-a.yaml" || objs[1].Ref() != "ConfigMap n/b" {
		t.Errorf("LoadDir = %+v", objs)
	}
}
