package apicheck

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/metadatadb/cnpg"
)

func TestPinsFileParses(t *testing.T) {
	pins, err := ParsePins(PinsFile)
	if err != nil {
		t.Fatal(err)
	}
	modules := map[string]string{}
	for _, p := range pins {
		modules[p.Module] = p.Version
	}
	for _, m := range []string{"github.com/cloudnative-pg/cloudnative-pg", "github.com/cloudnative-pg/plugin-barman-cloud", "github.com/cert-manager/cert-manager"} {
		if modules[m] == "" {
			t.Errorf("no CRD of %s pinned", m)
		}
	}
	// The ObjectStore CRD must be the one of the plugin version the platform runs.
	if got := modules["github.com/cloudnative-pg/plugin-barman-cloud"]; got != cnpg.DefaultPluginVersion {
		t.Errorf("plugin-barman-cloud CRDs pinned at %s, the platform runs %s", got, cnpg.DefaultPluginVersion)
	}
}

func TestParsePinsRefusesBadLines(t *testing.T) {
	good := "github.com/a/b v1.2.3 config/crd.yaml " + strings.Repeat("ab", 32)
	for name, text := range map[string]string{
		"fields":    "github.com/a/b v1.2.3 config/crd.yaml",
		"version":   "github.com/a/b latest config/crd.yaml " + strings.Repeat("ab", 32),
		"sha":       "github.com/a/b v1.2.3 config/crd.yaml " + strings.Repeat("AB", 32),
		"escape":    "github.com/a/b v1.2.3 ../x.yaml " + strings.Repeat("ab", 32),
		"absolute":  "github.com/a/b v1.2.3 /etc/x.yaml " + strings.Repeat("ab", 32),
		"duplicate": good + "\n" + good,
		"empty":     "# nothing\n\n",
	} {
		if _, err := ParsePins(text); err == nil {
			t.Errorf("%s: ParsePins(%q) accepted", name, text)
		}
	}
	if pins, err := ParsePins("# c\n\n" + good + "\n"); err != nil || len(pins) != 1 || pins[0].Path != "config/crd.yaml" {
		t.Errorf("ParsePins(good) = %+v, %v", pins, err)
	}
}

const crdYAML = `---
# a comment before the object, as controller-gen writes
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
`

// moduleWith lays out a fake extracted module holding one file and returns its ModuleDir and pin.
func moduleWith(t *testing.T, path, content string) (ModuleDir, Pin) {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, filepath.Dir(path)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, path), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	pin := Pin{Module: "example.com/op", Version: "v1.0.0", Path: path, SHA256: hex.EncodeToString(sum[:])}
	return func(m, v string) (string, error) {
		if m != pin.Module || v != pin.Version {
			t.Errorf("downloaded %s@%s", m, v)
		}
		return root, nil
	}, pin
}

func TestPinVerifiesSHA256(t *testing.T) {
	dir, pin := moduleWith(t, "config/crd/widgets.yaml", crdYAML)
	crds, err := LoadCRDs([]Pin{pin}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) != 1 || crds[0].Name != "widgets.example.com" || crds[0].Conversion != "None" || crds[0].Source != "example.com/op@v1.0.0/config/crd/widgets.yaml" {
		t.Errorf("LoadCRDs = %+v", crds)
	}

	changed := pin
	changed.SHA256 = strings.Repeat("0", 64)
	_, err = LoadCRDs([]Pin{changed}, dir)
	if err == nil || !strings.Contains(err.Error(), "sha256 is "+pin.SHA256) || !strings.Contains(err.Error(), "crds.txt") {
		t.Errorf("a changed file was accepted or the error does not say what to do: %v", err)
	}
}

func TestLoadCRDsRefusesOtherObjects(t *testing.T) {
	dir, pin := moduleWith(t, "crds.yaml", crdYAML+"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
	if _, err := LoadCRDs([]Pin{pin}, dir); err == nil || !strings.Contains(err.Error(), "ConfigMap") {
		t.Errorf("a ConfigMap among the CRDs was accepted: %v", err)
	}
}

func TestLoadCRDsReadsConversionStrategy(t *testing.T) {
	dir, pin := moduleWith(t, "crds.yaml", crdYAML+"  conversion:\n    strategy: Webhook\n")
	crds, err := LoadCRDs([]Pin{pin}, dir)
	if err != nil || len(crds) != 1 || crds[0].Conversion != "Webhook" {
		t.Errorf("LoadCRDs = %+v, %v", crds, err)
	}
}
