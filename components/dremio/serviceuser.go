package dremio

import (
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// serviceUser is a Dremio user the bootstrap Job creates besides the administrator and dbt, for a
// service that signs in to Dremio ("superset", "monitor"). Its credentials travel in the Job's
// versioned Secret under "<name>-user" and "<name>-password", as the admin and dbt credentials do.
type serviceUser struct {
	// name is the user's Dremio name; it also names the Secret keys and the env vars (upper-cased).
	name string
	// firstName and lastName are the profile Dremio requires (POST /api/v3/user).
	firstName, lastName string
}

// script creates the user with the administrator's token ($token, set by the bootstrap script before
// it) through POST /api/v3/user, as the dbt user is created; an existing user is kept.
func (u serviceUser) script() string {
	env := strings.ToUpper(u.name)
	return `
user=$(printf '{"name":"%s","firstName":"` + u.firstName + `","lastName":"` + u.lastName + `","email":"` + u.name + `@dataplatform.invalid","password":"%s"}' "$` + env + `_USER" "$` + env + `_PASSWORD")
code=$(curl -sS -o /tmp/user -w '%{http_code}' -X POST "$base/api/v3/user" \
  -H "Authorization: _dremio$token" -H 'Content-Type: application/json' -d "$user")
case "$code" in
  2*) echo "` + u.name + ` user created" ;;
  *) if grep -qi 'already exists' /tmp/user; then echo "` + u.name + ` user exists"; else cat /tmp/user; exit 1; fi ;;
esac
`
}

// env is the bootstrap Job's environment for the user, read from the Job's Secret jobSecret.
func (u serviceUser) env(jobSecret pulumi.StringInput) corev1.EnvVarArray {
	env := strings.ToUpper(u.name)
	return corev1.EnvVarArray{
		secretEnv(env+"_USER", jobSecret, u.name+"-user"),
		secretEnv(env+"_PASSWORD", jobSecret, u.name+"-password"),
	}
}
