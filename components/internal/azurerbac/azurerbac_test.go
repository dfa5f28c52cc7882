package azurerbac

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/stretchr/testify/assert"
)

func TestDeterministicGUID(t *testing.T) {
	a := DeterministicGUID("/subscriptions/s/rg", "principal", "role")
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, a)
	assert.Equal(t, a, DeterministicGUID("/SUBSCRIPTIONS/s/RG", "Principal", "ROLE"), "ARM IDs are case-insensitive")
	assert.NotEqual(t, a, DeterministicGUID("/subscriptions/s/rg", "other", "role"))
}

// TestRoleDefinitionID: the role is defined in the scope's subscription, whatever the case of the
// "subscriptions" segment (ARM IDs are case-insensitive).
func TestRoleDefinitionID(t *testing.T) {
	const want = "/subscriptions/1111/providers/Microsoft.Authorization/roleDefinitions/role-guid"
	for _, scope := range []string{
		"/subscriptions/1111/resourceGroups/rg/providers/Microsoft.Network/dnszones/example.com",
		"/Subscriptions/1111/resourceGroups/rg",
		"/SUBSCRIPTIONS/1111",
	} {
		got := make(chan string, 1)
		RoleDefinitionID(pulumi.String(scope), "role-guid").ApplyT(func(v string) string { got <- v; return v })
		assert.Equal(t, want, <-got, scope)
	}
}
