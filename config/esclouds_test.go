package config

import (
	"strings"
	"testing"
	"time"
)

// TestElasticsearchOnGCP: gcp stacks may turn Elasticsearch on (snapshots to GCS through Workload
// Identity), with the environment's defaults; aws and azure still refuse it, naming what their
// repository lacks.
func TestElasticsearchOnGCP(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod"} {
		p, err := parse(t, stack, esValues("gcp", `{"enabled": true}`))
		if err != nil {
			t.Fatalf("gcp/%s: %v", stack, err)
		}
		if !p.Elasticsearch.On() || p.Elasticsearch.Version != ElasticsearchVersion {
			t.Errorf("gcp/%s: elasticsearch = %+v", stack, p.Elasticsearch)
		}
	}
	for cloud, want := range map[string]string{"aws": "IRSA", "azure": "config/azure/tokens"} {
		_, err := parse(t, "dev", esValues(cloud, `{"enabled": true}`))
		if err == nil {
			t.Errorf("%s accepts elasticsearch.enabled", cloud)
			continue
		}
		if !strings.Contains(err.Error(), "dataplatform:elasticsearch.enabled") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q does not name the key and %q", cloud, err, want)
		}
	}
}

// TestSnapshotsPerDay: the count SnapshotSchedule's cron fires a day ("0/m" fires at every multiple
// of m in its field, so a step that does not divide the field fires ceil(field/m) times).
func TestSnapshotsPerDay(t *testing.T) {
	for rpo, want := range map[time.Duration]int{
		15 * time.Minute: 96,
		45 * time.Minute: 48, // :00 and :45 every hour
		time.Hour:        24,
		4 * time.Hour:    6,
		5 * time.Hour:    5, // 0, 5, 10, 15, 20
		24 * time.Hour:   1,
		48 * time.Hour:   1,
	} {
		if got := SnapshotsPerDay(rpo); got != want {
			t.Errorf("SnapshotsPerDay(%v) = %d; want %d (schedule %q)", rpo, got, want, SnapshotSchedule(rpo))
		}
	}
}
