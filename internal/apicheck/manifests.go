package apicheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// Object is one Kubernetes object read from a manifest.
type Object struct {
	// File names where it was read, e.g. "055-objectstore-….yaml" or "module@v/path".
	File       string
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// JSON is the object exactly as written, converted to JSON (the body of the apply request).
	JSON []byte
}

// Ref names the object as kind namespace/name.
func (o Object) Ref() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// Group is the API group of the object's apiVersion ("" for the core group).
func (o Object) Group() string {
	if i := strings.Index(o.APIVersion, "/"); i >= 0 {
		return o.APIVersion[:i]
	}
	return ""
}

// Version is the version part of the object's apiVersion.
func (o Object) Version() string {
	return o.APIVersion[strings.Index(o.APIVersion, "/")+1:]
}

// SplitYAML splits a YAML stream the plan wrote into its objects. The plan encodes the values that
// pulumi-kubernetes sends as JSON with gopkg.in/yaml.v3, so they are decoded with yaml.v3 as well
// (YAML 1.2 scalars: a plain n or on stays a string, as it was in the plan). Empty documents are
// skipped; a document that is not a single object with apiVersion, kind and metadata.name, or that
// repeats a key, is an error.
func SplitYAML(file string, data []byte) ([]Object, error) {
	return splitYAML(file, data, func(node *yaml.Node, _ []byte) ([]byte, error) {
		var v any
		if err := node.Decode(&v); err != nil {
			return nil, err
		}
		return json.Marshal(v)
	})
}

// SplitKubectlYAML splits a YAML stream published for kubectl (an operator's CRD file) and converts
// each document with sigs.k8s.io/yaml, as kubectl and the API server read YAML.
func SplitKubectlYAML(file string, data []byte) ([]Object, error) {
	return splitYAML(file, data, func(_ *yaml.Node, raw []byte) ([]byte, error) {
		return sigsyaml.YAMLToJSONStrict(raw)
	})
}

func splitYAML(file string, data []byte, toJSON func(*yaml.Node, []byte) ([]byte, error)) ([]Object, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []Object
	for i := 1; ; i++ {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		if len(node.Content) == 0 {
			continue // an empty document ("---" alone, or only comments)
		}
		raw, err := yaml.Marshal(&node)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		if !hasDocument(raw) {
			continue
		}
		js, err := toJSON(&node, raw)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(js, &head); err != nil {
			return nil, fmt.Errorf("%s: document %d is not an object: %w", file, i, err)
		}
		if head.APIVersion == "" || head.Kind == "" || head.Metadata.Name == "" {
			return nil, fmt.Errorf("%s: document %d lacks apiVersion, kind or metadata.name", file, i)
		}
		out = append(out, Object{File: file, APIVersion: head.APIVersion, Kind: head.Kind,
			Namespace: head.Metadata.Namespace, Name: head.Metadata.Name, JSON: js})
	}
}

// LoadDir reads every *.yaml / *.yml file of dir in name order (the plan prefixes each file with its
// apply order) and returns their objects.
func LoadDir(dir string) ([]Object, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []Object
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		objs, err := SplitYAML(n, data)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}
