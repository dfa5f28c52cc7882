package logging

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/opendataplatform/dataplatform/components/elasticsearch"
)

// Paths in the Fluent Bit container.
const (
	configDir = "/fluent-bit/etc/conf"
	caDir     = "/es-ca"
	// stateDir is a hostPath: the tail input's offsets and the filesystem buffer (bufferDir) survive
	// a restart of the pod. The offset is saved once a line is read into a chunk (fluent-bit v5.1.1
	// plugins/in_tail/tail_file.c), so lines read but not yet delivered live on only because the
	// chunk is on this disk.
	stateDir  = "/var/lib/fluent-bit"
	bufferDir = stateDir + "/buffer"
)

// logPaths are the tail input's patterns: the kubelet's symlinks /var/log/containers/
// <pod>_<namespace>_<container>-<id>.log (the kubernetes filter's Regex_Parser, fluent-bit v5.1.1
// conf/parsers.conf "kube-custom", reads the same three parts), one pattern per platform namespace.
func logPaths(namespaces []string) string {
	var p []string
	for _, n := range namespaces {
		p = append(p, fmt.Sprintf("/var/log/containers/*_%s_*.log", n))
	}
	return strings.Join(p, ",")
}

// fluentBitConfig is the classic-mode configuration. Every key is Fluent Bit v5.1.1's:
//   - [SERVICE] (include/fluent-bit/flb_config.h FLB_CONF_STR_*): Flush, Log_Level, HTTP_Server,
//     HTTP_Listen, HTTP_Port (metrics and health); Health_Check with HC_Errors_Count,
//     HC_Retry_Failure_Count and HC_Period (src/http_server/api/v1/health.c is_healthy:
//     /api/v1/health answers 500 while more than HC_Errors_Count output errors or more than
//     HC_Retry_Failure_Count chunks whose retries ran out happened within the last HC_Period
//     seconds; the liveness probe reads it, so an output that keeps failing restarts the container);
//     storage.path, storage.sync normal, storage.max_chunks_up 8 and storage.backlog.mem_limit
//     (flb_config.h FLB_CONF_STORAGE_*; defaults 128 chunks, 100M, include/fluent-bit/flb_storage.h):
//     chunks are files under bufferDir and at most 8 (~2 MB each) are held in memory, within the
//     container's limit; after a restart the backlog on disk is sent first;
//     Hot_Reload (src/http_server/api/v2/reload.c: POST /api/v2/reload re-reads the configuration and
//     re-creates the outputs, their TLS context and tls.ca_file included — how the CA sidecar makes a
//     renewed CA take effect);
//   - tail (plugins/in_tail/tail.c config map): Path (a comma-separated list), multiline.parser
//     cri and docker (the built-in container runtime parsers, as the chart's values.yaml sets them),
//     DB and DB.locking (offsets on the node), Skip_Long_Lines, Refresh_Interval; storage.type
//     filesystem (src/flb_input.c): chunks beyond storage.max_chunks_up wait on disk while
//     Elasticsearch is away, instead of pausing the input (Mem_Buf_Limit, memory buffering only);
//   - kubernetes (plugins/filter_kubernetes/kubernetes.c): pod metadata from the API server
//     (Kube_URL default https://kubernetes.default.svc, the ServiceAccount's token and CA), Labels
//     on, Annotations off, Merge_Log off (the line stays one string: services' JSON logs would
//     otherwise collide in one mapping), K8S-Logging.Exclude (a pod opts out with the annotation
//     fluentbit.io/exclude: "true"), Buffer_Size (the API response limit; default 32K is too
//     small for large pod specs);
//   - es (plugins/out_es/es.c): Index = the data stream, Write_Operation create (a data stream
//     takes only create), Suppress_Type_Name (Elasticsearch 8+ refuses _type), Replace_Dots (label
//     keys such as app.kubernetes.io/name would otherwise collide with object fields), the
//     @timestamp field (Time_Key's default, always added), HTTP_User/HTTP_Passwd from the
//     environment (${VAR}, src/flb_env.c); tls, tls.verify, tls.verify_hostname and tls.ca_file
//     (src/flb_output.c) verify the server against ECK's CA and its Service name;
//     Buffer_Size False: the bulk response is read whole (plugins/out_es/es_conf.c:636-639, -1 ⇒ 0 =
//     unlimited). The default 512k (es.h FLB_ES_DEFAULT_HTTP_MAX) holds ~2,000 bulk items of
//     ~250 bytes; a larger response fails the HTTP client (src/flb_http_client.c "cannot increase
//     buffer") and the chunk, already indexed, would be retried and indexed again;
//     Retry_Limit (src/flb_output.c: a positive integer) is RetryLimit: see there;
//     storage.total_limit_size (src/flb_output.c) caps the node's disk buffer at BufferLimit: past it
//     the oldest chunks are dropped (counted in dropped records).
func fluentBitConfig(host string, namespaces []string) string {
	return fmt.Sprintf(`[SERVICE]
    Daemon            Off
    Flush             5
    Log_Level         info
    HTTP_Server       On
    HTTP_Listen       0.0.0.0
    HTTP_Port         %[1]d
    Health_Check      On
    HC_Errors_Count   %[8]d
    HC_Retry_Failure_Count %[9]d
    HC_Period         %[10]d
    Hot_Reload        On
    storage.path      %[12]s
    storage.sync      normal
    storage.max_chunks_up 8
    storage.backlog.mem_limit 16M

[INPUT]
    Name              tail
    Tag               kube.*
    Path              %[2]s
    multiline.parser  cri, docker
    DB                %[3]s/tail.db
    DB.locking        true
    storage.type      filesystem
    Skip_Long_Lines   On
    Refresh_Interval  10

[FILTER]
    Name                kubernetes
    Match               kube.*
    Merge_Log           Off
    Labels              On
    Annotations         Off
    K8S-Logging.Exclude On
    Buffer_Size         256k

[OUTPUT]
    Name                es
    Match               kube.*
    Host                %[4]s
    Port                %[5]d
    Index               %[6]s
    Write_Operation     create
    Suppress_Type_Name  On
    Replace_Dots        On
    HTTP_User           ${ES_USER}
    HTTP_Passwd         ${ES_PASSWORD}
    tls                 On
    tls.verify          On
    tls.verify_hostname On
    tls.ca_file         %[7]s/ca.crt
    Buffer_Size         False
    Retry_Limit         %[11]d
    storage.total_limit_size %[13]s
`, MetricsPort, logPaths(namespaces), stateDir, host, elasticsearch.HTTPPort, DataStream, caDir,
		HealthErrors, HealthRetryFailures, HealthPeriod, RetryLimit, bufferDir, BufferLimit)
}

// RetryLimit is how often a chunk is resent before it is dropped (counted in retries_failed).
// fluent-bit v5.1.1 src/flb_scheduler.c backoff_full_jitter waits random(5, min(2000, 5·2^n))
// seconds before retry n (include/fluent-bit/flb_scheduler.h FLB_SCHED_BASE 5, FLB_SCHED_CAP
// 2000): 15 retries wait at most 5·(2+…+256) + 7·2000 ≈ 4.6 h, about half that on average — an
// Elasticsearch upgrade or restart is ridden out, while a chunk Elasticsearch will never accept
// (a mapping conflict, a TLS failure) is given up within hours instead of being resent for ever.
const RetryLimit = 15

// BufferLimit is how much of the node's disk (under /var/lib/fluent-bit) the shipper's buffer may
// take while Elasticsearch is away: at ~2 KB a line, about half a million lines per node.
const BufferLimit = "1G"

// The health check's thresholds (see fluentBitConfig): more than HealthRetryFailures dropped chunks
// or more than HealthErrors output errors within HealthPeriod seconds turn /api/v1/health red. One
// poison chunk does not (a restart would not help it); an output that fails for everything drops
// chunks at the rate they are made and does.
const (
	HealthErrors        = 5
	HealthRetryFailures = 5
	HealthPeriod        = 300
)

// retention is Elasticsearch's retention string for days.
func retention(days int) string { return fmt.Sprintf("%dd", days) }

// templateBody is PUT _index_template/<IndexTemplate>: data streams matching DataStreamPattern, with
// a data stream lifecycle (template.lifecycle.data_retention) and no ILM policy; replicas 0–1
// (index.auto_expand_replicas: none on a one-node cluster, which stays green, one elsewhere); the
// line is text, the stream (stdout/stderr) a keyword; the rest maps dynamically.
func templateBody(days int) string {
	b, _ := json.Marshal(map[string]any{
		"index_patterns": []string{DataStreamPattern},
		"data_stream":    map[string]any{},
		"priority":       IndexTemplatePriority,
		"template": map[string]any{
			"settings":  map[string]any{"index.auto_expand_replicas": "0-1"},
			"mappings":  map[string]any{"properties": map[string]any{"@timestamp": map[string]any{"type": "date"}, "log": map[string]any{"type": "text"}, "stream": map[string]any{"type": "keyword"}}},
			"lifecycle": map[string]any{"data_retention": retention(days)},
		},
		"_meta": map[string]any{"managed_by": "dataplatform", "description": "container logs shipped by Fluent Bit"},
	})
	return string(b)
}

// lifecycleBody is PUT _data_stream/<DataStream>/_lifecycle.
func lifecycleBody(days int) string {
	b, _ := json.Marshal(map[string]any{"data_retention": retention(days)})
	return string(b)
}

// retentionScript registers the template, creates the data stream if it is missing, sets its
// lifecycle and takes ILM off its backing indices: a stream the running shipper auto-created from
// the built-in logs-*-* template (a re-created cluster, before this Job) has backing indices under
// ILM policy "logs", which wins over the data stream lifecycle (index.lifecycle.prefer_ilm defaults
// to true), so they would never be deleted; POST <data stream>/_ilm/remove applies to every backing
// index and is a no-op for indices without a policy. Every step is idempotent (PUTs replace; the data stream is created only on a 404), so
// the Job can run again. The password goes to a netrc file, never onto a command line; curl verifies
// Elasticsearch's certificate against ECK's CA.
func retentionScript(host string) string {
	return fmt.Sprintf(`set -eu
umask 077
printf 'machine %%s login %%s password %%s\n' %[2]s "$ES_USER" "$ES_PASSWORD" > /tmp/netrc
es() { curl --fail-with-body -sS --retry 5 --retry-all-errors --cacert /es-ca/ca.crt --netrc-file /tmp/netrc -H 'Content-Type: application/json' "$@"; }
until es "%[1]s/_cluster/health?wait_for_status=yellow&timeout=30s" >/dev/null; do
  echo "waiting for Elasticsearch"; sleep 10
done
es -X PUT "%[1]s/_index_template/%[3]s" --data-binary @/config/template.json
echo
code=$(curl -sS -o /dev/null -w '%%{http_code}' --cacert /es-ca/ca.crt --netrc-file /tmp/netrc "%[1]s/_data_stream/%[4]s")
case "$code" in
  200) ;;
  404) es -X PUT "%[1]s/_data_stream/%[4]s"; echo ;;
  *) echo "GET _data_stream/%[4]s answered $code"; exit 1 ;;
esac
es -X PUT "%[1]s/_data_stream/%[4]s/_lifecycle" --data-binary @/config/lifecycle.json
echo
es -X POST "%[1]s/%[4]s/_ilm/remove"
echo
`, fmt.Sprintf("https://%s:%d", host, elasticsearch.HTTPPort), host, IndexTemplate, DataStream)
}

// caScript is the CA init container's and the CA sidecar's: it reads ECK's public CA Secret in
// Elasticsearch's namespace through the API server (a Role grants get on that one Secret) and writes
// ca.crt for Fluent Bit, waiting until ECK has created it. A Secret cannot be mounted from another
// namespace; the CA is public (the Secret has no private key). The JSON value is one base64 string
// without quotes. The new file replaces the old one in one rename, so Fluent Bit never reads half a
// certificate. The token header stays private (umask 077); ca.crt is world-readable, since Fluent
// Bit runs as root without CAP_DAC_OVERRIDE and the file is the script's user's.
func caScript(dataNamespace string) string {
	return fmt.Sprintf(`set -eu
umask 077
sa=/var/run/secrets/kubernetes.io/serviceaccount
printf 'Authorization: Bearer %%s\n' "$(cat $sa/token)" > /tmp/auth
until curl -fsS --cacert $sa/ca.crt -H @/tmp/auth -o /tmp/secret.json \
  "https://kubernetes.default.svc/api/v1/namespaces/%[1]s/secrets/%[2]s"; do
  echo "waiting for %[2]s"; sleep 10
done
umask 022
sed -n 's/.*"ca\.crt": *"\([^"]*\)".*/\1/p' /tmp/secret.json | base64 -d > %[3]s/ca.crt.new
grep -q 'BEGIN CERTIFICATE' %[3]s/ca.crt.new
mv -f %[3]s/ca.crt.new %[3]s/ca.crt
`, dataNamespace, elasticsearch.CASecret, caDir)
}

// CARefreshSeconds is how often the CA sidecar re-reads ECK's CA Secret.
const CARefreshSeconds = 300

// refreshScript is the CA sidecar's: ECK renews its self-signed HTTP CA before it expires
// (cloud-on-k8s v3.5.0 pkg/controller/common/certificates/expiration.go DefaultCertValidity one
// year; ca_secret.go rotates it before NotAfter - DefaultRotateBefore) and reissues the HTTP
// certificate from the new CA, while Fluent Bit loads tls.ca_file once, when the output starts.
// Every CARefreshSeconds the sidecar fetches the CA again; when it differs from the one Fluent Bit
// last loaded, it asks Fluent Bit to hot-reload (POST /api/v2/reload on the pod's loopback; fluent-bit
// v5.1.1 src/flb_reload.c builds a new context and starts it, outputs and TLS context included). A
// refused reload (400 while one is running) is tried again at the next round; if reloads keep
// failing, the output's dropped chunks turn /api/v1/health red and the liveness probe restarts Fluent
// Bit, which reads the current file at start.
func refreshScript() string {
	return fmt.Sprintf(`set -u
cp %[1]s/ca.crt /tmp/loaded-ca.crt
while sleep %[2]d; do
  sh %[3]s/fetch-ca.sh || { echo "fetching the CA failed"; continue; }
  if [ "$(cat %[1]s/ca.crt)" != "$(cat /tmp/loaded-ca.crt)" ]; then
    echo "Elasticsearch's CA changed: reloading Fluent Bit"
    if curl -fsS -X POST http://127.0.0.1:%[4]d/api/v2/reload; then
      cp %[1]s/ca.crt /tmp/loaded-ca.crt
    fi
  fi
done
`, caDir, CARefreshSeconds, configDir, MetricsPort)
}
