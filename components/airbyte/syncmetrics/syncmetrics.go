package syncmetrics

import (
	"fmt"
	"regexp"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
)

// ExporterType is the component's Pulumi type.
const ExporterType = "dataplatform:airbyte:SyncMetrics"

// Names of the objects (apps namespace).
const (
	Name        = "airbyte-sync-metrics"
	GrantName   = "airbyte-sync-metrics-grant"
	PortName    = "metrics"
	caDir       = "/etc/airbyte-db-ca"
	caFile      = caDir + "/" + metadatadb.CAKey
	grantScript = "grant.sql"
)

// SingletonAnnotation and SingletonReason exempt the exporter from the prod policy's two-replica rule
// (policy/policies/stack.go SingletonAnnotation): a second replica would double the queries on
// Airbyte's database and both would serve the same gauges.
const (
	SingletonAnnotation = "dataplatform.io/singleton"
	SingletonReason     = "stateless gauges recomputed from Airbyte's jobs database on every scrape; a second replica doubles the queries and serves the same values, and a scrape missed during a restart is rebuilt by the next"
)

// Args configure the exporter.
type Args struct {
	// Namespace is the apps namespace Airbyte runs in: its credential Secrets and the database CA
	// ConfigMap are there (metadatadb.Connection).
	Namespace pulumi.StringInput
	// NamespaceName is that namespace's name, for the scrape target.
	NamespaceName string
	// Database is the platform's metadata database Connection: it must carry the credential Secrets of
	// the Airbyte owner role and of metadatadb.AirbyteReader.
	Database metadatadb.Connection
	// DatabaseNamespace is, on the kubernetes target, where the database (its pooler) runs; the
	// exporter's egress admits it. DatabaseCIDRs are, on the clouds, the managed server's ranges.
	// Exactly one is set.
	DatabaseNamespace string
	DatabaseCIDRs     []string
	// After are the resources the grant waits for: Airbyte's release, whose bootloader runs the
	// migrations that create the tables (a GRANT on a missing table fails).
	After []pulumi.Resource
	// AirbyteVersion is Airbyte's chart version: the grant re-runs when it changes, since a migration
	// that recreates a table drops the grants on it.
	AirbyteVersion string
	// Scheduling places the pods on the workload pool.
	Scheduling cluster.Scheduling
	// Labels are added to every object.
	Labels map[string]string
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

func (a *Args) validate() error {
	switch {
	case a == nil:
		return fmt.Errorf("syncmetrics: args are required")
	case a.Namespace == nil || !dnsLabel.MatchString(a.NamespaceName):
		return fmt.Errorf("syncmetrics: NamespaceName = %q: the apps namespace Airbyte runs in (a DNS label), with Namespace", a.NamespaceName)
	case (a.DatabaseNamespace == "") == (len(a.DatabaseCIDRs) == 0):
		return fmt.Errorf("syncmetrics: DatabaseNamespace = %q, DatabaseCIDRs = %v: set exactly one (the database's namespace in-cluster, its ranges on the clouds)", a.DatabaseNamespace, a.DatabaseCIDRs)
	case a.DatabaseNamespace != "" && !dnsLabel.MatchString(a.DatabaseNamespace):
		return fmt.Errorf("syncmetrics: DatabaseNamespace = %q: a DNS label", a.DatabaseNamespace)
	}
	if err := k8snet.ValidateCIDRs("syncmetrics: DatabaseCIDRs", a.DatabaseCIDRs); err != nil {
		return err
	}
	if err := a.Database.Validate(); err != nil {
		return fmt.Errorf("syncmetrics: %w", err)
	}
	for _, role := range []string{metadatadb.Owner[metadatadb.Airbyte], metadatadb.AirbyteReader} {
		if s, ok := a.Database.CredentialSecrets[role]; !ok || s.OutputState == nil {
			return fmt.Errorf("syncmetrics: Database.CredentialSecrets[%q] is not set: the metadata database must create that role", role)
		}
	}
	if a.Database.Databases[metadatadb.Airbyte] == "" {
		return fmt.Errorf("syncmetrics: Database.Databases[%q] is not set", metadatadb.Airbyte)
	}
	return nil
}

// SyncMetrics is the exporter.
type SyncMetrics struct {
	pulumi.ResourceState
	// Deployment is the exporter's Deployment name.
	Deployment pulumi.StringOutput `pulumi:"deployment"`
}

// Selector are the exporter pods' labels the scrape target selects.
func Selector() map[string]string {
	return map[string]string{"app.kubernetes.io/name": Name}
}

// New deploys the grant Job and the exporter. Nothing here is stateful: the role and its password
// belong to the metadata database component.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*SyncMetrics, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	a := *args
	comp := &SyncMetrics{}
	if err := ctx.RegisterComponentResourceV2(ExporterType, name, pulumi.Map{
		"namespace": a.Namespace, "image": pulumi.String(Image),
	}, comp, opts...); err != nil {
		return nil, err
	}
	parent := []pulumi.ResourceOption{pulumi.Parent(comp)}
	labels := func(component string) pulumi.StringMap {
		l := pulumi.StringMap{
			"app.kubernetes.io/part-of": pulumi.String("dataplatform"), "app.kubernetes.io/managed-by": pulumi.String("pulumi"),
			"app.kubernetes.io/component": pulumi.String(component),
		}
		for k, v := range a.Labels {
			l[k] = pulumi.String(v)
		}
		return l
	}
	meta := func(n, component string, extra map[string]string) *metav1.ObjectMetaArgs {
		l := labels(component)
		for k, v := range extra {
			l[k] = pulumi.String(v)
		}
		return &metav1.ObjectMetaArgs{Name: pulumi.String(n), Namespace: a.Namespace, Labels: l}
	}
	db := a.Database
	database := db.Databases[metadatadb.Airbyte]

	// Egress to the database only (and DNS); no ingress but what the scrape renderer's policy admits
	// (kubeprometheus, amp and gmp each add one for the target's port from their collector).
	dbPeers := k8snet.Peers(nil, a.DatabaseCIDRs)
	if a.DatabaseNamespace != "" {
		dbPeers = networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: k8snet.NamespaceSelector(a.DatabaseNamespace)}}
	}
	var deps []pulumi.Resource
	for _, p := range []struct{ suffix, objName, selector string }{
		{"egress", Name, Name},
		{"grant-egress", GrantName, GrantName},
	} {
		np, err := networkingv1.NewNetworkPolicy(ctx, name+"-"+p.suffix, &networkingv1.NetworkPolicyArgs{
			Metadata: meta(p.objName, "network", nil),
			Spec: &networkingv1.NetworkPolicySpecArgs{
				PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(p.selector)}},
				PolicyTypes: pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
				Egress: networkingv1.NetworkPolicyEgressRuleArray{
					&networkingv1.NetworkPolicyEgressRuleArgs{To: dbPeers, Ports: k8snet.TCPPorts(db.Port)},
					k8snet.DNSEgress(),
				},
			},
		}, parent...)
		if err != nil {
			return nil, err
		}
		deps = append(deps, np)
	}

	caVolume := &corev1.VolumeArgs{Name: pulumi.String("db-ca"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{
		Name:  db.CAConfigMap,
		Items: corev1.KeyToPathArray{&corev1.KeyToPathArgs{Key: pulumi.String(metadatadb.CAKey), Path: pulumi.String(metadatadb.CAKey)}},
	}}
	caMount := &corev1.VolumeMountArgs{Name: pulumi.String("db-ca"), MountPath: pulumi.String(caDir), ReadOnly: pulumi.Bool(true)}
	secretEnv := func(env string, role, key string) *corev1.EnvVarArgs {
		return &corev1.EnvVarArgs{Name: pulumi.String(env), ValueFrom: &corev1.EnvVarSourceArgs{
			SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: db.CredentialSecrets[role], Key: pulumi.String(key)},
		}}
	}
	secCtx := &corev1.SecurityContextArgs{
		AllowPrivilegeEscalation: pulumi.Bool(false),
		ReadOnlyRootFilesystem:   pulumi.Bool(true),
		Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
	}
	podSec := func(uid int) *corev1.PodSecurityContextArgs {
		return &corev1.PodSecurityContextArgs{
			RunAsNonRoot: pulumi.Bool(true), RunAsUser: pulumi.Int(uid), RunAsGroup: pulumi.Int(uid),
			SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
		}
	}

	// The grant Job: psql as the tables' owner (the airbyte role, whose credentials Airbyte itself
	// uses), with the same TLS as every platform client.
	owner := metadatadb.Owner[metadatadb.Airbyte]
	script := GrantSQL(database, metadatadb.AirbyteReader)
	grantCM, err := corev1.NewConfigMap(ctx, name+"-grant-script", &corev1.ConfigMapArgs{
		Metadata: meta(GrantName, "grant", map[string]string{"app.kubernetes.io/name": GrantName}),
		Data:     pulumi.StringMap{grantScript: pulumi.String(script)},
	}, parent...)
	if err != nil {
		return nil, err
	}
	deps = append(deps, grantCM)
	// The Job re-runs (is replaced) whenever what it applies changes: script, server, CA, credential
	// Secret, Airbyte's version (metadatadb.ConfigHashAnnotation; a fixed name, so delete before
	// replace).
	hash := pulumi.Unsecret(pulumi.All(pulumi.String(script), db.Host, db.CACert, db.CredentialSecrets[owner], pulumi.String(a.AirbyteVersion)).ApplyT(func(v []any) string {
		return metadatadb.ConfigHash(v...)
	}).(pulumi.StringOutput)).(pulumi.StringOutput)
	grantLabels := labels("grant")
	grantLabels["app.kubernetes.io/name"] = pulumi.String(GrantName)
	job, err := batchv1.NewJob(ctx, name+"-grant", &batchv1.JobArgs{
		Metadata: meta(GrantName, "grant", map[string]string{"app.kubernetes.io/name": GrantName}),
		Spec: &batchv1.JobSpecArgs{
			BackoffLimit:          pulumi.Int(6),
			ActiveDeadlineSeconds: pulumi.Int(900),
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: grantLabels, Annotations: pulumi.StringMap{metadatadb.ConfigHashAnnotation: hash}},
				Spec: &corev1.PodSpecArgs{
					RestartPolicy:                pulumi.String("OnFailure"),
					AutomountServiceAccountToken: pulumi.Bool(false),
					Tolerations:                  a.Scheduling.TolerationArray(),
					NodeSelector:                 a.Scheduling.NodeSelectorMap(),
					SecurityContext:              podSec(70), // the postgres user of the alpine image
					Containers: corev1.ContainerArray{&corev1.ContainerArgs{
						Name:    pulumi.String("psql"),
						Image:   pulumi.String(metadatadb.ClientImage),
						Command: pulumi.StringArray{pulumi.String("psql"), pulumi.String("-X"), pulumi.String("-f"), pulumi.String("/grant/" + grantScript)},
						Env: corev1.EnvVarArray{
							&corev1.EnvVarArgs{Name: pulumi.String("PGHOST"), Value: db.Host},
							&corev1.EnvVarArgs{Name: pulumi.String("PGPORT"), Value: pulumi.String(fmt.Sprint(db.Port))},
							&corev1.EnvVarArgs{Name: pulumi.String("PGDATABASE"), Value: pulumi.String(database)},
							&corev1.EnvVarArgs{Name: pulumi.String("PGSSLMODE"), Value: pulumi.String(db.SSLMode)},
							&corev1.EnvVarArgs{Name: pulumi.String("PGSSLROOTCERT"), Value: pulumi.String(caFile)},
							secretEnv("PGUSER", owner, "username"),
							secretEnv("PGPASSWORD", owner, "password"),
						},
						Resources: &corev1.ResourceRequirementsArgs{
							Requests: pulumi.StringMap{"cpu": pulumi.String("50m"), "memory": pulumi.String("64Mi")},
							Limits:   pulumi.StringMap{"cpu": pulumi.String("500m"), "memory": pulumi.String("128Mi")},
						},
						SecurityContext: secCtx,
						VolumeMounts: corev1.VolumeMountArray{
							&corev1.VolumeMountArgs{Name: pulumi.String("script"), MountPath: pulumi.String("/grant"), ReadOnly: pulumi.Bool(true)},
							caMount,
						},
					}},
					Volumes: corev1.VolumeArray{
						&corev1.VolumeArgs{Name: pulumi.String("script"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: pulumi.String(GrantName)}},
						caVolume,
					},
				},
			},
		},
	}, append(parent, pulumi.DependsOn(append(deps, a.After...)), pulumi.DeleteBeforeReplace(true))...)
	if err != nil {
		return nil, err
	}

	// The exporter's configuration: no credential in it (DSNPlaceholder).
	cfgData := pulumi.StringMap{"sql_exporter.yml": pulumi.String(ExporterYAML()), CollectorFile: pulumi.String(CollectorYAML())}
	cm, err := corev1.NewConfigMap(ctx, name+"-config", &corev1.ConfigMapArgs{
		Metadata: meta(Name, "exporter", map[string]string{"app.kubernetes.io/name": Name}),
		Data:     cfgData,
	}, parent...)
	if err != nil {
		return nil, err
	}
	configHash := metadatadb.ConfigHash(ExporterYAML(), CollectorYAML())
	// Kubernetes expands $(VAR) in a value from the variables defined before it (core/v1 EnvVar.value);
	// the random passwords are alphanumeric (random.RandomPassword Special false), so no URL escaping.
	dsn := pulumi.Sprintf("postgres://$(DB_USER):$(DB_PASSWORD)@%s:%d/%s?sslmode=%s&sslrootcert=%s",
		db.Host, db.Port, database, db.SSLMode, caFile)
	podLabels := labels("exporter")
	for k, v := range Selector() {
		podLabels[k] = pulumi.String(v)
	}
	probe := func(initial int) *corev1.ProbeArgs {
		return &corev1.ProbeArgs{
			HttpGet:             &corev1.HTTPGetActionArgs{Path: pulumi.String("/healthz"), Port: pulumi.String(PortName)},
			InitialDelaySeconds: pulumi.Int(initial), PeriodSeconds: pulumi.Int(20), TimeoutSeconds: pulumi.Int(5),
		}
	}
	depMeta := meta(Name, "exporter", map[string]string{"app.kubernetes.io/name": Name})
	// policy/policies/stack.go stateless-replicas: a one-replica Deployment says why.
	depMeta.Annotations = pulumi.StringMap{SingletonAnnotation: pulumi.String(SingletonReason)}
	dep, err := appsv1.NewDeployment(ctx, name, &appsv1.DeploymentArgs{
		Metadata: depMeta,
		Spec: &appsv1.DeploymentSpecArgs{
			// One replica: each would run the same queries; a scrape missed during a restart costs a
			// minute of gauges that the next scrape rebuilds (nothing is counted in the exporter).
			Replicas: pulumi.Int(1),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(Selector())},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels:      podLabels,
					Annotations: pulumi.StringMap{metadatadb.ConfigHashAnnotation: pulumi.String(configHash)},
				},
				Spec: &corev1.PodSpecArgs{
					AutomountServiceAccountToken: pulumi.Bool(false),
					Tolerations:                  a.Scheduling.TolerationArray(),
					NodeSelector:                 a.Scheduling.NodeSelectorMap(),
					SecurityContext:              podSec(UID),
					Containers: corev1.ContainerArray{&corev1.ContainerArgs{
						Name:  pulumi.String("sql-exporter"),
						Image: pulumi.String(Image),
						Args: pulumi.StringArray{
							pulumi.String("-config.file=" + ConfigDir + "/sql_exporter.yml"),
							pulumi.String(fmt.Sprintf("-web.listen-address=:%d", Port)),
						},
						Ports: corev1.ContainerPortArray{&corev1.ContainerPortArgs{Name: pulumi.String(PortName), ContainerPort: pulumi.Int(Port), Protocol: pulumi.String("TCP")}},
						Env: corev1.EnvVarArray{
							secretEnv("DB_USER", metadatadb.AirbyteReader, "username"),
							secretEnv("DB_PASSWORD", metadatadb.AirbyteReader, "password"),
							&corev1.EnvVarArgs{Name: pulumi.String("SQLEXPORTER_TARGET_DSN"), Value: dsn},
						},
						Resources: &corev1.ResourceRequirementsArgs{
							Requests: pulumi.StringMap{"cpu": pulumi.String("20m"), "memory": pulumi.String("32Mi")},
							Limits:   pulumi.StringMap{"cpu": pulumi.String("200m"), "memory": pulumi.String("128Mi")},
						},
						SecurityContext: secCtx,
						LivenessProbe:   probe(10),
						ReadinessProbe:  probe(5),
						VolumeMounts: corev1.VolumeMountArray{
							&corev1.VolumeMountArgs{Name: pulumi.String("config"), MountPath: pulumi.String(ConfigDir), ReadOnly: pulumi.Bool(true)},
							caMount,
						},
					}},
					Volumes: corev1.VolumeArray{
						&corev1.VolumeArgs{Name: pulumi.String("config"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: pulumi.String(Name)}},
						caVolume,
					},
				},
			},
		},
	}, append(parent, pulumi.DependsOn([]pulumi.Resource{cm, job, deps[0]}))...)
	if err != nil {
		return nil, err
	}
	comp.Deployment = dep.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"deployment": comp.Deployment}); err != nil {
		return nil, err
	}
	return comp, nil
}
