package dremio

import (
	"fmt"
	"sort"
	"strings"

	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// Ports Dremio and ZooKeeper listen on.
const (
	WebPort        = 9047
	ClientPort     = 31010
	FlightPort     = 32010
	FabricPort     = 45678
	ConduitPort    = 45679
	ZKClientPort   = 2181
	zkPeerPort     = 2888
	zkElectionPort = 3888
)

// Paths inside the Dremio containers.
const (
	dremioHome     = "/opt/dremio"
	dataDir        = dremioHome + "/data"
	confDir        = dremioHome + "/conf"
	awsConfigPath  = dremioHome + "/aws/config"
	awsTokenDir    = "/var/run/secrets/dremio/aws"
	awsTokenPath   = awsTokenDir + "/token"
	truststoreDir  = dremioHome + "/truststore"
	truststorePath = truststoreDir + "/cacerts"
	caMountDir     = "/etc/objectstore-ca"
	// awsProfile is the profile Dremio's S3 file system reads its credentials from.
	awsProfile = "dremio"
)

// Role is what a Dremio node does.
type Role string

const (
	// CoordinatorRole plans queries and serves the web UI, JDBC/ODBC and Arrow Flight; it is the master
	// and holds the KV store.
	CoordinatorRole Role = "coordinator"
	// ExecutorRole runs query fragments.
	ExecutorRole Role = "executor"
)

// Memory is the JVM split of a container's memory, in MiB.
type Memory struct {
	HeapMiB, DirectMiB int
}

// minMemoryMiB is Dremio's documented minimum node memory.
const minMemoryMiB = 4096

// MemorySplit derives the JVM heap and direct memory of a node from its container memory the way
// Dremio sizes nodes: keep a reserve for the JVM's own overhead, metaspace and the OS page cache
// (5 %, at most 6000 MiB), then give the coordinator mostly heap (it plans queries and holds the
// catalog; at most 16 GiB heap, at least 2 GiB direct) and the executor mostly direct memory (Arrow
// buffers; heap a quarter of what is left, between 2 and 8 GiB). It refuses sizes that would leave no
// direct memory.
func MemorySplit(role Role, containerMiB int) (Memory, error) {
	if containerMiB < minMemoryMiB {
		return Memory{}, fmt.Errorf("dremio: %s memory %d MiB is below Dremio's minimum of %d MiB", role, containerMiB, minMemoryMiB)
	}
	reserve := containerMiB * 5 / 100
	if reserve > 6000 {
		reserve = 6000
	}
	usable := containerMiB - reserve
	var heap int
	switch role {
	case CoordinatorRole:
		heap = min(16384, usable-2048)
	case ExecutorRole:
		heap = min(8192, max(2048, usable/4))
	default:
		return Memory{}, fmt.Errorf("dremio: unknown role %q", role)
	}
	m := Memory{HeapMiB: heap, DirectMiB: usable - heap}
	if m.HeapMiB < 1024 || m.DirectMiB < 1024 {
		return Memory{}, fmt.Errorf("dremio: %s memory %d MiB leaves heap %d MiB and direct %d MiB; each needs at least 1024 MiB", role, containerMiB, m.HeapMiB, m.DirectMiB)
	}
	return m, nil
}

// zkConnect is the ZooKeeper connection string of an ensemble: every server by its stable DNS name.
func zkConnect(namespace string, replicas int) string {
	hosts := make([]string, replicas)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("%s-%d.%s.%s.svc.cluster.local:%d", zkName, i, zkHeadlessName, namespace, ZKClientPort)
	}
	return strings.Join(hosts, ",")
}

// distPath is paths.dist for a store: Dremio's own file systems on S3 (and S3-compatible MinIO) and
// GCS; Hadoop's ABFS on ADLS Gen2, the only Azure driver in Dremio OSS that can use a keyless
// identity (Dremio's dremioAzureStorage takes a shared key or a client secret only): its
// MsiTokenProvider, served by the workload identity token proxy sidecar (see coreSiteProperties).
func distPath(kind objectstore.Kind, bucket, account string) (string, error) {
	switch kind {
	case objectstore.S3, objectstore.MinIO:
		return "dremioS3:///" + bucket + "/dist", nil
	case objectstore.GCS:
		return "dremiogcs:///" + bucket + "/dist", nil
	case objectstore.ADLS:
		return fmt.Sprintf("abfss://%s@%s.dfs.core.windows.net/dist", bucket, account), nil
	}
	return "", fmt.Errorf("dremio: unknown object store kind %q", kind)
}

// localDist is the single-node distributed store under paths.local (dev only).
const localDist = `"pdfs://"${paths.local}"/pdfs"`

// renderDremioConf renders dremio.conf (HOCON) for one role. dist is a quoted HOCON value.
func renderDremioConf(role Role, dist, zk string) string {
	coordinator := role == CoordinatorRole
	var b strings.Builder
	b.WriteString("# Rendered by the dataplatform DremioCluster component; edits are overwritten.\n")
	b.WriteString("paths: {\n")
	fmt.Fprintf(&b, "  local: %q\n", dataDir)
	fmt.Fprintf(&b, "  dist: %s\n", dist)
	b.WriteString("}\n")
	fmt.Fprintf(&b, "zookeeper: %q\n", zk)
	b.WriteString("services: {\n")
	b.WriteString("  coordinator: {\n")
	fmt.Fprintf(&b, "    enabled: %t\n", coordinator)
	// The external ensemble replaces the embedded ZooKeeper, which would be a single point of failure.
	fmt.Fprintf(&b, "    master: { enabled: %t, embedded-zookeeper: { enabled: false } }\n", coordinator)
	fmt.Fprintf(&b, "    web: { enabled: %t, port: %d }\n", coordinator, WebPort)
	fmt.Fprintf(&b, "    client-endpoint: { port: %d }\n", ClientPort)
	b.WriteString("  }\n")
	fmt.Fprintf(&b, "  executor: { enabled: %t }\n", !coordinator)
	fmt.Fprintf(&b, "  flight: { enabled: %t, port: %d }\n", coordinator, FlightPort)
	fmt.Fprintf(&b, "  fabric: { port: %d }\n", FabricPort)
	fmt.Fprintf(&b, "  conduit: { port: %d }\n", ConduitPort)
	b.WriteString("}\n")
	return b.String()
}

// storeParams are the resolved values core-site.xml is rendered from.
type storeParams struct {
	Kind     objectstore.Kind
	Bucket   string
	Account  string
	Endpoint string
	ClientID string
}

// coreSiteProperties returns the Hadoop properties of a store, without credentials in clear: secrets
// come from the environment through Hadoop's ${env.NAME} substitution.
func coreSiteProperties(p storeParams) (map[string]string, error) {
	switch p.Kind {
	case objectstore.S3:
		// Dremio OSS's S3 file system accepts a fixed set of credential providers, none of which is
		// the default chain; its AWS SDK predates EKS Pod Identity. The profile provider with a web
		// identity token is the keyless one: see awsConfig.
		return map[string]string{
			"fs.dremioS3.impl":                "com.dremio.plugins.s3.store.S3FileSystem",
			"fs.s3a.aws.credentials.provider": "com.dremio.plugins.s3.store.AWSProfileCredentialsProviderV1",
			"com.dremio.awsProfile":           awsProfile,
			"dremio.s3.whitelisted.buckets":   p.Bucket,
			"fs.s3a.connection.ssl.enabled":   "true",
		}, nil
	case objectstore.MinIO:
		host, secure, err := splitEndpoint(p.Endpoint)
		if err != nil {
			return nil, err
		}
		return map[string]string{
			"fs.dremioS3.impl":                "com.dremio.plugins.s3.store.S3FileSystem",
			"fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
			"fs.s3a.access.key":               "${env.AWS_ACCESS_KEY_ID}",
			"fs.s3a.secret.key":               "${env.AWS_SECRET_ACCESS_KEY}",
			"fs.s3a.endpoint":                 host,
			"fs.s3a.path.style.access":        "true",
			"fs.s3a.connection.ssl.enabled":   fmt.Sprint(secure),
			"dremio.s3.compat":                "true",
			"dremio.s3.whitelisted.buckets":   p.Bucket,
		}, nil
	case objectstore.ADLS:
		// Dremio OSS 25.2 (the last OSS release) ships hadoop-azure 3.3.6, which has no workload
		// identity token provider (WorkloadIdentityTokenProvider arrived in 3.4.1). Its
		// MsiTokenProvider asks an IMDS-style endpoint instead (GET ?api-version=2018-02-01&
		// resource=https://storage.azure.com/&client_id=…, header Metadata: true); the endpoint here
		// is the azure-workload-identity proxy that runs as a native sidecar of every Dremio pod
		// (see tokenProxySidecar) and exchanges the pod's federated ServiceAccount token for an
		// Entra ID token of this client ID. No static key, no traffic redirection. The tenant comes
		// from the proxy's environment (injected by the workload identity webhook), so Hadoop needs
		// no tenant, authority or token file keys.
		suffix := p.Account + ".dfs.core.windows.net"
		return map[string]string{
			"fs.azure.account.auth.type." + suffix:           "OAuth",
			"fs.azure.account.oauth.provider.type." + suffix: "org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider",
			"fs.azure.account.oauth2.msi.endpoint." + suffix: tokenProxyEndpoint,
			"fs.azure.account.oauth2.client.id." + suffix:    p.ClientID,
			"fs.azure.always.use.https":                      "true",
		}, nil
	case objectstore.GCS:
		// Without a key file the connector uses Application Default Credentials: the GKE metadata
		// server, which answers with the Google service account bound to the ServiceAccount.
		return map[string]string{
			"fs.dremiogcs.impl":              "com.dremio.plugins.gcs.GoogleBucketFileSystem",
			"dremio.gcs.use_keyfile":         "false",
			"dremio.gcs.whitelisted.buckets": p.Bucket,
		}, nil
	}
	return nil, fmt.Errorf("dremio: unknown object store kind %q", p.Kind)
}

// renderCoreSite renders core-site.xml from properties, sorted by name so the file is stable.
func renderCoreSite(props map[string]string) string {
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<configuration>\n")
	for _, k := range names {
		fmt.Fprintf(&b, "  <property>\n    <name>%s</name>\n    <value>%s</value>\n  </property>\n", xmlEscape(k), xmlEscape(props[k]))
	}
	b.WriteString("</configuration>\n")
	return b.String()
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// awsConfig is the AWS shared config of the S3 kind: the role the store granted, assumed with the
// ServiceAccount token projected for STS.
func awsConfig(roleARN string) string {
	return fmt.Sprintf("[profile %s]\nrole_arn = %s\nweb_identity_token_file = %s\nrole_session_name = dremio\n", awsProfile, roleARN, awsTokenPath)
}

// splitEndpoint turns "https://host:port" into ("host:port", true).
func splitEndpoint(endpoint string) (string, bool, error) {
	switch {
	case strings.HasPrefix(endpoint, "https://"):
		return strings.TrimSuffix(strings.TrimPrefix(endpoint, "https://"), "/"), true, nil
	case strings.HasPrefix(endpoint, "http://"):
		return strings.TrimSuffix(strings.TrimPrefix(endpoint, "http://"), "/"), false, nil
	}
	return "", false, fmt.Errorf("dremio: object store endpoint %q must start with https:// or http://", endpoint)
}
