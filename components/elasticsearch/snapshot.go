package elasticsearch

import (
	"encoding/json"
	"fmt"
	"strings"

	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
)

// rolesFile is the file realm role of the snapshot Job's user (ECK reads roles.yml from the Secret
// spec.auth.roles names: pkg/controller/elasticsearch/user/roles.go RolesFile). Registering a
// repository is the cluster:admin/repository/* action family (the manage privilege's, without the
// rest of manage); manage_slm and cluster:admin/snapshot/* with all on .slm-history-* (where SLM
// records its runs) are the slm-admin role of elastic/elasticsearch docs/reference/slm/
// slm-security.asciidoc; SLM takes each snapshot with the privileges of the user who last wrote the
// policy, and cluster:admin/snapshot/* snapshots every index whatever the user's index privileges.
func rolesFile() string {
	return SnapshotRole + `:
  cluster: ["manage_slm", "cluster:admin/snapshot/*", "cluster:admin/repository/*", "monitor"]
  indices:
    - names: [".slm-history-*"]
      privileges: ["all"]
`
}

// repositoryBody is PUT _snapshot/<Repository>: a repository of the store's type on its bucket under
// the prefix, through the client named default. The settings are the same three keys for both types
// (elastic/elasticsearch modules/repository-s3 S3Repository: BUCKET_SETTING "bucket",
// BASE_PATH_SETTING "base_path", CLIENT_NAME "client"; modules/repository-gcs
// GoogleCloudStorageRepository: BUCKET "bucket", BASE_PATH "base_path", CLIENT_NAME "client").
// On MinIO the default client carries the endpoint and keys the nodes hold; on GCS it has no
// credentials_file, so it takes the pod's Application Default Credentials (Workload Identity).
// Registration verifies the repository from every node.
//
// The azure type names its container "container" (modules/repository-azure AzureRepository.Repository:
// CONTAINER_SETTING "container", BASE_PATH_SETTING "base_path", CLIENT_NAME "client").
func repositoryBody(repoType, bucket, prefix string) string {
	key := "bucket"
	if repoType == "azure" {
		key = "container"
	}
	b, _ := json.Marshal(map[string]any{
		"type": repoType,
		"settings": map[string]any{
			key:         bucket,
			"base_path": prefix,
			"client":    "default",
		},
	})
	return string(b)
}

// RPOPolicy is the SLM policy that takes a snapshot every RPO when that is more often than daily;
// DailySchedule is then SLMPolicy's schedule (01:30 UTC, SLM's cron runs in UTC).
const (
	RPOPolicy     = "platform-rpo"
	DailySchedule = "0 30 1 * * ?"
	// minCount is the snapshots each policy keeps whatever their age.
	minCount = 3
)

// policy is one PUT _slm/policy/<name> body, in the ConfigMap under file.
type policy struct {
	name, file, body string
}

// policyBodies are the SLM policies: snapshots of every index and the cluster state, named with the
// date (SLM appends a unique suffix). SLM applies a policy's retention to the snapshots whose
// metadata names that policy, and max_count makes the oldest successful ones beyond it eligible for
// deletion whatever their age (elastic/elasticsearch x-pack/plugin/core … slm/
// SnapshotRetentionConfiguration.getSnapshotDeletionPredicate: "enforce the maximum count … allow
// the oldest N … eligible for deletion", before min_count and expire_after).
//   - SLMPolicy ("platform-snapshots", the only policy before the RPO policy existed) keeps
//     RetentionDays and has no max_count: on a stack that took a snapshot every RPO under that name,
//     a max_count would delete all but the newest few of them at the next retention run, and with
//     expire_after alone they age out on the schedule they were promised. Its snapshots are bounded
//     by the age: RetentionDays a day once the older ones have expired.
//   - Once a day or less it runs on Schedule and is the only policy (policy.json).
//   - Several a day it runs daily (daily.json), and RPOPolicy takes the RPO's snapshots
//     (policy.json), kept one day and at most PerDay+minCount: at the prod RPO (15 min) a single
//     policy kept 30 days would hold ~2,900 snapshots, and every snapshot operation reads the
//     repository's index of all of them.
func policyBodies(s Snapshots) []policy {
	body := func(schedule, prefix string, retention map[string]any) string {
		b, _ := json.Marshal(map[string]any{
			"schedule":   schedule,
			"name":       "<" + prefix + "-{now/d}>",
			"repository": Repository,
			"config":     map[string]any{"indices": []string{"*"}, "include_global_state": true},
			"retention":  retention,
		})
		return string(b)
	}
	keep := map[string]any{"expire_after": fmt.Sprintf("%dd", s.RetentionDays), "min_count": minCount}
	if s.PerDay <= 1 {
		return []policy{{SLMPolicy, "policy.json", body(s.Schedule, "platform", keep)}}
	}
	return []policy{
		{RPOPolicy, "policy.json", body(s.Schedule, RPOPolicy, map[string]any{"expire_after": "1d", "min_count": minCount, "max_count": s.PerDay + minCount})},
		{SLMPolicy, "daily.json", body(DailySchedule, "platform", keep)},
	}
}

// script registers the repository and the policies. The PUTs replace what exists, so the Job can run
// again; it first waits for the cluster to answer (yellow), which it does once ECK has created it.
// The RPO policy is deleted when the schedule no longer needs it (an RPO of a day or more), a 404
// meaning it was never there; its last day of snapshots then stay until deleted by hand (SLM's
// retention only runs for an existing policy). The password goes to a netrc file, never onto a
// command line; curl verifies Elasticsearch's certificate against ECK's CA.
func script(host string, policies []policy) string {
	url := fmt.Sprintf("https://%s:%d", host, HTTPPort)
	var b strings.Builder
	fmt.Fprintf(&b, `set -eu
umask 077
printf 'machine %%s login %%s password %%s\n' %[2]s "$ES_USER" "$ES_PASSWORD" > /tmp/netrc
es() { curl -fsS --retry 5 --retry-all-errors --cacert /es-ca/ca.crt --netrc-file /tmp/netrc -H 'Content-Type: application/json' "$@"; }
# A refused PUT prints Elasticsearch's reason (curl >= 7.76 --fail-with-body; the image has 8.11.1).
put() { curl --fail-with-body -sS --retry 5 --retry-all-errors --cacert /es-ca/ca.crt --netrc-file /tmp/netrc -H 'Content-Type: application/json' -X PUT "$@"; }
until es "%[1]s/_cluster/health?wait_for_status=yellow&timeout=30s" >/dev/null; do
  echo "waiting for Elasticsearch"; sleep 10
done
put "%[1]s/_snapshot/%[3]s" --data-binary @/config/repository.json
echo
`, url, host, Repository)
	rpo := false
	for _, p := range policies {
		fmt.Fprintf(&b, "put \"%s/_slm/policy/%s\" --data-binary @/config/%s\necho\n", url, p.name, p.file)
		rpo = rpo || p.name == RPOPolicy
	}
	if !rpo {
		fmt.Fprintf(&b, `code=$(curl -sS -o /tmp/delete.out -w '%%{http_code}' --retry 5 --cacert /es-ca/ca.crt --netrc-file /tmp/netrc -X DELETE "%s/_slm/policy/%s")
case "$code" in 200|404) ;; *) cat /tmp/delete.out; exit 1 ;; esac
`, url, RPOPolicy)
	}
	return b.String()
}

// snapshotJob creates the ConfigMap of the request bodies and the Job. Everything it applies — the
// script, the bodies, the user's password — is hashed into the pod template
// (metadatadb.ConfigHashAnnotation), which pulumi-kubernetes treats as a replacement (pkg/provider/
// diff.go forceNewProperties ".spec.template"); the fixed name makes it delete before it replaces.
// It keeps no ttlSecondsAfterFinished, so a refresh does not make the next up run it again.
//
// The cluster's UID is hashed too: a re-created cluster (replaced resource, lost volumes, a restore
// into a new one) has neither repository nor policy, so the Job must run again for it.
func (b *builder) snapshotJob(host string, bucket pulumi.StringOutput, password pulumi.StringInput, clusterUID pulumi.StringOutput, deps []pulumi.Resource) (*batchv1.Job, error) {
	a := b.args
	s := a.Snapshots
	repoType := repositoryType(s.Store.Kind)
	repo := bucket.ApplyT(func(name string) string { return repositoryBody(repoType, name, s.Prefix) }).(pulumi.StringOutput)
	policies := policyBodies(s)
	sh := script(host, policies)
	data := pulumi.StringMap{"repository.json": repo, "register.sh": pulumi.String(sh)}
	var policyText []any
	for _, p := range policies {
		data[p.file] = pulumi.String(p.body)
		policyText = append(policyText, p.body)
	}
	cm, err := corev1.NewConfigMap(b.ctx, b.name+"-snapshot-config", &corev1.ConfigMapArgs{
		Metadata: b.meta("elasticsearch-snapshot-config", "snapshots"),
		Data:     data,
	}, b.child)
	if err != nil {
		return nil, err
	}
	hash := pulumi.Unsecret(pulumi.All(repo, password, clusterUID).ApplyT(func(v []any) string {
		return metadatadb.ConfigHash(append([]any{v[0], sh, v[1], v[2]}, policyText...)...)
	}).(pulumi.StringOutput)).(pulumi.StringOutput)
	sel := map[string]string{"app.kubernetes.io/name": "elasticsearch-snapshots"}
	podLabels := pulumi.StringMap{}
	for k, v := range b.labels("snapshots") {
		podLabels[k] = v
	}
	for k, v := range sel {
		podLabels[k] = pulumi.String(v)
	}
	spec := APIJobPod(a.Scheduling, cm.Metadata.Name(), corev1.EnvVarArray{
		secretEnv("ES_USER", b.userSecret, "username"),
		secretEnv("ES_PASSWORD", b.userSecret, "password"),
	}, &corev1.SecurityContextArgs{
		AllowPrivilegeEscalation: pulumi.Bool(false), RunAsNonRoot: pulumi.Bool(true), ReadOnlyRootFilesystem: pulumi.Bool(true),
		Capabilities: &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
	})
	return batchv1.NewJob(b.ctx, b.name+"-snapshots", &batchv1.JobArgs{
		Metadata: b.meta("elasticsearch-snapshots", "snapshots"),
		Spec: &batchv1.JobSpecArgs{
			BackoffLimit:          pulumi.Int(10),
			ActiveDeadlineSeconds: pulumi.Int(3600),
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels:      podLabels,
					Annotations: pulumi.StringMap{metadatadb.ConfigHashAnnotation: hash},
				},
				Spec: spec,
			},
		},
	}, b.child, pulumi.DependsOn(append(deps, cm)), pulumi.DeleteBeforeReplace(true),
		// pulumi-kubernetes waits 10 minutes for a Job by default (provider/v4 pkg/await/job.go
		// DefaultJobTimeoutMins); a first prod up pulls the image onto six nodes and forms the cluster.
		pulumi.Timeouts(&pulumi.CustomTimeouts{Create: "30m", Update: "30m"}))
}

func secretEnv(name string, secret pulumi.StringInput, key string) *corev1.EnvVarArgs {
	return &corev1.EnvVarArgs{Name: pulumi.String(name), ValueFrom: &corev1.EnvVarSourceArgs{
		SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: secret, Key: pulumi.String(key)},
	}}
}
