package config

import "testing"

// TestElasticsearchOnAzure: azure stacks may turn Elasticsearch on (snapshots to ADLS through AKS
// workload identity), with the environment's node sets and, in prod, zone awareness (AKS nodes always
// carry topology.kubernetes.io/zone); a stack may turn zone awareness off. Before, azure refused
// elasticsearch.enabled.
func TestElasticsearchOnAzure(t *testing.T) {
	for _, c := range []struct {
		stack         string
		masters, data int
		zones         bool
	}{
		{"dev", 0, 1, false},
		{"staging", 0, 3, false},
		{"prod", 3, 3, true},
	} {
		p, err := parse(t, c.stack, esValues("azure", `{"enabled": true}`))
		if err != nil {
			t.Fatalf("%s: %v", c.stack, err)
		}
		e := p.Elasticsearch
		if !e.On() || e.Version != ElasticsearchVersion || e.Masters != c.masters || e.DataNodes != c.data || e.ZoneAwareness != c.zones {
			t.Errorf("azure/%s: elasticsearch = %+v; want masters %d, data nodes %d, zoneAwareness %v", c.stack, e, c.masters, c.data, c.zones)
		}
	}
	p, err := parse(t, "prod", esValues("azure", `{"enabled": true, "zoneAwareness": false}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Elasticsearch.ZoneAwareness {
		t.Errorf("azure: zoneAwareness false is not kept")
	}
	// The environment's rules hold on azure too.
	if _, err := parse(t, "prod", esValues("azure", `{"enabled": true, "masters": 1}`)); err == nil {
		t.Errorf("azure prod accepts one dedicated master")
	}
}
