package elasticsearch

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
)

// APIJobPod is the pod of a Job that calls the Elasticsearch API from the data namespace: the curl
// image (JobImage, as its curl_user) runs /config/register.sh from the ConfigMap configMap, with ECK's
// CA at /es-ca/ca.crt (CASecret) and a writable /tmp, and env naming the user it signs in as. The
// snapshot Job here and central logging's retention Job (package logging) are both this pod;
// securityContext is the container's.
func APIJobPod(scheduling cluster.Scheduling, configMap pulumi.StringPtrInput, env corev1.EnvVarArray, securityContext *corev1.SecurityContextArgs) *corev1.PodSpecArgs {
	return &corev1.PodSpecArgs{
		RestartPolicy:                pulumi.String("OnFailure"),
		AutomountServiceAccountToken: pulumi.Bool(false),
		// curl_user of the curl image.
		SecurityContext: &corev1.PodSecurityContextArgs{
			RunAsNonRoot: pulumi.Bool(true), RunAsUser: pulumi.Int(100), RunAsGroup: pulumi.Int(101),
			SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
		},
		Tolerations:  scheduling.TolerationArray(),
		NodeSelector: scheduling.NodeSelectorMap(),
		Containers: corev1.ContainerArray{&corev1.ContainerArgs{
			Name:    pulumi.String("register"),
			Image:   pulumi.String(JobImage),
			Command: pulumi.ToStringArray([]string{"/bin/sh", "/config/register.sh"}),
			Env:     env,
			Resources: &corev1.ResourceRequirementsArgs{
				Requests: pulumi.StringMap{"cpu": pulumi.String("50m"), "memory": pulumi.String("64Mi")},
				Limits:   pulumi.StringMap{"cpu": pulumi.String("200m"), "memory": pulumi.String("64Mi")},
			},
			SecurityContext: securityContext,
			VolumeMounts: corev1.VolumeMountArray{
				&corev1.VolumeMountArgs{Name: pulumi.String("config"), MountPath: pulumi.String("/config"), ReadOnly: pulumi.Bool(true)},
				&corev1.VolumeMountArgs{Name: pulumi.String("es-ca"), MountPath: pulumi.String("/es-ca"), ReadOnly: pulumi.Bool(true)},
				&corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")},
			},
		}},
		Volumes: corev1.VolumeArray{
			&corev1.VolumeArgs{Name: pulumi.String("config"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: configMap}},
			&corev1.VolumeArgs{Name: pulumi.String("es-ca"), Secret: &corev1.SecretVolumeSourceArgs{
				SecretName: pulumi.String(CASecret),
				Items:      corev1.KeyToPathArray{&corev1.KeyToPathArgs{Key: pulumi.String("ca.crt"), Path: pulumi.String("ca.crt")}},
			}},
			&corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}},
		},
	}
}
