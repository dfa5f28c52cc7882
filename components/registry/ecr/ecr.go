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
	// Tags are added to the repository.
	Tags map[string]string
}

// Registry is the component.
type Registry struct {
	pulumi.ResourceState
	registry.Info
}

var repoName = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)

// LifecyclePolicy keeps the newest keep images and expires the rest.
func LifecyclePolicy(keep int) (string, error) {
	policy := map[string]any{"rules": []any{map[string]any{
		"rulePriority": 1,
		"description":  fmt.Sprintf("keep the last %d images", keep),
		"selection":    map[string]any{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
		"action":       map[string]any{"type": "expire"},
	}}}
	b, err := json.Marshal(policy)
	return string(b), err
}

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
	policy, err := LifecyclePolicy(a.KeepImages)
	if err != nil {
		return nil, err
	}
	comp := &Registry{}
	if err := ctx.RegisterComponentResourceV2(RegistryType, name, pulumi.Map{"name": pulumi.String(a.Name), "keepImages": pulumi.Int(a.KeepImages)}, comp, opts...); err != nil {
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
		Tags:                       pulumi.ToStringMap(a.Tags),
	}, pulumi.Parent(comp))
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
