package dremio

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// fakeCurl stands in for curl: it logs "METHOD URL" and each request body, and answers from
// $FAKE/<key>.code and <key>.body (default 200, "{}"), key = METHOD_path with / . : as _.
const fakeCurl = `#!/bin/sh
out=""; w=""; method=GET; data=""; url=""; fail=0
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift 2 ;;
    -w) w=$2; shift 2 ;;
    -X) method=$2; shift 2 ;;
    -d) data=$2; shift 2 ;;
    -H) shift 2 ;;
    -f*) fail=1; shift ;;
    -*) shift ;;
    *) url=$1; shift ;;
  esac
done
key=$(printf '%s%s' "$method" "${url#*:9047}" | tr '/.:' '___')
echo "$method $url" >> "$FAKE/log"
[ -n "$data" ] && printf '%s\n' "$data" > "$FAKE/$key.sent"
code=200; [ -f "$FAKE/$key.code" ] && code=$(cat "$FAKE/$key.code")
body='{}'; [ -f "$FAKE/$key.body" ] && body=$(cat "$FAKE/$key.body")
case "$url" in */apiv2/login) body='{"token":"tok"}' ;; esac
if [ "$fail" = 1 ] && [ "$code" -ge 400 ]; then exit 22; fi
if [ -n "$out" ]; then printf '%s' "$body" > "$out"; else printf '%s' "$body"; fi
[ -n "$w" ] && printf '%s' "$code"
exit 0
`

const (
	byPathKey = "GET_api_v3_catalog_by-path_lake"
	postKey   = "POST_api_v3_catalog"
	putKey    = "PUT_api_v3_catalog_src-1"
)

// bootstrapOf renders the component and returns the bootstrap Job's script, hash and env names.
func bootstrapOf(t *testing.T, args *DremioClusterArgs) (string, string, []string) {
	t.Helper()
	m, c, err := run(t, false, args)
	require.NoError(t, err)
	var job batchv1.Job
	inspect.DecodeStrict(t, m.Named(jobType, "dremio-bootstrap"), &job)
	var names []string
	for _, e := range job.Spec.Template.Spec.Containers[0].Env {
		names = append(names, e.Name)
	}
	want := ""
	if lakeSourceSupported(args.ObjectStore.Kind) && args.DistStorage != DistLocal {
		want = LakeSourceName
	}
	assert.Equal(t, want, await(t, c.LakeSource))
	return job.Spec.Template.Spec.Containers[0].Command[2], job.Spec.Template.Annotations["dataplatform.io/config-sha256"], names
}

// runScript runs the script with sh against fakeCurl; answers maps a request key to "code body".
func runScript(t *testing.T, script string, answers map[string][2]string) (string, map[string]string, error) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	fake := filepath.Join(dir, "fake")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	require.NoError(t, os.MkdirAll(fake, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "curl"), []byte(fakeCurl), 0o755))
	for k, a := range answers {
		require.NoError(t, os.WriteFile(filepath.Join(fake, k+".code"), []byte(a[0]), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(fake, k+".body"), []byte(a[1]), 0o644))
	}
	sh, err := exec.LookPath("sh")
	require.NoError(t, err)
	script = strings.ReplaceAll(script, "/tmp/", dir+"/") // the Job's /tmp is its own emptyDir
	cmd := exec.Command(sh, "-c", script)
	cmd.Env = []string{
		"PATH=" + bin + ":/usr/bin:/bin", "FAKE=" + fake,
		"ADMIN_USER=admin", "ADMIN_PASSWORD=Pw1", "DBT_USER=dbt", "DBT_PASSWORD=Pw2",
		"LAKE_ACCESS_KEY=dremio-key", "LAKE_SECRET_KEY=s3cr3tValue",
	}
	out, runErr := cmd.CombinedOutput()
	sent := map[string]string{}
	for _, k := range []string{postKey, putKey} {
		if b, err := os.ReadFile(filepath.Join(fake, k+".sent")); err == nil {
			sent[k] = strings.TrimSpace(string(b))
		}
	}
	return string(out), sent, runErr
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &v), s)
	return v
}

// wantPolicy is the metadataPolicy every lake source carries.
var wantPolicy = map[string]any{
	"authTTLMs": 86400000.0, "namesRefreshMs": 3600000.0, "datasetRefreshAfterMs": 3600000.0,
	"datasetExpireAfterMs": 10800000.0, "datasetUpdateMode": "PREFETCH_QUERIED",
	"deleteUnavailableDatasets": true, "autoPromoteDatasets": false,
}

func TestLakeSourceCreatedPerStoreKind(t *testing.T) {
	cases := map[objectstore.Kind]struct {
		typ  string
		conf map[string]any
	}{
		objectstore.S3: {"S3", map[string]any{
			"credentialType": "AWS_PROFILE", "awsProfile": "dremio", "secure": true,
			"rootPath": "/dp-prod-lake", "whitelistedBuckets": []any{"dp-prod-lake"},
			"compatibilityMode": false, "enableAsync": true, "isCachingEnabled": true, "maxCacheSpacePct": 100.0,
			"defaultCtasFormat": "ICEBERG",
			"propertyList":      []any{map[string]any{"name": "dremio.s3.region", "value": "eu-north-1"}},
		}},
		objectstore.MinIO: {"S3", map[string]any{
			"credentialType": "ACCESS_KEY", "accessKey": "dremio-key", "accessSecret": "s3cr3tValue", "secure": true,
			"rootPath": "/dp-prod-lake", "whitelistedBuckets": []any{"dp-prod-lake"},
			"compatibilityMode": true, "enableAsync": true, "isCachingEnabled": true, "maxCacheSpacePct": 100.0,
			"defaultCtasFormat": "ICEBERG",
			"propertyList": []any{
				map[string]any{"name": "fs.s3a.endpoint", "value": "minio.dataplatform-data.svc.cluster.local:9000"},
				map[string]any{"name": "fs.s3a.path.style.access", "value": "true"},
			},
		}},
		objectstore.GCS: {"GCS", map[string]any{
			"projectId": "dp-prod-proj", "authMode": "AUTO", "rootPath": "/dp-prod-lake",
			"bucketWhitelist": []any{"dp-prod-lake"}, "asyncEnabled": true, "cachingEnable": true,
			"cachePercent": 70.0, "defaultCtasFormat": "ICEBERG",
		}},
	}
	for kind, want := range cases {
		t.Run(string(kind), func(t *testing.T) {
			script, _, envNames := bootstrapOf(t, prodArgs(kind))
			if kind == objectstore.MinIO {
				assert.Contains(t, envNames, "LAKE_ACCESS_KEY")
				assert.Contains(t, envNames, "LAKE_SECRET_KEY")
			} else {
				assert.NotContains(t, envNames, "LAKE_ACCESS_KEY")
			}
			out, sent, err := runScript(t, script, map[string][2]string{byPathKey: {"404", `{"errorMessage":"Could not find entity with path [[lake]]"}`}})
			require.NoError(t, err, out)
			assert.Contains(t, out, "lake source created")
			assert.NotContains(t, sent, putKey)
			body := decode(t, sent[postKey])
			assert.Equal(t, map[string]any{
				"entityType": "source", "name": "lake", "type": want.typ,
				"config": want.conf, "metadataPolicy": wantPolicy,
			}, body)
		})
	}
}

// current is what Dremio answers for an existing source: the sent body with id, tag, state and a
// masked secret, children last.
func current(t *testing.T, sent string, mutate func(map[string]any)) string {
	t.Helper()
	v := decode(t, sent)
	conf := v["config"].(map[string]any)
	if _, ok := conf["accessSecret"]; ok {
		conf["accessSecret"] = "$DREMIO_EXISTING_VALUE$"
	}
	if mutate != nil {
		mutate(v)
	}
	delete(v, "entityType")
	rest, err := json.Marshal(v)
	require.NoError(t, err)
	return `{"entityType":"source","id":"src-1","tag":"tag-1",` + strings.TrimPrefix(string(rest), "{") +
		`,"children":[{"id":"child-9","tag":"tag-9","path":["lake","dbt"]}]}`
	// (json.Marshal sorts keys; the script compares field by field, so order does not matter.)
}

func TestLakeSourceIdempotent(t *testing.T) {
	for _, kind := range []objectstore.Kind{objectstore.S3, objectstore.MinIO, objectstore.GCS} {
		t.Run(string(kind), func(t *testing.T) {
			script, _, _ := bootstrapOf(t, prodArgs(kind))
			_, first, err := runScript(t, script, map[string][2]string{byPathKey: {"404", "{}"}})
			require.NoError(t, err)

			// Unchanged: neither POST nor PUT.
			out, sent, err := runScript(t, script, map[string][2]string{byPathKey: {"200", current(t, first[postKey], nil)}})
			require.NoError(t, err, out)
			assert.Contains(t, out, "lake source is current")
			assert.Empty(t, sent)

			// Changed (someone edited the root path in the UI): PUT with the source's id and tag.
			edited := current(t, first[postKey], func(v map[string]any) { v["config"].(map[string]any)["rootPath"] = "/other" })
			out, sent, err = runScript(t, script, map[string][2]string{byPathKey: {"200", edited}})
			require.NoError(t, err, out)
			assert.Contains(t, out, "lake source updated")
			assert.NotContains(t, sent, postKey)
			put := decode(t, sent[putKey])
			assert.Equal(t, "src-1", put["id"], "the source's id, not a child's")
			assert.Equal(t, "tag-1", put["tag"])
			post := decode(t, first[postKey])
			delete(put, "id")
			delete(put, "tag")
			assert.Equal(t, post, put, "the update sends the full desired source")
		})
	}
	t.Run("minio key rotated", func(t *testing.T) {
		script, _, _ := bootstrapOf(t, prodArgs(objectstore.MinIO))
		_, first, err := runScript(t, script, map[string][2]string{byPathKey: {"404", "{}"}})
		require.NoError(t, err)
		old := current(t, first[postKey], func(v map[string]any) { v["config"].(map[string]any)["accessKey"] = "old-key" })
		out, sent, err := runScript(t, script, map[string][2]string{byPathKey: {"200", old}})
		require.NoError(t, err, out)
		assert.Contains(t, sent, putKey)
	})
}

func TestLakeSourceFailsOnNon2xx(t *testing.T) {
	script, _, _ := bootstrapOf(t, prodArgs(objectstore.S3))
	for name, answers := range map[string]map[string][2]string{
		"get 500":      {byPathKey: {"500", `{"errorMessage":"boom"}`}},
		"get 401":      {byPathKey: {"401", `{}`}},
		"post 400":     {byPathKey: {"404", "{}"}, postKey: {"400", `{"errorMessage":"Failure creating S3 connection"}`}},
		"post 500":     {byPathKey: {"404", "{}"}, postKey: {"500", `{}`}},
		"put 409":      {byPathKey: {"200", `{"entityType":"source","id":"src-1","tag":"tag-1","name":"lake"}`}, putKey: {"409", `{"errorMessage":"tag mismatch"}`}},
		"no id or tag": {byPathKey: {"200", `{"entityType":"source","name":"lake"}`}},
	} {
		t.Run(name, func(t *testing.T) {
			out, _, err := runScript(t, script, answers)
			assert.Error(t, err, out)
			assert.Contains(t, out, "lake source")
		})
	}
}

func TestLakeSourceChangeReRunsJob(t *testing.T) {
	_, h1, _ := bootstrapOf(t, prodArgs(objectstore.S3))
	args := prodArgs(objectstore.S3)
	args.ObjectStore.BucketNames[objectstore.Lake] = str("dp-prod-lake-2")
	s2, h2, _ := bootstrapOf(t, args)
	assert.Contains(t, s2, `"rootPath":"/dp-prod-lake-2"`)
	assert.NotEqual(t, h1, h2, "a changed source config changes the pod template")
	args = prodArgs(objectstore.GCS)
	_, g1, _ := bootstrapOf(t, args)
	args.GCPProject = "dp-other-proj"
	_, g2, _ := bootstrapOf(t, args)
	assert.NotEqual(t, g1, g2)
}

func TestNoLakeSourceWhereUnsupported(t *testing.T) {
	// ADLS: Dremio OSS 25.2's Azure source has no keyless authentication.
	script, _, envNames := bootstrapOf(t, prodArgs(objectstore.ADLS))
	assert.NotContains(t, script, "/api/v3/catalog")
	assert.NotContains(t, envNames, "LAKE_ACCESS_KEY")
	out, sent, err := runScript(t, script, nil)
	require.NoError(t, err, out)
	assert.Empty(t, sent)
	// Local distributed storage: the pods carry no store credentials.
	a := devArgs(objectstore.MinIO)
	a.DistStorage, a.DevLocalStorage, a.Executors = DistLocal, true, 1
	script, _, _ = bootstrapOf(t, a)
	assert.NotContains(t, script, "/api/v3/catalog")
}

func TestLakeSourceValidation(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		for name, c := range map[string]struct {
			mutate func(*DremioClusterArgs)
			msg    string
		}{
			"gcs without project": {func(a *DremioClusterArgs) { a.ObjectStore = store(objectstore.GCS); a.GCPProject = "" }, "GCPProject"},
			"gcs bad project":     {func(a *DremioClusterArgs) { a.ObjectStore = store(objectstore.GCS); a.GCPProject = "Bad_Project" }, "GCPProject"},
			"no lake bucket (s3)": {func(a *DremioClusterArgs) { delete(a.ObjectStore.BucketNames, objectstore.Lake) }, `no "lake" bucket`},
			"no lake bucket minio": {func(a *DremioClusterArgs) {
				a.ObjectStore = store(objectstore.MinIO)
				delete(a.ObjectStore.BucketNames, objectstore.Lake)
			}, `no "lake" bucket`},
		} {
			t.Run(name, func(t *testing.T) {
				a := prodArgs(objectstore.S3)
				c.mutate(a)
				m, _, err := run(t, preview, a)
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.msg)
				assert.Empty(t, m.ByType(DremioClusterType), "nothing is registered")
			})
		}
		// ADLS needs neither: it has no lake source.
		a := prodArgs(objectstore.ADLS)
		delete(a.ObjectStore.BucketNames, objectstore.Lake)
		_, _, err := run(t, preview, a)
		require.NoError(t, err)
	})
}
