package minio

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// userPolicyName is the MinIO policy granting one workload its buckets.
func userPolicyName(workload string) string { return workload + "-buckets" }

// secretEnvName is the setup Job's environment variable holding the i-th workload's secret key.
func secretEnvName(i int) string { return fmt.Sprintf("SECRET_KEY_%d", i) }

// bucketPolicy is the IAM-style policy of one workload: list its buckets, read and write their
// objects (and object versions, for restores), nothing else; with a prefix, only the keys under
// "<prefix>/" (objects by ARN, listing by the s3:prefix condition key, which MinIO evaluates as S3 does).
func bucketPolicy(buckets []objectstore.Bucket, prefix string) string {
	names := make([]string, 0, len(buckets))
	for _, b := range buckets {
		names = append(names, string(b))
	}
	sort.Strings(names)
	var bucketARNs, objectARNs []string
	for _, n := range names {
		bucketARNs = append(bucketARNs, "arn:aws:s3:::"+n)
		if prefix != "" {
			objectARNs = append(objectARNs, "arn:aws:s3:::"+n+"/"+prefix+"/*")
		} else {
			objectARNs = append(objectARNs, "arn:aws:s3:::"+n+"/*")
		}
	}
	objects := map[string]any{
		"Effect": "Allow",
		"Action": []string{"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion",
			"s3:ListMultipartUploadParts", "s3:PutObject"},
		"Resource": objectARNs,
	}
	statements := []any{map[string]any{
		"Effect":   "Allow",
		"Action":   []string{"s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListBucketVersions"},
		"Resource": bucketARNs,
	}, objects}
	if prefix != "" {
		// Listing carries the s3:prefix key; the bucket-level reads do not, so they stay unconditioned.
		statements = []any{
			map[string]any{
				"Effect":   "Allow",
				"Action":   []string{"s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucketMultipartUploads"},
				"Resource": bucketARNs,
			},
			map[string]any{
				"Effect":    "Allow",
				"Action":    []string{"s3:ListBucket", "s3:ListBucketVersions"},
				"Resource":  bucketARNs,
				"Condition": map[string]any{"StringLike": map[string]any{"s3:prefix": []string{prefix + "/*"}}},
			},
			objects,
		}
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": statements}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return string(b)
}

// lifecycleRules expires noncurrent versions after the given days; `mc ilm import` replaces a bucket's
// whole lifecycle configuration with it, so applying it again changes nothing.
func lifecycleRules(days int) string {
	doc := map[string]any{"Rules": []any{map[string]any{
		"ID":                          "expire-noncurrent-versions",
		"Status":                      "Enabled",
		"Filter":                      map[string]any{"Prefix": ""},
		"NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": days},
	}}}
	b, _ := json.Marshal(doc)
	return string(b)
}

// setupScript creates the buckets, their versioning and lifecycle, and one user with one policy per
// access. Every step is idempotent (mb --ignore-existing, user add updates the key, policy create
// overwrites, ilm import replaces, an already attached policy is not an error), so the Job can run
// again after any change. Secret keys come from environment variables, never from the script.
func setupScript(endpoint string, versioning bool, accesses []objectstore.Access) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\nset -eu\n")
	b.WriteString("mkdir -p \"$MC_CONFIG_DIR/certs/CAs\"\n")
	b.WriteString("cp /etc/minio-ca/ca.crt \"$MC_CONFIG_DIR/certs/CAs/ca.crt\"\n")
	fmt.Fprintf(&b, "export MC_HOST_minio=\"https://${MINIO_ROOT_USER}:${MINIO_ROOT_PASSWORD}@%s\"\n", endpoint)
	fmt.Fprintf(&b, "echo \"waiting for MinIO at %s\"\n", endpoint)
	b.WriteString("until mc admin info minio >/dev/null 2>&1; do sleep 5; done\n")
	for _, bucket := range objectstore.Buckets {
		fmt.Fprintf(&b, "mc mb --ignore-existing minio/%s\n", bucket)
		if versioning {
			fmt.Fprintf(&b, "mc version enable minio/%s\n", bucket)
			fmt.Fprintf(&b, "mc ilm import minio/%s < /setup/lifecycle.json\n", bucket)
		}
	}
	b.WriteString(`attach() {
  if ! out=$(mc admin policy attach minio "$1" --user "$2" 2>&1); then
    case "$out" in
      *already*) ;;
      *) echo "$out" >&2; exit 1 ;;
    esac
  fi
}
`)
	for i, a := range accesses {
		fmt.Fprintf(&b, "mc admin user add minio %s \"$%s\"\n", a.Workload, secretEnvName(i))
		fmt.Fprintf(&b, "mc admin policy create minio %s /setup/policy-%s.json\n", userPolicyName(a.Workload), a.Workload)
		fmt.Fprintf(&b, "attach %s %s\n", userPolicyName(a.Workload), a.Workload)
	}
	b.WriteString("echo \"object store ready\"\n")
	return b.String()
}

// setupFiles is the content of the setup ConfigMap.
func setupFiles(endpoint string, versioning bool, noncurrentDays int, accesses []objectstore.Access) map[string]string {
	files := map[string]string{"setup.sh": setupScript(endpoint, versioning, accesses)}
	if versioning {
		files["lifecycle.json"] = lifecycleRules(noncurrentDays)
	}
	for _, a := range accesses {
		files["policy-"+a.Workload+".json"] = bucketPolicy(a.Buckets, a.Prefix)
	}
	return files
}

// digest is a short, stable hash of the setup files: a change makes a new Job.
func digest(files map[string]string) string {
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(files[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// serverArgs is the MinIO command line: one drive, or every drive of every pod addressed through the
// headless Service (MinIO's ellipsis notation), so each pod finds its peers by stable DNS names.
func serverArgs(namespace string, replicas, drives int) []string {
	args := []string{"server", "--certs-dir", certsDir, "--address", ":9000", "--console-address", ":9001"}
	if replicas == 1 {
		return append(args, dataPaths(drives))
	}
	return append(args, fmt.Sprintf("https://%s-{0...%d}.%s.%s.svc.cluster.local%s", serverName, replicas-1, headlessName, namespace, dataPaths(drives)))
}

func dataPaths(drives int) string {
	if drives == 1 {
		return "/data1"
	}
	return fmt.Sprintf("/data{1...%d}", drives)
}

// parity is the erasure-code parity: half the drives up to 4, MinIO's own choice, written out so
// that the design document's EC:4 for 8 drives is visible in the manifest.
func parity(totalDrives int) int {
	p := totalDrives / 2
	if p > 4 {
		p = 4
	}
	return p
}

// setupJob runs the setup script with the root credentials (the Secret rootSecret) and every
// workload's secret key (usersSecret); both are versioned names, so a rotated value is a new pod
// template, hence a new Job.
func setupJob(ctx *pulumi.Context, name string, parent pulumi.ResourceOption, args *ObjectStoreArgs, image string,
	meta func(string, string) *metav1.ObjectMetaArgs, podLabels pulumi.StringMap, configHash pulumi.StringOutput,
	rootSecret, usersSecret pulumi.StringOutput, deps []pulumi.Resource,
) (*batchv1.Job, error) {
	env := corev1.EnvVarArray{
		&corev1.EnvVarArgs{Name: pulumi.String("MINIO_ROOT_USER"), ValueFrom: secretRefTo(rootSecret, "rootUser")},
		&corev1.EnvVarArgs{Name: pulumi.String("MINIO_ROOT_PASSWORD"), ValueFrom: secretRefTo(rootSecret, "rootPassword")},
		&corev1.EnvVarArgs{Name: pulumi.String("MC_CONFIG_DIR"), Value: pulumi.String("/tmp/.mc")},
		&corev1.EnvVarArgs{Name: pulumi.String("SSL_CERT_FILE"), Value: pulumi.String("/etc/minio-ca/ca.crt")},
	}
	for i, acc := range args.Access {
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(secretEnvName(i)), ValueFrom: secretRefTo(usersSecret, acc.Workload)})
	}
	if args.Metrics {
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(metricsEnv), ValueFrom: secretRefTo(usersSecret, MetricsUser)})
	}
	// pulumi-kubernetes replaces a Job only when spec.template (or selector, completions,
	// parallelism) changes: the hash sits in the pod template. The fixed name makes the provider
	// delete the old Job first (provider/v4 pkg/provider/provider.go Diff). No
	// ttlSecondsAfterFinished: a Job the TTL controller removed is dropped by the next refresh
	// (provider.go Read answers a 404 with an empty response) and run again by the next update.
	return batchv1.NewJob(ctx, name+"-setup-job", &batchv1.JobArgs{
		Metadata: meta("minio-setup", "setup"),
		Spec: &batchv1.JobSpecArgs{
			BackoffLimit:          pulumi.Int(10),
			ActiveDeadlineSeconds: pulumi.Int(1800),
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels:      podLabels,
					Annotations: pulumi.StringMap{metadatadb.ConfigHashAnnotation: configHash},
				},
				Spec: &corev1.PodSpecArgs{
					RestartPolicy:                pulumi.String("OnFailure"),
					AutomountServiceAccountToken: pulumi.Bool(false),
					Tolerations:                  args.Scheduling.TolerationArray(),
					NodeSelector:                 args.Scheduling.NodeSelectorMap(),
					SecurityContext:              podSecurity(),
					Containers: corev1.ContainerArray{&corev1.ContainerArgs{
						Name:    pulumi.String("mc"),
						Image:   pulumi.String(image),
						Command: pulumi.StringArray{pulumi.String("/bin/sh"), pulumi.String("/setup/setup.sh")},
						Env:     env,
						Resources: &corev1.ResourceRequirementsArgs{
							Requests: pulumi.StringMap{"cpu": pulumi.String("50m"), "memory": pulumi.String("64Mi")},
							Limits:   pulumi.StringMap{"cpu": pulumi.String("500m"), "memory": pulumi.String("256Mi")},
						},
						SecurityContext: restrictedContainer(),
						VolumeMounts: corev1.VolumeMountArray{
							&corev1.VolumeMountArgs{Name: pulumi.String("setup"), MountPath: pulumi.String("/setup"), ReadOnly: pulumi.Bool(true)},
							&corev1.VolumeMountArgs{Name: pulumi.String("ca"), MountPath: pulumi.String("/etc/minio-ca"), ReadOnly: pulumi.Bool(true)},
							&corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")},
						},
					}},
					Volumes: corev1.VolumeArray{
						&corev1.VolumeArgs{Name: pulumi.String("setup"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: pulumi.String("minio-setup")}},
						&corev1.VolumeArgs{Name: pulumi.String("ca"), Secret: &corev1.SecretVolumeSourceArgs{SecretName: pulumi.String("minio-ca")}},
						&corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("64Mi")}},
					},
				},
			},
		},
	}, parent, pulumi.DependsOn(deps), pulumi.DeleteBeforeReplace(true))
}
