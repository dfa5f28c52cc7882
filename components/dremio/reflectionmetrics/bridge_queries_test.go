package reflectionmetrics

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The pass's second query reads sys.jobs_recent (dremio-oss@c7fee0bcd services/jobs/src/main/
// protobuf/jobs-service.proto RecentJobSummary: status and query_type VARCHAR, user_name VARCHAR,
// submitted_epoch_millis and final_state_epoch_millis BIGINT, the latter unset while the job runs);
// the fake filters and aggregates its jobs as the SQL says, and the job results API writes BIGINT
// columns as JSON numbers (COUNT, SUM and MAX of BIGINT are BIGINT).

// jobsJob is the job id the fake gives the sys.jobs_recent query.
const jobsJob = "3c4d-job"

// fakeJob is one row of sys.jobs_recent.
type fakeJob struct {
	user, status, queryType string
	submitted, final        int64 // epoch milliseconds; final 0 = not finished
}

var jobsSQL = regexp.MustCompile(`^SELECT status, COUNT\(\*\) AS queries, SUM\(final_state_epoch_millis - submitted_epoch_millis\) AS total_millis, MAX\(final_state_epoch_millis - submitted_epoch_millis\) AS max_millis FROM sys\.jobs_recent WHERE submitted_epoch_millis > ([0-9]+) AND final_state_epoch_millis > ([0-9]+) AND user_name <> '((?:[^']|'')*)' AND query_type NOT LIKE 'ACCELERATOR%' GROUP BY status$`)

// jobsQuery checks the bridge's SQL and records its bounds.
func (f *fake) jobsQuery(t *testing.T, sql string) string {
	m := jobsSQL.FindStringSubmatch(sql)
	require.NotNil(t, m, "unexpected sys.jobs_recent query: %s", sql)
	sub, _ := strconv.ParseInt(m[1], 10, 64)
	fin, _ := strconv.ParseInt(m[2], 10, 64)
	f.mu.Lock()
	f.windows = append(f.windows, [2]int64{sub, fin})
	f.excluded = strings.ReplaceAll(m[3], "''", "'")
	f.mu.Unlock()
	return jobsJob
}

// jobGroups are the query's result rows over the last recorded bounds.
func (f *fake) jobGroups() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.windows) == 0 {
		return nil
	}
	w := f.windows[len(f.windows)-1]
	groups := map[string]map[string]any{}
	for _, j := range f.jobs {
		if j.submitted <= w[0] || j.final <= w[1] || j.user == f.excluded || strings.HasPrefix(j.queryType, "ACCELERATOR") {
			continue
		}
		g := groups[j.status]
		if g == nil {
			g = map[string]any{"status": j.status, "queries": int64(0), "total_millis": int64(0), "max_millis": int64(0)}
			groups[j.status] = g
		}
		d := j.final - j.submitted
		g["queries"] = g["queries"].(int64) + 1
		g["total_millis"] = g["total_millis"].(int64) + d
		g["max_millis"] = max(g["max_millis"].(int64), d)
	}
	out := []map[string]any{}
	for _, g := range groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["status"].(string) < out[j]["status"].(string) })
	return out
}

func (f *fake) jobsResults(w http.ResponseWriter, jsonOut func(http.ResponseWriter, int, any), off, limit int) {
	all := f.jobGroups()
	rows := []map[string]any{}
	for i := off; i < len(all) && len(rows) < min(limit, f.pageSize); i++ {
		rows = append(rows, all[i])
	}
	jsonOut(w, http.StatusOK, map[string]any{"rowCount": len(all), "schema": []map[string]any{
		{"name": "status", "type": map[string]any{"name": "VARCHAR"}}, {"name": "queries", "type": map[string]any{"name": "BIGINT"}},
		{"name": "total_millis", "type": map[string]any{"name": "BIGINT"}}, {"name": "max_millis", "type": map[string]any{"name": "BIGINT"}},
	}, "rows": rows})
}

const nostate = `{state="_none"}`

func TestBridgeQueryDuration(t *testing.T) {
	now := time.Now().UnixMilli()
	ago := func(s float64) int64 { return now - int64(s*1000) }
	f := &fake{pageSize: 1, jobState: "COMPLETED", jobs: []fakeJob{
		{"alice", "COMPLETED", "UI_RUN", ago(100), ago(98)},              // 2 s
		{"bob", "COMPLETED", "JDBC", ago(250), ago(10)},                  // 240 s, submitted before the window
		{"bob", "FAILED", "FLIGHT", ago(60), ago(59.5)},                  // 0.5 s
		{"alice", "COMPLETED", "UI_RUN", ago(900), ago(600)},             // ended before the window
		{"alice", "RUNNING", "UI_RUN", ago(30), 0},                       // not finished
		{"monitor", "COMPLETED", "REST", ago(20), ago(19)},               // the bridge's own
		{"$dremio$", "COMPLETED", "ACCELERATOR_CREATE", ago(80), ago(5)}, // a reflection refresh
	}}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	base := bridge(t, srv.URL)
	before := time.Now().UnixMilli()
	out := scrape(t, base)
	after := time.Now().UnixMilli()

	assert.Equal(t, 1.0, out[QueryScrapeSuccess])
	assert.Equal(t, 1.0, out[ScrapeSuccess])
	require.Len(t, f.windows, 1)
	within := func(v, lo, hi int64, msg string) {
		assert.True(t, v >= lo && v <= hi, "%s: %d not in [%d, %d]", msg, v, lo, hi)
	}
	within(f.windows[0][1], before-WindowSeconds*1000-1, after-WindowSeconds*1000, "the window is WindowSeconds before the pass")
	within(f.windows[0][0], before-3600*1000-1, after-3600*1000, "the pushed-down submission bound is an hour back")
	assert.Equal(t, "monitor", f.excluded)
	assert.Equal(t, map[string]float64{
		QueriesCompleted + nostate: 0, QueriesCompleted + `{state="COMPLETED"}`: 2, QueriesCompleted + `{state="FAILED"}`: 1,
	}, series(out, QueriesCompleted))
	assert.InDeltaMapValues(t, map[string]float64{
		QueryMeanSeconds + nostate: 0, QueryMeanSeconds + `{state="COMPLETED"}`: 121, QueryMeanSeconds + `{state="FAILED"}`: 0.5,
	}, series(out, QueryMeanSeconds), 1e-9)
	assert.InDeltaMapValues(t, map[string]float64{
		QueryMaxSeconds + nostate: 0, QueryMaxSeconds + `{state="COMPLETED"}`: 240, QueryMaxSeconds + `{state="FAILED"}`: 0.5,
	}, series(out, QueryMaxSeconds), 1e-9)
	assert.Equal(t, int32(1), f.logins.Load(), "both queries share the session")
}

// TestBridgeNoQueries: an idle platform serves the placeholders, and the pass succeeds.
func TestBridgeNoQueries(t *testing.T) {
	f := &fake{pageSize: 500, jobState: "COMPLETED"}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	out := scrape(t, bridge(t, srv.URL))
	assert.Equal(t, 1.0, out[QueryScrapeSuccess])
	assert.Equal(t, map[string]float64{QueriesCompleted + nostate: 0}, series(out, QueriesCompleted))
	assert.Equal(t, map[string]float64{QueryMeanSeconds + nostate: 0}, series(out, QueryMeanSeconds))
	assert.Equal(t, map[string]float64{QueryMaxSeconds + nostate: 0}, series(out, QueryMaxSeconds))
}

// TestBridgeJobsQueryFailed: a failed sys.jobs_recent query fails the query series only; the
// reflections read in the same pass are served.
func TestBridgeJobsQueryFailed(t *testing.T) {
	f := &fake{pageSize: 500, jobState: "COMPLETED", jobsState: "FAILED",
		reflections: []fakeReflection{{"r-1", "a", "b", "CAN_ACCELERATE", 0, ts(time.Now()), nil}},
		jobs:        []fakeJob{{"alice", "COMPLETED", "UI_RUN", time.Now().UnixMilli() - 2000, time.Now().UnixMilli() - 1000}}}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	out := scrape(t, bridge(t, srv.URL))
	assert.Equal(t, 1.0, out[ScrapeSuccess])
	assert.Equal(t, 1.0, out[Reflections])
	assert.Equal(t, 0.0, out[QueryScrapeSuccess])
	assert.Equal(t, map[string]float64{QueriesCompleted + nostate: 0}, series(out, QueriesCompleted))
}

// TestBridgeQueriesNeedReflections: when the first query fails the second is not tried (one login
// attempt a pass), and both successes are 0.
func TestBridgeQueriesNeedReflections(t *testing.T) {
	f := &fake{pageSize: 500, jobState: "FAILED"}
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	out := scrape(t, bridge(t, srv.URL))
	assert.Equal(t, 0.0, out[ScrapeSuccess])
	assert.Equal(t, 0.0, out[QueryScrapeSuccess])
	assert.Empty(t, f.windows)
}
