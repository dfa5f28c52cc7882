package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Key names, without the namespace.
const (
	KeyCloud       = "cloud"
	KeyEnvironment = "environment"
	KeyRegion      = "region"
	KeyDomain      = "domain"
	KeyGCPProject  = "gcpProject"
	KeyNameSuffix  = "nameSuffix"
	KeyTags        = "tags"
	KeyNetwork     = "network"
	KeyCluster     = "cluster"
	KeyMetadataDB  = "metadataDb"
	KeyObjectStore = "objectStore"
	KeyDremio      = "dremio"
	KeyAirbyte     = "airbyte"
	KeyDbt         = "dbt"
)

// Keys lists every key the program reads, in documentation order.
var Keys = []string{
	KeyCloud, KeyEnvironment, KeyRegion, KeyDomain, KeyGCPProject, KeyNameSuffix, KeyTags,
	KeyNetwork, KeyCluster, KeyMetadataDB, KeyObjectStore, KeyDremio, KeyAirbyte, KeyDbt, KeyEdge,
	KeyObservability,
	KeySuperset,
}

// FullKey returns the namespaced key, e.g. "dataplatform:metadataDb".
func FullKey(key string) string { return Namespace + ":" + key }

// Load reads the stack's configuration from the Pulumi context and validates it. It also looks at the
// engine's full configuration (PULUMI_CONFIG) when present, so that a misspelt key is reported rather
// than silently ignored.
func Load(ctx *pulumi.Context) (*Platform, error) {
	values := map[string]string{}
	for _, k := range Keys {
		if v, ok := ctx.GetConfig(FullKey(k)); ok {
			values[FullKey(k)] = v
		}
	}
	if raw := os.Getenv(pulumi.EnvConfig); raw != "" {
		var all map[string]string
		if json.Unmarshal([]byte(raw), &all) == nil {
			for k, v := range all {
				if strings.HasPrefix(k, Namespace+":") {
					if _, known := values[k]; !known {
						values[k] = v
					}
				}
			}
		}
	}
	return Parse(ctx.Project(), ctx.Stack(), values)
}

// Parse builds the configuration from raw Pulumi config values — the namespaced key mapped to its
// value as the engine passes it (objects as JSON) — applies the defaults of the cloud and environment,
// and validates the result. Keys outside the namespace are ignored. The error, if any, is an *Error
// listing every problem found.
func Parse(project, stack string, values map[string]string) (*Platform, error) {
	var problems Problems

	known := map[string]bool{}
	for _, k := range Keys {
		known[FullKey(k)] = true
	}
	unknown := []string{}
	for k := range values {
		if strings.HasPrefix(k, Namespace+":") && !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		problems.add(k, values[k], "a known key: "+strings.Join(prefixed(Keys), ", "))
	}

	cloud := Cloud(values[FullKey(KeyCloud)])
	switch {
	case cloud == "":
		problems.add(FullKey(KeyCloud), "", "one of "+joinCloud(Clouds))
	case !contains(Clouds, cloud):
		problems.add(FullKey(KeyCloud), string(cloud), "one of "+joinCloud(Clouds))
	}

	env := Environment(values[FullKey(KeyEnvironment)])
	envKeySet := env != ""
	if !envKeySet {
		env = Environment(stack)
	}
	if !contains(Environments, env) {
		if envKeySet {
			problems.add(FullKey(KeyEnvironment), string(env), "one of dev, staging, prod")
		} else {
			problems.add(FullKey(KeyEnvironment), "", fmt.Sprintf("one of dev, staging, prod (the stack name %q is not an environment, so set it)", stack))
		}
	}
	// An invalid target or environment is already reported; check the rest against the least
	// demanding stand-ins, so that every other problem is reported too, and none of them is invented.
	defaultsCloud, defaultsEnv := cloud, env
	if !contains(Clouds, cloud) {
		defaultsCloud = Kubernetes
	}
	if !contains(Environments, env) {
		defaultsEnv = Dev
	}

	p := Defaults(defaultsCloud, defaultsEnv)
	p.Project, p.Stack = project, stack
	if v, ok := values[FullKey(KeyRegion)]; ok && v != p.Region {
		p.Region = v
		if p.Environment == Prod {
			// The DR defaults follow the region the stack chose.
			p.MetadataDB.DRRegion = PairedRegion(p.Cloud, v)
			p.ObjectStore.ReplicationRegion = PairedRegion(p.Cloud, v)
		}
	}
	p.Domain = values[FullKey(KeyDomain)]
	p.GCPProject = values[FullKey(KeyGCPProject)]
	p.NameSuffix = values[FullKey(KeyNameSuffix)]

	objects := []struct {
		key  string
		into any
	}{
		{KeyTags, &p.Tags},
		{KeyNetwork, &p.Network},
		{KeyCluster, &p.Cluster},
		{KeyMetadataDB, &p.MetadataDB},
		{KeyObjectStore, &p.ObjectStore},
		{KeyDremio, &p.Dremio},
		{KeyAirbyte, &p.Airbyte},
		{KeyDbt, &p.Dbt},
		{KeyEdge, &p.Edge},
		{KeyObservability, &p.Observability},
		{KeySuperset, &p.Superset},
		{KeyElasticsearch, &p.Elasticsearch},
		{KeyLogging, &p.Logging},
	}
	for _, o := range objects {
		raw, ok := values[FullKey(o.key)]
		if !ok || strings.TrimSpace(raw) == "" {
			continue
		}
		if pr := decodeStrict(o.key, raw, o.into); pr != nil {
			problems = append(problems, *pr)
		}
	}

	problems = append(problems, Validate(&p)...)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return &p, nil
}

// decodeStrict overlays a JSON object on the defaults already in `into`. Fields the stack does not set
// keep their defaults; unknown fields and wrong types are problems naming the key.
func decodeStrict(key, raw string, into any) *Problem {
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	err := dec.Decode(into)
	if err == nil {
		return nil
	}
	full := FullKey(key)
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		k := full
		if typeErr.Field != "" {
			k += "." + typeErr.Field
		}
		return &Problem{Key: k, Value: "a JSON " + typeErr.Value, Allowed: "a value of type " + describeType(typeErr.Type)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Problem{Key: full + "." + field, Value: "(set)", Allowed: "a known field of " + full + ": " + strings.Join(jsonFields(into), ", ")}
	default:
		return &Problem{Key: full, Value: raw, Allowed: "a JSON object (" + err.Error() + ")"}
	}
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Slice:
		return "array of " + describeType(t.Elem())
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return t.String()
}

// jsonFields lists the JSON field names of the struct behind a pointer.
func jsonFields(ptr any) []string {
	t := reflect.TypeOf(ptr).Elem()
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if tag := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]; tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

func prefixed(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = FullKey(k)
	}
	return out
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinCloud(cs []Cloud) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}
