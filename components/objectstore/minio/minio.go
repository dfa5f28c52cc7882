// Package minio is the in-cluster S3-compatible object store of the kubernetes target: a MinIO
// StatefulSet that serves TLS only with a private CA, with erasure coding across pods and drives when
// distributed, the platform's four buckets (versioned, noncurrent versions expiring) and one
// least-privilege MinIO user per workload, whose keys land as a Secret in the workload's namespace.
//
// MinIO community images are frozen upstream (see the project brief): the image is a pinned,
// overridable setting; point it at a mirror you control.
package minio

import (
	"fmt"
	"regexp"
	"strconv"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/metadatadb"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/config"
)

// ObjectStoreType is the component's type token.
const ObjectStoreType = "dataplatform:kubernetes:ObjectStore"

// DefaultClientImage is the pinned MinIO client (mc) the setup Job runs; the release matches the
// default server image's era.
const DefaultClientImage = "quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z"

const (
	serverName   = "minio"
	headlessName = "minio-hl"
	certsDir     = "/etc/minio/certs"
	apiPort      = 9000
	consolePort  = 9001
	// uid/gid the server and the setup Job run as; fsGroup makes the volumes writable by it.
	runAsID = 1000
)

// ObjectStoreArgs configure the in-cluster object store.
type ObjectStoreArgs struct {
	// Namespace is the platform's data namespace, as the k8snet Network resolves it, so every object
	// waits for the namespace.
	Namespace pulumi.StringInput
	// NamespaceName is the same namespace as a plain string, for DNS names and certificate SANs.
	NamespaceName string
	// Image is the pinned server image; default config.MinIOImage.
	Image string
	// ClientImage is the pinned mc image of the setup Job; default DefaultClientImage.
	ClientImage string
	// Replicas is the number of server pods: 1 (a single drive, dev) or at least 4 (distributed, with
	// erasure coding across every drive of every pod).
	Replicas int
	// DrivesPerPod is the number of volumes each pod serves (default 1). Prod uses 2: 4 pods give 8
	// drives and parity EC:4, as the design document asks. Must be 1 with a single replica.
	DrivesPerPod int
	// VolumeSizeGiB is the size of each drive.
	VolumeSizeGiB int
	// StorageClass backs the drives; empty uses the cluster's default class.
	StorageClass string
	// CPU (cores) and MemoryGiB size each server pod; they are both its requests and its limits.
	CPU       float64
	MemoryGiB float64
	// HighAvailability requires server pods on distinct nodes (prod); otherwise it is only preferred,
	// so a small cluster can still schedule them.
	HighAvailability bool
	// Versioning keeps object versions in every bucket.
	Versioning bool
	// NoncurrentVersionDays expires noncurrent versions after this many days (≥ 1 with Versioning).
	NoncurrentVersionDays int
	// Access lists the workloads that use the store; each gets a MinIO user limited to its buckets
	// and a Secret ("accessKey", "secretKey", "ca.crt") in its namespace.
	Access []objectstore.Access
	// NamespaceOutputs optionally maps a namespace name used in Access to its resolved output (the
	// k8snet Network's Namespaces), so the credential Secrets created there wait for the namespace.
	NamespaceOutputs map[string]pulumi.StringInput
	// ClientNamespaces may reach the S3 API (port 9000) from outside the data namespace, e.g. the apps
	// and jobs namespaces. Pods of the data namespace always may.
	ClientNamespaces []string
	// Scheduling places the server and setup pods on the workload pool.
	Scheduling cluster.Scheduling
	// Protect marks the stateful resources (the server StatefulSet, whose volume claims hold the
	// data, and the generated root credentials and workload secret keys, random.RandomPassword)
	// protected: destroy and replacement stop at them.
	// Disposable children (the setup Job, Secrets, ConfigMaps, Services, NetworkPolicies, the PDB,
	// certificates, the volume-size patches) are never protected.
	Protect bool
	// Secrets is the target's secret store: the root credentials and every workload's secret key are
	// written to it and the Secrets the server, the setup Job and the workloads read are
	// materialized by ExternalSecrets. nil creates plain Secrets.
	Secrets *secrets.Store
	// Labels are added to every object.
	Labels map[string]string
	// Metrics creates a MinIO user allowed only admin:Prometheus and the Secret MetricsSecret with
	// its bearer token, so Prometheus can scrape MetricsTarget (metrics.go). Off: nothing can read
	// the metrics endpoint, which stays authenticated either way.
	Metrics bool
}

// ObjectStore is the in-cluster MinIO.
type ObjectStore struct {
	pulumi.ResourceState

	// Info is the cloud-neutral view the workloads consume. Bucket names and identities resolve once
	// the setup Job has created them.
	Info objectstore.Info
	// RootCredentialsSecret is the Secret (data namespace) holding "rootUser" and "rootPassword".
	RootCredentialsSecret pulumi.StringOutput
	// CASecret is the Secret (data namespace) holding the store's CA as "ca.crt".
	CASecret pulumi.StringOutput
	// MetricsSecret is MetricsSecret once it exists (with Args.Metrics; else unset).
	MetricsSecret pulumi.StringOutput
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// drives returns the drives per pod after defaults.
func (a *ObjectStoreArgs) drives() int {
	if a.DrivesPerPod == 0 {
		return 1
	}
	return a.DrivesPerPod
}

func (a *ObjectStoreArgs) validate() error {
	if a == nil {
		return fmt.Errorf("minio: args are required")
	}
	if a.Namespace == nil {
		return fmt.Errorf("minio: Namespace is required (the data namespace output)")
	}
	if !dnsLabel.MatchString(a.NamespaceName) {
		return fmt.Errorf("minio: NamespaceName = %q; must be a DNS label (lower-case letters, digits, '-')", a.NamespaceName)
	}
	if a.Replicas != 1 && a.Replicas < 4 {
		return fmt.Errorf("minio: Replicas = %d; allowed: 1 (single drive) or ≥ 4 (distributed with erasure coding)", a.Replicas)
	}
	if a.DrivesPerPod < 0 || a.DrivesPerPod > 16 {
		return fmt.Errorf("minio: DrivesPerPod = %d; allowed: 1–16 (0 means 1)", a.DrivesPerPod)
	}
	if a.Replicas == 1 && a.drives() != 1 {
		return fmt.Errorf("minio: DrivesPerPod = %d with Replicas = 1; a single replica serves a single drive", a.DrivesPerPod)
	}
	if a.VolumeSizeGiB < 1 {
		return fmt.Errorf("minio: VolumeSizeGiB = %d; must be ≥ 1", a.VolumeSizeGiB)
	}
	if a.CPU <= 0 {
		return fmt.Errorf("minio: CPU = %v; must be > 0 cores", a.CPU)
	}
	if a.MemoryGiB < 0.5 {
		return fmt.Errorf("minio: MemoryGiB = %v; must be ≥ 0.5", a.MemoryGiB)
	}
	if a.Versioning && a.NoncurrentVersionDays < 1 {
		return fmt.Errorf("minio: NoncurrentVersionDays = %d with Versioning; must be ≥ 1", a.NoncurrentVersionDays)
	}
	for _, ns := range a.ClientNamespaces {
		if !dnsLabel.MatchString(ns) {
			return fmt.Errorf("minio: ClientNamespaces entry %q is not a DNS label", ns)
		}
	}
	known := map[objectstore.Bucket]bool{}
	for _, b := range objectstore.Buckets {
		known[b] = true
	}
	seen := map[string]bool{}
	for i, acc := range a.Access {
		switch {
		case !dnsLabel.MatchString(acc.Workload) || len(acc.Workload) < 3:
			return fmt.Errorf("minio: Access[%d].Workload = %q; must be a DNS label of at least 3 characters (it is the MinIO user name)", i, acc.Workload)
		case seen[acc.Workload]:
			return fmt.Errorf("minio: Access[%d].Workload = %q appears twice; workloads must be unique", i, acc.Workload)
		case !dnsLabel.MatchString(acc.Namespace):
			return fmt.Errorf("minio: Access[%d] (%s).Namespace = %q; must be a DNS label", i, acc.Workload, acc.Namespace)
		case len(acc.Buckets) == 0:
			return fmt.Errorf("minio: Access[%d] (%s).Buckets is empty; grant at least one of %v", i, acc.Workload, objectstore.Buckets)
		case acc.Prefix != "" && !dnsLabel.MatchString(acc.Prefix):
			return fmt.Errorf("minio: Access[%d] (%s).Prefix = %q; must be lower-case letters, digits and '-'", i, acc.Workload, acc.Prefix)
		}
		for _, b := range acc.Buckets {
			if !known[b] {
				return fmt.Errorf("minio: Access[%d] (%s).Buckets has %q; allowed: %v", i, acc.Workload, b, objectstore.Buckets)
			}
		}
		seen[acc.Workload] = true
	}
	return nil
}

// NewObjectStore creates the MinIO server, its TLS and credentials, the buckets and one user per
// workload.
func NewObjectStore(ctx *pulumi.Context, name string, args *ObjectStoreArgs, opts ...pulumi.ResourceOption) (*ObjectStore, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	image := args.Image
	if image == "" {
		image = config.MinIOImage
	}
	clientImage := args.ClientImage
	if clientImage == "" {
		clientImage = DefaultClientImage
	}
	replicas, drives := args.Replicas, args.drives()
	distributed := replicas > 1
	ns := args.NamespaceName
	serviceHost := fmt.Sprintf("%s.%s.svc.cluster.local", serverName, ns)
	endpointHost := fmt.Sprintf("%s:%d", serviceHost, apiPort)

	comp := &ObjectStore{}
	props := pulumi.Map{
		"namespace":             args.Namespace,
		"image":                 pulumi.String(image),
		"clientImage":           pulumi.String(clientImage),
		"replicas":              pulumi.Int(replicas),
		"drivesPerPod":          pulumi.Int(drives),
		"volumeSizeGiB":         pulumi.Int(args.VolumeSizeGiB),
		"storageClass":          pulumi.String(args.StorageClass),
		"highAvailability":      pulumi.Bool(args.HighAvailability),
		"versioning":            pulumi.Bool(args.Versioning),
		"noncurrentVersionDays": pulumi.Int(args.NoncurrentVersionDays),
		"clientNamespaces":      pulumi.ToStringArray(args.ClientNamespaces),
	}
	if err := ctx.RegisterComponentResourceV2(ObjectStoreType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	// Children are disposable unless said otherwise: a Protect on the component must not reach them.
	parent := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(false))
	stateful := pulumi.Composite(pulumi.Parent(comp), pulumi.Protect(args.Protect))

	labels := func(component string) pulumi.StringMap {
		l := pulumi.StringMap{}
		for k, v := range args.Labels {
			l[k] = pulumi.String(v)
		}
		l["app.kubernetes.io/name"] = pulumi.String("minio")
		l["app.kubernetes.io/instance"] = pulumi.String(name)
		l["app.kubernetes.io/component"] = pulumi.String(component)
		l["app.kubernetes.io/part-of"] = pulumi.String("dataplatform")
		l["app.kubernetes.io/managed-by"] = pulumi.String("pulumi")
		return l
	}
	// The server pods only: the setup Job's pod shares name and instance, not the component.
	selector := pulumi.StringMap{
		"app.kubernetes.io/name":      pulumi.String("minio"),
		"app.kubernetes.io/instance":  pulumi.String(name),
		"app.kubernetes.io/component": pulumi.String("server"),
	}
	meta := func(objName, component string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(objName), Namespace: args.Namespace, Labels: labels(component)}
	}

	// A private CA and a server certificate for every name the pods are reached at: the client
	// Service, each pod through the headless Service (peers verify each other), and short forms.
	caKey, err := tls.NewPrivateKey(ctx, name+"-ca-key", &tls.PrivateKeyArgs{Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256")}, parent)
	if err != nil {
		return nil, err
	}
	caCert, err := tls.NewSelfSignedCert(ctx, name+"-ca", &tls.SelfSignedCertArgs{
		PrivateKeyPem:       caKey.PrivateKeyPem,
		IsCaCertificate:     pulumi.Bool(true),
		ValidityPeriodHours: pulumi.Int(10 * 365 * 24),
		EarlyRenewalHours:   pulumi.Int(365 * 24),
		AllowedUses:         pulumi.ToStringArray([]string{"cert_signing", "crl_signing", "digital_signature"}),
		Subject:             &tls.SelfSignedCertSubjectArgs{CommonName: pulumi.String("dataplatform object store CA"), Organization: pulumi.String("dataplatform")},
	}, parent)
	if err != nil {
		return nil, err
	}
	serverKey, err := tls.NewPrivateKey(ctx, name+"-server-key", &tls.PrivateKeyArgs{Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256")}, parent)
	if err != nil {
		return nil, err
	}
	csr, err := tls.NewCertRequest(ctx, name+"-server-csr", &tls.CertRequestArgs{
		PrivateKeyPem: serverKey.PrivateKeyPem,
		DnsNames:      pulumi.ToStringArray(serverDNSNames(ns)),
		IpAddresses:   pulumi.ToStringArray([]string{"127.0.0.1"}),
		Subject:       &tls.CertRequestSubjectArgs{CommonName: pulumi.String(serviceHost), Organization: pulumi.String("dataplatform")},
	}, parent)
	if err != nil {
		return nil, err
	}
	serverCert, err := tls.NewLocallySignedCert(ctx, name+"-server-cert", &tls.LocallySignedCertArgs{
		CertRequestPem:      csr.CertRequestPem,
		CaPrivateKeyPem:     caKey.PrivateKeyPem,
		CaCertPem:           caCert.CertPem,
		ValidityPeriodHours: pulumi.Int(2 * 365 * 24),
		// Within 30 days of expiry, the next `pulumi up` issues a new certificate.
		EarlyRenewalHours: pulumi.Int(30 * 24),
		AllowedUses:       pulumi.ToStringArray([]string{"digital_signature", "key_encipherment", "server_auth", "client_auth"}),
	}, parent)
	if err != nil {
		return nil, err
	}

	tlsSecret, err := corev1.NewSecret(ctx, name+"-tls", &corev1.SecretArgs{
		Metadata: meta("minio-tls", "server"),
		Type:     pulumi.String("Opaque"),
		StringData: pulumi.StringMap{
			"public.crt":  serverCert.CertPem,
			"private.key": pulumi.ToSecret(serverKey.PrivateKeyPem).(pulumi.StringOutput),
			"ca.crt":      caCert.CertPem,
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	caSecret, err := corev1.NewSecret(ctx, name+"-ca", &corev1.SecretArgs{
		Metadata:   meta("minio-ca", "server"),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{"ca.crt": caCert.CertPem},
	}, parent)
	if err != nil {
		return nil, err
	}

	// Root credentials: alphanumeric, so they fit in the mc alias URL of the setup Job.
	rootUser, err := random.NewRandomPassword(ctx, name+"-root-user", &random.RandomPasswordArgs{
		Length: pulumi.Int(20), Special: pulumi.Bool(false), Upper: pulumi.Bool(false), MinNumeric: pulumi.Int(2),
	}, stateful)
	if err != nil {
		return nil, err
	}
	rootPassword, err := random.NewRandomPassword(ctx, name+"-root-password", &random.RandomPasswordArgs{
		Length: pulumi.Int(40), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4),
	}, stateful)
	if err != nil {
		return nil, err
	}
	plain := func(m pulumi.StringMap) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			if s, ok := v.(pulumi.String); ok {
				out[k] = string(s)
			}
		}
		return out
	}
	rootCred, err := args.Secrets.Put(ctx, name+"-root-credential", "minio-root",
		map[string]pulumi.StringInput{"rootUser": rootUser.Result, "rootPassword": rootPassword.Result}, parent)
	if err != nil {
		return nil, err
	}
	root, err := args.Secrets.Materialize(ctx, name+"-root", secrets.Secret{
		Name: "minio-root", Namespace: args.Namespace, Type: "Opaque", Labels: plain(labels("server")),
		Data: map[string]secrets.Ref{"rootUser": rootCred.Ref("rootUser"), "rootPassword": rootCred.Ref("rootPassword")},
	}, parent)
	if err != nil {
		return nil, err
	}
	rootSecret := root.Resource

	ports := corev1.ServicePortArray{
		&corev1.ServicePortArgs{Name: pulumi.String("https-api"), Port: pulumi.Int(apiPort), TargetPort: pulumi.String("api"), Protocol: pulumi.String("TCP")},
		&corev1.ServicePortArgs{Name: pulumi.String("https-console"), Port: pulumi.Int(consolePort), TargetPort: pulumi.String("console"), Protocol: pulumi.String("TCP")},
	}
	// Peers must resolve each other before any is ready, hence publishNotReadyAddresses.
	headless, err := corev1.NewService(ctx, name+"-headless", &corev1.ServiceArgs{
		Metadata: meta(headlessName, "server"),
		Spec: &corev1.ServiceSpecArgs{
			ClusterIP:                pulumi.String("None"),
			PublishNotReadyAddresses: pulumi.Bool(true),
			Selector:                 selector,
			Ports:                    ports[:1],
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	service, err := corev1.NewService(ctx, name+"-service", &corev1.ServiceArgs{
		Metadata: meta(serverName, "server"),
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: selector,
			Ports:    ports,
		},
	}, parent)
	if err != nil {
		return nil, err
	}

	sts, err := appsv1.NewStatefulSet(ctx, name+"-server", &appsv1.StatefulSetArgs{
		Metadata: meta(serverName, "server"),
		Spec:     statefulSetSpec(args, image, selector, labels("server"), distributed),
	}, stateful, pulumi.DependsOn([]pulumi.Resource{tlsSecret, rootSecret, headless}),
		// volumeClaimTemplates are immutable: a changed size would replace the StatefulSet and still
		// leave every existing claim at its old size. The claims are resized in place below; the
		// template keeps the size the store was created with.
		pulumi.IgnoreChanges([]string{"spec.volumeClaimTemplates"}))
	if err != nil {
		return nil, err
	}
	if err := resizeVolumes(ctx, name, parent, args, labels("server"), sts); err != nil {
		return nil, err
	}

	if distributed {
		// Erasure coding survives one pod (DrivesPerPod drives) down: let drains take one at a time.
		if _, err := policyv1.NewPodDisruptionBudget(ctx, name+"-pdb", &policyv1.PodDisruptionBudgetArgs{
			Metadata: meta(serverName, "server"),
			Spec: &policyv1.PodDisruptionBudgetSpecArgs{
				MaxUnavailable: pulumi.Int(1),
				Selector:       &metav1.LabelSelectorArgs{MatchLabels: selector},
			},
		}, parent); err != nil {
			return nil, err
		}
	}

	if len(args.ClientNamespaces) > 0 {
		if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-allow-clients", &networkingv1.NetworkPolicyArgs{
			Metadata: meta("minio-allow-clients", "server"),
			Spec: &networkingv1.NetworkPolicySpecArgs{
				PodSelector: &metav1.LabelSelectorArgs{MatchLabels: selector},
				PolicyTypes: pulumi.StringArray{pulumi.String("Ingress")},
				Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
					From:  namespacePeers(args.ClientNamespaces),
					Ports: networkingv1.NetworkPolicyPortArray{&networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(apiPort)}},
				}},
			},
		}, parent); err != nil {
			return nil, err
		}
	}

	// One generated secret key per workload; the user name is the workload. Each is one credential
	// in the store (with the CA the workload verifies the server with), read by the setup Job
	// (minio-users) and by the workload (<workload>-object-store).
	userKeys := map[string]secrets.Ref{}
	secretKeys := make([]*random.RandomPassword, len(args.Access))
	creds := make([]*secrets.Credential, len(args.Access))
	for i, acc := range args.Access {
		pw, err := random.NewRandomPassword(ctx, name+"-"+acc.Workload+"-secret-key", &random.RandomPasswordArgs{
			Length: pulumi.Int(40), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4),
		}, stateful)
		if err != nil {
			return nil, err
		}
		secretKeys[i] = pw
		creds[i], err = args.Secrets.Put(ctx, name+"-"+acc.Workload+"-credential", "minio-"+acc.Workload, map[string]pulumi.StringInput{
			"accessKey": pulumi.String(acc.Workload), "secretKey": pw.Result, "ca.crt": caCert.CertPem,
		}, parent)
		if err != nil {
			return nil, err
		}
		userKeys[acc.Workload] = creds[i].Ref("secretKey")
	}
	var metricsCred *secrets.Credential
	var metricsKey *random.RandomPassword
	if args.Metrics {
		if metricsCred, metricsKey, err = metricsCredential(ctx, name, args.Secrets, caCert.CertPem, parent, stateful); err != nil {
			return nil, err
		}
		userKeys[MetricsUser] = metricsCred.Ref("secretKey")
	}
	// The setup Job reads versioned Secrets only (secrets.Secret.Versioned): a rotated key or root
	// password is a new Secret, Ready before the Job that names it, so the Job never applies the
	// value ESO had not re-read yet. The server keeps reading the stable minio-root.
	users, err := args.Secrets.Materialize(ctx, name+"-users", secrets.Secret{
		Name: "minio-users", Namespace: args.Namespace, Type: "Opaque", Labels: plain(labels("setup")), Data: userKeys, Versioned: true,
	}, parent)
	if err != nil {
		return nil, err
	}
	setupRoot, err := args.Secrets.Materialize(ctx, name+"-setup-root", secrets.Secret{
		Name: "minio-setup-root", Namespace: args.Namespace, Type: "Opaque", Labels: plain(labels("setup")), Versioned: true,
		Data: map[string]secrets.Ref{"rootUser": rootCred.Ref("rootUser"), "rootPassword": rootCred.Ref("rootPassword")},
	}, parent)
	if err != nil {
		return nil, err
	}

	files := setupFiles(endpointHost, args.Versioning, args.NoncurrentVersionDays, args.Access)
	if args.Metrics {
		addMetricsSetup(files)
	}
	setupCM, err := corev1.NewConfigMap(ctx, name+"-setup", &corev1.ConfigMapArgs{
		Metadata: meta("minio-setup", "setup"),
		Data:     pulumi.ToStringMap(files),
	}, parent)
	if err != nil {
		return nil, err
	}
	// What the Job applies — its files and every workload's secret key — hashed into the pod
	// template, so a change runs it again.
	hashInputs := []any{pulumi.String(digest(files))}
	for _, k := range secretKeys {
		hashInputs = append(hashInputs, k.Result)
	}
	if metricsKey != nil {
		hashInputs = append(hashInputs, metricsKey.Result)
	}
	configHash := pulumi.Unsecret(pulumi.All(hashInputs...).ApplyT(func(v []any) string {
		return metadatadb.ConfigHash(v...)
	}).(pulumi.StringOutput)).(pulumi.StringOutput)
	job, err := setupJob(ctx, name, parent, args, clientImage, meta, labels("setup"), configHash, setupRoot.Name, users.Name,
		[]pulumi.Resource{sts, service, setupCM, users.Resource, caSecret, rootSecret, setupRoot.Resource})
	if err != nil {
		return nil, err
	}

	// Outputs that consumers use resolve after the Job, so a workload never starts before its
	// bucket and user exist.
	after := func(v string) pulumi.StringOutput {
		return pulumi.All(job.Metadata.Name(), service.Metadata.Name()).ApplyT(func([]any) string { return v }).(pulumi.StringOutput)
	}
	info := objectstore.Info{
		Kind:        objectstore.MinIO,
		Endpoint:    after("https://" + endpointHost),
		PathStyle:   true,
		Account:     pulumi.String("").ToStringOutput(),
		BucketNames: map[objectstore.Bucket]pulumi.StringOutput{},
		Identities:  map[string]objectstore.Identity{},
		CABundle:    caCert.CertPem,
	}
	for _, b := range objectstore.Buckets {
		info.BucketNames[b] = after(string(b))
	}
	for i, acc := range args.Access {
		nsInput := pulumi.StringInput(pulumi.String(acc.Namespace))
		if o, ok := args.NamespaceOutputs[acc.Namespace]; ok && o != nil {
			nsInput = o
		}
		secretName := acc.Workload + "-object-store"
		sec, err := args.Secrets.Materialize(ctx, name+"-"+acc.Workload+"-credentials", secrets.Secret{
			Name: secretName, Namespace: nsInput, Type: "Opaque", Labels: plain(labels("credentials")),
			Data: map[string]secrets.Ref{"accessKey": creds[i].Ref("accessKey"), "secretKey": creds[i].Ref("secretKey"), "ca.crt": creds[i].Ref("ca.crt")},
		}, parent)
		if err != nil {
			return nil, err
		}
		info.Identities[acc.Workload] = objectstore.Identity{
			ServiceAccountAnnotations: pulumi.StringMap{}.ToStringMapOutput(),
			Principal:                 after(acc.Workload),
			CredentialsSecret: pulumi.All(sec.Name, job.Metadata.Name()).ApplyT(func([]any) string {
				return secretName
			}).(pulumi.StringOutput),
		}
	}

	if metricsCred != nil {
		// After the Job: the token is only accepted once the user exists.
		sec, err := args.Secrets.Materialize(ctx, name+"-metrics", secrets.Secret{
			Name: MetricsSecret, Namespace: args.Namespace, Type: "Opaque", Labels: plain(labels("metrics")),
			Data: map[string]secrets.Ref{"token": metricsCred.Ref("token"), "ca.crt": metricsCred.Ref("ca.crt")},
		}, parent, pulumi.DependsOn([]pulumi.Resource{job}))
		if err != nil {
			return nil, err
		}
		comp.MetricsSecret = sec.Name
	}

	comp.Info = info
	comp.RootCredentialsSecret = root.Name
	comp.CASecret = caSecret.Metadata.Name().Elem()

	bucketOut := pulumi.StringMap{}
	for b, n := range info.BucketNames {
		bucketOut[string(b)] = n
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"endpoint":              info.Endpoint,
		"bucketNames":           bucketOut,
		"rootCredentialsSecret": comp.RootCredentialsSecret,
		"caSecret":              comp.CASecret,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// serverDNSNames are the certificate's SANs.
func serverDNSNames(ns string) []string {
	return []string{
		serverName,
		serverName + "." + ns,
		serverName + "." + ns + ".svc",
		serverName + "." + ns + ".svc.cluster.local",
		"*." + headlessName + "." + ns + ".svc.cluster.local",
		"*." + headlessName + "." + ns + ".svc",
		"*." + headlessName + "." + ns,
		"*." + headlessName,
		headlessName + "." + ns + ".svc.cluster.local",
		"localhost",
	}
}

func namespacePeers(namespaces []string) networkingv1.NetworkPolicyPeerArray {
	return networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
		NamespaceSelector: &metav1.LabelSelectorArgs{MatchExpressions: metav1.LabelSelectorRequirementArray{
			&metav1.LabelSelectorRequirementArgs{
				Key:      pulumi.String("kubernetes.io/metadata.name"),
				Operator: pulumi.String("In"),
				Values:   pulumi.ToStringArray(namespaces),
			},
		}},
	}}
}

func quantityCPU(cores float64) string { return strconv.Itoa(int(cores*1000+0.5)) + "m" }

func quantityMemory(gib float64) string { return strconv.Itoa(int(gib*1024+0.5)) + "Mi" }

func restrictedContainer() *corev1.SecurityContextArgs {
	return &corev1.SecurityContextArgs{
		AllowPrivilegeEscalation: pulumi.Bool(false),
		ReadOnlyRootFilesystem:   pulumi.Bool(true),
		RunAsNonRoot:             pulumi.Bool(true),
		Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
	}
}

func podSecurity() *corev1.PodSecurityContextArgs {
	return &corev1.PodSecurityContextArgs{
		RunAsNonRoot:        pulumi.Bool(true),
		RunAsUser:           pulumi.Int(runAsID),
		RunAsGroup:          pulumi.Int(runAsID),
		FsGroup:             pulumi.Int(runAsID),
		FsGroupChangePolicy: pulumi.String("OnRootMismatch"),
		SeccompProfile:      &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
}

// statefulSetSpec is the server StatefulSet: drives as volume claims, TLS from the Secret, probes over
// HTTPS, spread across nodes and zones.
func statefulSetSpec(args *ObjectStoreArgs, image string, selector, podLabels pulumi.StringMap, distributed bool) *appsv1.StatefulSetSpecArgs {
	drives := args.drives()
	env := corev1.EnvVarArray{
		&corev1.EnvVarArgs{Name: pulumi.String("MINIO_ROOT_USER"), ValueFrom: secretRef("minio-root", "rootUser")},
		&corev1.EnvVarArgs{Name: pulumi.String("MINIO_ROOT_PASSWORD"), ValueFrom: secretRef("minio-root", "rootPassword")},
		// Writable scratch on a read-only root filesystem.
		&corev1.EnvVarArgs{Name: pulumi.String("HOME"), Value: pulumi.String("/tmp")},
	}
	if distributed {
		env = append(env, &corev1.EnvVarArgs{
			Name:  pulumi.String("MINIO_STORAGE_CLASS_STANDARD"),
			Value: pulumi.String(fmt.Sprintf("EC:%d", parity(args.Replicas*drives))),
		})
	}

	mounts := corev1.VolumeMountArray{
		&corev1.VolumeMountArgs{Name: pulumi.String("certs"), MountPath: pulumi.String(certsDir), ReadOnly: pulumi.Bool(true)},
		&corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")},
	}
	claims := corev1.PersistentVolumeClaimTypeArray{}
	for d := 1; d <= drives; d++ {
		vol := fmt.Sprintf("data%d", d)
		mounts = append(mounts, &corev1.VolumeMountArgs{Name: pulumi.String(vol), MountPath: pulumi.String("/" + vol)})
		spec := &corev1.PersistentVolumeClaimSpecArgs{
			AccessModes: pulumi.StringArray{pulumi.String("ReadWriteOnce")},
			Resources: &corev1.VolumeResourceRequirementsArgs{
				Requests: pulumi.StringMap{"storage": pulumi.String(fmt.Sprintf("%dGi", args.VolumeSizeGiB))},
			},
		}
		if args.StorageClass != "" {
			spec.StorageClassName = pulumi.String(args.StorageClass)
		}
		claims = append(claims, &corev1.PersistentVolumeClaimTypeArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(vol), Labels: selector},
			Spec:     spec,
		})
	}

	probe := func(path string, failures int) *corev1.ProbeArgs {
		return &corev1.ProbeArgs{
			HttpGet: &corev1.HTTPGetActionArgs{
				Path: pulumi.String(path), Port: pulumi.String("api"), Scheme: pulumi.String("HTTPS"),
			},
			PeriodSeconds:    pulumi.Int(10),
			TimeoutSeconds:   pulumi.Int(5),
			FailureThreshold: pulumi.Int(failures),
		}
	}
	cpu, mem := quantityCPU(args.CPU), quantityMemory(args.MemoryGiB)

	return &appsv1.StatefulSetSpecArgs{
		Replicas:            pulumi.Int(args.Replicas),
		ServiceName:         pulumi.String(headlessName),
		PodManagementPolicy: pulumi.String("Parallel"),
		Selector:            &metav1.LabelSelectorArgs{MatchLabels: selector},
		UpdateStrategy:      &appsv1.StatefulSetUpdateStrategyArgs{Type: pulumi.String("RollingUpdate")},
		Template: &corev1.PodTemplateSpecArgs{
			Metadata: &metav1.ObjectMetaArgs{Labels: podLabels},
			Spec: &corev1.PodSpecArgs{
				AutomountServiceAccountToken: pulumi.Bool(false),
				Tolerations:                  args.Scheduling.TolerationArray(),
				NodeSelector:                 args.Scheduling.NodeSelectorMap(),
				SecurityContext:              podSecurity(),
				Affinity:                     antiAffinity(selector, args.HighAvailability),
				TopologySpreadConstraints: corev1.TopologySpreadConstraintArray{&corev1.TopologySpreadConstraintArgs{
					MaxSkew:     pulumi.Int(1),
					TopologyKey: pulumi.String("topology.kubernetes.io/zone"),
					// Clusters without zone labels (kind, k3d) must still schedule.
					WhenUnsatisfiable: pulumi.String("ScheduleAnyway"),
					LabelSelector:     &metav1.LabelSelectorArgs{MatchLabels: selector},
				}},
				Containers: corev1.ContainerArray{&corev1.ContainerArgs{
					Name:  pulumi.String("minio"),
					Image: pulumi.String(image),
					Args:  pulumi.ToStringArray(serverArgs(args.NamespaceName, args.Replicas, drives)),
					Env:   env,
					Ports: corev1.ContainerPortArray{
						&corev1.ContainerPortArgs{Name: pulumi.String("api"), ContainerPort: pulumi.Int(apiPort), Protocol: pulumi.String("TCP")},
						&corev1.ContainerPortArgs{Name: pulumi.String("console"), ContainerPort: pulumi.Int(consolePort), Protocol: pulumi.String("TCP")},
					},
					Resources: &corev1.ResourceRequirementsArgs{
						Requests: pulumi.StringMap{"cpu": pulumi.String(cpu), "memory": pulumi.String(mem)},
						Limits:   pulumi.StringMap{"cpu": pulumi.String(cpu), "memory": pulumi.String(mem)},
					},
					// Distributed pods wait for their peers before they serve: give them ten minutes.
					StartupProbe:    probe("/minio/health/live", 60),
					LivenessProbe:   probe("/minio/health/live", 3),
					ReadinessProbe:  probe("/minio/health/ready", 3),
					SecurityContext: restrictedContainer(),
					VolumeMounts:    mounts,
				}},
				Volumes: corev1.VolumeArray{
					&corev1.VolumeArgs{Name: pulumi.String("certs"), Secret: &corev1.SecretVolumeSourceArgs{
						SecretName:  pulumi.String("minio-tls"),
						DefaultMode: pulumi.Int(0o440),
						Items: corev1.KeyToPathArray{
							&corev1.KeyToPathArgs{Key: pulumi.String("public.crt"), Path: pulumi.String("public.crt")},
							&corev1.KeyToPathArgs{Key: pulumi.String("private.key"), Path: pulumi.String("private.key")},
							// MinIO trusts the CAs under certs/CAs when it calls its peers.
							&corev1.KeyToPathArgs{Key: pulumi.String("ca.crt"), Path: pulumi.String("CAs/ca.crt")},
						},
					}},
					&corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("1Gi")}},
				},
			},
		},
		VolumeClaimTemplates: claims,
	}
}

// antiAffinity keeps server pods on distinct nodes: required in prod (losing a node loses one pod's
// drives only), preferred elsewhere.
func antiAffinity(selector pulumi.StringMap, required bool) *corev1.AffinityArgs {
	term := &corev1.PodAffinityTermArgs{
		LabelSelector: &metav1.LabelSelectorArgs{MatchLabels: selector},
		TopologyKey:   pulumi.String("kubernetes.io/hostname"),
	}
	if required {
		return &corev1.AffinityArgs{PodAntiAffinity: &corev1.PodAntiAffinityArgs{
			RequiredDuringSchedulingIgnoredDuringExecution: corev1.PodAffinityTermArray{term},
		}}
	}
	return &corev1.AffinityArgs{PodAntiAffinity: &corev1.PodAntiAffinityArgs{
		PreferredDuringSchedulingIgnoredDuringExecution: corev1.WeightedPodAffinityTermArray{
			&corev1.WeightedPodAffinityTermArgs{Weight: pulumi.Int(100), PodAffinityTerm: term},
		},
	}}
}

func secretRef(secret, key string) *corev1.EnvVarSourceArgs {
	return secretRefTo(pulumi.String(secret), key)
}

func secretRefTo(secret pulumi.StringInput, key string) *corev1.EnvVarSourceArgs {
	return &corev1.EnvVarSourceArgs{SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: secret, Key: pulumi.String(key)}}
}
