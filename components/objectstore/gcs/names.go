package gcs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/opendataplatform/dataplatform/components/objectstore"
)

var (
	prefixRe  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	dns1123Re = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	bucketRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$`)
	accountRe = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
)

// shorten keeps s within max characters; a name that is too long is cut and gets a hash of the whole
// name, so two long names never collide and reruns never rename.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	keep := max - 7
	return strings.TrimRight(s[:keep], "-") + "-" + hex.EncodeToString(sum[:])[:6]
}

// bucketName is "<prefix>-<role>-<project>": the project makes it globally unique, the prefix tells
// stacks in one project apart.
func bucketName(prefix, role, project string) string {
	return shorten(prefix+"-"+role+"-"+project, 63)
}

// bucketName is the bucket of a role: "<BucketPrefix>-<role>", or the older
// "<NamePrefix>-<role>-<project>" without a BucketPrefix.
func (a *ObjectStoreArgs) bucketName(role objectstore.Bucket) string {
	if a.BucketPrefix != "" {
		return shorten(a.BucketPrefix+"-"+string(role), 63)
	}
	return bucketName(a.NamePrefix, string(role), a.Project)
}

// accountID is the Google service account ID of a workload: "<prefix>-<workload>", 6–30 characters,
// starting with a letter.
func accountID(prefix, workload string) string {
	id := prefix + "-" + workload
	if id[0] < 'a' || id[0] > 'z' {
		id = "sa-" + id
	}
	if len(id) < 6 {
		id += "-gcs"
	}
	return shorten(id, 30)
}

// validBucketName applies Cloud Storage's naming rules to a derived name.
func validBucketName(n string) error {
	if !bucketRe.MatchString(n) {
		return fmt.Errorf("bucket name %q; must be 3–63 lower-case letters, digits, '-' or '_', starting and ending with a letter or digit", n)
	}
	if strings.HasPrefix(n, "goog") || strings.Contains(n, "google") || strings.Contains(n, "g00gle") {
		return fmt.Errorf("bucket name %q; Cloud Storage refuses names that start with \"goog\" or contain \"google\"", n)
	}
	return nil
}

// multiRegions maps a region's continent prefix to the multi-region that hosts configurable
// dual-regions, and that multi-region to its Cloud KMS location.
var multiRegions = []struct{ prefix, storage, kms string }{
	{"europe-", "EU", "europe"},
	{"us-", "US", "us"},
	{"northamerica-", "US", "us"},
	{"asia-", "ASIA", "asia"},
}

// multiRegionOf returns the Cloud Storage multi-region and KMS location a region belongs to, or
// empty strings where Cloud Storage offers no configurable dual-region.
func multiRegionOf(region string) (storage, kms string) {
	for _, m := range multiRegions {
		if strings.HasPrefix(region, m.prefix) {
			return m.storage, m.kms
		}
	}
	return "", ""
}
