package policies

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// eval evaluates the rules of one policy against one resource (or the stack) and collects
// findings. Reading a property through it never panics: secrets and known outputs are
// unwrapped, and an unknown value (computed during preview) is recorded instead of read, so
// that the rule reading it reports "could not be evaluated yet" rather than a false verdict.
type eval struct {
	urn      string
	findings []Finding
	unknown  []string
}

func newEval(urn string) *eval { return &eval{urn: urn} }

// rule runs fn as one rule. If fn touched an unknown value, whatever it concluded is replaced by
// a single finding that says the rule could not be evaluated yet: a verdict built on a value we
// cannot see would be a guess.
func (e *eval) rule(fn func()) {
	start := len(e.findings)
	e.unknown = nil
	fn()
	if len(e.unknown) > 0 {
		paths := uniq(e.unknown)
		e.findings = append(e.findings[:start], Finding{
			URN:     e.urn,
			Unknown: true,
			Message: "depends on unknown value(s) " + strings.Join(paths, ", "),
		})
	}
	e.unknown = nil
}

// fail records a violation of the current rule.
func (e *eval) fail(format string, args ...any) {
	e.findings = append(e.findings, Finding{URN: e.urn, Message: fmt.Sprintf(format, args...)})
}

// failOn records a violation attributed to another resource (stack policies).
func (e *eval) failOn(urn, format string, args ...any) {
	e.findings = append(e.findings, Finding{URN: urn, Message: fmt.Sprintf(format, args...)})
}

// unwrap strips secrets and known outputs. It reports false when the value is unknown.
func unwrap(v resource.PropertyValue) (resource.PropertyValue, bool) {
	for {
		switch {
		case v.IsComputed():
			return v, false
		case v.IsOutput():
			o := v.OutputValue()
			if !o.Known {
				return v, false
			}
			v = o.Element
		case v.IsSecret():
			v = v.SecretValue().Element
		default:
			return v, true
		}
	}
}

// val walks path (object keys) from m. It returns the value and whether it is present; an unknown
// value on the way is recorded and reported as absent.
func (e *eval) val(m resource.PropertyMap, path ...string) (resource.PropertyValue, bool) {
	cur := resource.NewObjectProperty(m)
	for i, key := range path {
		obj, ok := e.known(cur, path[:i])
		if !ok || !obj.IsObject() {
			return resource.PropertyValue{}, false
		}
		next, has := obj.ObjectValue()[resource.PropertyKey(key)]
		if !has {
			return resource.PropertyValue{}, false
		}
		cur = next
	}
	v, ok := e.known(cur, path)
	if !ok || v.IsNull() {
		return resource.PropertyValue{}, false
	}
	return v, true
}

// known unwraps v, recording path as unknown when it is.
func (e *eval) known(v resource.PropertyValue, path []string) (resource.PropertyValue, bool) {
	u, ok := unwrap(v)
	if !ok {
		p := strings.Join(path, ".")
		if p == "" {
			p = "(properties)"
		}
		e.unknown = append(e.unknown, p)
	}
	return u, ok
}

// str reads a string (numbers and booleans are rendered as strings, as providers accept both).
func (e *eval) str(m resource.PropertyMap, path ...string) (string, bool) {
	v, ok := e.val(m, path...)
	if !ok {
		return "", false
	}
	switch {
	case v.IsString():
		return v.StringValue(), true
	case v.IsNumber():
		return strconv.FormatFloat(v.NumberValue(), 'f', -1, 64), true
	case v.IsBool():
		return strconv.FormatBool(v.BoolValue()), true
	}
	return "", false
}

// boolean reads a bool; "true"/"false" strings count too.
func (e *eval) boolean(m resource.PropertyMap, path ...string) (value, present bool) {
	v, ok := e.val(m, path...)
	if !ok {
		return false, false
	}
	switch {
	case v.IsBool():
		return v.BoolValue(), true
	case v.IsString():
		b, err := strconv.ParseBool(v.StringValue())
		return b, err == nil
	}
	return false, false
}

// num reads a number; numeric strings count too.
func (e *eval) num(m resource.PropertyMap, path ...string) (float64, bool) {
	v, ok := e.val(m, path...)
	if !ok {
		return 0, false
	}
	switch {
	case v.IsNumber():
		return v.NumberValue(), true
	case v.IsString():
		f, err := strconv.ParseFloat(strings.TrimSpace(v.StringValue()), 64)
		return f, err == nil
	}
	return 0, false
}

// obj reads an object.
func (e *eval) obj(m resource.PropertyMap, path ...string) (resource.PropertyMap, bool) {
	v, ok := e.val(m, path...)
	if !ok || !v.IsObject() {
		return nil, false
	}
	return v.ObjectValue(), true
}

// arr reads an array; its elements are returned unwrapped, unknown elements are recorded and
// skipped.
func (e *eval) arr(m resource.PropertyMap, path ...string) ([]resource.PropertyValue, bool) {
	v, ok := e.val(m, path...)
	if !ok || !v.IsArray() {
		return nil, false
	}
	var out []resource.PropertyValue
	for i, el := range v.ArrayValue() {
		u, ok := e.known(el, append(append([]string(nil), path...), strconv.Itoa(i)))
		if ok {
			out = append(out, u)
		}
	}
	return out, true
}

// objs reads an array of objects.
func (e *eval) objs(m resource.PropertyMap, path ...string) []resource.PropertyMap {
	vs, _ := e.arr(m, path...)
	var out []resource.PropertyMap
	for _, v := range vs {
		if v.IsObject() {
			out = append(out, v.ObjectValue())
		}
	}
	return out
}

// strs reads an array of strings.
func (e *eval) strs(m resource.PropertyMap, path ...string) []string {
	vs, _ := e.arr(m, path...)
	var out []string
	for _, v := range vs {
		if v.IsString() {
			out = append(out, v.StringValue())
		}
	}
	return out
}

// strMap reads an object of strings (labels, selectors).
func (e *eval) strMap(m resource.PropertyMap, path ...string) map[string]string {
	o, ok := e.obj(m, path...)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for k := range o {
		if s, ok := e.str(o, string(k)); ok {
			out[string(k)] = s
		}
	}
	return out
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// parseQuantity parses a Kubernetes resource quantity ("500m", "2", "512Mi", "1G", "1e3") into
// its value in base units (cores or bytes).
func parseQuantity(s string) (float64, error) {
	s = strings.TrimSpace(s)
	suffixes := []struct {
		s string
		m float64
	}{
		{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"Pi", 1 << 50}, {"Ei", 1 << 60},
		{"n", 1e-9}, {"u", 1e-6}, {"m", 1e-3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18},
	}
	for _, suf := range suffixes {
		if strings.HasSuffix(s, suf.s) {
			f, err := strconv.ParseFloat(strings.TrimSuffix(s, suf.s), 64)
			if err != nil {
				return 0, fmt.Errorf("invalid quantity %q", s)
			}
			return f * suf.m, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid quantity %q", s)
	}
	return f, nil
}
