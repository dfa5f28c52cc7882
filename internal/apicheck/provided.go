package apicheck

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"regexp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProvidedFile is the table of namespaces cluster add-ons create outside the plan (provided.txt).
//
//go:embed provided.txt
var ProvidedFile string

var namespaceRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// ParseProvided reads the table: "namespace reason…" a line; blank lines and # comments are skipped.
func ParseProvided(text string) (map[string]string, error) {
	return parseTable(text, "provided", `"namespace reason"`, 1, func(key []string) error {
		if !namespaceRE.MatchString(key[0]) || len(key[0]) > 63 {
			return fmt.Errorf("%q is not a namespace name", key[0])
		}
		return nil
	})
}

// provideNamespaces creates, for real, each namespace the objects use that an add-on provides
// (k.Provided) and the plan does not create (planned); it returns what it created, for cleanup.
func (k *Checker) provideNamespaces(ctx context.Context, objs []Object, planned map[string]bool) ([]target, []string, error) {
	var created []target
	var prepared []string
	for _, o := range objs {
		why, ok := k.Provided[o.Namespace]
		if !ok || planned[o.Namespace] {
			continue
		}
		planned[o.Namespace] = true
		r := metav1.APIResource{Name: "namespaces", Kind: "Namespace"}
		t := target{obj: Object{APIVersion: "v1", Kind: "Namespace", Name: o.Namespace}, res: r, path: Path("v1", r, "", o.Namespace)}
		if err := k.C.Do(ctx, http.MethodGet, t.path, "", nil, nil); err == nil {
			continue
		} else if !IsNotFound(err) {
			return created, prepared, err
		}
		body := []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"` + o.Namespace + `"}}`)
		if _, err := k.C.Apply(ctx, t.path, body, ApplyOptions{}, nil); err != nil {
			return created, prepared, fmt.Errorf("provide namespace %s (%s): %w", o.Namespace, why, err)
		}
		created = append(created, t)
		prepared = append(prepared, "Namespace "+o.Namespace+" (provided: "+why+")")
	}
	return created, prepared, nil
}
