"""Backup-age probe of an Azure Database for PostgreSQL Flexible Server.

Flexible Server has no backup-health metric (backup_storage_used is a size), but Azure Resource
Manager lists the server's completed backups ("Backups - List By Server"). This exporter, Python's
standard library only, signs in as the pod's workload identity, lists them and serves Prometheus
text on /metrics:

  azure_pg_flexible_last_backup_completed_timestamp_seconds  newest completedTime of a Full backup
  azure_pg_flexible_backups                                  backups listed, by backup type
  azure_pg_flexible_server_created_timestamp_seconds         the server's systemData.createdAt
  azure_pg_flexible_probe_scrape_success                     1 when the last refresh succeeded
  azure_pg_flexible_probe_scrape_duration_seconds            how long the last refresh took
  azure_pg_flexible_probe_last_refresh_timestamp_seconds     when it ran
  azure_pg_flexible_probe_start_timestamp_seconds            when this process started

Environment:
  PROBE_SERVER_ID             the server's ARM ID (/subscriptions/.../flexibleServers/<name>)
  PROBE_PORT                  the port served (default 9612)
  PROBE_CACHE_SECONDS         how long a good result is served before ARM is asked again (300)
  PROBE_RETRY_SECONDS         how long a failed refresh waits before the next one (60)
  PROBE_TIMEOUT_SECONDS       the whole refresh's deadline, every request included (8): the refresh
                              runs inside a scrape, whose timeout is Prometheus's default 10 s
  PROBE_API_VERSION           Microsoft.DBforPostgreSQL api-version (2023-06-01-preview)
  ARM_ENDPOINT                Resource Manager (https://management.azure.com; sovereign clouds differ)
  ARM_SCOPE                   the token's scope (ARM_ENDPOINT + "/.default")
  AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST
                              injected by the AKS workload identity webhook

Failures never kill the process: the refresh records scrape_success 0 and the reason on stderr,
and the data series are left out until a refresh succeeds (the probe-down alert fires instead).
"""

import datetime
import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

PREFIX = "azure_pg_flexible_"

# ISO-8601 date-time with an optional fraction of any length and a zone (Z or +hh:mm). ARM writes
# seven fractional digits ("2021-06-16T16:05:23.9243453+00:00", the REST spec's example); parsed
# here rather than with datetime.fromisoformat, whose acceptance of more than six digits depends on
# the Python version.
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$"
)


def parse_time(text):
    """Seconds since the epoch of an ISO-8601 date-time; a missing zone is UTC."""
    m = _ISO.match(text.strip())
    if not m:
        raise ValueError("not an ISO-8601 date-time: %r" % text)
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    frac = m.group(7) or ""
    offset = 0
    if m.group(9):
        offset = (int(m.group(10)) * 60 + int(m.group(11))) * 60
        if m.group(9) == "-":
            offset = -offset
    base = datetime.datetime(y, mo, d, h, mi, s, tzinfo=datetime.timezone.utc).timestamp()
    return base - offset + (float("0." + frac) if frac else 0.0)


class ProbeError(Exception):
    """A failed refresh; retry_after is the server's Retry-After in seconds, if it sent one."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after(err):
    value = err.headers.get("Retry-After") if err.headers else None
    try:
        return max(0, int(value)) if value is not None else None
    except ValueError:
        return None


def _body(err):
    try:
        return err.read(2048).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - only for the message
        return ""


class Config:
    def __init__(self, env):
        self.server_id = env.get("PROBE_SERVER_ID", "").rstrip("/")
        if not re.match(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.DBforPostgreSQL/flexibleServers/[^/]+$",
                        self.server_id, re.IGNORECASE):
            raise SystemExit("PROBE_SERVER_ID = %r: the Flexible Server's ARM ID, "
                             "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.DBforPostgreSQL/flexibleServers/<name>"
                             % self.server_id)
        self.port = int(env.get("PROBE_PORT", "9612"))
        self.cache = float(env.get("PROBE_CACHE_SECONDS", "300"))
        self.retry = float(env.get("PROBE_RETRY_SECONDS", "60"))
        self.timeout = float(env.get("PROBE_TIMEOUT_SECONDS", "8"))
        self.api_version = env.get("PROBE_API_VERSION", "2023-06-01-preview")
        self.arm = env.get("ARM_ENDPOINT", "https://management.azure.com").rstrip("/")
        self.scope = env.get("ARM_SCOPE", self.arm + "/.default")
        self.client_id = env.get("AZURE_CLIENT_ID", "")
        self.tenant_id = env.get("AZURE_TENANT_ID", "")
        self.token_file = env.get("AZURE_FEDERATED_TOKEN_FILE", "")
        self.authority = env.get("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/")
        if not self.authority.endswith("/"):
            self.authority += "/"


class Probe:
    def __init__(self, cfg, clock=time.time):
        self.cfg = cfg
        self.clock = clock
        self.lock = threading.Lock()
        self.token = None
        self.token_expires = 0.0
        self.text = None
        self.next_refresh = 0.0
        self.started = clock()
        self.deadline = None

    def remaining(self, what):
        """Seconds left of the refresh's deadline for the next request; fails once it has passed."""
        if self.deadline is None:
            return self.cfg.timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ProbeError("%s: the refresh's %gs deadline passed" % (what, self.cfg.timeout))
        return left

    # --- Entra ID -------------------------------------------------------------------------------
    def access_token(self):
        """An ARM access token, exchanged for the projected ServiceAccount token and cached until
        five minutes before it expires. The token file is read on every exchange: the kubelet
        rewrites it as it rotates."""
        now = self.clock()
        if self.token and now < self.token_expires - 300:
            return self.token
        c = self.cfg
        if not (c.client_id and c.tenant_id and c.token_file):
            raise ProbeError("AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE are not all set: "
                             "is the pod labelled azure.workload.identity/use and its ServiceAccount annotated "
                             "azure.workload.identity/client-id?")
        try:
            with open(c.token_file, "r", encoding="utf-8") as f:
                assertion = f.read().strip()
        except OSError as e:
            raise ProbeError("reading the federated token %s: %s" % (c.token_file, e))
        form = urllib.parse.urlencode({
            "client_id": c.client_id,
            "scope": c.scope,
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }).encode()
        url = c.authority + urllib.parse.quote(c.tenant_id) + "/oauth2/v2.0/token"
        req = urllib.request.Request(url, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=self.remaining("token exchange")) as resp:
                body = json.load(resp)
        except urllib.error.HTTPError as e:
            # AADSTS70021 (no matching federated credential) and AADSTS700016 (unknown client) while
            # the federation propagates: the next refresh retries.
            raise ProbeError("token exchange at %s: HTTP %d %s" % (url, e.code, _body(e)), _retry_after(e))
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise ProbeError("token exchange at %s: %s" % (url, e))
        if "access_token" not in body:
            raise ProbeError("token exchange at %s: no access_token in the answer" % url)
        self.token = body["access_token"]
        self.token_expires = now + float(body.get("expires_in", 3600))
        return self.token

    # --- Resource Manager -----------------------------------------------------------------------
    def arm_get(self, url):
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + self.access_token(), "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.remaining("GET " + url.split("?")[0])) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            if e.code == 401:
                self.token = None  # revoked or expired early: exchange again next time
            # 403 AuthorizationFailed until the Reader assignment propagates; 429 with Retry-After
            # when the subscription's read budget is spent.
            raise ProbeError("GET %s: HTTP %d %s" % (url.split("?")[0], e.code, _body(e)), _retry_after(e))
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise ProbeError("GET %s: %s" % (url.split("?")[0], e))

    def list_backups(self):
        """Every backup of the server, following nextLink (x-ms-pageable)."""
        url = "%s%s/backups?api-version=%s" % (self.cfg.arm, self.cfg.server_id, self.cfg.api_version)
        out, seen = [], set()
        while url:
            if url in seen:
                raise ProbeError("nextLink loops back to %s" % url.split("?")[0])
            seen.add(url)
            page = self.arm_get(url)
            out.extend(page.get("value") or [])
            url = page.get("nextLink")
        return out

    def server_created(self):
        url = "%s%s?api-version=%s" % (self.cfg.arm, self.cfg.server_id, self.cfg.api_version)
        created = (self.arm_get(url).get("systemData") or {}).get("createdAt")
        return parse_time(created) if created else None

    # --- Metrics --------------------------------------------------------------------------------
    def collect(self):
        backups = self.list_backups()
        created = self.server_created()
        by_type, newest = {"Full": 0}, None
        for b in backups:
            props = b.get("properties") or {}
            kind = props.get("backupType") or "unknown"
            by_type[kind] = by_type.get(kind, 0) + 1
            # Full: the daily automatic snapshot (2023-06-01-preview's only backupType; later
            # versions add "Customer On-Demand", which is not the schedule this probe watches).
            if kind.lower() == "full" and props.get("completedTime"):
                t = parse_time(props["completedTime"])
                newest = t if newest is None else max(newest, t)
        return by_type, newest, created

    def render(self, ok, duration, by_type=None, newest=None, created=None):
        server = _label(self.cfg.server_id.rsplit("/", 1)[-1])
        lines = []

        def metric(name, kind, help_text, samples):
            lines.append("# HELP %s%s %s" % (PREFIX, name, help_text))
            lines.append("# TYPE %s%s %s" % (PREFIX, name, kind))
            for labels, value in samples:
                lines.append("%s%s{%s} %s" % (PREFIX, name, labels, _num(value)))

        metric("probe_scrape_success", "gauge", "1 if the last refresh from Azure Resource Manager succeeded.",
               [('server="%s"' % server, 1 if ok else 0)])
        metric("probe_scrape_duration_seconds", "gauge", "Duration of the last refresh.", [('server="%s"' % server, duration)])
        metric("probe_last_refresh_timestamp_seconds", "gauge", "When the last refresh ran.", [('server="%s"' % server, self.clock())])
        metric("probe_start_timestamp_seconds", "gauge", "When the probe started (the server's age when systemData is absent).",
               [('server="%s"' % server, self.started)])
        if ok:
            metric("backups", "gauge", "Backups Azure Resource Manager lists for the server, by backup type.",
                   [('server="%s",backup_type="%s"' % (server, _label(k)), v) for k, v in sorted((by_type or {}).items())])
            if newest is not None:
                metric("last_backup_completed_timestamp_seconds", "gauge", "Completion time of the newest Full backup.",
                       [('server="%s"' % server, newest)])
            if created is not None:
                metric("server_created_timestamp_seconds", "gauge", "The server's creation time (systemData.createdAt).",
                       [('server="%s"' % server, created)])
        return "\n".join(lines) + "\n"

    def metrics(self):
        """The exposition text: cached for PROBE_CACHE_SECONDS after a good refresh (the ARM read
        quota), PROBE_RETRY_SECONDS (or the server's Retry-After) after a failed one."""
        with self.lock:
            now = self.clock()
            if self.text is not None and now < self.next_refresh:
                return self.text
            start = time.monotonic()
            self.deadline = start + self.cfg.timeout
            try:
                by_type, newest, created = self.collect()
                self.text = self.render(True, time.monotonic() - start, by_type, newest, created)
                self.next_refresh = now + self.cfg.cache
            except ProbeError as e:
                print("refresh failed: %s" % e, file=sys.stderr, flush=True)
                self.text = self.render(False, time.monotonic() - start)
                wait = self.cfg.retry if e.retry_after is None else max(self.cfg.retry, float(e.retry_after))
                self.next_refresh = now + wait
            except Exception as e:  # noqa: BLE001 - an unexpected answer must not end the process
                print("refresh failed: %s: %s" % (type(e).__name__, e), file=sys.stderr, flush=True)
                self.text = self.render(False, time.monotonic() - start)
                self.next_refresh = now + self.cfg.retry
            return self.text


def _label(v):
    return str(v).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def _num(v):
    return repr(float(v)) if isinstance(v, float) else str(v)


def serve(probe):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            if self.path == "/healthz":
                body, ctype = b"ok\n", "text/plain"
            elif self.path.split("?")[0] == "/metrics":
                body, ctype = probe.metrics().encode(), "text/plain; version=0.0.4; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            pass

    server = http.server.ThreadingHTTPServer(("", probe.cfg.port), Handler)
    print("serving on :%d for %s" % (probe.cfg.port, probe.cfg.server_id), file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(Probe(Config(os.environ)))
