package eks

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestInstanceTypes(t *testing.T) {
	assert.Equal(t, []string{"m7i.4xlarge"}, instanceTypes("m7i.4xlarge", false), "on demand runs the machine type alone")
	assert.Equal(t, []string{"m7i.4xlarge", "m6i.4xlarge", "m7a.4xlarge", "m6a.4xlarge", "m5.4xlarge"}, instanceTypes("m7i.4xlarge", true))
	assert.Equal(t, []string{"c6i.2xlarge", "c7i.2xlarge", "c7a.2xlarge", "c6a.2xlarge"}, instanceTypes("c6i.2xlarge", true))
	assert.Equal(t, []string{"m7g.xlarge", "m6g.xlarge", "m8g.xlarge"}, instanceTypes("m7g.xlarge", true), "Graviton stays on arm64")
	// Sizes or families outside the table fall back to the machine type alone.
	assert.Equal(t, []string{"m7g.24xlarge"}, instanceTypes("m7g.24xlarge", true))
	assert.Equal(t, []string{"g5.xlarge"}, instanceTypes("g5.xlarge", true))
	assert.Equal(t, []string{"m7i.metal-24xl"}, instanceTypes("m7i.metal-24xl", true))

	for _, mt := range []string{"m7i.large", "m7i.xlarge", "r6i.8xlarge", "c7a.16xlarge", "m6g.2xlarge"} {
		types := instanceTypes(mt, true)
		assert.Greater(t, len(types), 2, mt)
		size := mt[strings.Index(mt, ".")+1:]
		seen := map[string]bool{}
		for _, it := range types {
			assert.True(t, strings.HasSuffix(it, "."+size), "%s: %s is another size", mt, it)
			assert.Equal(t, isGraviton(mt), isGraviton(it), "%s: %s is another architecture", mt, it)
			assert.False(t, seen[it], "%s: %s twice", mt, it)
			seen[it] = true
		}
	}
}

func TestAMIType(t *testing.T) {
	for mt, want := range map[string]string{
		"m7i.large": "AL2023_x86_64_STANDARD", "m7a.xlarge": "AL2023_x86_64_STANDARD", "g5.xlarge": "AL2023_x86_64_STANDARD",
		"m7i-flex.large": "AL2023_x86_64_STANDARD",
		"m7g.large":      "AL2023_ARM_64_STANDARD", "c7gn.xlarge": "AL2023_ARM_64_STANDARD", "r6gd.2xlarge": "AL2023_ARM_64_STANDARD",
	} {
		assert.Equal(t, want, amiType(mt), mt)
	}
}
