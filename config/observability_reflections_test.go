package config

import (
	"strings"
	"testing"
)

// TestReflectionStaleHours: the bound defaults to 6 hours on every target that renders the model,
// takes 1–720 and is refused outside, under its key, with what is allowed.
func TestReflectionStaleHours(t *testing.T) {
	base := func(cloud string) map[string]string {
		v := map[string]string{"dataplatform:cloud": cloud}
		switch cloud {
		case "gcp":
			v["dataplatform:gcpProject"] = "my-project-123"
			v["dataplatform:observability"] = `{"enabled": true}`
		case "azure":
			v["dataplatform:region"] = "swedencentral"
		case "aws":
			v["dataplatform:region"] = "eu-west-1"
		}
		return v
	}
	for _, cloud := range []string{"kubernetes", "aws", "azure", "gcp"} {
		p, err := parse(t, "prod", base(cloud))
		if err != nil {
			t.Fatalf("%s: %v", cloud, err)
		}
		if !p.Observability.On() || p.Observability.ReflectionStaleHours != DefaultReflectionStaleHours {
			t.Errorf("%s: on %v, reflectionStaleHours = %d; want %d", cloud, p.Observability.On(), p.Observability.ReflectionStaleHours, DefaultReflectionStaleHours)
		}
	}
	for _, c := range []struct {
		value   string
		wantKey string
	}{
		{`{"reflectionStaleHours": 1}`, ""},
		{`{"reflectionStaleHours": 720}`, ""},
		{`{"reflectionStaleHours": 24}`, ""},
		{`{"reflectionStaleHours": -1}`, "dataplatform:observability.reflectionStaleHours"},
		{`{"reflectionStaleHours": 721}`, "dataplatform:observability.reflectionStaleHours"},
		{`{"reflectionStaleHours": "6h"}`, "dataplatform:observability.reflectionStaleHours"},
	} {
		t.Run(c.value, func(t *testing.T) {
			v := base("kubernetes")
			v["dataplatform:observability"] = c.value
			p, err := parse(t, "prod", v)
			expectProblem(t, err, c.wantKey, true, "")
			if c.wantKey != "" && !strings.Contains(c.value, `"6h"`) && !strings.Contains(err.Error(), "1 to 720") {
				t.Errorf("the error names the allowed range: %v", err)
			}
			if c.wantKey == "" && p.Observability.ReflectionStaleHours == 0 {
				t.Error("the value is kept")
			}
		})
	}
}
