package elasticsearch

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// FileRealm is a set of file-realm users, and their roles, that another component (the log shipper,
// package logging) brings to the cluster. ECK reads every Secret that spec.auth.fileRealm and
// spec.auth.roles name (CRD elasticsearch.k8s.elastic.co/v1 at cloud-on-k8s v3.5.0: both are arrays
// of {secretName}; pkg/controller/elasticsearch/user/user_provided.go realmFromBasicAuthSecret reads
// a kubernetes.io/basic-auth Secret's username, password and comma-separated roles;
// pkg/controller/elasticsearch/user/roles.go reads roles.yml) and merges them with the snapshot user's.
type FileRealm struct {
	// Users are kubernetes.io/basic-auth Secrets in the cluster's namespace (username, password, roles).
	Users []pulumi.StringInput
	// Roles is a Secret in the cluster's namespace whose roles.yml defines the users' roles.
	Roles pulumi.StringInput
	// Resources create those Secrets; the cluster waits for them (an ExternalSecret waits Ready).
	Resources []pulumi.Resource
}

func (a *Args) validateClientRealms() error {
	for i, r := range a.ClientRealms {
		if len(r.Users) == 0 || r.Roles == nil {
			return fmt.Errorf("elasticsearch: ClientRealms[%d]: Users and Roles are required", i)
		}
	}
	return nil
}

// withClientRealms appends the client realms' Secrets to spec.auth's fileRealm and roles.
func (a *Args) withClientRealms(fileRealm, roles pulumi.Array) (pulumi.Array, pulumi.Array) {
	for _, r := range a.ClientRealms {
		for _, u := range r.Users {
			fileRealm = append(fileRealm, pulumi.Map{"secretName": u})
		}
		roles = append(roles, pulumi.Map{"secretName": r.Roles})
	}
	return fileRealm, roles
}

// clientRealmResources are what the cluster waits for.
func (a *Args) clientRealmResources() []pulumi.Resource {
	var out []pulumi.Resource
	for _, r := range a.ClientRealms {
		out = append(out, r.Resources...)
	}
	return out
}
