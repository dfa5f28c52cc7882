package cnpg

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/superset"
)

// TestSupersetBudgetMatchesItsPools: the server is sized for as many connections per Superset pod as
// the Superset component bounds its pods' SQLAlchemy pools to.
func TestSupersetBudgetMatchesItsPools(t *testing.T) {
	assert.Equal(t, superset.DatabaseConnectionsPerPod, Clients{SupersetPods: 1}.Connections()[metadatadb.Superset])
	// Prod's defaults (6 web at most, 2 workers): 12 pods, 240 connections, all in max_connections.
	c := Clients{AirbytePods: 1, TemporalPods: 1, SupersetPods: superset.DatabasePods(6, 2)}
	assert.Equal(t, 240, c.Connections()[metadatadb.Superset])
	assert.GreaterOrEqual(t, maxConnections(4, c), c.total()+reservedConnections)
	assert.GreaterOrEqual(t, c.poolSize(), 240, "PgBouncer's pool fits every Superset client")
}
