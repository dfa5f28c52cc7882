package planner

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"gopkg.in/yaml.v3"

	"github.com/opendataplatform/dataplatform/mockcloud"
)

// Manifest is one Kubernetes object of the plan.
type Manifest struct {
	// File is the file name under manifests/, prefixed with its apply order.
	File string
	// Object is the object as it would be sent to the API server.
	Object map[string]any
}

// object orders the top-level keys the way people write manifests.
type object struct {
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	Metadata   any            `yaml:"metadata,omitempty"`
	Rest       map[string]any `yaml:",inline"`
}

var unsafeFileChars = regexp.MustCompile(`[^a-z0-9.-]+`)

// Manifests returns every Kubernetes object the plan creates, in dependency order. Helm releases are
// not objects (the chart renders them at deploy time) and providers are not either.
func (r *Result) Manifests() []Manifest {
	var out []Manifest
	for _, res := range r.Resources {
		apiVersion, kind, ok := kubernetesKind(res)
		if !ok {
			continue
		}
		obj := plain(res.Inputs).(map[string]any)
		obj["apiVersion"], obj["kind"] = apiVersion, kind
		meta, _ := obj["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		ns, _ := meta["namespace"].(string)
		base := strings.ToLower(kind)
		if ns != "" {
			base += "-" + ns
		}
		base += "-" + name
		file := fmt.Sprintf("%03d-%s.yaml", len(out)+1, strings.Trim(unsafeFileChars.ReplaceAllString(strings.ToLower(base), "-"), "-"))
		out = append(out, Manifest{File: file, Object: obj})
	}
	return out
}

// kubernetesKind returns apiVersion and kind for a Kubernetes object resource.
func kubernetesKind(res *mockcloud.Resource) (string, string, bool) {
	if !res.Custom || !strings.HasPrefix(res.Type, "kubernetes:") || strings.HasPrefix(res.Type, "kubernetes:helm.sh/") {
		return "", "", false
	}
	parts := strings.Split(res.Type, ":")
	if len(parts) != 3 || !strings.Contains(parts[1], "/") {
		return "", "", false
	}
	groupVersion := parts[1]
	if strings.HasPrefix(groupVersion, "core/") {
		groupVersion = strings.TrimPrefix(groupVersion, "core/")
	}
	return groupVersion, parts[2], true
}

// WriteManifests writes each object to dir as YAML.
func (r *Result) WriteManifests(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, m := range r.Manifests() {
		obj := object{Rest: map[string]any{}}
		for k, v := range m.Object {
			switch k {
			case "apiVersion":
				obj.APIVersion = v.(string)
			case "kind":
				obj.Kind = v.(string)
			case "metadata":
				obj.Metadata = v
			default:
				obj.Rest[k] = v
			}
		}
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(obj); err != nil {
			return fmt.Errorf("%s: %w", m.File, err)
		}
		if err := os.WriteFile(filepath.Join(dir, m.File), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// plain turns property values into plain Go values; secrets are unwrapped (the plan's values are
// invented) and unknowns become a marker string.
func plain(v any) any {
	switch x := v.(type) {
	case resource.PropertyMap:
		m := map[string]any{}
		for k, e := range x {
			m[string(k)] = plain(e)
		}
		return m
	case resource.PropertyValue:
		switch {
		case x.IsNull():
			return nil
		case x.IsBool():
			return x.BoolValue()
		case x.IsNumber():
			n := x.NumberValue()
			if n == float64(int64(n)) {
				return int64(n)
			}
			return n
		case x.IsString():
			return x.StringValue()
		case x.IsArray():
			arr := []any{}
			for _, e := range x.ArrayValue() {
				arr = append(arr, plain(e))
			}
			return arr
		case x.IsObject():
			return plain(x.ObjectValue())
		case x.IsSecret():
			return plain(x.SecretValue().Element)
		case x.IsOutput():
			if !x.OutputValue().Known {
				return "(unknown until deployed)"
			}
			return plain(x.OutputValue().Element)
		case x.IsComputed():
			return "(unknown until deployed)"
		}
	}
	return fmt.Sprint(v)
}
