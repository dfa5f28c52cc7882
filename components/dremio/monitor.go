package dremio

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
)

// Dremio's "monitor" user: the account the reflection-freshness bridge
// (components/dremio/reflectionmetrics) signs in with (DremioClusterArgs.MonitorUser), instead of the
// administrator. Dremio OSS has two roles, "admin" and "user" (dremio-oss@25.2.0
// dac/backend/.../api/ReflectionResource.java, SQLResource.java, JobResource.java:
// @RolesAllowed({"admin", "user"})), and no privileges model (GRANT is an Enterprise feature), so a
// plain user is the least privilege that reads reflections; the bridge only reads.
const (
	monitorUser = "monitor"
	// MonitorCredentialsSecret is the Secret ("user", "password") of the "monitor" user, in the
	// apps namespace.
	MonitorCredentialsSecret = "dremio-monitor-credentials"
)

// monitorUserScript creates the "monitor" user with the administrator's token ($token, set by the
// bootstrap script before it) through POST /api/v3/user, as the dbt and superset users; an
// existing user is kept.
func monitorUserScript() string {
	return `
user=$(printf '{"name":"%s","firstName":"Platform","lastName":"Monitor","email":"monitor@dataplatform.invalid","password":"%s"}' "$MONITOR_USER" "$MONITOR_PASSWORD")
code=$(curl -sS -o /tmp/user -w '%{http_code}' -X POST "$base/api/v3/user" \
  -H "Authorization: _dremio$token" -H 'Content-Type: application/json' -d "$user")
case "$code" in
  2*) echo "monitor user created" ;;
  *) if grep -qi 'already exists' /tmp/user; then echo "monitor user exists"; else cat /tmp/user; exit 1; fi ;;
esac
`
}

// monitorEnv is the bootstrap Job's environment for the "monitor" user, when it is created.
func (b *builder) monitorEnv() corev1.EnvVarArray {
	if b.monitorSecret == nil {
		return nil
	}
	return corev1.EnvVarArray{
		secretEnv("MONITOR_USER", b.jobSecret.Name, "monitor-user"),
		secretEnv("MONITOR_PASSWORD", b.jobSecret.Name, "monitor-password"),
	}
}

// CoordinatorSelector are the coordinator pods' labels: the web UI and REST API (WebPort) run there.
func CoordinatorSelector() map[string]string { return dremioSelector(CoordinatorRole) }

// WebURL is the in-cluster URL of the web UI and REST API in namespace ns (plain HTTP on WebPort:
// Dremio serves no TLS there; the edge terminates it), as the bootstrap Job reaches it.
func WebURL(ns string) string {
	return fmt.Sprintf("http://%s.%s.svc.cluster.local:%d", clientService, ns, WebPort)
}
