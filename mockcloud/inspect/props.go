// Package inspect reads what the mocks harness recorded, in tests: property readers over inputs and
// outputs, runners for normal and preview mode, and lookups that fail the test. It is separate from
// the harness so that the offline planner, which uses the harness, does not link the testing packages.
package inspect

import (
	"encoding/json"
	"fmt"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// This file reads recorded inputs and outputs (resource.PropertyMap) in tests. A path is a sequence of
// object keys (string) and array indexes (int): At(in, "spec", "containers", 0, "name"). Secrets are
// unwrapped at every step, so a secret value reads as its plain element; check secretness on the raw
// map (in["password"].IsSecret()).
//
// Two families:
//   - the lenient readers (At, Str, Num, Bool, Strs, Len, Has, Obj, Arr) never fail: a missing path,
//     or a value of another type, reads as null, "", -1, false, nil, 0 or an empty map;
//   - the Require readers (RequireAt, RequireStr, RequireNum, RequireBool, RequireStrs, RequireObj)
//     fail the test when a step of the path is missing or a value has the wrong type.

// Unwrap returns the element of a secret, and any other value as it is.
func Unwrap(v resource.PropertyValue) resource.PropertyValue {
	if v.IsSecret() {
		return v.SecretValue().Element
	}
	return v
}

// At walks objects and arrays along path (string keys, int indexes), unwrapping secrets, and returns
// the value there, or null when a step is missing or the value at a step is not an object or array.
func At(m resource.PropertyMap, path ...any) resource.PropertyValue {
	v := resource.NewObjectProperty(m)
	for _, p := range path {
		v = Unwrap(v)
		switch k := p.(type) {
		case string:
			if !v.IsObject() {
				return resource.NewNullProperty()
			}
			v = v.ObjectValue()[resource.PropertyKey(k)]
		case int:
			if !v.IsArray() || k < 0 || k >= len(v.ArrayValue()) {
				return resource.NewNullProperty()
			}
			v = v.ArrayValue()[k]
		default:
			panic(fmt.Sprintf("mockcloud.At: path element %v (%T) is neither a string nor an int", p, p))
		}
	}
	return Unwrap(v)
}

// Str returns the string at path, or "" when there is none.
func Str(m resource.PropertyMap, path ...any) string {
	if v := At(m, path...); v.IsString() {
		return v.StringValue()
	}
	return ""
}

// Num returns the number at path, or -1 when there is none.
func Num(m resource.PropertyMap, path ...any) float64 {
	if v := At(m, path...); v.IsNumber() {
		return v.NumberValue()
	}
	return -1
}

// Bool returns the bool at path, and whether there is one.
func Bool(m resource.PropertyMap, path ...any) (value, ok bool) {
	if v := At(m, path...); v.IsBool() {
		return v.BoolValue(), true
	}
	return false, false
}

// Strs returns the string elements of the array at path (secrets unwrapped, other elements skipped),
// or nil when there is no array.
func Strs(m resource.PropertyMap, path ...any) []string {
	return StringsOf(At(m, path...))
}

// StringsOf returns the string elements of an array value (secrets unwrapped, other elements
// skipped), or nil when v is not an array.
func StringsOf(v resource.PropertyValue) []string {
	var out []string
	if v = Unwrap(v); v.IsArray() {
		for _, e := range v.ArrayValue() {
			if e = Unwrap(e); e.IsString() {
				out = append(out, e.StringValue())
			}
		}
	}
	return out
}

// Len returns the length of the array at path, or 0 when there is none.
func Len(m resource.PropertyMap, path ...any) int {
	if v := At(m, path...); v.IsArray() {
		return len(v.ArrayValue())
	}
	return 0
}

// Has reports whether there is a non-null value at path.
func Has(m resource.PropertyMap, path ...any) bool { return !At(m, path...).IsNull() }

// HasKey reports whether the last key of path is set in the object the rest of the path leads to,
// even to null: it is the stricter test for "this input is left out".
func HasKey(m resource.PropertyMap, path ...any) bool {
	if len(path) == 0 {
		return true
	}
	parent := resource.NewObjectProperty(m)
	if len(path) > 1 {
		parent = At(m, path[:len(path)-1]...)
	}
	switch k := path[len(path)-1].(type) {
	case string:
		if !parent.IsObject() {
			return false
		}
		_, ok := parent.ObjectValue()[resource.PropertyKey(k)]
		return ok
	case int:
		return parent.IsArray() && k >= 0 && k < len(parent.ArrayValue())
	}
	panic(fmt.Sprintf("mockcloud.HasKey: path element %v (%T) is neither a string nor an int", path[len(path)-1], path[len(path)-1]))
}

// Obj returns the object v holds (a secret unwrapped), or an empty map when it holds none.
func Obj(v resource.PropertyValue) resource.PropertyMap {
	if v = Unwrap(v); v.IsObject() {
		return v.ObjectValue()
	}
	return resource.PropertyMap{}
}

// Arr returns the elements of the array v holds (a secret unwrapped), or nil when it holds none.
func Arr(v resource.PropertyValue) []resource.PropertyValue {
	if v = Unwrap(v); v.IsArray() {
		return v.ArrayValue()
	}
	return nil
}

// RequireAt walks objects and arrays along path like At, but fails the test when a step is missing
// (a key not set, an index out of range) or a value on the way is not an object or array.
func RequireAt(t testing.TB, m resource.PropertyMap, path ...any) resource.PropertyValue {
	t.Helper()
	require.NotEmpty(t, path, "empty path")
	v := resource.NewObjectProperty(m)
	for i, p := range path {
		v = Unwrap(v)
		switch k := p.(type) {
		case string:
			require.True(t, v.IsObject(), "property %v is %v, not an object", path[:i], v)
			var ok bool
			v, ok = v.ObjectValue()[resource.PropertyKey(k)]
			require.True(t, ok, "property %v missing", path[:i+1])
		case int:
			require.True(t, v.IsArray(), "property %v is %v, not an array", path[:i], v)
			require.True(t, k >= 0 && k < len(v.ArrayValue()), "property %v missing: index out of range", path[:i+1])
			v = v.ArrayValue()[k]
		default:
			require.Failf(t, "bad path", "path element %v (%T) is neither a string nor an int", p, p)
		}
	}
	return Unwrap(v)
}

// RequireStr returns the string at path, failing the test when there is none.
func RequireStr(t testing.TB, m resource.PropertyMap, path ...any) string {
	t.Helper()
	v := RequireAt(t, m, path...)
	require.True(t, v.IsString(), "property %v is %v, not a string", path, v)
	return v.StringValue()
}

// RequireNum returns the number at path, failing the test when there is none.
func RequireNum(t testing.TB, m resource.PropertyMap, path ...any) float64 {
	t.Helper()
	v := RequireAt(t, m, path...)
	require.True(t, v.IsNumber(), "property %v is %v, not a number", path, v)
	return v.NumberValue()
}

// RequireBool returns the bool at path, failing the test when there is none.
func RequireBool(t testing.TB, m resource.PropertyMap, path ...any) bool {
	t.Helper()
	v := RequireAt(t, m, path...)
	require.True(t, v.IsBool(), "property %v is %v, not a bool", path, v)
	return v.BoolValue()
}

// RequireStrs returns the array of strings at path, failing the test when there is no array or an
// element is not a string (secrets unwrapped).
func RequireStrs(t testing.TB, m resource.PropertyMap, path ...any) []string {
	t.Helper()
	v := RequireAt(t, m, path...)
	require.True(t, v.IsArray(), "property %v is %v, not an array", path, v)
	var out []string
	for i, e := range v.ArrayValue() {
		e = Unwrap(e)
		require.True(t, e.IsString(), "property %v[%d] is %v, not a string", path, i, e)
		out = append(out, e.StringValue())
	}
	return out
}

// RequireObj returns the object at path, failing the test when there is none.
func RequireObj(t testing.TB, m resource.PropertyMap, path ...any) resource.PropertyMap {
	t.Helper()
	v := RequireAt(t, m, path...)
	require.True(t, v.IsObject(), "property %v is %v, not an object", path, v)
	return v.ObjectValue()
}

// Plain turns a recorded value into plain Go values (map[string]any, []any, string, float64, bool,
// nil), secrets unwrapped; unknown values (computed, or outputs without a known value) become nil.
func Plain(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return Plain(v.SecretValue().Element)
	case v.IsObject():
		m := map[string]any{}
		for k, e := range v.ObjectValue() {
			m[string(k)] = Plain(e)
		}
		return m
	case v.IsArray():
		out := make([]any, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			out[i] = Plain(e)
		}
		return out
	case v.IsComputed(), v.IsOutput():
		return nil
	}
	return v.V
}

// DecodeStrict decodes a Kubernetes resource's recorded inputs into a k8s.io/api type, refusing
// unknown fields: a misspelt or misplaced field fails the test instead of being dropped by the API.
// It fails the test when r is nil.
func DecodeStrict(t testing.TB, r *mockcloud.Resource, into any) {
	t.Helper()
	require.NotNil(t, r)
	b, err := json.Marshal(Plain(resource.NewObjectProperty(r.Inputs)))
	require.NoError(t, err)
	require.NoError(t, yaml.UnmarshalStrict(b, into), "strict decode of %s %s", r.Type, r.Name)
}

// ProviderURN returns the URN part of r's provider reference ("<URN>::<ID>"), or "" when r uses a
// default provider.
func ProviderURN(r *mockcloud.Resource) string {
	if i := strings.LastIndex(r.Provider, "::"); i > 0 {
		return r.Provider[:i]
	}
	return ""
}

// DependsOnInput reports whether r's input property came, at least in part, from resource on.
func DependsOnInput(r *mockcloud.Resource, input string, on *mockcloud.Resource) bool {
	for _, u := range r.PropertyDependencies[input] {
		if u == on.URN {
			return true
		}
	}
	return false
}
