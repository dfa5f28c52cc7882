package minio

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

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
