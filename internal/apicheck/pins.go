package apicheck

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// PinsFile is the table of CRD files the check installs (crds.txt).
//
//go:embed crds.txt
var PinsFile string

// Pin is one CRD file as its operator publishes it in its Go module.
type Pin struct {
	Module, Version, Path, SHA256 string
}

// Source names the file as module@version/path.
func (p Pin) Source() string { return p.Module + "@" + p.Version + "/" + p.Path }

var (
	semver = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	sha    = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ParsePins reads a pin table: one "module version path sha256" a line; blank lines and # comments
// are skipped.
func ParsePins(text string) ([]Pin, error) {
	var pins []Pin
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 {
			return nil, fmt.Errorf("pins line %d: want \"module version path sha256\", got %d fields", n, len(f))
		}
		p := Pin{Module: f[0], Version: f[1], Path: f[2], SHA256: f[3]}
		switch {
		case !semver.MatchString(p.Version):
			return nil, fmt.Errorf("pins line %d: version %q is not an exact module version", n, p.Version)
		case !sha.MatchString(p.SHA256):
			return nil, fmt.Errorf("pins line %d: sha256 %q is not 64 lower-case hex digits", n, p.SHA256)
		case filepath.IsAbs(p.Path) || strings.Contains("/"+p.Path+"/", "/../"):
			return nil, fmt.Errorf("pins line %d: path %q must stay inside the module", n, p.Path)
		case seen[p.Source()]:
			return nil, fmt.Errorf("pins line %d: %s pinned twice", n, p.Source())
		}
		seen[p.Source()] = true
		pins = append(pins, p)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(pins) == 0 {
		return nil, fmt.Errorf("pins: no CRD file pinned")
	}
	return pins, nil
}

// ModuleDir returns the directory of an extracted module, e.g. by `go mod download`.
type ModuleDir func(module, version string) (string, error)

// GoModDownload fetches module@version through the Go module proxy with `go mod download -json`
// (outside any module, so the repository's go.mod is never touched) and returns its directory.
func GoModDownload(module, version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var res struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &res); jerr == nil && res.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, res.Error)
	}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("go mod download %s@%s: %v: %s", module, version, err, ee.Stderr)
		}
		return "", fmt.Errorf("go mod download %s@%s: %w", module, version, err)
	}
	if res.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: no Dir in %s", module, version, out)
	}
	return res.Dir, nil
}

// Read returns the pinned file's bytes after checking its sha256.
func (p Pin) Read(dir ModuleDir) ([]byte, error) {
	root, err := dir(p.Module, p.Version)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p.Path)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Source(), err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != p.SHA256 {
		return nil, fmt.Errorf("%s: sha256 is %s, pinned %s: the published file changed or the pin is wrong; "+
			"review the new file and update internal/apicheck/crds.txt", p.Source(), got, p.SHA256)
	}
	return data, nil
}

// CRD is one CustomResourceDefinition to install, with the file it came from.
type CRD struct {
	Name   string
	Source string
	Object Object
	// Conversion is the CRD's spec.conversion.strategy ("None" when unset).
	Conversion string
}

// LoadCRDs reads every pinned file, checks its sha256 and returns its CRDs. Anything in a file that is
// not an apiextensions.k8s.io/v1 CustomResourceDefinition is an error.
func LoadCRDs(pins []Pin, dir ModuleDir) ([]CRD, error) {
	var crds []CRD
	for _, p := range pins {
		data, err := p.Read(dir)
		if err != nil {
			return nil, err
		}
		objs, err := SplitKubectlYAML(p.Source(), data)
		if err != nil {
			return nil, err
		}
		if len(objs) == 0 {
			return nil, fmt.Errorf("%s: no object", p.Source())
		}
		for _, o := range objs {
			if o.APIVersion != "apiextensions.k8s.io/v1" || o.Kind != "CustomResourceDefinition" {
				return nil, fmt.Errorf("%s: %s %s is not an apiextensions.k8s.io/v1 CustomResourceDefinition", p.Source(), o.APIVersion, o.Kind)
			}
			var spec struct {
				Spec struct {
					Conversion struct{ Strategy string } `json:"conversion"`
				} `json:"spec"`
			}
			if err := json.Unmarshal(o.JSON, &spec); err != nil {
				return nil, fmt.Errorf("%s: %w", p.Source(), err)
			}
			conv := spec.Spec.Conversion.Strategy
			if conv == "" {
				conv = "None"
			}
			crds = append(crds, CRD{Name: o.Name, Source: p.Source(), Object: o, Conversion: conv})
		}
	}
	return crds, nil
}

// hasDocument reports whether a YAML document holds anything but comments and blank lines.
func hasDocument(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			return true
		}
	}
	return false
}
