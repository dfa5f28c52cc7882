package config

import (
	"strings"
	"testing"
	"time"
)

func esValues(cloud, es string) map[string]string {
	v := map[string]string{"dataplatform:cloud": cloud}
	switch cloud {
	case "gcp":
		v["dataplatform:gcpProject"] = "my-project-123"
	}
	if es != "" {
		v["dataplatform:elasticsearch"] = es
	}
	return v
}

// TestElasticsearchDefaults: off by default everywhere (opt-in: the kubernetes target's cluster is
// not sized by the platform); turned on, the environment's node sets, and zone awareness off unless
// asked for (ECK then requires zone labels on every node).
func TestElasticsearchDefaults(t *testing.T) {
	for _, c := range []struct {
		stack                 string
		masters, data, kibana int
		dataMemGiB            float64
		retention             int
	}{
		{"dev", 0, 1, 1, 4, 7},
		{"staging", 0, 3, 1, 4, 7},
		{"prod", 3, 3, 2, 8, 30},
	} {
		off, err := parse(t, c.stack, esValues("kubernetes", ""))
		if err != nil {
			t.Fatalf("%s: %v", c.stack, err)
		}
		if off.Elasticsearch.On() {
			t.Errorf("%s: Elasticsearch on by default; it is opt-in", c.stack)
		}
		p, err := parse(t, c.stack, esValues("kubernetes", `{"enabled": true}`))
		if err != nil {
			t.Fatalf("%s: %v", c.stack, err)
		}
		e := p.Elasticsearch
		if e.ZoneAwareness {
			t.Errorf("%s: zone awareness on by default; it needs zone-labelled nodes", c.stack)
		}
		if !e.On() || e.Version != ElasticsearchVersion || e.Masters != c.masters || e.DataNodes != c.data ||
			e.KibanaReplicas != c.kibana || e.Data.MemoryGiB != c.dataMemGiB || e.SnapshotRetentionDays != c.retention {
			t.Errorf("%s: elasticsearch = %+v", c.stack, e)
		}
	}
	for _, cloud := range []string{"aws", "azure", "gcp"} {
		p, err := parse(t, "dev", esValues(cloud, ""))
		if err != nil {
			t.Fatalf("%s: %v", cloud, err)
		}
		if p.Elasticsearch.On() {
			t.Errorf("%s: Elasticsearch on by default; it is implemented on kubernetes only", cloud)
		}
	}
}

// TestElasticsearchRefusesBadValues: each bad value is reported under its key before anything runs.
func TestElasticsearchRefusesBadValues(t *testing.T) {
	for _, c := range []struct {
		cloud, stack, es, key string
	}{
		{"azure", "prod", `{"enabled": true, "kibanaReplicas": 1}`, "elasticsearch.kibanaReplicas"},
		{"kubernetes", "dev", `{"enabled": true, "version": "8.19.0"}`, "elasticsearch.version"},
		{"kubernetes", "dev", `{"enabled": true, "version": "latest"}`, "elasticsearch.version"},
		{"kubernetes", "dev", `{"enabled": true, "masters": 2}`, "elasticsearch.masters"},
		{"kubernetes", "dev", `{"enabled": true, "masters": 1}`, "elasticsearch.masters"},
		{"kubernetes", "prod", `{"enabled": true, "masters": 0}`, "elasticsearch.masters"},
		{"kubernetes", "dev", `{"enabled": true, "dataNodes": 2}`, "elasticsearch.dataNodes"},
		{"kubernetes", "dev", `{"enabled": true, "dataNodes": 0}`, "elasticsearch.dataNodes"},
		{"kubernetes", "prod", `{"enabled": true, "dataNodes": 2}`, "elasticsearch.dataNodes"},
		{"kubernetes", "dev", `{"enabled": true, "data": {"cpu": 1, "memoryGiB": 1, "volumeGiB": 10}}`, "elasticsearch.data.memoryGiB"},
		{"kubernetes", "dev", `{"enabled": true, "data": {"cpu": 0, "memoryGiB": 4, "volumeGiB": 10}}`, "elasticsearch.data.cpu"},
		{"kubernetes", "prod", `{"enabled": true, "master": {"cpu": 1, "memoryGiB": 2, "volumeGiB": 0}}`, "elasticsearch.master.volumeGiB"},
		{"kubernetes", "prod", `{"enabled": true, "kibanaReplicas": 1}`, "elasticsearch.kibanaReplicas"},
		{"kubernetes", "prod", `{"enabled": true, "snapshotRetentionDays": 3}`, "elasticsearch.snapshotRetentionDays"},
		{"kubernetes", "dev", `{"nodes": 3}`, "elasticsearch"},
	} {
		_, err := parse(t, c.stack, esValues(c.cloud, c.es))
		if err == nil {
			t.Errorf("%s/%s %s accepted", c.cloud, c.stack, c.es)
			continue
		}
		if !strings.Contains(err.Error(), "dataplatform:"+c.key) {
			t.Errorf("%s/%s %s: error %q does not name %s", c.cloud, c.stack, c.es, err, c.key)
		}
	}
	// Off on a cloud is fine, and dedicated masters are not sized when there are none.
	if _, err := parse(t, "dev", esValues("aws", `{"enabled": false}`)); err != nil {
		t.Errorf("aws with elasticsearch.enabled=false: %v", err)
	}
	if _, err := parse(t, "dev", esValues("kubernetes", `{"master": {"cpu": 0}}`)); err != nil {
		t.Errorf("unused master size refused: %v", err)
	}
}

// TestSnapshotScheduleMeetsRPO: one snapshot per RPO at least.
func TestSnapshotScheduleMeetsRPO(t *testing.T) {
	for rpo, want := range map[time.Duration]string{
		15 * time.Minute: "0 0/15 * * * ?",
		4 * time.Hour:    "0 0 0/4 * * ?",
		24 * time.Hour:   "0 30 1 * * ?",
	} {
		if got := SnapshotSchedule(rpo); got != want {
			t.Errorf("SnapshotSchedule(%v) = %q; want %q", rpo, got, want)
		}
	}
}
