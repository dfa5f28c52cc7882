package cnpg

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// Connections each client holds open at most, from the clients' own defaults:
//   - Temporal runs its four services (frontend, history, matching, worker) in one pod, each with
//     its own SQL pool: maxConns 20 on the default store, 10 on the visibility store (Temporal's
//     server config template: SQL_MAX_CONNS default 20, SQL_VIS_MAX_CONNS default 10).
//   - Every Airbyte service with a database (server, worker, workload-launcher,
//     workload-api-server, cron) has two Hikari pools on the airbyte database: config
//     (maximum-pool-size 10) and jobs (maximum-pool-size 20) (airbyte-platform application.yml).
//   - Superset: 20 per pod; components/superset bounds each process's SQLAlchemy pool so that a
//     pod's processes stay within it (superset.DatabaseConnectionsPerPod; superset_budget_test.go).
const (
	temporalServices           = 4
	temporalMaxConns           = 20
	temporalVisibilityMaxConns = 10
	airbyteConnsPerPod         = 10 + 20
	supersetConnsPerPod        = 20
	// reservedConnections are PostgreSQL connections beyond the pooler's: superuser_reserved
	// (3), streaming replicas, the instance manager, backups, and migrations run straight
	// against the -rw Service.
	reservedConnections = 50
)

// Clients counts the pods that open connections to the platform's databases at most at once.
type Clients struct {
	// AirbytePods are Airbyte's pods with database pools: server, workload-launcher,
	// workload-api-server and cron replicas plus the worker autoscaler's ceiling.
	AirbytePods int
	// TemporalPods are Temporal's replicas.
	TemporalPods int
	// SupersetPods are Superset's web and worker pods.
	SupersetPods int
}

// Connections is the most client connections each database sees at once.
func (c Clients) Connections() map[metadatadb.Database]int {
	return map[metadatadb.Database]int{
		metadatadb.Airbyte:            c.AirbytePods * airbyteConnsPerPod,
		metadatadb.Temporal:           c.TemporalPods * temporalServices * temporalMaxConns,
		metadatadb.TemporalVisibility: c.TemporalPods * temporalServices * temporalVisibilityMaxConns,
		metadatadb.Superset:           c.SupersetPods * supersetConnsPerPod,
	}
}

// total is the sum of every database's client connections.
func (c Clients) total() int {
	n := 0
	for _, v := range c.Connections() {
		n += v
	}
	return n
}

// poolSize is PgBouncer's default_pool_size. In session mode each client connection holds one
// server connection for its whole session, so a (user, database) pool must fit every client of
// that database — all of which may land on one pooler instance behind the Service.
// Transaction mode would multiplex, but Airbyte's Flyway migrations take session-level advisory
// locks (pg_advisory_lock), which transaction pooling breaks: the pool stays in session mode.
func (c Clients) poolSize() int {
	n := 0
	for _, v := range c.Connections() {
		n = max(n, v)
	}
	return max(n, 20)
}

// maxConnections is PostgreSQL's max_connections: every client connection through the poolers
// plus the reserve, and never below the memory-derived floor.
func maxConnections(memoryGiB float64, c Clients) int {
	floor := int(math.Max(100, math.Min(500, math.Round(memoryGiB*50))))
	return max(floor, c.total()+reservedConnections)
}

// pgParameters derive the server settings from the instance's memory and the clients.
// ssl_min_protocol_version is left at the operator's TLSv1.3 (cloudnative-pg@v1.29.1
// pkg/postgres/configuration.go): every client speaks TLS 1.3 — Go's crypto/tls (Temporal), pgjdbc on
// Java 21 (Airbyte), libpq with OpenSSL ≥ 1.1.1 (psycopg: Superset, dbt), PgBouncer.
func pgParameters(memoryGiB float64, c Clients) pulumi.Map {
	memMB := int(memoryGiB * 1024)
	return pulumi.Map{
		"max_connections":             pulumi.String(strconv.Itoa(maxConnections(memoryGiB, c))),
		"shared_buffers":              pulumi.String(fmt.Sprintf("%dMB", memMB/4)),
		"effective_cache_size":        pulumi.String(fmt.Sprintf("%dMB", memMB*3/4)),
		"maintenance_work_mem":        pulumi.String(fmt.Sprintf("%dMB", max(64, memMB/16))),
		"log_min_duration_statement":  pulumi.String("1000"),
		"log_checkpoints":             pulumi.String("on"),
		"log_lock_waits":              pulumi.String("on"),
		"log_temp_files":              pulumi.String("10240"),
		"log_autovacuum_min_duration": pulumi.String("10s"),
	}
}

// objectStoreSpec is the Barman Cloud plugin's ObjectStore (barmancloud.cnpg.io/v1,
// plugin-barman-cloud@v0.15.0 config/crd/bases/barmancloud.cnpg.io_objectstores.yaml): the former
// barmanObjectStore section under spec.configuration, the retention policy, and the injected
// sidecar's resources.
func objectStoreSpec(args *MetadataDBArgs, caSecret string) pulumi.Map {
	backupsBucket := args.ObjectStore.BucketNames[objectstore.Backups]
	destination := backupsBucket.ApplyT(func(b string) string { return "s3://" + b + "/cnpg" }).(pulumi.StringOutput)
	credRef := func(key string) pulumi.Map {
		return pulumi.Map{"name": args.BackupCredentialsSecret, "key": pulumi.String(key)}
	}
	configuration := pulumi.Map{
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
		configuration["endpointCA"] = pulumi.Map{"name": pulumi.String(caSecret), "key": pulumi.String("ca.crt")}
	}
	return pulumi.Map{
		"configuration":   configuration,
		"retentionPolicy": pulumi.String(fmt.Sprintf("%dd", args.BackupRetentionDays)),
		"instanceSidecarConfiguration": pulumi.Map{
			"resources": pulumi.Map{
				"requests": pulumi.Map{"cpu": pulumi.String("100m"), "memory": pulumi.String("128Mi")},
				"limits":   pulumi.Map{"cpu": pulumi.String("500m"), "memory": pulumi.String("512Mi")},
			},
		},
	}
}

// clusterSpec is the Cluster's spec (cloudnative-pg@v1.29.1 api/v1/cluster_types.go).
func clusterSpec(args *MetadataDBArgs, clusterName string, roleSecrets map[string]string, caSecret, objectStoreName string, altNames []string) pulumi.Map {
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
	// The read-only roles: LOGIN, no inheritance, few sessions; their grants come from the owner of
	// what they read (components/airbyte/syncmetrics). cloudnative-pg@v1.29.1 api/v1/cluster_types.go
	// RoleConfiguration: login, inherit, connectionLimit, passwordSecret (superuser, createdb,
	// createrole, replication and bypassrls default to false).
	for _, role := range metadatadb.ReadOnlyRoles {
		managed = append(managed, pulumi.Map{
			"name":            pulumi.String(role),
			"ensure":          pulumi.String("present"),
			"login":           pulumi.Bool(true),
			"inherit":         pulumi.Bool(false),
			"connectionLimit": pulumi.Int(metadatadb.ReaderConnectionLimit),
			"passwordSecret":  pulumi.Map{"name": pulumi.String(roleSecrets[role])},
		})
	}
	owner := metadatadb.Owner[metadatadb.Airbyte]
	inherited := pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("dataplatform")}
	for k, v := range args.Labels {
		inherited[k] = pulumi.String(v)
	}
	// api/v1/cluster_types.go AffinityConfiguration: tolerations and nodeSelector apply to every
	// instance pod and the operator's Jobs (initdb, join).
	affinity := pulumi.Map{
		"enablePodAntiAffinity": pulumi.Bool(true),
		"podAntiAffinityType":   pulumi.String(antiAffinity),
		"topologyKey":           pulumi.String("kubernetes.io/hostname"),
	}
	if t := args.Scheduling.TolerationValues(); len(t) > 0 {
		affinity["tolerations"] = t
	}
	if len(args.Scheduling.NodeSelector) > 0 {
		affinity["nodeSelector"] = pulumi.ToStringMap(args.Scheduling.NodeSelector)
	}

	spec := pulumi.Map{
		"instances": pulumi.Int(args.Instances),
		"imageName": pulumi.String(args.image()),
		// "restart" updates the primary in place once the replicas are done. "switchover" would
		// be faster, but the webhook rejects any update that changes imageName and
		// postgresql.parameters together under it (cloudnative-pg@v1.29.1
		// internal/webhook/v1/cluster_webhook.go validateConfigurationChange) — a routine
		// `pulumi up` that bumps the image pin and resizes the instances would fail.
		"primaryUpdateStrategy": pulumi.String("unsupervised"),
		"primaryUpdateMethod":   pulumi.String("restart"),
		"enableSuperuserAccess": pulumi.Bool(false),
		"storage":               storage,
		"resources": pulumi.Map{
			"requests": pulumi.Map{"cpu": pulumi.String(cpu), "memory": pulumi.String(mem)},
			"limits":   pulumi.Map{"cpu": pulumi.String(cpu), "memory": pulumi.String(mem)},
		},
		"affinity": affinity,
		"topologySpreadConstraints": pulumi.Array{pulumi.Map{
			"maxSkew":     pulumi.Int(1),
			"topologyKey": pulumi.String("topology.kubernetes.io/zone"),
			// Clusters without zone labels (kind, k3d) must still schedule.
			"whenUnsatisfiable": pulumi.String("ScheduleAnyway"),
			"labelSelector":     pulumi.Map{"matchLabels": pulumi.Map{"cnpg.io/cluster": pulumi.String(clusterName)}},
		}},
		"inheritedMetadata": pulumi.Map{"labels": inherited},
		// The server certificate is issued by the operator from the platform's CA (ca.crt + ca.key,
		// api/v1/cluster_types.go CertificatesConfiguration.ServerCASecret), and names the pooler's
		// Service too (ServerAltDNSNames) — PgBouncer serves the same certificate
		// (pkg/specs/pgbouncer/deployments.go), so clients verify the pooler with verify-full.
		"certificates": pulumi.Map{
			"serverCASecret":    pulumi.String(caSecret),
			"serverAltDNSNames": pulumi.ToStringArray(altNames),
		},
		"postgresql": pulumi.Map{
			"parameters": pgParameters(args.MemoryGiB, args.Clients),
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
		// WAL archiving and base backups through the Barman Cloud plugin: the in-tree
		// barmanObjectStore is deprecated since 1.26 and goes in 1.31 (plugin-barman-cloud@v0.15.0
		// web/docs/migration.md). api/v1/cluster_types.go PluginConfiguration.
		"plugins": pulumi.Array{pulumi.Map{
			"name":          pulumi.String(PluginName),
			"isWALArchiver": pulumi.Bool(true),
			"parameters":    pulumi.StringMap{"barmanObjectName": pulumi.String(objectStoreName)},
		}},
		// The metrics endpoint over TLS (metrics.go); changing it rolls the instances
		// (api/v1/cluster_types.go MonitoringConfiguration.TLSConfig).
		"monitoring": pulumi.Map{"enablePodMonitor": pulumi.Bool(false), "tls": pulumi.Map{"enabled": pulumi.Bool(true)}},
	}
	if args.HighAvailability {
		// One standby confirms every commit (quorum "ANY 1" among the standbys), and writes wait
		// rather than go unprotected: a lost primary loses no acknowledged transaction.
		// api/v1/cluster_types.go SynchronousReplicaConfiguration replaces minSyncReplicas /
		// maxSyncReplicas.
		spec["postgresql"].(pulumi.Map)["synchronous"] = pulumi.Map{
			"method":         pulumi.String("any"),
			"number":         pulumi.Int(1),
			"dataDurability": pulumi.String("required"),
		}
	}
	return spec
}

// poolerSpec is the PgBouncer Pooler in front of the primary (cloudnative-pg@v1.29.1
// api/v1/pooler_types.go; parameters from internal/webhook/v1/pooler_webhook.go's allowed list).
func poolerSpec(args *MetadataDBArgs, clusterName, poolerName string, instances int) pulumi.Map {
	podLabels := pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("dataplatform")}
	for k, v := range args.Labels {
		podLabels[k] = pulumi.String(v)
	}
	term := pulumi.Map{
		"topologyKey":   pulumi.String("kubernetes.io/hostname"),
		"labelSelector": pulumi.Map{"matchLabels": pulumi.Map{"cnpg.io/poolerName": pulumi.String(poolerName)}},
	}
	affinity := pulumi.Map{"podAntiAffinity": pulumi.Map{
		"preferredDuringSchedulingIgnoredDuringExecution": pulumi.Array{pulumi.Map{"weight": pulumi.Int(100), "podAffinityTerm": term}},
	}}
	if args.HighAvailability {
		affinity = pulumi.Map{"podAntiAffinity": pulumi.Map{
			"requiredDuringSchedulingIgnoredDuringExecution": pulumi.Array{term},
		}}
	}
	podSpec := pulumi.Map{
		"containers": pulumi.Array{pulumi.Map{
			"name": pulumi.String("pgbouncer"),
			"resources": pulumi.Map{
				"requests": pulumi.Map{"cpu": pulumi.String("100m"), "memory": pulumi.String("64Mi")},
				"limits":   pulumi.Map{"cpu": pulumi.String("500m"), "memory": pulumi.String("256Mi")},
			},
		}},
		"affinity": affinity,
	}
	if t := args.Scheduling.TolerationValues(); len(t) > 0 {
		podSpec["tolerations"] = t
	}
	if len(args.Scheduling.NodeSelector) > 0 {
		podSpec["nodeSelector"] = pulumi.ToStringMap(args.Scheduling.NodeSelector)
	}
	return pulumi.Map{
		"cluster":   pulumi.Map{"name": pulumi.String(clusterName)},
		"instances": pulumi.Int(instances),
		"type":      pulumi.String("rw"),
		"pgbouncer": pulumi.Map{
			"poolMode": pulumi.String("session"),
			"parameters": pulumi.Map{
				// Every client of every database may connect through one instance.
				"max_client_conn":   pulumi.String(strconv.Itoa(args.Clients.total() + 100)),
				"default_pool_size": pulumi.String(strconv.Itoa(args.Clients.poolSize())),
				// Clients must use TLS to the pooler too (the operator's default is "prefer").
				"client_tls_sslmode": pulumi.String("require"),
			},
		},
		"template": pulumi.Map{
			"metadata": pulumi.Map{"labels": podLabels},
			"spec":     podSpec,
		},
	}
}

// poolerAltNames are the names the pooler's Service is reached at.
func poolerAltNames(poolerName, ns string) []string {
	out := []string{poolerName, poolerName + "." + ns, poolerName + "." + ns + ".svc", poolerName + "." + ns + ".svc.cluster.local"}
	sort.Strings(out)
	return out
}
