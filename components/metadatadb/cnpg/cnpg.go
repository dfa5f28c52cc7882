// Package cnpg is the platform's PostgreSQL on the kubernetes target: the CloudNativePG operator
// (pinned Helm chart) and a Cluster with WAL archiving and base backups to the object store's backups
// bucket (point-in-time recovery), a ScheduledBackup, managed roles and databases, a PgBouncer Pooler
// in front, TLS enforced, and NetworkPolicies for every flow its pods need.
package cnpg

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// MetadataDBType is the component's type token.
const MetadataDBType = "dataplatform:kubernetes:MetadataDB"

const (
	// DefaultOperatorChartVersion pins the cloudnative-pg chart (operator 1.29.1; the Database CRD
	// needs ≥ 1.25).
	DefaultOperatorChartVersion = "0.28.3"
	// OperatorChartRepo is the chart repository.
	OperatorChartRepo = "https://cloudnative-pg.github.io/charts"
	// DefaultOperatorNamespace is where the operator runs.
	DefaultOperatorNamespace = "cnpg-system"
	// DefaultClusterName names the Cluster; its pods, Services and Secrets derive from it.
	DefaultClusterName = "metadata-db"

	operatorRelease = "cnpg"
	apiVersion      = "postgresql.cnpg.io/v1"
	port            = 5432
	// statusPort is the instance manager's status endpoint, which the operator polls.
	statusPort = 8000
)

// PostgresImages pins the operand image per PostgreSQL major version; a "major.minor" Version is used
// as given.
var PostgresImages = map[string]string{
	"14": "ghcr.io/cloudnative-pg/postgresql:14.19",
	"15": "ghcr.io/cloudnative-pg/postgresql:15.14",
	"16": "ghcr.io/cloudnative-pg/postgresql:16.10",
	"17": "ghcr.io/cloudnative-pg/postgresql:17.6",
}

// MetadataDBArgs configure the in-cluster PostgreSQL.
type MetadataDBArgs struct {
	// OperatorNamespace is created for the operator; default "cnpg-system".
	OperatorNamespace string
	// OperatorChartVersion pins the cloudnative-pg chart; default DefaultOperatorChartVersion.
	OperatorChartVersion string
	// OperatorReplicas runs the operator with leader election; default 2 with HighAvailability (the
	// prod rule that stateless Deployments run ≥ 2 replicas under a PodDisruptionBudget), else 1.
	OperatorReplicas int
	// Namespace is the platform's data namespace (the k8snet Network's output), where the cluster runs.
	Namespace pulumi.StringInput
	// NamespaceName is the same namespace as a plain string, for DNS names.
	NamespaceName string
	// AppsNamespace receives the workloads' credential Secrets ("username", "password").
	AppsNamespace pulumi.StringInput
	// ClientNamespaces may connect to PostgreSQL (5432) from outside the data namespace.
	ClientNamespaces []string
	// ClusterName names the Cluster; default "metadata-db".
	ClusterName string
	// Instances is the number of PostgreSQL instances: 1 (dev), 2 (staging), 3 (prod).
	Instances int
	// HighAvailability (prod) requires instances on distinct nodes, keeps one synchronous standby
	// (RPO), runs two poolers and two operator replicas. Needs Instances ≥ 3.
	HighAvailability bool
	// Version is the PostgreSQL major version ("16") or an exact "major.minor".
	Version string
	// ImageName overrides the operand image (a mirror); default from PostgresImages.
	ImageName string
	// StorageGiB is each instance's data volume.
	StorageGiB int
	// StorageClass backs the volumes; empty uses the cluster's default class.
	StorageClass string
	// CPU (cores) and MemoryGiB size each instance; they are both requests and limits.
	CPU       float64
	MemoryGiB float64
	// BackupRetentionDays is how long base backups and WAL are kept in the object store.
	BackupRetentionDays int
	// BackupSchedule is the base-backup schedule, six-field cron with seconds first.
	BackupSchedule string
	// ObjectStore is the store whose Backups bucket receives base backups and WAL, at its endpoint,
	// trusting its CA.
	ObjectStore objectstore.Info
	// BackupCredentialsSecret is the Secret in the data namespace with "accessKey" and "secretKey" of
	// the store's "postgres-backup" access (ObjectStore.Identities["postgres-backup"].CredentialsSecret).
	BackupCredentialsSecret pulumi.StringInput
	// Labels are added to every object.
	Labels map[string]string
}

// MetadataDB is the CloudNativePG database.
type MetadataDB struct {
	pulumi.ResourceState

	// Connection is what workloads need; Host is the pooler's Service.
	Connection metadatadb.Connection
	// ClusterName is the CloudNativePG Cluster's name.
	ClusterName pulumi.StringOutput
}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	version  = regexp.MustCompile(`^[0-9]{2}(\.[0-9]+)?$`)
)

func (a *MetadataDBArgs) validate() error {
	if a == nil {
		return fmt.Errorf("cnpg: args are required")
	}
	switch {
	case a.Namespace == nil:
		return fmt.Errorf("cnpg: Namespace is required (the data namespace output)")
	case a.AppsNamespace == nil:
		return fmt.Errorf("cnpg: AppsNamespace is required (where the workloads' credential Secrets go)")
	case a.BackupCredentialsSecret == nil:
		return fmt.Errorf("cnpg: BackupCredentialsSecret is required (the object store's postgres-backup credentials)")
	case !dnsLabel.MatchString(a.NamespaceName):
		return fmt.Errorf("cnpg: NamespaceName = %q; must be a DNS label", a.NamespaceName)
	case a.OperatorNamespace != "" && !dnsLabel.MatchString(a.OperatorNamespace):
		return fmt.Errorf("cnpg: OperatorNamespace = %q; must be a DNS label", a.OperatorNamespace)
	case a.ClusterName != "" && (!dnsLabel.MatchString(a.ClusterName) || len(a.ClusterName) > 40):
		return fmt.Errorf("cnpg: ClusterName = %q; must be a DNS label of at most 40 characters", a.ClusterName)
	case a.Instances < 1 || a.Instances > 9:
		return fmt.Errorf("cnpg: Instances = %d; allowed: 1–9", a.Instances)
	case a.HighAvailability && a.Instances < 3:
		return fmt.Errorf("cnpg: Instances = %d with HighAvailability; needs ≥ 3 so a synchronous standby remains when one instance is lost", a.Instances)
	case a.OperatorReplicas < 0 || a.OperatorReplicas > 3:
		return fmt.Errorf("cnpg: OperatorReplicas = %d; allowed: 1–3 (0 picks the default)", a.OperatorReplicas)
	case !version.MatchString(a.Version):
		return fmt.Errorf("cnpg: Version = %q; give a major version (%s) or major.minor", a.Version, strings.Join(majors(), ", "))
	case a.ImageName == "" && !strings.Contains(a.Version, ".") && PostgresImages[a.Version] == "":
		return fmt.Errorf("cnpg: Version = %q has no pinned image; allowed: %s, a major.minor, or set ImageName", a.Version, strings.Join(majors(), ", "))
	case a.StorageGiB < 1:
		return fmt.Errorf("cnpg: StorageGiB = %d; must be ≥ 1", a.StorageGiB)
	case a.CPU <= 0:
		return fmt.Errorf("cnpg: CPU = %v; must be > 0 cores", a.CPU)
	case a.MemoryGiB < 0.5:
		return fmt.Errorf("cnpg: MemoryGiB = %v; must be ≥ 0.5", a.MemoryGiB)
	case a.BackupRetentionDays < 1:
		return fmt.Errorf("cnpg: BackupRetentionDays = %d; must be ≥ 1", a.BackupRetentionDays)
	case len(strings.Fields(a.BackupSchedule)) != 6:
		return fmt.Errorf("cnpg: BackupSchedule = %q; must be a six-field cron (seconds first), e.g. \"0 0 2 * * *\"", a.BackupSchedule)
	}
	if _, ok := a.ObjectStore.BucketNames[objectstore.Backups]; !ok {
		return fmt.Errorf("cnpg: ObjectStore.BucketNames has no %q bucket; pass the Info of the platform's object store", objectstore.Backups)
	}
	if a.ObjectStore.Kind == objectstore.MinIO && a.ObjectStore.CABundle.OutputState == nil {
		return fmt.Errorf("cnpg: ObjectStore.CABundle is not set; MinIO serves TLS with a private CA the backups must trust")
	}
	if a.ObjectStore.Endpoint.OutputState == nil {
		return fmt.Errorf("cnpg: ObjectStore.Endpoint is not set; pass the Info of the platform's object store")
	}
	for _, ns := range a.ClientNamespaces {
		if !dnsLabel.MatchString(ns) {
			return fmt.Errorf("cnpg: ClientNamespaces entry %q is not a DNS label", ns)
		}
	}
	return nil
}

func majors() []string { return []string{"14", "15", "16", "17"} }

// image returns the operand image.
func (a *MetadataDBArgs) image() string {
	switch {
	case a.ImageName != "":
		return a.ImageName
	case strings.Contains(a.Version, "."):
		return "ghcr.io/cloudnative-pg/postgresql:" + a.Version
	}
	return PostgresImages[a.Version]
}

// NewMetadataDB installs the operator and creates the database cluster, its backups, roles,
// databases, pooler and network policies.
func NewMetadataDB(ctx *pulumi.Context, name string, args *MetadataDBArgs, opts ...pulumi.ResourceOption) (*MetadataDB, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	operatorNS := withDefault(args.OperatorNamespace, DefaultOperatorNamespace)
	chartVersion := withDefault(args.OperatorChartVersion, DefaultOperatorChartVersion)
	clusterName := withDefault(args.ClusterName, DefaultClusterName)
	poolerName := clusterName + "-pooler-rw"
	operatorReplicas := args.OperatorReplicas
	if operatorReplicas == 0 {
		operatorReplicas = 1
		if args.HighAvailability {
			operatorReplicas = 2
		}
	}
	poolerInstances := 1
	if args.HighAvailability {
		poolerInstances = 2
	}

	comp := &MetadataDB{}
	props := pulumi.Map{
		"operatorNamespace":    pulumi.String(operatorNS),
		"operatorChartVersion": pulumi.String(chartVersion),
		"namespace":            args.Namespace,
		"appsNamespace":        args.AppsNamespace,
		"clusterName":          pulumi.String(clusterName),
		"instances":            pulumi.Int(args.Instances),
		"highAvailability":     pulumi.Bool(args.HighAvailability),
		"imageName":            pulumi.String(args.image()),
		"storageGiB":           pulumi.Int(args.StorageGiB),
		"storageClass":         pulumi.String(args.StorageClass),
		"backupRetentionDays":  pulumi.Int(args.BackupRetentionDays),
		"backupSchedule":       pulumi.String(args.BackupSchedule),
		"clientNamespaces":     pulumi.ToStringArray(args.ClientNamespaces),
	}
	if err := ctx.RegisterComponentResourceV2(MetadataDBType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	labels := func(component string) pulumi.StringMap {
		l := pulumi.StringMap{
			"app.kubernetes.io/part-of":    pulumi.String("dataplatform"),
			"app.kubernetes.io/managed-by": pulumi.String("pulumi"),
			"app.kubernetes.io/component":  pulumi.String(component),
		}
		for k, v := range args.Labels {
			l[k] = pulumi.String(v)
		}
		return l
	}
	meta := func(objName string, ns pulumi.StringInput, component string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(objName), Namespace: ns, Labels: labels(component)}
	}

	// The operator: its own namespace (Pod Security "restricted": the chart complies), the pinned chart.
	opNS, err := corev1.NewNamespace(ctx, name+"-operator-namespace", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(operatorNS), Labels: mergeLabels(labels("operator"), pulumi.StringMap{
			"pod-security.kubernetes.io/enforce": pulumi.String("restricted"),
		})},
	}, parent)
	if err != nil {
		return nil, err
	}
	opNSName := opNS.Metadata.Name().Elem()
	chart, err := helmv4.NewChart(ctx, name+"-operator", &helmv4.ChartArgs{
		Chart:          pulumi.String("cloudnative-pg"),
		Version:        pulumi.String(chartVersion),
		RepositoryOpts: &helmv4.RepositoryOptsArgs{Repo: pulumi.String(OperatorChartRepo)},
		Name:           pulumi.String(operatorRelease),
		Namespace:      opNSName,
		Values:         operatorValues(operatorReplicas, args.Labels),
	}, parent)
	if err != nil {
		return nil, err
	}
	operatorSelector := pulumi.StringMap{
		"app.kubernetes.io/name":     pulumi.String("cloudnative-pg"),
		"app.kubernetes.io/instance": pulumi.String(operatorRelease),
	}
	if operatorReplicas > 1 {
		if _, err := policyv1.NewPodDisruptionBudget(ctx, name+"-operator-pdb", &policyv1.PodDisruptionBudgetArgs{
			Metadata: meta("cnpg-controller-manager", opNSName, "operator"),
			Spec: &policyv1.PodDisruptionBudgetSpecArgs{
				MinAvailable: pulumi.Int(1),
				Selector:     &metav1.LabelSelectorArgs{MatchLabels: operatorSelector},
			},
		}, parent, pulumi.DependsOn([]pulumi.Resource{chart})); err != nil {
			return nil, err
		}
	}

	// One generated password per role: a basic-auth Secret in the data namespace for the operator,
	// and a copy in the apps namespace for the workloads.
	roleSecrets := map[string]string{}
	appSecrets := map[string]*corev1.Secret{}
	var clusterDeps []pulumi.Resource
	for _, role := range roles() {
		pw, err := random.NewRandomPassword(ctx, name+"-"+role+"-password", &random.RandomPasswordArgs{
			Length: pulumi.Int(32), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4),
		}, parent)
		if err != nil {
			return nil, err
		}
		dataName := clusterName + "-" + role
		m := meta(dataName, args.Namespace, "credentials")
		// The operator reloads a role's password when its Secret changes.
		m.Labels = mergeLabels(m.Labels.(pulumi.StringMap), pulumi.StringMap{"cnpg.io/reload": pulumi.String("true")})
		sec, err := corev1.NewSecret(ctx, name+"-"+role+"-role", &corev1.SecretArgs{
			Metadata:   m,
			Type:       pulumi.String("kubernetes.io/basic-auth"),
			StringData: pulumi.StringMap{"username": pulumi.String(role), "password": pw.Result},
		}, parent)
		if err != nil {
			return nil, err
		}
		roleSecrets[role] = dataName
		clusterDeps = append(clusterDeps, sec)

		app, err := corev1.NewSecret(ctx, name+"-"+role+"-credentials", &corev1.SecretArgs{
			Metadata:   meta(role+"-db-credentials", args.AppsNamespace, "credentials"),
			Type:       pulumi.String("Opaque"),
			StringData: pulumi.StringMap{"username": pulumi.String(role), "password": pw.Result},
		}, parent)
		if err != nil {
			return nil, err
		}
		appSecrets[role] = app
	}

	// The store's private CA, for barman-cloud to verify the endpoint; none for a publicly trusted one.
	caSecretName := ""
	if args.ObjectStore.CABundle.OutputState != nil {
		caSecretName = clusterName + "-backup-ca"
		caSecret, err := corev1.NewSecret(ctx, name+"-backup-ca", &corev1.SecretArgs{
			Metadata:   meta(caSecretName, args.Namespace, "backup"),
			Type:       pulumi.String("Opaque"),
			StringData: pulumi.StringMap{"ca.crt": args.ObjectStore.CABundle},
		}, parent)
		if err != nil {
			return nil, err
		}
		clusterDeps = append(clusterDeps, caSecret)
	}
	clusterDeps = append(clusterDeps, chart)

	cluster, err := apiextensions.NewCustomResource(ctx, name+"-cluster", &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(apiVersion),
		Kind:        pulumi.String("Cluster"),
		Metadata:    meta(clusterName, args.Namespace, "database"),
		OtherFields: map[string]any{"spec": clusterSpec(args, clusterName, roleSecrets, caSecretName)},
	}, parent, pulumi.DependsOn(clusterDeps))
	if err != nil {
		return nil, err
	}

	// The databases beyond the bootstrap one, each owned by its role.
	ready := []pulumi.Resource{cluster}
	for _, db := range metadatadb.Databases {
		if db == metadatadb.Airbyte {
			continue // created by initdb
		}
		objName := clusterName + "-" + strings.ReplaceAll(string(db), "_", "-")
		d, err := apiextensions.NewCustomResource(ctx, name+"-db-"+strings.ReplaceAll(string(db), "_", "-"), &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String(apiVersion),
			Kind:       pulumi.String("Database"),
			Metadata:   meta(objName, args.Namespace, "database"),
			OtherFields: map[string]any{"spec": pulumi.Map{
				"name":                  pulumi.String(string(db)),
				"owner":                 pulumi.String(metadatadb.Owner[db]),
				"cluster":               pulumi.Map{"name": pulumi.String(clusterName)},
				"ensure":                pulumi.String("present"),
				"databaseReclaimPolicy": pulumi.String("retain"),
			}},
		}, parent, pulumi.DependsOn([]pulumi.Resource{cluster}))
		if err != nil {
			return nil, err
		}
		ready = append(ready, d)
	}

	if _, err := apiextensions.NewCustomResource(ctx, name+"-scheduled-backup", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(apiVersion),
		Kind:       pulumi.String("ScheduledBackup"),
		Metadata:   meta(clusterName+"-scheduled", args.Namespace, "backup"),
		OtherFields: map[string]any{"spec": pulumi.Map{
			"schedule":             pulumi.String(args.BackupSchedule),
			"backupOwnerReference": pulumi.String("self"),
			"cluster":              pulumi.Map{"name": pulumi.String(clusterName)},
			"method":               pulumi.String("barmanObjectStore"),
			// The first base backup at once: PITR works from the start, not from the first slot.
			"immediate": pulumi.Bool(true),
		}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{cluster})); err != nil {
		return nil, err
	}

	pooler, err := apiextensions.NewCustomResource(ctx, name+"-pooler", &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(apiVersion),
		Kind:        pulumi.String("Pooler"),
		Metadata:    meta(poolerName, args.Namespace, "pooler"),
		OtherFields: map[string]any{"spec": poolerSpec(clusterName, poolerName, poolerInstances, args.HighAvailability, args.Labels)},
	}, parent, pulumi.DependsOn([]pulumi.Resource{cluster}))
	if err != nil {
		return nil, err
	}
	poolerSelector := pulumi.StringMap{"cnpg.io/poolerName": pulumi.String(poolerName)}
	if poolerInstances > 1 {
		if _, err := policyv1.NewPodDisruptionBudget(ctx, name+"-pooler-pdb", &policyv1.PodDisruptionBudgetArgs{
			Metadata: meta(poolerName, args.Namespace, "pooler"),
			Spec: &policyv1.PodDisruptionBudgetSpecArgs{
				MinAvailable: pulumi.Int(1),
				Selector:     &metav1.LabelSelectorArgs{MatchLabels: poolerSelector},
			},
		}, parent, pulumi.DependsOn([]pulumi.Resource{pooler})); err != nil {
			return nil, err
		}
	}

	if err := networkPolicies(ctx, name, parent, args, meta, clusterName, poolerName, operatorNS); err != nil {
		return nil, err
	}

	// Consumers see the host once the pooler and every database exist.
	hostDeps := []any{pooler.Metadata.Name()}
	for _, r := range ready {
		hostDeps = append(hostDeps, r.URN())
	}
	host := fmt.Sprintf("%s.%s.svc.cluster.local", poolerName, args.NamespaceName)
	conn := metadatadb.Connection{
		Host:              pulumi.All(hostDeps...).ApplyT(func([]any) string { return host }).(pulumi.StringOutput),
		Port:              port,
		Databases:         map[metadatadb.Database]string{},
		CredentialSecrets: map[string]pulumi.StringOutput{},
		SSLMode:           "require",
		CAConfigMap:       pulumi.String("").ToStringOutput(),
	}
	for _, db := range metadatadb.Databases {
		conn.Databases[db] = string(db)
	}
	secretsOut := pulumi.StringMap{}
	for role, sec := range appSecrets {
		conn.CredentialSecrets[role] = sec.Metadata.Name().Elem()
		secretsOut[role] = conn.CredentialSecrets[role]
	}
	comp.Connection = conn
	comp.ClusterName = cluster.Metadata.Name().Elem()

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"host":              conn.Host,
		"port":              pulumi.Int(port),
		"clusterName":       comp.ClusterName,
		"credentialSecrets": secretsOut,
		"sslMode":           pulumi.String(conn.SSLMode),
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// roles are the login roles the platform's workloads use, in a stable order.
func roles() []string {
	seen, out := map[string]bool{}, []string{}
	for _, db := range metadatadb.Databases {
		if r := metadatadb.Owner[db]; !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

func withDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func mergeLabels(a, b pulumi.StringMap) pulumi.StringMap {
	out := pulumi.StringMap{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func quantityCPU(cores float64) string { return strconv.Itoa(int(cores*1000+0.5)) + "m" }

func quantityMemory(gib float64) string { return strconv.Itoa(int(gib*1024+0.5)) + "Mi" }

// operatorValues are the chart values: sized, spread, no monitoring objects (no Prometheus operator
// is assumed).
func operatorValues(replicas int, extra map[string]string) pulumi.Map {
	podLabels := pulumi.Map{}
	for k, v := range extra {
		podLabels[k] = pulumi.String(v)
	}
	values := pulumi.Map{
		"replicaCount": pulumi.Int(replicas),
		"crds":         pulumi.Map{"create": pulumi.Bool(true)},
		"resources": pulumi.Map{
			"requests": pulumi.Map{"cpu": pulumi.String("100m"), "memory": pulumi.String("256Mi")},
			"limits":   pulumi.Map{"cpu": pulumi.String("500m"), "memory": pulumi.String("512Mi")},
		},
		"monitoring": pulumi.Map{
			"podMonitorEnabled": pulumi.Bool(false),
			"grafanaDashboard":  pulumi.Map{"create": pulumi.Bool(false)},
		},
		"podLabels": podLabels,
	}
	if replicas > 1 {
		values["affinity"] = pulumi.Map{"podAntiAffinity": pulumi.Map{
			"preferredDuringSchedulingIgnoredDuringExecution": pulumi.Array{pulumi.Map{
				"weight": pulumi.Int(100),
				"podAffinityTerm": pulumi.Map{
					"topologyKey": pulumi.String("kubernetes.io/hostname"),
					"labelSelector": pulumi.Map{"matchLabels": pulumi.Map{
						"app.kubernetes.io/name": pulumi.String("cloudnative-pg"),
					}},
				},
			}},
		}}
	}
	return values
}

// pgParameters derive the server settings from the instance's memory.
func pgParameters(memoryGiB float64) pulumi.Map {
	memMB := int(memoryGiB * 1024)
	maxConn := int(math.Max(100, math.Min(500, math.Round(memoryGiB*50))))
	return pulumi.Map{
		"max_connections":             pulumi.String(strconv.Itoa(maxConn)),
		"shared_buffers":              pulumi.String(fmt.Sprintf("%dMB", memMB/4)),
		"effective_cache_size":        pulumi.String(fmt.Sprintf("%dMB", memMB*3/4)),
		"maintenance_work_mem":        pulumi.String(fmt.Sprintf("%dMB", max(64, memMB/16))),
		"ssl_min_protocol_version":    pulumi.String("TLSv1.2"),
		"log_min_duration_statement":  pulumi.String("1000"),
		"log_checkpoints":             pulumi.String("on"),
		"log_lock_waits":              pulumi.String("on"),
		"log_temp_files":              pulumi.String("10240"),
		"log_autovacuum_min_duration": pulumi.String("10s"),
	}
}

// clusterSpec is the Cluster's spec.
func clusterSpec(args *MetadataDBArgs, clusterName string, roleSecrets map[string]string, caSecret string) pulumi.Map {
	cpu, mem := quantityCPU(args.CPU), quantityMemory(args.MemoryGiB)
	antiAffinity := "preferred"
	if args.HighAvailability {
		antiAffinity = "required"
	}
	storage := pulumi.Map{"size": pulumi.String(fmt.Sprintf("%dGi", args.StorageGiB))}
	if args.StorageClass != "" {
		storage["storageClass"] = pulumi.String(args.StorageClass)
	}
	managed := pulumi.Array{}
	for _, role := range roles() {
		managed = append(managed, pulumi.Map{
			"name":            pulumi.String(role),
			"ensure":          pulumi.String("present"),
			"login":           pulumi.Bool(true),
			"inherit":         pulumi.Bool(true),
			"connectionLimit": pulumi.Int(-1),
			"passwordSecret":  pulumi.Map{"name": pulumi.String(roleSecrets[role])},
		})
	}
	owner := metadatadb.Owner[metadatadb.Airbyte]
	backupsBucket := args.ObjectStore.BucketNames[objectstore.Backups]
	destination := backupsBucket.ApplyT(func(b string) string { return "s3://" + b + "/cnpg" }).(pulumi.StringOutput)
	credRef := func(key string) pulumi.Map {
		return pulumi.Map{"name": args.BackupCredentialsSecret, "key": pulumi.String(key)}
	}
	inherited := pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("dataplatform")}
	for k, v := range args.Labels {
		inherited[k] = pulumi.String(v)
	}

	store := pulumi.Map{
		"destinationPath": destination,
		"endpointURL":     args.ObjectStore.Endpoint,
		"s3Credentials": pulumi.Map{
			"accessKeyId":     credRef("accessKey"),
			"secretAccessKey": credRef("secretKey"),
		},
		"wal":  pulumi.Map{"compression": pulumi.String("gzip"), "maxParallel": pulumi.Int(2)},
		"data": pulumi.Map{"compression": pulumi.String("gzip"), "jobs": pulumi.Int(2)},
	}
	if caSecret != "" {
		store["endpointCA"] = pulumi.Map{"name": pulumi.String(caSecret), "key": pulumi.String("ca.crt")}
	}

	spec := pulumi.Map{
		"instances":             pulumi.Int(args.Instances),
		"imageName":             pulumi.String(args.image()),
		"primaryUpdateStrategy": pulumi.String("unsupervised"),
		"primaryUpdateMethod":   pulumi.String("switchover"),
		"enableSuperuserAccess": pulumi.Bool(false),
		"storage":               storage,
		"resources": pulumi.Map{
			"requests": pulumi.Map{"cpu": pulumi.String(cpu), "memory": pulumi.String(mem)},
			"limits":   pulumi.Map{"cpu": pulumi.String(cpu), "memory": pulumi.String(mem)},
		},
		"affinity": pulumi.Map{
			"enablePodAntiAffinity": pulumi.Bool(true),
			"podAntiAffinityType":   pulumi.String(antiAffinity),
			"topologyKey":           pulumi.String("kubernetes.io/hostname"),
		},
		"topologySpreadConstraints": pulumi.Array{pulumi.Map{
			"maxSkew":     pulumi.Int(1),
			"topologyKey": pulumi.String("topology.kubernetes.io/zone"),
			// Clusters without zone labels (kind, k3d) must still schedule.
			"whenUnsatisfiable": pulumi.String("ScheduleAnyway"),
			"labelSelector":     pulumi.Map{"matchLabels": pulumi.Map{"cnpg.io/cluster": pulumi.String(clusterName)}},
		}},
		"inheritedMetadata": pulumi.Map{"labels": inherited},
		"postgresql": pulumi.Map{
			"parameters": pgParameters(args.MemoryGiB),
			// TLS only: password logins over TLS, plain connections refused. (The operator's default
			// last line, "host all all all", would otherwise accept them.)
			"pg_hba": pulumi.StringArray{
				pulumi.String("hostssl all all all scram-sha-256"),
				pulumi.String("hostnossl all all all reject"),
			},
		},
		"bootstrap": pulumi.Map{"initdb": pulumi.Map{
			"database": pulumi.String(string(metadatadb.Airbyte)),
			"owner":    pulumi.String(owner),
			"secret":   pulumi.Map{"name": pulumi.String(roleSecrets[owner])},
		}},
		"managed": pulumi.Map{"roles": managed},
		"backup": pulumi.Map{
			"retentionPolicy":   pulumi.String(fmt.Sprintf("%dd", args.BackupRetentionDays)),
			"target":            pulumi.String("prefer-standby"),
			"barmanObjectStore": store,
		},
		"monitoring": pulumi.Map{"enablePodMonitor": pulumi.Bool(false)},
	}
	if args.HighAvailability {
		// One standby confirms every commit: a lost primary loses no acknowledged transaction.
		spec["minSyncReplicas"] = pulumi.Int(1)
		spec["maxSyncReplicas"] = pulumi.Int(1)
	}
	return spec
}

// poolerSpec is the PgBouncer Pooler in front of the primary.
func poolerSpec(clusterName, poolerName string, instances int, ha bool, extra map[string]string) pulumi.Map {
	podLabels := pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("dataplatform")}
	for k, v := range extra {
		podLabels[k] = pulumi.String(v)
	}
	term := pulumi.Map{
		"topologyKey":   pulumi.String("kubernetes.io/hostname"),
		"labelSelector": pulumi.Map{"matchLabels": pulumi.Map{"cnpg.io/poolerName": pulumi.String(poolerName)}},
	}
	affinity := pulumi.Map{"podAntiAffinity": pulumi.Map{
		"preferredDuringSchedulingIgnoredDuringExecution": pulumi.Array{pulumi.Map{"weight": pulumi.Int(100), "podAffinityTerm": term}},
	}}
	if ha {
		affinity = pulumi.Map{"podAntiAffinity": pulumi.Map{
			"requiredDuringSchedulingIgnoredDuringExecution": pulumi.Array{term},
		}}
	}
	return pulumi.Map{
		"cluster":   pulumi.Map{"name": pulumi.String(clusterName)},
		"instances": pulumi.Int(instances),
		"type":      pulumi.String("rw"),
		"pgbouncer": pulumi.Map{
			"poolMode": pulumi.String("session"),
			"parameters": pulumi.Map{
				"max_client_conn":   pulumi.String("1000"),
				"default_pool_size": pulumi.String("20"),
				// Clients must use TLS to the pooler too (the operator's default is "prefer").
				"client_tls_sslmode": pulumi.String("require"),
			},
		},
		"template": pulumi.Map{
			"metadata": pulumi.Map{"labels": podLabels},
			"spec": pulumi.Map{
				"containers": pulumi.Array{pulumi.Map{
					"name": pulumi.String("pgbouncer"),
					"resources": pulumi.Map{
						"requests": pulumi.Map{"cpu": pulumi.String("100m"), "memory": pulumi.String("64Mi")},
						"limits":   pulumi.Map{"cpu": pulumi.String("500m"), "memory": pulumi.String("256Mi")},
					},
				}},
				"affinity": affinity,
			},
		},
	}
}
