package cluster

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	storagev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/storage/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// StorageClassSpec describes one StorageClass a managed cluster creates.
type StorageClassSpec struct {
	// Name is the class name (the design document's "fast-ssd" or "standard").
	Name string
	// Provisioner is the CSI driver (ebs.csi.aws.com, disk.csi.azure.com, pd.csi.storage.gke.io).
	Provisioner string
	// Parameters are the driver's parameters (disk type, encryption, IOPS).
	Parameters map[string]string
	// Default marks the class as the cluster default.
	Default bool
	// Retain keeps the cloud disk when its claim is deleted (prod data volumes).
	Retain bool
}

// NewStorageClasses creates the classes with the cluster's provider, parented to the cluster component.
// Volumes bind when their pod is scheduled, so a zonal disk lands in the pod's zone, and they can grow.
func NewStorageClasses(ctx *pulumi.Context, name string, parent pulumi.Resource, provider *kubernetes.Provider, specs []StorageClassSpec) error {
	for _, s := range specs {
		if s.Name == "" || s.Provisioner == "" {
			return fmt.Errorf("storage class %q: name and provisioner are required", s.Name)
		}
		annotations := pulumi.StringMap{}
		if s.Default {
			annotations["storageclass.kubernetes.io/is-default-class"] = pulumi.String("true")
		}
		reclaim := "Delete"
		if s.Retain {
			reclaim = "Retain"
		}
		_, err := storagev1.NewStorageClass(ctx, name+"-sc-"+s.Name, &storagev1.StorageClassArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name:        pulumi.String(s.Name),
				Annotations: annotations,
				Labels:      pulumi.StringMap{"app.kubernetes.io/managed-by": pulumi.String("pulumi"), "app.kubernetes.io/part-of": pulumi.String("dataplatform")},
			},
			Provisioner:          pulumi.String(s.Provisioner),
			Parameters:           pulumi.ToStringMap(s.Parameters),
			ReclaimPolicy:        pulumi.String(reclaim),
			VolumeBindingMode:    pulumi.String("WaitForFirstConsumer"),
			AllowVolumeExpansion: pulumi.Bool(true),
		}, pulumi.Parent(parent), pulumi.Provider(provider))
		if err != nil {
			return err
		}
	}
	return nil
}
