package azurerbac

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDeterministicGUID(t *testing.T) {
	a := DeterministicGUID("/subscriptions/s/rg", "principal", "role")
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, a)
	assert.Equal(t, a, DeterministicGUID("/SUBSCRIPTIONS/s/RG", "Principal", "ROLE"), "ARM IDs are case-insensitive")
	assert.NotEqual(t, a, DeterministicGUID("/subscriptions/s/rg", "other", "role"))
}
