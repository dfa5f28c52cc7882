package policies

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// FromState reads the resources of a state file — `pulumi stack export` output or the file the
// offline plan writes (apitype.UntypedDeployment, version 3) — with their inputs, as
// `pulumi policy analyze --file` hands them to resource policies. Deleted resources (pending
// deletes) are skipped. Encrypted secrets stay opaque objects.
func FromState(data []byte) ([]Resource, error) {
	var st struct {
		Version    int `json:"version"`
		Deployment struct {
			Resources []struct {
				URN          string         `json:"urn"`
				Type         string         `json:"type"`
				Inputs       map[string]any `json:"inputs"`
				Protect      bool           `json:"protect"`
				Parent       string         `json:"parent"`
				Dependencies []string       `json:"dependencies"`
				Provider     string         `json:"provider"`
				Delete       bool           `json:"delete"`
			} `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	if st.Version != 3 {
		return nil, fmt.Errorf("state file: deployment version %d, want 3", st.Version)
	}
	var out []Resource
	for _, r := range st.Deployment.Resources {
		if r.Delete {
			continue
		}
		u, err := resource.ParseURN(r.URN)
		if err != nil {
			return nil, fmt.Errorf("state file: %w", err)
		}
		out = append(out, Resource{
			URN:          r.URN,
			Type:         r.Type,
			Name:         u.Name(),
			Properties:   resource.NewPropertyMapFromMap(r.Inputs),
			Protect:      r.Protect,
			Parent:       r.Parent,
			Dependencies: r.Dependencies,
			Provider:     r.Provider,
		})
	}
	return out, nil
}
