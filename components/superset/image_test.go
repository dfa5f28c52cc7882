package superset

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dockerfilePins reads images/superset/Dockerfile and returns its base image and the packages of
// every `uv pip install` / `pip install` line, joined across continuations.
func dockerfilePins(t *testing.T, text string) (from string, packages []string) {
	t.Helper()
	joined := strings.ReplaceAll(text, "\\\n", " ")
	for _, line := range strings.Split(joined, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		if f, ok := strings.CutPrefix(line, "FROM "); ok {
			require.Empty(t, from, "one stage only")
			from = strings.Fields(f)[0]
		}
		for _, cmd := range strings.Split(line, "&&") {
			fields := strings.Fields(cmd)
			for i := 0; i+1 < len(fields); i++ {
				if fields[i] == "pip" && fields[i+1] == "install" {
					for _, f := range fields[i+2:] {
						if !strings.HasPrefix(f, "-") {
							packages = append(packages, f)
						}
					}
				}
			}
		}
	}
	return from, packages
}

var (
	exactBase = regexp.MustCompile(`^apache/superset:(` + regexp.QuoteMeta(UpstreamVersion) + `)(@sha256:[a-f0-9]{64})?$`)
	exactPin  = regexp.MustCompile(`^[A-Za-z0-9_.-]+==[0-9]+(\.[0-9]+)*$`)
)

func TestDockerfilePinsAreExact(t *testing.T) {
	raw, err := os.ReadFile("../../images/superset/Dockerfile")
	require.NoError(t, err)
	from, pkgs := dockerfilePins(t, string(raw))
	assert.Regexp(t, exactBase, from, "the base is apache/superset at the version the platform's config is checked against")
	require.NotEmpty(t, pkgs)
	names := map[string]bool{}
	for _, p := range pkgs {
		assert.Regexp(t, exactPin, p, "every driver is pinned to an exact version")
		names[strings.ToLower(strings.SplitN(p, "==", 2)[0])] = true
	}
	assert.True(t, names["psycopg2-binary"], "the metadata database's driver")
	assert.True(t, names["sqlalchemy-dremio"], "Dremio's Flight dialect")
	assert.Contains(t, string(raw), `id -u superset)" = "1000"`, "the build checks the UID the pods run as")
	// Review m1: the drivers may not move Superset's own dependencies, and the build proves it.
	assert.Contains(t, string(raw), "uv pip freeze --exclude-editable > /tmp/superset-constraints.txt")
	assert.Contains(t, string(raw), "--constraint=/tmp/superset-constraints.txt")
	assert.Contains(t, string(raw), "&& uv pip check")
	assert.Contains(t, string(raw), "superset.app; assert sqlalchemy.__version__.startswith('1.')")
}

func TestDockerfilePinCheckCatchesFloatingVersions(t *testing.T) {
	for _, bad := range []string{
		"FROM apache/superset:latest\nRUN uv pip install psycopg2-binary==2.9.10\n",
		"FROM apache/superset:6.1.0\nRUN . /app/.venv/bin/activate && uv pip install \\\n  psycopg2-binary \\\n  sqlalchemy-dremio==3.0.4\n",
		"FROM apache/superset:6.1.0\nRUN uv pip install 'sqlalchemy-dremio>=3,<4'\n",
	} {
		from, pkgs := dockerfilePins(t, bad)
		ok := exactBase.MatchString(from)
		for _, p := range pkgs {
			ok = ok && exactPin.MatchString(p)
		}
		assert.False(t, ok, "must be rejected: %q", bad)
	}
}
