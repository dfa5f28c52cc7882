package gcpnaming

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestResourceName(t *testing.T) {
	assert.Equal(t, "net-nodes", ResourceName("net", "-nodes", 63))
	assert.Equal(t, "my-net-nodes", ResourceName("My_Net", "-nodes", 63))
	assert.Equal(t, "dp-1st-router", ResourceName("1st", "-router", 63))
	assert.Equal(t, "dp-nat", ResourceName("--", "-nat", 63))

	long := strings.Repeat("dataplatform-production-", 4)
	a := ResourceName(long, "-allow-master-webhooks", 63)
	b := ResourceName(long+"x", "-allow-master-webhooks", 63)
	assert.LessOrEqual(t, len(a), 63)
	assert.True(t, strings.HasSuffix(a, "-allow-master-webhooks"))
	assert.NotEqual(t, a, b, "shortened names keep a hash of the full name")
	assert.Equal(t, a, ResourceName(long, "-allow-master-webhooks", 63), "deterministic")
	assert.NotContains(t, a, "--")
}
