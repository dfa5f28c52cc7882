package minio

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// TestPrometheusToken: the token is what minio's AuthMiddleware accepts (RELEASE.2025-04-22 cmd/
// metrics.go, cmd/jwt.go): HS512 over header.claims with the user's secret key, issuer
// "prometheus", subject the access key, an expiry.
func TestPrometheusToken(t *testing.T) {
	tok := prometheusToken(MetricsUser, "s3cr3t-key")
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	enc := base64.RawURLEncoding
	mac := hmac.New(sha512.New, []byte("s3cr3t-key"))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	assert.Equal(t, enc.EncodeToString(mac.Sum(nil)), parts[2], "signature")
	var header map[string]string
	var claims map[string]any
	h, _ := enc.DecodeString(parts[0])
	c, _ := enc.DecodeString(parts[1])
	require.NoError(t, json.Unmarshal(h, &header))
	require.NoError(t, json.Unmarshal(c, &claims))
	assert.Equal(t, "HS512", header["alg"])
	assert.Equal(t, map[string]any{"iss": "prometheus", "sub": MetricsUser, "exp": float64(tokenExpiry)}, claims)
	assert.Equal(t, tok, prometheusToken(MetricsUser, "s3cr3t-key"), "stable: no time in the token")
	assert.NotEqual(t, tok, prometheusToken(MetricsUser, "other-key"), "a new key is a new token")
}

// TestMetricsUser: with Metrics the store gets a user allowed only admin:Prometheus, the setup Job
// creates it from minio-users, and minio-metrics holds a token signed with that user's key and the
// CA; without it none of this exists.
func TestMetricsUser(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		a := envArgs(config.Prod)
		a.Metrics = true
		m, s, err := run(t, preview, a)
		inspect.RequireRan(t, preview, err)

		cm := inspect.MustNamed(t, m, cmType, "store-setup")
		script := inspect.Str(cm.Inputs, "data", "setup.sh")
		assert.Contains(t, script, `mc admin user add minio prometheus-metrics "$METRICS_SECRET_KEY"`)
		assert.Contains(t, script, "attach prometheus-metrics prometheus-metrics")
		var pol struct {
			Statement []struct{ Action, Resource []string }
		}
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(cm.Inputs, "data", "policy-prometheus-metrics.json")), &pol))
		require.Len(t, pol.Statement, 1)
		assert.Equal(t, []string{"admin:Prometheus"}, pol.Statement[0].Action, "nothing but the metrics")

		job := inspect.MustNamed(t, m, jobType, "store-setup-job")
		c := inspect.RequireObj(t, job.Inputs, "spec", "template", "spec", "containers", 0)
		// The Job reads the versioned minio-users (secrets.Secret.Versioned), the one materialized.
		usersName := inspect.Str(inspect.MustNamed(t, m, secretType, "store-users").Inputs, "metadata", "name")
		if !preview {
			assert.True(t, secrets.IsVersionOf("minio-users", usersName), usersName)
		}
		found := false
		for i := 0; i < inspect.Len(c, "env"); i++ {
			if inspect.Str(c, "env", i, "name") == metricsEnv {
				found = true
				assert.Equal(t, usersName, inspect.Str(c, "env", i, "valueFrom", "secretKeyRef", "name"))
				assert.Equal(t, MetricsUser, inspect.Str(c, "env", i, "valueFrom", "secretKeyRef", "key"))
			}
		}
		assert.True(t, found, "the Job reads the metrics user's key")

		users := inspect.MustNamed(t, m, secretType, "store-users")
		assert.True(t, inspect.HasKey(users.Inputs, "stringData", MetricsUser) || inspect.HasKey(users.Inputs, "data", MetricsUser), "minio-users carries the metrics key")
		sec := inspect.MustNamed(t, m, secretType, "store-metrics")
		assert.Equal(t, MetricsSecret, inspect.Str(sec.Inputs, "metadata", "name"))
		if !preview {
			tok := inspect.Str(sec.Inputs, "stringData", "token")
			parts := strings.Split(tok, ".")
			require.Len(t, parts, 3, "a JWT in minio-metrics")
			key := inspect.Str(users.Inputs, "stringData", MetricsUser)
			require.NotEmpty(t, key)
			assert.Equal(t, prometheusToken(MetricsUser, key), tok, "signed with the user's own key")
			assert.Contains(t, inspect.Str(sec.Inputs, "stringData", "ca.crt"), "BEGIN CERTIFICATE")
			assert.Equal(t, MetricsSecret, inspect.Await(t, s.MetricsSecret).Value)
		}
		assert.True(t, containsDep(sec.Dependencies, job.URN), "the token waits for the user")

		spec := observability.Spec{Targets: []observability.ScrapeTarget{MetricsTarget("store", dataNS)}}
		require.NoError(t, spec.Validate())
	})
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, preview, envArgs(config.Dev))
		inspect.RequireRan(t, preview, err)
		assert.NotContains(t, inspect.Str(inspect.MustNamed(t, m, cmType, "store-setup").Inputs, "data", "setup.sh"), MetricsUser)
		assert.Nil(t, m.Named(secretType, "store-metrics"), "no metrics user unless asked")
	})
}

func containsDep(deps []string, urn string) bool {
	for _, d := range deps {
		if d == urn {
			return true
		}
	}
	return false
}
