package dremio

import (
	"fmt"
	"sort"
	"strings"

	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// Ports Dremio and ZooKeeper listen on.
const (
	WebPort      = 9047
	ClientPort   = 31010
	FlightPort   = 32010
	FabricPort   = 45678
	ConduitPort  = 45679
	ZKClientPort = 2181
	// MetricsPort is where every node's web-admin (liveness) server listens, serving /live and
	// /metrics (see renderDremioConf).
	MetricsPort    = 9091
	zkPeerPort     = 2888
	zkElectionPort = 3888
)

// Paths inside the Dremio containers.
const (
	dremioHome = "/opt/dremio"
	dataDir    = dremioHome + "/data"
	confDir    = dremioHome + "/conf"
	awsDir     = dremioHome + "/aws"
	// awsCredentialsPath is where both AWS SDKs of the S3 file system find the profile.
	awsCredentialsPath = awsDir + "/credentials"
	// awsCredentialProcessPath is the profile's credential_process.
	awsCredentialProcessPath = awsDir + "/credential-process"
	truststoreDir            = dremioHome + "/truststore"
	truststorePath           = truststoreDir + "/cacerts"
	caMountDir               = "/etc/objectstore-ca"
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

// MemorySplit derives the JVM heap and direct memory of a node from its container memory with the
// steps of Dremio's own chart (dremio-cloud-tools@7c352d5 charts/dremio_v2/templates/
// _helpers_coordinator.tpl "dremio.coordinator.heapMemory"/"directMemory" and _helpers_executor.tpl
// "dremio.executor.heapMemory"/"directMemory"):
//   - refuse less than 4096 MiB ("Dremio's minimum memory requirement is 4 GB");
//   - reserve 6000 MiB from 64000 MiB up, else 5 % (truncated), for the JVM's own overhead,
//     metaspace, threads and the page cache;
//   - coordinator: 16384 MiB heap once 18432 MiB or more are left, else all but 2048 MiB; the rest
//     is direct memory;
//   - executor: 8192 MiB heap once 32786 MiB or more are left, 4096 MiB from 6144 MiB, else 2048;
//     the rest is direct memory (Arrow buffers).
//
// The values go to DREMIO_MAX_HEAP_MEMORY_SIZE_MB and DREMIO_MAX_DIRECT_MEMORY_SIZE_MB, which
// dremio-oss@25.2.0 distribution/resources/src/main/resources/bin/dremio-config turns into -Xmx and
// -XX:MaxDirectMemorySize.
func MemorySplit(role Role, containerMiB int) (Memory, error) {
	if containerMiB < minMemoryMiB {
		return Memory{}, fmt.Errorf("dremio: %s memory %d MiB is below Dremio's minimum of %d MiB", role, containerMiB, minMemoryMiB)
	}
	reserve := containerMiB * 5 / 100
	if containerMiB >= 64000 {
		reserve = 6000
	}
	usable := containerMiB - reserve
	var heap int
	switch role {
	case CoordinatorRole:
		heap = usable - 2048
		if usable >= 18432 {
			heap = 16384
		}
	case ExecutorRole:
		switch {
		case usable >= 32786:
			heap = 8192
		case usable >= 6144:
			heap = 4096
		default:
			heap = 2048
		}
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

// Drain and shutdown timing. On SIGTERM Dremio's NodeRegistration.close waits, before it leaves
// ZooKeeper, for the running fragments (FragmentWorkManager.waitToExit) and queries
// (ForemenWorkManager.waitToExit) for at most dremio.termination_grace_period_seconds, default 5
// (dremio-oss@25.2.0 sabot/kernel/src/main/java/com/dremio/exec/server/NodeRegistration.java,
// common/legacy/src/main/resources/dremio-reference.conf). The pod's grace period must cover that
// wait plus the shutdown of the other services: Dremio's chart gives the executor the Dremio grace
// + 120 s (dremio-cloud-tools@7c352d5 charts/dremio_v2/templates/_helpers_executor.tpl
// "dremio.executor.kubernetes.terminationGracePeriodSeconds"). The JVM gets SIGTERM at once: bin/dremio
// start-fg execs java (bin/dremio dremio_internal_start), so there is no pre-stop pause to wait out.
const (
	// DefaultExecutorDrainSeconds is how long an executor finishes its running fragments (the chart's
	// default of 600 s).
	DefaultExecutorDrainSeconds = 600
	// coordinatorDrainSeconds is how long the coordinator lets running queries finish.
	coordinatorDrainSeconds = 60
	// shutdownMarginSeconds is the pod grace beyond the drain (the chart's 120 s).
	shutdownMarginSeconds = 120
)

// renderDremioConf renders dremio.conf (HOCON) for one role. dist is a quoted HOCON value; drain is
// dremio.termination_grace_period_seconds.
func renderDremioConf(role Role, dist, zk string, drain int) string {
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
	if coordinator {
		// The KV store is upgraded by the upgrade init container (dremio-admin upgrade), as in Dremio's
		// chart; the server itself only checks the store version and refuses an un-upgraded store
		// (dremio-oss@25.2.0 dac/daemon/src/main/java/com/dremio/dac/daemon/DremioDaemon.java
		// AutoUpgrade.ensureUpgradeSupported; key services.coordinator.auto-upgrade, default false in
		// dremio-reference.conf).
		b.WriteString("    auto-upgrade: false\n")
	}
	b.WriteString("  }\n")
	fmt.Fprintf(&b, "  executor: { enabled: %t }\n", !coordinator)
	fmt.Fprintf(&b, "  flight: { enabled: %t, port: %d }\n", coordinator, FlightPort)
	fmt.Fprintf(&b, "  fabric: { port: %d }\n", FabricPort)
	fmt.Fprintf(&b, "  conduit: { port: %d }\n", ConduitPort)
	// dremio-oss@25.2.0 dac/backend/.../server/LivenessService.java serves /live and /metrics
	// (Micrometer's Prometheus registry plus the Dropwizard metrics) on the web-admin server, which
	// common/legacy/src/main/resources/dremio-reference.conf binds to 127.0.0.1 on a random port
	// (services.web-admin: enabled true, host "127.0.0.1", port 0; DremioConfig.LIVENESS_HOST/PORT).
	// Bound to every interface on a fixed port so Prometheus can scrape it; it has no TLS and no
	// authentication, so the NetworkPolicies admit only the monitoring namespace on it.
	fmt.Fprintf(&b, "  web-admin: { enabled: true, host: \"0.0.0.0\", port: %d }\n", MetricsPort)
	b.WriteString("}\n")
	fmt.Fprintf(&b, "dremio.termination_grace_period_seconds: %d\n", drain)
	return b.String()
}

// storeParams are the resolved values core-site.xml is rendered from.
type storeParams struct {
	Kind     objectstore.Kind
	Bucket   string
	Account  string
	Endpoint string
	ClientID string
	Region   string
}

// coreSiteProperties returns the Hadoop properties of a store, without credentials in clear: secrets
// come from the environment through Hadoop's ${env.NAME} substitution.
func coreSiteProperties(p storeParams) (map[string]string, error) {
	switch p.Kind {
	case objectstore.S3:
		// dremio-oss@25.2.0 accepts only a fixed list of providers: its SDK v2 clients (async reads,
		// the STS check at setup) map the name through plugins/s3/src/main/java/com/dremio/plugins/util/
		// AwsCredentialProviderUtils.java (static keys, instance profile, anonymous, assume role from
		// static keys or the instance profile, this profile provider), while the SDK v1 client and
		// Hadoop's S3A load the same class by name (S3FileSystem.createS3V1Client,
		// S3AUtils.createAWSCredentialProviderSet). None of them is the container or web identity
		// provider. The profile provider is the one keyless choice that both SDKs resolve from one file:
		// the profile "dremio" in the credentials file (see awsCredentials) runs a credential_process
		// that fetches the pod's EKS Pod Identity credentials.
		return map[string]string{
			"fs.dremioS3.impl":                "com.dremio.plugins.s3.store.S3FileSystem",
			"fs.s3a.aws.credentials.provider": "com.dremio.plugins.s3.store.AWSProfileCredentialsProviderV1",
			// plugins/s3/.../AWSProfileCredentialsProviderV1.java and V2.java read the profile name here.
			"com.dremio.awsProfile":         awsProfile,
			"dremio.s3.whitelisted.buckets": p.Bucket,
			"fs.s3a.connection.ssl.enabled": "true",
			// S3FileSystem.REGION_OVERRIDE: the region of the STS credential check at setup, which
			// otherwise falls back to us-east-1 (getAWSRegionFromConfigurationOrDefault).
			"dremio.s3.region": p.Region,
		}, nil
	case objectstore.MinIO:
		host, secure, err := splitEndpoint(p.Endpoint)
		if err != nil {
			return nil, err
		}
		// Path-style addressing, verified for both clients of dremio-oss@25.2.0 S3FileSystem: the SDK v1
		// client takes fs.s3a.path.style.access (createS3V1Client withPathStyleAccess); the SDK v2
		// clients (S3AsyncByteReader's async client, the sync client; asyncConfigClientBuilder and
		// syncConfigClientBuilder) get no path-style setting, only endpointOverride. SDK v2 2.17.295
		// (pom.xml aws-sdk-2.version) then rewrites to virtual-host addressing only when the endpoint
		// host begins with "s3" (aws-sdk-java-v2 services/s3/.../internal/endpoints/
		// S3BucketEndpointResolver.changeToDnsEndpoint; from 2.18.0 any DNS-compatible bucket, per
		// its CHANGELOG), so an in-cluster host such as minio.<namespace>.svc stays path-style and
		// one beginning with "s3" would send every read to <bucket>.<host>, which does not resolve.
		if strings.HasPrefix(strings.ToLower(host), "s3") {
			return nil, fmt.Errorf("dremio: object store endpoint host %q begins with \"s3\"; Dremio 25.2's SDK v2 clients would address it virtual-host style (<bucket>.%s), use a Service name that does not begin with s3", host, host)
		}
		return map[string]string{
			"fs.dremioS3.impl":                "com.dremio.plugins.s3.store.S3FileSystem",
			"fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
			"fs.s3a.access.key":               "${env.AWS_ACCESS_KEY_ID}",
			"fs.s3a.secret.key":               "${env.AWS_SECRET_ACCESS_KEY}",
			"fs.s3a.endpoint":                 host,
			"fs.s3a.path.style.access":        "true",
			"fs.s3a.connection.ssl.enabled":   fmt.Sprint(secure),
			// S3FileSystem.COMPATIBILITY_MODE: skip the STS GetCallerIdentity check at setup and sign
			// with the region of dremio.s3.region (default us-east-1) instead of asking the bucket's.
			"dremio.s3.compat":              "true",
			"dremio.s3.whitelisted.buckets": p.Bucket,
		}, nil
	case objectstore.ADLS:
		// NOT VERIFIED against the jar that loads: dremio-oss@25.2.0 pom.xml manages hadoop-azure at
		// 2.8.5-dremio-r2-202409241416480548-c6df598 (Dremio's fork, with the azurebfs packages its
		// plugins/azure imports) while hadoop.version is 3.3.6-dremio-…; neither has Hadoop's
		// WorkloadIdentityTokenProvider (3.4.1), and whether the fork's MsiTokenProvider reads
		// fs.azure.account.oauth2.msi.endpoint (upstream 3.3.x does) could not be read here. Its
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

// awsCredentials is the AWS credentials file of the S3 kind, read by both SDKs of Dremio's S3 file
// system: SDK v1 1.12.750 (dremio-oss@25.2.0 pom.xml aws-sdk.version) reads only the credentials
// file, AWS_CREDENTIAL_PROFILES_FILE (aws-sdk-java AwsProfileFileLocationProvider), and rejects a
// role_arn profile without source_profile (ProfileAssumeRoleCredentialsProvider); SDK v2 2.17.295
// (aws-sdk-2.version) reads AWS_SHARED_CREDENTIALS_FILE. Both run credential_process with sh -c and
// refresh it before the returned Expiration (aws-sdk-java ProcessCredentialsProvider,
// ProfilesConfigFile.fromProfile; aws-sdk-java-v2 ProfileCredentialsUtils). Dremio's chart points
// both variables at one file the same way (dremio-cloud-tools@7c352d5 charts/dremio_v2/templates/
// dremio-executor.yaml).
func awsCredentials() string {
	return fmt.Sprintf("[%s]\ncredential_process = %s\n", awsProfile, awsCredentialProcessPath)
}

// awsCredentialProcess prints the pod's EKS Pod Identity credentials in the credential_process
// format. The EKS Pod Identity webhook injects AWS_CONTAINER_CREDENTIALS_FULL_URI
// (http://169.254.170.23/v1/credentials) and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE into pods whose
// ServiceAccount has an association; the agent answers the token in the Authorization header with
// compact JSON {"AccessKeyId","SecretAccessKey","Token","AccountId","Expiration"}
// (aws/eks-pod-identity-agent@v0.1.37 pkg/credentials/model.go EksCredentialsResponse,
// pkg/handlers/eks_credential_handler.go). The process format wants "SessionToken" and "Version": 1.
// wget is in the image (dremio-oss@25.2.0 distribution/docker/Dockerfile installs it on
// eclipse-temurin, Ubuntu). The account ID is dropped to keep the output short.
const awsCredentialProcess = `#!/bin/sh
set -eu
: "${AWS_CONTAINER_CREDENTIALS_FULL_URI:?no EKS Pod Identity association for this ServiceAccount}"
: "${AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE:?no EKS Pod Identity association for this ServiceAccount}"
body=$(wget -q -T 10 -O - --header "Authorization: $(cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")" "$AWS_CONTAINER_CREDENTIALS_FULL_URI")
printf '%s\n' "$body" | sed -e 's/"Token":/"SessionToken":/' -e 's/,"AccountId":"[^"]*"//' -e 's/^{/{"Version":1,/'
`

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
