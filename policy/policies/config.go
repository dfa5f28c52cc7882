package policies

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Environments the policies know. Anything else is treated as prod, the strict default.
const (
	Dev     = "dev"
	Staging = "staging"
	Prod    = "prod"
)

// Hard floors no stack config can relax: a stack may tighten them.
const (
	// MinRetentionFloorDays holds for every environment: never no backups.
	MinRetentionFloorDays = 1
	// ProdMinRetentionFloorDays holds for prod.
	ProdMinRetentionFloorDays = 7
	// ProdMaxRPOMinutes is prod's recovery point objective (design document: 15 min).
	ProdMaxRPOMinutes = 15
)

// Config carries the environment and the thresholds the policies check against.
type Config struct {
	// Environment is dev, staging or prod.
	Environment string
	// MinBackupRetentionDays is the shortest automated backup retention a database or soft delete
	// may keep (backups policy, property minBackupRetentionDays).
	MinBackupRetentionDays int
	// MaxRPOMinutes is the longest data-loss window allowed (backups policy, maxRpoMinutes).
	MaxRPOMinutes int
	// RequireCustomerManagedKeys asks for KMS/Key Vault/Cloud KMS keys the stack owns
	// (encryption-at-rest policy, requireCustomerManagedKeys).
	RequireCustomerManagedKeys bool
	// MaxMemoryLimitGiB caps any container's memory limit; 0 means no cap (resource-limits
	// policy, maxMemoryLimitGiB).
	MaxMemoryLimitGiB float64
	// Levels overrides policies' enforcement levels by policy name.
	Levels map[string]EnforcementLevel
}

// NormalizeEnvironment maps a stack's environment or name to dev, staging or prod: unknown names
// get prod, the strict default.
func NormalizeEnvironment(env string) string {
	switch strings.ToLower(strings.TrimSpace(env)) {
	case Dev, "development":
		return Dev
	case Staging, "stage":
		return Staging
	default:
		return Prod
	}
}

// IsEnvironment reports whether s names an environment exactly (dev, staging or prod).
func IsEnvironment(s string) bool {
	return s == Dev || s == Staging || s == Prod
}

// DefaultConfig returns the thresholds for an environment (the design document's RTO/RPO
// table): prod keeps backups ≥7 days and an RPO of 15 min, staging ≥3 days and 4 h, dev ≥1 day
// and 24 h. Customer-managed keys are off until a stack asks for them.
func DefaultConfig(environment string) Config {
	env := NormalizeEnvironment(environment)
	c := Config{Environment: env, Levels: map[string]EnforcementLevel{}}
	switch env {
	case Dev:
		c.MinBackupRetentionDays, c.MaxRPOMinutes = 1, 24*60
	case Staging:
		c.MinBackupRetentionDays, c.MaxRPOMinutes = 3, 4*60
	default:
		c.MinBackupRetentionDays, c.MaxRPOMinutes = ProdMinRetentionFloorDays, ProdMaxRPOMinutes
	}
	return c
}

// IsProd reports whether the config is for production.
func (c Config) IsProd() bool { return c.Environment == Prod }

// Level returns p's enforcement level under this config.
func (c Config) Level(p Policy) EnforcementLevel {
	if l, ok := c.Levels[p.Name]; ok && l.Valid() {
		return l
	}
	return p.Level
}

// Validate refuses thresholds below the hard floors.
func (c Config) Validate() error {
	if c.MinBackupRetentionDays < MinRetentionFloorDays {
		return fmt.Errorf("minBackupRetentionDays %d is below the floor of %d day: every environment keeps backups",
			c.MinBackupRetentionDays, MinRetentionFloorDays)
	}
	if c.IsProd() && c.MinBackupRetentionDays < ProdMinRetentionFloorDays {
		return fmt.Errorf("minBackupRetentionDays %d is below prod's floor of %d days",
			c.MinBackupRetentionDays, ProdMinRetentionFloorDays)
	}
	if c.MaxRPOMinutes < 1 {
		return fmt.Errorf("maxRpoMinutes %d must be at least 1", c.MaxRPOMinutes)
	}
	if c.IsProd() && c.MaxRPOMinutes > ProdMaxRPOMinutes {
		return fmt.Errorf("maxRpoMinutes %d exceeds prod's RPO of %d minutes", c.MaxRPOMinutes, ProdMaxRPOMinutes)
	}
	if c.MaxMemoryLimitGiB < 0 {
		return fmt.Errorf("maxMemoryLimitGiB %v must not be negative", c.MaxMemoryLimitGiB)
	}
	return nil
}

// ApplyPolicyConfig applies one policy's configuration — an enforcement level (empty keeps the
// current one) and its properties — as the engine sends it through Configure. It returns an error
// for an unknown policy or property, a wrong type, or a value below a hard floor.
func (c Config) ApplyPolicyConfig(policy string, level EnforcementLevel, props map[string]any) (Config, error) {
	p, ok := Lookup(policy)
	if !ok {
		return c, fmt.Errorf("unknown policy %q", policy)
	}
	out := c.clone()
	if level != "" {
		if !level.Valid() {
			return c, fmt.Errorf("policy %q: invalid enforcement level %q", policy, level)
		}
		out.Levels[policy] = level
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := p.ConfigSchema[k]; !ok {
			return c, fmt.Errorf("policy %q has no config property %q", policy, k)
		}
		v := props[k]
		var err error
		switch k {
		case "minBackupRetentionDays":
			out.MinBackupRetentionDays, err = toInt(v)
		case "maxRpoMinutes":
			out.MaxRPOMinutes, err = toInt(v)
		case "requireCustomerManagedKeys":
			b, isBool := v.(bool)
			if !isBool {
				err = fmt.Errorf("must be a boolean, got %T", v)
			}
			out.RequireCustomerManagedKeys = b
		case "maxMemoryLimitGiB":
			f, isNum := v.(float64)
			if i, isInt := v.(int); isInt {
				f, isNum = float64(i), true
			}
			if !isNum {
				err = fmt.Errorf("must be a number, got %T", v)
			}
			out.MaxMemoryLimitGiB = f
		}
		if err != nil {
			return c, fmt.Errorf("policy %q property %q: %w", policy, k, err)
		}
	}
	if err := out.Validate(); err != nil {
		return c, fmt.Errorf("policy %q: %w", policy, err)
	}
	return out, nil
}

// ApplyJSON applies a policy pack config file (`--policy-pack-config`): an object keyed by
// policy name (or "all", for a level only) whose values are an enforcement level string or an
// object with an optional "enforcementLevel" and the policy's properties. The versioned form
// {"version": 2, "policies": {...}} is accepted too.
func (c Config) ApplyJSON(data []byte) (Config, error) {
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return c, fmt.Errorf("policy config: %w", err)
	}
	if v, ok := raw["version"].(float64); ok {
		if v != 2 {
			return c, fmt.Errorf("policy config: version %v is not supported", v)
		}
		pol, _ := raw["policies"].(map[string]any)
		raw = pol
	}
	delete(raw, "environments")
	delete(raw, "exceptions")

	out := c
	if all, ok := raw["all"]; ok {
		level, _, err := splitPolicyConfig(all)
		if err != nil {
			return c, fmt.Errorf("policy config \"all\": %w", err)
		}
		for _, p := range All() {
			if out, err = out.ApplyPolicyConfig(p.Name, level, nil); err != nil {
				return c, err
			}
		}
		delete(raw, "all")
	}
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		level, props, err := splitPolicyConfig(raw[name])
		if err != nil {
			return c, fmt.Errorf("policy config %q: %w", name, err)
		}
		if out, err = out.ApplyPolicyConfig(name, level, props); err != nil {
			return c, err
		}
	}
	return out, nil
}

func splitPolicyConfig(v any) (EnforcementLevel, map[string]any, error) {
	switch t := v.(type) {
	case string:
		return EnforcementLevel(t), nil, nil
	case map[string]any:
		props := map[string]any{}
		var level EnforcementLevel
		for k, pv := range t {
			if k == "enforcementLevel" {
				s, ok := pv.(string)
				if !ok {
					return "", nil, fmt.Errorf("enforcementLevel must be a string")
				}
				level = EnforcementLevel(s)
				continue
			}
			props[k] = pv
		}
		return level, props, nil
	}
	return "", nil, fmt.Errorf("must be a string or an object, got %T", v)
}

func (c Config) clone() Config {
	out := c
	out.Levels = make(map[string]EnforcementLevel, len(c.Levels))
	for k, v := range c.Levels {
		out.Levels[k] = v
	}
	return out
}

func toInt(v any) (int, error) {
	switch t := v.(type) {
	case float64:
		if t != float64(int(t)) {
			return 0, fmt.Errorf("must be a whole number, got %v", t)
		}
		return int(t), nil
	case int:
		return t, nil
	}
	return 0, fmt.Errorf("must be a number, got %T", v)
}
