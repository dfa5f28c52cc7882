package airbyte

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // the JKS format's integrity digest is SHA-1 by definition
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"time"
	"unicode/utf16"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"
)

const (
	// CASecretName is the platform's Secret (apps namespace) holding the object store's private CA as
	// ObjectStoreCAKey; only with MinIO, whose certificate a private CA signs.
	CASecretName     = "airbyte-objectstore-ca"
	ObjectStoreCAKey = "objectstore-ca.crt"
	// DatabaseCAFile is the file name the metadata database's CA gets in the anchors directory.
	DatabaseCAFile = "metadatadb-ca.crt"
	// AnchorsDir is where the Airbyte images look for extra trust anchors: every Airbyte JVM image is
	// built on airbyte/airbyte-base-java-image (amazoncorretto:21), whose entrypoint runs
	// `update-ca-trust` before the application (airbyte-platform@v2.0.0 airbyte-base-java-image/
	// entrypoint.sh, Dockerfile: chown of /etc/pki/ca-trust so the airbyte user may run it). It merges
	// the anchors into TrustStorePath.
	AnchorsDir = "/etc/pki/ca-trust/source/anchors"
	// TrustStorePath is the Java trust store update-ca-trust writes (p11-kit java-cacerts); the JVMs
	// are pointed at it explicitly, so the result does not depend on how the JDK links its cacerts.
	TrustStorePath = "/etc/pki/ca-trust/extracted/java/cacerts"
	// JobsTrustStoreSecret is the Secret (jobs namespace) the launcher mounts into job pods as the
	// data-plane credentials volume (orchestratorTrust): with MinIO a JKS trust store with the object
	// store's CA for the container orchestrator (key JobsTrustStoreKey), and where the database
	// Connection verifies the server the database's CA (key DatabaseCAFile).
	JobsTrustStoreSecret = "airbyte-jobs-trust"
	JobsTrustStoreKey    = "truststore.jks"
	// JobsTrustStoreDir is where the launcher mounts JobsTrustStoreSecret in job pods, and where the
	// platform's own pods mount the database CA too, so that the one DATABASE_URL's sslrootcert names
	// a file that exists in every pod that receives it (databaseURLParams).
	JobsTrustStoreDir = "/secrets/airbyte-trust"
	// jksPassword protects nothing (the store holds a public certificate); the JDK needs one to
	// check the file's integrity digest.
	jksPassword = "changeit"
	trustVolume = "platform-ca"
	dbCAVolume  = "metadatadb-ca"
)

// trustedComponents are the chart's JVM services that use the object store or the metadata database
// (chart 2.0.19: templates including "airbyte.storage.envs" or "airbyte.database.envs").
var trustedComponents = []string{"server", "worker", "workloadLauncher", "workloadApiServer", "cron", "airbyteBootloader", "metrics"}

// databaseURLParams are the pgjdbc parameters appended to the chart's DATABASE_URL (databaseName):
// sslmode as the Connection requires, and with verify-ca / verify-full the server CA file (pgjdbc
// LibPQFactory reads sslrootcert as a PEM file and fails the connection when it is missing).
//
// The same URL reaches job pods: with no global.secretsManager the chart renders SECRET_PERSISTENCE ""
// and every application.yml defaults to TESTING_CONFIG_DB_TABLE, for which the launcher hands
// DATABASE_URL to the workload-init container of connector pods and to the replication pods'
// orchestrator (airbyte-platform airbyte-workload-launcher/.../pods/factories/EnvVarConfigBeanFactory.kt
// databaseEnvMap, the local-secrets Micronaut environment). Those pods mount only what the launcher
// gives them; the one Secret it mounts on request into both (VolumeFactory.kt dataplaneCreds():
// connector() initMounts and sidecarMounts, replication() orchVolumeMounts) is the data-plane
// credentials Secret at global.workloads.containerOrchestrator.dataPlane.secretMountPath. The CA
// therefore lives at JobsTrustStoreDir in every pod: job pods from JobsTrustStoreSecret, the
// platform's pods and the bootloader from the CA ConfigMap (addTrust).
func databaseURLParams(db metadatadb.Connection) string {
	p := "sslmode=" + db.SSLMode
	if verifies(db) {
		p += "&sslrootcert=" + JobsTrustStoreDir + "/" + DatabaseCAFile
	}
	return p
}

func verifies(db metadatadb.Connection) bool {
	return db.SSLMode == "verify-ca" || db.SSLMode == "verify-full"
}

// addTrust mounts the private CAs into every Airbyte JVM that needs them: the object store's CA with
// MinIO into the anchors directory (Airbyte's MinIO client is the AWS SDK v2 S3Client with
// endpointOverride, which trusts the JVM's default trust store: airbyte-platform@v2.0.0
// airbyte-commons-storage/.../StorageClient.kt MinioStorageConfig.s3Client), and the database's CA,
// where the Connection verifies it, at JobsTrustStoreDir (databaseURLParams).
func addTrust(values pulumi.Map, a *AirbyteStackArgs) {
	var vols, mounts pulumi.Array
	if a.ObjectStore.Kind == objectstore.MinIO {
		vols = append(vols, pulumi.Map{"name": pulumi.String(trustVolume), "projected": pulumi.Map{"sources": pulumi.Array{
			pulumi.Map{"secret": pulumi.Map{
				"name":  pulumi.String(CASecretName),
				"items": pulumi.Array{pulumi.Map{"key": pulumi.String(ObjectStoreCAKey), "path": pulumi.String(ObjectStoreCAKey)}},
			}},
		}}})
		mounts = append(mounts, pulumi.Map{"name": pulumi.String(trustVolume), "mountPath": pulumi.String(AnchorsDir), "readOnly": pulumi.Bool(true)})
	}
	if verifies(a.Database) {
		vols = append(vols, pulumi.Map{"name": pulumi.String(dbCAVolume), "configMap": pulumi.Map{
			"name":  a.Database.CAConfigMap,
			"items": pulumi.Array{pulumi.Map{"key": pulumi.String(metadatadb.CAKey), "path": pulumi.String(DatabaseCAFile)}},
		}})
		mounts = append(mounts, pulumi.Map{"name": pulumi.String(dbCAVolume), "mountPath": pulumi.String(JobsTrustStoreDir), "readOnly": pulumi.Bool(true)})
	}
	if len(vols) == 0 {
		return
	}
	for _, key := range trustedComponents {
		svc := values[key].(pulumi.Map)
		svc["extraVolumes"] = vols
		svc["extraVolumeMounts"] = mounts
	}
	// The bootloader Pod renders its volumeMounts only under `if .Values.airbyteBootloader.extraVolumeMount`
	// (singular; chart 2.0.19 templates/airbyte-bootloader/pod.yaml), then writes extraVolumeMounts:
	// without the flag the migrations would run without the CA that sslrootcert names.
	values["airbyteBootloader"].(pulumi.Map)["extraVolumeMount"] = pulumi.Bool(true)
	// With MinIO the JVMs are pointed at the trust store update-ca-trust writes (javaToolOptions).
}

// orchestratorTrust gives the container orchestrator of sync pods (the JVM that writes job logs to the
// store) a trust store with the store's CA. The launcher builds job pods itself and offers one way
// to mount a Secret into them: the data-plane credentials volume, mounted into the init, sidecar
// and orchestrator containers whenever its secret name and mount path are set
// (airbyte-platform@v2.0.0 airbyte-workload-launcher/.../pods/factories/VolumeFactory.kt
// dataplaneCreds(); env CONTAINER_ORCHESTRATOR_DATA_PLANE_CREDS_SECRET_NAME / _MOUNT_PATH from
// global.workloads.containerOrchestrator.dataPlane.*, chart templates/config/_workloads.tpl). The
// orchestrator's JVM options come from global.workloads.containerOrchestrator.javaOpts
// (RuntimeEnvVarFactory.kt: JAVA_OPTS). The launcher runs job containers with `sh -c`, so the
// image entrypoint's update-ca-trust does not run there: the trust store is built here.
// The Secret also carries the database CA (databaseURLParams); without MinIO only the mount is set.
func orchestratorTrust(a *AirbyteStackArgs) pulumi.Map {
	out := pulumi.Map{
		"dataPlane": pulumi.Map{
			"secretName":      pulumi.String(JobsTrustStoreSecret),
			"secretMountPath": pulumi.String(JobsTrustStoreDir),
		},
	}
	if a.ObjectStore.Kind != objectstore.MinIO {
		return out
	}
	out["javaOpts"] = pulumi.String(fmt.Sprintf("-XX:+ExitOnOutOfMemoryError -XX:MaxRAMPercentage=75.0 "+
		"-Djavax.net.ssl.trustStore=%s/%s -Djavax.net.ssl.trustStoreType=JKS -Djavax.net.ssl.trustStorePassword=%s",
		JobsTrustStoreDir, JobsTrustStoreKey, jksPassword))
	return out
}

// needsJobsTrust reports whether job pods need JobsTrustStoreSecret.
func needsJobsTrust(a *AirbyteStackArgs) bool {
	return a.ObjectStore.Kind == objectstore.MinIO || verifies(a.Database)
}

// authValues turn on authentication (global.auth.enabled → API_AUTHORIZATION_ENABLED, chart
// templates/config/_common.tpl "airbyte.common.auth.enabled", default false outside enterprise) and
// point the bootloader at the platform's bootstrap Secret (global.auth.secretName, _auth.tpl
// "airbyte.auth.bootstrap.secretName"), whose keys are the chart's defaults (AuthSecretKeys).
func authValues() pulumi.Map {
	return pulumi.Map{"enabled": pulumi.Bool(true), "secretName": pulumi.String(AuthBootstrapSecret)}
}

// schedulingValues are the chart's tolerations array and nodeSelector map, nil when unset.
func schedulingValues(s cluster.Scheduling) (pulumi.Array, pulumi.StringMap) {
	var tol pulumi.Array
	if len(s.Tolerations) > 0 {
		tol = s.TolerationValues()
	}
	var sel pulumi.StringMap
	if len(s.NodeSelector) > 0 {
		sel = pulumi.StringMap{}
		for _, k := range sortedKeys(s.NodeSelector) {
			sel[k] = pulumi.String(s.NodeSelector[k])
		}
	}
	return tol, sel
}

// jksTrustStore encodes the PEM certificates as a JKS key store of trusted-certificate entries
// (magic FEEDFEED, version 2; per entry tag 2, alias, timestamp, "X.509", DER; then the SHA-1 of the
// UTF-16BE password, "Mighty Aphrodite" and everything before). The JDK still reads JKS
// (keystore.type.compat). created fixes the entries' timestamp so the bytes are reproducible.
func jksTrustStore(pemBundle, password string, created time.Time) ([]byte, error) {
	var certs [][]byte
	rest := []byte(pemBundle)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			certs = append(certs, block.Bytes)
		}
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("airbyte: the object store's CA bundle holds no PEM certificate")
	}
	var b bytes.Buffer
	u32 := func(v uint32) { _ = binary.Write(&b, binary.BigEndian, v) }
	utf := func(s string) { _ = binary.Write(&b, binary.BigEndian, uint16(len(s))); b.WriteString(s) }
	u32(0xFEEDFEED)
	u32(2)
	u32(uint32(len(certs)))
	for i, der := range certs {
		u32(2)
		utf(fmt.Sprintf("objectstore-ca-%d", i))
		_ = binary.Write(&b, binary.BigEndian, created.UnixMilli())
		utf("X.509")
		u32(uint32(len(der)))
		b.Write(der)
	}
	h := sha1.New() //nolint:gosec
	for _, r := range utf16.Encode([]rune(password)) {
		_ = binary.Write(h, binary.BigEndian, r)
	}
	h.Write([]byte("Mighty Aphrodite"))
	h.Write(b.Bytes())
	b.Write(h.Sum(nil))
	return b.Bytes(), nil
}

// jksBase64 is jksTrustStore for a Secret's data field.
func jksBase64(pemBundle string) (string, error) {
	// A fixed timestamp: the Secret must not change on every run.
	ks, err := jksTrustStore(pemBundle, jksPassword, time.Unix(0, 0))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(ks), nil
}
