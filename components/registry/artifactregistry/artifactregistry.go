// Package artifactregistry is the platform's container registry on Google Cloud: a Docker repository
// in Artifact Registry with immutable tags, cleanup policies and read access for the GKE nodes.
package artifactregistry

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/artifactregistry"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/registry"
)

// RegistryType is the component's type token.
const RegistryType = "dataplatform:gcp:Registry"

// RegistryArgs are the inputs of the repository.
type RegistryArgs struct {
	// Project and Location (region) hold the repository.
	Project  string
	Location string
	// RepositoryID is the repository name (lower-case letters, digits, hyphens).
	RepositoryID string
	// ImageName is the dbt image inside the repository; default "dbt".
	ImageName string
	// NodeServiceAccount is the GKE node service account email; it gets roles/artifactregistry.reader.
	NodeServiceAccount pulumi.StringInput
	// KeepVersions is how many recent versions the cleanup keeps (≥ 1; default 30).
	KeepVersions int
	// KMSKeyName encrypts the repository with a customer-managed key; empty uses Google's keys.
	KMSKeyName pulumi.StringInput
	// Labels are added to the repository.
	Labels map[string]string
	// KeepTags are image tags the cleanup policies never delete, whatever their age or rank: the tag
	// the dbt CronJob runs (config dbt.imageTag). Matched as tag prefixes (the API has no exact match),
	// so "1.0.0" also keeps "1.0.0-rc1"; never the wrong way round.
	KeepTags []string
	// Protect marks the stateful resources (the repository, which holds the images) protected: destroy
	// and replacement stop at it. Disposable children (the reader binding) are never protected.
	// Outside prod `pulumi destroy` deletes the repository with its images: Artifact Registry deletes
	// a repository whatever it holds, no force flag needed.
	Protect bool
}

// Registry is the component.
type Registry struct {
	pulumi.ResourceState
	registry.Info
}

var (
	repoID    = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	dockerTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	imageName = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)
)

// NewRegistry creates the repository, its cleanup policies and the nodes' reader binding.
func NewRegistry(ctx *pulumi.Context, name string, args *RegistryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	if args == nil {
		return nil, fmt.Errorf("artifactregistry: args are required")
	}
	a := *args
	if a.ImageName == "" {
		a.ImageName = "dbt"
	}
	if a.KeepVersions == 0 {
		a.KeepVersions = 30
	}
	switch {
	case a.Project == "":
		return nil, fmt.Errorf("artifactregistry: Project is empty; set the project ID")
	case a.Location == "":
		return nil, fmt.Errorf("artifactregistry: Location is empty; set the region")
	case !repoID.MatchString(a.RepositoryID):
		return nil, fmt.Errorf("artifactregistry: RepositoryID = %q; must be lower-case letters, digits and hyphens, starting with a letter", a.RepositoryID)
	case !imageName.MatchString(a.ImageName):
		return nil, fmt.Errorf("artifactregistry: ImageName = %q; must be lower-case letters, digits and . _ - /", a.ImageName)
	case a.NodeServiceAccount == nil:
		return nil, fmt.Errorf("artifactregistry: NodeServiceAccount is required (the GKE nodes pull the images)")
	case a.KeepVersions < 1:
		return nil, fmt.Errorf("artifactregistry: KeepVersions = %d; must be ≥ 1", a.KeepVersions)
	}
	for i, tag := range a.KeepTags {
		if !dockerTag.MatchString(tag) {
			return nil, fmt.Errorf("artifactregistry: KeepTags[%d] = %q; must be a Docker tag: letters, digits, '_', '.', '-', at most 128 characters, not starting with '.' or '-'", i, tag)
		}
	}
	comp := &Registry{}
	if err := ctx.RegisterComponentResourceV2(RegistryType, name, pulumi.Map{
		"repositoryId": pulumi.String(a.RepositoryID), "location": pulumi.String(a.Location), "keepVersions": pulumi.Int(a.KeepVersions),
		"keepTags": pulumi.ToStringArray(a.KeepTags), "protect": pulumi.Bool(a.Protect),
	}, comp, opts...); err != nil {
		return nil, err
	}
	// Cleanup: KEEP policies win over DELETE policies for a version that matches both ("If an artifact
	// version matches criteria in both a delete policy and a keep policy, Artifact Registry applies the
	// keep policy", Artifact Registry docs, cleanup policy overview). So delete-old removes tagged
	// images after 90 days except the KeepVersions most recent and the pinned KeepTags, which the
	// CronJob pulls; before, a pinned tag older than 90 days and outside the recent window was deleted
	// and the next dbt run failed with ImagePullBackOff.
	// pulumi-gcp@v7.38.0 sdk/go/gcp/artifactregistry/pulumiTypes.go: RepositoryCleanupPolicyCondition
	// {TagState, TagPrefixes, OlderThan}; RepositoryCleanupPolicy{Id, Action KEEP|DELETE, Condition,
	// MostRecentVersions}.
	policies := artifactregistry.RepositoryCleanupPolicyArray{
		&artifactregistry.RepositoryCleanupPolicyArgs{
			Id:     pulumi.String("keep-recent"),
			Action: pulumi.String("KEEP"),
			MostRecentVersions: &artifactregistry.RepositoryCleanupPolicyMostRecentVersionsArgs{
				KeepCount: pulumi.Int(a.KeepVersions),
			},
		},
	}
	if len(a.KeepTags) > 0 {
		policies = append(policies, &artifactregistry.RepositoryCleanupPolicyArgs{
			Id:        pulumi.String("keep-pinned"),
			Action:    pulumi.String("KEEP"),
			Condition: &artifactregistry.RepositoryCleanupPolicyConditionArgs{TagState: pulumi.String("TAGGED"), TagPrefixes: pulumi.ToStringArray(a.KeepTags)},
		})
	}
	policies = append(policies,
		&artifactregistry.RepositoryCleanupPolicyArgs{
			Id:        pulumi.String("delete-untagged"),
			Action:    pulumi.String("DELETE"),
			Condition: &artifactregistry.RepositoryCleanupPolicyConditionArgs{TagState: pulumi.String("UNTAGGED"), OlderThan: pulumi.String("604800s")},
		},
		&artifactregistry.RepositoryCleanupPolicyArgs{
			Id:        pulumi.String("delete-old"),
			Action:    pulumi.String("DELETE"),
			Condition: &artifactregistry.RepositoryCleanupPolicyConditionArgs{TagState: pulumi.String("ANY"), OlderThan: pulumi.String("7776000s")},
		},
	)
	repoArgs := &artifactregistry.RepositoryArgs{
		Project:      pulumi.String(a.Project),
		Location:     pulumi.String(a.Location),
		RepositoryId: pulumi.String(a.RepositoryID),
		Format:       pulumi.String("DOCKER"),
		Description:  pulumi.String("dbt project images of the data platform"),
		// A pushed tag never changes, so a pinned tag in the CronJob means one image.
		DockerConfig:    &artifactregistry.RepositoryDockerConfigArgs{ImmutableTags: pulumi.Bool(true)},
		CleanupPolicies: policies,
		// Policies act (not a dry run): the KEEP rules above are what protect the running image.
		CleanupPolicyDryRun: pulumi.Bool(false),
		Labels:              pulumi.ToStringMap(a.Labels),
	}
	if a.KMSKeyName != nil {
		repoArgs.KmsKeyName = a.KMSKeyName
	}
	repo, err := artifactregistry.NewRepository(ctx, name+"-repository", repoArgs, pulumi.Parent(comp), pulumi.Protect(a.Protect))
	if err != nil {
		return nil, err
	}
	if _, err := artifactregistry.NewRepositoryIamMember(ctx, name+"-node-reader", &artifactregistry.RepositoryIamMemberArgs{
		Project:    pulumi.String(a.Project),
		Location:   pulumi.String(a.Location),
		Repository: repo.RepositoryId,
		Role:       pulumi.String("roles/artifactregistry.reader"),
		Member:     pulumi.Sprintf("serviceAccount:%s", a.NodeServiceAccount),
	}, pulumi.Parent(comp), pulumi.Protect(false)); err != nil {
		return nil, err
	}
	comp.RepositoryURL = pulumi.Sprintf("%s-docker.pkg.dev/%s/%s/%s", a.Location, a.Project, repo.RepositoryId, a.ImageName)
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"repositoryURL": comp.RepositoryURL}); err != nil {
		return nil, err
	}
	return comp, nil
}
