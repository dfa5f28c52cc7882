package externaldns

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestSingletonAnnotation: the one-replica Deployment carries the policy pack's singleton
// exemption with its reason, on every provider.
func TestSingletonAnnotation(t *testing.T) {
	for name, a := range map[string]*Args{"aws": awsArgs(), "azure": azureArgs()} {
		t.Run(name, func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) {
				m, err := run(t, preview, a)
				require.NoError(t, err)
				c := inspect.MustNamed(t, m, "kubernetes:helm.sh/v4:Chart", "external-dns-chart")
				assert.Equal(t, 1.0, inspect.Num(c.Inputs, "values", "replicaCount"))
				assert.NotEmpty(t, inspect.Str(c.Inputs, "values", "deploymentAnnotations", "dataplatform.io/singleton"))
			})
		})
	}
}
