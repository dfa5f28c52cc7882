package policies

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func backups() Policy {
	return Policy{
		Name: "backups",
		Description: "Every database keeps automated backups for at least the stack's retention floor (prod ≥ 7 days, " +
			"never none) with point-in-time recovery where the service offers it, object stores keep versions or " +
			"soft-deleted data, and in-cluster PostgreSQL archives WAL within the stack's RPO (prod: 15 min) — " +
			"the design document's disaster recovery: PostgreSQL backups + WAL replay, object-storage snapshots.",
		Level: Mandatory,
		ConfigSchema: map[string]map[string]any{
			"minBackupRetentionDays": {
				"type": "integer", "minimum": MinRetentionFloorDays,
				"description": "Shortest backup / soft-delete retention in days (defaults: prod 7, staging 3, dev 1; prod never below 7).",
			},
			"maxRpoMinutes": {
				"type": "integer", "minimum": 1,
				"description": "Longest tolerated data-loss window in minutes (defaults: prod 15, staging 240, dev 1440; prod never above 15).",
			},
		},
		Resources: []string{AWSRDSInstance, AWSRDSCluster, AzurePostgresServer, GCPSQLInstance, AWSS3VersioningV2,
			AzureBlobServiceProperties, GCPStorageBucket, CNPGCluster, BarmanObjectStore},
		ValidateResource: func(r Resource, cfg Config) []Finding {
			e := newEval(r.URN)
			p := r.Properties
			floor := cfg.MinBackupRetentionDays
			switch r.Type {
			case AWSRDSInstance, AWSRDSCluster:
				e.rule(func() {
					days, ok := e.num(p, "backupRetentionPeriod")
					if !ok {
						e.fail("backupRetentionPeriod is not set (the API default is 1 day): set it to at least %d days", floor)
					} else if int(days) < floor {
						e.fail("backupRetentionPeriod is %v days, below the stack's floor of %d (automated backups and point-in-time recovery need it)", days, floor)
					}
				})
			case AzurePostgresServer:
				e.rule(func() {
					// Flexible Server keeps 7 days by default, with point-in-time restore built in.
					days, ok := e.num(p, "backup", "backupRetentionDays")
					if !ok {
						days = 7
					}
					if int(days) < floor {
						e.fail("backup.backupRetentionDays is %v, below the stack's floor of %d days", days, floor)
					}
				})
			case GCPSQLInstance:
				e.rule(func() {
					// A read replica (the DR replica in another region) cannot have backups of its
					// own: Cloud SQL refuses backupConfiguration on replicas; its primary's count.
					if m, _ := e.str(p, "masterInstanceName"); m != "" {
						return
					}
					bc, ok := e.obj(p, "settings", "backupConfiguration")
					if enabled, _ := e.boolean(bc, "enabled"); !ok || !enabled {
						e.fail("Cloud SQL settings.backupConfiguration.enabled is not true: automated backups are off")
						return
					}
					if pitr, _ := e.boolean(bc, "pointInTimeRecoveryEnabled"); !pitr {
						e.fail("Cloud SQL backupConfiguration.pointInTimeRecoveryEnabled is not true: without WAL retention the RPO is a day, not %d minutes", cfg.MaxRPOMinutes)
					}
					kept, ok := e.num(bc, "backupRetentionSettings", "retainedBackups")
					if !ok {
						kept = 7 // Cloud SQL's default, one backup a day
					}
					if int(kept) < floor {
						e.fail("Cloud SQL keeps %v daily backups, below the stack's floor of %d days", kept, floor)
					}
				})
			case AWSS3VersioningV2:
				e.rule(func() {
					if s, _ := e.str(p, "versioningConfiguration", "status"); s != "Enabled" {
						e.fail("bucket versioning status is %q: set Enabled so overwritten and deleted objects can be recovered", s)
					}
				})
			case AzureBlobServiceProperties:
				e.rule(func() {
					enabled, _ := e.boolean(p, "deleteRetentionPolicy", "enabled")
					days, _ := e.num(p, "deleteRetentionPolicy", "days")
					versioning, _ := e.boolean(p, "isVersioningEnabled")
					switch {
					case !enabled && !versioning:
						e.fail("blob soft delete (deleteRetentionPolicy) and versioning are both off: deleted data cannot be recovered")
					case enabled && int(days) < floor:
						e.fail("blob soft delete keeps %v days, below the stack's floor of %d", days, floor)
					}
				})
			case GCPStorageBucket:
				e.rule(func() {
					if v, _ := e.boolean(p, "versioning", "enabled"); v {
						return
					}
					secs, ok := e.num(p, "softDeletePolicy", "retentionDurationSeconds")
					switch {
					case !ok:
						e.fail("bucket has neither versioning.enabled nor an explicit softDeletePolicy: enable versioning")
					case secs < float64(floor*86400):
						e.fail("bucket soft delete keeps %v seconds, below the stack's floor of %d days, and versioning is off", secs, floor)
					}
				})
			case BarmanObjectStore:
				e.rule(func() {
					// With the Barman Cloud plugin the retention lives on the ObjectStore
					// (plugin-barman-cloud@v0.15.0 api/v1/objectstore_types.go spec.retentionPolicy);
					// without one, base backups and WAL are kept forever or pruned by hand.
					rp, ok := e.str(p, "spec", "retentionPolicy")
					if !ok {
						e.fail("spec.retentionPolicy is not set: backups are never pruned to a known window; set at least %dd", floor)
						return
					}
					if d, err := retentionDays(rp); err != nil {
						e.fail("spec.retentionPolicy: %v", err)
					} else if d < floor {
						e.fail("spec.retentionPolicy %q keeps less than the stack's floor of %d days", rp, floor)
					}
				})
			case CNPGCluster:
				e.rule(func() {
					_, barman := e.obj(p, "spec", "backup", "barmanObjectStore")
					plugin := false
					for _, pl := range e.objs(p, "spec", "plugins") {
						if w, _ := e.boolean(pl, "isWALArchiver"); w {
							plugin = true
						}
					}
					if !barman && !plugin {
						e.fail("CloudNativePG cluster does not archive WAL: set spec.backup.barmanObjectStore (or a WAL-archiver plugin) for point-in-time recovery")
						return
					}
					if rp, ok := e.str(p, "spec", "backup", "retentionPolicy"); ok {
						if d, err := retentionDays(rp); err != nil {
							e.fail("spec.backup.retentionPolicy: %v", err)
						} else if d < floor {
							e.fail("spec.backup.retentionPolicy %q keeps less than the stack's floor of %d days", rp, floor)
						}
					}
				})
				e.rule(func() {
					// CloudNativePG sets archive_timeout to 5 min; a longer one stretches the RPO.
					if v, ok := e.str(p, "spec", "postgresql", "parameters", "archive_timeout"); ok {
						d, err := pgDuration(v)
						if err != nil {
							e.fail("archive_timeout: %v", err)
						} else if d > time.Duration(cfg.MaxRPOMinutes)*time.Minute {
							e.fail("archive_timeout %s exceeds the stack's RPO of %d minutes", v, cfg.MaxRPOMinutes)
						}
					}
				})
			}
			return e.findings
		},
	}
}

// retentionDays parses a CloudNativePG retention policy ("30d", "4w", "3m").
func retentionDays(s string) (int, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("invalid retention policy %q", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil {
		return 0, fmt.Errorf("invalid retention policy %q", s)
	}
	switch s[len(s)-1] {
	case 'd':
		return n, nil
	case 'w':
		return 7 * n, nil
	case 'm':
		return 30 * n, nil
	}
	return 0, fmt.Errorf("invalid retention policy %q", s)
}

// pgDuration parses a PostgreSQL time setting ("300", "300s", "5min", "1h"); bare numbers are seconds.
func pgDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		s string
		d time.Duration
	}{{"ms", time.Millisecond}, {"min", time.Minute}, {"s", time.Second}, {"h", time.Hour}, {"d", 24 * time.Hour}}
	for _, u := range units {
		if strings.HasSuffix(s, u.s) {
			n, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, u.s)), 64)
			if err != nil {
				return 0, fmt.Errorf("invalid duration %q", s)
			}
			return time.Duration(n * float64(u.d)), nil
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return time.Duration(n * float64(time.Second)), nil
}
