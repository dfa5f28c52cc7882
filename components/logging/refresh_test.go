package logging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runRefresh runs the CA sidecar's script for two rounds in a scratch directory: fetch-ca.sh is a
// stand-in that writes newCA, curl a stand-in that logs its arguments and exits with curlExit. It
// returns the logged curl calls.
func runRefresh(t *testing.T, newCA string, curlExit int) []string {
	t.Helper()
	d := t.TempDir()
	for _, dir := range []string{"es-ca", "conf", "bin"} {
		require.NoError(t, os.MkdirAll(filepath.Join(d, dir), 0o755))
	}
	write := func(p, s string) { require.NoError(t, os.WriteFile(filepath.Join(d, p), []byte(s), 0o755)) }
	write("es-ca/ca.crt", "OLD\n")
	write("conf/fetch-ca.sh", "printf '%s\\n' '"+newCA+"' > "+d+"/es-ca/ca.crt\n")
	write("bin/curl", "#!/bin/sh\necho \"$@\" >> "+d+"/calls\nexit "+map[bool]string{true: "0", false: "7"}[curlExit == 0]+"\n")
	script := refreshScript()
	require.Contains(t, script, "while sleep 300; do")
	script = strings.NewReplacer(
		"while sleep 300; do", "for round in 1 2; do",
		caDir+"/", d+"/es-ca/", configDir+"/", d+"/conf/", "/tmp/", d+"/",
	).Replace(script)
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+d+"/bin:"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	calls, _ := os.ReadFile(filepath.Join(d, "calls"))
	return strings.Fields(strings.ReplaceAll(string(calls), " ", "_"))
}

// TestRefreshReloadsOnceOnChange: a changed CA triggers one hot reload; an unchanged one none; a
// refused reload is tried again at the next round.
func TestRefreshReloadsOnceOnChange(t *testing.T) {
	reload := "-fsS_-X_POST_http://127.0.0.1:2020/api/v2/reload"
	assert.Equal(t, []string{reload}, runRefresh(t, "NEW", 0), "changed: one reload")
	assert.Empty(t, runRefresh(t, "OLD", 0), "unchanged: no reload")
	assert.Equal(t, []string{reload, reload}, runRefresh(t, "NEW", 7), "refused: tried again")
}
