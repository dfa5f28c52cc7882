package reflectionmetrics

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fake below answers as Dremio OSS 25.2.0 does (dremio-oss@c7fee0bcd, dac/backend/src/main/java/
// com/dremio/dac/…): POST /apiv2/login → UserLoginSession {"token", "userName", …}
// (resource/LogInLogOutResource.java, model/usergroup/UserLoginSession.java); later calls carry
// "Authorization: _dremio<token>" (server/tokens/TokenUtils.java), 401 otherwise; POST /api/v3/sql →
// {"id"} (api/SQLResource.java QueryDetails); GET /api/v3/job/{id} → JobStatus {"jobState",
// "rowCount", "errorMessage", …} (api/JobStatus.java, JobState of services/jobs/src/main/proto/
// job.proto); GET /api/v3/job/{id}/results?offset&limit → {"rowCount" (the job's output records),
// "schema", "rows": [{column: value}]} (api/JobResourceData.java, limit ≤ 500 api/JobResource.java),
// TIMESTAMP columns as "YYYY-MM-DD HH24:MI:SS.FFF" in UTC and null when unset
// (explore/model/DataJsonOutput.java FORMAT_TIMESTAMP); the columns of sys.reflections are
// ListReflectionsResponse's (services/accelerator-api/…/ReflectionDescriptionService.proto), filled
// by services/accelerator/…/ReflectionStatusServiceImpl.java (null last_refresh_from_table when there
// is no materialization, null available_until when no expiry). Errors are Dremio's {"errorMessage"}.

// fakeReflection is one row of sys.reflections (nil: SQL NULL).
type fakeReflection struct {
	id, name, dataset, status string
	failures                  int
	fetched, expires          any
}

type fake struct {
	reflections []fakeReflection
	// jobs are sys.jobs_recent's rows (bridge_queries_test.go); jobsState, when set, is the final
	// state of the pass's second query; windows records each one's [submitted, final] bounds (ms),
	// excluded the user it leaves out.
	jobs      []fakeJob
	jobsState string
	windows   [][2]int64
	excluded  string
	// pageSize caps the rows of one results page (to exercise paging).
	pageSize int
	// refuse makes the login fail as a wrong password does.
	refuse bool
	// jobState is the query's final state.
	jobState string
	// garbage makes the results answer a JSON array instead of an object.
	garbage bool
	// delay slows every answer.
	delay  time.Duration
	logins atomic.Int32
	mu     sync.Mutex
	polls  int
	// token is the session's; revoke() makes the next call with it a 401.
	token string
}

func (f *fake) revoke() {
	f.mu.Lock()
	f.token = ""
	f.mu.Unlock()
}

// ts is a TIMESTAMP as the job results write it.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

func (f *fake) handler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	jsonOut := func(w http.ResponseWriter, code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	authed := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			ok := f.token != "" && r.Header.Get("Authorization") == "_dremio"+f.token
			f.mu.Unlock()
			if !ok {
				jsonOut(w, http.StatusUnauthorized, map[string]any{"errorMessage": "No authorization header"})
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("POST /apiv2/login", func(w http.ResponseWriter, r *http.Request) {
		n := f.logins.Add(1)
		var in struct{ UserName, Password string }
		require.NoError(t, json.NewDecoder(r.Body).Decode(&in))
		if f.refuse || in.UserName != "monitor" || in.Password != "s3cret" {
			jsonOut(w, http.StatusUnauthorized, map[string]any{"errorMessage": "Login failed: Invalid username or password"})
			return
		}
		f.mu.Lock()
		f.token = fmt.Sprintf("tok3n-%d", n)
		tok := f.token
		f.mu.Unlock()
		jsonOut(w, http.StatusOK, map[string]any{"token": tok, "userName": "monitor", "firstName": "Platform", "lastName": "Monitor",
			"expires": time.Now().Add(30 * time.Hour).UnixMilli(), "email": "monitor@dataplatform.invalid", "admin": false,
			"clusterId": "c", "clusterCreatedAt": 1, "version": "25.2.0-202410241428100111-a963b970", "permissions": map[string]any{}})
	})
	mux.HandleFunc("POST /api/v3/sql", authed(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		require.NoError(t, json.NewDecoder(r.Body).Decode(&in))
		id := "1a2b-job"
		if sql, _ := in["sql"].(string); strings.Contains(sql, "sys.jobs_recent") {
			id = f.jobsQuery(t, sql)
		} else {
			assert.Equal(t, "SELECT reflection_id, reflection_name, dataset_name, status, num_failures, last_refresh_from_table, available_until FROM sys.reflections", sql)
		}
		f.mu.Lock()
		f.polls = 0
		f.mu.Unlock()
		jsonOut(w, http.StatusOK, map[string]any{"id": id})
	}))
	mux.HandleFunc("GET /api/v3/job/{id}", authed(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		assert.Contains(t, []string{"1a2b-job", jobsJob}, id)
		f.mu.Lock()
		f.polls++
		first := f.polls == 1
		f.mu.Unlock()
		state, count := f.jobState, len(f.reflections)
		if id == jobsJob {
			count = len(f.jobGroups())
			if f.jobsState != "" {
				state = f.jobsState
			}
		}
		if first {
			state = "RUNNING"
		}
		body := map[string]any{"jobState": state, "rowCount": count, "queryType": "REST"}
		if state == "FAILED" {
			body["errorMessage"] = "Table 'sys.reflections' not found"
		}
		jsonOut(w, http.StatusOK, body)
	}))
	mux.HandleFunc("GET /api/v3/job/{id}/results", authed(func(w http.ResponseWriter, r *http.Request) {
		if f.garbage {
			jsonOut(w, http.StatusOK, []any{1, 2})
			return
		}
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		assert.LessOrEqual(t, limit, 500, "JobResource: limit can not exceed 500 rows")
		if r.PathValue("id") == jobsJob {
			f.jobsResults(w, jsonOut, off, limit)
			return
		}
		rows := []map[string]any{}
		for i := off; i < len(f.reflections) && len(rows) < min(limit, f.pageSize); i++ {
			x := f.reflections[i]
			rows = append(rows, map[string]any{"reflection_id": x.id, "reflection_name": x.name, "dataset_name": x.dataset,
				"status": x.status, "num_failures": x.failures, "last_refresh_from_table": x.fetched, "available_until": x.expires})
		}
		jsonOut(w, http.StatusOK, map[string]any{"rowCount": len(f.reflections),
			"schema": []map[string]any{{"name": "reflection_id", "type": map[string]any{"name": "VARCHAR"}}}, "rows": rows})
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(f.delay)
		mux.ServeHTTP(w, r)
	})
}

// bridge starts python3 on bridge.py against dremioURL and returns its base URL.
func bridge(t *testing.T, dremioURL string, env ...string) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is required to test the reflection bridge (bridge.py runs in the python image): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	cmd := exec.Command(py, "-B", "-u", "bridge.py")
	cmd.Env = append(os.Environ(), "DREMIO_URL="+dremioURL, "DREMIO_USER=monitor", "DREMIO_PASSWORD=s3cret",
		fmt.Sprintf("PROBE_PORT=%d", port), "CACHE_SECONDS=0", "DEADLINE_SECONDS=4")
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var logs strings.Builder
	var logMu sync.Mutex
	done := make(chan struct{})
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			logMu.Lock()
			logs.WriteString(s.Text() + "\n")
			logMu.Unlock()
		}
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		<-done
		if t.Failed() {
			t.Logf("bridge stderr:\n%s", logs.String())
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		if i > 100 {
			logMu.Lock()
			defer logMu.Unlock()
			t.Fatalf("the bridge did not answer /healthz: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var sampleLine = regexp.MustCompile(`^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+]+)$`)

// scrape reads /metrics and returns every sample as "name{labels}" → value, checking the format.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/plain; version=0.0.4; charset=utf-8", resp.Header.Get("Content-Type"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := map[string]float64{}
	typed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
		if strings.HasPrefix(line, "# TYPE ") {
			f := strings.Fields(line)
			require.Len(t, f, 4, line)
			assert.Equal(t, "gauge", f[3])
			typed[f[2]] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		require.NotNil(t, m, "not a Prometheus text sample: %q", line)
		assert.True(t, typed[m[1]], "%s has no TYPE line before it", m[1])
		v, err := strconv.ParseFloat(m[3], 64)
		require.NoError(t, err)
		out[m[1]+m[2]] = v
	}
	for _, m := range Metrics() {
		assert.True(t, typed[m.Name], "declared metric %s is served", m.Name)
	}
	return out
}

func series(out map[string]float64, name string) map[string]float64 {
	r := map[string]float64{}
	for k, v := range out {
		if strings.HasPrefix(k, name+"{") || k == name {
			r[k] = v
		}
	}
	return r
}

const placeholder = `{reflection_id="_none",reflection="_none",dataset="_none"}`

func TestBridgeHappyPath(t *testing.T) {
	fetched := time.Date(2026, 11, 29, 14, 30, 5, 123e6, time.UTC)
	expires := fetched.Add(24 * time.Hour)
	f := &fake{pageSize: 2, jobState: "COMPLETED", reflections: []fakeReflection{
		{"r-1", "sales raw", `"lake"."sales"`, "CAN_ACCELERATE", 0, ts(fetched), ts(expires)},
		// Never refreshed: no materialization, both times NULL.
		{"r-2", "orders agg", "lake.orders", "CANNOT_ACCELERATE_SCHEDULED", 2, nil, nil},
		// Disabled on purpose: a status, no freshness.
		{"r-3", "old", "lake.old", "DISABLED", 0, ts(fetched.Add(-90 * 24 * time.Hour)), nil},
	}}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	out := scrape(t, bridge(t, srv.URL))

	assert.Equal(t, 1.0, out[ScrapeSuccess])
	assert.Equal(t, 3.0, out[Reflections])
	assert.Greater(t, out[ScrapeSeconds], 0.0)
	assert.Equal(t, map[string]float64{
		LastRefresh + placeholder: 0,
		LastRefresh + `{reflection_id="r-1",reflection="sales raw",dataset="\"lake\".\"sales\""}`: float64(fetched.UnixMilli()) / 1000,
	}, series(out, LastRefresh), "r-2 was never refreshed and r-3 is disabled: no timestamp; the zone-less time is UTC")
	assert.Equal(t, map[string]float64{
		Expiry + `{reflection_id="r-1",reflection="sales raw",dataset="\"lake\".\"sales\""}`: float64(expires.UnixMilli()) / 1000,
	}, series(out, Expiry))
	assert.Equal(t, map[string]float64{
		Status + `{reflection_id="r-1",reflection="sales raw",dataset="\"lake\".\"sales\"",status="CAN_ACCELERATE"}`:        1,
		Status + `{reflection_id="r-2",reflection="orders agg",dataset="lake.orders",status="CANNOT_ACCELERATE_SCHEDULED"}`: 1,
		Status + `{reflection_id="r-3",reflection="old",dataset="lake.old",status="DISABLED"}`:                              1,
	}, series(out, Status))
	assert.Equal(t, 2.0, out[Failures+`{reflection_id="r-2",reflection="orders agg",dataset="lake.orders"}`])
	assert.Equal(t, int32(1), f.logins.Load())
}

// TestBridgeManyReflections: a platform with many reflections is one query and three result pages,
// far inside the deadline.
func TestBridgeManyReflections(t *testing.T) {
	f := &fake{pageSize: 500, jobState: "COMPLETED", delay: 20 * time.Millisecond}
	for i := 0; i < 1200; i++ {
		f.reflections = append(f.reflections, fakeReflection{fmt.Sprintf("r-%d", i), "x", "lake.t", "CAN_ACCELERATE", 0, ts(time.Now()), nil})
	}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	out := scrape(t, bridge(t, srv.URL))
	assert.Equal(t, 1.0, out[ScrapeSuccess])
	assert.Equal(t, 1200.0, out[Reflections])
	assert.Len(t, series(out, LastRefresh), 1201)
	assert.Less(t, out[ScrapeSeconds], 2.0)
}

// TestBridgeKeepsItsSession: passes share one token (Dremio keeps tokens 30 h); a revoked or
// expired one (401) is renewed once within the pass.
func TestBridgeKeepsItsSession(t *testing.T) {
	f := &fake{pageSize: 500, jobState: "COMPLETED"}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	base := bridge(t, srv.URL)
	for i := 0; i < 3; i++ {
		assert.Equal(t, 1.0, scrape(t, base)[ScrapeSuccess])
	}
	assert.Equal(t, int32(1), f.logins.Load(), "CACHE_SECONDS=0: three passes, one login")
	f.revoke()
	assert.Equal(t, 1.0, scrape(t, base)[ScrapeSuccess])
	assert.Equal(t, int32(2), f.logins.Load())
}

// TestBridgeUnexpectedAnswer: an answer of the wrong shape fails the pass, not the server.
func TestBridgeUnexpectedAnswer(t *testing.T) {
	f := &fake{pageSize: 500, jobState: "COMPLETED", garbage: true}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	base := bridge(t, srv.URL)
	for i := 0; i < 2; i++ {
		assert.Equal(t, 0.0, scrape(t, base)[ScrapeSuccess])
	}
}

func TestBridgeNoReflections(t *testing.T) {
	f := &fake{pageSize: 500, jobState: "COMPLETED"}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	out := scrape(t, bridge(t, srv.URL))
	assert.Equal(t, 1.0, out[ScrapeSuccess])
	assert.Equal(t, 0.0, out[Reflections])
	assert.Equal(t, map[string]float64{LastRefresh + placeholder: 0}, series(out, LastRefresh), "only the placeholder")
	assert.Empty(t, series(out, Status))
	assert.Empty(t, series(out, Expiry))
}

func TestBridgeLoginRefused(t *testing.T) {
	f := &fake{pageSize: 500, jobState: "COMPLETED", refuse: true, reflections: []fakeReflection{
		{"r-1", "a", "b", "CAN_ACCELERATE", 0, ts(time.Now()), nil},
	}}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	base := bridge(t, srv.URL)
	for i := 0; i < 2; i++ { // it keeps serving
		out := scrape(t, base)
		assert.Equal(t, 0.0, out[ScrapeSuccess])
		assert.Equal(t, map[string]float64{LastRefresh + placeholder: 0}, series(out, LastRefresh))
		assert.Empty(t, series(out, Status))
	}
	assert.Equal(t, int32(2), f.logins.Load(), "CACHE_SECONDS=0: each scrape tries again")
	assert.Empty(t, f.token)
}

func TestBridgeQueryFailed(t *testing.T) {
	f := &fake{pageSize: 500, jobState: "FAILED"}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	out := scrape(t, bridge(t, srv.URL))
	assert.Equal(t, 0.0, out[ScrapeSuccess])
}

func TestBridgeDremioDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	base := bridge(t, down)
	out := scrape(t, base)
	assert.Equal(t, 0.0, out[ScrapeSuccess])
	assert.Equal(t, 0.0, out[Reflections])
	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "a failed pass does not take the server down")
}

// TestBridgeTimeout: a Dremio that answers too slowly fails the pass within DEADLINE_SECONDS, well
// inside a 10 s scrape timeout.
func TestBridgeTimeout(t *testing.T) {
	f := &fake{pageSize: 500, jobState: "COMPLETED", delay: 3 * time.Second}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	base := bridge(t, srv.URL, "DEADLINE_SECONDS=1")
	start := time.Now()
	out := scrape(t, base)
	assert.Less(t, time.Since(start), 2500*time.Millisecond)
	assert.Equal(t, 0.0, out[ScrapeSuccess])
}

// TestBridgeCaches: scrapes inside CACHE_SECONDS share one pass.
func TestBridgeCaches(t *testing.T) {
	f := &fake{pageSize: 500, jobState: "COMPLETED"}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	base := bridge(t, srv.URL, fmt.Sprintf("CACHE_SECONDS=%d", CacheSeconds))
	for i := 0; i < 3; i++ {
		assert.Equal(t, 1.0, scrape(t, base)[ScrapeSuccess])
	}
	assert.Equal(t, int32(1), f.logins.Load())
}
