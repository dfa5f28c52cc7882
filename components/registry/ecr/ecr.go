// Package ecr is the platform's container registry on AWS: an ECR repository with immutable tags,
// scan on push, KMS encryption and a lifecycle policy.
package ecr

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/registry"
)

// RegistryType is the component's type token.
const RegistryType = "dataplatform:aws:Registry"

// RegistryArgs are the inputs of the ECR repository.
type RegistryArgs struct {
	// Name is the repository name ("dataplatform/dbt").
	Name string
	// KMSKeyARN encrypts the images; empty uses the AWS-managed key for ECR (still KMS).
	KMSKeyARN pulumi.StringInput
	// KeepImages is how many images the lifecycle policy keeps (≥ 1; default 30).
	KeepImages int
	// PinnedTags are image tags the lifecycle policy never expires: the tag the platform deploys
	// (config dbt.imageTag). Each is matched exactly (no wildcards).
	PinnedTags []string
	// ForceDelete lets `pulumi destroy` delete the repository with its images (outside prod); off,
	// deleting a repository that holds images fails (RepositoryNotEmptyException).
	ForceDelete bool
	// Tags are added to the repository.
	Tags map[string]string
	// Protect marks the stateful resource (the repository, which holds the images) protected:
	// destroy and replacement stop at it. The lifecycle policy is never protected.
	Protect bool
}

// Registry is the component.
type Registry struct {
	pulumi.ResourceState
	registry.Info
}

var repoName = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)

// LifecyclePolicy keeps every pinned tag, expires untagged images after a week and keeps the newest
// keep images otherwise. ECR evaluates rules by rulePriority, lowest first, and "an image that matches
// the tagging requirements of a rule cannot be expired by a rule with a lower priority" (ECR user
// guide, LifecyclePolicies "Lifecycle policy evaluation rules"); a pinned tag matches rule 1, whose
// count (more than one image with that exact tag) can never be reached because tags are immutable,
// so the pinned image is never expired by the catch-all rule, which must carry the highest number.
func LifecyclePolicy(keep int, pinned []string) (string, error) {
	var rules []any
	for i, tag := range pinned {
		rules = append(rules, map[string]any{
			"rulePriority": i + 1,
			"description":  "never expire the pinned tag " + tag,
			"selection": map[string]any{
				"tagStatus": "tagged", "tagPatternList": []string{tag},
				"countType": "imageCountMoreThan", "countNumber": 1,
			},
			"action": map[string]any{"type": "expire"},
		})
	}
	n := len(pinned)
	rules = append(rules,
		map[string]any{
			"rulePriority": n + 1,
			"description":  "expire untagged images after 7 days",
			"selection":    map[string]any{"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
			"action":       map[string]any{"type": "expire"},
		},
		map[string]any{
			"rulePriority": n + 2,
			"description":  fmt.Sprintf("keep the last %d images", keep),
			"selection":    map[string]any{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
			"action":       map[string]any{"type": "expire"},
		})
	b, err := json.Marshal(map[string]any{"rules": rules})
	return string(b), err
}

// pinnedTagRE is an image tag without the lifecycle pattern wildcard.
var pinnedTagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// NewRegistry creates the repository and its lifecycle policy.
func NewRegistry(ctx *pulumi.Context, name string, args *RegistryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	if args == nil {
		return nil, fmt.Errorf("ecr: args are required")
	}
	a := *args
	if a.KeepImages == 0 {
		a.KeepImages = 30
	}
	if len(a.Name) < 2 || len(a.Name) > 256 || !repoName.MatchString(a.Name) {
		return nil, fmt.Errorf("ecr: Name = %q; must be 2–256 lower-case letters, digits and . _ - /", a.Name)
	}
	if a.KeepImages < 1 {
		return nil, fmt.Errorf("ecr: KeepImages = %d; must be ≥ 1", a.KeepImages)
	}
	for i, tag := range a.PinnedTags {
		if !pinnedTagRE.MatchString(tag) {
			return nil, fmt.Errorf("ecr: PinnedTags[%d] = %q; must be an image tag (letters, digits, _ . -, no wildcard)", i, tag)
		}
	}
	policy, err := LifecyclePolicy(a.KeepImages, a.PinnedTags)
	if err != nil {
		return nil, err
	}
	comp := &Registry{}
	if err := ctx.RegisterComponentResourceV2(RegistryType, name, pulumi.Map{
		"name": pulumi.String(a.Name), "keepImages": pulumi.Int(a.KeepImages), "pinnedTags": pulumi.ToStringArray(a.PinnedTags),
		"forceDelete": pulumi.Bool(a.ForceDelete), "protect": pulumi.Bool(a.Protect),
	}, comp, opts...); err != nil {
		return nil, err
	}
	enc := &ecr.RepositoryEncryptionConfigurationArgs{EncryptionType: pulumi.String("KMS")}
	if a.KMSKeyARN != nil {
		enc.KmsKey = a.KMSKeyARN
	}
	repo, err := ecr.NewRepository(ctx, name+"-repository", &ecr.RepositoryArgs{
		Name: pulumi.String(a.Name),
		// A pushed tag never changes, so a pinned tag in the CronJob means one image.
		ImageTagMutability:         pulumi.String("IMMUTABLE"),
		ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{ScanOnPush: pulumi.Bool(true)},
		EncryptionConfigurations:   ecr.RepositoryEncryptionConfigurationArray{enc},
		// pulumi-aws@v6.83.4 ecr/repository.go forceDelete: delete the repository even if it holds images.
		ForceDelete: pulumi.Bool(a.ForceDelete),
		Tags:        pulumi.ToStringMap(a.Tags),
	}, pulumi.Parent(comp), pulumi.Protect(a.Protect))
	if err != nil {
		return nil, err
	}
	if _, err := ecr.NewLifecyclePolicy(ctx, name+"-lifecycle", &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(policy),
	}, pulumi.Parent(comp)); err != nil {
		return nil, err
	}
	comp.RepositoryURL = repo.RepositoryUrl
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"repositoryURL": comp.RepositoryURL}); err != nil {
		return nil, err
	}
	return comp, nil
}
