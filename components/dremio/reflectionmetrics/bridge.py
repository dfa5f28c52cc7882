"""Dremio reflection freshness as Prometheus gauges.

Run by components/observability/probe (python3 -B -u, standard library only, Python 3.11+). On a
scrape of /metrics whose cached result is older than CACHE_SECONDS it reads every reflection from
Dremio's system table sys.reflections through the REST API; a failure of any step is reported as
dremio_reflection_bridge_scrape_success 0, never as a crash.

Dremio OSS 25.2.0 (dremio/dremio-oss@c7fee0bcd "Release 25.2.0"), dac/backend/src/main/java/com/dremio/dac/:
  - POST /apiv2/login {"userName", "password"} -> {"token", ...} (resource/LogInLogOutResource.java,
    model/usergroup/UserLogin.java, UserLoginSession.java); later calls send
    "Authorization: _dremio<token>" (server/tokens/TokenUtils.java AUTH_HEADER_PREFIX). A token lives
    30 h (TokenManagerImpl token.expiration.min), so it is kept across passes and renewed on a 401.
  - No endpoint lists every reflection (api/ReflectionResource.java serves GET /{id} only), so one SQL
    job reads them all: POST /api/v3/sql {"sql"} -> {"id"} (api/SQLResource.java),
    GET /api/v3/job/{id} -> {"jobState", "errorMessage"} (api/JobStatus.java; the states of
    services/jobs/src/main/proto/job.proto JobState), GET /api/v3/job/{id}/results?offset&limit
    (limit <= 500) -> {"rowCount", "schema", "rows": [{column: value}]} (api/JobResource.java,
    JobResourceData.java).
  - sys.reflections is served through sysflight (daemon/DACDaemonModule.java TABLES.REFLECTIONS) with
    the columns of ListReflectionsResponse (services/accelerator-api/src/main/protobuf/
    ReflectionDescriptionService.proto: reflection_id, reflection_name, dataset_name, status,
    num_failures, last_refresh_from_table, available_until), filled by
    services/accelerator/.../ReflectionStatusServiceImpl.java getReflections: status is the
    reflection's combined status (ReflectionStatus.COMBINED_STATUS, "DISABLED" when disabled),
    last_refresh_from_table the last done materialization's lastRefreshFromPds (what
    Reflection.status.lastDataFetch reports; null when there is none), available_until its expiry
    (null when none). TIMESTAMP values come as "YYYY-MM-DD HH24:MI:SS.FFF" in UTC without a zone
    (explore/model/DataJsonOutput.java FORMAT_TIMESTAMP, withZoneUTC, through
    codegen/templates/APIJobResultsSerializer.java), e.g. "2024-10-24 11:40:07.123".
  - Query duration: Dremio OSS exports no duration metric, so a second SQL job of the same pass
    aggregates sys.jobs_recent (services/sysflight/.../SystemTableManager.java TABLES.JOBS_RECENT,
    served by dac/.../service/sysflight/SysFlightTablesProvider.java RecentJobsTable with the columns of
    services/jobs/src/main/protobuf/jobs-service.proto RecentJobSummary). LocalJobsService.java
    createRecentJobCondition/getRecentJobs read every job of the jobs store (retention
    jobs.max.age_in_days, 30) with no user filter (RecentJobsRequest.user_name is set by sysflight but
    never read), and plugins/sysflight/.../SysFlightStoragePlugin.java hasAccessPermission is true,
    so the plain monitor user sees every user's jobs.
    JobsServiceUtil.java toRecentJobSummary: status is the last attempt's JobState, submitted_epoch_millis
    the first attempt's start (ms), final_state_epoch_millis the last attempt's terminal event (ms,
    AttemptsHelper.getFinalStateTimeStamp; unset while running). Its *_ts columns are built with
    Timestamp.setSeconds(<millis>), so only the *_epoch_millis columns are used. submitted_epoch_millis
    is pushed down to the jobs index (services/jobs/.../JobSearchUtils.java FIELDS), which bounds the scan.
"""

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "dremio_reflection_"
NONE = "_none"
SQL = ("SELECT reflection_id, reflection_name, dataset_name, status, num_failures, "
       "last_refresh_from_table, available_until FROM sys.reflections")
# The query-duration window: jobs that reached a final state in the WINDOW seconds before a pass, among
# those submitted in the LOOKBACK seconds before it (the pushed-down bound; a job running longer is not
# counted). Reflection maintenance (query_type ACCELERATOR_*) and the bridge's own user are left out.
WINDOW = 300
LOOKBACK = 3600
JOBS_SQL = ("SELECT status, COUNT(*) AS queries, "
            "SUM(final_state_epoch_millis - submitted_epoch_millis) AS total_millis, "
            "MAX(final_state_epoch_millis - submitted_epoch_millis) AS max_millis "
            "FROM sys.jobs_recent WHERE submitted_epoch_millis > %d AND final_state_epoch_millis > %d "
            "AND user_name <> '%s' AND query_type NOT LIKE 'ACCELERATOR%%' GROUP BY status")
DONE = {"COMPLETED"}
FAILED = {"FAILED", "CANCELED", "INVALID_STATE"}


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        sys.exit("bridge: environment variable %s is required" % name)
    return value


class Failure(Exception):
    """A step that did not work; its message is logged, never served."""


class Unauthorized(Failure):
    """Dremio answered 401: the token expired or was revoked."""


class Dremio:
    """One Dremio session; the token outlives a pass, the deadline is each pass's."""

    def __init__(self, base, user, password):
        self.base = base.rstrip("/")
        self.user = user
        self.password = password
        self.token = None
        self.deadline = 0.0

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
                out = json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            if e.code == 401:
                raise Unauthorized("%s %s: HTTP 401" % (method, path)) from None
            raise Failure("%s %s: HTTP %d" % (method, path, e.code)) from None
        if not isinstance(out, dict):
            raise Failure("%s %s: not a JSON object" % (method, path))
        return out

    def authed(self, method, path, body=None):
        """A call with the session's token; a 401 signs in again once."""
        if not self.token:
            self.login()
        try:
            return self.call(method, path, body)
        except Unauthorized:
            self.token = None
            self.login()
            return self.call(method, path, body)

    def login(self):
        out = self.call("POST", "/apiv2/login", {"userName": self.user, "password": self.password})
        token = out.get("token")
        if not isinstance(token, str) or not token:
            raise Failure("login: no token in the answer")
        self.token = token

    def reflection_rows(self, deadline):
        self.deadline = deadline
        return self.rows(SQL)

    def job_rows(self, deadline, now):
        """sys.jobs_recent aggregated per final state over the WINDOW before now (epoch seconds)."""
        self.deadline = deadline
        ms = int(now * 1000)
        user = self.user.replace("'", "''")
        return self.rows(JOBS_SQL % (ms - LOOKBACK * 1000, ms - WINDOW * 1000, user))

    def rows(self, sql):
        job = self.authed("POST", "/api/v3/sql", {"sql": sql}).get("id")
        if not isinstance(job, str) or not job:
            raise Failure("sql: no job id")
        job = urllib.parse.quote(job, safe="")
        while True:
            status = self.authed("GET", "/api/v3/job/" + job)
            state = status.get("jobState")
            if state in DONE:
                break
            if state in FAILED:
                raise Failure("query %s: %s" % (state, status.get("errorMessage")))
            time.sleep(min(0.2, self.remaining()))
        rows, offset = [], 0
        while True:
            page = self.authed("GET", "/api/v3/job/%s/results?offset=%d&limit=500" % (job, offset))
            batch = page.get("rows") or []
            if not isinstance(batch, list):
                raise Failure("results: rows is not a list")
            rows.extend(r for r in batch if isinstance(r, dict))
            offset += len(batch)
            if not batch or offset >= int(page.get("rowCount") or 0):
                return rows


def epoch(value):
    """Seconds since the epoch of a job-results TIMESTAMP (UTC, no zone), or None when there is none."""
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value.strip()).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None
    return t if t > 0 else None


def label(value):
    s = "" if value is None else str(value)
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def labels(**kv):
    return "{" + ",".join('%s="%s"' % (k, label(v)) for k, v in kv.items()) + "}"


HELP = {
    "last_refresh_timestamp_seconds": "Time of the reflection's last successful data fetch (sys.reflections last_refresh_from_table); absent when never refreshed or disabled.",
    "expiry_timestamp_seconds": "Time the reflection's current materialization expires (sys.reflections available_until).",
    "status": "The reflection's combined status (sys.reflections status) as the status label, value 1.",
    "failures": "Consecutive refresh failures of the reflection (sys.reflections num_failures).",
}


QUERY_PREFIX = "dremio_query"
QUERY_HELP = {
    "completed": "Queries that reached the final state (sys.jobs_recent status) in the %d s before the bridge's last pass, reflection maintenance and the bridge's own queries excluded; a sliding-window gauge (consecutive passes overlap), not a counter." % WINDOW,
    "duration_mean_seconds": "Mean time from submission to final state (sys.jobs_recent final_state_epoch_millis - submitted_epoch_millis) of the queries counted by dremio_query_completed with that state.",
    "duration_max_seconds": "Longest time from submission to final state among the queries counted by dremio_query_completed with that state.",
}


def number(value):
    """A BIGINT of the job results (a JSON number), 0 for NULL."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if value is None:
            return 0
        raise Failure("results: %r is not a number" % (value,))
    return value


def query_series(session, deadline, now):
    """The query-duration series of one pass: {name: [(labels, value)]}, each with its placeholder."""
    # The placeholders keep every series in existence on a platform nobody queries yet (Cloud
    # Monitoring refuses an alert policy over a metric it never received); panels read state!="_none".
    series = {k: [(labels(state=NONE), 0)] for k in QUERY_HELP}
    for row in session.job_rows(deadline, now):
        state = row.get("status")
        n = number(row.get("queries"))
        if not state or n <= 0:
            continue
        lab = labels(state=state)
        series["completed"].append((lab, n))
        series["duration_mean_seconds"].append((lab, number(row.get("total_millis")) / 1000.0 / n))
        series["duration_max_seconds"].append((lab, number(row.get("max_millis")) / 1000.0))
    return series


def collect(session, budget):
    """The exposition text of one pass over Dremio's reflections."""
    start = time.monotonic()
    # The placeholder keeps the freshness series in existence on a platform without reflections
    # (Cloud Monitoring refuses an alert policy over a metric it never received); rules and panels
    # read reflection_id!="_none".
    placeholder = (labels(reflection_id=NONE, reflection=NONE, dataset=NONE), 0)
    series = {k: [] for k in HELP}
    ok, count = 1, 0
    try:
        for row in session.reflection_rows(start + budget):
            rid = row.get("reflection_id")
            if not rid:
                continue
            name, dataset = row.get("reflection_name"), row.get("dataset_name")
            status = row.get("status") or "UNKNOWN"
            lab = labels(reflection_id=rid, reflection=name, dataset=dataset)
            count += 1
            series["status"].append((labels(reflection_id=rid, reflection=name, dataset=dataset, status=status), 1))
            series["failures"].append((lab, int(row.get("num_failures") or 0)))
            # A disabled reflection is not refreshed on purpose: no freshness series, its status says so.
            if status == "DISABLED":
                continue
            fetched = epoch(row.get("last_refresh_from_table"))
            if fetched is not None:
                series["last_refresh_timestamp_seconds"].append((lab, fetched))
            expires = epoch(row.get("available_until"))
            if expires is not None:
                series["expiry_timestamp_seconds"].append((lab, expires))
    except Exception as e:  # any failure is a failed pass, never a dead scrape
        print("bridge: %s: %s" % (type(e).__name__, e), file=sys.stderr, flush=True)
        ok, count = 0, 0
        series = {k: [] for k in HELP}
    # The second job of the pass, inside the same deadline; not tried when the first failed (the
    # session or Dremio is the cause, and a second login would double the attempts).
    qok, queries = 0, {k: [(labels(state=NONE), 0)] for k in QUERY_HELP}
    if ok:
        try:
            queries = query_series(session, start + budget, time.time())
            qok = 1
        except Exception as e:
            print("bridge: sys.jobs_recent: %s: %s" % (type(e).__name__, e), file=sys.stderr, flush=True)
    series["last_refresh_timestamp_seconds"].insert(0, placeholder)
    out = []
    for name, rows in series.items():
        out.append("# HELP %s%s %s" % (PREFIX, name, HELP[name]))
        out.append("# TYPE %s%s gauge" % (PREFIX, name))
        for lab, value in rows:
            out.append("%s%s%s %s" % (PREFIX, name, lab, repr(float(value))))
    for name, rows in queries.items():
        out.append("# HELP %s_%s %s" % (QUERY_PREFIX, name, QUERY_HELP[name]))
        out.append("# TYPE %s_%s gauge" % (QUERY_PREFIX, name))
        for lab, value in rows:
            out.append("%s_%s%s %s" % (QUERY_PREFIX, name, lab, repr(float(value))))
    out += [
        "# HELP %s_bridge_scrape_success 1 when the last pass read sys.jobs_recent, else 0." % QUERY_PREFIX,
        "# TYPE %s_bridge_scrape_success gauge" % QUERY_PREFIX,
        "%s_bridge_scrape_success %d" % (QUERY_PREFIX, qok),
    ]
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
    session = Dremio(base, user, password)
    cache = Cache(ttl, lambda: collect(session, budget))

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
