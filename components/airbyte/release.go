package airbyte

import (
	"strings"

	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// Why a helm/v3 Release. Chart 2.0.19 (airbytehq/charts@e37c6b7 airbyte-2.0.19.tgz, appVersion 2.0.1)
// renders three objects only as `helm.sh/hook: pre-install,pre-upgrade`: the ConfigMap
// <release>-airbyte-env (templates/env-configmap.yaml, weight -1), which every Airbyte container reads
// through non-optional configMapKeyRefs; the Secret <release>-airbyte-secrets (templates/secret.yaml,
// weight -1); and the bootloader Pod (templates/airbyte-bootloader/pod.yaml, weight 0), which migrates
// the config and jobs databases. helm/v4.Chart renders with hooks disabled and registers only the
// release manifest (pulumi-kubernetes@v4.32.0 provider/pkg/provider/helm/v4/chart.go), so none of
// them ever existed and no Airbyte pod could start. A Release runs Helm's install and upgrade actions
// (provider/pkg/provider/helm_release.go helmCreate/helmUpdate, helm.sh/helm/v3@v3.20.2): on every
// install and upgrade Helm deletes and recreates the three hooks in weight order (pkg/action/hooks.go
// execHook: default delete policy before-hook-creation), waits for the bootloader Pod to succeed
// (WatchUntilReady) and only then applies the Deployments, so the database is migrated before new
// pods roll, the ordering the chart intends.
const (
	// ReleaseTimeoutSeconds bounds each wait of the install or upgrade: Helm gives every hook
	// (the bootloader) and then the Deployments' readiness this long (helm.sh/helm/v3@v3.20.2
	// pkg/action/install.go: execHook(…, i.Timeout), then KubeClient.Wait(resources, i.Timeout)).
	// A first install on a fresh node pool pulls about ten images of 0.5–1 GB, may wait for the
	// cluster autoscaler to add nodes, runs the bootloader's Flyway migrations of two empty databases,
	// and then Temporal's auto-setup creates and migrates its two schemas before the server and
	// workers become ready: 20 minutes, where the provider's default (300 s, helm_release.go
	// defaultTimeoutSeconds) routinely fails a first install.
	ReleaseTimeoutSeconds = 1200
	// ReleaseMaxHistory keeps the last ten revisions (Helm CLI's default). The provider passes 0 —
	// unlimited — when maxHistory is unset (helm_release.go helmUpdate: client.MaxHistory = 0), and each
	// revision is a Secret in the apps namespace holding the whole rendered release.
	ReleaseMaxHistory = 10
	// ReleaseType is the Release's Pulumi type token.
	ReleaseType = "kubernetes:helm.sh/v3:Release"
)

// newRelease installs the chart. Choices, each against pulumi-kubernetes@v4.32.0
// provider/pkg/provider/helm_release.go:
//   - Name = ReleaseName and Namespace = the apps namespace: both force a replacement when changed
//     (Diff: forceNewFields .name, .namespace) and a replacement creates before it deletes, which Helm
//     refuses for a name in use; the chart's object names (airbyte-worker, …) stay as before.
//   - Atomic false: an atomic install that fails is uninstalled, and an atomic upgrade is rolled back
//     to a revision whose code is older than the schema the bootloader has just migrated. Without it a
//     failed install or upgrade is recorded as a partial failure (releaseFailedError → partialError);
//     the old pods keep serving (a Deployment's rolling update removes them only as new ones become
//     ready), the failed pods stay for `kubectl logs`, and the next `pulumi up` upgrades again
//     (helm.sh/helm/v3@v3.20.2 pkg/action/upgrade.go upgrades a release whose last revision failed).
//   - CleanupOnFail true: a failed upgrade deletes only the objects that upgrade created, so the
//     retry starts from the previous revision's set.
//   - SkipAwait false (Helm waits for readiness and the hook), WaitForJobs false: the community
//     edition's manifest holds no Job (keycloak-setup renders only for edition enterprise).
//   - DisableWebhooks and DisableCRDHooks left false: the provider maps them to DisableHooks on install
//     and upgrade respectively (helmCreate, helmUpdate), which would drop the hooks again.
//   - Preview runs neither install nor upgrade (Create/Update return before helmCreate/helmUpdate
//     when req.Preview); Check downloads the chart once every input is known. A value change is an
//     in-place upgrade; the diff shows changed values, not changed objects.
func newRelease(ctx *pulumi.Context, name string, a *AirbyteStackArgs, values pulumi.Map, opts ...pulumi.ResourceOption) (*helmv3.Release, error) {
	return helmv3.NewRelease(ctx, name+"-release", &helmv3.ReleaseArgs{
		Chart:          pulumi.String(HelmChart),
		Version:        pulumi.String(a.ChartVersion),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String(HelmRepository)},
		Name:           pulumi.String(ReleaseName),
		Namespace:      a.Namespace.ToStringOutput().ToStringPtrOutput(),
		Values:         values,
		Timeout:        pulumi.Int(ReleaseTimeoutSeconds),
		Atomic:         pulumi.Bool(false),
		CleanupOnFail:  pulumi.Bool(true),
		SkipAwait:      pulumi.Bool(false),
		WaitForJobs:    pulumi.Bool(false),
		MaxHistory:     pulumi.Int(ReleaseMaxHistory),
	}, opts...)
}

// JobsNamespaceProperty is the Micronaut property the workload launcher creates job pods in
// (airbyte-platform, the tree chart 2.0.19's appVersion 2.0.1 was cut from: airbyte-commons-micronaut/
// …/runtime/AirbyteConfig.kt AirbyteWorkerConfig @ConfigurationProperties("airbyte.worker") → job →
// @ConfigurationProperties("kube") AirbyteWorkerJobKubernetesConfig.namespace). Its only readers are
// the launcher (pods/KubePodLauncher.kt .inNamespace(…job.kubernetes.namespace), PodSweeper.kt,
// RunawayPodSweeper.kt, PayloadKubeInputMapper.kt) and the bootloader (DataplaneInitializer.kt, for
// edition cloud only); application.yml of both sets it from ${JOB_KUBE_NAMESPACE:…}, which the chart
// renders as fieldRef metadata.namespace (templates/config/_jobs.tpl "airbyte.jobs.kube.namespace.env"),
// i.e. the apps namespace. No other component's application.yml or code reads the property or
// JOB_KUBE_NAMESPACE (EnvVar.kt only declares it).
//
// A Java system property overrides it: Micronaut ranks system properties above environment variables
// and both above application.yml (Micronaut 4 guide, "Included PropertySource Loaders"; Airbyte builds on
// Micronaut 4.9.4, deps.toml), and the JVM reads JAVA_TOOL_OPTIONS at start. The chart renders
// JAVA_TOOL_OPTIONS in a container only for <component>.debug.enabled (and global.java.opts only into
// the ConfigMap, never into a container: "airbyte.java.envs" is included by no template), so the
// variable goes in through <component>.extraEnv without a duplicate. Setting JOB_KUBE_NAMESPACE
// itself through extraEnv would render the variable twice.
const JobsNamespaceProperty = "airbyte.worker.job.kube.namespace"

// jobsNamespaceReaders are the chart services whose JVM reads JobsNamespaceProperty.
var jobsNamespaceReaders = []string{"workloadLauncher", "airbyteBootloader"}

// javaToolOptions are the JVM options each chart service gets through JAVA_TOOL_OPTIONS: the jobs
// namespace for its readers, and with MinIO the trust store holding the store's CA (addTrust).
func javaToolOptions(a *AirbyteStackArgs) map[string][]string {
	opts := map[string][]string{}
	for _, key := range jobsNamespaceReaders {
		opts[key] = append(opts[key], "-D"+JobsNamespaceProperty+"="+a.JobsNamespace)
	}
	if a.ObjectStore.Kind == objectstore.MinIO {
		for _, key := range trustedComponents {
			opts[key] = append(opts[key], "-Djavax.net.ssl.trustStore="+TrustStorePath)
		}
	}
	return opts
}

// addJavaToolOptions appends JAVA_TOOL_OPTIONS to each service's extraEnv.
func addJavaToolOptions(values pulumi.Map, a *AirbyteStackArgs) {
	for key, opts := range javaToolOptions(a) {
		svc := values[key].(pulumi.Map)
		env, _ := svc["extraEnv"].(pulumi.Array)
		svc["extraEnv"] = append(env, envVar("JAVA_TOOL_OPTIONS", strings.Join(opts, " ")))
	}
}

// databaseName is global.database.name with the pgjdbc TLS parameters after it. Chart 2.0.19 builds
// DATABASE_URL as printf "jdbc:postgresql://%s:%d/%s" host port name with nothing after the name
// (templates/config/_database.tpl "airbyte.database.url"), and pgjdbc then defaults to
// sslmode=prefer, which neither requires TLS nor verifies the server. The name's other use is
// DATABASE_DB ("airbyte.database.configVars"), read only by the keycloak StatefulSet's schema
// command (templates/airbyte-keycloak/statefulset.yaml, rendered for editions cloud and enterprise
// only) and by no airbyte-platform code. Every Airbyte datasource (config, jobs, local-secrets in the
// bootloader, server, cron, workers, workload API server, launcher, metrics) is configured as
// url: ${DATABASE_URL} (their application*.yml), so the parameters reach all of them.
func databaseName(db metadatadb.Connection) string {
	return db.Databases[metadatadb.Airbyte] + "?" + databaseURLParams(db)
}
