// Package logging is central logging on the kubernetes target: Fluent Bit on every node ships the
// platform's container logs into the platform's Elasticsearch (package elasticsearch, run by ECK),
// where Kibana searches them, kept for the environment's log retention.
//
// Why Fluent Bit as a DaemonSet written here, and not ECK's Beat (Filebeat) or the fluent/fluent-bit
// chart:
//   - metrics: Fluent Bit serves Prometheus text itself (/api/v2/metrics/prometheus, fluent-bit
//     v5.1.1 src/http_server/api/v2/metrics.c), which the observability model scrapes; Filebeat's
//     HTTP endpoint serves JSON only, so it would need an exporter beside it;
//   - least privilege: the shipper writes as its own file-realm user whose role holds create_doc and
//     auto_configure on its data stream only. A Beat with elasticsearchRef writes as the user ECK
//     creates for it, with ECK's Beat role (index templates, ILM), which the platform does not choose;
//   - the objects are core Kubernetes kinds, dry-run by the API server as they are; the chart
//     (fluent/helm-charts 0.58.1, app 5.1.1) would render the same DaemonSet, ConfigMap and RBAC
//     (charts/fluent-bit/templates/daemonset.yaml, clusterrole.yaml, whose rules this package
//     keeps) plus a helm test hook Pod, and its config is one opaque string value either way.
//
// Pod Security: the shipper reads /var/log on each node through a hostPath volume, which the
// "baseline" level forbids, so it runs in its own namespace at "privileged" (k8snet.NewAddonNamespace
// in the stacks) — the data namespace keeps "baseline". The pod itself asks for no privilege: root
// (the node's log files are root's, mode 0640), every capability dropped, no privilege escalation, a
// read-only root filesystem, /var/log mounted read-only.
//
// Elasticsearch's side (Realm, before the cluster): two file-realm users, each written to the secret
// store (secrets.Store.Put) and materialized where it is read:
//   - WriterUser (WriterRole: create_doc, auto_configure on DataStreamPattern) for Fluent Bit;
//   - AdminUser (AdminRole: manage_index_templates and monitor; create_index, view_index_metadata,
//     manage_data_stream_lifecycle on DataStreamPattern) for the retention Job.
//
// Retention: a Job in the data namespace registers the index template IndexTemplate (a data stream
// lifecycle with data_retention = RetentionDays), creates DataStream and sets its lifecycle (a
// template's lifecycle applies to data streams created after it; PUT _data_stream/<name>/_lifecycle
// changes the existing one). Data stream lifecycle, not ILM: the template composes no ILM policy, so
// the lifecycle manages the backing indices (rollover and deletion after the retention).
package logging

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/elasticsearch"
)

// Type is the shipper component's type token; RealmType the users'.
const (
	Type      = "dataplatform:logging:Logging"
	RealmType = "dataplatform:logging:Realm"
)

// Names and versions.
const (
	// Namespace is the shipper's namespace (Pod Security "privileged", see the package comment).
	Namespace = "platform-logging"
	// Name names the DaemonSet, its ServiceAccount, ConfigMap and RBAC objects.
	Name = "fluent-bit"
	// Image is Fluent Bit 5.1.1, the app version of chart fluent/fluent-bit 0.58.1 (fluent/helm-charts
	// charts/fluent-bit/Chart.yaml; values.yaml image.repository cr.fluentbit.io/fluent/fluent-bit).
	Image = "cr.fluentbit.io/fluent/fluent-bit:5.1.1"
	// MetricsPort and MetricsPath: the built-in HTTP server (HTTP_Port, default 2020) and its
	// Prometheus endpoint (fluent-bit v5.1.1 src/http_server/api/v2/metrics.c).
	MetricsPort = 2020
	MetricsPath = "/api/v2/metrics/prometheus"
	// DataStream is where the logs go: logs-<dataset>-<namespace>, the data stream naming scheme;
	// DataStreamPattern is what the template and the roles name.
	DataStream        = "logs-kubernetes.container_logs-platform"
	DataStreamPattern = "logs-kubernetes.container_logs-*"
	// IndexTemplate is the template the retention Job registers. Its priority is above the built-in
	// "logs" template (logs-*-*, priority 100), which would otherwise apply its ILM policy.
	IndexTemplate         = "platform-logs"
	IndexTemplatePriority = 200
	// The file-realm users and roles, and the Secrets they are materialized as.
	WriterUser   = "platform-logs-writer"
	WriterRole   = "platform_logs_writer"
	AdminUser    = "platform-logs-admin"
	AdminRole    = "platform_logs_admin"
	WriterSecret = "logging-writer"
	AdminSecret  = "logging-admin"
	RolesSecret  = "logging-roles"
	// JobImage is the retention Job's and the CA init container's image (the snapshot Job's curl).
	JobImage = elasticsearch.JobImage
)

// Args are the inputs of the shipper.
type Args struct {
	// Namespace (an output, so objects wait for it) and NamespaceName: the shipper's namespace.
	Namespace     pulumi.StringInput
	NamespaceName string
	// DataNamespace and DataNamespaceName: Elasticsearch's namespace (the retention Job runs there).
	DataNamespace     pulumi.StringInput
	DataNamespaceName string
	// Realm is the users NewRealm created (and the Elasticsearch cluster loaded).
	Realm *Realm
	// Search is what the retention Job waits for (the Elasticsearch component); ClusterUID its
	// cluster's UID, hashed into the Job so that a re-created cluster gets its template again.
	Search     pulumi.Resource
	ClusterUID pulumi.StringInput
	// RetentionDays is how long log lines are kept (config logging.retentionDays).
	RetentionDays int
	// LogNamespaces are the namespaces whose containers' logs are shipped (the platform's; other
	// tenants of the cluster are not read).
	LogNamespaces []string
	// APIServerCIDRs are the API server's endpoints (the kubernetes filter and the CA init container
	// call it); empty admits 443 and 6443 to any address.
	APIServerCIDRs []string
	// Scheduling places the retention Job on the workload pool; the DaemonSet runs on every node.
	Scheduling cluster.Scheduling
	// Labels are added to every object.
	Labels map[string]string
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

func (a *Args) validate() error {
	switch {
	case a.Namespace == nil || !dnsLabel.MatchString(a.NamespaceName):
		return fmt.Errorf("logging: Namespace and NamespaceName (a DNS label, got %q) are required", a.NamespaceName)
	case a.DataNamespace == nil || !dnsLabel.MatchString(a.DataNamespaceName):
		return fmt.Errorf("logging: DataNamespace and DataNamespaceName (a DNS label, got %q) are required", a.DataNamespaceName)
	case a.NamespaceName == a.DataNamespaceName:
		return fmt.Errorf("logging: the shipper's namespace %q must not be Elasticsearch's: it needs Pod Security privileged (hostPath /var/log), the data namespace keeps baseline", a.NamespaceName)
	case a.Realm == nil:
		return fmt.Errorf("logging: Realm is required (NewRealm, loaded by the Elasticsearch cluster)")
	case a.Search == nil || a.ClusterUID == nil:
		return fmt.Errorf("logging: Search and ClusterUID are required (the Elasticsearch component)")
	case a.RetentionDays < 1 || a.RetentionDays > 3650:
		return fmt.Errorf("logging: RetentionDays = %d; want 1–3650", a.RetentionDays)
	case len(a.LogNamespaces) == 0:
		return fmt.Errorf("logging: LogNamespaces is empty: no container's logs would be shipped")
	}
	for _, n := range a.LogNamespaces {
		if !dnsLabel.MatchString(n) {
			return fmt.Errorf("logging: LogNamespaces: %q is not a namespace name (a DNS label)", n)
		}
	}
	return nil
}

// Logging is the shipper component.
type Logging struct {
	pulumi.ResourceState

	// DataStream is the data stream the logs are written to (search it in Kibana).
	DataStream pulumi.StringOutput
}
