package analyzer

import (
	"bufio"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendataplatform/dataplatform/policy/policies"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

func newTestServer(env map[string]string) *Server {
	s := New()
	s.getenv = func(k string) string { return env[k] }
	return s
}

func props(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	st, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(m), plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

const devURN = "urn:pulumi:dev::dataplatform::aws:rds/instance:Instance::db"

func rdsRequest(t *testing.T, urn string, m map[string]any) *pulumirpc.AnalyzeRequest {
	return &pulumirpc.AnalyzeRequest{Urn: urn, Type: policies.AWSRDSInstance, Name: "db", Properties: props(t, m),
		Options: &pulumirpc.AnalyzerResourceOptions{Protect: true}}
}

func find(ds []*pulumirpc.AnalyzeDiagnostic, policy, msg string) *pulumirpc.AnalyzeDiagnostic {
	for _, d := range ds {
		if d.PolicyName == policy && strings.Contains(d.Message, msg) {
			return d
		}
	}
	return nil
}

// TestInfoBeforeConfigureStack: `pulumi policy analyze --file` asks for plugin and analyzer info
// before (and without) ConfigureStack.
func TestInfoBeforeConfigureStack(t *testing.T) {
	s := newTestServer(nil)
	ctx := context.Background()
	pi, err := s.GetPluginInfo(ctx, &emptypb.Empty{})
	if err != nil || pi.Version != PackVersion {
		t.Fatalf("GetPluginInfo = %v, %v", pi, err)
	}
	info, err := s.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != PackName || !info.SupportsConfig || len(info.Policies) != len(policies.All()) {
		t.Fatalf("unexpected analyzer info %v", info)
	}
	byName := map[string]*pulumirpc.PolicyInfo{}
	for _, p := range info.Policies {
		byName[p.Name] = p
		if p.Description == "" {
			t.Errorf("policy %s has no description", p.Name)
		}
	}
	if b := byName["backups"]; b == nil || b.EnforcementLevel != pulumirpc.EnforcementLevel_MANDATORY ||
		b.ConfigSchema.GetProperties().GetFields()["minBackupRetentionDays"] == nil {
		t.Fatalf("backups policy info: %v", b)
	}
	if byName["stateless-replicas"].PolicyType != pulumirpc.PolicyType_POLICY_TYPE_STACK {
		t.Error("stateless-replicas is a stack policy")
	}
}

func TestAnalyzeLearnsEnvironmentFromURNWithoutConfigureStack(t *testing.T) {
	s := newTestServer(nil)
	resp, err := s.Analyze(context.Background(), rdsRequest(t, devURN, map[string]any{"backupRetentionPeriod": 1}))
	if err != nil {
		t.Fatal(err)
	}
	if d := find(resp.Diagnostics, "backups", ""); d != nil {
		t.Fatalf("dev keeps 1 day: unexpected %v", d)
	}
	if d := find(resp.Diagnostics, "prod-availability", ""); d != nil {
		t.Fatalf("dev is not checked for availability: %v", d)
	}
}

func TestConfigureStackEnvironment(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		stack  string
		config map[string]string
		env    map[string]string
		want   string
	}{
		{stack: "dev", want: policies.Dev},
		{stack: "staging", want: policies.Staging},
		{stack: "feature-x", want: policies.Prod},
		{stack: "feature-x", config: map[string]string{EnvironmentConfigKey: "dev"}, want: policies.Dev},
		{stack: "dev", config: map[string]string{EnvironmentConfigKey: "prod"}, want: policies.Prod},
		{stack: "prod", env: map[string]string{EnvironmentVariable: "staging"}, want: policies.Staging},
	}
	for _, c := range cases {
		s := newTestServer(c.env)
		if _, err := s.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: c.stack, Project: "dataplatform", Config: c.config}); err != nil {
			t.Fatal(err)
		}
		cfg, err := s.Config()
		if err != nil || cfg.Environment != c.want {
			t.Errorf("stack %s config %v env %v: environment %q (%v), want %q", c.stack, c.config, c.env, cfg.Environment, err, c.want)
		}
	}
}

func TestAnalyzeMandatoryViolationInProd(t *testing.T) {
	s := newTestServer(nil)
	ctx := context.Background()
	if _, err := s.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "prod"}); err != nil {
		t.Fatal(err)
	}
	resp, err := s.Analyze(ctx, rdsRequest(t, "urn:pulumi:prod::dataplatform::aws:rds/instance:Instance::db",
		map[string]any{"backupRetentionPeriod": 1}))
	if err != nil {
		t.Fatal(err)
	}
	d := find(resp.Diagnostics, "backups", "below the stack's floor of 7")
	if d == nil || d.EnforcementLevel != pulumirpc.EnforcementLevel_MANDATORY || d.PolicyPackName != PackName || d.Description == "" {
		t.Fatalf("want a mandatory backups diagnostic, got %v", resp.Diagnostics)
	}
}

func TestAnalyzeWithUnknownsIsAdvisory(t *testing.T) {
	s := newTestServer(nil)
	ctx := context.Background()
	if _, err := s.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "prod", DryRun: true}); err != nil {
		t.Fatal(err)
	}
	unknown := resource.MakeComputed(resource.NewStringProperty(""))
	resp, err := s.Analyze(ctx, rdsRequest(t, "urn:pulumi:prod::dataplatform::aws:rds/instance:Instance::db", map[string]any{
		"backupRetentionPeriod": unknown, "storageEncrypted": resource.MakeSecret(unknown), "multiAz": true,
		"deletionProtection": true, "finalSnapshotIdentifier": "f", "publiclyAccessible": false,
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, policy := range []string{"backups", "encryption-at-rest"} {
		d := find(resp.Diagnostics, policy, policies.NotEvaluatedMessage)
		if d == nil || d.EnforcementLevel != pulumirpc.EnforcementLevel_ADVISORY {
			t.Errorf("want an advisory not-evaluated %s diagnostic, got %v", policy, resp.Diagnostics)
		}
	}
	for _, d := range resp.Diagnostics {
		if d.EnforcementLevel == pulumirpc.EnforcementLevel_MANDATORY {
			t.Errorf("unknowns must not fail the preview: %v", d)
		}
	}
}

func TestConfigure(t *testing.T) {
	ctx := context.Background()
	s := newTestServer(nil)
	if _, err := s.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "prod"}); err != nil {
		t.Fatal(err)
	}
	relax, _ := structpb.NewStruct(map[string]any{"minBackupRetentionDays": 0})
	if _, err := s.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"backups": {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY, Properties: relax},
	}}); err == nil || !strings.Contains(err.Error(), "below the floor") {
		t.Fatalf("prod must refuse retention 0, got %v", err)
	}
	tighten, _ := structpb.NewStruct(map[string]any{"minBackupRetentionDays": 14})
	if _, err := s.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"backups":              {EnforcementLevel: pulumirpc.EnforcementLevel_ADVISORY, Properties: tighten},
		"no-static-cloud-keys": {EnforcementLevel: pulumirpc.EnforcementLevel_DISABLED},
	}}); err != nil {
		t.Fatal(err)
	}
	resp, err := s.Analyze(ctx, rdsRequest(t, "urn:pulumi:prod::dataplatform::aws:rds/instance:Instance::db", map[string]any{"backupRetentionPeriod": 7}))
	if err != nil {
		t.Fatal(err)
	}
	d := find(resp.Diagnostics, "backups", "below the stack's floor of 14")
	if d == nil || d.EnforcementLevel != pulumirpc.EnforcementLevel_ADVISORY {
		t.Fatalf("want the tightened, advisory backups diagnostic, got %v", resp.Diagnostics)
	}
	resp, err = s.Analyze(ctx, &pulumirpc.AnalyzeRequest{Urn: "urn:pulumi:prod::dataplatform::aws:iam/accessKey:AccessKey::k",
		Type: policies.AWSIAMAccessKey, Name: "k", Properties: props(t, map[string]any{})})
	if err != nil || len(resp.Diagnostics) != 0 {
		t.Fatalf("disabled policy ran: %v %v", resp.GetDiagnostics(), err)
	}
}

func TestAnalyzeStack(t *testing.T) {
	s := newTestServer(nil)
	ctx := context.Background()
	bucket := "urn:pulumi:staging::dataplatform::aws:s3/bucketV2:BucketV2::lake"
	req := &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{
		{Urn: "urn:pulumi:staging::dataplatform::pulumi:pulumi:Stack::dataplatform-staging", Type: "pulumi:pulumi:Stack", Properties: props(t, nil)},
		{Urn: bucket, Type: policies.AWSS3BucketV2, Name: "lake", Properties: props(t, map[string]any{"bucket": "lake-123"})},
		{Urn: "urn:pulumi:staging::dataplatform::aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::lake", Type: policies.AWSS3PublicAccessBlock,
			Name: "lake", Properties: props(t, map[string]any{"bucket": "lake-123"}), Dependencies: []string{bucket}},
	}}
	resp, err := s.AnalyzeStack(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	d := find(resp.Diagnostics, "bucket-controls", "is missing a BucketVersioningV2 and a BucketPolicy")
	if d == nil || d.Urn != bucket || d.EnforcementLevel != pulumirpc.EnforcementLevel_MANDATORY {
		t.Fatalf("want a bucket-controls diagnostic on the bucket, got %v", resp.Diagnostics)
	}
	if cfg, _ := s.Config(); cfg.Environment != policies.Staging {
		t.Errorf("environment from the stack's URNs: got %q", cfg.Environment)
	}
}

// TestServe starts the server the way the engine does — reading the port from the first line
// of stdout — and talks to it over gRPC.
func TestServe(t *testing.T) {
	r, w := io.Pipe()
	cancel := make(chan bool)
	done := make(chan error, 1)
	go func() { done <- Serve(newTestServer(nil), w, cancel) }()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("first stdout line %q is not a port", line)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pulumirpc.NewAnalyzerClient(conn)
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if _, err := client.GetPluginInfo(ctx, &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	resp, err := client.Analyze(ctx, rdsRequest(t, devURN, map[string]any{"backupRetentionPeriod": 0}))
	if err != nil {
		t.Fatal(err)
	}
	if find(resp.Diagnostics, "backups", "below the stack's floor of 1") == nil {
		t.Fatalf("unexpected diagnostics %v", resp.Diagnostics)
	}
	close(cancel)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}
