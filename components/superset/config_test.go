package superset

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// upstreamKeys are the superset/config.py keys the rendered file may set, each with its upstream
// default, read in apache/superset superset/config.py (the stored revision 00139b6a, after 6.1.0;
// each key below also exists in the 6.x line):
var upstreamKeys = map[string]string{
	"SECRET_KEY":                `os.environ.get("SUPERSET_SECRET_KEY") or CHANGE_ME_SECRET_KEY`,
	"PREVIOUS_SECRET_KEY":       `read by superset/cli/update.py re_encrypt_secrets via current_app.config.get`,
	"SQLALCHEMY_DATABASE_URI":   `sqlite:///{DATA_DIR}/superset.db`,
	"SQLALCHEMY_ENGINE_OPTIONS": `{}`,
	"CACHE_CONFIG":              `{"CACHE_TYPE": "NullCache"}`,
	"DATA_CACHE_CONFIG":         `{"CACHE_TYPE": "NullCache"}`,
	"RESULTS_BACKEND":           `None ("If enabled, it can be used to store the results of long-running queries")`,
	"CELERY_CONFIG":             `CeleryConfig (broker_url "sqla+sqlite:///celerydb.sqlite")`,
	"ENABLE_PROXY_FIX":          `False`,
	"PROXY_FIX_CONFIG":          `{"x_for": 1, "x_proto": 1, "x_host": 1, "x_port": 1, "x_prefix": 1}`,
	// Commented out upstream ("# RATELIMIT_STORAGE_URI = \"redis://host:port\""): Flask-AppBuilder's
	// Limiter reads it from the app config; unset, Flask-Limiter counts in each process's memory.
	"RATELIMIT_STORAGE_URI":         `unset (memory://)`,
	"TALISMAN_ENABLED":              `utils.cast_to_boolean(os.environ.get("TALISMAN_ENABLED", True))`,
	"TALISMAN_CONFIG":               `content_security_policy, content_security_policy_nonce_in, force_https, session_cookie_secure`,
	"SESSION_COOKIE_SECURE":         `False`,
	"SESSION_COOKIE_HTTPONLY":       `True`,
	"SESSION_COOKIE_SAMESITE":       `"Lax"`,
	"WTF_CSRF_ENABLED":              `True`,
	"PREVENT_UNSAFE_DB_CONNECTIONS": `True`,
	"SCARF_ANALYTICS":               `utils.cast_to_boolean(os.environ.get("SCARF_ANALYTICS", True))`,
	"SUPERSET_WEBSERVER_TIMEOUT":    `int(timedelta(minutes=1).total_seconds())`,
	"FEATURE_FLAGS":                 `{} (merged over DEFAULT_FEATURE_FLAGS)`,
}

// upstreamFlags are keys of DEFAULT_FEATURE_FLAGS in the same file, with their defaults.
var upstreamFlags = map[string]bool{
	"ENABLE_TEMPLATE_PROCESSING": false, "ALLOW_ADHOC_SUBQUERY": false, "SQLLAB_BACKEND_PERSISTENCE": true,
	"ALERT_REPORTS": false, "THUMBNAILS": false, "TAGGING_SYSTEM": true,
	"SQLLAB_FORCE_RUN_ASYNC": false,
}

var assignment = regexp.MustCompile(`(?m)^([A-Z][A-Z0-9_]*)\s*=`)

func render(proxy bool) string {
	return renderConfig(configParams{SSLMode: "verify-full", ValkeyHost: ValkeyHost("apps"), BehindProxy: proxy})
}

func TestConfigSetsOnlyUpstreamKeys(t *testing.T) {
	cfg := render(true)
	seen := map[string]bool{}
	for _, m := range assignment.FindAllStringSubmatch(cfg, -1) {
		seen[m[1]] = true
		_, ok := upstreamKeys[m[1]]
		assert.True(t, ok, "%s is not a superset/config.py key the platform checked", m[1])
	}
	for k := range upstreamKeys {
		assert.True(t, seen[k], "%s is listed but not rendered", k)
	}
	for k := range FeatureFlags {
		_, ok := upstreamFlags[k]
		assert.True(t, ok, "feature flag %s is not in DEFAULT_FEATURE_FLAGS", k)
		assert.Contains(t, cfg, `"`+k+`": `)
	}
}

func TestConfigSecuritySettings(t *testing.T) {
	cfg := render(true)
	for _, want := range []string{
		"ENABLE_PROXY_FIX = True",
		"TALISMAN_ENABLED = True",
		`"session_cookie_secure": True`,
		`"default-src": ["'self'"]`,
		`"object-src": "'none'"`,
		`"script-src": ["'self'", "'strict-dynamic'"]`,
		"SESSION_COOKIE_SECURE = True",
		"SESSION_COOKIE_HTTPONLY = True",
		`SESSION_COOKIE_SAMESITE = "Lax"`,
		`SECRET_KEY = _env("SUPERSET_SECRET_KEY")`,
		`"ENABLE_TEMPLATE_PROCESSING": False`,
		// Valkey over TLS with the certificate and host name verified.
		`"rediss://:%s@superset-valkey.apps.svc.cluster.local:6379"`,
		"ssl_cert_reqs=required&ssl_check_hostname=true&ssl_ca_certs=",
		`"ssl_cert_reqs": ssl.CERT_REQUIRED`,
		"broker_use_ssl = _VALKEY_SSL",
		"redis_backend_use_ssl = _VALKEY_SSL",
		"sslmode=verify-full&sslrootcert=" + DatabaseCAPath,
		// Login rate limits counted in Valkey (db 3, apart from the broker 0, cache 1 and results 2).
		`RATELIMIT_STORAGE_URI = _VALKEY_BASE + "/3?" + _VALKEY_TLS_QUERY`,
		`"x_for": 1,`,
	} {
		assert.Contains(t, cfg, want)
	}
	assert.NotContains(t, cfg, "redis://", "no plaintext Valkey URL")
	assert.NotContains(t, cfg, "CERT_NONE")
	// Google's external load balancer appends two addresses: the client's is the second from the right.
	gcp := renderConfig(configParams{SSLMode: "verify-ca", ValkeyHost: ValkeyHost("apps"), BehindProxy: true, ForwardedForHops: 2})
	assert.Contains(t, gcp, `PROXY_FIX_CONFIG = {"x_for": 2,`)
	// Without the edge there is no proxy whose headers could be trusted.
	assert.Contains(t, render(false), "ENABLE_PROXY_FIX = False")
	assert.Equal(t, render(true), render(true), "rendering is deterministic (the pods' hash)")
	assert.True(t, strings.HasPrefix(cfg, "# Rendered by the dataplatform"))
}

// TestConfigAndScriptParse compiles the rendered superset_config.py with Python and checks the init
// script's syntax with sh, where those are installed.
func TestConfigAndScriptParse(t *testing.T) {
	dir := t.TempDir()
	if py, err := exec.LookPath("python3"); err == nil {
		f := filepath.Join(dir, "superset_config.py")
		if err := os.WriteFile(f, []byte(render(true)), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(py, "-m", "py_compile", f).CombinedOutput(); err != nil {
			t.Errorf("superset_config.py does not compile: %v\n%s", err, out)
		}
	} else {
		t.Log("python3 not installed: superset_config.py not compiled")
	}
	if sh, err := exec.LookPath("sh"); err == nil {
		if out, err := exec.Command(sh, "-n", "-c", InitScript("dremio-client.apps.svc.cluster.local", 32010, 2)).CombinedOutput(); err != nil {
			t.Errorf("the init script does not parse: %v\n%s", err, out)
		}
	}
}
