// Package superset runs Apache Superset as typed Kubernetes resources: the web server (gunicorn)
// behind the platform's edge, Celery workers, exactly one Celery beat, a migrate-and-init Job that
// runs before every new version rolls out, and an in-cluster Valkey for the cache and the Celery
// broker, with TLS and a password. The Helm chart is deprecated (2026) and the operator's API is
// v1alpha1 (research wave2_edge_secrets_superset_ci.md §3), so the objects are written here, with
// the operator's defaults (apache/superset-kubernetes-operator@v0.2.0
// internal/controller/component_resources.go: probes on /health:8088, the worker and beat commands)
// as the spec.
//
// Superset's metadata lives in the MetadataDB's "superset" database, reached with
// sslmode=verify-full (or verify-ca, see metadatadb.Connection) against the server's CA. The
// SUPERSET_SECRET_KEY is generated here, written to the secret store and materialized by the
// External Secrets Operator; RotateSecretKey rotates it (PREVIOUS_SECRET_KEY and
// `superset re-encrypt-secrets` in the init Job). The init Job also creates the platform's admin
// user and the "Dremio" database connection (Arrow Flight, in-cluster) under Dremio's "superset" user.
package superset

import (
	"fmt"
	"regexp"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// SupersetType is the component's type token.
const SupersetType = "dataplatform:superset:Superset"

// Ports and names other components and the stacks rely on.
const (
	// WebPort is gunicorn's port (the image's SUPERSET_PORT, 8088) and the web Service's port.
	WebPort = 8088
	// ValkeyPort is Valkey's TLS port.
	ValkeyPort = 6379
	// WebService is the web Service the edge routes to.
	WebService = "superset"
	// ValkeyService is Valkey's Service; the server certificate names it.
	ValkeyService = "superset-valkey"
	// HealthPath answers 200 once the web server serves (superset/views/health.py: /health).
	HealthPath = "/health"
	// DremioDatabaseName is the name of the database connection the init Job creates.
	DremioDatabaseName = "Dremio"
	// AdminUser is the administrator the init Job creates; its password is in AdminSecret.
	AdminUser = "admin"
	// UpstreamVersion is the Superset release images/superset/Dockerfile builds on and the rendered
	// superset_config.py is written for (Apache Superset 6.1.0, 2026-05-13).
	UpstreamVersion = "6.1.0"
)

// Compute is a container's CPU (cores) and memory (GiB); requests equal limits.
type Compute struct {
	CPU       float64
	MemoryGiB float64
}

// SupersetArgs are the inputs of the Superset component.
type SupersetArgs struct {
	// Namespace is the apps namespace (an output, so that objects wait for it); NamespaceName its name.
	Namespace     pulumi.StringInput
	NamespaceName string
	// Image is the derived image (images/superset/Dockerfile: apache/superset + psycopg2-binary +
	// sqlalchemy-dremio), pinned by tag or digest. Its reference is part of the init Job's pod
	// template: a new image re-runs the migrations before the Deployments roll.
	Image string
	// ValkeyImage is the pinned Valkey image (valkey/valkey:<version>-alpine).
	ValkeyImage string
	// CertManager, when cert-manager runs on the cluster before Superset, has it issue and renew
	// Valkey's serving certificate (90 days, renewed 30 days ahead) and an hourly Job reload it
	// into the running Valkey; nil keeps the tls provider's one-year certificate, renewed by the
	// `pulumi up` in its last 30 days (Valkey restarts with it).
	CertManager *CertManager
	// WebReplicas and WebMaxReplicas bound the web HPA (no HPA when equal); WorkerReplicas is the
	// number of Celery workers. The beat is always exactly one.
	WebReplicas, WebMaxReplicas, WorkerReplicas int
	// Web and Worker size the containers.
	Web, Worker Compute
	// Database is the metadata database; DatabaseReady are what the init Job waits for.
	Database      metadatadb.Connection
	DatabaseReady []pulumi.Resource
	// DatabaseNamespace is where an in-cluster database runs; DatabaseCIDRs where a managed one lives.
	DatabaseNamespace string
	DatabaseCIDRs     []string
	// DremioHost is the Dremio client Service's in-cluster name; DremioFlightPort Arrow Flight's port.
	DremioHost       string
	DremioFlightPort int
	// DremioCredentialsSecret is the Secret ("user", "password") of Dremio's "superset" user.
	DremioCredentialsSecret pulumi.StringInput
	// DremioReady are what the init Job waits for (the Dremio component: its bootstrap creates the user).
	DremioReady []pulumi.Resource
	// PublicURL is https://superset.<domain> behind the edge, or "" without one.
	PublicURL string
	// ForwardedForHops is how many addresses the edge appends to X-Forwarded-For before a request
	// reaches Superset (1 for Envoy Gateway and AWS's ALB; 2 for Google's external Application Load
	// Balancer, which appends the client's and its own). 0 means 1. Too high a count lets a client
	// choose the address its login attempts are rate-limited under.
	ForwardedForHops int
	// ClientNamespaces and ClientCIDRs may reach the web port (the edge's proxies or load balancers).
	ClientNamespaces []string
	ClientCIDRs      []string
	// SecretKeyGeneration is the generation of SUPERSET_SECRET_KEY (≥ 1). Raising it by one rotates the
	// key: a new key is generated, the previous one is handed to the init Job as PREVIOUS_SECRET_KEY and
	// `superset re-encrypt-secrets` re-encrypts the stored database passwords.
	SecretKeyGeneration int
	// Secrets is the target's secret store (nil: plain Secrets, for library users without ESO).
	Secrets *secrets.Store
	// Scheduling places the pods on the workload pool.
	Scheduling cluster.Scheduling
	// Prod requires anti-affinity across nodes and adds PodDisruptionBudgets.
	Prod bool
	// Labels are added to every object.
	Labels map[string]string
	// Protect marks the generated secret key and admin password protected: a replaced secret key
	// makes every stored database password unreadable.
	Protect bool
}

// Superset is the deployed Superset.
type Superset struct {
	pulumi.ResourceState

	// WebURL is the in-cluster URL of the web Service.
	WebURL pulumi.StringOutput
	// AdminSecret is the Secret ("username", "password") of the administrator.
	AdminSecret pulumi.StringOutput
	// InitJob is the name of the migrate-and-init Job of the current image.
	InitJob pulumi.StringOutput
	// Routes is the web UI, for the edge.
	Routes []edge.Route
}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	// imageRef is a reference with a tag or a digest (a tag-less reference floats).
	imageRef = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64}|:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}@sha256:[a-f0-9]{64})$`)
)

func (a *SupersetArgs) validate() error {
	switch {
	case a.Namespace == nil || !dnsLabel.MatchString(a.NamespaceName):
		return fmt.Errorf("superset: Namespace and NamespaceName (a DNS label) are required; got %q", a.NamespaceName)
	case !imageRef.MatchString(a.Image) || imageLatest(a.Image):
		return fmt.Errorf("superset: Image %q must be a registry reference pinned by a tag other than latest or by a digest", a.Image)
	case !imageRef.MatchString(a.ValkeyImage) || imageLatest(a.ValkeyImage):
		return fmt.Errorf("superset: ValkeyImage %q must be pinned by a tag other than latest or by a digest", a.ValkeyImage)
	case a.WebReplicas < 1 || a.WebMaxReplicas < a.WebReplicas:
		return fmt.Errorf("superset: WebReplicas = %d, WebMaxReplicas = %d; need 1 ≤ WebReplicas ≤ WebMaxReplicas", a.WebReplicas, a.WebMaxReplicas)
	case a.Prod && a.WebReplicas < 2:
		return fmt.Errorf("superset: WebReplicas = %d; prod runs at least 2", a.WebReplicas)
	case a.WorkerReplicas < 1:
		return fmt.Errorf("superset: WorkerReplicas = %d; must be ≥ 1", a.WorkerReplicas)
	case a.Web.CPU <= 0 || a.Web.MemoryGiB < 1 || a.Worker.CPU <= 0 || a.Worker.MemoryGiB < 1:
		return fmt.Errorf("superset: Web %+v and Worker %+v need CPU > 0 and MemoryGiB ≥ 1", a.Web, a.Worker)
	case a.DremioHost == "" || a.DremioFlightPort < 1 || a.DremioCredentialsSecret == nil:
		return fmt.Errorf("superset: DremioHost, DremioFlightPort and DremioCredentialsSecret are required")
	case a.SecretKeyGeneration < 1 || a.SecretKeyGeneration > MaxSecretKeyGeneration:
		return fmt.Errorf("superset: SecretKeyGeneration = %d; must be 1..%d", a.SecretKeyGeneration, MaxSecretKeyGeneration)
	case a.ForwardedForHops < 0 || a.ForwardedForHops > 3:
		return fmt.Errorf("superset: ForwardedForHops = %d; must be 0..3 (0 means 1)", a.ForwardedForHops)
	case a.DatabaseNamespace == "" && len(a.DatabaseCIDRs) == 0:
		return fmt.Errorf("superset: the database is reachable nowhere: set DatabaseNamespace (in-cluster) or DatabaseCIDRs (managed)")
	}
	if err := a.Database.Validate(); err != nil {
		return fmt.Errorf("superset: %w", err)
	}
	if _, ok := a.Database.Databases[metadatadb.Superset]; !ok {
		return fmt.Errorf("superset: the metadata database has no %q database", metadatadb.Superset)
	}
	if _, ok := a.Database.CredentialSecrets[metadatadb.Owner[metadatadb.Superset]]; !ok {
		return fmt.Errorf("superset: the metadata database has no credential Secret for role %q", metadatadb.Owner[metadatadb.Superset])
	}
	if err := k8snet.ValidateCIDRs("superset: ClientCIDRs", a.ClientCIDRs); err != nil {
		return err
	}
	if err := k8snet.ValidateCIDRs("superset: DatabaseCIDRs", a.DatabaseCIDRs); err != nil {
		return err
	}
	for _, ns := range a.ClientNamespaces {
		if !dnsLabel.MatchString(ns) {
			return fmt.Errorf("superset: ClientNamespaces contains %q; must be DNS labels", ns)
		}
	}
	return nil
}

func imageLatest(ref string) bool {
	return regexp.MustCompile(`:latest(@|$)`).MatchString(ref)
}

// Routes are Superset's entry points on the web Service in namespace.
func Routes(namespace string) []edge.Route {
	return []edge.Route{{Name: "superset", Host: "superset", Service: WebService, Namespace: namespace, Port: WebPort, Protocol: edge.HTTP}}
}

// builder carries what the parts of the component share.
type builder struct {
	ctx  *pulumi.Context
	name string
	a    *SupersetArgs
	comp *Superset

	valkeyPassword, secretKey, admin, config *readyName
	valkeyCA                                 pulumi.StringOutput
	// secretKeyDigest is the SHA-256 (hex) of the current secret key, unsecret (keyCheck).
	secretKeyDigest pulumi.StringOutput
	valkeyReady     []pulumi.Resource
	configHash      pulumi.StringOutput
	initJob         pulumi.Resource
	// policies are the NetworkPolicies the init Job waits for.
	policies []pulumi.Resource
}

// readyName is an object's name and the resource a reader waits for.
type readyName struct {
	name     pulumi.StringOutput
	resource pulumi.Resource
}

func (b *builder) opts(extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{pulumi.Parent(b.comp)}, extra...)
}

func (b *builder) labels(extra map[string]string) pulumi.StringMap {
	m := pulumi.StringMap{}
	for k, v := range b.a.Labels {
		m[k] = pulumi.String(v)
	}
	m["app.kubernetes.io/part-of"] = pulumi.String("dataplatform")
	m["app.kubernetes.io/managed-by"] = pulumi.String("pulumi")
	for k, v := range extra {
		m[k] = pulumi.String(v)
	}
	return m
}

func (b *builder) meta(objName string, selector map[string]string) *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{Name: pulumi.String(objName), Namespace: b.a.Namespace, Labels: b.labels(selector)}
}

// NewSuperset creates Superset.
func NewSuperset(ctx *pulumi.Context, name string, args *SupersetArgs, opts ...pulumi.ResourceOption) (*Superset, error) {
	if args == nil {
		return nil, fmt.Errorf("superset: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	comp := &Superset{}
	props := pulumi.Map{
		"image": pulumi.String(args.Image), "valkeyImage": pulumi.String(args.ValkeyImage),
		"webReplicas": pulumi.Int(args.WebReplicas), "webMaxReplicas": pulumi.Int(args.WebMaxReplicas),
		"workerReplicas": pulumi.Int(args.WorkerReplicas), "prod": pulumi.Bool(args.Prod),
		"secretKeyGeneration": pulumi.Int(args.SecretKeyGeneration), "publicUrl": pulumi.String(args.PublicURL),
	}
	if err := ctx.RegisterComponentResourceV2(SupersetType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, a: args, comp: comp}
	// The NetworkPolicies come before the init Job, which waits for them: in the default-deny
	// namespace its pod would otherwise time out on the database and burn its backoff.
	steps := []func() error{b.credentials, b.valkey, b.configMap, b.networkPolicies, b.initJobCreate, b.workloads}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	comp.WebURL = pulumi.Sprintf("http://%s.%s.svc.cluster.local:%d", WebService, args.NamespaceName, WebPort)
	comp.AdminSecret = b.admin.name
	comp.Routes = Routes(args.NamespaceName)
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"webUrl": comp.WebURL, "adminSecret": comp.AdminSecret, "initJob": comp.InitJob,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// Pod-level pieces shared by every Superset pod.

// supersetUID is the superset user of the official image (apache/superset Dockerfile: useradd
// superset in a python:slim base, the first regular UID, 1000); images/superset/Dockerfile fails
// its build when it differs.
const supersetUID = 1000

func podSecurity(uid int) *corev1.PodSecurityContextArgs {
	return &corev1.PodSecurityContextArgs{
		RunAsNonRoot: pulumi.Bool(true), RunAsUser: pulumi.Int(uid), RunAsGroup: pulumi.Int(uid), FsGroup: pulumi.Int(uid),
		SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
}

func containerSecurity() *corev1.SecurityContextArgs {
	return &corev1.SecurityContextArgs{
		AllowPrivilegeEscalation: pulumi.Bool(false),
		RunAsNonRoot:             pulumi.Bool(true),
		ReadOnlyRootFilesystem:   pulumi.Bool(true),
		Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
	}
}

func resources(c Compute) *corev1.ResourceRequirementsArgs {
	m := pulumi.StringMap{
		"cpu":    pulumi.String(fmt.Sprintf("%dm", int(c.CPU*1000))),
		"memory": pulumi.String(fmt.Sprintf("%dMi", int(c.MemoryGiB*1024))),
	}
	return &corev1.ResourceRequirementsArgs{Requests: m, Limits: m}
}

func secretEnv(name string, secret pulumi.StringInput, key string) *corev1.EnvVarArgs {
	return &corev1.EnvVarArgs{Name: pulumi.String(name), ValueFrom: &corev1.EnvVarSourceArgs{
		SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: secret, Key: pulumi.String(key)},
	}}
}

func env(name string, value pulumi.StringInput) *corev1.EnvVarArgs {
	return &corev1.EnvVarArgs{Name: pulumi.String(name), Value: value}
}
