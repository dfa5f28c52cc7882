package backupprobe

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run probe.py for real: python3 against httptest fakes of Entra ID's token endpoint
// and Azure Resource Manager, answering in the shapes of the REST spec (Backups.json
// ServerBackupListResult, examples/BackupListByServer.json).

const (
	tenant   = "11111111-2222-3333-4444-555555555555"
	clientID = "66666666-7777-8888-9999-000000000000"
	serverID = "/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/TestGroup/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-dev"
)

func python(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is not on PATH: the backup probe's script (probe.py) is tested by running it; install Python 3.11 or later (%v)", err)
	}
	return p
}

// fakeAzure is the token endpoint and ARM. Each field is read under mu by the handler.
type fakeAzure struct {
	mu          sync.Mutex
	t           *testing.T
	srv         *httptest.Server
	tokenForms  []url.Values
	tokenStatus int
	expiresIn   int
	armAuth     []string
	armStatus   int // non-zero: every ARM call answers this status
	retryAfter  string
	pages       [][]map[string]any
	createdAt   string
	tokenCount  int
}

func newFake(t *testing.T) *fakeAzure {
	f := &fakeAzure{t: t, expiresIn: 3599, createdAt: "2021-06-01T10:00:00.1234567Z"}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAzure) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/"+tenant+"/oauth2/v2.0/token":
		if err := r.ParseForm(); err != nil {
			f.t.Errorf("token request: %v", err)
		}
		f.tokenForms = append(f.tokenForms, r.PostForm)
		if f.tokenStatus != 0 {
			w.WriteHeader(f.tokenStatus)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS70021: No matching federated identity record found for presented assertion."}`)
			return
		}
		f.tokenCount++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":%d,"ext_expires_in":%d,"access_token":"arm-token-%d"}`, f.expiresIn, f.expiresIn, f.tokenCount)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, serverID):
		f.armAuth = append(f.armAuth, r.Header.Get("Authorization"))
		if v := r.URL.Query().Get("api-version"); v != APIVersion {
			f.t.Errorf("ARM api-version = %q, want %q", v, APIVersion)
		}
		if f.armStatus != 0 {
			if f.retryAfter != "" {
				w.Header().Set("Retry-After", f.retryAfter)
			}
			w.WriteHeader(f.armStatus)
			fmt.Fprintf(w, `{"error":{"code":"Status%d","message":"fake"}}`, f.armStatus)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == serverID {
			srv := map[string]any{"id": serverID, "name": "pg-dev", "type": "Microsoft.DBforPostgreSQL/flexibleServers"}
			if f.createdAt != "" {
				srv["systemData"] = map[string]any{"createdAt": f.createdAt, "createdByType": "Application"}
			}
			_ = json.NewEncoder(w).Encode(srv)
			return
		}
		if r.URL.Path != serverID+"/backups" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		body := map[string]any{"value": []any{}}
		if page < len(f.pages) {
			body["value"] = f.pages[page]
			if page+1 < len(f.pages) {
				body["nextLink"] = f.srv.URL + serverID + "/backups?api-version=" + APIVersion + "&page=" + strconv.Itoa(page+1)
			}
		}
		_ = json.NewEncoder(w).Encode(body)
	default:
		f.t.Errorf("unexpected %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusNotFound)
	}
}

func backup(name, typ, completed string) map[string]any {
	return map[string]any{
		"id": serverID + "/backups/" + name, "name": name, "type": "Microsoft.DBforPostgreSQL/flexibleServers/backups",
		"properties": map[string]any{"backupType": typ, "source": "Automatic", "completedTime": completed},
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// runProbe starts probe.py against the fake with extra environment; it returns the metrics URL.
func runProbe(t *testing.T, f *fakeAzure, tokenFile string, env ...string) string {
	t.Helper()
	py := python(t)
	dir := t.TempDir()
	script := filepath.Join(dir, ScriptFile)
	if err := os.WriteFile(script, []byte(Script), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(py, "-B", "-u", script)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"PROBE_PORT=" + strconv.Itoa(port),
		"PROBE_SERVER_ID=" + serverID,
		"ARM_ENDPOINT=" + f.srv.URL,
		"AZURE_AUTHORITY_HOST=" + f.srv.URL + "/",
		"AZURE_TENANT_ID=" + tenant,
		"AZURE_CLIENT_ID=" + clientID,
		"AZURE_FEDERATED_TOKEN_FILE=" + tokenFile,
		"PROBE_CACHE_SECONDS=0", "PROBE_RETRY_SECONDS=0",
	}, env...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", py, err)
	}
	var logMu sync.Mutex
	var log strings.Builder
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			logMu.Lock()
			log.WriteString(s.Text() + "\n")
			logMu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logMu.Lock()
		defer logMu.Unlock()
		t.Logf("probe.py stderr:\n%s", log.String())
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base + "/metrics"
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("probe.py did not answer /healthz within 15s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tokenFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "azure-identity-token")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// scrape returns each sample line's value by its series ("name{labels}") and checks the text format.
func scrape(t *testing.T, u string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q, want the Prometheus text format 0.0.4", ct)
	}
	b, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndex(line, " ")
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil || i < 0 {
			t.Fatalf("bad sample line %q in:\n%s", line, b)
		}
		out[line[:i]] = v
	}
	return out
}

func series(name string, labels ...string) string {
	return name + `{server="pg-dev"` + strings.Join(append([]string{""}, labels...), ",") + "}"
}

func unix(t *testing.T, s string) float64 {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return float64(tm.UnixNano()) / 1e9
}

func near(a, b float64) bool { return a-b < 1e-3 && b-a < 1e-3 }

func TestScriptListsBackupsAcrossPages(t *testing.T) {
	f := newFake(t)
	f.pages = [][]map[string]any{
		{backup("daily_20210615T160516", "Full", "2021-06-15T16:05:19.902522+00:00"), backup("daily_20210616T160520", "Full", "2021-06-16T16:05:23.9243453+00:00")},
		// The newest on the second page, seven fractional digits, another zone's offset.
		{backup("daily_20210617T160525", "Full", "2021-06-17T18:05:28.1247488+02:00"), backup("ondemand_1", "Customer On-Demand", "2021-06-18T00:00:00Z")},
	}
	tf := tokenFile(t, "projected-sa-token-1")
	m := scrape(t, runProbe(t, f, tf))

	if got := m[series(ScrapeSuccess)]; got != 1 {
		t.Fatalf("%s = %v, want 1; metrics: %v", ScrapeSuccess, got, m)
	}
	want := unix(t, "2021-06-17T16:05:28.1247488Z")
	if got := m[series(LastBackup)]; !near(got, want) {
		t.Errorf("%s = %f, want %f (the newest Full backup, on page 2; the on-demand one does not count)", LastBackup, got, want)
	}
	if got := m[series(Backups, `backup_type="Full"`)]; got != 3 {
		t.Errorf(`%s{backup_type="Full"} = %v, want 3 (both pages)`, Backups, got)
	}
	if got := m[series(Backups, `backup_type="Customer On-Demand"`)]; got != 1 {
		t.Errorf(`%s{backup_type="Customer On-Demand"} = %v, want 1`, Backups, got)
	}
	if got, want := m[series(ServerCreated)], unix(t, f.createdAt); !near(got, want) {
		t.Errorf("%s = %f, want %f", ServerCreated, got, want)
	}
	if _, ok := m[series(ScrapeDuration)]; !ok {
		t.Errorf("%s missing", ScrapeDuration)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.tokenForms) != 1 {
		t.Fatalf("token exchanges = %d, want 1 (cached for the three ARM calls)", len(f.tokenForms))
	}
	form := f.tokenForms[0]
	for k, v := range map[string]string{
		"client_id": clientID, "grant_type": "client_credentials", "scope": f.srv.URL + "/.default",
		"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": "projected-sa-token-1",
	} {
		if got := form.Get(k); got != v {
			t.Errorf("token request %s = %q, want %q", k, got, v)
		}
	}
	if len(f.armAuth) != 3 {
		t.Errorf("ARM calls = %d, want 3 (two backup pages and the server)", len(f.armAuth))
	}
	for _, a := range f.armAuth {
		if a != "Bearer arm-token-1" {
			t.Errorf("ARM Authorization = %q, want the exchanged token", a)
		}
	}
}

func TestScriptEmptyListAndTokenRotation(t *testing.T) {
	f := newFake(t)
	f.expiresIn = 300 // cached until 300 s before expiry: exchanged again for each ARM call
	tf := tokenFile(t, "projected-sa-token-1")
	u := runProbe(t, f, tf)
	m := scrape(t, u)
	if m[series(ScrapeSuccess)] != 1 {
		t.Fatalf("an empty list is a good answer: %s = %v", ScrapeSuccess, m[series(ScrapeSuccess)])
	}
	if got, ok := m[series(Backups, `backup_type="Full"`)]; !ok || got != 0 {
		t.Errorf(`%s{backup_type="Full"} = %v (present %v), want 0: the alert's "no backup at all" branch reads it`, Backups, got, ok)
	}
	if _, ok := m[series(LastBackup)]; ok {
		t.Errorf("%s present with no backup", LastBackup)
	}
	if _, ok := m[series(ServerCreated)]; !ok {
		t.Errorf("%s missing", ServerCreated)
	}
	// The kubelet rewrites the projected token; the next exchange must send the new one.
	if err := os.WriteFile(tf, []byte("projected-sa-token-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	scrape(t, u)
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.tokenForms); n != 4 {
		t.Fatalf("token exchanges = %d, want 4 (two ARM calls per refresh, each with a token expiring within 300 s)", n)
	}
	for i, want := range []string{"projected-sa-token-1", "projected-sa-token-1", "projected-sa-token-2", "projected-sa-token-2"} {
		if got := f.tokenForms[i].Get("client_assertion"); got != want {
			t.Errorf("exchange %d's client_assertion = %q, want %q (the file as it is at each exchange)", i, got, want)
		}
	}
}

func TestScriptFailures(t *testing.T) {
	t.Run("401 drops the cached token", func(t *testing.T) {
		f := newFake(t)
		f.armStatus = http.StatusUnauthorized
		u := runProbe(t, f, tokenFile(t, "tok"))
		m := scrape(t, u)
		if m[series(ScrapeSuccess)] != 0 {
			t.Errorf("%s = %v after a 401, want 0", ScrapeSuccess, m[series(ScrapeSuccess)])
		}
		if _, ok := m[series(LastBackup)]; ok {
			t.Errorf("%s served after a failed refresh", LastBackup)
		}
		f.mu.Lock()
		f.armStatus = 0
		f.pages = [][]map[string]any{{backup("b", "Full", "2021-06-15T16:05:19Z")}}
		f.mu.Unlock()
		if m := scrape(t, u); m[series(ScrapeSuccess)] != 1 {
			t.Errorf("%s = %v once ARM answers, want 1", ScrapeSuccess, m[series(ScrapeSuccess)])
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.tokenForms) != 2 {
			t.Errorf("token exchanges = %d, want 2: a 401 must drop the cached token", len(f.tokenForms))
		}
	})
	t.Run("429 waits for Retry-After", func(t *testing.T) {
		f := newFake(t)
		f.armStatus, f.retryAfter = http.StatusTooManyRequests, "120"
		u := runProbe(t, f, tokenFile(t, "tok"))
		if m := scrape(t, u); m[series(ScrapeSuccess)] != 0 {
			t.Errorf("%s = %v after a 429, want 0", ScrapeSuccess, m[series(ScrapeSuccess)])
		}
		f.mu.Lock()
		calls := len(f.armAuth)
		f.mu.Unlock()
		if m := scrape(t, u); m[series(ScrapeSuccess)] != 0 {
			t.Errorf("%s = %v within Retry-After, want the cached 0", ScrapeSuccess, m[series(ScrapeSuccess)])
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.armAuth) != calls {
			t.Errorf("ARM called again within Retry-After (120 s): %d calls, want %d", len(f.armAuth), calls)
		}
	})
	t.Run("federation not yet propagated", func(t *testing.T) {
		f := newFake(t)
		f.tokenStatus = http.StatusBadRequest
		u := runProbe(t, f, tokenFile(t, "tok"))
		if m := scrape(t, u); m[series(ScrapeSuccess)] != 0 {
			t.Errorf("%s = %v when the token exchange fails, want 0", ScrapeSuccess, m[series(ScrapeSuccess)])
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.armAuth) != 0 {
			t.Errorf("ARM called without a token: %d calls", len(f.armAuth))
		}
	})
	t.Run("no workload identity", func(t *testing.T) {
		f := newFake(t)
		u := runProbe(t, f, filepath.Join(t.TempDir(), "missing"))
		if m := scrape(t, u); m[series(ScrapeSuccess)] != 0 {
			t.Errorf("%s = %v without a token file, want 0", ScrapeSuccess, m[series(ScrapeSuccess)])
		}
	})
}

// Without systemData the server's age is unknown: no created series, and the probe's start (which the
// rule falls back to) is served.
func TestScriptWithoutSystemData(t *testing.T) {
	f := newFake(t)
	f.createdAt = ""
	before := float64(time.Now().Unix())
	m := scrape(t, runProbe(t, f, tokenFile(t, "tok")))
	if m[series(ScrapeSuccess)] != 1 {
		t.Fatalf("%s = %v", ScrapeSuccess, m[series(ScrapeSuccess)])
	}
	if _, ok := m[series(ServerCreated)]; ok {
		t.Errorf("%s served without systemData.createdAt", ServerCreated)
	}
	if got := m[series(ProbeStart)]; got < before-5 || got > before+30 {
		t.Errorf("%s = %v, want about %v", ProbeStart, got, before)
	}
}

// A refresh that outlives its deadline (PROBE_TIMEOUT_SECONDS, under the scrape's 10 s) fails
// instead of holding the scrape.
func TestScriptDeadline(t *testing.T) {
	f := newFake(t)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(3 * time.Second)
		f.serve(w, r)
	}))
	t.Cleanup(slow.Close)
	f.srv = slow
	u := runProbe(t, f, tokenFile(t, "tok"), "PROBE_TIMEOUT_SECONDS=1")
	start := time.Now()
	m := scrape(t, u)
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("scrape took %s with a 1 s refresh deadline", took)
	}
	if m[series(ScrapeSuccess)] != 0 {
		t.Errorf("%s = %v after the deadline, want 0", ScrapeSuccess, m[series(ScrapeSuccess)])
	}
}

func TestScriptCachesGoodResults(t *testing.T) {
	f := newFake(t)
	f.pages = [][]map[string]any{{backup("b", "Full", "2021-06-15T16:05:19Z")}}
	u := runProbe(t, f, tokenFile(t, "tok"), "PROBE_CACHE_SECONDS=300")
	scrape(t, u)
	scrape(t, u)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.armAuth) != 2 {
		t.Errorf("ARM calls = %d over two scrapes within the cache, want 2 (one refresh: backups and server)", len(f.armAuth))
	}
}

func TestScriptRefusesABadServerID(t *testing.T) {
	cmd := exec.Command(python(t), "-B", "-c", Script)
	cmd.Env = []string{"PROBE_SERVER_ID=/subscriptions/x/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/s"}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "PROBE_SERVER_ID") {
		t.Errorf("probe.py with a storage account's ID: err %v, output %q; want an exit naming PROBE_SERVER_ID", err, out)
	}
}

// parse_time against Go's RFC 3339 parser: any fraction length, Z and offsets, no fraction.
func TestScriptParsesARMTimes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ScriptFile), []byte(Script), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []string{
		"2021-06-16T16:05:23.9243453+00:00", "2021-06-15T16:05:19.902522+00:00", "2021-06-16T16:05:23.9243453Z",
		"2021-06-16T16:05:23Z", "2021-06-16T16:05:23.5-05:30", "2024-02-29T23:59:59.123456789+01:00",
	}
	code := "import sys; sys.path.insert(0, sys.argv[1]); import probe\nfor s in sys.argv[2:]: print(repr(probe.parse_time(s)))"
	out, err := exec.Command(python(t), append([]string{"-B", "-c", code, dir}, cases...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("parse_time: %v: %s", err, out)
	}
	got := strings.Fields(string(out))
	for i, c := range cases {
		v, _ := strconv.ParseFloat(got[i], 64)
		if want := unix(t, c); !near(v, want) {
			t.Errorf("parse_time(%q) = %f, want %f", c, v, want)
		}
	}
}
