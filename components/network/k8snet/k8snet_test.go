package k8snet

import (
	"sort"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

func netArgs() *NetworkArgs {
	return &NetworkArgs{Namespaces: map[Role]string{Apps: "dataplatform", Data: "dataplatform-data", Jobs: "dataplatform-jobs"}}
}

func runNet(t *testing.T, preview bool, args *NetworkArgs, opts ...pulumi.ResourceOption) (*mockcloud.Mocks, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = NewNetwork(ctx, "platform", args, append([]pulumi.ResourceOption{pulumi.Provider(p)}, opts...)...)
		return err
	}, nil)
	return m, err
}

// TestProtectNamespacesWithVolumes: deleting a namespace deletes its PersistentVolumeClaims, so in
// prod the apps (Dremio, ZooKeeper) and data (PostgreSQL, object store) namespaces are protected;
// the jobs namespace and every policy stay disposable, even under a protected parent.
func TestProtectNamespacesWithVolumes(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := netArgs()
		a.Protect = true
		m, err := runNet(t, preview, a, pulumi.Protect(true))
		inspect.RequireRan(t, preview, err)
		var protected []string
		for _, r := range m.Resources() {
			if r.Custom && r.Protect {
				protected = append(protected, r.Name)
			}
		}
		sort.Strings(protected)
		assert.Equal(t, []string{"platform-apps", "platform-data"}, protected)

		m, err = runNet(t, preview, netArgs())
		inspect.RequireRan(t, preview, err)
		for _, r := range m.Resources() {
			assert.False(t, r.Protect, r.Name)
		}
	})
}

func TestNetworkValidation(t *testing.T) {
	a := netArgs()
	a.Namespaces[Jobs] = "dataplatform"
	_, err := runNet(t, false, a)
	require.ErrorContains(t, err, "each role needs its own namespace")
}
