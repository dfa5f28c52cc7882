"""Dremio reflection freshness as Prometheus gauges.

Run by components/observability/probe (python3 -B -u, standard library only, Python 3.11+). On a
scrape of /metrics whose cached result is older than CACHE_SECONDS it signs in to Dremio's REST API
and reads every reflection's status; a failure of any step is reported as
dremio_reflection_bridge_scrape_success 0, never as a crash.

Dremio OSS 25.2.0 (dremio/dremio-oss@c7fee0bcd "Release 25.2.0"):
  - POST /apiv2/login {"userName", "password"} -> {"token", ...}
    (dac/backend/.../resource/LogInLogOutResource.java, model/usergroup/UserLogin.java,
    UserLoginSession.java); later calls send "Authorization: _dremio<token>"
    (server/tokens/TokenUtils.java AUTH_HEADER_PREFIX).
  - No endpoint lists every reflection (api/ReflectionResource.java serves GET /{id} only), so their
    ids come from the system table: POST /api/v3/sql {"sql"} -> {"id"} (api/SQLResource.java),
    GET /api/v3/job/{id} -> {"jobState", "errorMessage"} (api/JobStatus.java; states of
    services/jobs/src/main/proto/job.proto JobState), GET /api/v3/job/{id}/results?offset&limit
    (limit <= 500) -> {"rowCount", "rows": [{column: value}]} (api/JobResource.java,
    JobResourceData.java). sys.reflections' columns are those of ListReflectionsResponse
    (services/accelerator-api/src/main/protobuf/ReflectionDescriptionService.proto: reflection_id,
    reflection_name, dataset_name), served through sysflight (dac/daemon/DACDaemonModule.java).
  - GET /api/v3/reflection/{id} -> Reflection (api/Reflection.java: id, name, datasetId, enabled,
    status) whose status is ReflectionStatusUI (service/reflection/ReflectionStatusUI.java:
    combinedStatus, failureCount, lastDataFetch, expiresAt). Both times are epoch milliseconds
    written as ISO-8601 strings in UTC (api/JsonISODateTime.java -> TimestampToISODateStringSerializer:
    Joda ISODateTimeFormat.dateTime(), "2024-10-24T11:40:07.123Z"; "ERROR" when Joda cannot print
    it), and -1 (1969-12-31T23:59:59.999Z) or 0 when there is no materialization
    (services/accelerator/.../ReflectionStatusServiceImpl.java).
"""

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "dremio_reflection_"
NONE = "_none"
SQL = "SELECT reflection_id, reflection_name, dataset_name FROM sys.reflections"
DONE = {"COMPLETED"}
FAILED = {"FAILED", "CANCELED", "INVALID_STATE"}


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        sys.exit("bridge: environment variable %s is required" % name)
    return value


class Failure(Exception):
    """A step that did not work; its message is logged, never served."""


class Dremio:
    def __init__(self, base, user, password, deadline):
        self.base = base.rstrip("/")
        self.user = user
        self.password = password
        self.deadline = deadline
        self.token = None

    def remaining(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Failure("deadline exceeded")
        return min(left, 5.0)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "_dremio" + self.token)
        try:
            with urllib.request.urlopen(req, timeout=self.remaining()) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            raise Failure("%s %s: HTTP %d" % (method, path, e.code)) from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise Failure("%s %s: %s" % (method, path, e)) from None

    def login(self):
        out = self.call("POST", "/apiv2/login", {"userName": self.user, "password": self.password})
        token = out.get("token") if isinstance(out, dict) else None
        if not token:
            raise Failure("login: no token in the answer")
        self.token = token

    def reflection_rows(self):
        job = self.call("POST", "/api/v3/sql", {"sql": SQL}).get("id")
        if not job:
            raise Failure("sql: no job id")
        job = urllib.parse.quote(job, safe="")
        while True:
            state = self.call("GET", "/api/v3/job/" + job).get("jobState")
            if state in DONE:
                break
            if state in FAILED:
                raise Failure("sys.reflections query %s" % state)
            time.sleep(min(0.2, self.remaining()))
        rows, offset = [], 0
        while True:
            page = self.call("GET", "/api/v3/job/%s/results?offset=%d&limit=500" % (job, offset))
            batch = page.get("rows") or []
            rows.extend(batch)
            offset += len(batch)
            if not batch or offset >= int(page.get("rowCount") or 0):
                return rows

    def reflection(self, rid):
        return self.call("GET", "/api/v3/reflection/" + urllib.parse.quote(rid, safe=""))


def epoch(value):
    """Seconds since the epoch of an ISO-8601 time, or None when there is none."""
    if not isinstance(value, str) or value == "ERROR":
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
    return t if t > 0 else None


def label(value):
    s = "" if value is None else str(value)
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def labels(**kv):
    return "{" + ",".join('%s="%s"' % (k, label(v)) for k, v in kv.items()) + "}"


def collect(base, user, password, budget):
    """The exposition text of one pass over Dremio's reflections."""
    start = time.monotonic()
    series = {
        "last_refresh_timestamp_seconds": [],
        "expiry_timestamp_seconds": [],
        "status": [],
        "failures": [],
    }
    # The placeholder keeps the freshness series in existence on a platform without reflections
    # (Cloud Monitoring refuses an alert policy over a metric it never received); rules and panels
    # read reflection_id!="_none".
    series["last_refresh_timestamp_seconds"].append((labels(reflection_id=NONE, reflection=NONE, dataset=NONE), 0))
    ok, count = 1, 0
    try:
        d = Dremio(base, user, password, start + budget)
        d.login()
        for row in d.reflection_rows():
            rid = row.get("reflection_id")
            if not rid:
                continue
            r = d.reflection(rid)
            status = r.get("status") or {}
            lab = labels(reflection_id=rid, reflection=row.get("reflection_name") or r.get("name"), dataset=row.get("dataset_name"))
            count += 1
            series["status"].append((labels(reflection_id=rid, reflection=row.get("reflection_name") or r.get("name"),
                                            dataset=row.get("dataset_name"), status=status.get("combinedStatus") or "UNKNOWN"), 1))
            series["failures"].append((lab, int(status.get("failureCount") or 0)))
            # A disabled reflection is not refreshed on purpose: no freshness series, its status says so.
            if r.get("enabled") is False:
                continue
            fetched = epoch(status.get("lastDataFetch"))
            if fetched is not None:
                series["last_refresh_timestamp_seconds"].append((lab, fetched))
            expires = epoch(status.get("expiresAt"))
            if expires is not None:
                series["expiry_timestamp_seconds"].append((lab, expires))
    except Failure as e:
        print("bridge: %s" % e, file=sys.stderr, flush=True)
        ok = 0
        for k in ("expiry_timestamp_seconds", "status", "failures"):
            series[k] = []
        series["last_refresh_timestamp_seconds"] = series["last_refresh_timestamp_seconds"][:1]
        count = 0
    helps = {
        "last_refresh_timestamp_seconds": "Time of the reflection's last successful data fetch (Reflection.status.lastDataFetch); absent when never refreshed or disabled.",
        "expiry_timestamp_seconds": "Time the reflection's current materialization expires (Reflection.status.expiresAt).",
        "status": "The reflection's combinedStatus as the status label, value 1.",
        "failures": "Consecutive refresh failures of the reflection (Reflection.status.failureCount).",
    }
    out = []
    for name, rows in series.items():
        out.append("# HELP %s%s %s" % (PREFIX, name, helps[name]))
        out.append("# TYPE %s%s gauge" % (PREFIX, name))
        for lab, value in rows:
            out.append("%s%s%s %s" % (PREFIX, name, lab, repr(float(value))))
    out += [
        "# HELP %sbridge_reflections Reflections read on the last pass." % PREFIX,
        "# TYPE %sbridge_reflections gauge" % PREFIX,
        "%sbridge_reflections %d" % (PREFIX, count),
        "# HELP %sbridge_scrape_success 1 when the last pass read every reflection from Dremio, else 0." % PREFIX,
        "# TYPE %sbridge_scrape_success gauge" % PREFIX,
        "%sbridge_scrape_success %d" % (PREFIX, ok),
        "# HELP %sbridge_scrape_duration_seconds How long the last pass took." % PREFIX,
        "# TYPE %sbridge_scrape_duration_seconds gauge" % PREFIX,
        "%sbridge_scrape_duration_seconds %s" % (PREFIX, repr(time.monotonic() - start)),
    ]
    return "\n".join(out) + "\n"


class Cache:
    def __init__(self, ttl, produce):
        self.ttl = ttl
        self.produce = produce
        self.lock = threading.Lock()
        self.at = None
        self.body = None

    def get(self):
        # One pass at a time: concurrent scrapes wait for it and share its result.
        with self.lock:
            now = time.monotonic()
            if self.at is None or now - self.at >= self.ttl:
                self.body = self.produce()
                self.at = time.monotonic()
            return self.body


def main():
    base = env("DREMIO_URL")
    user = env("DREMIO_USER")
    password = env("DREMIO_PASSWORD")
    port = int(env("PROBE_PORT", "9110"))
    ttl = float(env("CACHE_SECONDS", "55"))
    budget = float(env("DEADLINE_SECONDS", "8"))
    cache = Cache(ttl, lambda: collect(base, user, password, budget))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                body, ctype = b"ok\n", "text/plain"
            elif path == "/metrics":
                body, ctype = cache.get().encode(), "text/plain; version=0.0.4; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("", port), Handler)
    print("bridge: serving on :%d, Dremio at %s" % (port, base), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
