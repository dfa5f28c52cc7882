package policies

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestPoliciesAreDescribed(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range All() {
		if p.Name == "" || seen[p.Name] {
			t.Errorf("policy name %q is empty or duplicated", p.Name)
		}
		seen[p.Name] = true
		if len(p.Description) < 40 || !p.Level.Valid() || p.Level == Disabled {
			t.Errorf("policy %s needs a description that says why and an enabled level", p.Name)
		}
		if (p.ValidateResource == nil) == (p.ValidateStack == nil) {
			t.Errorf("policy %s must be either resource- or stack-level", p.Name)
		}
		if len(p.Resources) == 0 {
			t.Errorf("policy %s lists no resource types", p.Name)
		}
	}
}

// TestUnknownsDuringPreview: a value still unknown in preview never panics and never fails a
// mandatory policy; the rule reports, as advisory, that it could not be evaluated yet.
func TestUnknownsDuringPreview(t *testing.T) {
	secretUnknown := resource.MakeSecret(unknown)
	outputUnknown := resource.NewOutputProperty(resource.Output{Known: false})
	cases := []struct {
		policy string
		r      Resource
	}{
		{"tls-in-transit", res(AWSLBListener, "l", M{"protocol": unknown})},
		{"tls-in-transit", res(AWSS3BucketPolicy, "bp", M{"policy": outputUnknown})},
		{"tls-in-transit", res(K8sIngress, "ing", M{"spec": M{"tls": unknown}})},
		{"tls-in-transit", res(GCPSQLInstance, "db", M{"settings": unknown})},
		{"resource-limits", res(K8sDeployment, "d", M{"spec": M{"template": M{"spec": M{"containers": A{unknown}}}}})},
		{"resource-limits", res(K8sDeployment, "d", M{"spec": unknown})},
		{"resource-limits", res(CNPGCluster, "pg", M{"spec": M{"resources": M{"requests": M{"cpu": unknown, "memory": "1Gi"}, "limits": M{"memory": "1Gi"}}}})},
		{"backups", res(AWSRDSInstance, "db", M{"backupRetentionPeriod": unknown})},
		{"backups", res(GCPSQLInstance, "db", M{"settings": M{"backupConfiguration": secretUnknown}})},
		{"encryption-at-rest", res(AWSRDSInstance, "db", M{"storageEncrypted": secretUnknown})},
		{"no-public-data-stores", res(AWSS3PublicAccessBlock, "pab", M{"blockPublicAcls": unknown})},
		{"prod-availability", res(CNPGCluster, "pg", M{"spec": M{"instances": unknown}})},
		{"deletion-safety", res(AWSRDSInstance, "db", M{"deletionProtection": unknown, "finalSnapshotIdentifier": "f"}, protected)},
		{"stateless-replicas", res(K8sDeployment, "d", M{"metadata": M{"name": "d"}, "spec": M{"replicas": unknown}})},
	}
	for _, c := range cases {
		t.Run(c.policy+" "+c.r.Type, func(t *testing.T) {
			r := with(c.r, protected)
			var got []Violation
			for _, v := range Evaluate([]Resource{r}, DefaultConfig(Prod)) {
				if v.Policy == c.policy {
					got = append(got, v)
				}
			}
			if len(got) == 0 {
				t.Fatalf("want an advisory not-evaluated %s violation, got none", c.policy)
			}
			for _, v := range got {
				if v.Level != Advisory || !strings.HasPrefix(v.Message, NotEvaluatedMessage) {
					t.Fatalf("want only advisory %q violations, got %v", NotEvaluatedMessage, v)
				}
			}
		})
	}
}

// TestKnownSecretsAndOutputs: secret and known output values are read through.
func TestKnownSecretsAndOutputs(t *testing.T) {
	r := res(AWSRDSInstance, "db", M{
		"storageEncrypted":      resource.MakeSecret(resource.NewBoolProperty(true)),
		"backupRetentionPeriod": resource.NewOutputProperty(resource.Output{Element: resource.NewNumberProperty(7), Known: true}),
	})
	for _, v := range Evaluate([]Resource{r}, DefaultConfig(Prod)) {
		if v.Policy == "encryption-at-rest" || v.Policy == "backups" {
			t.Errorf("unexpected violation %v", v)
		}
	}
}

func TestEvaluateIsDeterministicAndHonoursLevels(t *testing.T) {
	rs := []Resource{
		res(AWSRDSInstance, "db", M{"engine": "postgres"}),
		res(AWSIAMAccessKey, "key", M{}),
		res(K8sDeployment, "d", M{"spec": M{"template": podTemplate(M{"a": "b"}, container("c", true))}}),
	}
	cfg := DefaultConfig(Prod)
	first := Evaluate(rs, cfg)
	if len(first) == 0 || !HasMandatory(first) {
		t.Fatalf("want mandatory violations, got %v", first)
	}
	for i := 0; i < 5; i++ {
		if again := Evaluate(rs, cfg); !reflect.DeepEqual(first, again) {
			t.Fatalf("Evaluate is not deterministic:\n%v\n%v", first, again)
		}
	}
	if first[0].URN != rs[0].URN {
		t.Errorf("resource-level violations come in resource order, got %v first", first[0])
	}

	cfg, err := cfg.ApplyJSON([]byte(`{"no-static-cloud-keys": "advisory", "resource-limits": {"enforcementLevel": "disabled"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Evaluate(rs, cfg) {
		switch v.Policy {
		case "no-static-cloud-keys":
			if v.Level != Advisory {
				t.Errorf("level override ignored: %v", v)
			}
		case "resource-limits":
			t.Errorf("disabled policy ran: %v", v)
		}
	}
}

func TestDefaultConfig(t *testing.T) {
	for env, want := range map[string][2]int{Prod: {7, 15}, Staging: {3, 240}, Dev: {1, 1440}, "qa": {7, 15}, "": {7, 15}} {
		c := DefaultConfig(env)
		if c.MinBackupRetentionDays != want[0] || c.MaxRPOMinutes != want[1] {
			t.Errorf("DefaultConfig(%q) = %d days / %d min, want %v", env, c.MinBackupRetentionDays, c.MaxRPOMinutes, want)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("DefaultConfig(%q) invalid: %v", env, err)
		}
	}
	if DefaultConfig("qa").Environment != Prod {
		t.Error("an unknown environment must get prod's strict defaults")
	}
}

func TestApplyJSON(t *testing.T) {
	cases := []struct {
		env, json string
		wantErr   string
		check     func(Config) bool
	}{
		{env: Prod, json: `{"backups": {"minBackupRetentionDays": 0}}`, wantErr: "below the floor of 1 day"},
		{env: Prod, json: `{"backups": {"minBackupRetentionDays": 3}}`, wantErr: "below prod's floor of 7 days"},
		{env: Prod, json: `{"backups": {"maxRpoMinutes": 60}}`, wantErr: "exceeds prod's RPO of 15 minutes"},
		{env: Dev, json: `{"backups": {"minBackupRetentionDays": 0}}`, wantErr: "below the floor of 1 day"},
		{env: Prod, json: `{"backups": {"minBackupRetentionDays": 30, "maxRpoMinutes": 5}}`,
			check: func(c Config) bool { return c.MinBackupRetentionDays == 30 && c.MaxRPOMinutes == 5 }},
		{env: Dev, json: `{"backups": {"minBackupRetentionDays": 2}}`, check: func(c Config) bool { return c.MinBackupRetentionDays == 2 }},
		{env: Prod, json: `{"encryption-at-rest": {"requireCustomerManagedKeys": true}, "resource-limits": {"maxMemoryLimitGiB": 32}}`,
			check: func(c Config) bool { return c.RequireCustomerManagedKeys && c.MaxMemoryLimitGiB == 32 }},
		{env: Prod, json: `{"version": 2, "policies": {"backups": {"enforcementLevel": "advisory"}}}`,
			check: func(c Config) bool { return c.Levels["backups"] == Advisory }},
		{env: Prod, json: `{"all": "advisory", "tls-in-transit": "mandatory"}`,
			check: func(c Config) bool { return c.Levels["backups"] == Advisory && c.Levels["tls-in-transit"] == Mandatory }},
		{env: Prod, json: `{"backups": {"retention": 3}}`, wantErr: `has no config property "retention"`},
		{env: Prod, json: `{"nope": "advisory"}`, wantErr: `unknown policy "nope"`},
		{env: Prod, json: `{"backups": "remediate"}`, wantErr: "invalid enforcement level"},
		{env: Prod, json: `{"backups": {"minBackupRetentionDays": "7"}}`, wantErr: "must be a number"},
	}
	for _, c := range cases {
		got, err := DefaultConfig(c.env).ApplyJSON([]byte(c.json))
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s %s: want error %q, got %v", c.env, c.json, c.wantErr, err)
			}
		case err != nil:
			t.Errorf("%s %s: %v", c.env, c.json, err)
		case !c.check(got):
			t.Errorf("%s %s: unexpected config %+v", c.env, c.json, got)
		}
	}
}

func TestThresholdsFollowConfig(t *testing.T) {
	db := res(AWSRDSInstance, "db", M{"backupRetentionPeriod": 3})
	dev, _ := DefaultConfig(Dev).ApplyJSON([]byte(`{"backups": {"minBackupRetentionDays": 5}}`))
	found := false
	for _, v := range Evaluate([]Resource{db}, dev) {
		if v.Policy == "backups" && strings.Contains(v.Message, "below the stack's floor of 5") && v.Level == Mandatory {
			found = true
		}
	}
	if !found {
		t.Error("a stack that tightens retention to 5 days must fail a 3-day database")
	}
}

func TestReport(t *testing.T) {
	out := Report([]Violation{
		{Policy: "backups", Level: Mandatory, URN: "urn:a", Message: "m1"},
		{Policy: "tls-in-transit", Level: Advisory, URN: "urn:b", Message: "m2"},
	})
	want := "[mandatory] backups: urn:a: m1\n[advisory] tls-in-transit: urn:b: m2\npolicies: 1 mandatory, 1 advisory violation(s)\n"
	if out != want {
		t.Errorf("Report =\n%s\nwant\n%s", out, want)
	}
}

func TestVersionedAzureTokensAreCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"azure-native:containerservice/v20240901:ManagedCluster": "azure-native:containerservice:ManagedCluster",
		"azure-native:dbforpostgresql/v20221201:Server":          "azure-native:dbforpostgresql:Server",
		"azure-native:storage:StorageAccount":                    "azure-native:storage:StorageAccount",
		"kubernetes:apps/v1:Deployment":                          "kubernetes:apps/v1:Deployment",
	} {
		if got := canonicalType(in); got != want {
			t.Errorf("canonicalType(%q) = %q; want %q", in, got, want)
		}
	}
}
