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

// supersetUserScript creates the "superset" user with the administrator's token ($token, set by the
// bootstrap script before it) through the same endpoint as the dbt user (POST /api/v3/user);
// an existing user is kept.
func supersetUserScript() string {
	return `
user=$(printf '{"name":"%s","firstName":"Superset","lastName":"Service","email":"superset@dataplatform.invalid","password":"%s"}' "$SUPERSET_USER" "$SUPERSET_PASSWORD")
code=$(curl -sS -o /tmp/user -w '%{http_code}' -X POST "$base/api/v3/user" \
  -H "Authorization: _dremio$token" -H 'Content-Type: application/json' -d "$user")
case "$code" in
  2*) echo "superset user created" ;;
  *) if grep -qi 'already exists' /tmp/user; then echo "superset user exists"; else cat /tmp/user; exit 1; fi ;;
esac
`
}

// supersetEnv is the bootstrap Job's environment for the "superset" user, when it is created: from
// the Job's versioned Secret, like the admin and dbt credentials.
func (b *builder) supersetEnv() corev1.EnvVarArray {
	if b.supersetSecret == nil {
		return nil
	}
	return corev1.EnvVarArray{
		secretEnv("SUPERSET_USER", b.jobSecret.Name, "superset-user"),
		secretEnv("SUPERSET_PASSWORD", b.jobSecret.Name, "superset-password"),
	}
}
