package superset

import (
	"fmt"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CertManager says cert-manager (cert-manager.io/v1) runs on the cluster before Superset: Valkey's
// serving certificate is then issued and renewed by it, without a `pulumi up`.
type CertManager struct {
	// Ready are what its custom resources wait for (the chart that installs its CRDs and webhook);
	// empty when the cluster provides cert-manager.
	Ready []pulumi.Resource
}

// Valkey's certificate under cert-manager.
const (
	// valkeyIssuedSecret is the Secret cert-manager writes: another name than the Pulumi-managed
	// valkeyTLSSecret, so that switching between the two never has Pulumi delete the Secret
	// cert-manager just wrote (a removed resource is deleted at the end of the up).
	valkeyIssuedSecret = "superset-valkey-tls-issued"
	valkeyCAKeySecret  = "superset-valkey-ca-key"
	valkeyIssuer       = "superset-valkey-ca"
	// Valkey's certificate lives 90 days and is renewed 30 days before it expires
	// (cert-manager@v1.21.1 pkg/apis/certmanager/v1/types_certificate.go CertificateSpec.duration,
	// renewBefore: Go durations, renewBefore < duration).
	valkeyCertDuration    = "2160h"
	valkeyCertRenewBefore = "720h"
	// valkeyReloadSchedule is when the reload Job makes Valkey re-read its files (hourly); the
	// kubelet refreshes a mounted Secret within its sync period (about a minute), so a renewed
	// certificate is served within the hour, 30 days before the old one expires.
	valkeyReloadSchedule = "17 * * * *"
	// valkeyExpirySchedule is when, without cert-manager, a Job checks that the up-renewed
	// certificate is not due (daily); valkeyUpRenewal is that certificate's EarlyRenewalHours.
	valkeyExpirySchedule = "23 6 * * *"
	valkeyUpRenewal      = 30 * 24 * time.Hour
	cmAPI                = "cert-manager.io/v1"
)

// valkeyIssued has cert-manager issue Valkey's certificate from the component's CA: the CA's key pair
// in a kubernetes.io/tls Secret, a namespaced CA Issuer over it (types_issuer.go CAIssuer.secretName:
// the Secret holds tls.crt and tls.key), and a Certificate for the Service's names
// (types_certificate.go: secretName, dnsNames, duration, renewBefore, privateKey
// algorithm ECDSA size 256 rotationPolicy Always, usages, issuerRef). The CA issuer also writes the
// CA as ca.crt into the issued Secret (pkg/controller/certificaterequests/ca/ca.go: the request's CA = bundle.CAPEM, which the Certificate writes as ca.crt), which valkey-server's
// tls-ca-cert-file reads. No commonName: clients verify the DNS names, and cert-manager refuses a
// commonName over 64 bytes (internal/apis/certmanager/validation/certificate.go), which
// superset-valkey.<ns>.svc.cluster.local exceeds for an apps namespace over 30 characters.
//
// The CA's private key is then in a Secret of the apps namespace (the CA Issuer reads it there):
// whoever may read Secrets there can mint a certificate Superset accepts for Valkey, and nothing
// else (the CA signs only Valkey's certificate). Superset's and Valkey's pods mount no
// ServiceAccount token. It returns the issued Secret's name and what Valkey waits for.
func (b *builder) valkeyIssued(sel map[string]string, caKey *tls.PrivateKey, ca *tls.SelfSignedCert) (string, []pulumi.Resource, error) {
	a := b.a
	after := pulumi.DependsOn(a.CertManager.Ready)
	caSecret, err := corev1.NewSecret(b.ctx, b.name+"-valkey-ca-keypair", &corev1.SecretArgs{
		Metadata: b.meta(valkeyCAKeySecret, sel),
		Type:     pulumi.String("kubernetes.io/tls"),
		StringData: pulumi.StringMap{
			"tls.crt": ca.CertPem,
			"tls.key": pulumi.ToSecret(caKey.PrivateKeyPem).(pulumi.StringOutput),
		},
	}, b.opts()...)
	if err != nil {
		return "", nil, err
	}
	issuer, err := apiextensions.NewCustomResource(b.ctx, b.name+"-valkey-issuer", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(cmAPI), Kind: pulumi.String("Issuer"),
		Metadata:    b.meta(valkeyIssuer, sel),
		OtherFields: map[string]any{"spec": pulumi.Map{"ca": pulumi.Map{"secretName": caSecret.Metadata.Name().Elem()}}},
	}, b.opts(after)...)
	if err != nil {
		return "", nil, err
	}
	cert, err := apiextensions.NewCustomResource(b.ctx, b.name+"-valkey-certificate", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(cmAPI), Kind: pulumi.String("Certificate"),
		Metadata: b.meta(valkeyName, sel),
		OtherFields: map[string]any{"spec": pulumi.Map{
			"secretName":  pulumi.String(valkeyIssuedSecret),
			"dnsNames":    pulumi.ToStringArray(valkeyHosts(a.NamespaceName)),
			"duration":    pulumi.String(valkeyCertDuration),
			"renewBefore": pulumi.String(valkeyCertRenewBefore),
			"privateKey":  pulumi.Map{"algorithm": pulumi.String("ECDSA"), "size": pulumi.Int(256), "rotationPolicy": pulumi.String("Always")},
			"usages":      pulumi.ToStringArray([]string{"digital signature", "key encipherment", "server auth"}),
			"issuerRef":   pulumi.Map{"group": pulumi.String("cert-manager.io"), "kind": pulumi.String("Issuer"), "name": pulumi.String(valkeyIssuer)},
		}},
	}, b.opts(after, pulumi.DependsOn([]pulumi.Resource{issuer}))...)
	if err != nil {
		return "", nil, err
	}
	return valkeyIssuedSecret, []pulumi.Resource{cert}, nil
}

// valkeyReloader is the hourly CronJob that makes Valkey serve a renewed certificate: valkey-server
// reads its TLS files only when it configures TLS, and has no file watcher before 9.1
// (tls-auto-reload-interval); CONFIG SET of tls-cert-file and tls-key-file re-applies the TLS
// configuration even with unchanged paths, because both are VOLATILE_CONFIG (valkey-io/valkey
// src/config.c, 8.0.1 — the newest tag of the line in the snapshot read; 8.1 keeps the flags:
// "VOLATILE_CONFIG | MODIFIABLE_CONFIG ... applyTlsCfg", and setStringConfig returns 1, "apply",
// for a volatile config whose value is unchanged). The paths are the server's own: its Secret volume
// (no subPath) follows the renewed Secret, so the Job sends the command over the Service and needs
// no access to the key. valkey-cli (same image) reads the password from REDISCLI_AUTH
// (src/valkey-cli.c CLI_AUTH_ENV) and verifies Valkey against the CA ConfigMap with --cacert. It
// exits 0 even on an error reply, so the script requires Valkey's "OK".
//
// A CronJob rather than a side-car: a failing reload crash-loops the Job's pod (valkeyCronJob) —
// alerted as a crash-looping pod with some 30 days left on the old certificate — and never touches
// Valkey's pod, whose readiness counts every container. The pods carry Superset's name
// label, which Valkey's ingress NetworkPolicy and Superset's egress policy admit on the Valkey port.
func (b *builder) valkeyReloader(after []pulumi.Resource) error {
	a := b.a
	script := fmt.Sprintf(`out="$(valkey-cli --tls --cacert /ca/ca.crt -h %[1]s -p %[2]d CONFIG SET tls-cert-file %[3]s/tls.crt tls-key-file %[3]s/tls.key tls-ca-cert-file %[3]s/ca.crt 2>&1)"
if [ "$out" != "OK" ]; then echo "valkey TLS reload failed: $out" >&2; exit 1; fi
`, ValkeyHost(a.NamespaceName), ValkeyPort, valkeyTLSDir)
	return b.valkeyCronJob("tls-reload", valkeyReloadSchedule, script,
		corev1.EnvVarArray{secretEnv("REDISCLI_AUTH", b.valkeyPassword.name, "password")}, after)
}

// valkeyExpiryCheck is the daily CronJob that, without cert-manager, fails from 30 days before the
// tls provider's certificate expires (its validityEndTime, known once issued): the `pulumi up` that
// renews it (EarlyRenewalHours 30 days) is then due, and the crash-looping pod is the alert
// (valkeyCronJob). The up that
// renews the certificate moves RENEW_BY a year on. busybox date (the Alpine image's) prints epoch
// seconds with +%s.
func (b *builder) valkeyExpiryCheck(validityEnd pulumi.StringOutput, after []pulumi.Resource) error {
	renewBy := validityEnd.ApplyT(func(end string) (string, error) {
		t, err := time.Parse(time.RFC3339, end)
		if err != nil {
			return "", fmt.Errorf("superset: Valkey certificate validityEndTime %q: %w", end, err)
		}
		return strconv.FormatInt(t.Add(-valkeyUpRenewal).Unix(), 10), nil
	}).(pulumi.StringOutput)
	script := `if [ "$(date +%s)" -ge "$RENEW_BY" ]; then
  echo "Valkey's TLS certificate expires at $EXPIRES: run pulumi up on this stack to renew it" >&2
  exit 1
fi
`
	return b.valkeyCronJob("cert-expiry", valkeyExpirySchedule, script,
		corev1.EnvVarArray{env("RENEW_BY", renewBy), env("EXPIRES", validityEnd)}, after)
}

// valkeyCronJob is one of Valkey's maintenance CronJobs: the Valkey image, no token, the CA in
// /ca, Superset's pod labels (admitted to Valkey's port), one run at a time, failed Jobs kept.
//
// A failing run is made loud with the platform's existing alert rather than a new series: the pod
// restarts in place (restartPolicy OnFailure), so between attempts its container waits in
// CrashLoopBackOff — the kubelet's back-off of 10 s doubling to 5 min — and backoffLimit 10 keeps
// it so for about half an hour (Kubernetes "Jobs", pod backoff failure policy: with OnFailure the
// container restarts count), past PodCrashLooping's 15 minutes over a 5-minute window
// (components/observability/platform/rules.go) and kube-prometheus-stack's KubePodCrashLooping.
// activeDeadlineSeconds (50 min) ends a run before the hourly schedule's next one.
func (b *builder) valkeyCronJob(suffix, schedule, script string, envs corev1.EnvVarArray, after []pulumi.Resource) error {
	a := b.a
	labels := map[string]string{"app.kubernetes.io/name": "superset", "app.kubernetes.io/component": "valkey-" + suffix}
	pod := &corev1.PodTemplateSpecArgs{
		Metadata: &metav1.ObjectMetaArgs{Labels: b.labels(labels)},
		Spec: &corev1.PodSpecArgs{
			RestartPolicy:                pulumi.String("OnFailure"),
			AutomountServiceAccountToken: pulumi.Bool(false),
			EnableServiceLinks:           pulumi.Bool(false),
			SecurityContext:              podSecurity(valkeyUID),
			Tolerations:                  a.Scheduling.TolerationArray(),
			NodeSelector:                 a.Scheduling.NodeSelectorMap(),
			Containers: corev1.ContainerArray{&corev1.ContainerArgs{
				Name:            pulumi.String(suffix),
				Image:           pulumi.String(a.ValkeyImage),
				Command:         pulumi.ToStringArray([]string{"/bin/sh", "-c", script}),
				Env:             envs,
				Resources:       resources(Compute{CPU: 0.05, MemoryGiB: 0.0625}),
				SecurityContext: containerSecurity(),
				VolumeMounts: corev1.VolumeMountArray{
					&corev1.VolumeMountArgs{Name: pulumi.String("ca"), MountPath: pulumi.String("/ca"), ReadOnly: pulumi.Bool(true)},
				},
			}},
			Volumes: corev1.VolumeArray{&corev1.VolumeArgs{Name: pulumi.String("ca"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{
				Name: pulumi.String(ValkeyCAConfigMap), Items: corev1.KeyToPathArray{&corev1.KeyToPathArgs{Key: pulumi.String("ca.crt"), Path: pulumi.String("ca.crt")}},
			}}},
		},
	}
	_, err := batchv1.NewCronJob(b.ctx, b.name+"-valkey-"+suffix, &batchv1.CronJobArgs{
		Metadata: b.meta(valkeyName+"-"+suffix, labels),
		Spec: &batchv1.CronJobSpecArgs{
			Schedule:                   pulumi.String(schedule),
			ConcurrencyPolicy:          pulumi.String("Forbid"),
			SuccessfulJobsHistoryLimit: pulumi.Int(1),
			FailedJobsHistoryLimit:     pulumi.Int(3),
			JobTemplate: &batchv1.JobTemplateSpecArgs{Spec: &batchv1.JobSpecArgs{
				BackoffLimit:          pulumi.Int(10),
				ActiveDeadlineSeconds: pulumi.Int(3000),
				Template:              pod,
			}},
		},
	}, b.opts(pulumi.DependsOn(after))...)
	return err
}
