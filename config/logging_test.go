package config

import (
	"strings"
	"testing"
)

func loggingValues(cloud, es, logging string) map[string]string {
	v := esValues(cloud, es)
	if logging != "" {
		v["dataplatform:logging"] = logging
	}
	return v
}

// TestLoggingDefaults: logging follows Elasticsearch on the kubernetes target (nothing to ship to
// without it), with the environment's log retention; off on the clouds.
func TestLoggingDefaults(t *testing.T) {
	for stack, days := range map[string]int{"dev": 7, "staging": 14, "prod": 30} {
		off, err := parse(t, stack, loggingValues("kubernetes", "", ""))
		if err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		if off.Logging.On() {
			t.Errorf("%s: logging on without Elasticsearch", stack)
		}
		p, err := parse(t, stack, loggingValues("kubernetes", `{"enabled": true}`, ""))
		if err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		if !p.Logging.On() || p.Logging.RetentionDays != days || LogRetentionDays(Environment(stack)) != days {
			t.Errorf("%s: logging = %+v; want on, %d days", stack, p.Logging, days)
		}
		p, err = parse(t, stack, loggingValues("kubernetes", `{"enabled": true}`, `{"enabled": false}`))
		if err != nil || p.Logging.On() {
			t.Errorf("%s: logging.enabled=false: on=%v err=%v", stack, p != nil && p.Logging.On(), err)
		}
		p, err = parse(t, stack, loggingValues("kubernetes", `{"enabled": true}`, `{"retentionDays": 90}`))
		if err != nil || p.Logging.RetentionDays != 90 {
			t.Errorf("%s: retentionDays 90: %+v %v", stack, p, err)
		}
	}
	for _, cloud := range []string{"aws", "azure", "gcp"} {
		p, err := parse(t, "prod", loggingValues(cloud, "", ""))
		if err != nil {
			t.Fatalf("%s: %v", cloud, err)
		}
		if p.Logging.On() {
			t.Errorf("%s: logging on by default", cloud)
		}
	}
}

// TestLoggingRefusesBadValues: each bad value is reported under its key.
func TestLoggingRefusesBadValues(t *testing.T) {
	for _, c := range []struct {
		cloud, es, logging, key string
	}{
		{"kubernetes", "", `{"enabled": true}`, "logging.enabled"},
		{"kubernetes", `{"enabled": false}`, `{"enabled": true}`, "logging.enabled"},
		{"aws", "", `{"enabled": true}`, "logging.enabled"},
		{"gcp", "", `{"enabled": true}`, "logging.enabled"},
		{"kubernetes", `{"enabled": true}`, `{"retentionDays": -1}`, "logging.retentionDays"},
		{"kubernetes", `{"enabled": true}`, `{"retentionDays": 4000}`, "logging.retentionDays"},
		{"kubernetes", `{"enabled": true}`, `{"days": 3}`, "logging"},
	} {
		_, err := parse(t, "dev", loggingValues(c.cloud, c.es, c.logging))
		if err == nil {
			t.Errorf("%s es=%s logging=%s accepted", c.cloud, c.es, c.logging)
			continue
		}
		if !strings.Contains(err.Error(), "dataplatform:"+c.key) {
			t.Errorf("%s %s: error %q does not name %s", c.cloud, c.logging, err, c.key)
		}
	}
}
