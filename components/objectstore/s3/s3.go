// Package s3 is the AWS implementation of the platform's object storage: one S3 bucket per role
// (lake, dremio, airbyte, backups), encrypted with the store's KMS key, private, TLS-only, versioned,
// with lifecycle rules and server access logs; in prod the lake and the backups are replicated to
// another region. Every workload that needs the buckets gets an IAM role bound to its Kubernetes
// ServiceAccount through EKS Pod Identity, allowed exactly its buckets: no static keys.
package s3

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ObjectStoreType is the component's type token.
const ObjectStoreType = "dataplatform:aws:ObjectStore"

const (
	// accountIDLength is the length of an AWS account ID.
	accountIDLength = 12
	// abortMultipartDays cleans up uploads that never completed; their parts are billed otherwise.
	abortMultipartDays = 7
	// defaultAccessLogDays is how long server access logs are kept when AccessLogRetentionDays is 0.
	defaultAccessLogDays = 90
	// replicationMinutes is the S3 Replication Time Control target: prod's RPO is 15 minutes.
	replicationMinutes = 15
)

// replicated are the buckets copied to ReplicationRegion: the data that cannot be rebuilt. Dremio's
// and Airbyte's buckets hold caches, logs and state that are rebuilt or re-synced.
var replicated = []objectstore.Bucket{objectstore.Lake, objectstore.Backups}

// ObjectStoreArgs configures the S3 buckets and the workloads' access.
type ObjectStoreArgs struct {
	// NamePrefix starts every bucket name, "<prefix>-<role>" ("-dr" after the role for replicas).
	// Bucket names are global across all AWS accounts, so the prefix must be globally unique: the
	// stack passes "<project>-<stack>-<suffix>", the suffix derived from the account or set with
	// dataplatform:nameSuffix (stacks/names.go). Lower-case letters, digits and hyphens, short enough
	// that the longest name stays within 63 characters.
	NamePrefix string
	// Region is the AWS provider's region; it must match the provider and names the endpoint.
	Region string
	// Versioning keeps previous versions of overwritten and deleted objects. Required for
	// replication. The access-log bucket is always versioned.
	Versioning bool
	// NoncurrentVersionDays expires previous versions after this many days (≥ 1).
	NoncurrentVersionDays int
	// ColdTierAfterDays moves lake objects to S3 Standard-IA after this many days (≥ 30) and to
	// Glacier Instant Retrieval after twice as many; 0 keeps them in S3 Standard.
	ColdTierAfterDays int
	// AccessLogRetentionDays is how long server access logs are kept; 0 means 90 days.
	AccessLogRetentionDays int
	// ReplicationRegion, when set, receives copies of the lake and backups buckets (prod); it must
	// differ from Region.
	ReplicationRegion string
	// ClusterName is the EKS cluster the Pod Identity associations are created in.
	ClusterName pulumi.StringInput
	// OIDCProviderARN and OIDCIssuerURL, when set, also let each workload's ServiceAccount assume its
	// role through IRSA (web identity), for clients whose AWS SDK predates Pod Identity (Dremio OSS).
	OIDCProviderARN pulumi.StringInput
	OIDCIssuerURL   pulumi.StringInput
	// Access lists the workloads that use the buckets and which ones.
	Access []objectstore.Access
	// ForceDestroy lets `pulumi destroy` delete buckets that still hold objects and versions (outside
	// prod). Off, deleting a non-empty versioned bucket fails (BucketNotEmpty).
	ForceDestroy bool
	// Tags are added to every AWS resource that takes tags.
	Tags map[string]string
	// Protect marks the stateful resources (every bucket, replicas and the access-log bucket
	// included, and the KMS keys that encrypt them) protected: destroy and replacement stop at them.
	// Disposable children (bucket policies, lifecycle and encryption configurations, replication,
	// IAM roles, Pod Identity associations…) are never protected.
	Protect bool
}

// ObjectStore is the S3 object store component.
type ObjectStore struct {
	pulumi.ResourceState

	// Info is what the workloads consume.
	Info objectstore.Info
	// KMSKeyARN is the key encrypting every bucket (except the access-log bucket, which S3 server
	// access logging requires to use SSE-S3).
	KMSKeyARN pulumi.StringOutput
	// BucketARNs maps each role to its bucket's ARN.
	BucketARNs map[objectstore.Bucket]pulumi.StringOutput
}

var (
	prefixRE   = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)
	regionRE   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	k8sLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	k8sNameRE  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
)

// bucketName is the physical name of a bucket role; replicas carry "-dr" after the role.
func bucketName(prefix, role string) string {
	return prefix + "-" + role
}

// longestRole is the longest role a bucket name is built from, replicas and the log bucket included.
func longestRole() string {
	longest := "logs"
	for _, b := range objectstore.Buckets {
		if r := string(b) + "-dr"; len(r) > len(longest) {
			longest = r
		}
	}
	return longest
}

func (a *ObjectStoreArgs) validate() error {
	if a == nil {
		return fmt.Errorf("s3: args is nil; pass an *ObjectStoreArgs")
	}
	maxPrefix := 63 - len("-") - len(longestRole())
	if !prefixRE.MatchString(a.NamePrefix) || len(a.NamePrefix) > maxPrefix || strings.Contains(a.NamePrefix, "--") ||
		strings.HasPrefix(a.NamePrefix, "xn--") || strings.HasPrefix(a.NamePrefix, "sthree-") || strings.HasPrefix(a.NamePrefix, "amzn-s3-demo-") {
		return fmt.Errorf("s3: NamePrefix = %q; must be 1–%d lower-case letters, digits and single hyphens, starting and ending with a letter or digit (bucket names are \"<prefix>-<role>\", at most 63 characters)", a.NamePrefix, maxPrefix)
	}
	if !regionRE.MatchString(a.Region) {
		return fmt.Errorf("s3: Region = %q; must be an AWS region such as \"eu-north-1\"", a.Region)
	}
	if a.NoncurrentVersionDays < 1 {
		return fmt.Errorf("s3: NoncurrentVersionDays = %d; must be ≥ 1", a.NoncurrentVersionDays)
	}
	if a.ColdTierAfterDays != 0 && a.ColdTierAfterDays < 30 {
		return fmt.Errorf("s3: ColdTierAfterDays = %d; must be 0 (off) or ≥ 30 (S3 Standard-IA accepts objects 30 days old or more)", a.ColdTierAfterDays)
	}
	if a.AccessLogRetentionDays < 0 {
		return fmt.Errorf("s3: AccessLogRetentionDays = %d; must be 0 (90 days) or positive", a.AccessLogRetentionDays)
	}
	if a.ReplicationRegion != "" {
		switch {
		case !regionRE.MatchString(a.ReplicationRegion):
			return fmt.Errorf("s3: ReplicationRegion = %q; must be empty or an AWS region such as \"eu-west-1\"", a.ReplicationRegion)
		case a.ReplicationRegion == a.Region:
			return fmt.Errorf("s3: ReplicationRegion = %q is Region; pick another region or leave it empty", a.ReplicationRegion)
		case !a.Versioning:
			return fmt.Errorf("s3: ReplicationRegion = %q with Versioning = false; S3 replication needs versioned buckets", a.ReplicationRegion)
		}
	}
	if a.ClusterName == nil && len(a.Access) > 0 {
		return fmt.Errorf("s3: ClusterName is nil; pass the EKS cluster name the Pod Identity associations are created in")
	}
	workloads := map[string]bool{}
	for i, acc := range a.Access {
		switch {
		case !k8sLabelRE.MatchString(acc.Workload):
			return fmt.Errorf("s3: Access[%d].Workload = %q; must be a short lower-case name such as \"dremio\"", i, acc.Workload)
		case workloads[acc.Workload]:
			return fmt.Errorf("s3: Access[%d].Workload = %q appears twice; one entry per workload", i, acc.Workload)
		case !k8sLabelRE.MatchString(acc.Namespace):
			return fmt.Errorf("s3: Access[%d].Namespace = %q; must be a Kubernetes namespace name", i, acc.Namespace)
		case !k8sNameRE.MatchString(acc.ServiceAccount):
			return fmt.Errorf("s3: Access[%d].ServiceAccount = %q; must be a Kubernetes ServiceAccount name", i, acc.ServiceAccount)
		case len(acc.Buckets) == 0:
			return fmt.Errorf("s3: Access[%d].Buckets is empty; list the buckets %s uses", i, acc.Workload)
		case acc.Prefix != "" && !prefixLabelRE.MatchString(acc.Prefix):
			return fmt.Errorf("s3: Access[%d] (%s).Prefix = %q; must be 1–63 lower-case letters, digits and '-'", i, acc.Workload, acc.Prefix)
		case acc.StaticCredential:
			return fmt.Errorf("s3: Access[%d] (%s) sets StaticCredential; S3 mints no static keys: EKS Pod Identity serves every AWS client, so %s's AWS SDK gets its role without one", i, acc.Workload, acc.Workload)
		}
		workloads[acc.Workload] = true
		seen := map[objectstore.Bucket]bool{}
		for _, b := range acc.Buckets {
			if !slices.Contains(objectstore.Buckets, b) || seen[b] {
				return fmt.Errorf("s3: Access[%d].Buckets has %q; allowed, once each: %v", i, b, objectstore.Buckets)
			}
			seen[b] = true
		}
	}
	for k := range a.Tags {
		if k == "" || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return fmt.Errorf("s3: Tags key %q; must be non-empty and must not start with the reserved prefix \"aws:\"", k)
		}
	}
	return nil
}

// builder holds what the steps of NewObjectStore share.
type builder struct {
	ctx                        *pulumi.Context
	name                       string
	args                       *ObjectStoreArgs
	parent                     pulumi.ResourceOrInvokeOption
	account, partition, region string
}

func (b *builder) tags(resourceName string) pulumi.StringMap {
	m := pulumi.ToStringMap(b.args.Tags)
	m["Name"] = pulumi.String(resourceName)
	return m
}

func (b *builder) bucketARN(bucket string) string {
	return fmt.Sprintf("arn:%s:s3:::%s", b.partition, bucket)
}

// bucket is one bucket with the resources whatever configures it later must wait for.
type bucket struct {
	name       string
	resource   *s3.BucketV2
	versioning *s3.BucketVersioningV2
	// ready are the bucket's controls (public access block, ownership, encryption, policy).
	ready []pulumi.Resource
}

// bucketSpec says how to create one bucket.
type bucketSpec struct {
	suffix, physical string
	opts             []pulumi.ResourceOption
	// sse is the default encryption: a KMS key ARN, or nil for SSE-S3.
	sse pulumi.StringInput
	// versioning is the versioning status.
	versioning string
	// policy are statements added to the TLS-only statements of the bucket policy.
	policy []statement
	// rules are the lifecycle rules.
	rules s3.BucketLifecycleConfigurationV2RuleArray
}

// newBucket creates a private, owner-enforced, encrypted, TLS-only bucket with its versioning and
// lifecycle configuration.
func (b *builder) newBucket(spec bucketSpec) (*bucket, error) {
	ctx, rn := b.ctx, b.name+"-"+spec.suffix
	opts := append([]pulumi.ResourceOption{b.parent}, spec.opts...)
	res, err := s3.NewBucketV2(ctx, rn, &s3.BucketV2Args{
		Bucket: pulumi.String(spec.physical),
		// pulumi-aws@v6.83.4 s3/bucketV2.go forceDestroy: "all objects (including any locked objects)
		// should be deleted from the bucket when the bucket is destroyed".
		ForceDestroy: pulumi.Bool(b.args.ForceDestroy),
		Tags:         b.tags(spec.physical),
	}, append(opts, pulumi.Protect(b.args.Protect))...)
	if err != nil {
		return nil, err
	}
	out := &bucket{name: spec.physical, resource: res}
	pab, err := s3.NewBucketPublicAccessBlock(ctx, rn+"-public-access-block", &s3.BucketPublicAccessBlockArgs{
		Bucket:                res.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, opts...)
	if err != nil {
		return nil, err
	}
	// ACLs are off: the bucket owner owns every object, and access is granted by policies only.
	ownership, err := s3.NewBucketOwnershipControls(ctx, rn+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: res.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, opts...)
	if err != nil {
		return nil, err
	}
	byDefault := &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{SseAlgorithm: pulumi.String("AES256")}
	var bucketKey pulumi.BoolPtrInput
	if spec.sse != nil {
		byDefault = &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
			SseAlgorithm: pulumi.String("aws:kms"), KmsMasterKeyId: spec.sse,
		}
		bucketKey = pulumi.Bool(true) // one data key per bucket instead of a KMS call per object
	}
	sse, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, rn+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: res.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: byDefault,
			BucketKeyEnabled:                   bucketKey,
		}},
	}, opts...)
	if err != nil {
		return nil, err
	}
	out.versioning, err = s3.NewBucketVersioningV2(ctx, rn+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  res.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String(spec.versioning)},
	}, opts...)
	if err != nil {
		return nil, err
	}
	arn := b.bucketARN(spec.physical)
	doc, err := json.Marshal(policyDocument{Version: "2012-10-17", Statement: append(tlsOnly(arn), spec.policy...)})
	if err != nil {
		return nil, err
	}
	// After the public access block, so the policy is never judged against a bucket without it.
	policy, err := s3.NewBucketPolicy(ctx, rn+"-policy", &s3.BucketPolicyArgs{
		Bucket: res.ID(),
		Policy: pulumi.String(string(doc)),
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{pab}))...)
	if err != nil {
		return nil, err
	}
	// Noncurrent-version rules need versioning configured first.
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, rn+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: res.ID(),
		Rules:  spec.rules,
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{out.versioning}))...); err != nil {
		return nil, err
	}
	out.ready = []pulumi.Resource{pab, ownership, sse, policy, out.versioning}
	return out, nil
}

// tlsOnly denies every request made over plain HTTP or TLS older than 1.2.
func tlsOnly(arn string) []statement {
	resources := []string{arn, arn + "/*"}
	return []statement{
		{
			Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: []string{"s3:*"}, Resource: resources,
			Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
		},
		{
			Sid: "DenyOutdatedTLS", Effect: "Deny", Principal: "*", Action: []string{"s3:*"}, Resource: resources,
			Condition: map[string]map[string]any{"NumericLessThan": {"s3:TlsVersion": "1.2"}},
		},
	}
}

// baseRules are every data bucket's lifecycle rules: previous versions expire, delete markers left
// without versions go, and abandoned multipart uploads are aborted.
func baseRules(noncurrentDays int) s3.BucketLifecycleConfigurationV2RuleArray {
	all := &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")}
	return s3.BucketLifecycleConfigurationV2RuleArray{
		&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id: pulumi.String("expire-noncurrent-versions"), Status: pulumi.String("Enabled"), Filter: all,
			NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{NoncurrentDays: pulumi.Int(noncurrentDays)},
			Expiration:                  &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{ExpiredObjectDeleteMarker: pulumi.Bool(true)},
		},
		&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id: pulumi.String("abort-incomplete-multipart-uploads"), Status: pulumi.String("Enabled"), Filter: all,
			AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(abortMultipartDays)},
		},
	}
}

// coldTierRule moves lake objects to Standard-IA, then Glacier Instant Retrieval, which still
// serves reads in milliseconds, so Dremio can query old partitions without a restore.
func coldTierRule(days int) *s3.BucketLifecycleConfigurationV2RuleArgs {
	return &s3.BucketLifecycleConfigurationV2RuleArgs{
		Id: pulumi.String("cold-tier"), Status: pulumi.String("Enabled"),
		Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
		Transitions: s3.BucketLifecycleConfigurationV2RuleTransitionArray{
			&s3.BucketLifecycleConfigurationV2RuleTransitionArgs{Days: pulumi.Int(days), StorageClass: pulumi.String("STANDARD_IA")},
			&s3.BucketLifecycleConfigurationV2RuleTransitionArgs{Days: pulumi.Int(2 * days), StorageClass: pulumi.String("GLACIER_IR")},
		},
	}
}

// NewObjectStore creates the buckets, their replication and the workloads' identities.
func NewObjectStore(ctx *pulumi.Context, name string, args *ObjectStoreArgs, opts ...pulumi.ResourceOption) (*ObjectStore, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &ObjectStore{BucketARNs: map[objectstore.Bucket]pulumi.StringOutput{}}
	access := pulumi.Array{}
	for _, a := range args.Access {
		buckets := pulumi.StringArray{}
		for _, bk := range a.Buckets {
			buckets = append(buckets, pulumi.String(string(bk)))
		}
		access = append(access, pulumi.Map{
			"workload": pulumi.String(a.Workload), "namespace": pulumi.String(a.Namespace),
			"serviceAccount": pulumi.String(a.ServiceAccount), "buckets": buckets,
		})
	}
	props := pulumi.Map{
		"namePrefix":             pulumi.String(args.NamePrefix),
		"region":                 pulumi.String(args.Region),
		"versioning":             pulumi.Bool(args.Versioning),
		"noncurrentVersionDays":  pulumi.Int(args.NoncurrentVersionDays),
		"coldTierAfterDays":      pulumi.Int(args.ColdTierAfterDays),
		"accessLogRetentionDays": pulumi.Int(args.AccessLogRetentionDays),
		"replicationRegion":      pulumi.String(args.ReplicationRegion),
		"forceDestroy":           pulumi.Bool(args.ForceDestroy),
		"protect":                pulumi.Bool(args.Protect),
		"access":                 access,
		"tags":                   pulumi.ToStringMap(args.Tags),
	}
	if args.ClusterName != nil {
		props["clusterName"] = args.ClusterName
	}
	if err := ctx.RegisterComponentResourceV2(ObjectStoreType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, args: args, parent: pulumi.Parent(comp)}
	if err := b.lookups(); err != nil {
		return nil, err
	}

	key, err := b.key("kms", "S3 buckets "+args.NamePrefix+"-*", nil)
	if err != nil {
		return nil, err
	}
	versioning := "Suspended"
	if args.Versioning {
		versioning = "Enabled"
	}

	buckets := map[objectstore.Bucket]*bucket{}
	names := map[objectstore.Bucket]pulumi.StringOutput{}
	var sourceARNs []string
	for _, role := range objectstore.Buckets {
		sourceARNs = append(sourceARNs, b.bucketARN(bucketName(args.NamePrefix, string(role))))
	}
	logs, err := b.logBucket(sourceARNs)
	if err != nil {
		return nil, err
	}
	for _, role := range objectstore.Buckets {
		rules := baseRules(args.NoncurrentVersionDays)
		if role == objectstore.Lake && args.ColdTierAfterDays > 0 {
			rules = append(rules, coldTierRule(args.ColdTierAfterDays))
		}
		bk, err := b.newBucket(bucketSpec{
			suffix: string(role), physical: bucketName(args.NamePrefix, string(role)),
			sse: key.Arn, versioning: versioning, rules: rules,
		})
		if err != nil {
			return nil, err
		}
		if _, err := s3.NewBucketLoggingV2(ctx, name+"-"+string(role)+"-logging", &s3.BucketLoggingV2Args{
			Bucket:       bk.resource.ID(),
			TargetBucket: logs.resource.ID(),
			TargetPrefix: pulumi.String(string(role) + "/"),
		}, b.parent, pulumi.DependsOn(logs.ready)); err != nil {
			return nil, err
		}
		buckets[role] = bk
		names[role] = bk.resource.Bucket
		comp.BucketARNs[role] = bk.resource.Arn
	}

	if args.ReplicationRegion != "" {
		if err := b.replicate(buckets, key); err != nil {
			return nil, err
		}
	}

	identities := map[string]objectstore.Identity{}
	for _, a := range args.Access {
		principal, ready, err := b.podIdentity(a, key.Arn, buckets)
		if err != nil {
			return nil, err
		}
		identities[a.Workload] = objectstore.Identity{
			ServiceAccountAnnotations: pulumi.StringMap{}.ToStringMapOutput(), // Pod Identity binds by name
			Principal:                 principal,
			CredentialsSecret:         pulumi.String("").ToStringOutput(),
			Ready:                     ready,
		}
	}

	comp.KMSKeyARN = key.Arn
	comp.Info = objectstore.Info{
		Kind:        objectstore.S3,
		Region:      args.Region,
		Endpoint:    pulumi.String("https://s3." + args.Region + ".amazonaws.com").ToStringOutput(),
		PathStyle:   false,
		Account:     pulumi.String("").ToStringOutput(),
		BucketNames: names,
		Identities:  identities,
		CABundle:    pulumi.String("").ToStringOutput(),
	}
	outBuckets, outARNs, outPrincipals := pulumi.StringMap{}, pulumi.StringMap{}, pulumi.StringMap{}
	for role, n := range names {
		outBuckets[string(role)] = n
		outARNs[string(role)] = comp.BucketARNs[role]
	}
	for w, id := range identities {
		outPrincipals[w] = id.Principal
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"endpoint":     comp.Info.Endpoint,
		"bucketNames":  outBuckets,
		"bucketArns":   outARNs,
		"kmsKeyArn":    comp.KMSKeyARN,
		"principals":   outPrincipals,
		"accessLogsTo": logs.resource.Bucket,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// lookups reads the account (bucket names, trust conditions) and partition, and checks Region.
func (b *builder) lookups() error {
	id, err := aws.GetCallerIdentity(b.ctx, nil, b.parent)
	if err != nil {
		return fmt.Errorf("s3: reading the account: %w", err)
	}
	part, err := aws.GetPartition(b.ctx, nil, b.parent)
	if err != nil {
		return fmt.Errorf("s3: reading the partition: %w", err)
	}
	region, err := aws.GetRegion(b.ctx, nil, b.parent)
	if err != nil {
		return fmt.Errorf("s3: reading the region: %w", err)
	}
	if region.Name != b.args.Region {
		return fmt.Errorf("s3: Region = %q but the AWS provider deploys to %q; the endpoint would point at the wrong region", b.args.Region, region.Name)
	}
	if len(id.AccountId) != accountIDLength {
		return fmt.Errorf("s3: the account ID %q is not %d digits; bucket names would not fit", id.AccountId, accountIDLength)
	}
	b.account, b.partition, b.region = id.AccountId, part.Partition, region.Name
	return nil
}

// key creates a customer-managed KMS key with rotation and an alias.
func (b *builder) key(suffix, what string, opts []pulumi.ResourceOption) (*kms.Key, error) {
	rn := b.name + "-" + suffix
	all := append([]pulumi.ResourceOption{b.parent}, opts...)
	key, err := kms.NewKey(b.ctx, rn, &kms.KeyArgs{
		Description:          pulumi.String("Server-side encryption of " + what),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30), // the longest window: without the key, the objects are lost
		Tags:                 b.tags(rn),
	}, append(all, pulumi.Protect(b.args.Protect))...)
	if err != nil {
		return nil, err
	}
	alias := "alias/s3/" + b.args.NamePrefix
	if suffix != "kms" {
		alias += "-" + strings.TrimSuffix(suffix, "-kms")
	}
	if _, err := kms.NewAlias(b.ctx, rn+"-alias", &kms.AliasArgs{Name: pulumi.String(alias), TargetKeyId: key.KeyId}, all...); err != nil {
		return nil, err
	}
	return key, nil
}

// logBucket creates the bucket the others write server access logs to. S3 server access logging
// only delivers to buckets with SSE-S3 default encryption, and only through a bucket policy for the
// logging service when ACLs are disabled.
func (b *builder) logBucket(sourceARNs []string) (*bucket, error) {
	physical := bucketName(b.args.NamePrefix, "logs")
	days := b.args.AccessLogRetentionDays
	if days == 0 {
		days = defaultAccessLogDays
	}
	all := &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")}
	rules := s3.BucketLifecycleConfigurationV2RuleArray{
		&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id: pulumi.String("expire-logs"), Status: pulumi.String("Enabled"), Filter: all,
			Expiration:                  &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(days)},
			NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{NoncurrentDays: pulumi.Int(1)},
		},
		&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id: pulumi.String("abort-incomplete-multipart-uploads"), Status: pulumi.String("Enabled"), Filter: all,
			AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(abortMultipartDays)},
		},
	}
	deliver := statement{
		Sid: "S3ServerAccessLogsDelivery", Effect: "Allow",
		Principal: map[string]any{"Service": "logging.s3.amazonaws.com"},
		Action:    []string{"s3:PutObject"},
		Resource:  []string{b.bucketARN(physical) + "/*"},
		Condition: map[string]map[string]any{
			"ArnLike":      {"aws:SourceArn": sourceARNs},
			"StringEquals": {"aws:SourceAccount": b.account},
		},
	}
	// Versioned like every bucket, so a deleted log can be recovered for a day.
	return b.newBucket(bucketSpec{suffix: "logs", physical: physical, versioning: "Enabled", policy: []statement{deliver}, rules: rules})
}

// replicate copies the lake and backups buckets to ReplicationRegion, encrypted with a key there.
func (b *builder) replicate(buckets map[objectstore.Bucket]*bucket, key *kms.Key) error {
	ctx, name, args := b.ctx, b.name, b.args
	provider, err := aws.NewProvider(ctx, name+"-replica", &aws.ProviderArgs{Region: pulumi.String(args.ReplicationRegion)}, b.parent)
	if err != nil {
		return err
	}
	inReplica := []pulumi.ResourceOption{pulumi.Provider(provider)}
	replicaKey, err := b.key("replica-kms", "S3 replicas "+args.NamePrefix+"-*-dr", inReplica)
	if err != nil {
		return err
	}
	dests := map[objectstore.Bucket]*bucket{}
	var srcARNs, dstARNs []string
	for _, role := range replicated {
		rules := baseRules(args.NoncurrentVersionDays)
		dst, err := b.newBucket(bucketSpec{
			suffix: string(role) + "-replica", physical: bucketName(args.NamePrefix, string(role)+"-dr"),
			opts: inReplica, sse: replicaKey.Arn, versioning: "Enabled", rules: rules,
		})
		if err != nil {
			return err
		}
		dests[role] = dst
		srcARNs = append(srcARNs, b.bucketARN(buckets[role].name))
		dstARNs = append(dstARNs, b.bucketARN(dst.name))
	}

	trust, err := json.Marshal(policyDocument{Version: "2012-10-17", Statement: []statement{{
		Effect: "Allow", Principal: map[string]any{"Service": "s3.amazonaws.com"}, Action: []string{"sts:AssumeRole"},
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": b.account}},
	}}})
	if err != nil {
		return err
	}
	role, err := iam.NewRole(ctx, name+"-replication-role", &iam.RoleArgs{
		Description:      pulumi.String("S3 replication of " + args.NamePrefix + " lake and backups to " + args.ReplicationRegion),
		AssumeRolePolicy: pulumi.String(string(trust)),
		Tags:             b.tags(name + "-replication-role"),
	}, b.parent)
	if err != nil {
		return err
	}
	policyJSON := pulumi.All(key.Arn, replicaKey.Arn).ApplyT(func(keys []any) (string, error) {
		doc, err := json.Marshal(replicationPolicy(srcARNs, dstARNs, keys[0].(string), keys[1].(string), b.region, args.ReplicationRegion))
		return string(doc), err
	}).(pulumi.StringOutput)
	policy, err := iam.NewRolePolicy(ctx, name+"-replication-policy", &iam.RolePolicyArgs{Role: role.ID(), Policy: policyJSON}, b.parent)
	if err != nil {
		return err
	}

	for _, r := range replicated {
		src, dst := buckets[r], dests[r]
		deps := append(append([]pulumi.Resource{policy}, src.ready...), dst.ready...)
		_, err := s3.NewBucketReplicationConfig(ctx, name+"-"+string(r)+"-replication", &s3.BucketReplicationConfigArgs{
			Bucket: src.resource.ID(),
			Role:   role.Arn,
			Rules: s3.BucketReplicationConfigRuleArray{&s3.BucketReplicationConfigRuleArgs{
				Id:       pulumi.String("to-" + args.ReplicationRegion),
				Status:   pulumi.String("Enabled"),
				Priority: pulumi.Int(1),
				Filter:   &s3.BucketReplicationConfigRuleFilterArgs{Prefix: pulumi.String("")},
				// Deletions are replicated as delete markers; the versions they hide stay in the replica.
				DeleteMarkerReplication: &s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs{Status: pulumi.String("Enabled")},
				SourceSelectionCriteria: &s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs{
					SseKmsEncryptedObjects: &s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs{Status: pulumi.String("Enabled")},
				},
				Destination: &s3.BucketReplicationConfigRuleDestinationArgs{
					Bucket:                  dst.resource.Arn,
					StorageClass:            pulumi.String("STANDARD_IA"), // read only in a disaster
					EncryptionConfiguration: &s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs{ReplicaKmsKeyId: replicaKey.Arn},
					// Replication Time Control: 99.99 % of objects within 15 minutes, prod's RPO.
					ReplicationTime: &s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs{
						Status: pulumi.String("Enabled"),
						Time:   &s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs{Minutes: pulumi.Int(replicationMinutes)},
					},
					Metrics: &s3.BucketReplicationConfigRuleDestinationMetricsArgs{
						Status:         pulumi.String("Enabled"),
						EventThreshold: &s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs{Minutes: pulumi.Int(replicationMinutes)},
					},
				},
			}},
		}, b.parent, pulumi.DependsOn(deps))
		if err != nil {
			return err
		}
	}
	return nil
}

// replicationPolicy lets S3 read the source buckets' versions and write them, re-encrypted, to the
// replicas: nothing else.
func replicationPolicy(srcARNs, dstARNs []string, srcKey, dstKey, srcRegion, dstRegion string) policyDocument {
	objects := func(arns []string) []string {
		out := make([]string, len(arns))
		for i, a := range arns {
			out[i] = a + "/*"
		}
		return out
	}
	return policyDocument{Version: "2012-10-17", Statement: []statement{
		{Sid: "SourceBuckets", Effect: "Allow", Action: []string{"s3:GetReplicationConfiguration", "s3:ListBucket"}, Resource: srcARNs},
		{Sid: "SourceObjects", Effect: "Allow", Action: []string{"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"}, Resource: objects(srcARNs)},
		{Sid: "ReplicaObjects", Effect: "Allow", Action: []string{"s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"}, Resource: objects(dstARNs)},
		{
			Sid: "DecryptSource", Effect: "Allow", Action: []string{"kms:Decrypt"}, Resource: []string{srcKey},
			Condition: map[string]map[string]any{"StringEquals": {"kms:ViaService": "s3." + srcRegion + ".amazonaws.com"}},
		},
		{
			Sid: "EncryptReplica", Effect: "Allow", Action: []string{"kms:Encrypt", "kms:GenerateDataKey"}, Resource: []string{dstKey},
			Condition: map[string]map[string]any{"StringEquals": {"kms:ViaService": "s3." + dstRegion + ".amazonaws.com"}},
		},
	}}
}

// podIdentity creates a workload's role, allowed exactly its buckets and the key, and binds it to
// the workload's ServiceAccount. The returned principal resolves once the permissions and the
// association exist, so a workload that waits for it starts with working credentials.
func (b *builder) podIdentity(a objectstore.Access, keyARN pulumi.StringOutput, buckets map[objectstore.Bucket]*bucket) (pulumi.StringOutput, []pulumi.Resource, error) {
	ctx, rn := b.ctx, b.name+"-"+a.Workload
	// Pod Identity tags the session with the cluster, namespace and ServiceAccount: only that
	// ServiceAccount of that cluster, in this account, can use the role.
	oidcARN, oidcIssuer := pulumi.String("").ToStringOutput(), pulumi.String("").ToStringOutput()
	if b.args.OIDCProviderARN != nil && b.args.OIDCIssuerURL != nil {
		oidcARN, oidcIssuer = b.args.OIDCProviderARN.ToStringOutput(), b.args.OIDCIssuerURL.ToStringOutput()
	}
	trust := pulumi.All(b.args.ClusterName.ToStringOutput(), oidcARN, oidcIssuer).ApplyT(func(v []any) (string, error) {
		cluster, providerARN, issuer := v[0].(string), v[1].(string), v[2].(string)
		statements := []statement{{
			Effect:    "Allow",
			Principal: map[string]any{"Service": "pods.eks.amazonaws.com"},
			Action:    []string{"sts:AssumeRole", "sts:TagSession"},
			Condition: map[string]map[string]any{"StringEquals": {
				"aws:SourceAccount":                         b.account,
				"aws:RequestTag/eks-cluster-name":           cluster,
				"aws:RequestTag/kubernetes-namespace":       a.Namespace,
				"aws:RequestTag/kubernetes-service-account": a.ServiceAccount,
			}},
		}}
		if providerARN != "" {
			host := strings.TrimPrefix(issuer, "https://")
			statements = append(statements, statement{
				Effect:    "Allow",
				Principal: map[string]any{"Federated": providerARN},
				Action:    []string{"sts:AssumeRoleWithWebIdentity"},
				Condition: map[string]map[string]any{"StringEquals": {
					host + ":sub": "system:serviceaccount:" + a.Namespace + ":" + a.ServiceAccount,
					host + ":aud": "sts.amazonaws.com",
				}},
			})
		}
		doc, err := json.Marshal(policyDocument{Version: "2012-10-17", Statement: statements})
		return string(doc), err
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, rn+"-role", &iam.RoleArgs{
		Description:      pulumi.String(fmt.Sprintf("%s (%s/%s) on the %s S3 buckets, through EKS Pod Identity", a.Workload, a.Namespace, a.ServiceAccount, b.args.NamePrefix)),
		AssumeRolePolicy: trust,
		Tags:             b.tags(rn + "-role"),
	}, b.parent)
	if err != nil {
		return pulumi.StringOutput{}, nil, err
	}
	var bucketARNs []string
	for _, bk := range a.Buckets {
		bucketARNs = append(bucketARNs, b.bucketARN(buckets[bk].name))
	}
	policyJSON := keyARN.ApplyT(func(key string) (string, error) {
		doc, err := json.Marshal(workloadPolicy(bucketARNs, key, a.Prefix))
		return string(doc), err
	}).(pulumi.StringOutput)
	policy, err := iam.NewRolePolicy(ctx, rn+"-policy", &iam.RolePolicyArgs{Role: role.ID(), Policy: policyJSON}, b.parent)
	if err != nil {
		return pulumi.StringOutput{}, nil, err
	}
	assoc, err := eks.NewPodIdentityAssociation(ctx, rn+"-pod-identity", &eks.PodIdentityAssociationArgs{
		ClusterName:    b.args.ClusterName,
		Namespace:      pulumi.String(a.Namespace),
		ServiceAccount: pulumi.String(a.ServiceAccount),
		RoleArn:        role.Arn,
		Tags:           b.tags(rn + "-pod-identity"),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{policy}))
	if err != nil {
		return pulumi.StringOutput{}, nil, err
	}
	return pulumi.All(role.Arn, assoc.AssociationId).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput), []pulumi.Resource{policy, assoc}, nil
}

// prefixLabelRE is an Access.Prefix: a lower-case DNS label.
var prefixLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// workloadPolicy grants object read/write on exactly the given buckets, and the key operations S3
// performs on the caller's behalf for SSE-KMS. With a prefix, objects only under "<prefix>/" and
// listing only under it: s3:ListBucket conditioned on s3:prefix (AWS Service Authorization
// Reference, Amazon S3: ListBucket supports the s3:prefix condition key; IAM User Guide example
// "Allow users to access only their home folder": StringLike s3:prefix "<folder>/*"). The bucket's
// location and its in-progress multipart uploads stay bucket-wide (listing upload keys, not data).
func workloadPolicy(bucketARNs []string, keyARN, prefix string) policyDocument {
	objects := make([]string, len(bucketARNs))
	for i, a := range bucketARNs {
		objects[i] = a + "/*"
		if prefix != "" {
			objects[i] = a + "/" + prefix + "/*"
		}
	}
	buckets := []statement{{Sid: "Buckets", Effect: "Allow", Action: []string{"s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"}, Resource: bucketARNs}}
	if prefix != "" {
		buckets = []statement{
			{Sid: "ListPrefix", Effect: "Allow", Action: []string{"s3:ListBucket"}, Resource: bucketARNs,
				Condition: map[string]map[string]any{"StringLike": {"s3:prefix": []string{prefix + "/*"}}}},
			{Sid: "Buckets", Effect: "Allow", Action: []string{"s3:GetBucketLocation", "s3:ListBucketMultipartUploads"}, Resource: bucketARNs},
		}
	}
	return policyDocument{Version: "2012-10-17", Statement: append(buckets,
		statement{Sid: "Objects", Effect: "Allow", Action: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}, Resource: objects},
		statement{Sid: "BucketKey", Effect: "Allow", Action: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resource: []string{keyARN}},
	)}
}

// policyDocument is an IAM or bucket policy, marshalled with encoding/json.
type policyDocument struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid    string `json:"Sid,omitempty"`
	Effect string `json:"Effect"`
	// Principal is "*" or a map such as {"Service": "…"}; absent in identity policies.
	Principal any                       `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}
