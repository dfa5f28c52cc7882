package cloudsql

import (
	"testing"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 9, class 1: the instance, the DR replica and the generated password are protected with
// Protect; the admin user and everything the bootstrap writes on the cluster never are.
func TestProtectOnlyStatefulLeaves(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		for _, protect := range []bool{true, false} {
			args := prodArgs()
			args.DRReplica = true
			args.Protect = protect
			w, err := run(t, preview, args)
			completed(t, preview, err)
			comp := inspect.One(t, w.m, MetadataDBType)
			var protected []string
			for _, r := range w.m.Children(comp.URN) {
				if r.Protect {
					protected = append(protected, r.Type)
				}
			}
			if protect {
				// The instance, its DR replica, the admin password and the three roles' passwords (the
				// owners' and the read-only airbyte_reader's).
				assert.ElementsMatch(t, []string{tInstance, tInstance, tPassword, tPassword, tPassword, tPassword}, protected)
			} else {
				assert.Empty(t, protected)
			}
		}
	})
}

// Issue 9, class 11: with DRReplica, a cross-region read replica of the primary runs in DRRegion,
// on the same VPC, with the primary's size, TLS and availability, so it can be promoted after a
// region loss (RPO = replication lag instead of a day of writes).
func TestDRReplica(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := prodArgs()
		args.DRReplica = true
		w, err := run(t, preview, args)
		completed(t, preview, err)
		primary := w.m.Named(tInstance, "metadata-db-instance")
		replica := w.m.Named(tInstance, "metadata-db-dr-replica")
		require.NotNil(t, primary)
		require.NotNil(t, replica)
		in := replica.Inputs
		assert.Equal(t, "europe-west1", inspect.Str(in, "region"))
		assert.Equal(t, "dataplatform-prod-dr", inspect.Str(in, "name"))
		assert.True(t, inspect.DependsOnInput(replica, "masterInstanceName", primary), "the replica follows the primary")
		assert.Equal(t, "dataplatform-prod", inspect.Str(in, "masterInstanceName"))
		assert.Equal(t, "POSTGRES_16", inspect.Str(in, "databaseVersion"))
		assert.Equal(t, "db-custom-4-16384", inspect.Str(in, "settings", "tier"))
		assert.Equal(t, "REGIONAL", inspect.Str(in, "settings", "availabilityType"), "promoted, it keeps the zone-failure SLA")
		assert.False(t, inspect.At(in, "settings", "ipConfiguration", "ipv4Enabled").BoolValue())
		assert.Equal(t, "ENCRYPTED_ONLY", inspect.Str(in, "settings", "ipConfiguration", "sslMode"))
		assert.True(t, inspect.At(in, "settings", "backupConfiguration").IsNull(), "replicas hold no backups")
		assert.True(t, inspect.DependsOnInput(replica, "settings", w.m.Named("gcp:servicenetworking/connection:Connection", "psa")),
			"the replica's private IP needs private service access too")
		if !preview {
			assert.Equal(t, "dataplatform-prod-dr", inspect.Await(t, w.db.ReplicaName).Value)
		}
	})
	inspect.Modes(t, func(t *testing.T, preview bool) {
		w, err := run(t, preview, prodArgs())
		completed(t, preview, err)
		assert.Len(t, w.m.ByType(tInstance), 1, "no replica unless asked")
	})
	args := prodArgs()
	args.DRReplica, args.DRRegion = true, ""
	_, err := run(t, false, args)
	require.ErrorContains(t, err, "DRReplica is set without DRRegion")
}

// Issue 9, class 10: the per-instance CA is stated, its PEM is an output and reaches the clients'
// ConfigMap, and clients verify the chain (verify-ca: the certificate carries no IP SAN, so verify-full
// by IP cannot succeed, while the per-instance CA signs only this instance).
func TestServerVerification(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		w, err := run(t, preview, prodArgs())
		completed(t, preview, err)
		inst := w.m.Named(tInstance, "metadata-db-instance")
		assert.Equal(t, ServerCAMode, inspect.Str(inst.Inputs, "settings", "ipConfiguration", "serverCaMode"))
		assert.Equal(t, "verify-ca", w.db.Connection.SSLMode)
		if preview {
			return
		}
		ca := inspect.Await(t, w.db.ServerCACert).Value
		assert.Contains(t, ca, "BEGIN CERTIFICATE")
		assert.Equal(t, inspect.Str(inst.Outputs, "serverCaCerts", 0, "cert"), ca)
		assert.Equal(t, "metadata-db-ca", inspect.Await(t, w.db.Connection.CAConfigMap).Value, "clients mount the CA from this ConfigMap")
	})
}

// Disk autoresize owns the disk size after creation: the primary and the DR replica ignore changes to
// settings.diskSize, or a refresh after growth would make the next update try to shrink the disk,
// which Cloud SQL refuses.
func TestAutoresizedDiskIsNotShrunkBack(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		args := prodArgs()
		args.DRReplica = true
		w, err := run(t, preview, args)
		completed(t, preview, err)
		instances := w.m.ByType(tInstance)
		require.Len(t, instances, 2)
		for _, i := range instances {
			assert.True(t, inspect.RequireBool(t, i.Inputs, "settings", "diskAutoresize"))
			assert.Contains(t, i.IgnoreChanges, "settings.diskSize", i.Name)
		}
	})
}
