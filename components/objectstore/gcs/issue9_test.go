package gcs

import (
	"testing"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/container"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 9, class 1: Protect reaches exactly the buckets, key rings and bucket keys; service accounts,
// IAM members and service account keys stay unprotected even when the component itself is protected
// by an option.
func TestProtectOnlyStatefulLeaves(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		for _, protect := range []bool{true, false} {
			args := prodArgs()
			args.Protect = protect
			args.Access[1].StaticCredential = true // a key too
			m, _, err := run(t, preview, args)
			require.NoError(t, err)
			for _, r := range m.Resources() {
				if r.Type == ObjectStoreType || r.Type == tGCPProvider || r.Parent == "" {
					continue
				}
				stateful := r.Type == tBucket || r.Type == tKeyRing || r.Type == tCryptoKey
				assert.Equal(t, protect && stateful, r.Protect, "%s (%s)", r.Name, r.Type)
			}
		}
	})
}

// Issue 9, class 3: with BucketPrefix (the stack's global name, carrying a per-project suffix) the
// buckets are "<prefix>-<role>", so two projects deploying the same stack get different names and a
// configured suffix wins.
func TestBucketPrefix(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		names := map[string]bool{}
		for _, prefix := range []string{"dataplatform-prod-1a2b3c", "dataplatform-prod-9f8e7d"} {
			args := prodArgs()
			args.BucketPrefix = prefix
			m, s, err := run(t, preview, args)
			require.NoError(t, err)
			for role, b := range buckets(t, m) {
				n := inspect.Str(b.Inputs, "name")
				assert.Equal(t, prefix+"-"+string(role), n)
				assert.False(t, names[n], "bucket name %s reused", n)
				names[n] = true
				assert.Equal(t, n, inspect.Await(t, s.Info.BucketNames[role]).Value)
			}
		}
	})
}

// Issue 9, class 9: outside prod, versioned buckets are force-destroyed so `pulumi destroy` can
// delete their noncurrent versions; prod keeps forceDestroy false.
func TestForceDestroyOutsideProd(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		for _, force := range []bool{true, false} {
			args := devArgs()
			args.ForceDestroy = force
			m, _, err := run(t, preview, args)
			require.NoError(t, err)
			for role, b := range buckets(t, m) {
				fd := inspect.At(b.Inputs, "forceDestroy")
				assert.True(t, fd.IsBool() && fd.BoolValue() == force, "%s forceDestroy = %v", role, fd)
				assert.True(t, inspect.At(b.Inputs, "versioning", "enabled").BoolValue())
			}
		}
	})
}

// Issue 9, class 7: every Workload Identity binding takes its member from the cluster's pool output,
// so it is created after the cluster (the pool does not exist before).
func TestWorkloadIdentityBindingsWaitForTheCluster(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m := mockcloud.New("dataplatform", "prod", preview)
		err := m.Run(func(ctx *pulumi.Context) error {
			p, err := gcp.NewProvider(ctx, "gcp", &gcp.ProviderArgs{Project: pulumi.String(testProject), Region: pulumi.String(testRegion)})
			if err != nil {
				return err
			}
			cl, err := container.NewCluster(ctx, "gke", &container.ClusterArgs{
				Project: pulumi.String(testProject), Location: pulumi.String(testRegion),
				WorkloadIdentityConfig: &container.ClusterWorkloadIdentityConfigArgs{WorkloadPool: pulumi.String(testProject + ".svc.id.goog")},
			}, pulumi.Provider(p))
			if err != nil {
				return err
			}
			args := prodArgs()
			args.WorkloadPool = cl.WorkloadIdentityConfig.WorkloadPool().Elem()
			_, err = NewObjectStore(ctx, "store", args, pulumi.Provider(p))
			return err
		}, nil)
		require.NoError(t, err)
		cluster := inspect.One(t, m, "gcp:container/cluster:Cluster")
		bindings := m.ByType("gcp:serviceaccount/iAMMember:IAMMember")
		require.Len(t, bindings, len(prodArgs().Access))
		for _, b := range bindings {
			assert.True(t, inspect.DependsOnInput(b, "member", cluster), "%s waits for the cluster", b.Name)
			assert.Regexp(t, `^serviceAccount:acme-data-prod\.svc\.id\.goog\[[a-z-]+/[a-z-]+\]$`, inspect.Str(b.Inputs, "member"))
		}
	})
}
