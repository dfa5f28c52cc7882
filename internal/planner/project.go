// Package planner is the offline plan: it reads a Pulumi project and stack configuration the way the CLI
// does, runs the real program against the mocks harness, and renders what a deployment would create —
// the resource tree, a summary, a `pulumi stack export`-compatible state file and Kubernetes manifests.
package planner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Project is the part of Pulumi.yaml the planner needs.
type Project struct {
	// Name is the project name, the namespace of unqualified config keys.
	Name string `yaml:"name"`
	// Runtime is the language runtime (go).
	Runtime any `yaml:"runtime"`
	// Config declares the type of each key the program reads.
	Config map[string]ConfigDecl `yaml:"config"`
}

// ConfigDecl is one declared config key.
type ConfigDecl struct {
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	Secret      bool   `yaml:"secret"`
}

// LoadProject reads Pulumi.yaml from dir.
func LoadProject(dir string) (*Project, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("reading the project: %w", err)
	}
	var p Project
	if err := yaml.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("parsing Pulumi.yaml: %w", err)
	}
	if p.Name == "" {
		return nil, errors.New("Pulumi.yaml has no name")
	}
	return &p, nil
}

// qualify turns a stack-file key into its namespaced form, as the CLI does.
func (p *Project) qualify(key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return p.Name + ":" + key
}

// StackConfig is what a stack file gives the program.
type StackConfig struct {
	// Values are the configuration as the engine passes it to the program: namespaced keys, scalars
	// as text, objects and arrays as JSON. The stack file's own values are merged over its
	// environments' (objects key by key, the stack file winning at each leaf), as the CLI does.
	Values map[string]string
	// Environments are the Pulumi ESC environments the stack file imports, in order.
	Environments []string
	// Skipped names what the offline plan could not resolve: environment values ESC computes when
	// the environment is opened, and environments not kept in the repository.
	Skipped []string
}

// LoadStackConfig reads Pulumi.<stack>.yaml, with the pulumiConfig of the ESC environments it
// imports that the repository keeps (ESCDir). A missing stack file is an error.
func (p *Project) LoadStackConfig(dir, stack string) (*StackConfig, error) {
	path := filepath.Join(dir, "Pulumi."+stack+".yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the stack configuration: %w", err)
	}
	var file struct {
		Environment any            `yaml:"environment"`
		Config      map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", filepath.Base(path), err)
	}
	envs, err := environmentNames(file.Environment)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	merged, skipped, err := p.resolveEnvironments(dir, envs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	for k, v := range file.Config {
		if m, ok := v.(map[string]any); ok {
			if _, secure := m["secure"]; secure && len(m) == 1 {
				return nil, fmt.Errorf("%s: %s is an encrypted secret; the offline plan cannot decrypt it — override it with --set", filepath.Base(path), k)
			}
		}
		mergeConfig(merged, p.qualify(k), v)
	}
	values := make(map[string]string, len(merged))
	for k, v := range merged {
		text, err := configText(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", filepath.Base(path), k, err)
		}
		values[k] = text
	}
	return &StackConfig{Values: values, Environments: envs, Skipped: skipped}, nil
}

// configText renders a YAML value the way the engine hands it to a program.
func configText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", nil
	case bool, int, int64, float64:
		return fmt.Sprint(x), nil
	default:
		out, err := json.Marshal(x)
		return string(out), err
	}
}

// CheckTypes refuses values whose type differs from the Pulumi.yaml declaration, as the CLI does.
func (p *Project) CheckTypes(values map[string]string) []string {
	var problems []string
	keys := make([]string, 0, len(p.Config))
	for k := range p.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		decl := p.Config[k]
		v, ok := values[p.qualify(k)]
		if !ok {
			continue
		}
		if msg := typeMismatch(decl.Type, v); msg != "" {
			problems = append(problems, fmt.Sprintf("%s = %q is not allowed; allowed: %s (declared in Pulumi.yaml)", p.qualify(k), v, msg))
		}
	}
	return problems
}

func typeMismatch(typ, v string) string {
	switch typ {
	case "integer":
		if _, err := strconv.Atoi(v); err != nil {
			return "an integer"
		}
	case "boolean":
		if _, err := strconv.ParseBool(v); err != nil {
			return "a boolean"
		}
	case "object":
		var m map[string]any
		if json.Unmarshal([]byte(v), &m) != nil {
			return "an object"
		}
	case "array":
		var a []any
		if json.Unmarshal([]byte(v), &a) != nil {
			return "an array"
		}
	}
	return ""
}

// ApplySet applies one `--set KEY=VALUE` override. KEY is a Pulumi config path: "dataplatform:cloud",
// or "dataplatform:metadataDb.backupRetentionDays" to set a field inside an object. VALUE is parsed as
// JSON when it is valid JSON (numbers, booleans, arrays, objects) and taken as text otherwise.
func (p *Project) ApplySet(values map[string]string, set string) error {
	key, value, ok := strings.Cut(set, "=")
	if !ok || key == "" {
		return fmt.Errorf("--set %q: expected KEY=VALUE", set)
	}
	top, path, nested := strings.Cut(key, ".")
	top = p.qualify(top)
	if !nested {
		values[top] = value
		return nil
	}
	obj := map[string]any{}
	if existing := values[top]; existing != "" {
		if err := json.Unmarshal([]byte(existing), &obj); err != nil {
			return fmt.Errorf("--set %s: %s is not an object", key, top)
		}
	}
	var parsed any = value
	var j any
	if json.Unmarshal([]byte(value), &j) == nil {
		parsed = j
	}
	if err := setPath(obj, strings.Split(path, "."), parsed); err != nil {
		return fmt.Errorf("--set %s: %w", key, err)
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	values[top] = string(out)
	return nil
}

func setPath(obj map[string]any, path []string, value any) error {
	if path[0] == "" {
		return errors.New("empty path segment")
	}
	if len(path) == 1 {
		obj[path[0]] = value
		return nil
	}
	child, ok := obj[path[0]].(map[string]any)
	if !ok {
		if _, exists := obj[path[0]]; exists {
			return fmt.Errorf("%s is not an object", path[0])
		}
		child = map[string]any{}
		obj[path[0]] = child
	}
	return setPath(child, path[1:], value)
}
