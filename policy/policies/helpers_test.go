package policies

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// M is a property bag literal.
type M = map[string]any

// A is an array literal.
type A = []any

// unknown is a value computed during preview.
var unknown = resource.MakeComputed(resource.NewStringProperty(""))

// res builds a resource with inputs props.
func res(typ, name string, props M, opts ...func(*Resource)) Resource {
	return Resource{
		URN:        "urn:pulumi:prod::dataplatform::" + typ + "::" + name,
		Type:       typ,
		Name:       name,
		Properties: resource.NewPropertyMapFromMap(props),
	}
}

func protected(r *Resource) { r.Protect = true }

func after(urns ...string) func(*Resource) {
	return func(r *Resource) { r.Dependencies = append(r.Dependencies, urns...) }
}

func with(r Resource, opts ...func(*Resource)) Resource {
	for _, o := range opts {
		o(&r)
	}
	return r
}

// tc is one table case: resources evaluated under an environment; want is a substring of the
// expected violation message of the policy under test, empty when the resources must pass.
type tc struct {
	name string
	env  string
	cfg  func(*Config)
	rs   []Resource
	want string
}

func runPolicy(t *testing.T, policy string, cases []tc) {
	t.Helper()
	p, ok := Lookup(policy)
	if !ok {
		t.Fatalf("no policy %q", policy)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := c.env
			if env == "" {
				env = Prod
			}
			cfg := DefaultConfig(env)
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			var got []Violation
			for _, v := range Evaluate(c.rs, cfg) {
				if v.Policy == policy {
					got = append(got, v)
				}
			}
			if c.want == "" {
				if len(got) > 0 {
					t.Fatalf("want no %s violation, got %v", policy, got)
				}
				for _, r := range c.rs {
					cover(policy, r.Type, true)
				}
				return
			}
			for _, v := range got {
				if strings.Contains(v.Message, c.want) {
					if v.Policy != policy || v.Level != cfg.Level(p) {
						t.Fatalf("violation %v: want policy %s at level %s", v, policy, cfg.Level(p))
					}
					for _, r := range c.rs {
						if r.URN == v.URN {
							cover(policy, r.Type, false)
						}
					}
					return
				}
			}
			t.Fatalf("want a %s violation containing %q, got %v", policy, c.want, got)
		})
	}
}

// container returns a container; with full resources unless bare.
func container(name string, bare bool) M {
	c := M{"name": name, "image": "example/" + name + ":1"}
	if !bare {
		c["resources"] = M{
			"requests": M{"cpu": "250m", "memory": "512Mi"},
			"limits":   M{"memory": "1Gi"},
		}
	}
	return c
}

func podTemplate(labels M, containers ...M) M {
	cs := A{}
	for _, c := range containers {
		cs = append(cs, c)
	}
	return M{"metadata": M{"labels": labels}, "spec": M{"containers": cs}}
}

// coverage records, per policy and resource type, whether a test case passed and one failed.
var (
	coverageMu sync.Mutex
	coverage   = map[string]map[string]*[2]bool{}
)

func cover(policy, typ string, pass bool) {
	coverageMu.Lock()
	defer coverageMu.Unlock()
	if coverage[policy] == nil {
		coverage[policy] = map[string]*[2]bool{}
	}
	if coverage[policy][typ] == nil {
		coverage[policy][typ] = &[2]bool{}
	}
	if pass {
		coverage[policy][typ][0] = true
	} else {
		coverage[policy][typ][1] = true
	}
}

// TestMain checks, after a full run, that every resource type a policy lists has a passing and a
// failing case.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		var missing []string
		for _, p := range All() {
			for _, typ := range p.Resources {
				c := coverage[p.Name][typ]
				// A static key never passes: those types only have failing cases.
				needPass := p.Name != "no-static-cloud-keys"
				if c == nil || (needPass && !c[0]) || !c[1] {
					missing = append(missing, p.Name+" "+typ)
				}
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			fmt.Println("FAIL: resource types without both a passing and a failing case:\n  " + strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}
