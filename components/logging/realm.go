package logging

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/elasticsearch"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// RealmArgs are the inputs of NewRealm.
type RealmArgs struct {
	// Namespace and DataNamespace: the shipper's namespace and Elasticsearch's.
	Namespace, DataNamespace pulumi.StringInput
	// Secrets is the secret store; nil keeps plain Secrets (library use without ESO).
	Secrets *secrets.Store
	// Labels are added to every object.
	Labels map[string]string
	// Protect protects the generated passwords (the platform's rule for generated credentials): prod.
	Protect bool
}

// Realm is the shipper's and the retention Job's Elasticsearch users.
type Realm struct {
	pulumi.ResourceState

	// FileRealm is what elasticsearch.Args.ClientRealms takes.
	FileRealm elasticsearch.FileRealm
	// WriterSecret is the writer's username and password in the shipper's namespace; AdminSecret
	// the admin's basic-auth Secret in Elasticsearch's namespace.
	WriterSecret, AdminSecret pulumi.StringOutput
	// writerPassword and adminPassword are hashed into the pods that read them, so that a new
	// password restarts them.
	writerPassword, adminPassword pulumi.StringOutput
	// ready are the Secrets the pods wait for.
	ready []pulumi.Resource
}

// rolesFile is roles.yml (the file realm's roles; pkg/controller/elasticsearch/user/roles.go at
// cloud-on-k8s v3.5.0). The privileges are Elasticsearch's (elastic/elasticsearch docs/reference/
// elasticsearch/security-privileges.md): create_doc indexes new documents only (the bulk "create"
// operation Fluent Bit's es output sends, Write_Operation create); auto_configure lets that write
// create the data stream from its template if it is missing; the admin's manage_index_templates and
// monitor (cluster health) are cluster privileges, create_index (create the data stream),
// view_index_metadata (GET _data_stream), manage_data_stream_lifecycle (its lifecycle) and manage_ilm
// (POST _ilm/remove on its backing indices) index ones.
func rolesFile() string {
	return fmt.Sprintf(`%[1]s:
  indices:
    - names: ["%[3]s"]
      privileges: ["create_doc", "auto_configure"]
%[2]s:
  cluster: ["manage_index_templates", "monitor"]
  indices:
    - names: ["%[3]s"]
      privileges: ["create_index", "view_index_metadata", "manage_data_stream_lifecycle", "manage_ilm"]
`, WriterRole, AdminRole, DataStreamPattern)
}

// NewRealm creates the two users' passwords, writes them to the secret store and materializes the
// Secrets ECK (file realm, data namespace) and Fluent Bit (shipper namespace) read, and the roles.
func NewRealm(ctx *pulumi.Context, name string, args *RealmArgs, opts ...pulumi.ResourceOption) (*Realm, error) {
	if args == nil || args.Namespace == nil || args.DataNamespace == nil {
		return nil, fmt.Errorf("logging: realm: Namespace and DataNamespace are required")
	}
	comp := &Realm{}
	if err := ctx.RegisterComponentResourceV2(RealmType, name, pulumi.Map{"protect": pulumi.Bool(args.Protect)}, comp, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	labels := map[string]string{"app.kubernetes.io/component": "logging"}
	for k, v := range args.Labels {
		labels[k] = v
	}
	user := func(suffix, username, role string) (*secrets.Credential, pulumi.StringOutput, error) {
		pw, err := random.NewRandomPassword(ctx, name+"-"+suffix+"-password", &random.RandomPasswordArgs{
			Length: pulumi.Int(32), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4),
		}, pulumi.Parent(comp), pulumi.Protect(args.Protect))
		if err != nil {
			return nil, pulumi.StringOutput{}, err
		}
		cred, err := args.Secrets.Put(ctx, name+"-"+suffix, "logging-"+suffix, map[string]pulumi.StringInput{
			"username": pulumi.String(username), "password": pw.Result, "roles": pulumi.String(role),
		}, child)
		return cred, pw.Result, err
	}
	writer, writerPW, err := user("writer", WriterUser, WriterRole)
	if err != nil {
		return nil, err
	}
	admin, adminPW, err := user("admin", AdminUser, AdminRole)
	if err != nil {
		return nil, err
	}
	// A kubernetes.io/basic-auth Secret with username, password and roles is one file-realm user
	// (pkg/controller/elasticsearch/user/user_provided.go realmFromBasicAuthSecret).
	realmUser := func(suffix, secretName string, cred *secrets.Credential) (*secrets.Materialized, error) {
		return args.Secrets.Materialize(ctx, name+"-"+suffix, secrets.Secret{
			Name: secretName, Namespace: args.DataNamespace, Type: "kubernetes.io/basic-auth", Labels: labels,
			Data: map[string]secrets.Ref{"username": cred.Ref("username"), "password": cred.Ref("password"), "roles": cred.Ref("roles")},
		}, child)
	}
	writerRealm, err := realmUser("writer-realm", WriterSecret, writer)
	if err != nil {
		return nil, err
	}
	adminRealm, err := realmUser("admin-realm", AdminSecret, admin)
	if err != nil {
		return nil, err
	}
	// Fluent Bit's copy: the username and password only.
	shipper, err := args.Secrets.Materialize(ctx, name+"-writer-shipper", secrets.Secret{
		Name: WriterSecret, Namespace: args.Namespace, Labels: labels,
		Data: map[string]secrets.Ref{"username": writer.Ref("username"), "password": writer.Ref("password")},
	}, child)
	if err != nil {
		return nil, err
	}
	roles, err := corev1.NewSecret(ctx, name+"-roles", &corev1.SecretArgs{
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(RolesSecret), Namespace: args.DataNamespace, Labels: k8snet.PartOfLabels(labels)},
		StringData: pulumi.StringMap{"roles.yml": pulumi.String(rolesFile())},
	}, child)
	if err != nil {
		return nil, err
	}
	comp.FileRealm = elasticsearch.FileRealm{
		Users:     []pulumi.StringInput{writerRealm.Name, adminRealm.Name},
		Roles:     roles.Metadata.Name().Elem(),
		Resources: []pulumi.Resource{writerRealm.Resource, adminRealm.Resource, roles},
	}
	comp.WriterSecret, comp.AdminSecret = shipper.Name, adminRealm.Name
	comp.writerPassword, comp.adminPassword = writerPW, adminPW
	comp.ready = []pulumi.Resource{shipper.Resource, adminRealm.Resource}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"writerSecret": comp.WriterSecret, "adminSecret": comp.AdminSecret}); err != nil {
		return nil, err
	}
	return comp, nil
}
