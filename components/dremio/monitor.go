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

// monitorAccount is the "monitor" service user, created when MonitorUser asks for it.
var monitorAccount = serviceUser{name: monitorUser, firstName: "Platform", lastName: "Monitor"}

// monitorEnv is the bootstrap Job's environment for the "monitor" user, when it is created.
func (b *builder) monitorEnv() corev1.EnvVarArray {
	if b.monitorSecret == nil {
		return nil
	}
	return monitorAccount.env(b.jobSecret.Name)
}

// CoordinatorSelector are the coordinator pods' labels: the web UI and REST API (WebPort) run there.
func CoordinatorSelector() map[string]string { return dremioSelector(CoordinatorRole) }

// WebURL is the in-cluster URL of the web UI and REST API in namespace ns (plain HTTP on WebPort:
// Dremio serves no TLS there; the edge terminates it), as the bootstrap Job reaches it.
func WebURL(ns string) string {
	return fmt.Sprintf("http://%s.%s.svc.cluster.local:%d", clientService, ns, WebPort)
}
