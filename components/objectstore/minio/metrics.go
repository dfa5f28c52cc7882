package minio

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// How Prometheus authenticates to MinIO at RELEASE.2025-04-22T22-12-26Z (the default image):
//   - cmd/metrics-router.go: every metrics path (/minio/v2/metrics/cluster, /minio/metrics/v3…) is
//     wrapped in AuthMiddleware unless MINIO_PROMETHEUS_AUTH_TYPE=public, which the platform never
//     sets: the endpoint stays authenticated.
//   - cmd/metrics.go AuthMiddleware: the bearer token must be a JWT whose issuer is "prometheus"
//     (claims.VerifyIssuer("prometheus", true)), and the IAM policy of the token's user must allow
//     the action admin:Prometheus (policy.PrometheusAdminAction).
//   - cmd/jwt.go metricsRequestAuthenticate: the token names the user in "sub" (or "accessKey") and
//     is verified with that user's secret key (HMAC; internal/jwt/parser.go accepts HS256/384/512),
//     "exp" checked. A regular MinIO user works; no root credential is needed.
//
// So the platform creates a user that may do nothing but read metrics (metricsPolicyDoc), and signs
// the token itself the way `mc admin prometheus generate` does (HS512, issuer "prometheus"), with a
// fixed far expiry so that the token — and the Secret holding it — changes only when the user's
// secret key does. Rotating the key (replacing its RandomPassword) rotates the token.
const (
	// MetricsUser is the MinIO user Prometheus authenticates as.
	MetricsUser = "prometheus-metrics"
	// metricsPolicyName is its only policy.
	metricsPolicyName = "prometheus-metrics"
	// MetricsSecret is the Secret (data namespace) holding the bearer token as "token" and the CA as
	// "ca.crt": a ServiceMonitor reads both from its own namespace.
	MetricsSecret = "minio-metrics"
	// metricsEnv is the setup Job's variable holding the user's secret key.
	metricsEnv = "METRICS_SECRET_KEY"
	// MetricsPath is the cluster-wide v2 endpoint (cmd/metrics-router.go prometheusMetricsV2ClusterPath
	// under minioReservedBucketPath "/minio"): every node answers for the whole cluster.
	MetricsPath = "/minio/v2/metrics/cluster"
	// tokenExpiry is 2100-01-01T00:00:00Z as a Unix time: far, and fixed so the token is stable.
	tokenExpiry = 4102444800
)

// metricsPolicyDoc allows admin:Prometheus only (the action AuthMiddleware checks; the same shape as
// MinIO's built-in "diagnostics" policy, minus every other admin action).
func metricsPolicyDoc() string {
	b, _ := json.MarshalIndent(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Action": []string{"admin:Prometheus"}, "Resource": []string{"arn:aws:s3:::*"},
		}},
	}, "", "  ")
	return string(b)
}

// addMetricsSetup adds the metrics user to the setup files: its policy, and the script lines that
// create the user (mc admin user add updates the key of an existing user), its policy (create
// overwrites) and the attachment (attach, defined by setupScript, tolerates "already attached").
func addMetricsSetup(files map[string]string) {
	files["policy-"+MetricsUser+".json"] = metricsPolicyDoc()
	files["setup.sh"] += fmt.Sprintf("mc admin user add minio %s \"$%s\"\n", MetricsUser, metricsEnv) +
		fmt.Sprintf("mc admin policy create minio %s /setup/policy-%s.json\n", metricsPolicyName, MetricsUser) +
		fmt.Sprintf("attach %s %s\n", metricsPolicyName, MetricsUser) +
		"echo \"metrics user ready\"\n"
}

// prometheusToken is the bearer token of accessKey: a JWT signed HS512 with its secret key, issuer
// "prometheus", subject the access key, expiring at tokenExpiry.
func prometheusToken(accessKey, secretKey string) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "HS512", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{"exp": tokenExpiry, "iss": "prometheus", "sub": accessKey})
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha512.New, []byte(secretKey))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// Metric names of the v2 cluster endpoint (minio RELEASE.2025-04-22T22-12-26Z cmd/metrics-v2.go:
// namespace minio_s3 + subsystem requests/traffic, namespace minio_cluster + nodes/drive/
// capacity_usable; names joined with '_').
var minioSource = "minio@RELEASE.2025-04-22T22-12-26Z cmd/metrics-v2.go"

// MetricsTarget is the scrape target of the server pods in namespace ns: https on the API port with
// the store's CA (the certificate names minio.<ns>.svc.cluster.local, see serverDNSNames) and the
// token from MetricsSecret.
func MetricsTarget(name, ns string) observability.ScrapeTarget {
	m := func(n string) observability.Metric { return observability.Metric{Name: n, Source: minioSource} }
	return observability.ScrapeTarget{
		Name: "object-store", Namespace: ns,
		Selector: map[string]string{"app.kubernetes.io/name": "minio", "app.kubernetes.io/instance": name, "app.kubernetes.io/component": "server"},
		Port:     "api", PortNumber: apiPort, Path: MetricsPath, Scheme: observability.HTTPS,
		TLS:         &observability.TLS{CA: observability.SecretRef{Name: MetricsSecret, Key: "ca.crt"}, ServerName: serverName + "." + ns + ".svc.cluster.local"},
		BearerToken: observability.SecretRef{Name: MetricsSecret, Key: "token"},
		Metrics: []observability.Metric{
			m("minio_s3_requests_total"), m("minio_s3_requests_errors_total"),
			m("minio_s3_requests_4xx_errors_total"), m("minio_s3_requests_5xx_errors_total"),
			m("minio_s3_traffic_received_bytes"), m("minio_s3_traffic_sent_bytes"),
			m("minio_cluster_nodes_offline_total"), m("minio_cluster_drive_offline_total"),
			m("minio_cluster_capacity_usable_free_bytes"), m("minio_cluster_capacity_usable_total_bytes"),
		},
	}
}

// metricsCredential generates the metrics user's secret key (stateful, like every workload's key)
// and writes the user, its key, its token and the CA to the store as one credential.
func metricsCredential(ctx *pulumi.Context, name string, store *secrets.Store, ca pulumi.StringOutput, parent, stateful pulumi.ResourceOption) (*secrets.Credential, *random.RandomPassword, error) {
	pw, err := random.NewRandomPassword(ctx, name+"-metrics-secret-key", &random.RandomPasswordArgs{
		Length: pulumi.Int(40), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4),
	}, stateful)
	if err != nil {
		return nil, nil, err
	}
	token := pw.Result.ApplyT(func(key string) string { return prometheusToken(MetricsUser, key) }).(pulumi.StringOutput)
	cred, err := store.Put(ctx, name+"-metrics-credential", "minio-"+MetricsUser, map[string]pulumi.StringInput{
		"accessKey": pulumi.String(MetricsUser), "secretKey": pw.Result, "token": pulumi.ToSecret(token).(pulumi.StringOutput), "ca.crt": ca,
	}, parent)
	return cred, pw, err
}
