package minio

import (
	"fmt"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// claimName is the PersistentVolumeClaim the StatefulSet controller creates for a drive of a pod:
// <volumeClaimTemplate>-<StatefulSet>-<ordinal>.
func claimName(drive, ordinal int) string {
	return fmt.Sprintf("data%d-%s-%d", drive, serverName, ordinal)
}

// resizeVolumes sets every drive's claim to VolumeSizeGiB with a server-side-apply patch, so a larger
// size expands the volumes in place (the StorageClass must allow volume expansion; Kubernetes
// refuses to shrink a claim, and the update fails with that error). The claims exist once the
// StatefulSet is ready; the patches neither create nor delete them. The StatefulSet controller owns
// the size field from the claim's creation, so the patch forces its ownership
// ("pulumi.com/patchForce", pulumi-kubernetes sdk/v4 core/v1 PersistentVolumeClaimPatch).
func resizeVolumes(ctx *pulumi.Context, name string, parent pulumi.ResourceOption, args *ObjectStoreArgs, labels pulumi.StringMap, sts *appsv1.StatefulSet) error {
	size := pulumi.String(fmt.Sprintf("%dGi", args.VolumeSizeGiB))
	for i := 0; i < args.Replicas; i++ {
		for d := 1; d <= args.drives(); d++ {
			claim := claimName(d, i)
			if _, err := corev1.NewPersistentVolumeClaimPatch(ctx, name+"-"+claim+"-size", &corev1.PersistentVolumeClaimPatchArgs{
				Metadata: &metav1.ObjectMetaPatchArgs{
					Name:        pulumi.String(claim),
					Namespace:   args.Namespace,
					Labels:      labels,
					Annotations: pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")},
				},
				Spec: &corev1.PersistentVolumeClaimSpecPatchArgs{
					Resources: &corev1.VolumeResourceRequirementsPatchArgs{Requests: pulumi.StringMap{"storage": size}},
				},
			}, parent, pulumi.DependsOn([]pulumi.Resource{sts})); err != nil {
				return err
			}
		}
	}
	return nil
}
