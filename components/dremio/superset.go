package dremio

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
)

// Dremio's "superset" user: the account Superset's Dremio connection signs in with
// (DremioClusterArgs.SupersetUser). Dremio OSS has no privileges model (GRANT and roles are
// Enterprise features), so the user can read what every Dremio user can; the connection Superset
// creates has DML off (Superset's default allow_dml=False), so Superset itself issues no writes.
const (
	supersetUser = "superset"
	// SupersetCredentialsSecret is the Secret ("user", "password") of the "superset" user, in the
	// apps namespace.
	SupersetCredentialsSecret = "dremio-superset-credentials"
)

// supersetAccount is the "superset" service user, created when SupersetUser asks for it.
var supersetAccount = serviceUser{name: supersetUser, firstName: "Superset", lastName: "Service"}

// supersetEnv is the bootstrap Job's environment for the "superset" user, when it is created.
func (b *builder) supersetEnv() corev1.EnvVarArray {
	if b.supersetSecret == nil {
		return nil
	}
	return supersetAccount.env(b.jobSecret.Name)
}
