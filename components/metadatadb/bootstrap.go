package metadatadb

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// ClientImage is the pinned PostgreSQL client image the bootstrap Job runs.
const ClientImage = "postgres:17.6-alpine3.22"

// BootstrapArgs configure the creation of the platform's roles and databases on a managed server.
type BootstrapArgs struct {
	// Host and Port reach the server from the cluster. Host is the name the server certificate
	// carries: clients verify it (sslmode verify-full).
	Host pulumi.StringInput
	Port int
	// Namespace is the apps namespace: it receives the roles' credential Secrets and the CA
	// ConfigMap the workloads mount.
	Namespace pulumi.StringInput
	// DataNamespace runs the Job and holds the administrator's credential and the roles' passwords
	// the Job sets: the platform's data namespace, where no workload runs on the clouds. Required —
	// the administrator's credential never lands in a namespace the workloads run in.
	DataNamespace pulumi.StringInput
	// AdminUsername and AdminPassword are the server's administrator; the password is a secret.
	AdminUsername string
	AdminPassword pulumi.StringInput
	// AdminDatabase is the database the administrator connects to ("postgres").
	AdminDatabase string
	// SSLMode is the libpq sslmode of the Job and the workloads: SSLModeVerifyFull (the default when
	// empty), or SSLModeVerifyCA for a server whose CA signs only it; nothing weaker is accepted.
	SSLMode string
	// CACert is the PEM bundle the server certificate chains to. Required.
	CACert pulumi.StringInput
	// ServerCIDRs are the address ranges the server is reached at; the Job's egress is limited to them
	// on Port.
	ServerCIDRs []string
	// Scheduling places the Job's pod on the workload pool (tolerations, node selector).
	Scheduling cluster.Scheduling
	// Secrets is the target's secret store: the administrator's and the roles' credentials are
	// written to it and the Secrets the Job and the workloads read are materialized from it by
	// ExternalSecrets. nil creates plain Secrets.
	Secrets *secrets.Store
	// Protect marks the stateful resources (the roles' generated passwords, random.RandomPassword)
	// protected: destroy and replacement stop at them.
	// Disposable children (the Job, Secrets, ConfigMaps, the NetworkPolicy) are never protected.
	Protect bool
}

func (a *BootstrapArgs) validate(name string) error {
	fail := func(format string, v ...any) error {
		return fmt.Errorf("metadatadb bootstrap %s: "+format, append([]any{name}, v...)...)
	}
	switch {
	case a == nil:
		return fail("args are required")
	case a.Host == nil:
		return fail("Host is required")
	case a.Namespace == nil:
		return fail("Namespace is required (the apps namespace the credential Secrets go to)")
	case a.DataNamespace == nil:
		return fail("DataNamespace is required (the data namespace that runs the Job and keeps the administrator's credential away from the workloads)")
	case a.AdminPassword == nil || a.AdminUsername == "":
		return fail("AdminUsername and AdminPassword are required")
	case a.Port <= 0:
		return fail("Port = %d; must be > 0", a.Port)
	case len(a.ServerCIDRs) == 0:
		return fail("ServerCIDRs is empty; name the ranges the server is reached at")
	case a.SSLMode != "" && !VerifyingSSLMode(a.SSLMode):
		return fail("SSLMode = %q; allowed: %q, or %q for a server whose CA signs only it (clients verify the server certificate)", a.SSLMode, SSLModeVerifyFull, SSLModeVerifyCA)
	case a.CACert == nil:
		return fail("CACert is required: the PEM bundle the server certificate chains to (sslmode verify-full)")
	}
	return nil
}

// Bootstrap is the result of NewBootstrap.
type Bootstrap struct {
	// CredentialSecrets maps each role to its Secret ("username", "password") in the apps namespace.
	CredentialSecrets map[string]pulumi.StringOutput
	// CACert is the server CA bundle.
	CACert pulumi.StringOutput
	// CAConfigMap holds CACert as "ca.crt" in the apps namespace. A CA certificate is public, so it
	// is a ConfigMap, not a Secret.
	CAConfigMap pulumi.StringOutput
	// SSLMode is the sslmode the Job uses and Connection hands to the workloads.
	SSLMode string
	// Job is the Kubernetes Job (data namespace); workloads that use the databases depend on it.
	Job *batchv1.Job
}

// Connection is what the workloads need to reach the bootstrapped databases at host:port: every
// platform database under its own name, the roles' credential Secrets, verify-full and the CA.
func (b *Bootstrap) Connection(host pulumi.StringOutput, port int) Connection {
	databases := map[Database]string{}
	for _, db := range Databases {
		databases[db] = string(db)
	}
	return Connection{
		Host: host, Port: port, Databases: databases,
		CredentialSecrets: b.CredentialSecrets, SSLMode: b.SSLMode, CACert: b.CACert, CAConfigMap: b.CAConfigMap,
	}
}

// roles are the login roles the platform's workloads use, in a stable order.
func roles() []string {
	seen, out := map[string]bool{}, []string{}
	for _, db := range Databases {
		if r := Owner[db]; !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// loginRoles are the owners and the read-only roles: every role the bootstrap gives a password.
func loginRoles() []string { return append(roles(), ReadOnlyRoles...) }

// bootstrapSQL creates each role and database if missing and (re)sets the roles' passwords, so that
// running it again is harmless. psql variables carry the passwords; they never appear in the script.
func bootstrapSQL() string {
	var b strings.Builder
	b.WriteString("\\set ON_ERROR_STOP on\n")
	// PostgreSQL 16 split membership into ADMIN, INHERIT and SET: a CREATEROLE administrator that
	// creates a role gets ADMIN only (createrole_self_grant is empty by default), so it is a MEMBER
	// yet cannot SET ROLE, which CREATE DATABASE ... OWNER requires ("must be able to SET ROLE").
	// postgres@REL_16 doc/src/sgml/ref/create_database.sgml, ref/grant.sgml (WITH SET).
	b.WriteString("SELECT current_setting('server_version_num')::int >= 160000 AS pg16 \\gset\n")
	for _, r := range roles() {
		fmt.Fprintf(&b, "SELECT format('CREATE ROLE %%I LOGIN', '%s') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s')\\gexec\n", r, r)
		fmt.Fprintf(&b, "ALTER ROLE %s WITH LOGIN PASSWORD :'%s_password';\n", r, r)
		// The administrator must be able to SET ROLE to create databases owned by the role.
		fmt.Fprintf(&b, "\\if :pg16\nSELECT format('GRANT %%I TO %%I WITH SET TRUE', '%s', current_user) WHERE NOT pg_has_role(current_user, '%s', 'SET')\\gexec\n\\else\n", r, r)
		fmt.Fprintf(&b, "SELECT format('GRANT %%I TO %%I', '%s', current_user) WHERE NOT pg_has_role(current_user, '%s', 'MEMBER')\\gexec\n\\endif\n", r, r)
	}
	// The read-only roles: LOGIN, no membership, a connection limit; their grants come from the
	// owner of what they read (components/airbyte/syncmetrics).
	for _, r := range ReadOnlyRoles {
		fmt.Fprintf(&b, "SELECT format('CREATE ROLE %%I LOGIN NOINHERIT', '%s') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s')\\gexec\n", r, r)
		fmt.Fprintf(&b, "ALTER ROLE %s WITH LOGIN NOINHERIT CONNECTION LIMIT %d PASSWORD :'%s_password';\n", r, ReaderConnectionLimit, r)
	}
	for _, db := range Databases {
		fmt.Fprintf(&b, "SELECT format('CREATE DATABASE %%I OWNER %%I', '%s', '%s') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '%s')\\gexec\n", db, Owner[db], db)
		fmt.Fprintf(&b, "REVOKE ALL ON DATABASE %s FROM PUBLIC;\n", db)
	}
	return b.String()
}

// NewBootstrap creates one generated password per role, the roles' credential Secrets and the CA
// ConfigMap in the apps namespace, and — in the data namespace — the administrator's credential and a
// Job that creates the roles and databases on the server with it. Passwords are Pulumi secrets:
// encrypted in state, never in plain text.
//
// The Job re-runs whenever what it applies changes: the SHA-256 of its script, the roles' passwords,
// the server and the CA sits in the pod template (ConfigHashAnnotation), which pulumi-kubernetes
// treats as a replacement. Its metadata.name is fixed, so the provider deletes the old Job before it
// creates the new one (pulumi-kubernetes provider/v4 pkg/provider/provider.go Diff: deleteBeforeReplace
// when the object is named, not autonamed, and keeps its name and namespace). It sets no
// ttlSecondsAfterFinished: a Job the TTL controller removed is dropped from state by the next refresh
// (provider.go Read: a 404 returns an empty response) and created — run — again by the next update,
// so every `pulumi up --refresh` would re-run it for nothing. A finished Job costs an object in etcd.
func NewBootstrap(ctx *pulumi.Context, name string, parent pulumi.Resource, provider *kubernetes.Provider, args *BootstrapArgs) (*Bootstrap, error) {
	if err := args.validate(name); err != nil {
		return nil, err
	}
	adminDB := args.AdminDatabase
	if adminDB == "" {
		adminDB = "postgres"
	}
	// Disposable children say so: a Protect on the parent component must not reach them.
	k8s := []pulumi.ResourceOption{pulumi.Parent(parent), pulumi.Provider(provider), pulumi.Protect(false)}
	labels := pulumi.StringMap{
		"app.kubernetes.io/name":       pulumi.String("metadata-db-bootstrap"),
		"app.kubernetes.io/part-of":    pulumi.String("dataplatform"),
		"app.kubernetes.io/managed-by": pulumi.String("pulumi"),
	}
	meta := func(n string, ns pulumi.StringInput) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(n), Namespace: ns, Labels: labels}
	}
	apps, data := args.Namespace, args.DataNamespace

	sslMode := args.SSLMode
	if sslMode == "" {
		sslMode = SSLModeVerifyFull
	}
	out := &Bootstrap{CredentialSecrets: map[string]pulumi.StringOutput{}, CACert: pulumi.ToOutput(args.CACert).(pulumi.StringOutput), SSLMode: sslMode}
	env := corev1.EnvVarArray{
		&corev1.EnvVarArgs{Name: pulumi.String("PGHOST"), Value: args.Host},
		&corev1.EnvVarArgs{Name: pulumi.String("PGPORT"), Value: pulumi.String(fmt.Sprint(args.Port))},
		&corev1.EnvVarArgs{Name: pulumi.String("PGDATABASE"), Value: pulumi.String(adminDB)},
		&corev1.EnvVarArgs{Name: pulumi.String("PGSSLMODE"), Value: pulumi.String(sslMode)},
		&corev1.EnvVarArgs{Name: pulumi.String("PGSSLROOTCERT"), Value: pulumi.String("/etc/postgres-ca/" + CAKey)},
	}
	var deps []pulumi.Resource

	// The administrator's credential lives in the data namespace only. Every credential is written
	// to the store first (it is not a secret the disposable children's Protect(false) covers: its
	// value is the random.RandomPassword's, protected with the component), then materialized.
	store := args.Secrets
	put := func(n, key string, data map[string]pulumi.StringInput) (*secrets.Credential, error) {
		return store.Put(ctx, name+"-"+n+"-credential", key, data, pulumi.Parent(parent), pulumi.Protect(false))
	}
	adminCred, err := put("admin", "metadata-db-admin", map[string]pulumi.StringInput{
		"username": pulumi.String(args.AdminUsername), "password": pulumi.ToSecret(args.AdminPassword).(pulumi.StringOutput),
	})
	if err != nil {
		return nil, err
	}
	// What the Job reads is versioned: a rotated password is a new Secret (created, synced and Ready
	// before the Job that names it), never the previous value still in a Secret ESO has not re-read.
	admin, err := store.Materialize(ctx, name+"-admin", secrets.Secret{
		Name: "metadata-db-admin", Namespace: data, Type: "Opaque", Labels: stringLabels(labels), Versioned: true,
		Data: map[string]secrets.Ref{"username": adminCred.Ref("username"), "password": adminCred.Ref("password")},
	}, k8s...)
	if err != nil {
		return nil, err
	}
	deps = append(deps, admin.Resource)
	env = append(env, secretEnv("PGUSER", admin.Name, "username"), secretEnv("PGPASSWORD", admin.Name, "password"))

	psqlVars := []string{}
	var roleEnv []string
	jobPasswords := map[string]secrets.Ref{}
	hashInputs := []any{}
	for _, role := range loginRoles() {
		pw, err := random.NewRandomPassword(ctx, name+"-"+strings.ReplaceAll(role, "_", "-")+"-password", &random.RandomPasswordArgs{
			Length: pulumi.Int(32), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4),
		}, pulumi.Parent(parent), pulumi.Protect(args.Protect))
		if err != nil {
			return nil, err
		}
		cred, err := put(strings.ReplaceAll(role, "_", "-"), "metadata-db-"+strings.ReplaceAll(role, "_", "-"), map[string]pulumi.StringInput{"username": pulumi.String(role), "password": pw.Result})
		if err != nil {
			return nil, err
		}
		sec, err := store.Materialize(ctx, name+"-"+strings.ReplaceAll(role, "_", "-")+"-credentials", secrets.Secret{
			Name: CredentialSecretName(role), Namespace: apps, Type: "Opaque", Labels: stringLabels(labels),
			Data: map[string]secrets.Ref{"username": cred.Ref("username"), "password": cred.Ref("password")},
		}, k8s...)
		if err != nil {
			return nil, err
		}
		out.CredentialSecrets[role] = sec.Name
		jobPasswords[strings.ReplaceAll(role, "_", "-")+"-password"] = cred.Ref("password")
		hashInputs = append(hashInputs, pw.Result)
		envName := strings.ToUpper(role) + "_PASSWORD"
		roleEnv = append(roleEnv, envName, strings.ReplaceAll(role, "_", "-")+"-password")
		psqlVars = append(psqlVars, fmt.Sprintf(`-v %s_password="$%s"`, role, envName))
	}
	// The roles' passwords again, for the Job, next to the administrator's credential.
	rolesSecret, err := store.Materialize(ctx, name+"-role-passwords", secrets.Secret{
		Name: "metadata-db-bootstrap", Namespace: data, Type: "Opaque", Labels: stringLabels(labels), Data: jobPasswords, Versioned: true,
	}, k8s...)
	if err != nil {
		return nil, err
	}
	deps = append(deps, rolesSecret.Resource)
	for i := 0; i < len(roleEnv); i += 2 {
		env = append(env, secretEnv(roleEnv[i], rolesSecret.Name, roleEnv[i+1]))
	}

	// The CA twice: for the workloads (apps) and for the Job (data).
	appsCA, err := corev1.NewConfigMap(ctx, name+"-ca", &corev1.ConfigMapArgs{
		Metadata: meta("metadata-db-ca", apps),
		Data:     pulumi.StringMap{CAKey: args.CACert},
	}, k8s...)
	if err != nil {
		return nil, err
	}
	out.CAConfigMap = appsCA.Metadata.Name().Elem()
	jobCA, err := corev1.NewConfigMap(ctx, name+"-job-ca", &corev1.ConfigMapArgs{
		Metadata: meta("metadata-db-ca", data),
		Data:     pulumi.StringMap{CAKey: args.CACert},
	}, k8s...)
	if err != nil {
		return nil, err
	}
	deps = append(deps, jobCA)

	script := bootstrapSQL()
	cm, err := corev1.NewConfigMap(ctx, name+"-script", &corev1.ConfigMapArgs{
		Metadata: meta("metadata-db-bootstrap", data),
		Data:     pulumi.StringMap{"bootstrap.sql": pulumi.String(script)},
	}, k8s...)
	if err != nil {
		return nil, err
	}
	deps = append(deps, cm)

	// The Job may only reach the server.
	egress := networkingv1.NetworkPolicyPeerArray{}
	for _, cidr := range args.ServerCIDRs {
		egress = append(egress, &networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(cidr)}})
	}
	np, err := networkingv1.NewNetworkPolicy(ctx, name+"-egress", &networkingv1.NetworkPolicyArgs{
		Metadata: meta("metadata-db-bootstrap-egress", data),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("metadata-db-bootstrap")}},
			PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress: networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
				To:    egress,
				Ports: networkingv1.NetworkPolicyPortArray{&networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(args.Port)}},
			}},
		},
	}, k8s...)
	if err != nil {
		return nil, err
	}
	deps = append(deps, np)

	// What the Job applies: a change to any of it is a new pod template, hence a new Job.
	hashInputs = append([]any{pulumi.String(script), args.Host, pulumi.String(args.AdminUsername), args.CACert, pulumi.Int(args.Port)}, hashInputs...)
	configHash := pulumi.Unsecret(pulumi.All(hashInputs...).ApplyT(func(v []any) string {
		return ConfigHash(v...)
	}).(pulumi.StringOutput)).(pulumi.StringOutput)

	command := "psql -X -f /bootstrap/bootstrap.sql " + strings.Join(psqlVars, " ")
	job, err := batchv1.NewJob(ctx, name+"-job", &batchv1.JobArgs{
		Metadata: meta("metadata-db-bootstrap", data),
		Spec: &batchv1.JobSpecArgs{
			BackoffLimit:          pulumi.Int(6),
			ActiveDeadlineSeconds: pulumi.Int(900),
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels:      labels,
					Annotations: pulumi.StringMap{ConfigHashAnnotation: configHash},
				},
				Spec: &corev1.PodSpecArgs{
					RestartPolicy:                pulumi.String("OnFailure"),
					AutomountServiceAccountToken: pulumi.Bool(false),
					Tolerations:                  args.Scheduling.TolerationArray(),
					NodeSelector:                 args.Scheduling.NodeSelectorMap(),
					SecurityContext: &corev1.PodSecurityContextArgs{
						RunAsNonRoot:   pulumi.Bool(true),
						RunAsUser:      pulumi.Int(70), // the postgres user of the alpine image
						SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
					},
					Containers: corev1.ContainerArray{&corev1.ContainerArgs{
						Name:    pulumi.String("psql"),
						Image:   pulumi.String(ClientImage),
						Command: pulumi.StringArray{pulumi.String("/bin/sh"), pulumi.String("-c"), pulumi.String(command)},
						Env:     env,
						Resources: &corev1.ResourceRequirementsArgs{
							Requests: pulumi.StringMap{"cpu": pulumi.String("50m"), "memory": pulumi.String("64Mi")},
							Limits:   pulumi.StringMap{"cpu": pulumi.String("500m"), "memory": pulumi.String("128Mi")},
						},
						SecurityContext: &corev1.SecurityContextArgs{
							AllowPrivilegeEscalation: pulumi.Bool(false),
							ReadOnlyRootFilesystem:   pulumi.Bool(true),
							Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
						},
						VolumeMounts: corev1.VolumeMountArray{
							&corev1.VolumeMountArgs{Name: pulumi.String("script"), MountPath: pulumi.String("/bootstrap"), ReadOnly: pulumi.Bool(true)},
							&corev1.VolumeMountArgs{Name: pulumi.String("ca"), MountPath: pulumi.String("/etc/postgres-ca"), ReadOnly: pulumi.Bool(true)},
						},
					}},
					Volumes: corev1.VolumeArray{
						&corev1.VolumeArgs{Name: pulumi.String("script"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: pulumi.String("metadata-db-bootstrap")}},
						&corev1.VolumeArgs{Name: pulumi.String("ca"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: pulumi.String("metadata-db-ca")}},
					},
				},
			},
		},
	}, append(k8s, pulumi.DependsOn(deps), pulumi.DeleteBeforeReplace(true))...)
	if err != nil {
		return nil, err
	}
	out.Job = job
	return out, nil
}

// ConfigHash is the hex SHA-256 of the given values (each rendered with %v, NUL-separated): the
// value of ConfigHashAnnotation.
func ConfigHash(values ...any) string {
	h := sha256.New()
	for _, v := range values {
		fmt.Fprintf(h, "%v", v)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// stringLabels turns the component's labels back into a plain map (secrets.Secret takes one).
func stringLabels(m pulumi.StringMap) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(pulumi.String); ok {
			out[k] = string(s)
		}
	}
	return out
}

// secretEnv reads key of the Secret secret, a Materialized name: the Job's pod template names it, so a
// versioned Secret's new name is a new template, hence a new Job.
func secretEnv(name string, secret pulumi.StringInput, key string) *corev1.EnvVarArgs {
	return &corev1.EnvVarArgs{Name: pulumi.String(name), ValueFrom: &corev1.EnvVarSourceArgs{
		SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: secret, Key: pulumi.String(key)},
	}}
}
