// Package dbt runs the user's dbt project against Dremio on a schedule: a CronJob whose image holds
// the project and the dbt-dremio adapter, with a profiles.yml rendered here and credentials from a
// Secret. dbt has no server; nothing listens.
package dbt

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"sigs.k8s.io/yaml"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/dremio"
)

// DbtJobType is the component's type token.
const DbtJobType = "dataplatform:dbt:DbtJob"

const (
	objName     = "dbt"
	profilesDir = "/dbt/profiles"
	// ProfileName is the profile the platform writes and passes with --profile: the project's
	// dbt_project.yml may name any profile, the run uses this one.
	ProfileName = "dataplatform"
	// TargetName is the profile's only output, passed with --target.
	TargetName = "prod"
	// DefaultLakeSource is the Dremio source that materialised tables go to unless
	// ObjectStorageSource says otherwise: the source over the platform's lake bucket.
	DefaultLakeSource = "lake"
	// ConfigHashAnnotation on the pod template carries the SHA-256 of profiles.yml, so a changed
	// profile shows as a change of the CronJob's template.
	ConfigHashAnnotation = "dataplatform.io/config-sha256"
)

// DbtJobArgs are the inputs of the scheduled dbt run.
type DbtJobArgs struct {
	// Namespace is the apps namespace (where Dremio's client Service and the credentials live).
	Namespace pulumi.StringInput
	// Image is the dbt project image with dbt-dremio, pinned by tag or digest (not latest).
	Image string
	// Schedule is a five-field cron expression.
	Schedule string
	// DremioHost is the Dremio client Service DNS name.
	DremioHost string
	// DremioPort is Dremio's REST port (9047): dbt-dremio talks to Dremio Software over REST.
	DremioPort int
	// CredentialsSecret holds "user" and "password" of Dremio's dbt user.
	CredentialsSecret pulumi.StringInput
	// Threads is dbt's parallelism; default 4.
	Threads int
	// TargetSchema is the default schema (folder) dbt builds in; default "dbt".
	TargetSchema string
	// Space is the Dremio space views go to; default "@user" would be the user's home, so the
	// default here is "dataplatform".
	Space string
	// ObjectStorageSource and ObjectStoragePath are where tables are materialised: the Dremio source over
	// the lake and the folder in it; defaults DefaultLakeSource and "dbt". dbt-dremio's own defaults
	// ("$scratch", "no_schema") would put every table in Dremio's scratch space, which is not the lake
	// and is not meant to be kept.
	ObjectStorageSource string
	ObjectStoragePath   string
	// CPU and MemoryGiB size the run; defaults 0.5 and 1.
	CPU       float64
	MemoryGiB float64
	// Labels are added to every object.
	Labels map[string]string
	// Scheduling places the run's pods on the workload pool.
	Scheduling cluster.Scheduling
}

// DbtJob is the component.
type DbtJob struct {
	pulumi.ResourceState

	// CronJobName is the CronJob's name.
	CronJobName pulumi.StringOutput
}

var (
	dnsName   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)
	cronField = regexp.MustCompile(`^[0-9A-Za-z*/,\-?]+$`)
	// sourceName is a Dremio source name the profile can quote without escaping.
	sourceName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*$`)
)

func (a DbtJobArgs) withDefaults() DbtJobArgs {
	if a.Threads == 0 {
		a.Threads = 4
	}
	if a.TargetSchema == "" {
		a.TargetSchema = "dbt"
	}
	if a.Space == "" {
		a.Space = "dataplatform"
	}
	if a.ObjectStorageSource == "" {
		a.ObjectStorageSource = DefaultLakeSource
	}
	if a.ObjectStoragePath == "" {
		a.ObjectStoragePath = "dbt"
	}
	if a.CPU == 0 {
		a.CPU = 0.5
	}
	if a.MemoryGiB == 0 {
		a.MemoryGiB = 1
	}
	return a
}

func (a *DbtJobArgs) validate() error {
	switch {
	case a.Namespace == nil:
		return fmt.Errorf("dbt: Namespace is required")
	case a.CredentialsSecret == nil:
		return fmt.Errorf("dbt: CredentialsSecret is required")
	case !dnsName.MatchString(a.DremioHost):
		return fmt.Errorf("dbt: DremioHost = %q; must be a DNS name", a.DremioHost)
	case a.DremioPort < 1 || a.DremioPort > 65535:
		return fmt.Errorf("dbt: DremioPort = %d; must be a TCP port (9047, Dremio's REST port)", a.DremioPort)
	case a.Threads < 1 || a.Threads > 64:
		return fmt.Errorf("dbt: Threads = %d; must be 1–64", a.Threads)
	case a.CPU <= 0 || a.MemoryGiB <= 0:
		return fmt.Errorf("dbt: CPU = %g, MemoryGiB = %g; both must be > 0", a.CPU, a.MemoryGiB)
	case strings.EqualFold(a.ObjectStorageSource, "$scratch"):
		return fmt.Errorf("dbt: ObjectStorageSource = %q; tables must go to the lake source (default %q), not Dremio's scratch space", a.ObjectStorageSource, DefaultLakeSource)
	case !sourceName.MatchString(a.ObjectStorageSource):
		return fmt.Errorf("dbt: ObjectStorageSource = %q; must be a Dremio source name (letters, digits, _ and -)", a.ObjectStorageSource)
	}
	if fields := strings.Fields(a.Schedule); len(fields) != 5 {
		return fmt.Errorf("dbt: Schedule = %q; must be a five-field cron expression (minute hour day month weekday)", a.Schedule)
	} else {
		for _, f := range fields {
			if !cronField.MatchString(f) {
				return fmt.Errorf("dbt: Schedule = %q; field %q is not a cron field", a.Schedule, f)
			}
		}
	}
	return dremio.ValidateImage("dbt: Image", a.Image)
}

// Profiles renders profiles.yml for dbt-dremio against Dremio Software. The keys are dbt-dremio's
// (dremio/dbt-dremio@v1.9.0 dbt/adapters/dremio/credentials.py: software_host, port, user, password,
// use_ssl, threads and the aliases object_storage_source → datalake, object_storage_path → root_path,
// dremio_space → database, dremio_space_folder → schema). use_ssl is false: the
// connection never leaves the cluster network, Dremio OSS serves its REST port in plain HTTP (TLS on
// it needs keystores per coordinator), and NetworkPolicies confine it to the apps namespace.
func Profiles(a DbtJobArgs) (string, error) {
	a = a.withDefaults()
	profile := map[string]any{
		ProfileName: map[string]any{
			"target": TargetName,
			"outputs": map[string]any{
				TargetName: map[string]any{
					"type":                  "dremio",
					"software_host":         a.DremioHost,
					"port":                  a.DremioPort,
					"user":                  "{{ env_var('DREMIO_USER') }}",
					"password":              "{{ env_var('DREMIO_PASSWORD') }}",
					"use_ssl":               false,
					"object_storage_source": a.ObjectStorageSource,
					"object_storage_path":   a.ObjectStoragePath,
					"dremio_space":          a.Space,
					"dremio_space_folder":   a.TargetSchema,
					"threads":               a.Threads,
				},
			},
		},
	}
	out, err := yaml.Marshal(profile)
	return string(out), err
}

// NewDbtJob creates the profiles ConfigMap, a ServiceAccount, the CronJob and its egress policy.
func NewDbtJob(ctx *pulumi.Context, name string, args *DbtJobArgs, opts ...pulumi.ResourceOption) (*DbtJob, error) {
	if args == nil {
		return nil, fmt.Errorf("dbt: args are required")
	}
	a := args.withDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}
	profiles, err := Profiles(a)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(profiles))
	hash := hex.EncodeToString(sum[:])
	comp := &DbtJob{}
	if err := ctx.RegisterComponentResourceV2(DbtJobType, name, pulumi.Map{
		"namespace": a.Namespace,
		"image":     pulumi.String(a.Image),
		"schedule":  pulumi.String(a.Schedule),
	}, comp, opts...); err != nil {
		return nil, err
	}
	sel := map[string]string{"app.kubernetes.io/name": "dbt"}
	labels := pulumi.StringMap{
		"app.kubernetes.io/name":       pulumi.String("dbt"),
		"app.kubernetes.io/part-of":    pulumi.String("dataplatform"),
		"app.kubernetes.io/managed-by": pulumi.String("pulumi"),
	}
	for k, v := range a.Labels {
		labels[k] = pulumi.String(v)
	}
	meta := func(n string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(n), Namespace: a.Namespace, Labels: labels}
	}
	parent := pulumi.Parent(comp)

	cm, err := corev1.NewConfigMap(ctx, name+"-profiles", &corev1.ConfigMapArgs{
		Metadata: meta("dbt-profiles"),
		Data:     pulumi.StringMap{"profiles.yml": pulumi.String(profiles)},
	}, parent)
	if err != nil {
		return nil, err
	}
	sa, err := corev1.NewServiceAccount(ctx, name+"-sa", &corev1.ServiceAccountArgs{
		Metadata:                     meta(objName),
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, err
	}
	// dbt reaches Dremio's REST port and nothing else (DNS is allowed by the namespace baseline).
	if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-egress", &networkingv1.NetworkPolicyArgs{
		Metadata: meta("dbt-egress"),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(sel)},
			PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress: networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
				To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
					PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("dremio")}},
				}},
				Ports: networkingv1.NetworkPolicyPortArray{&networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(a.DremioPort)}},
			}},
		},
	}, parent); err != nil {
		return nil, err
	}

	res := pulumi.StringMap{
		"cpu":    pulumi.String(fmt.Sprintf("%dm", int(a.CPU*1000+0.5))),
		"memory": pulumi.String(fmt.Sprintf("%dMi", int(a.MemoryGiB*1024))),
	}
	secretEnv := func(envName, key string) *corev1.EnvVarArgs {
		return &corev1.EnvVarArgs{Name: pulumi.String(envName), ValueFrom: &corev1.EnvVarSourceArgs{
			SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: a.CredentialsSecret, Key: pulumi.String(key)},
		}}
	}
	scratch := func(n, path string) (*corev1.VolumeArgs, *corev1.VolumeMountArgs) {
		return &corev1.VolumeArgs{Name: pulumi.String(n), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("1Gi")}},
			&corev1.VolumeMountArgs{Name: pulumi.String(n), MountPath: pulumi.String(path)}
	}
	// dbt writes compiled SQL, logs and packages; the root file system stays read-only.
	targetVol, targetMount := scratch("target", "/tmp/dbt/target")
	logsVol, logsMount := scratch("logs", "/tmp/dbt/logs")
	tmpVol, tmpMount := scratch("tmp", "/tmp/scratch")

	cron, err := batchv1.NewCronJob(ctx, name+"-cronjob", &batchv1.CronJobArgs{
		Metadata: meta(objName),
		Spec: &batchv1.CronJobSpecArgs{
			Schedule:                   pulumi.String(a.Schedule),
			ConcurrencyPolicy:          pulumi.String("Forbid"),
			SuccessfulJobsHistoryLimit: pulumi.Int(3),
			FailedJobsHistoryLimit:     pulumi.Int(3),
			StartingDeadlineSeconds:    pulumi.Int(600),
			JobTemplate: &batchv1.JobTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: labels},
				Spec: &batchv1.JobSpecArgs{
					BackoffLimit:          pulumi.Int(2),
					ActiveDeadlineSeconds: pulumi.Int(4 * 3600),
					Template: &corev1.PodTemplateSpecArgs{
						Metadata: &metav1.ObjectMetaArgs{Labels: labels, Annotations: pulumi.StringMap{ConfigHashAnnotation: pulumi.String(hash)}},
						Spec: &corev1.PodSpecArgs{
							Tolerations:                  a.Scheduling.TolerationArray(),
							NodeSelector:                 a.Scheduling.NodeSelectorMap(),
							ServiceAccountName:           sa.Metadata.Name().Elem(),
							AutomountServiceAccountToken: pulumi.Bool(false),
							RestartPolicy:                pulumi.String("Never"),
							SecurityContext: &corev1.PodSecurityContextArgs{
								RunAsNonRoot:   pulumi.Bool(true),
								RunAsUser:      pulumi.Int(1000),
								RunAsGroup:     pulumi.Int(1000),
								FsGroup:        pulumi.Int(1000),
								SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
							},
							Containers: corev1.ContainerArray{&corev1.ContainerArgs{
								Name:    pulumi.String("dbt"),
								Image:   pulumi.String(a.Image),
								Command: pulumi.StringArray{pulumi.String("dbt")},
								// --profile and --target override what dbt_project.yml names (dbt-core
								// flags, `dbt build --help`), so any project runs on this profile.
								Args: pulumi.ToStringArray([]string{"build", "--profiles-dir", profilesDir, "--profile", ProfileName, "--target", TargetName}),
								Env: corev1.EnvVarArray{
									secretEnv("DREMIO_USER", "user"),
									secretEnv("DREMIO_PASSWORD", "password"),
									&corev1.EnvVarArgs{Name: pulumi.String("DBT_TARGET_PATH"), Value: pulumi.String("/tmp/dbt/target")},
									&corev1.EnvVarArgs{Name: pulumi.String("DBT_LOG_PATH"), Value: pulumi.String("/tmp/dbt/logs")},
									&corev1.EnvVarArgs{Name: pulumi.String("TMPDIR"), Value: pulumi.String("/tmp/scratch")},
									&corev1.EnvVarArgs{Name: pulumi.String("DBT_SEND_ANONYMOUS_USAGE_STATS"), Value: pulumi.String("false")},
								},
								Resources: &corev1.ResourceRequirementsArgs{Requests: res, Limits: res},
								SecurityContext: &corev1.SecurityContextArgs{
									AllowPrivilegeEscalation: pulumi.Bool(false),
									ReadOnlyRootFilesystem:   pulumi.Bool(true),
									RunAsNonRoot:             pulumi.Bool(true),
									Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
								},
								VolumeMounts: corev1.VolumeMountArray{
									&corev1.VolumeMountArgs{Name: pulumi.String("profiles"), MountPath: pulumi.String(profilesDir), ReadOnly: pulumi.Bool(true)},
									targetMount, logsMount, tmpMount,
								},
							}},
							Volumes: corev1.VolumeArray{
								&corev1.VolumeArgs{Name: pulumi.String("profiles"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: cm.Metadata.Name().Elem()}},
								targetVol, logsVol, tmpVol,
							},
						},
					},
				},
			},
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	comp.CronJobName = cron.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"cronJobName": comp.CronJobName}); err != nil {
		return nil, err
	}
	return comp, nil
}
