package ecr

import (
	"encoding/json"
	"testing"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type rule struct {
	RulePriority int            `json:"rulePriority"`
	Selection    map[string]any `json:"selection"`
}

// TestPinnedTagNeverExpires: the deployed dbt tag is matched by a rule ahead of the catch-all, whose
// count it can never exceed (class 9: the single "keep the last N" rule expired the pinned image once
// N newer images were pushed).
func TestPinnedTagNeverExpires(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, &RegistryArgs{Name: "dataplatform-dev/dbt", PinnedTags: []string{"1.0.0"}, ForceDelete: true, Protect: true})
		require.NoError(t, err)
		lp := m.Named("aws:ecr/lifecyclePolicy:LifecyclePolicy", "registry-lifecycle")
		var policy struct{ Rules []rule }
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(lp.Inputs, "policy")), &policy))
		require.Len(t, policy.Rules, 3)
		pin := policy.Rules[0]
		assert.Equal(t, 1, pin.RulePriority)
		assert.Equal(t, "tagged", pin.Selection["tagStatus"])
		assert.Equal(t, []any{"1.0.0"}, pin.Selection["tagPatternList"])
		assert.Equal(t, float64(1), pin.Selection["countNumber"], "tags are immutable: never more than one image per tag")
		catchAll := policy.Rules[2]
		assert.Equal(t, "any", catchAll.Selection["tagStatus"])
		assert.Greater(t, catchAll.RulePriority, pin.RulePriority, "the catch-all must come last")

		repo := m.Named("aws:ecr/repository:Repository", "registry-repository")
		v, ok := inspect.Bool(repo.Inputs, "forceDelete")
		assert.True(t, ok && v, "outside prod the repository goes with its images")
		assert.True(t, repo.Protect)
		assert.False(t, lp.Protect, "the lifecycle policy is disposable")
	})
	_, _, err := run(t, false, &RegistryArgs{Name: "dbt", PinnedTags: []string{"1.*"}})
	assert.ErrorContains(t, err, "PinnedTags[0]")
}
