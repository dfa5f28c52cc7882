// Package cnpg is the platform's PostgreSQL on the kubernetes target: the CloudNativePG operator
// (pinned Helm chart) and a Cluster with WAL archiving and base backups to the object store's backups
// bucket (point-in-time recovery), a ScheduledBackup, managed roles and databases, a PgBouncer Pooler
// in front, TLS enforced, and NetworkPolicies for every flow its pods need.
package cnpg

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"

	"github.com/opendataplatform/dataplatform/components/secrets"
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
	// Clients count the pods that connect, from which the PgBouncer pool and max_connections are
	// sized (Clients.Connections). At least one pod of Airbyte and of Temporal.
	Clients Clients
	// APIServerCIDRs are the Kubernetes API server's addresses (the endpoints of the "kubernetes"
	// Service, after DNAT): the only destinations of the database and pooler pods' egress on
	// 443/6443. Required.
	APIServerCIDRs []string
	// PluginChartVersion pins the plugin-barman-cloud chart; default DefaultPluginChartVersion.
	PluginChartVersion string
	// PluginVersion is the Barman Cloud plugin release; default DefaultPluginVersion.
	PluginVersion string
	// Scheduling places every pod this component writes (instances, poolers, operator, plugin) on
	// the workload pool.
	Scheduling cluster.Scheduling
	// Protect marks the stateful resources (the CloudNativePG Cluster, which owns the data volumes,
	// and the roles' generated passwords, random.RandomPassword) protected: destroy and replacement
	// stop at them.
	// Disposable children (the operator and plugin charts, Secrets, ConfigMaps, the ObjectStore,
	// Database, Pooler and ScheduledBackup objects, NetworkPolicies, PDBs, certificates) are never
	// protected.
	Protect bool
	// Secrets is the target's secret store: each role's credential is written to it and both of its
	// Secrets are materialized from it by ExternalSecrets. nil creates plain Secrets.
	Secrets *secrets.Store
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
	if a.Clients.AirbytePods < 1 || a.Clients.TemporalPods < 1 || a.Clients.SupersetPods < 0 {
		return fmt.Errorf("cnpg: Clients = %+v; AirbytePods and TemporalPods must be ≥ 1 and SupersetPods ≥ 0 (they size the connection pool)", a.Clients)
	}
	if len(a.APIServerCIDRs) == 0 {
		return fmt.Errorf("cnpg: APIServerCIDRs is empty; name the Kubernetes API server's addresses (kubectl get endpoints kubernetes), the only egress the database pods get on 443/6443")
	}
	for _, c := range a.APIServerCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil || p.Masked() != p {
			return fmt.Errorf("cnpg: APIServerCIDRs entry %q is not a CIDR block with its host bits zero, e.g. 172.18.0.2/32", c)
		}
		if p.Bits() == 0 {
			return fmt.Errorf("cnpg: APIServerCIDRs entry %q allows every address; name the API server's", c)
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
	pluginChartVersion := withDefault(args.PluginChartVersion, DefaultPluginChartVersion)
	pluginVersion := withDefault(args.PluginVersion, DefaultPluginVersion)
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
		"pluginChartVersion":   pulumi.String(pluginChartVersion),
		"pluginVersion":        pulumi.String(pluginVersion),
		"apiServerCidrs":       pulumi.ToStringArray(args.APIServerCIDRs),
		"protect":              pulumi.Bool(args.Protect),
	}
	if err := ctx.RegisterComponentResourceV2(MetadataDBType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	// Children are disposable unless said otherwise: a Protect on the component must not reach them.
	parent := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	stateful := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(args.Protect))

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
		Values:         operatorValues(operatorReplicas, args.Scheduling, args.Labels),
	}, parent)
	if err != nil {
		return nil, err
	}
	// The Barman Cloud plugin next to the operator, with the mTLS pair they talk over.
	pluginTLS, err := pluginCertificates(ctx, name, parent, opNSName, labels("backup-plugin"))
	if err != nil {
		return nil, err
	}
	plugin, err := newPluginChart(ctx, name, parent, opNSName, pluginChartVersion, pluginVersion, args.Scheduling, args.Labels,
		append([]pulumi.Resource{chart}, pluginTLS...))
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
	appSecrets := map[string]pulumi.StringOutput{}
	var clusterDeps []pulumi.Resource
	plain := func(m pulumi.StringMap) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			if s, ok := v.(pulumi.String); ok {
				out[k] = string(s)
			}
		}
		return out
	}
	for _, role := range append(roles(), metadatadb.ReadOnlyRoles...) {
		pw, err := random.NewRandomPassword(ctx, name+"-"+strings.ReplaceAll(role, "_", "-")+"-password", &random.RandomPasswordArgs{
			Length: pulumi.Int(32), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4),
		}, stateful)
		if err != nil {
			return nil, err
		}
		// A Secret's name is a DNS subdomain: the read-only role's '_' becomes '-'.
		dataName := clusterName + "-" + strings.ReplaceAll(role, "_", "-")
		cred, err := args.Secrets.Put(ctx, name+"-"+strings.ReplaceAll(role, "_", "-")+"-credential", dataName,
			map[string]pulumi.StringInput{"username": pulumi.String(role), "password": pw.Result}, parent)
		if err != nil {
			return nil, err
		}
		data := map[string]secrets.Ref{"username": cred.Ref("username"), "password": cred.Ref("password")}
		// The operator reloads a role's password when its Secret changes.
		dataLabels := plain(mergeLabels(labels("credentials"), pulumi.StringMap{"cnpg.io/reload": pulumi.String("true")}))
		sec, err := args.Secrets.Materialize(ctx, name+"-"+strings.ReplaceAll(role, "_", "-")+"-role", secrets.Secret{
			Name: dataName, Namespace: args.Namespace, Type: "kubernetes.io/basic-auth", Labels: dataLabels, Data: data,
		}, parent)
		if err != nil {
			return nil, err
		}
		roleSecrets[role] = dataName
		clusterDeps = append(clusterDeps, sec.Resource)

		app, err := args.Secrets.Materialize(ctx, name+"-"+strings.ReplaceAll(role, "_", "-")+"-credentials", secrets.Secret{
			Name: metadatadb.CredentialSecretName(role), Namespace: args.AppsNamespace, Type: "Opaque", Labels: plain(labels("credentials")), Data: data,
		}, parent)
		if err != nil {
			return nil, err
		}
		appSecrets[role] = app.Name
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
	// Backups and WAL go through the plugin to this ObjectStore.
	objectStoreName := clusterName + "-backups"
	store, err := apiextensions.NewCustomResource(ctx, name+"-backup-store", &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String("barmancloud.cnpg.io/v1"),
		Kind:        pulumi.String("ObjectStore"),
		Metadata:    meta(objectStoreName, args.Namespace, "backup"),
		OtherFields: map[string]any{"spec": objectStoreSpec(args, caSecretName)},
	}, parent, pulumi.DependsOn(append([]pulumi.Resource{plugin}, clusterDeps...)))
	if err != nil {
		return nil, err
	}

	// The server CA: the operator issues the instances' (and the pooler's) certificate from it, and
	// the clients verify against it.
	serverCA, err := newServerCA(ctx, name, parent, clusterName, args, meta)
	if err != nil {
		return nil, err
	}
	clusterDeps = append(clusterDeps, chart, plugin, store, serverCA.secret)

	altNames := poolerAltNames(poolerName, args.NamespaceName)
	cluster, err := apiextensions.NewCustomResource(ctx, name+"-cluster", &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(apiVersion),
		Kind:        pulumi.String("Cluster"),
		Metadata:    meta(clusterName, args.Namespace, "database"),
		OtherFields: map[string]any{"spec": clusterSpec(args, clusterName, roleSecrets, serverCA.secretName, objectStoreName, altNames)},
	}, stateful, pulumi.DependsOn(clusterDeps))
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
			// api/v1/scheduledbackup_types.go: method "plugin" with the plugin's name.
			"method":              pulumi.String("plugin"),
			"pluginConfiguration": pulumi.Map{"name": pulumi.String(PluginName)},
			"target":              pulumi.String("prefer-standby"),
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
		OtherFields: map[string]any{"spec": poolerSpec(args, clusterName, poolerName, poolerInstances)},
	}, parent, pulumi.DependsOn([]pulumi.Resource{cluster}))
	if err != nil {
		return nil, err
	}
	// The CA's certificate alone for the metrics scraper, beside the instances (metrics.go).
	if _, err := corev1.NewSecret(ctx, name+"-metrics-ca", &corev1.SecretArgs{
		Metadata:   meta(MetricsCASecret(clusterName), args.Namespace, "tls"),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{MetricsCAKey: serverCA.certPEM},
	}, parent); err != nil {
		return nil, err
	}
	// The CA for the workloads, in the apps namespace.
	caConfigMap, err := corev1.NewConfigMap(ctx, name+"-ca", &corev1.ConfigMapArgs{
		Metadata: meta("metadata-db-ca", args.AppsNamespace, "credentials"),
		Data:     pulumi.StringMap{metadatadb.CAKey: serverCA.certPEM},
	}, parent)
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
		SSLMode:           metadatadb.SSLModeVerifyFull,
		CACert:            serverCA.certPEM,
		CAConfigMap:       caConfigMap.Metadata.Name().Elem(),
	}
	for _, db := range metadatadb.Databases {
		conn.Databases[db] = string(db)
	}
	secretsOut := pulumi.StringMap{}
	for role, sec := range appSecrets {
		conn.CredentialSecrets[role] = sec
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
		"caConfigMap":       conn.CAConfigMap,
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
func operatorValues(replicas int, sched cluster.Scheduling, extra map[string]string) pulumi.Map {
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
	sched.PlaceValues(values)
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

// serverCA is the platform's CA for the database's server certificates.
type serverCA struct {
	secret     *corev1.Secret
	secretName string
	certPEM    pulumi.StringOutput
}

// newServerCA generates the CA and hands it to the operator as ca.crt + ca.key
// (cloudnative-pg@v1.29.1 api/v1/cluster_types.go CertificatesConfiguration.ServerCASecret: with
// ca.key and no ServerTLSSecret, the operator issues the server certificate from it). Ten years,
// renewed by the next `pulumi up` within a year of expiry; the operator then re-issues the server
// certificate and the clients' ConfigMap follows in the same update.
func newServerCA(ctx *pulumi.Context, name string, parent pulumi.ResourceOption, clusterName string, args *MetadataDBArgs,
	meta func(string, pulumi.StringInput, string) *metav1.ObjectMetaArgs,
) (*serverCA, error) {
	key, err := tls.NewPrivateKey(ctx, name+"-server-ca-key", &tls.PrivateKeyArgs{
		Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256"),
	}, parent)
	if err != nil {
		return nil, err
	}
	cert, err := tls.NewSelfSignedCert(ctx, name+"-server-ca", &tls.SelfSignedCertArgs{
		PrivateKeyPem:       key.PrivateKeyPem,
		IsCaCertificate:     pulumi.Bool(true),
		ValidityPeriodHours: pulumi.Int(10 * 365 * 24),
		EarlyRenewalHours:   pulumi.Int(365 * 24),
		AllowedUses:         pulumi.ToStringArray([]string{"cert_signing", "crl_signing", "digital_signature"}),
		Subject:             &tls.SelfSignedCertSubjectArgs{CommonName: pulumi.String("dataplatform metadata database CA"), Organization: pulumi.String("dataplatform")},
	}, parent)
	if err != nil {
		return nil, err
	}
	secretName := clusterName + "-server-ca"
	sec, err := corev1.NewSecret(ctx, name+"-server-ca", &corev1.SecretArgs{
		Metadata: meta(secretName, args.Namespace, "tls"),
		Type:     pulumi.String("Opaque"),
		StringData: pulumi.StringMap{
			"ca.crt": cert.CertPem,
			"ca.key": pulumi.ToSecret(key.PrivateKeyPem).(pulumi.StringOutput),
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	return &serverCA{secret: sec, secretName: secretName, certPEM: cert.CertPem}, nil
}
