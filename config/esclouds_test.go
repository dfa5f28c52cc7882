package config

import (
	"testing"
	"time"
)

// TestElasticsearchOnClouds: gcp and aws stacks may turn Elasticsearch on (snapshots to GCS through
// Workload Identity, to S3 through IRSA), with the environment's defaults (azure: esazure_test.go).
func TestElasticsearchOnClouds(t *testing.T) {
	for _, cloud := range []string{"gcp", "aws"} {
		for _, stack := range []string{"dev", "staging", "prod"} {
			p, err := parse(t, stack, esValues(cloud, `{"enabled": true}`))
			if err != nil {
				t.Fatalf("%s/%s: %v", cloud, stack, err)
			}
			if !p.Elasticsearch.On() || p.Elasticsearch.Version != ElasticsearchVersion {
				t.Errorf("%s/%s: elasticsearch = %+v", cloud, stack, p.Elasticsearch)
			}
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

// TestZoneAwarenessDefault: prod on aws and gcp spreads Elasticsearch across zones by default (EKS
// and GKE nodes carry topology.kubernetes.io/zone); dev and staging, and every stack on kubernetes,
// do not; a stack may turn it off.
func TestZoneAwarenessDefault(t *testing.T) {
	for _, cloud := range []string{"kubernetes", "gcp", "aws"} {
		for _, stack := range []string{"dev", "staging", "prod"} {
			p, err := parse(t, stack, esValues(cloud, `{"enabled": true}`))
			if err != nil {
				t.Fatalf("%s/%s: %v", cloud, stack, err)
			}
			want := stack == "prod" && cloud != "kubernetes"
			if p.Elasticsearch.ZoneAwareness != want {
				t.Errorf("%s/%s: zoneAwareness = %v; want %v", cloud, stack, p.Elasticsearch.ZoneAwareness, want)
			}
		}
	}
	p, err := parse(t, "prod", esValues("aws", `{"enabled": true, "zoneAwareness": false}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Elasticsearch.ZoneAwareness {
		t.Errorf("zoneAwareness false is not kept")
	}
}
