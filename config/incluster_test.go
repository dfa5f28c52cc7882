package config

import (
	"strings"
	"testing"
)

// TestAPIServerCIDRs: network.apiServerCidrs bounds in-cluster PostgreSQL's API egress on the
// kubernetes target: private ranges by default, the exact addresses when set, never everything.
func TestAPIServerCIDRs(t *testing.T) {
	p, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "kubernetes"})
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if got := strings.Join(p.Network.APIServerCIDRs, ","); got != "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16" {
		t.Errorf("default network.apiServerCidrs = %s; want the RFC 1918 ranges", got)
	}

	p, err = parse(t, "prod", map[string]string{
		"dataplatform:cloud":   "kubernetes",
		"dataplatform:network": `{"apiServerCidrs": ["172.18.0.2/32"]}`,
	})
	if err != nil {
		t.Fatalf("set: %v", err)
	}
	if got := strings.Join(p.Network.APIServerCIDRs, ","); got != "172.18.0.2/32" {
		t.Errorf("network.apiServerCidrs = %s; the setting replaces the default", got)
	}

	for value, want := range map[string]string{
		`{"apiServerCidrs": ["0.0.0.0/0"]}`:  "not every address",
		`{"apiServerCidrs": ["172.18.0.2"]}`: "CIDR block",
		`{"apiServerCidrs": []}`:             "API server's addresses",
	} {
		_, err := parse(t, "dev", map[string]string{"dataplatform:cloud": "kubernetes", "dataplatform:network": value})
		if pr := problem(t, err, "dataplatform:network.apiServerCidrs"); !strings.Contains(pr.Allowed, want) {
			t.Errorf("%s: problem %+v; want it to say %q", value, pr, want)
		}
	}
}
