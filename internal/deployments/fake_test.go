package deployments

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const testToken = "pul-test-token"

// call is one request the fake API received.
type call struct {
	Method, Path string
	Body         map[string]any
}

func (c call) String() string { return c.Method + " " + c.Path }

// fakeAPI answers like Pulumi Cloud's REST API for the five routes apply uses (pulumi-cloud-sdk/go
// apiclient/deployments_.go) and checks every request: auth header, Accept, JSON content type.
type fakeAPI struct {
	t        *testing.T
	mu       sync.Mutex
	calls    []call
	settings map[string]map[string]any   // by "org/project/stack"
	sched    map[string][]map[string]any // by "org/project/stack"
	nextID   int
	// fail makes a route answer an error: key "METHOD path", value status and message.
	fail map[string][2]any
}

func newFakeAPI(t *testing.T) (*fakeAPI, *Client) {
	f := &fakeAPI{t: t, settings: map[string]map[string]any{}, sched: map[string][]map[string]any{}, fail: map[string][2]any{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, testToken, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func (f *fakeAPI) writes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var w []string
	for _, c := range f.calls {
		if c.Method != http.MethodGet {
			w = append(w, c.String())
		}
	}
	return w
}

func (f *fakeAPI) reset() {
	f.mu.Lock()
	f.calls = nil
	f.mu.Unlock()
}

func (f *fakeAPI) reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := call{Method: r.Method, Path: r.URL.Path}
	raw, _ := io.ReadAll(r.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c.Body); err != nil {
			f.t.Errorf("%s: body is not a JSON object: %v: %s", c, err, raw)
		}
	}
	f.calls = append(f.calls, c)

	// What the real API requires of every call.
	if got := r.Header.Get("Authorization"); got != "token "+testToken {
		f.reply(w, 401, map[string]any{"code": 401, "message": "Unauthorized: No credentials provided or are invalid."})
		f.t.Errorf("%s: Authorization %q", c, got)
		return
	}
	if got := r.Header.Get("Accept"); got != "application/vnd.pulumi+8" {
		f.t.Errorf("%s: Accept %q", c, got)
	}
	if r.Method != http.MethodGet && r.Header.Get("Content-Type") != "application/json" {
		f.t.Errorf("%s: Content-Type %q", c, r.Header.Get("Content-Type"))
	}
	if e, ok := f.fail[c.String()]; ok {
		f.reply(w, e[0].(int), map[string]any{"code": e[0], "message": e[1]})
		return
	}

	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/stacks/"), "/")
	if !strings.HasPrefix(r.URL.Path, "/api/stacks/") || len(parts) < 5 || parts[3] != "deployments" {
		f.t.Errorf("unexpected route %s", c)
		f.reply(w, 404, map[string]any{"code": 404, "message": "Not Found"})
		return
	}
	stack, rest := strings.Join(parts[:3], "/"), strings.Join(parts[4:], "/")
	switch {
	case rest == "settings" && r.Method == http.MethodGet:
		s, ok := f.settings[stack]
		if !ok {
			f.reply(w, 404, map[string]any{"code": 404, "message": "Not Found: deployment settings"})
			return
		}
		f.reply(w, 200, s)
	case rest == "settings" && r.Method == http.MethodPut:
		// PUT replaces: the stored settings are the body, with the version the service assigns.
		version := 1
		if old, ok := f.settings[stack]; ok {
			version = int(old["version"].(float64)) + 1
		}
		stored := map[string]any{"version": float64(version)}
		for k, v := range c.Body {
			stored[k] = v
		}
		f.settings[stack] = stored
		f.reply(w, 200, stored)
	case rest == "schedules" && r.Method == http.MethodGet:
		list := f.sched[stack]
		if list == nil {
			list = []map[string]any{}
		}
		f.reply(w, 200, map[string]any{"schedules": list})
	case rest == "drift/schedules" && r.Method == http.MethodPost:
		f.nextID++
		a := driftAction(fmt.Sprintf("sched-%d", f.nextID), fmt.Sprintf("2026-11-0%dT00:00:00Z", f.nextID), c.Body)
		f.sched[stack] = append(f.sched[stack], a)
		f.reply(w, 201, a)
	case strings.HasPrefix(rest, "drift/schedules/") && r.Method == http.MethodPost:
		id := strings.TrimPrefix(rest, "drift/schedules/")
		for i, a := range f.sched[stack] {
			if a["id"] == id {
				// The drift update endpoint rewrites the whole definition (pulumi stack schedule edit).
				f.sched[stack][i] = driftAction(id, a["created"].(string), c.Body)
				f.reply(w, 200, f.sched[stack][i])
				return
			}
		}
		f.reply(w, 404, map[string]any{"code": 404, "message": "Not Found: schedule"})
	default:
		f.t.Errorf("unexpected route %s", c)
		f.reply(w, 405, map[string]any{"code": 405, "message": "Method Not Allowed"})
	}
}

// driftAction is a ScheduledAction as the service describes a drift schedule (pulumi-cloud-sdk
// apitype/scheduled_action_.go; definition as pulumi sdk apitype/schedules.go
// ScheduledDeploymentDefinition).
func driftAction(id, created string, body map[string]any) map[string]any {
	auto, _ := body["autoRemediate"].(bool)
	return map[string]any{
		"id": id, "orgID": "org-id", "scheduleCron": body["scheduleCron"], "nextExecution": "2026-11-05T06:00:00Z",
		"paused": false, "kind": "deployment", "created": created, "modified": created, "lastExecuted": nil,
		"definition": map[string]any{"programID": "prog-1", "request": map[string]any{
			"operation": "detect-drift", "inheritSettings": true,
			"operationContext": map[string]any{"options": map[string]any{"remediateIfDriftDetected": auto}},
		}},
	}
}
