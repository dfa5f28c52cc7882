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

func TestAccountID(t *testing.T) {
	assert.Equal(t, "dataplatform-prod-nodes", AccountID("dataplatform-prod", "-nodes"))
	assert.Equal(t, "ab-sa-sa", AccountID("ab", ""), "padded to the 6-character minimum")
	long := AccountID("dataplatform-production-europe", "-nodes")
	assert.LessOrEqual(t, len(long), 30)
	assert.NoError(t, ValidAccountID("id", long))
	assert.NotEqual(t, long, AccountID("dataplatform-production-europe2", "-nodes"))
	assert.Error(t, ValidAccountID("id", "ab"))
	assert.Error(t, ValidAccountID("id", "1abcdef"))
}

func TestValidMember(t *testing.T) {
	for _, ok := range []string{"user:ana@example.com", "group:platform-admins@example.com",
		"serviceAccount:ci@acme-ci.iam.gserviceaccount.com", "domain:example.com",
		"principalSet://iam.googleapis.com/locations/global/workforcePools/p/group/admins"} {
		assert.NoError(t, ValidMember("m", ok), ok)
	}
	for _, bad := range []string{"ana@example.com", "user:ana", "role:admin", "", "group: a@b.c"} {
		assert.Error(t, ValidMember("m", bad), bad)
	}
}
