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
	// stateDir is a hostPath: the tail input's offsets survive a restart of the pod, so a restarted
	// shipper neither loses nor re-sends lines.
	stateDir = "/var/lib/fluent-bit"
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
//     HTTP_Listen, HTTP_Port (metrics and health), Health_Check (/api/v1/health fails after output
//     errors);
//   - tail (plugins/in_tail/tail.c config map): Path (a comma-separated list), multiline.parser
//     cri and docker (the built-in container runtime parsers, as the chart's values.yaml sets them),
//     DB and DB.locking (offsets on the node), Skip_Long_Lines, Refresh_Interval; Mem_Buf_Limit
//     (src/flb_input.c) pauses the input rather than growing past it while Elasticsearch is away;
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
//     (src/flb_output.c) verify the server against ECK's CA and its Service name; Retry_Limit
//     no_limits with the input paused at Mem_Buf_Limit keeps lines on the node while Elasticsearch
//     is down rather than dropping them.
func fluentBitConfig(host string, namespaces []string) string {
	return fmt.Sprintf(`[SERVICE]
    Daemon            Off
    Flush             5
    Log_Level         info
    HTTP_Server       On
    HTTP_Listen       0.0.0.0
    HTTP_Port         %[1]d
    Health_Check      On

[INPUT]
    Name              tail
    Tag               kube.*
    Path              %[2]s
    multiline.parser  cri, docker
    DB                %[3]s/tail.db
    DB.locking        true
    Mem_Buf_Limit     16MB
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
    Retry_Limit         no_limits
    Trace_Error         On
`, MetricsPort, logPaths(namespaces), stateDir, host, elasticsearch.HTTPPort, DataStream, caDir)
}

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

// retentionScript registers the template, creates the data stream if it is missing and sets its
// lifecycle. Every step is idempotent (PUTs replace; the data stream is created only on a 404), so
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
`, fmt.Sprintf("https://%s:%d", host, elasticsearch.HTTPPort), host, IndexTemplate, DataStream)
}

// caScript is the CA init container's: it reads ECK's public CA Secret in Elasticsearch's namespace
// through the API server (a Role grants get on that one Secret) and writes ca.crt for Fluent Bit,
// waiting until ECK has created it. A Secret cannot be mounted from another namespace; the CA is
// public (the Secret has no private key). The JSON value is one base64 string without quotes. The
// token header stays private (umask 077); ca.crt is world-readable, since Fluent Bit runs as root
// without CAP_DAC_OVERRIDE and the file is the init container's user's.
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
sed -n 's/.*"ca\.crt": *"\([^"]*\)".*/\1/p' /tmp/secret.json | base64 -d > %[3]s/ca.crt
grep -q 'BEGIN CERTIFICATE' %[3]s/ca.crt
`, dataNamespace, elasticsearch.CASecret, caDir)
}
