package adls

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// ObjectStoreArgs configures the storage account, its containers and the workloads' identities.
type ObjectStoreArgs struct {
	// ResourceGroupName is the resource group everything goes into (the network's).
	ResourceGroupName pulumi.StringInput
	// Location is the Azure region, e.g. "swedencentral".
	Location string
	// AccountName is the storage account name: 3-24 lower-case letters and digits, unique across Azure.
	// Empty derives one from the project, stack and component name (DeriveAccountName).
	AccountName string
	// Redundancy is the replication: "ZRS" (dev, staging: three zones) or "GZRS" (prod: three zones
	// plus the paired region); "LRS", "GRS", "RAGRS" and "RAGZRS" are accepted too.
	Redundancy string
	// Versioning asks that earlier states of objects stay recoverable. Data Lake Gen2 accounts
	// (hierarchical namespace) do not offer blob versioning, so it is kept through soft delete:
	// deleted files and directories stay restorable for NoncurrentVersionDays (when longer than
	// SoftDeleteDays), as long as a noncurrent version would on S3 or GCS.
	Versioning bool
	// SoftDeleteDays is how long deleted containers, files and directories can be restored (1-365).
	SoftDeleteDays int
	// NoncurrentVersionDays is, with Versioning, the recovery window of deleted objects (0-365).
	NoncurrentVersionDays int
	// ColdTierAfterDays moves lake files to the Cool tier this many days after their last change;
	// 0 keeps everything Hot.
	ColdTierAfterDays int
	// EndpointsSubnetID is the subnet the blob and dfs private endpoints go into.
	EndpointsSubnetID pulumi.StringInput
	// BlobPrivateDNSZoneID is privatelink.blob.core.windows.net, linked to the VNet.
	BlobPrivateDNSZoneID pulumi.StringInput
	// DfsPrivateDNSZoneID is privatelink.dfs.core.windows.net, linked to the VNet.
	DfsPrivateDNSZoneID pulumi.StringInput
	// OIDCIssuerURL is the AKS cluster's ServiceAccount token issuer the identities federate with;
	// required when Access lists a workload without StaticCredential.
	OIDCIssuerURL pulumi.StringInput
	// Access lists the workloads that use the store and the containers each may read and write. A
	// workload with StaticCredential gets an account-key connection string instead of an identity, and
	// its containers move to the keyed account (see KeyedAccountName); no other workload may share them.
	Access []objectstore.Access
	// DeletionLock puts a CanNotDelete management lock on the account (prod).
	DeletionLock bool
	// LogAnalyticsWorkspaceID, when set, receives each account's blob read, write and delete logs and
	// transaction metrics through a diagnostic setting on its blob service (the AKS workspace fits).
	LogAnalyticsWorkspaceID pulumi.StringInput
	// Protect marks the stateful resources (the storage accounts and their containers) protected:
	// destroy and replacement stop at them. Disposable children (blob service settings, lifecycle
	// policies, private endpoints, locks, identities, federations, role assignments, diagnostic
	// settings) are never protected.
	Protect bool
	// Tags are applied to every taggable resource.
	Tags map[string]string
}

// Redundancies are the accepted values of Redundancy.
var Redundancies = []string{"LRS", "ZRS", "GRS", "GZRS", "RAGRS", "RAGZRS"}

var (
	locationRE    = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	accountNameRE = regexp.MustCompile(`^[a-z0-9]{3,24}$`)
	workloadRE    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)
	dnsLabelRE    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	// ServiceAccount names are DNS subdomains.
	dnsSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	nonAlnumRE     = regexp.MustCompile(`[^a-z0-9]+`)
	invalidNameRE  = regexp.MustCompile(`[^a-z0-9-]+`)
)

// DeriveAccountName returns a storage account name for a component: the project and stack in
// lower-case letters and digits (at most 16), then 8 hex digits of a hash of project, stack and
// name. The same inputs always give the same name, and the hash keeps stacks of different projects
// (and different components) apart in Azure's global namespace.
func DeriveAccountName(project, stack, name string) string {
	stem := nonAlnumRE.ReplaceAllString(strings.ToLower(project+stack), "")
	if len(stem) > 16 {
		stem = stem[:16]
	}
	sum := sha256.Sum256([]byte(project + "/" + stack + "/" + name))
	return stem + hex.EncodeToString(sum[:4])
}

// KeyedAccountName returns the name of the keyed account that holds the containers of
// static-credential workloads, derived from the main account's name: its first 15 characters, the
// letter "k", then the first 8 hex digits of the SHA-256 of "keyed/" and the main name. The result has
// 12-24 lower-case letters and digits (the main name has 3-24), so it is valid wherever the main name
// is; it differs from the main name (a shorter one lacks the suffix, a longer one would need its own
// hash in characters 17-24) and from the keyed name of any other main name sharing the first 15
// characters; and it is the same for the same main name, so the account keeps its name across updates.
func KeyedAccountName(mainAccountName string) string {
	stem := mainAccountName
	if len(stem) > 15 {
		stem = stem[:15]
	}
	sum := sha256.Sum256([]byte("keyed/" + mainAccountName))
	return stem + "k" + hex.EncodeToString(sum[:4])
}

// keyedBuckets returns the buckets used by a static-credential workload: their containers live in
// the keyed account. Empty when no workload asks for a static credential.
func (a *ObjectStoreArgs) keyedBuckets() map[objectstore.Bucket]bool {
	keyed := map[objectstore.Bucket]bool{}
	for _, acc := range a.Access {
		if acc.StaticCredential {
			for _, b := range acc.Buckets {
				keyed[b] = true
			}
		}
	}
	return keyed
}

// baseName is the stem of the other physical names: lower case, letters, digits and single hyphens,
// at most 40 characters.
func baseName(name string) string {
	s := invalidNameRE.ReplaceAllString(strings.ToLower(name), "-")
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Trim(s, "-")
}

// blobRetentionDays is the soft-delete window of files and directories.
func (a *ObjectStoreArgs) blobRetentionDays() int {
	if a.Versioning {
		return max(a.SoftDeleteDays, a.NoncurrentVersionDays)
	}
	return a.SoftDeleteDays
}

func (a *ObjectStoreArgs) validate(name, accountName string) error {
	fail := func(format string, v ...any) error {
		return fmt.Errorf("adls %q: "+format, append([]any{name}, v...)...)
	}
	if a == nil {
		return fail("args are nil; pass *ObjectStoreArgs")
	}
	if baseName(name) == "" {
		return fail("the name has no letters or digits to derive Azure resource names from")
	}
	switch {
	case a.ResourceGroupName == nil:
		return fail("ResourceGroupName is nil; pass the network's resource group name")
	case a.EndpointsSubnetID == nil:
		return fail("EndpointsSubnetID is nil; pass the network's private endpoints subnet")
	case a.BlobPrivateDNSZoneID == nil:
		return fail("BlobPrivateDNSZoneID is nil; pass the privatelink.blob.core.windows.net zone")
	case a.DfsPrivateDNSZoneID == nil:
		return fail("DfsPrivateDNSZoneID is nil; pass the privatelink.dfs.core.windows.net zone")
	}
	if !locationRE.MatchString(a.Location) {
		return fail("Location = %q; use an Azure region name in lower case without spaces, e.g. \"swedencentral\"", a.Location)
	}
	if !accountNameRE.MatchString(accountName) {
		return fail("AccountName = %q; allowed 3-24 lower-case letters and digits, or empty to derive one", accountName)
	}
	if !slices.Contains(Redundancies, a.Redundancy) {
		return fail("Redundancy = %q; allowed %v (ZRS for dev and staging, GZRS for prod)", a.Redundancy, Redundancies)
	}
	if a.SoftDeleteDays < 1 || a.SoftDeleteDays > 365 {
		return fail("SoftDeleteDays = %d; allowed 1-365 (soft delete is always on)", a.SoftDeleteDays)
	}
	if a.NoncurrentVersionDays < 0 || a.NoncurrentVersionDays > 365 {
		return fail("NoncurrentVersionDays = %d; allowed 0-365 (Azure keeps soft-deleted data at most 365 days)", a.NoncurrentVersionDays)
	}
	if a.ColdTierAfterDays < 0 {
		return fail("ColdTierAfterDays = %d; must be ≥ 0 (0 disables tiering)", a.ColdTierAfterDays)
	}
	federated := 0
	for _, acc := range a.Access {
		if !acc.StaticCredential {
			federated++
		}
	}
	if federated > 0 && a.OIDCIssuerURL == nil {
		return fail("OIDCIssuerURL is nil but Access lists %d workloads with workload identity; pass the AKS cluster's OIDC issuer URL", federated)
	}
	seen := map[string]bool{}
	for i, acc := range a.Access {
		switch {
		case !workloadRE.MatchString(acc.Workload):
			return fail("Access[%d].Workload = %q; allowed 1-40 lower-case letters, digits and hyphens", i, acc.Workload)
		case seen[acc.Workload]:
			return fail("Access[%d].Workload = %q appears twice; each workload gets one identity", i, acc.Workload)
		case !dnsLabelRE.MatchString(acc.Namespace):
			return fail("Access[%d] (%s): Namespace = %q; must be a DNS label", i, acc.Workload, acc.Namespace)
		case len(acc.ServiceAccount) > 253 || !dnsSubdomainRE.MatchString(acc.ServiceAccount):
			return fail("Access[%d] (%s): ServiceAccount = %q; must be a DNS subdomain", i, acc.Workload, acc.ServiceAccount)
		case len(acc.Buckets) == 0:
			return fail("Access[%d] (%s): Buckets is empty; list the containers it uses from %v", i, acc.Workload, objectstore.Buckets)
		}
		if err := validatePrefix(acc); err != nil {
			return fail("Access[%d] (%s): %v", i, acc.Workload, err)
		}
		seen[acc.Workload] = true
		buckets := map[objectstore.Bucket]bool{}
		for _, b := range acc.Buckets {
			if !slices.Contains(objectstore.Buckets, b) {
				return fail("Access[%d] (%s): bucket %q is unknown; allowed %v", i, acc.Workload, b, objectstore.Buckets)
			}
			if buckets[b] {
				return fail("Access[%d] (%s): bucket %q listed twice", i, acc.Workload, b)
			}
			buckets[b] = true
		}
	}
	// A static-credential workload's containers live in the keyed account, the only one that accepts
	// account keys. A container there that a workload-identity workload also used would put that
	// workload's data behind a key too; for the lake it would need keys on the lake itself.
	for _, st := range a.Access {
		if !st.StaticCredential {
			continue
		}
		for _, b := range st.Buckets {
			for _, other := range a.Access {
				if !other.StaticCredential && slices.Contains(other.Buckets, b) {
					return fail("bucket %q is used by %q with StaticCredential and by %q with workload identity; "+
						"a static-credential workload's containers live in the keyed account (account keys on), so give it buckets of its own",
						b, st.Workload, other.Workload)
				}
			}
		}
	}
	return nil
}
