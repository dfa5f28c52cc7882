package artifactregistry

import (
	"testing"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	repoType = "gcp:artifactregistry/repository:Repository"
	iamType  = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"
)

func args() *RegistryArgs {
	return &RegistryArgs{Project: "proj", Location: "europe-north1", RepositoryID: "dataplatform",
		NodeServiceAccount: pulumi.String("gke-nodes@proj.iam.gserviceaccount.com"), KeepVersions: 15}
}

func run(t *testing.T, preview bool, a *RegistryArgs) (*mockcloud.Mocks, *Registry, error) {
	m := mockcloud.New("dataplatform", "prod", preview)
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

// Issue 9, class 9: the pinned dbt tag is kept by a KEEP policy, which Artifact Registry applies over
// every DELETE policy; without it delete-old removed the running image after 90 days.
func TestPinnedTagIsKept(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := args()
		a.KeepTags = []string{"1.4.2"}
		m, _, err := run(t, preview, a)
		require.NoError(t, err)
		repo := m.Named(repoType, "registry-repository")
		require.NotNil(t, repo)
		var pinned resource.PropertyMap
		for _, p := range repo.Inputs["cleanupPolicies"].ArrayValue() {
			if o := p.ObjectValue(); o["id"].StringValue() == "keep-pinned" {
				pinned = o
			}
		}
		require.NotNil(t, pinned, "a KEEP policy for the pinned tag")
		assert.Equal(t, "KEEP", inspect.Str(pinned, "action"))
		assert.Equal(t, "TAGGED", inspect.Str(pinned, "condition", "tagState"))
		assert.Equal(t, []string{"1.4.2"}, inspect.StringsOf(inspect.At(pinned, "condition", "tagPrefixes")))
		assert.False(t, repo.Inputs["cleanupPolicyDryRun"].BoolValue())
	})
	a := args()
	a.KeepTags = []string{"-latest"}
	_, _, err := run(t, false, a)
	require.ErrorContains(t, err, `KeepTags[0] = "-latest"`)
}

// Issue 9, class 1: the repository (it holds the images) is protected with Protect, the reader
// binding never.
func TestProtectOnlyTheRepository(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		for _, protect := range []bool{true, false} {
			a := args()
			a.Protect = protect
			m, _, err := run(t, preview, a)
			require.NoError(t, err)
			assert.Equal(t, protect, m.Named(repoType, "registry-repository").Protect)
			assert.False(t, m.Named(iamType, "registry-node-reader").Protect)
			assert.False(t, m.Named(RegistryType, "registry").Protect)
		}
	})
}
