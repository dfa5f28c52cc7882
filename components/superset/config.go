package superset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Where the pods find their configuration and CAs.
const (
	configMapName = "superset-config"
	// configDir is on PYTHONPATH in the official image (Dockerfile: PYTHONPATH="/app/pythonpath"), so
	// superset/config.py's `import superset_config` finds the file there.
	configDir = "/app/pythonpath"
	// DatabaseCAPath is the metadata database's CA (metadatadb.Connection.CAConfigMap, key ca.crt).
	DatabaseCAPath = "/etc/superset/db-ca/ca.crt"
	// ValkeyCAPath is Valkey's CA.
	ValkeyCAPath = "/etc/superset/valkey-ca/ca.crt"
)

// configParams is what the rendered superset_config.py depends on.
type configParams struct {
	// SSLMode is the metadata database's sslmode (verify-full, or verify-ca on Cloud SQL).
	SSLMode string
	// ValkeyHost is the name Valkey's certificate is checked against.
	ValkeyHost string
	// BehindProxy is true when the edge (a reverse proxy) is in front: ProxyFix then trusts its
	// X-Forwarded-* headers.
	BehindProxy bool
	// ForwardedForHops is how many X-Forwarded-For entries, counted from the right, the edge appends
	// (ProxyFix x_for): the client's address is the leftmost of them. 0 means 1.
	ForwardedForHops int
}

// FeatureFlags are the flags the platform sets, each a key of DEFAULT_FEATURE_FLAGS in
// superset/config.py: template processing stays off (Jinja in SQL runs user code paths), ad-hoc
// subqueries stay off, SQL Lab state is kept server-side, alerts/reports and thumbnails stay off
// (they need a headless browser the lean image lacks), tags are on, and SQL Lab runs every query
// on the Celery workers ("Regardless of database configuration settings, force SQLLAB to run async
// using Celery"; results in RESULTS_BACKEND): the Dremio connection the init Job creates has
// allow_run_async off (superset/utils/database.py get_or_create_db), and a synchronous query is
// bounded by SQLLAB_TIMEOUT (30 s) on a web process.
var FeatureFlags = map[string]bool{
	"SQLLAB_FORCE_RUN_ASYNC":     true,
	"ENABLE_TEMPLATE_PROCESSING": false,
	"ALLOW_ADHOC_SUBQUERY":       false,
	"SQLLAB_BACKEND_PERSISTENCE": true,
	"ALERT_REPORTS":              false,
	"THUMBNAILS":                 false,
	"TAGGING_SYSTEM":             true,
}

// renderConfig renders superset_config.py. Every assigned name is a key of superset/config.py
// (apache/superset superset/config.py; config_test.go lists each with its upstream default):
//   - SECRET_KEY / PREVIOUS_SECRET_KEY from the environment (the ExternalSecret's Secret);
//     re-encrypt-secrets reads PREVIOUS_SECRET_KEY from the app config (superset/cli/update.py).
//   - SQLALCHEMY_DATABASE_URI: psycopg2 with sslmode and sslrootcert (libpq), credentials from env.
//   - CACHE_CONFIG / DATA_CACHE_CONFIG: Flask-Caching RedisCache on rediss:// (redis-py parses
//     ssl_cert_reqs, ssl_ca_certs and ssl_check_hostname from the URL's query).
//   - RESULTS_BACKEND: cachelib's RedisCache around a redis client with the same TLS settings.
//   - CELERY_CONFIG: upstream CeleryConfig (its task imports and beat schedule) with the broker and
//     result backend on Valkey over TLS (Celery settings broker_use_ssl, redis_backend_use_ssl).
//   - ENABLE_PROXY_FIX / PROXY_FIX_CONFIG behind the edge; TALISMAN_* with a CSP; SESSION_COOKIE_*.
func renderConfig(p configParams) string {
	var flags []string
	for _, k := range sortedKeys(FeatureFlags) {
		v := "False"
		if FeatureFlags[k] {
			v = "True"
		}
		flags = append(flags, fmt.Sprintf("    %q: %s,", k, v))
	}
	proxy := "False"
	if p.BehindProxy {
		proxy = "True"
	}
	hops := p.ForwardedForHops
	if hops < 1 {
		hops = 1
	}
	return fmt.Sprintf(`# Rendered by the dataplatform Pulumi program (components/superset); changes here are overwritten.
import os
import ssl
from urllib.parse import quote

from cachelib.redis import RedisCache
from redis import Redis

# superset/config.py imports this module at its end; its CeleryConfig is defined by then.
from superset.config import CeleryConfig as _UpstreamCeleryConfig


def _env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(name + " is not set")
    return value


SECRET_KEY = _env("SUPERSET_SECRET_KEY")
# Set only while a rotation is in progress; superset re-encrypt-secrets reads it.
PREVIOUS_SECRET_KEY = os.environ.get("PREVIOUS_SECRET_KEY") or None

# The metadata database over verified TLS.
SQLALCHEMY_DATABASE_URI = (
    "postgresql+psycopg2://%%s:%%s@%%s:%%s/%%s?sslmode=%s&sslrootcert=%s"
    %% (
        quote(_env("DATABASE_USER"), safe=""),
        quote(_env("DATABASE_PASSWORD"), safe=""),
        _env("DATABASE_HOST"),
        _env("DATABASE_PORT"),
        _env("DATABASE_NAME"),
    )
)
# Pool bounds per process (components/superset pool.go): the pod's processes together stay within
# the connections the database is sized for.
SQLALCHEMY_ENGINE_OPTIONS = {
    "pool_pre_ping": True,
    "pool_size": int(_env("%s")),
    "max_overflow": int(_env("%s")),
}

# Valkey: cache, results and the Celery broker, over TLS with the host name checked.
_VALKEY_CA = %q
_VALKEY_BASE = "rediss://:%%s@%s:%d" %% quote(_env("VALKEY_PASSWORD"), safe="")
_VALKEY_TLS_QUERY = "ssl_cert_reqs=required&ssl_check_hostname=true&ssl_ca_certs=" + quote(_VALKEY_CA, safe="")
_VALKEY_SSL = {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": _VALKEY_CA, "ssl_check_hostname": True}

CACHE_CONFIG = {
    "CACHE_TYPE": "RedisCache",
    "CACHE_DEFAULT_TIMEOUT": 86400,
    "CACHE_KEY_PREFIX": "superset_",
    "CACHE_REDIS_URL": _VALKEY_BASE + "/1?" + _VALKEY_TLS_QUERY,
}
DATA_CACHE_CONFIG = {
    "CACHE_TYPE": "RedisCache",
    "CACHE_DEFAULT_TIMEOUT": 86400,
    "CACHE_KEY_PREFIX": "superset_data_",
    "CACHE_REDIS_URL": _VALKEY_BASE + "/1?" + _VALKEY_TLS_QUERY,
}
RESULTS_BACKEND = RedisCache(
    host=Redis.from_url(_VALKEY_BASE + "/2", ssl_cert_reqs="required", ssl_ca_certs=_VALKEY_CA, ssl_check_hostname=True),
    key_prefix="superset_results_",
)


class CeleryConfig(_UpstreamCeleryConfig):
    broker_url = _VALKEY_BASE + "/0"
    broker_use_ssl = _VALKEY_SSL
    result_backend = _VALKEY_BASE + "/0"
    redis_backend_use_ssl = _VALKEY_SSL


CELERY_CONFIG = CeleryConfig

# Flask-Limiter's counters (login attempts, AUTH_RATE_LIMIT) in Valkey, shared by every web pod and
# process, instead of per process in memory. limits' RedisStorage hands the URL to redis.from_url.
RATELIMIT_STORAGE_URI = _VALKEY_BASE + "/3?" + _VALKEY_TLS_QUERY

# Behind the edge: trust the addresses the edge appends to X-Forwarded-For (the client's is the
# leftmost of them, which is what the rate limits and the logs key on) and its scheme and host (the
# edge terminates TLS).
ENABLE_PROXY_FIX = %s
PROXY_FIX_CONFIG = {"x_for": %d, "x_proto": 1, "x_host": 1, "x_port": 0, "x_prefix": 1}

# Security headers (flask-talisman) with a CSP that loads nothing from third parties. HTTPS is
# enforced at the edge (port 80 only redirects); the probes reach gunicorn over HTTP.
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'"],
        "script-src": ["'self'", "'strict-dynamic'"],
        "frame-ancestors": ["'self'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": True,
}
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
WTF_CSRF_ENABLED = True
PREVENT_UNSAFE_DB_CONNECTIONS = True
SCARF_ANALYTICS = False
# gunicorn's timeout (GUNICORN_TIMEOUT) is 60 s; the edge's is longer.
SUPERSET_WEBSERVER_TIMEOUT = 60

FEATURE_FLAGS = {
%s
}
`, p.SSLMode, DatabaseCAPath, PoolSizeEnv, MaxOverflowEnv, ValkeyCAPath, p.ValkeyHost, ValkeyPort, proxy, hops, strings.Join(flags, "\n"))
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// configMap renders superset_config.py into a ConfigMap; its digest goes into every pod template so
// a changed configuration rolls the pods.
func (b *builder) configMap() error {
	content := renderConfig(configParams{
		SSLMode: b.a.Database.SSLMode, ValkeyHost: ValkeyHost(b.a.NamespaceName), BehindProxy: b.a.PublicURL != "",
		ForwardedForHops: b.a.ForwardedForHops,
	})
	sum := sha256.Sum256([]byte(content))
	b.configHash = pulumi.String(hex.EncodeToString(sum[:])).ToStringOutput()
	cm, err := corev1.NewConfigMap(b.ctx, b.name+"-config", &corev1.ConfigMapArgs{
		Metadata: b.meta(configMapName, map[string]string{"app.kubernetes.io/name": "superset"}),
		Data:     pulumi.StringMap{"superset_config.py": pulumi.String(content)},
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.config = &readyName{name: cm.Metadata.Name().Elem(), resource: cm}
	return nil
}
