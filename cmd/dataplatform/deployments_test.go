package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The request logic is tested in internal/deployments against a fake API that checks every request;
// this covers the command line: arguments, exit codes, and that diff never writes.
func TestDeploymentsCommand(t *testing.T) {
	var writes []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token tok" {
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"code":401,"message":"Unauthorized"}`))
			return
		}
		if r.Method != http.MethodGet {
			writes = append(writes, r.Method+" "+r.URL.Path)
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/deployments/settings"):
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"code":404,"message":"Not Found"}`))
		case strings.HasSuffix(r.URL.Path, "/deployments/schedules"):
			_, _ = w.Write([]byte(`{"schedules":[]}`))
		default:
			w.WriteHeader(500)
			_, _ = w.Write([]byte(`{"code":500,"message":"boom"}`))
		}
	}))
	defer srv.Close()
	file, dir := "../../deploy/deployments.yaml", "../.."

	for _, tc := range []struct {
		name  string
		args  []string
		token string
		code  int
		out   string // in stdout+stderr
	}{
		{"no subcommand", nil, "tok", 2, "usage: dataplatform deployments <apply|diff>"},
		{"help", []string{"--help"}, "tok", 0, "Exit status: 0 success"},
		{"unknown subcommand", []string{"sync"}, "tok", 2, `unknown subcommand "sync"`},
		{"unknown flag", []string{"apply", "--force"}, "tok", 2, "flag provided but not defined: -force"},
		{"placeholders", []string{"diff", "--file", file, "--dir", dir}, "tok", 2, "stacks.dev.agentPoolId"},
		{"unknown stack", []string{"diff", "--file", file, "--dir", dir, "--allow-example", "--stack", "qa"}, "tok", 2, `stack "qa" is not in the file`},
		{"no token", []string{"diff", "--file", file, "--dir", dir, "--allow-example", "--api-url", srv.URL}, "", 2, "PULUMI_ACCESS_TOKEN is not set"},
		{"bad token", []string{"diff", "--file", file, "--dir", dir, "--allow-example", "--api-url", srv.URL}, "nope", 1, "HTTP 401: Unauthorized"},
		{"diff", []string{"diff", "--file", file, "--dir", dir, "--allow-example", "--api-url", srv.URL, "--stack", "prod"}, "tok", 0, "settings: would create"},
		{"diff --exit-code", []string{"diff", "--exit-code", "--file", file, "--dir", dir, "--allow-example", "--api-url", srv.URL, "--stack", "prod"}, "tok", 3, "Changes pending"},
		{"apply API failure", []string{"apply", "--file", file, "--dir", dir, "--allow-example", "--api-url", srv.URL, "--stack", "prod"}, "tok", 1, "PUT /api/stacks/example-org/dataplatform/prod/deployments/settings: HTTP 500: boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PULUMI_ACCESS_TOKEN", tc.token)
			t.Setenv("PULUMI_BACKEND_URL", "")
			writes = nil
			var stdout, stderr strings.Builder
			code := deploymentsCommand(tc.args, &stdout, &stderr)
			all := stdout.String() + stderr.String()
			if code != tc.code || !strings.Contains(all, tc.out) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s", code, tc.code, tc.out, all)
			}
			if strings.HasPrefix(tc.name, "diff") && len(writes) > 0 {
				t.Fatalf("diff wrote: %v", writes)
			}
		})
	}
}
