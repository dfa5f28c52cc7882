package planner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// ESCDir is where the repository keeps its Pulumi ESC environment definitions: the environment
// "<project>/<name>" is ESCDir/<project>/<name>.yaml, the file `pulumi env init` and `pulumi env edit
// --file` take.
const ESCDir = "esc"

// escEnvironment is the part of an ESC environment definition the offline plan reads
// (pulumi.com/docs/esc/environments/syntax: top-level imports and values; values.pulumiConfig is
// the reserved property whose entries become stack configuration).
type escEnvironment struct {
	Imports []any          `yaml:"imports"`
	Values  map[string]any `yaml:"values"`
}

// resolveEnvironments returns the stack configuration the environments give (raw values, namespaced
// keys), merged in import order as ESC merges them (mergeConfig), and what it could not resolve offline:
// values ESC computes when the environment is opened (fn:: providers such as aws-login, secrets,
// ${…} interpolations) and environments that are not in ESCDir.
func (p *Project) resolveEnvironments(dir string, envs []string) (map[string]any, []string, error) {
	values := map[string]any{}
	var skipped []string
	seen := map[string]bool{}
	var visit func(name string) error
	visit = func(name string) error {
		if seen[name] {
			return nil
		}
		seen[name] = true
		path := filepath.Join(dir, ESCDir, filepath.FromSlash(name)+".yaml")
		raw, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			skipped = append(skipped, fmt.Sprintf("environment %s: not in %s/ (its values are not in this plan)", name, ESCDir))
			return nil
		}
		if err != nil {
			return err
		}
		var env escEnvironment
		if err := yaml.Unmarshal(raw, &env); err != nil {
			return fmt.Errorf("parsing %s: %w", path, err)
		}
		for _, imp := range env.Imports {
			// An import is a name, or a one-key map {name: {merge: false}}.
			switch x := imp.(type) {
			case string:
				if err := visit(x); err != nil {
					return err
				}
			case map[string]any:
				for k := range x {
					if err := visit(k); err != nil {
						return err
					}
				}
			}
		}
		var opened []string
		for k := range env.Values {
			if k != "pulumiConfig" {
				opened = append(opened, k)
			}
		}
		if len(opened) > 0 {
			sort.Strings(opened)
			skipped = append(skipped, fmt.Sprintf("environment %s: %s opened by ESC when the stack runs (logins, environment variables); the offline plan needs none of them",
				name, strings.Join(opened, ", ")))
		}
		cfg, _ := env.Values["pulumiConfig"].(map[string]any)
		keys := make([]string, 0, len(cfg))
		for k := range cfg {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if dynamic(cfg[k]) {
				skipped = append(skipped, fmt.Sprintf("%s from environment %s: computed by ESC when opened", p.qualify(k), name))
				continue
			}
			mergeConfig(values, p.qualify(k), cfg[k])
		}
		return nil
	}
	for _, e := range envs {
		if err := visit(e); err != nil {
			return nil, nil, err
		}
	}
	return values, skipped, nil
}

// mergeConfig sets key to v the way the CLI combines configuration (a JSON merge patch, RFC 7386:
// pulumi/pkg@v3.274.1 workspace/config.go, sdk config/object.go Merge): objects merge key by key,
// recursively, the later value winning at each leaf; anything else replaces.
func mergeConfig(into map[string]any, key string, v any) {
	old, ok := into[key].(map[string]any)
	patch, isMap := v.(map[string]any)
	if !ok || !isMap {
		into[key] = v
		return
	}
	merged := make(map[string]any, len(old)+len(patch))
	for k, e := range old {
		merged[k] = e
	}
	for k, e := range patch {
		mergeConfig(merged, k, e)
	}
	into[key] = merged
}

// dynamic reports whether a value needs ESC to evaluate it: a provider or builtin function
// ("fn::…" keys), a secret, or an interpolation.
func dynamic(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, "${")
	case map[string]any:
		for k, e := range x {
			if strings.HasPrefix(k, "fn::") || dynamic(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if dynamic(e) {
				return true
			}
		}
	}
	return false
}

// environmentNames reads a stack file's `environment` key: a list of names (or the single name).
func environmentNames(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				raw, _ := json.Marshal(e)
				return nil, fmt.Errorf("environment entry %s is not an environment name", raw)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("environment must be a list of environment names")
}
