package dremio

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// LakeSourceName is the Dremio source over the object store's lake bucket, which dbt writes its
// tables to (dbt.DefaultLakeSource).
const LakeSourceName = "lake"

// gcpProject is a Google Cloud project ID.
var gcpProject = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)

// lakeParams are the resolved values the lake source is rendered from.
type lakeParams struct {
	Kind     objectstore.Kind
	Bucket   string
	Region   string
	Endpoint string
	Project  string
}

// lakeSourceSupported says whether Dremio OSS 25.2 can reach the lake of a store kind with the
// credentials its distributed storage uses. ADLS cannot: Dremio's Azure Storage source
// (dremio-oss@25.2.0 plugins/azure/src/main/java/com/dremio/plugins/azure/AzureAuthenticationType.java)
// knows only ACCESS_KEY and AZURE_ACTIVE_DIRECTORY, and AzureStorageFileSystem.setup lists
// containers and reads through its own token provider, a shared key or
// ClientCredentialsBasedTokenProviderImpl, which requires dremio.azure.clientSecret; the per-container
// ABFS file system gets its auth keys set by Prototype.setImpl after the source's propertyList, so
// Hadoop's MsiTokenProvider cannot be slipped in. The platform's lake account has shared keys off
// and no application secret exists (components/objectstore/adls).
func lakeSourceSupported(kind objectstore.Kind) bool {
	return kind == objectstore.S3 || kind == objectstore.GCS || kind == objectstore.MinIO
}

// Placeholders of the MinIO keys in the rendered body; the script fills them from the Secret.
const (
	accessKeyPlaceholder = "%[1]s"
	secretKeyPlaceholder = "%[2]s"
)

// lakeMetadataPolicy is the source's metadataPolicy (dremio-oss@25.2.0
// dac/backend/src/main/java/com/dremio/dac/api/MetadataPolicy.java: each interval ≥ 60000 ms;
// datasetUpdateMode one of services/namespace/src/main/proto/source.proto DatasetUpdateMode).
// dbt's tables are created through Dremio, so their metadata is current without auto-promotion.
var lakeMetadataPolicy = map[string]any{
	"authTTLMs":                 86400000,
	"namesRefreshMs":            3600000,
	"datasetRefreshAfterMs":     3600000,
	"datasetExpireAfterMs":      10800000,
	"datasetUpdateMode":         "PREFETCH_QUERIED",
	"deleteUnavailableDatasets": true,
	"autoPromoteDatasets":       false,
}

// lakeSourceConfig returns the source type and its config for a store kind. Every source roots at
// the lake bucket, so lake.dbt.<model> is the folder dbt in that bucket, and allowlists only that
// bucket: core-site.xml, which every source's Hadoop configuration starts from (FileSystemPlugin
// copies new Configuration(), which loads core-site.xml from Dremio's conf directory), allowlists
// the Dremio bucket for distributed storage, and a source replaces that key only when its own
// allowlist is non-empty (S3StoragePlugin.getProperties; GoogleStoragePlugin.getProperties sets it
// always). CREATE TABLE needs no flag: allowCreateDrop is @JsonIgnore'd in 25.2 and the
// S3/GCS/Azure confs return SchemaMutability.USER_TABLE, which lets any user create and drop tables
// (common/legacy/src/main/java/com/dremio/exec/store/dfs/SchemaMutability.java).
func lakeSourceConfig(p lakeParams) (string, map[string]any, error) {
	if p.Bucket == "" {
		return "", nil, fmt.Errorf("dremio: the lake bucket name is empty")
	}
	root := "/" + p.Bucket
	switch p.Kind {
	case objectstore.S3:
		// dremio-oss@25.2.0 plugins/s3/src/main/java/com/dremio/plugins/s3/store/S3PluginConfig.java
		// (credentialType, awsProfile) and AbstractS3PluginConfig.java (the rest). AWS_PROFILE makes
		// the source use AWSProfileCredentialsProviderV1 with com.dremio.awsProfile, the same
		// profile "dremio" (credential_process → EKS Pod Identity) as distributed storage.
		return "S3", map[string]any{
			"credentialType":     "AWS_PROFILE",
			"awsProfile":         awsProfile,
			"secure":             true,
			"rootPath":           root,
			"whitelistedBuckets": []string{p.Bucket},
			"compatibilityMode":  false,
			"enableAsync":        true,
			"isCachingEnabled":   true,
			"maxCacheSpacePct":   100,
			"defaultCtasFormat":  "ICEBERG",
			// S3FileSystem.REGION_OVERRIDE: the region of the STS check at setup (see coreSiteProperties).
			"propertyList": []map[string]string{{"name": "dremio.s3.region", "value": p.Region}},
		}, nil
	case objectstore.MinIO:
		host, secure, err := splitEndpoint(p.Endpoint)
		if err != nil {
			return "", nil, err
		}
		// ACCESS_KEY puts accessKey into fs.s3a.access.key and accessSecret (a SecretRef, read from a
		// plain string by SecretRefImpl) into fs.s3a.secret.key (AbstractS3PluginConfig
		// getAccessKeyProvider); compatibilityMode sets dremio.s3.compat; the propertyList comes after
		// both, path-style as for distributed storage (see coreSiteProperties). The JVM trusts
		// MinIO's private CA through the truststore the init container builds.
		return "S3", map[string]any{
			"credentialType":     "ACCESS_KEY",
			"accessKey":          accessKeyPlaceholder,
			"accessSecret":       secretKeyPlaceholder,
			"secure":             secure,
			"rootPath":           root,
			"whitelistedBuckets": []string{p.Bucket},
			"compatibilityMode":  true,
			"enableAsync":        true,
			"isCachingEnabled":   true,
			"maxCacheSpacePct":   100,
			"defaultCtasFormat":  "ICEBERG",
			"propertyList": []map[string]string{
				{"name": "fs.s3a.endpoint", "value": host},
				{"name": "fs.s3a.path.style.access", "value": "true"},
			},
		}, nil
	case objectstore.GCS:
		// dremio-oss@25.2.0 plugins/gcs/src/main/java/com/dremio/plugins/gcs/GCSConf.java; AUTO sets
		// dremio.gcs.use_keyfile=false, so the connector uses Application Default Credentials (GKE
		// Workload Identity), as distributed storage does; projectId must not be empty
		// (GoogleStoragePlugin.getProperties).
		if !gcpProject.MatchString(p.Project) {
			return "", nil, fmt.Errorf("dremio: GCPProject = %q; the GCS lake source needs the Google Cloud project ID", p.Project)
		}
		return "GCS", map[string]any{
			"projectId":         p.Project,
			"authMode":          "AUTO",
			"rootPath":          root,
			"bucketWhitelist":   []string{p.Bucket},
			"asyncEnabled":      true,
			"cachingEnable":     true,
			"cachePercent":      70,
			"defaultCtasFormat": "ICEBERG",
		}, nil
	}
	return "", nil, fmt.Errorf("dremio: Dremio OSS 25.2 has no keyless lake source for object store kind %q", p.Kind)
}

// lakeSourceRequest renders the POST/PUT body after `{"entityType":"source",` (and, for a PUT,
// the id and tag) as a printf format whose two %s are the MinIO access and secret keys, and the fragments
// of compact JSON that a current source's GET answer contains. Secrets are not compared: Dremio
// answers them as "$DREMIO_EXISTING_VALUE$" (ConnectionConf.USE_EXISTING_SECRET_VALUE).
func lakeSourceRequest(p lakeParams) (format string, fragments []string, err error) {
	typ, conf, err := lakeSourceConfig(p)
	if err != nil {
		return "", nil, err
	}
	body := map[string]any{"name": LakeSourceName, "type": typ, "config": conf, "metadataPolicy": lakeMetadataPolicy}
	raw, err := marshal(body)
	if err != nil {
		return "", nil, err
	}
	// Escape printf's % and restore the two placeholders.
	format = strings.ReplaceAll(string(raw), "%", "%%")
	// encoding/json sorts keys: accessKey comes before accessSecret, so the script's printf
	// arguments are the access key, then the secret key.
	format = strings.ReplaceAll(format, `"%%[1]s"`, `"%s"`)
	format = strings.ReplaceAll(format, `"%%[2]s"`, `"%s"`)
	format = strings.TrimPrefix(format, "{")

	fragments = []string{fmt.Sprintf(`"name":%q`, LakeSourceName), fmt.Sprintf(`"type":%q`, typ)}
	for _, section := range []map[string]any{conf, lakeMetadataPolicy} {
		keys := make([]string, 0, len(section))
		for k := range section {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "accessKey" || k == "accessSecret" {
				continue // compared at run time (accessKey) or not at all (accessSecret)
			}
			v, err := marshal(section[k])
			if err != nil {
				return "", nil, err
			}
			fragments = append(fragments, fmt.Sprintf("%q:%s", k, v))
		}
	}
	return format, fragments, nil
}

// marshal is compact JSON without HTML escaping, as Jackson writes it.
func marshal(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// lakeSourceScript is the part of the bootstrap that makes the lake source current: GET it by path;
// 404 → POST; 200 → PUT with its id and tag unless every fragment is already in the answer; any
// other status, or a non-2xx answer to the POST/PUT, fails the Job. It runs after the login ($token,
// $base). On MinIO the body takes the keys from LAKE_ACCESS_KEY and LAKE_SECRET_KEY.
func lakeSourceScript(p lakeParams) (string, error) {
	format, fragments, err := lakeSourceRequest(p)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("\n# The lake source (" + LakeSourceName + ").\n")
	b.WriteString("fmt=$(cat <<'LAKE_BODY'\n" + format + "\nLAKE_BODY\n)\n")
	if p.Kind == objectstore.MinIO {
		// The keys go into a JSON string: refuse characters that would need escaping.
		b.WriteString(`: "${LAKE_ACCESS_KEY:?}" "${LAKE_SECRET_KEY:?}"
case "$LAKE_ACCESS_KEY$LAKE_SECRET_KEY" in *[\"\\%]*) echo "the object store keys contain a quote, backslash or percent sign" >&2; exit 1 ;; esac
rest=$(printf "$fmt" "$LAKE_ACCESS_KEY" "$LAKE_SECRET_KEY")
`)
	} else {
		b.WriteString("rest=$(printf \"$fmt\")\n")
	}
	b.WriteString("cat > /tmp/lake-want <<'LAKE_FRAGMENTS'\n" + strings.Join(fragments, "\n") + "\nLAKE_FRAGMENTS\n")
	if p.Kind == objectstore.MinIO {
		b.WriteString(`printf '"accessKey":"%s"\n' "$LAKE_ACCESS_KEY" >> /tmp/lake-want` + "\n")
	}
	fmt.Fprintf(&b, `auth="Authorization: _dremio$token"
code=$(curl -sS -o /tmp/lake -w '%%{http_code}' "$base/api/v3/catalog/by-path/%s" -H "$auth")
case "$code" in
  404)
    code=$(curl -sS -o /tmp/lake-out -w '%%{http_code}' -X POST "$base/api/v3/catalog" -H "$auth" -H 'Content-Type: application/json' -d "{\"entityType\":\"source\",$rest")
    case "$code" in 2*) echo "lake source created" ;; *) echo "creating the lake source failed: HTTP $code" >&2; cat /tmp/lake-out >&2; exit 1 ;; esac ;;
  200)
    same=1
    while IFS= read -r f; do grep -qF -- "$f" /tmp/lake || { same=0; echo "lake source differs: $f"; }; done < /tmp/lake-want
    if [ "$same" = 1 ]; then
      echo "lake source is current"
    else
      id=$(grep -o '"id":"[^"]*"' /tmp/lake | head -n 1 | cut -d'"' -f4)
      tag=$(grep -o '"tag":"[^"]*"' /tmp/lake | head -n 1 | cut -d'"' -f4)
      [ -n "$id" ] && [ -n "$tag" ] || { echo "no id or tag in the lake source" >&2; cat /tmp/lake >&2; exit 1; }
      code=$(curl -sS -o /tmp/lake-out -w '%%{http_code}' -X PUT "$base/api/v3/catalog/$id" -H "$auth" -H 'Content-Type: application/json' -d "{\"entityType\":\"source\",\"id\":\"$id\",\"tag\":\"$tag\",$rest")
      case "$code" in 2*) echo "lake source updated" ;; *) echo "updating the lake source failed: HTTP $code" >&2; cat /tmp/lake-out >&2; exit 1 ;; esac
    fi ;;
  *) echo "reading the lake source failed: HTTP $code" >&2; cat /tmp/lake >&2; exit 1 ;;
esac
`, LakeSourceName)
	return b.String(), nil
}
