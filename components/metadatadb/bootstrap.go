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
)

// ClientImage is the pinned PostgreSQL client image the bootstrap Job runs.
const ClientImage = "postgres:17.6-alpine3.22"

// BootstrapArgs configure the creation of the platform's roles and databases on a managed server.
type BootstrapArgs struct {
	// Host and Port reach the server from the cluster.
	Host pulumi.StringInput
	Port int
	// Namespace receives the credential Secrets and runs the Job (the platform's apps namespace).
	Namespace pulumi.StringInput
	// AdminUsername and AdminPassword are the server's administrator; the password is a secret.
	AdminUsername string
	AdminPassword pulumi.StringInput
	// AdminDatabase is the database the administrator connects to ("postgres").
	AdminDatabase string
	// SSLMode is the libpq sslmode the Job and the workloads use ("verify-full" needs CACert).
	SSLMode string
	// CACert is the server CA in PEM; optional, required for verify-full.
	CACert pulumi.StringInput
	// ServerCIDRs are the address ranges the server is reached at; the Job's egress is limited to them
	// on Port.
	ServerCIDRs []string
}

// Bootstrap is the result of NewBootstrap.
type Bootstrap struct {
	// CredentialSecrets maps each role to its Secret ("username", "password").
	CredentialSecrets map[string]pulumi.StringOutput
	// CAConfigMap holds "ca.crt" when a CA was given; else empty. A CA certificate is public, so it is
	// a ConfigMap, not a Secret.
	CAConfigMap pulumi.StringOutput
	// Job is the Kubernetes Job; workloads that use the databases depend on it.
	Job *batchv1.Job

	sslMode string
}

// Connection is what the workloads need to reach the bootstrapped databases at host:port: every
// platform database under its own name, the roles' credential Secrets, the SSL mode and the CA.
func (b *Bootstrap) Connection(host pulumi.StringOutput, port int) Connection {
	databases := map[Database]string{}
	for _, db := range Databases {
		databases[db] = string(db)
	}
	return Connection{
		Host: host, Port: port, Databases: databases,
		CredentialSecrets: b.CredentialSecrets, SSLMode: b.sslMode, CAConfigMap: b.CAConfigMap,
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

// bootstrapSQL creates each role and database if missing and (re)sets the roles' passwords, so that
// running it again is harmless. psql variables carry the passwords; they never appear in the script.
func bootstrapSQL() string {
	var b strings.Builder
	b.WriteString("\\set ON_ERROR_STOP on\n")
	for _, r := range roles() {
		fmt.Fprintf(&b, "SELECT format('CREATE ROLE %%I LOGIN', '%s') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s')\\gexec\n", r, r)
		fmt.Fprintf(&b, "ALTER ROLE %s WITH LOGIN PASSWORD :'%s_password';\n", r, r)
		// The administrator must be a member to create databases owned by the role (PostgreSQL 16+).
		fmt.Fprintf(&b, "SELECT format('GRANT %%I TO %%I', '%s', current_user) WHERE NOT pg_has_role(current_user, '%s', 'MEMBER')\\gexec\n", r, r)
	}
	for _, db := range Databases {
		fmt.Fprintf(&b, "SELECT format('CREATE DATABASE %%I OWNER %%I', '%s', '%s') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '%s')\\gexec\n", db, Owner[db], db)
		fmt.Fprintf(&b, "REVOKE ALL ON DATABASE %s FROM PUBLIC;\n", db)
	}
	return b.String()
}

// NewBootstrap creates, on the cluster, one generated password and credential Secret per role, and a
// Job that creates the roles and databases on the server with the administrator's credentials.
// Passwords are Pulumi secrets: encrypted in state, never in plain text.
func NewBootstrap(ctx *pulumi.Context, name string, parent pulumi.Resource, provider *kubernetes.Provider, args *BootstrapArgs) (*Bootstrap, error) {
	if args == nil || args.Host == nil || args.Namespace == nil || args.AdminPassword == nil {
		return nil, fmt.Errorf("metadatadb bootstrap %s: Host, Namespace and AdminPassword are required", name)
	}
	if args.AdminUsername == "" || args.Port <= 0 || len(args.ServerCIDRs) == 0 {
		return nil, fmt.Errorf("metadatadb bootstrap %s: AdminUsername, Port and ServerCIDRs are required", name)
	}
	if args.SSLMode == "verify-full" && args.CACert == nil {
		return nil, fmt.Errorf("metadatadb bootstrap %s: SSLMode verify-full needs CACert", name)
	}
	adminDB := args.AdminDatabase
	if adminDB == "" {
		adminDB = "postgres"
	}
	k8s := []pulumi.ResourceOption{pulumi.Parent(parent), pulumi.Provider(provider)}
	labels := pulumi.StringMap{
		"app.kubernetes.io/name":       pulumi.String("metadata-db-bootstrap"),
		"app.kubernetes.io/part-of":    pulumi.String("dataplatform"),
		"app.kubernetes.io/managed-by": pulumi.String("pulumi"),
	}
	meta := func(n string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(n), Namespace: args.Namespace, Labels: labels}
	}

	out := &Bootstrap{CredentialSecrets: map[string]pulumi.StringOutput{}, CAConfigMap: pulumi.String("").ToStringOutput(), sslMode: args.SSLMode}
	env := corev1.EnvVarArray{
		&corev1.EnvVarArgs{Name: pulumi.String("PGHOST"), Value: args.Host},
		&corev1.EnvVarArgs{Name: pulumi.String("PGPORT"), Value: pulumi.String(fmt.Sprint(args.Port))},
		&corev1.EnvVarArgs{Name: pulumi.String("PGDATABASE"), Value: pulumi.String(adminDB)},
		&corev1.EnvVarArgs{Name: pulumi.String("PGSSLMODE"), Value: pulumi.String(args.SSLMode)},
	}
	var deps []pulumi.Resource

	admin, err := corev1.NewSecret(ctx, name+"-admin", &corev1.SecretArgs{
		Metadata:   meta("metadata-db-admin"),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{"username": pulumi.String(args.AdminUsername), "password": pulumi.ToSecret(args.AdminPassword).(pulumi.StringOutput)},
	}, k8s...)
	if err != nil {
		return nil, err
	}
	deps = append(deps, admin)
	env = append(env, secretEnv("PGUSER", "metadata-db-admin", "username"), secretEnv("PGPASSWORD", "metadata-db-admin", "password"))

	psqlVars := []string{}
	for _, role := range roles() {
		pw, err := random.NewRandomPassword(ctx, name+"-"+role+"-password", &random.RandomPasswordArgs{
			Length: pulumi.Int(32), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4),
		}, pulumi.Parent(parent))
		if err != nil {
			return nil, err
		}
		secretName := role + "-db-credentials"
		sec, err := corev1.NewSecret(ctx, name+"-"+role+"-credentials", &corev1.SecretArgs{
			Metadata:   meta(secretName),
			Type:       pulumi.String("Opaque"),
			StringData: pulumi.StringMap{"username": pulumi.String(role), "password": pw.Result},
		}, k8s...)
		if err != nil {
			return nil, err
		}
		deps = append(deps, sec)
		out.CredentialSecrets[role] = sec.Metadata.Name().Elem()
		envName := strings.ToUpper(role) + "_PASSWORD"
		env = append(env, secretEnv(envName, secretName, "password"))
		psqlVars = append(psqlVars, fmt.Sprintf(`-v %s_password="$%s"`, role, envName))
	}

	volumes := corev1.VolumeArray{&corev1.VolumeArgs{
		Name:      pulumi.String("script"),
		ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: pulumi.String("metadata-db-bootstrap")},
	}}
	mounts := corev1.VolumeMountArray{&corev1.VolumeMountArgs{Name: pulumi.String("script"), MountPath: pulumi.String("/bootstrap"), ReadOnly: pulumi.Bool(true)}}
	if args.CACert != nil {
		ca, err := corev1.NewConfigMap(ctx, name+"-ca", &corev1.ConfigMapArgs{
			Metadata: meta("metadata-db-ca"),
			Data:     pulumi.StringMap{"ca.crt": args.CACert},
		}, k8s...)
		if err != nil {
			return nil, err
		}
		deps = append(deps, ca)
		out.CAConfigMap = ca.Metadata.Name().Elem()
		volumes = append(volumes, &corev1.VolumeArgs{Name: pulumi.String("ca"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: pulumi.String("metadata-db-ca")}})
		mounts = append(mounts, &corev1.VolumeMountArgs{Name: pulumi.String("ca"), MountPath: pulumi.String("/etc/postgres-ca"), ReadOnly: pulumi.Bool(true)})
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String("PGSSLROOTCERT"), Value: pulumi.String("/etc/postgres-ca/ca.crt")})
	}

	script := bootstrapSQL()
	cm, err := corev1.NewConfigMap(ctx, name+"-script", &corev1.ConfigMapArgs{
		Metadata: meta("metadata-db-bootstrap"),
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
		Metadata: meta("metadata-db-bootstrap-egress"),
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

	sum := sha256.Sum256([]byte(script))
	jobMeta := meta("metadata-db-bootstrap")
	// A changed script is a new Job: the annotation makes Pulumi replace it, and the old one goes first.
	jobMeta.Annotations = pulumi.StringMap{"dataplatform.io/script-sha256": pulumi.String(hex.EncodeToString(sum[:8]))}
	command := "psql -X -f /bootstrap/bootstrap.sql " + strings.Join(psqlVars, " ")
	job, err := batchv1.NewJob(ctx, name+"-job", &batchv1.JobArgs{
		Metadata: jobMeta,
		Spec: &batchv1.JobSpecArgs{
			BackoffLimit:          pulumi.Int(6),
			ActiveDeadlineSeconds: pulumi.Int(900),
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: labels},
				Spec: &corev1.PodSpecArgs{
					RestartPolicy:                pulumi.String("OnFailure"),
					AutomountServiceAccountToken: pulumi.Bool(false),
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
						VolumeMounts: mounts,
					}},
					Volumes: volumes,
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

func secretEnv(name, secret, key string) *corev1.EnvVarArgs {
	return &corev1.EnvVarArgs{Name: pulumi.String(name), ValueFrom: &corev1.EnvVarSourceArgs{
		SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: pulumi.String(secret), Key: pulumi.String(key)},
	}}
}
