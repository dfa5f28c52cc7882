package superset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Valkey's objects and the user of the official image (valkey-io/valkey-container 8.1/alpine/Dockerfile:
// "addgroup -S -g 1000 valkey; adduser -S -G valkey -u 999 valkey").
const (
	valkeyName      = "superset-valkey"
	valkeyTLSSecret = "superset-valkey-tls"
	// ValkeyCAConfigMap holds the CA (key ca.crt) Superset verifies Valkey's certificate with.
	ValkeyCAConfigMap = "superset-valkey-ca"
	valkeyUID         = 999
	valkeyGID         = 1000
	valkeyTLSDir      = "/tls"
	valkeyMemoryMiB   = 512
)

// valkeyHosts are the names Valkey's certificate carries: the Service in every form a client in the
// cluster may use.
func valkeyHosts(ns string) []string {
	return []string{
		valkeyName, valkeyName + "." + ns, valkeyName + "." + ns + ".svc", valkeyName + "." + ns + ".svc.cluster.local",
	}
}

// ValkeyHost is the name Superset connects to, the one the certificate is checked against.
func ValkeyHost(ns string) string { return valkeyHosts(ns)[3] }

// valkeyArgs is valkey-server's command line: TLS only (port 0 closes the plaintext port), TLS 1.2+,
// the password, no persistence (the cache and the queued tasks are disposable), and an eviction
// policy that only evicts keys with a TTL — cache entries — never Celery's queues (valkey.conf at
// 8.1: port, tls-port, tls-cert-file, tls-key-file, tls-ca-cert-file, tls-auth-clients,
// tls-protocols, requirepass, save, appendonly, maxmemory, maxmemory-policy volatile-lru).
// $(VALKEY_PASSWORD) is expanded by the kubelet from the container's environment.
func valkeyArgs() []string {
	return []string{
		"--port", "0",
		"--tls-port", fmt.Sprint(ValkeyPort),
		"--tls-cert-file", valkeyTLSDir + "/tls.crt",
		"--tls-key-file", valkeyTLSDir + "/tls.key",
		"--tls-ca-cert-file", valkeyTLSDir + "/ca.crt",
		// Clients authenticate with the password; they present no certificate.
		"--tls-auth-clients", "no",
		"--tls-protocols", "TLSv1.2 TLSv1.3",
		"--requirepass", "$(VALKEY_PASSWORD)",
		"--save", "",
		"--appendonly", "no",
		"--maxmemory", fmt.Sprintf("%dmb", valkeyMemoryMiB*3/4),
		"--maxmemory-policy", "volatile-lru",
	}
}

// valkey creates the CA and the server certificate (the tls provider, as for CloudNativePG's CA),
// and Valkey itself: one replica — the cache and broker are rebuilt on restart — behind a Service.
func (b *builder) valkey() error {
	a := b.a
	caKey, err := tls.NewPrivateKey(b.ctx, b.name+"-valkey-ca-key", &tls.PrivateKeyArgs{
		Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	ca, err := tls.NewSelfSignedCert(b.ctx, b.name+"-valkey-ca", &tls.SelfSignedCertArgs{
		PrivateKeyPem: caKey.PrivateKeyPem, IsCaCertificate: pulumi.Bool(true),
		ValidityPeriodHours: pulumi.Int(10 * 365 * 24), EarlyRenewalHours: pulumi.Int(365 * 24),
		AllowedUses: pulumi.ToStringArray([]string{"cert_signing", "crl_signing", "digital_signature"}),
		Subject:     &tls.SelfSignedCertSubjectArgs{CommonName: pulumi.String("dataplatform superset valkey CA"), Organization: pulumi.String("dataplatform")},
	}, b.opts()...)
	if err != nil {
		return err
	}
	sel := map[string]string{"app.kubernetes.io/name": valkeyName}
	caMap, err := corev1.NewConfigMap(b.ctx, b.name+"-valkey-ca", &corev1.ConfigMapArgs{
		Metadata: b.meta(ValkeyCAConfigMap, sel),
		Data:     pulumi.StringMap{"ca.crt": ca.CertPem},
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.valkeyCA = ca.CertPem
	// The serving certificate: issued and renewed by cert-manager where it runs (valkeyIssued, with
	// the hourly reload Job), else by the tls provider (valkeyPulumiCert), renewed by an up.
	var tlsSecret pulumi.StringInput
	var tlsDeps []pulumi.Resource
	var validityEnd pulumi.StringOutput
	podAnnotations := pulumi.StringMap{}
	if a.CertManager != nil {
		name, deps, err := b.valkeyIssued(sel, caKey, ca)
		if err != nil {
			return err
		}
		tlsSecret, tlsDeps = pulumi.String(name), deps
	} else {
		secret, certHash, end, err := b.valkeyPulumiCert(sel, caKey, ca)
		if err != nil {
			return err
		}
		validityEnd = end
		tlsSecret = secret.Metadata.Name().Elem()
		podAnnotations["dataplatform.io/tls-sha256"] = certHash
	}

	args := pulumi.StringArray{}
	for _, s := range valkeyArgs() {
		args = append(args, pulumi.String(s))
	}
	// A StatefulSet of one: never two instances at once (clients would split between two empty
	// brokers). No volume: the cache and the queued tasks are rebuilt after a restart.
	dep, err := appsv1.NewStatefulSet(b.ctx, b.name+"-valkey", &appsv1.StatefulSetArgs{
		Metadata: b.meta(valkeyName, sel),
		Spec: &appsv1.StatefulSetSpecArgs{
			Replicas:       pulumi.Int(1),
			ServiceName:    pulumi.String(ValkeyService),
			UpdateStrategy: &appsv1.StatefulSetUpdateStrategyArgs{Type: pulumi.String("RollingUpdate")},
			Selector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(sel)},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: b.labels(sel), Annotations: podAnnotations},
				Spec: &corev1.PodSpecArgs{
					AutomountServiceAccountToken: pulumi.Bool(false),
					SecurityContext: &corev1.PodSecurityContextArgs{
						RunAsNonRoot: pulumi.Bool(true), RunAsUser: pulumi.Int(valkeyUID), RunAsGroup: pulumi.Int(valkeyGID), FsGroup: pulumi.Int(valkeyGID),
						SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
					},
					Tolerations:  a.Scheduling.TolerationArray(),
					NodeSelector: a.Scheduling.NodeSelectorMap(),
					Containers: corev1.ContainerArray{&corev1.ContainerArgs{
						Name:    pulumi.String("valkey"),
						Image:   pulumi.String(a.ValkeyImage),
						Command: pulumi.StringArray{pulumi.String("valkey-server")},
						Args:    args,
						Env:     corev1.EnvVarArray{secretEnv("VALKEY_PASSWORD", b.valkeyPassword.name, "password")},
						Ports: corev1.ContainerPortArray{&corev1.ContainerPortArgs{
							Name: pulumi.String("valkey-tls"), ContainerPort: pulumi.Int(ValkeyPort),
						}},
						ReadinessProbe: &corev1.ProbeArgs{
							TcpSocket:     &corev1.TCPSocketActionArgs{Port: pulumi.Int(ValkeyPort)},
							PeriodSeconds: pulumi.Int(5),
						},
						LivenessProbe: &corev1.ProbeArgs{
							TcpSocket:           &corev1.TCPSocketActionArgs{Port: pulumi.Int(ValkeyPort)},
							InitialDelaySeconds: pulumi.Int(10), PeriodSeconds: pulumi.Int(15), FailureThreshold: pulumi.Int(4),
						},
						Resources:       resources(Compute{CPU: 0.25, MemoryGiB: float64(valkeyMemoryMiB) / 1024}),
						SecurityContext: containerSecurity(),
						VolumeMounts: corev1.VolumeMountArray{
							&corev1.VolumeMountArgs{Name: pulumi.String("tls"), MountPath: pulumi.String(valkeyTLSDir), ReadOnly: pulumi.Bool(true)},
							&corev1.VolumeMountArgs{Name: pulumi.String("data"), MountPath: pulumi.String("/data")},
						},
					}},
					Volumes: corev1.VolumeArray{
						&corev1.VolumeArgs{Name: pulumi.String("tls"), Secret: &corev1.SecretVolumeSourceArgs{
							SecretName: tlsSecret, DefaultMode: pulumi.Int(0o440),
						}},
						&corev1.VolumeArgs{Name: pulumi.String("data"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("1Gi")}},
					},
				},
			},
		},
	}, b.opts(pulumi.DependsOn(append([]pulumi.Resource{b.valkeyPassword.resource}, tlsDeps...)))...)
	if err != nil {
		return err
	}
	svc, err := corev1.NewService(b.ctx, b.name+"-valkey", &corev1.ServiceArgs{
		Metadata: b.meta(ValkeyService, sel),
		Spec: &corev1.ServiceSpecArgs{
			Selector: pulumi.ToStringMap(sel),
			Ports: corev1.ServicePortArray{&corev1.ServicePortArgs{
				Name: pulumi.String("valkey-tls"), Port: pulumi.Int(ValkeyPort), TargetPort: pulumi.Int(ValkeyPort),
			}},
		},
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.valkeyReady = []pulumi.Resource{dep, svc, caMap}
	if a.CertManager != nil {
		return b.valkeyReloader([]pulumi.Resource{dep, svc})
	}
	return b.valkeyExpiryCheck(validityEnd, []pulumi.Resource{dep})
}

// valkeyPulumiCert is the serving certificate without cert-manager: the tls provider's key, CSR and
// certificate signed by the CA, one year, renewed by the `pulumi up` within 30 days of expiry; the
// pod template carries the certificate's digest, so Valkey restarts with the new one; a daily Job
// fails once that up is due (valkeyExpiryCheck).
func (b *builder) valkeyPulumiCert(sel map[string]string, caKey *tls.PrivateKey, ca *tls.SelfSignedCert) (*corev1.Secret, pulumi.StringOutput, pulumi.StringOutput, error) {
	a := b.a
	key, err := tls.NewPrivateKey(b.ctx, b.name+"-valkey-key", &tls.PrivateKeyArgs{
		Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256"),
	}, b.opts()...)
	if err != nil {
		return nil, pulumi.StringOutput{}, pulumi.StringOutput{}, err
	}
	csr, err := tls.NewCertRequest(b.ctx, b.name+"-valkey-csr", &tls.CertRequestArgs{
		PrivateKeyPem: key.PrivateKeyPem,
		DnsNames:      pulumi.ToStringArray(valkeyHosts(a.NamespaceName)),
		Subject:       &tls.CertRequestSubjectArgs{CommonName: pulumi.String(ValkeyHost(a.NamespaceName)), Organization: pulumi.String("dataplatform")},
	}, b.opts()...)
	if err != nil {
		return nil, pulumi.StringOutput{}, pulumi.StringOutput{}, err
	}
	cert, err := tls.NewLocallySignedCert(b.ctx, b.name+"-valkey-cert", &tls.LocallySignedCertArgs{
		CertRequestPem: csr.CertRequestPem, CaPrivateKeyPem: caKey.PrivateKeyPem, CaCertPem: ca.CertPem,
		ValidityPeriodHours: pulumi.Int(365 * 24), EarlyRenewalHours: pulumi.Int(30 * 24),
		AllowedUses: pulumi.ToStringArray([]string{"digital_signature", "key_encipherment", "server_auth"}),
	}, b.opts()...)
	if err != nil {
		return nil, pulumi.StringOutput{}, pulumi.StringOutput{}, err
	}
	secret, err := corev1.NewSecret(b.ctx, b.name+"-valkey-tls", &corev1.SecretArgs{
		Metadata: b.meta(valkeyTLSSecret, sel),
		Type:     pulumi.String("kubernetes.io/tls"),
		StringData: pulumi.StringMap{
			"tls.crt": cert.CertPem,
			"tls.key": pulumi.ToSecret(key.PrivateKeyPem).(pulumi.StringOutput),
			"ca.crt":  ca.CertPem,
		},
	}, b.opts()...)
	if err != nil {
		return nil, pulumi.StringOutput{}, pulumi.StringOutput{}, err
	}
	certHash := cert.CertPem.ApplyT(func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}).(pulumi.StringOutput)
	return secret, certHash, cert.ValidityEndTime, nil
}
