package artifactregistry

import (
	"testing"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/tests/harness"
	"github.com/opendataplatform/dataplatform/tests/harness/inspect"
)

const (
	repoType = "gcp:artifactregistry/repository:Repository"
	iamType  = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"
)

func args() *RegistryArgs {
	return &RegistryArgs{Project: "proj", Location: "europe-north1", RepositoryID: "dataplatform",
		NodeServiceAccount: pulumi.String("gke-nodes@proj.iam.gserviceaccount.com"), KeepVersions: 15}
}

func run(t *testing.T, preview bool, a *RegistryArgs) (*harness.Mocks, *Registry, error) {
	m := harness.New("dataplatform", "prod", preview)
	var r *Registry
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := gcp.NewProvider(ctx, "gcp", &gcp.ProviderArgs{Project: pulumi.String("proj"), Region: pulumi.String("europe-north1")})
		if err != nil {
			return err
		}
		r, err = NewRegistry(ctx, "registry", a, pulumi.Provider(p))
		return err
	}, nil)
	return m, r, err
}

func TestRepository(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, r, err := run(t, preview, args())
		require.NoError(t, err)
		repo := m.Named(repoType, "registry-repository")
		require.NotNil(t, repo)
		in := repo.Inputs
		assert.Equal(t, "DOCKER", in["format"].StringValue())
		assert.True(t, in["dockerConfig"].ObjectValue()["immutableTags"].BoolValue())
		assert.False(t, in["cleanupPolicyDryRun"].BoolValue())
		policies := map[string]string{}
		keep := 0.0
		for _, p := range in["cleanupPolicies"].ArrayValue() {
			o := p.ObjectValue()
			policies[o["id"].StringValue()] = o["action"].StringValue()
			if mr, ok := o["mostRecentVersions"]; ok {
				keep = mr.ObjectValue()["keepCount"].NumberValue()
			}
		}
		assert.Equal(t, map[string]string{"keep-recent": "KEEP", "delete-untagged": "DELETE", "delete-old": "DELETE"}, policies)
		assert.Equal(t, 15.0, keep)
		iam := m.Named(iamType, "registry-node-reader")
		require.NotNil(t, iam)
		assert.Equal(t, "roles/artifactregistry.reader", iam.Inputs["role"].StringValue())
		assert.True(t, m.DependsOn(iam, repo))
		if !preview {
			assert.Equal(t, "serviceAccount:gke-nodes@proj.iam.gserviceaccount.com", iam.Inputs["member"].StringValue())
			res := inspect.Await(t, r.RepositoryURL)
			assert.Equal(t, "europe-north1-docker.pkg.dev/proj/dataplatform/dbt", res.Value)
		}
	})
}

func TestValidation(t *testing.T) {
	for name, mutate := range map[string]func(a *RegistryArgs){
		"no project":  func(a *RegistryArgs) { a.Project = "" },
		"no location": func(a *RegistryArgs) { a.Location = "" },
		"bad id":      func(a *RegistryArgs) { a.RepositoryID = "Data_Platform" },
		"no nodes":    func(a *RegistryArgs) { a.NodeServiceAccount = nil },
		"keep":        func(a *RegistryArgs) { a.KeepVersions = -3 },
	} {
		a := args()
		mutate(a)
		m, _, err := run(t, false, a)
		assert.Error(t, err, name)
		assert.Empty(t, m.ByType(RegistryType), name)
	}
}
