package azmon

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/opendataplatform/dataplatform/components/observability"
)

// RunbookDoc is the runbook of the Azure Monitor metric alerts, relative to the repository.
const RunbookDoc = "docs/runbook-alerts-azure.md"

// Metric namespaces (the resource types' provider namespaces, as Azure Monitor names them).
//   - PostgreSQL: MicrosoftDocs/azure-reference-other@0fc1b861 azure-monitor-ref/supported-metrics/
//     includes/microsoft-dbforpostgresql-flexibleservers-metrics-include.md (Microsoft.DBforPostgreSQL/
//     flexibleServers): cpu_percent, memory_percent, storage_percent (Percent; Average, Maximum,
//     Minimum; PT1M), active_connections (Count; Average, Maximum, Minimum; PT1M), is_db_alive
//     (Count; Average, Maximum, Minimum; PT1M), txlogs_storage_used ("Transaction Log Storage Used",
//     Bytes, in the default metrics of concepts-monitoring.md). All "<none>" dimensions, on by default (only the
//     "Database"/"Activity" groups need metrics.collector_database_activity; none is used here).
//   - Storage: MicrosoftDocs/azure-reference-other@cf619f2b azure-monitor-ref/supported-metrics/
//     includes/microsoft-storage-storageaccounts-metrics-include.md (Microsoft.Storage/
//     storageAccounts): Availability (Percent, Average), Transactions (Count, Total) with the
//     ResponseType dimension, whose server-side values are ServerOtherError, ServerBusyError and
//     ServerTimeoutError (MicrosoftDocs/azure-docs@4260367d articles/storage/files/
//     storage-files-monitoring-reference.md, metrics dimensions of Microsoft.Storage/storageAccounts).
const (
	PostgresNamespace = "Microsoft.DBforPostgreSQL/flexibleServers"
	StorageNamespace  = "Microsoft.Storage/storageAccounts"
)

// ServerErrorResponseTypes are the Transactions ResponseType values that are the service's fault.
var ServerErrorResponseTypes = []string{"ServerOtherError", "ServerBusyError", "ServerTimeoutError"}

// Alert is one Azure Monitor metric alert on one resource: a static threshold on one metric
// (MetricAlert criteria Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria with one
// StaticThresholdCriterion; pulumi-azure-native-sdk/insights/v2@v2.90.0 pulumiTypes.go
// MetricCriteriaArgs: metricName, metricNamespace, operator, threshold, timeAggregation, dimensions).
type Alert struct {
	// Name is the alert's suffix (a DNS label); Runbook its anchor in RunbookDoc.
	Name, Runbook string
	// Summary is the alert's description.
	Summary  string
	Severity observability.Severity
	// Namespace, Metric, Aggregation, Operator and Threshold are the criterion.
	Namespace, Metric, Aggregation, Operator string
	Threshold                                float64
	// Dimensions restrict the metric (operator Include).
	Dimensions map[string][]string
	// Window is the look-back period and Frequency how often it is evaluated (ISO 8601).
	Window, Frequency string
}

// AzureSeverity maps the model's severity onto the metric alert's 0–4 (MetricAlert Severity
// "Alert severity {0, 1, 2, 3, 4}": 0 Critical, 1 Error, 2 Warning, 3 Informational, 4 Verbose).
func AzureSeverity(s observability.Severity) int {
	switch s {
	case observability.Critical:
		return 0
	case observability.Warning:
		return 2
	}
	return 3
}

// RunbookURL is the alert's runbook link, absolute when base is set.
func RunbookURL(base, anchor string) string {
	u := RunbookDoc + "#" + anchor
	if base != "" {
		u = strings.TrimSuffix(base, "/") + "/" + u
	}
	return u
}

var skuRE = regexp.MustCompile(`^Standard_([BDE])(\d+)([a-z]*)(_v\d+)?$`)

// MaxConnections is the default max_connections Azure gives a Flexible Server of the SKU
// (MicrosoftDocs/azure-databases-docs@0200b8f3 articles/postgresql/configure-maintain/
// concepts-limits.md "Maximum connections": Burstable B1ms 50, B2s 429, B2ms 859, B4ms 1718, B8ms
// 3437, larger 5000; General Purpose D2* 859, D4* 1718, D8* 3437, D16 and up 5000; Memory Optimized
// E2* 1718, E4* 3437, E8 and up 5000). The default is fixed when the server is created: a later SKU
// change keeps it (same page).
func MaxConnections(sku string) (int, error) {
	m := skuRE.FindStringSubmatch(sku)
	if m == nil {
		return 0, fmt.Errorf("azmon: SKU %q: a Flexible Server compute name such as Standard_D4ds_v5 (B, D or E series)", sku)
	}
	cores, _ := strconv.Atoi(m[2])
	switch family, suffix := m[1], m[3]; {
	case family == "B" && cores == 1:
		return 50, nil
	case family == "B" && cores == 2 && suffix == "s":
		return 429, nil
	case family == "B" && cores == 2:
		return 859, nil
	case family == "B" && cores == 4, family == "D" && cores == 4, family == "E" && cores == 2:
		return 1718, nil
	case family == "D" && cores == 2:
		return 859, nil
	case family == "B" && cores == 8, family == "D" && cores == 8, family == "E" && cores == 4:
		return 3437, nil
	case cores >= 8:
		return 5000, nil
	}
	return 0, fmt.Errorf("azmon: SKU %q: not in the Flexible Server limits table (concepts-limits.md)", sku)
}

// DatabaseAlerts are the Flexible Server's alerts. Flexible Server emits no backup-health metric
// (backup_storage_used is a size) and the platform creates no read replica (the replication lag
// metrics are a replica's), so neither has an alert here: backups are the service's, visible in the
// server's Backup and restore blade, and zone-redundant HA's standby is reported by Resource Health.
//
// WAL retained on the server's own storage (txlogs_storage_used, "Transaction Log Storage Used",
// Bytes: MicrosoftDocs/azure-databases-docs articles/postgresql/monitor/concepts-monitoring.md,
// default metrics) grows when archiving to the backup storage stalls or a replication slot holds it:
// point-in-time recovery then falls behind, the RPO's class of alert. The threshold is 10 % of the
// provisioned storage with a WALAlertFloorGiB floor (between checkpoints PostgreSQL keeps up to
// max_wal_size of WAL), as on aws (amp/rds.go, TransactionLogsDiskUsage).
func DatabaseAlerts(sku string, storageGiB int) ([]Alert, error) {
	maxConn, err := MaxConnections(sku)
	if err != nil {
		return nil, err
	}
	crit, warn := observability.Critical, observability.Warning
	walGiB := walAlertGiB(storageGiB)
	pg := func(name, runbook string, sev observability.Severity, summary, metric, agg, op string, threshold float64, window, freq string) Alert {
		return Alert{Name: name, Runbook: runbook, Summary: summary, Severity: sev, Namespace: PostgresNamespace, Metric: metric,
			Aggregation: agg, Operator: op, Threshold: threshold, Window: window, Frequency: freq}
	}
	return []Alert{
		// is_db_alive is 1 or 0 per 20-second probe; Maximum below 1 over 5 minutes means no probe
		// succeeded in those 5 minutes (Minimum would page on a single missed probe: every restart in
		// the maintenance window, every HA failover).
		pg("pg-down", "postgres-down", crit, "the metadata database has not answered one of Azure's liveness probes (is_db_alive) for 5 minutes",
			"is_db_alive", "Maximum", "LessThan", 1, "PT5M", "PT1M"),
		pg("pg-cpu-high", "postgres-cpu-high", warn, "the metadata database's CPU has averaged above 80 % for 15 minutes",
			"cpu_percent", "Average", "GreaterThan", 80, "PT15M", "PT5M"),
		pg("pg-memory-high", "postgres-memory-high", warn, "the metadata database's memory has averaged above 90 % for 15 minutes",
			"memory_percent", "Average", "GreaterThan", 90, "PT15M", "PT5M"),
		// Flexible Server turns read-only at 95 % (concepts-limits.md "Storage"); 85 % leaves time to grow it.
		pg("pg-storage-high", "postgres-storage-high", crit, "the metadata database's storage is more than 85 % full (read-only at 95 %)",
			"storage_percent", "Maximum", "GreaterThan", 85, "PT15M", "PT5M"),
		pg("pg-connections-high", "postgres-connection-saturation", warn,
			fmt.Sprintf("the metadata database uses more than 80 %% of its %d connections (max_connections of %s)", maxConn, sku),
			"active_connections", "Maximum", "GreaterThan", float64(maxConn*8/10), "PT15M", "PT5M"),
		pg("pg-txlogs-high", "postgres-wal-retained", crit,
			fmt.Sprintf("WAL held on the metadata database's storage has exceeded %d GiB (10 %% of its storage, at least %d GiB) for 15 minutes: archiving or a replication slot is holding it", walGiB, WALAlertFloorGiB),
			"txlogs_storage_used", "Maximum", "GreaterThan", float64(walGiB)*(1<<30), "PT15M", "PT5M"),
	}, nil
}

// WALAlertFloorGiB is the least retained WAL the pg-txlogs-high alert fires at.
const WALAlertFloorGiB = 4

// walAlertGiB is pg-txlogs-high's threshold: 10 % of the storage, at least the floor.
func walAlertGiB(storageGiB int) int { return max(storageGiB/10, WALAlertFloorGiB) }

// StorageAlerts are a storage account's alerts; role names the account in the alert ("lake").
func StorageAlerts(role string) []Alert {
	return []Alert{
		{Name: "storage-" + role + "-availability", Runbook: "storage-availability-low", Severity: observability.Critical,
			Summary:   "the " + role + " storage account answered less than 99 % of requests successfully over 15 minutes",
			Namespace: StorageNamespace, Metric: "Availability", Aggregation: "Average", Operator: "LessThan", Threshold: 99,
			Window: "PT15M", Frequency: "PT5M"},
		{Name: "storage-" + role + "-server-errors", Runbook: "storage-server-errors", Severity: observability.Warning,
			Summary:   "the " + role + " storage account failed more than 10 requests with server errors in 15 minutes",
			Namespace: StorageNamespace, Metric: "Transactions", Aggregation: "Total", Operator: "GreaterThan", Threshold: 10,
			Dimensions: map[string][]string{"ResponseType": ServerErrorResponseTypes}, Window: "PT15M", Frequency: "PT5M"},
	}
}
