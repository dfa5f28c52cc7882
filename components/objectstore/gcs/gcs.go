// Package gcs is the Google Cloud implementation of the platform's object storage: one Cloud Storage
// bucket per objectstore.Bucket role, encrypted with a customer-managed Cloud KMS key, closed to the
// public (public access prevention, uniform bucket-level access), with versioning, soft delete and
// lifecycle rules; and, per workload, a Google service account that can use exactly its buckets and
// that the workload's Kubernetes ServiceAccount impersonates through GKE Workload Identity (with
// Access.Prefix, only the objects under that prefix, through an IAM condition: prefixCondition). No
// HMAC keys are created.
//
// Service account keys: exactly one per workload whose Access sets StaticCredential, and none
// otherwise. Such a workload has a client that reads only a key file (Airbyte's GCS storage client
// accepts nothing but a service-account JSON key), so its service account gets one RSA 2048 key in
// Google's credentials-file format instead of the Workload Identity binding and the ServiceAccount
// annotation, which it would not use. The key file is Identity.StaticCredential, a Pulumi secret: it
// lives only in the stack's state, encrypted, and in the Kubernetes Secret the workload component
// writes. The project's organisation policy iam.disableServiceAccountKeyCreation must allow key
// creation (not enforced, or an exception for the project), or creating the key fails; the
// platform's policy pack exempts only these keys from no-static-cloud-keys.
//
// Replication: with ReplicationRegion set, the lake and backup buckets are configurable dual-regions
// (the multi-region holding both regions, with Region and ReplicationRegion as data locations) with
// turbo replication, whose 15-minute RPO is the prod target; Dremio's and Airbyte's buckets hold
// rebuildable data and stay regional. A dual-region bucket needs its key in the multi-region's Cloud KMS
// location ("europe", "us", "asia"), so there is then a second key, replicated the same way.
package gcs

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opendataplatform/dataplatform/components/internal/gcpnaming"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/kms"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/serviceaccount"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/storage"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ObjectStoreType is the component's type token.
const ObjectStoreType = "dataplatform:gcp:ObjectStore"

const (
	// Endpoint is the Cloud Storage JSON/XML API endpoint; its certificate is publicly trusted.
	Endpoint = "https://storage.googleapis.com"
	// KeyRotationPeriod rotates the bucket keys every 90 days.
	KeyRotationPeriod = "7776000s"
	// ObjectRole is what a workload gets on its buckets: read, write, delete and list objects, and
	// multipart uploads; no bucket settings and no IAM.
	ObjectRole = "roles/storage.objectUser"
	// WorkloadIdentityRole lets a Kubernetes ServiceAccount act as the Google service account.
	WorkloadIdentityRole = "roles/iam.workloadIdentityUser"
	// KeyAlgorithm and KeyFileType are the service account key minted for an Access with
	// StaticCredential: an RSA 2048 key returned as a JSON credentials file.
	KeyAlgorithm = "KEY_ALG_RSA_2048"
	KeyFileType  = "TYPE_GOOGLE_CREDENTIALS_FILE"
	// KeyRole lets the Cloud Storage service agent use the bucket keys.
	KeyRole = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
	// DefaultSoftDeleteDays is how long deleted objects stay restorable when SoftDeleteDays is 0.
	DefaultSoftDeleteDays = 7
	// AbortMultipartAfterDays removes the parts of uploads nobody finished.
	AbortMultipartAfterDays = 7
	// coldlineFactor moves lake objects to Coldline at this multiple of ColdTierAfterDays (a year for
	// the default 90 days), after their Nearline minimum storage duration.
	coldlineFactor = 4
)

// ObjectStoreArgs configures the buckets and the workloads' access.
type ObjectStoreArgs struct {
	// Project is the Google Cloud project ID that holds the buckets and the service accounts.
	Project string
	// Region is the buckets' region, e.g. "europe-north1"; the bucket key lives there.
	Region string
	// NamePrefix tells stacks apart, e.g. "dataplatform-prod": buckets are named
	// "<prefix>-<role>-<project>" (shortened with a hash beyond 63 characters) and service accounts
	// "<prefix>-<workload>". Lower-case letters, digits and hyphens.
	NamePrefix string
	// Versioning keeps overwritten and deleted objects as noncurrent versions.
	Versioning bool
	// NoncurrentVersionDays deletes noncurrent versions this many days after they were replaced;
	// 0 keeps them. Used only with Versioning.
	NoncurrentVersionDays int
	// ColdTierAfterDays moves lake objects to Nearline after this many days and to Coldline after four
	// times as many; 0 keeps them in Standard.
	ColdTierAfterDays int
	// ReplicationRegion makes the lake and backup buckets dual-region across Region and this region
	// (same continent: Europe, North America or Asia); empty keeps them regional.
	ReplicationRegion string
	// SoftDeleteDays keeps deleted objects restorable this long, 7 to 90; 0 means 7.
	SoftDeleteDays int
	// WorkloadPool is the GKE Workload Identity pool, "<project>.svc.id.goog", as the cluster reports
	// it (gke.Cluster.WorkloadPool): the pool exists only once the cluster does, and taking it as an
	// output orders every Workload Identity binding after the cluster. Required when an Access entry
	// uses Workload Identity (no StaticCredential).
	WorkloadPool pulumi.StringInput
	// BucketPrefix names the buckets "<BucketPrefix>-<role>" (shortened with a hash beyond 63
	// characters). Bucket names are global across Cloud Storage, so it carries a per-project suffix,
	// e.g. "dataplatform-prod-1a2b3c" (stacks.Names.Global). Empty keeps the older
	// "<NamePrefix>-<role>-<project>".
	BucketPrefix string
	// ForceDestroy lets `pulumi destroy` delete buckets that still hold objects and noncurrent
	// versions (dev and staging); without it a versioned bucket can never be emptied by the deployer.
	ForceDestroy bool
	// Protect marks the stateful resources (the buckets, the key rings and the bucket keys) protected:
	// destroy and replacement stop at them.
	// Disposable children (service accounts, IAM members, service account keys) are never protected.
	Protect bool
	// Access lists the workloads that use the store and their buckets.
	Access []objectstore.Access
	// Labels are applied to the buckets and the keys.
	Labels map[string]string
}

// ObjectStore is the platform's Cloud Storage buckets and the workloads' identities.
type ObjectStore struct {
	pulumi.ResourceState

	// Info is what the workload components consume.
	Info objectstore.Info
	// KMSKeyID is the regional key of the regional buckets,
	// "projects/<p>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>".
	KMSKeyID pulumi.StringOutput
	// ReplicatedKMSKeyID is the multi-region key of the dual-region buckets; empty without
	// ReplicationRegion.
	ReplicatedKMSKeyID pulumi.StringOutput
	// BucketLocations maps each role to its location: Region upper-cased, or the multi-region of a
	// dual-region bucket ("EU").
	BucketLocations map[objectstore.Bucket]string
}

func (a *ObjectStoreArgs) validate(name string) error {
	if a == nil {
		return errors.New("gcs: args are nil; pass an *ObjectStoreArgs")
	}
	if name == "" {
		return errors.New("gcs: name is empty; resource names are derived from it")
	}
	fail := func(format string, v ...any) error {
		return fmt.Errorf("gcs %s: "+format, append([]any{name}, v...)...)
	}
	if err := gcpnaming.ValidProject(a.Project); err != nil {
		return fail("%w", err)
	}
	if err := gcpnaming.ValidRegion("Region", a.Region); err != nil {
		return fail("%w", err)
	}
	if !prefixRe.MatchString(a.NamePrefix) || len(a.NamePrefix) > 40 {
		return fail("NamePrefix = %q; must be 1–40 lower-case letters, digits and hyphens, not starting or ending with a hyphen", a.NamePrefix)
	}
	if a.BucketPrefix != "" && (!prefixRe.MatchString(a.BucketPrefix) || len(a.BucketPrefix) > 50) {
		return fail("BucketPrefix = %q; must be 1–50 lower-case letters, digits and hyphens, not starting or ending with a hyphen", a.BucketPrefix)
	}
	for _, role := range objectstore.Buckets {
		if err := validBucketName(a.bucketName(role)); err != nil {
			return fail("NamePrefix = %q, BucketPrefix = %q give an invalid %w", a.NamePrefix, a.BucketPrefix, err)
		}
	}
	if d := a.NoncurrentVersionDays; d < 0 || d > 3650 {
		return fail("NoncurrentVersionDays = %d; must be between 0 (keep) and 3650", d)
	}
	if d := a.ColdTierAfterDays; d < 0 || d > 3650 {
		return fail("ColdTierAfterDays = %d; must be between 0 (never) and 3650", d)
	}
	if d := a.SoftDeleteDays; d != 0 && (d < 7 || d > 90) {
		return fail("SoftDeleteDays = %d; must be 0 (meaning %d) or between 7 and 90", d, DefaultSoftDeleteDays)
	}
	if r := a.ReplicationRegion; r != "" {
		if err := gcpnaming.ValidRegion("ReplicationRegion", r); err != nil {
			return fail("%w", err)
		}
		if r == a.Region {
			return fail("ReplicationRegion = %q is the buckets' own Region; choose another region or leave it empty", r)
		}
		home, _ := multiRegionOf(a.Region)
		other, _ := multiRegionOf(r)
		if home == "" || home != other {
			return fail("ReplicationRegion = %q with Region = %q; a dual-region needs two regions of one multi-region (EU: europe-*, US: us-*/northamerica-*, ASIA: asia-*)", r, a.Region)
		}
	}
	for i, acc := range a.Access {
		if !acc.StaticCredential && a.WorkloadPool == nil {
			return fail("WorkloadPool is nil with Access[%d] (%s) using Workload Identity; pass the cluster's workload pool output (gke.Cluster.WorkloadPool)", i, acc.Workload)
		}
	}
	seenWorkload, seenAccount := map[string]bool{}, map[string]string{}
	for i, acc := range a.Access {
		field := fmt.Sprintf("Access[%d]", i)
		if !dns1123Re.MatchString(acc.Workload) || len(acc.Workload) > 40 {
			return fail("%s.Workload = %q; must be 1–40 lower-case letters, digits and hyphens", field, acc.Workload)
		}
		if seenWorkload[acc.Workload] {
			return fail("%s.Workload = %q appears twice; each workload gets one identity", field, acc.Workload)
		}
		seenWorkload[acc.Workload] = true
		id := accountID(a.NamePrefix, acc.Workload)
		if !accountRe.MatchString(id) {
			return fail("%s.Workload = %q gives the service account ID %q, which Google refuses (6–30 characters, starting with a letter)", field, acc.Workload, id)
		}
		if other, dup := seenAccount[id]; dup {
			return fail("%s.Workload = %q and %q give the same service account ID %q; shorten NamePrefix", field, acc.Workload, other, id)
		}
		seenAccount[id] = acc.Workload
		if !dns1123Re.MatchString(acc.Namespace) || len(acc.Namespace) > 63 {
			return fail("%s.Namespace = %q; must be a Kubernetes namespace name", field, acc.Namespace)
		}
		if !dns1123Re.MatchString(acc.ServiceAccount) || len(acc.ServiceAccount) > 253 {
			return fail("%s.ServiceAccount = %q; must be a Kubernetes ServiceAccount name", field, acc.ServiceAccount)
		}
		if len(acc.Buckets) == 0 {
			return fail("%s.Buckets is empty; list the buckets %s uses", field, acc.Workload)
		}
		if acc.Prefix != "" && (!dns1123Re.MatchString(acc.Prefix) || len(acc.Prefix) > 63) {
			return fail("%s.Prefix = %q; must be 1–63 lower-case letters, digits and '-'", field, acc.Prefix)
		}
		seenBucket := map[objectstore.Bucket]bool{}
		for _, b := range acc.Buckets {
			if !slices.Contains(objectstore.Buckets, b) {
				return fail("%s.Buckets has %q; allowed: %v", field, b, objectstore.Buckets)
			}
			if seenBucket[b] {
				return fail("%s.Buckets has %q twice", field, b)
			}
			seenBucket[b] = true
		}
	}
	if err := gcpnaming.ValidLabels(a.Labels); err != nil {
		return fail("%w", err)
	}
	return nil
}

// replicated reports whether a bucket role is dual-region: the data that cannot be rebuilt.
func replicated(role objectstore.Bucket) bool {
	return role == objectstore.Lake || role == objectstore.Backups
}

// bucketKey is one Cloud KMS key and the grant that lets Cloud Storage use it.
type bucketKey struct {
	key   *kms.CryptoKey
	grant *kms.CryptoKeyIAMMember
}

// NewObjectStore creates the keys, the buckets and the workloads' identities.
func NewObjectStore(ctx *pulumi.Context, name string, args *ObjectStoreArgs, opts ...pulumi.ResourceOption) (*ObjectStore, error) {
	if err := args.validate(name); err != nil {
		return nil, err
	}
	softDeleteDays := args.SoftDeleteDays
	if softDeleteDays == 0 {
		softDeleteDays = DefaultSoftDeleteDays
	}
	access := make([]any, len(args.Access))
	for i, a := range args.Access {
		buckets := make([]any, len(a.Buckets))
		for j, b := range a.Buckets {
			buckets[j] = string(b)
		}
		access[i] = map[string]any{"workload": a.Workload, "namespace": a.Namespace, "serviceAccount": a.ServiceAccount, "buckets": buckets,
			"staticCredential": a.StaticCredential, "prefix": a.Prefix}
	}

	comp := &ObjectStore{BucketLocations: map[objectstore.Bucket]string{}}
	props := pulumi.Map{
		"project":               pulumi.String(args.Project),
		"region":                pulumi.String(args.Region),
		"namePrefix":            pulumi.String(args.NamePrefix),
		"versioning":            pulumi.Bool(args.Versioning),
		"noncurrentVersionDays": pulumi.Int(args.NoncurrentVersionDays),
		"coldTierAfterDays":     pulumi.Int(args.ColdTierAfterDays),
		"replicationRegion":     pulumi.String(args.ReplicationRegion),
		"softDeleteDays":        pulumi.Int(softDeleteDays),
		"bucketPrefix":          pulumi.String(args.BucketPrefix),
		"forceDestroy":          pulumi.Bool(args.ForceDestroy),
		"protect":               pulumi.Bool(args.Protect),
		"access":                pulumi.ToArray(access),
		"labels":                pulumi.ToStringMap(args.Labels),
	}
	if err := ctx.RegisterComponentResourceV2(ObjectStoreType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	// Buckets and keys follow Protect; everything else says Protect(false), so nothing disposable
	// inherits a protect from the component's own options.
	stateful := pulumi.Composite(parent, pulumi.Protect(args.Protect))
	disposable := pulumi.Composite(parent, pulumi.Protect(false))
	project := pulumi.String(args.Project)
	labels := pulumi.ToStringMap(args.Labels)

	// The Cloud Storage service agent encrypts and decrypts with the bucket keys. Asking for it also
	// creates it in a project that has never used Cloud Storage, where the grant would otherwise fail.
	agent, err := storage.GetProjectServiceAccount(ctx, &storage.GetProjectServiceAccountArgs{Project: &args.Project}, parent)
	if err != nil {
		return nil, fmt.Errorf("gcs %s: looking up the Cloud Storage service agent of %s: %w", name, args.Project, err)
	}
	newKey := func(suffix, location string) (*bucketKey, error) {
		// Key rings can never be deleted: an auto-named ring lets a destroyed stack be recreated.
		ring, err := kms.NewKeyRing(ctx, name+"-keyring"+suffix, &kms.KeyRingArgs{
			Project:  project,
			Location: pulumi.String(location),
		}, stateful)
		if err != nil {
			return nil, err
		}
		key, err := kms.NewCryptoKey(ctx, name+"-key"+suffix, &kms.CryptoKeyArgs{
			KeyRing:        ring.ID(),
			Purpose:        pulumi.String("ENCRYPT_DECRYPT"),
			RotationPeriod: pulumi.String(KeyRotationPeriod),
			Labels:         labels,
		}, stateful)
		if err != nil {
			return nil, err
		}
		grant, err := kms.NewCryptoKeyIAMMember(ctx, name+"-key"+suffix+"-gcs-agent", &kms.CryptoKeyIAMMemberArgs{
			CryptoKeyId: key.ID(),
			Role:        pulumi.String(KeyRole),
			Member:      pulumi.String("serviceAccount:" + agent.EmailAddress),
		}, disposable)
		if err != nil {
			return nil, err
		}
		return &bucketKey{key: key, grant: grant}, nil
	}

	regionalKey, err := newKey("", args.Region)
	if err != nil {
		return nil, err
	}
	comp.KMSKeyID = regionalKey.key.ID().ToStringOutput()
	comp.ReplicatedKMSKeyID = pulumi.String("").ToStringOutput()
	var replicatedKey *bucketKey
	multiRegion, kmsMultiRegion := multiRegionOf(args.Region)
	if args.ReplicationRegion != "" {
		if replicatedKey, err = newKey("-"+kmsMultiRegion, kmsMultiRegion); err != nil {
			return nil, err
		}
		comp.ReplicatedKMSKeyID = replicatedKey.key.ID().ToStringOutput()
	}

	buckets := map[objectstore.Bucket]*storage.Bucket{}
	names := map[objectstore.Bucket]pulumi.StringOutput{}
	for _, role := range objectstore.Buckets {
		key := regionalKey
		location := strings.ToUpper(args.Region)
		var placement storage.BucketCustomPlacementConfigPtrInput
		var rpo pulumi.StringPtrInput
		if args.ReplicationRegion != "" && replicated(role) {
			key = replicatedKey
			location = multiRegion
			placement = &storage.BucketCustomPlacementConfigArgs{DataLocations: pulumi.ToStringArray([]string{
				strings.ToUpper(args.Region), strings.ToUpper(args.ReplicationRegion),
			})}
			// Turbo replication copies new objects to the second region within 15 minutes.
			rpo = pulumi.String("ASYNC_TURBO")
		}
		comp.BucketLocations[role] = location
		bucketLabels := pulumi.StringMap{"dataplatform-bucket": pulumi.String(string(role))}
		for k, v := range args.Labels {
			bucketLabels[k] = pulumi.String(v)
		}
		b, err := storage.NewBucket(ctx, name+"-"+string(role), &storage.BucketArgs{
			Project:                  project,
			Name:                     pulumi.String(args.bucketName(role)),
			Location:                 pulumi.String(location),
			CustomPlacementConfig:    placement,
			Rpo:                      rpo,
			StorageClass:             pulumi.String("STANDARD"),
			UniformBucketLevelAccess: pulumi.Bool(true),
			PublicAccessPrevention:   pulumi.String("enforced"),
			Versioning:               &storage.BucketVersioningArgs{Enabled: pulumi.Bool(args.Versioning)},
			SoftDeletePolicy: &storage.BucketSoftDeletePolicyArgs{
				RetentionDurationSeconds: pulumi.Int(softDeleteDays * 86400),
			},
			Encryption:     &storage.BucketEncryptionArgs{DefaultKmsKeyName: key.key.ID()},
			LifecycleRules: lifecycleRules(role, args),
			// Without it, deleting a bucket with objects (or noncurrent versions) fails instead of
			// deleting the data: prod keeps it off, and protect stops the destroy before that.
			// pulumi-gcp@v7.38.0 sdk/go/gcp/storage/bucket.go: "When deleting a bucket, this boolean
			// option will delete all contained objects."
			ForceDestroy: pulumi.Bool(args.ForceDestroy),
			Labels:       bucketLabels,
		}, stateful, pulumi.DependsOn([]pulumi.Resource{key.grant})) // writes fail until the agent can use the key
		if err != nil {
			return nil, err
		}
		buckets[role] = b
		names[role] = b.Name
	}

	identities := map[string]objectstore.Identity{}
	for _, acc := range args.Access {
		how := "through Workload Identity"
		if acc.StaticCredential {
			how = "through a service account key"
		}
		sa, err := serviceaccount.NewAccount(ctx, name+"-"+acc.Workload, &serviceaccount.AccountArgs{
			Project:     project,
			AccountId:   pulumi.String(accountID(args.NamePrefix, acc.Workload)),
			DisplayName: pulumi.String(fmt.Sprintf("%s %s (object store)", args.NamePrefix, acc.Workload)),
			Description: pulumi.String(fmt.Sprintf("Used by the Kubernetes ServiceAccount %s/%s %s; object access to its buckets only", acc.Namespace, acc.ServiceAccount, how)),
		}, disposable)
		if err != nil {
			return nil, err
		}
		member := pulumi.Sprintf("serviceAccount:%s", sa.Email)
		var ready []pulumi.Resource
		for _, role := range acc.Buckets {
			grant, err := storage.NewBucketIAMMember(ctx, name+"-"+acc.Workload+"-"+string(role), &storage.BucketIAMMemberArgs{
				Bucket:    buckets[role].Name,
				Role:      pulumi.String(ObjectRole),
				Member:    member,
				Condition: prefixCondition(acc, buckets[role].Name),
			}, disposable)
			if err != nil {
				return nil, err
			}
			ready = append(ready, grant)
		}
		saPath := pulumi.Sprintf("projects/%s/serviceAccounts/%s", args.Project, sa.Email)
		if acc.StaticCredential {
			cred, err := staticCredential(ctx, name+"-"+acc.Workload+"-key", saPath, disposable)
			if err != nil {
				return nil, err
			}
			identities[acc.Workload] = objectstore.Identity{
				ServiceAccountAnnotations: pulumi.StringMap{}.ToStringMapOutput(),
				PodLabels:                 map[string]string{},
				Principal:                 sa.Email,
				CredentialsSecret:         pulumi.String("").ToStringOutput(),
				StaticCredential:          cred,
				Ready:                     ready,
			}
			continue
		}
		wi, err := serviceaccount.NewIAMMember(ctx, name+"-"+acc.Workload+"-workload-identity", &serviceaccount.IAMMemberArgs{
			ServiceAccountId: saPath,
			Role:             pulumi.String(WorkloadIdentityRole),
			// The pool comes from the cluster's output: the binding waits for the cluster (issue 9,
			// class 7; before, a plain string let it run first and fail with 400 "Identity Pool does
			// not exist").
			Member: pulumi.Sprintf("serviceAccount:%s[%s/%s]", args.WorkloadPool, acc.Namespace, acc.ServiceAccount),
		}, disposable)
		if err != nil {
			return nil, err
		}
		identities[acc.Workload] = objectstore.Identity{
			ServiceAccountAnnotations: pulumi.StringMap{"iam.gke.io/gcp-service-account": sa.Email}.ToStringMapOutput(),
			PodLabels:                 map[string]string{},
			Principal:                 sa.Email,
			CredentialsSecret:         pulumi.String("").ToStringOutput(),
			// StaticCredential stays unset (no OutputState): consumers tell "no key" by it.
			Ready: append(ready, wi),
		}
	}

	comp.Info = objectstore.Info{
		Kind:        objectstore.GCS,
		Region:      args.Region,
		Endpoint:    pulumi.String(Endpoint).ToStringOutput(),
		PathStyle:   false,
		Account:     pulumi.String("").ToStringOutput(),
		BucketNames: names,
		Identities:  identities,
		CABundle:    pulumi.String("").ToStringOutput(),
	}

	bucketOut, principals := pulumi.StringMap{}, pulumi.StringMap{}
	for role, n := range names {
		bucketOut[string(role)] = n
	}
	for w, id := range identities {
		principals[w] = id.Principal
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"kind":               pulumi.String(string(objectstore.GCS)),
		"endpoint":           pulumi.String(Endpoint),
		"bucketNames":        bucketOut,
		"principals":         principals,
		"kmsKeyId":           comp.KMSKeyID,
		"replicatedKmsKeyId": comp.ReplicatedKMSKeyID,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// prefixCondition is, for an Access with a Prefix, the IAM condition that limits the workload's
// object role to keys under "<Prefix>/" (nil, an unconditional grant, without one). IAM conditions
// on a bucket need uniform bucket-level access, which every bucket here has. Two cases
// (cloud.google.com/iam/docs/conditions-resource-attributes: objects are resource type
// storage.googleapis.com/Object named "projects/_/buckets/<bucket>/objects/<object>"; listing is
// checked on the bucket, storage.googleapis.com/Bucket; cloud.google.com/iam/docs/
// conditions-attribute-reference: the API attribute storage.googleapis.com/objectListPrefix is the
// prefix a list request asks for):
//   - any object permission of the role on an object under the prefix;
//   - on the bucket, only requests that list under the prefix (storage.objects.list and
//     storage.multipartUploads.list with that prefix), so the workload cannot even enumerate the
//     names of the objects beside it.
//
// pulumi-gcp@v7.38.0 sdk/go/gcp/storage/bucketIAMMember.go: condition {title, description,
// expression}; the provider treats the condition as part of the binding's identity, so changing the
// prefix replaces the grant.
func prefixCondition(acc objectstore.Access, bucket pulumi.StringOutput) storage.BucketIAMMemberConditionPtrInput {
	if acc.Prefix == "" {
		return nil
	}
	p := acc.Prefix + "/"
	return &storage.BucketIAMMemberConditionArgs{
		Title:       pulumi.String(fmt.Sprintf("%s under %s", acc.Workload, p)),
		Description: pulumi.String(fmt.Sprintf("Object access of %s limited to keys under %s", acc.Workload, p)),
		Expression: bucket.ApplyT(func(b string) string {
			return fmt.Sprintf(`resource.name.startsWith("projects/_/buckets/%s/objects/%s") || `+
				`(resource.type == "storage.googleapis.com/Bucket" && api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("%s"))`, b, p, p)
		}).(pulumi.StringOutput),
	}
}

// staticCredential mints a key for the service account serviceAccountID and returns its JSON key
// file as a Pulumi secret. The provider returns the file base64-encoded.
func staticCredential(ctx *pulumi.Context, name string, serviceAccountID pulumi.StringInput, opt pulumi.ResourceOption) (pulumi.StringOutput, error) {
	key, err := serviceaccount.NewKey(ctx, name, &serviceaccount.KeyArgs{
		ServiceAccountId: serviceAccountID,
		KeyAlgorithm:     pulumi.String(KeyAlgorithm),
		PrivateKeyType:   pulumi.String(KeyFileType),
	}, opt)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	file := key.PrivateKey.ApplyT(func(encoded string) (string, error) {
		b, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			return "", fmt.Errorf("service account key %s: private key is not base64: %w", name, err)
		}
		return string(b), nil
	}).(pulumi.StringOutput)
	// The provider marks privateKey secret; ToSecret keeps the file secret whatever it reports.
	return pulumi.ToSecret(file).(pulumi.StringOutput), nil
}

// lifecycleRules tiers cold lake data down, expires noncurrent versions and cleans up abandoned
// multipart uploads.
func lifecycleRules(role objectstore.Bucket, args *ObjectStoreArgs) storage.BucketLifecycleRuleArray {
	rules := storage.BucketLifecycleRuleArray{
		&storage.BucketLifecycleRuleArgs{
			Action:    &storage.BucketLifecycleRuleActionArgs{Type: pulumi.String("AbortIncompleteMultipartUpload")},
			Condition: &storage.BucketLifecycleRuleConditionArgs{Age: pulumi.Int(AbortMultipartAfterDays)},
		},
	}
	if args.Versioning && args.NoncurrentVersionDays > 0 {
		rules = append(rules, &storage.BucketLifecycleRuleArgs{
			Action: &storage.BucketLifecycleRuleActionArgs{Type: pulumi.String("Delete")},
			Condition: &storage.BucketLifecycleRuleConditionArgs{
				DaysSinceNoncurrentTime: pulumi.Int(args.NoncurrentVersionDays),
				WithState:               pulumi.String("ARCHIVED"), // noncurrent versions only
			},
		})
	}
	if role == objectstore.Lake && args.ColdTierAfterDays > 0 {
		rules = append(rules,
			&storage.BucketLifecycleRuleArgs{
				Action: &storage.BucketLifecycleRuleActionArgs{Type: pulumi.String("SetStorageClass"), StorageClass: pulumi.String("NEARLINE")},
				Condition: &storage.BucketLifecycleRuleConditionArgs{
					Age:                   pulumi.Int(args.ColdTierAfterDays),
					MatchesStorageClasses: pulumi.ToStringArray([]string{"STANDARD"}),
				},
			},
			&storage.BucketLifecycleRuleArgs{
				Action: &storage.BucketLifecycleRuleActionArgs{Type: pulumi.String("SetStorageClass"), StorageClass: pulumi.String("COLDLINE")},
				Condition: &storage.BucketLifecycleRuleConditionArgs{
					Age:                   pulumi.Int(coldlineFactor * args.ColdTierAfterDays),
					MatchesStorageClasses: pulumi.ToStringArray([]string{"STANDARD", "NEARLINE"}),
				},
			},
		)
	}
	return rules
}
