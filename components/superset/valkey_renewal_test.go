package superset

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1k "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	issuerType = "kubernetes:cert-manager.io/v1:Issuer"
	certType   = "kubernetes:cert-manager.io/v1:Certificate"
	lscType    = "tls:index/locallySignedCert:LocallySignedCert"
	cronType   = "kubernetes:batch/v1:CronJob"
)

// runWithCertManager runs the component with cert-manager on the cluster (a stand-in for its chart).
func runWithCertManager(t *testing.T, preview bool) *mockcloud.Mocks {
	t.Helper()
	m := mockcloud.New("dataplatform", "prod", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		chart, err := corev1k.NewConfigMap(ctx, "cert-manager-chart", &corev1k.ConfigMapArgs{}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		a := args(false)
		a.CertManager = &CertManager{Ready: []pulumi.Resource{chart}}
		_, err = NewSuperset(ctx, "superset", a, pulumi.Provider(p))
		return err
	}, nil)
	inspect.RequireRan(t, preview, err)
	return m
}

// TestValkeyCertManagerRenewal: with cert-manager, Valkey's certificate is a cert-manager Certificate
// (90 days, renewed 30 days ahead, ECDSA P-256 rotated, the Service's names) from a CA Issuer over the
// component's CA, written to its own Secret, which Valkey mounts; an hourly CronJob re-applies the
// TLS files over the Service with CONFIG SET and fails on anything but OK; no tls-provider leaf certificate and no digest annotation (no restart
// on renewal); the Issuer and Certificate wait for cert-manager, Valkey for the Certificate.
func TestValkeyCertManagerRenewal(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		m := runWithCertManager(t, preview)
		assert.Empty(t, m.ByType(lscType), "no Pulumi-renewed leaf certificate")
		assert.Nil(t, m.Named(secretType, "superset-valkey-tls"), "the Pulumi-managed Secret is gone")

		issuer := inspect.One(t, m, issuerType)
		assert.Equal(t, valkeyIssuer, inspect.Str(issuer.Inputs, "metadata", "name"))
		assert.Equal(t, "apps", inspect.Str(issuer.Inputs, "metadata", "namespace"))
		assert.Equal(t, valkeyCAKeySecret, inspect.Str(issuer.Inputs, "spec", "ca", "secretName"))
		keypair := m.Named(secretType, "superset-valkey-ca-keypair")
		require.NotNil(t, keypair)
		assert.Equal(t, "kubernetes.io/tls", inspect.Str(keypair.Inputs, "type"))

		cert := inspect.One(t, m, certType)
		s := inspect.Obj(inspect.At(cert.Inputs, "spec"))
		assert.Equal(t, valkeyIssuedSecret, inspect.Str(s, "secretName"))
		assert.Equal(t, "2160h", inspect.Str(s, "duration"))
		assert.Equal(t, "720h", inspect.Str(s, "renewBefore"))
		assert.False(t, inspect.HasKey(s, "commonName"), "no commonName: cert-manager caps it at 64 bytes")
		assert.ElementsMatch(t, valkeyHosts("apps"), inspect.Strs(s, "dnsNames"))
		assert.Equal(t, "ECDSA", inspect.Str(s, "privateKey", "algorithm"))
		assert.Equal(t, 256.0, inspect.Num(s, "privateKey", "size"))
		assert.Equal(t, "Always", inspect.Str(s, "privateKey", "rotationPolicy"))
		assert.Equal(t, []string{"digital signature", "key encipherment", "server auth"}, inspect.Strs(s, "usages"))
		assert.Equal(t, "Issuer", inspect.Str(s, "issuerRef", "kind"))
		assert.Equal(t, valkeyIssuer, inspect.Str(s, "issuerRef", "name"))

		chart := m.Named("kubernetes:core/v1:ConfigMap", "cert-manager-chart")
		require.NotNil(t, chart)
		assert.True(t, m.DependsOn(issuer, chart), "the Issuer waits for cert-manager")
		assert.True(t, m.DependsOn(cert, chart), "the Certificate waits for cert-manager")
		v := m.Named(stsType, "superset-valkey")
		require.NotNil(t, v)
		assert.True(t, m.DependsOn(v, cert), "Valkey waits for its Certificate")

		if preview {
			return
		}
		sts := statefulSet(t, m, "superset-valkey")
		assert.NotContains(t, sts.Spec.Template.Annotations, "dataplatform.io/tls-sha256")
		var tlsVol *corev1.Volume
		for i := range sts.Spec.Template.Spec.Volumes {
			if sts.Spec.Template.Spec.Volumes[i].Name == "tls" {
				tlsVol = &sts.Spec.Template.Spec.Volumes[i]
			}
		}
		require.NotNil(t, tlsVol)
		assert.Equal(t, valkeyIssuedSecret, tlsVol.Secret.SecretName)
		require.Len(t, sts.Spec.Template.Spec.Containers, 1, "Valkey alone: a reload problem never touches its readiness")

		var cj batchv1.CronJob
		cjr := m.Named(cronType, "superset-valkey-tls-reload")
		require.NotNil(t, cjr)
		inspect.DecodeStrict(t, cjr, &cj)
		assert.True(t, m.DependsOn(cjr, v), "the reload Job waits for Valkey")
		assert.Equal(t, "17 * * * *", cj.Spec.Schedule)
		assert.Equal(t, batchv1.ForbidConcurrent, cj.Spec.ConcurrencyPolicy)
		ps := cj.Spec.JobTemplate.Spec.Template.Spec
		assert.Equal(t, "superset", cj.Spec.JobTemplate.Spec.Template.Labels["app.kubernetes.io/name"], "admitted by Valkey's ingress policy")
		assert.Equal(t, corev1.RestartPolicyOnFailure, ps.RestartPolicy, "a failing run crash-loops: PodCrashLooping")
		assert.Equal(t, int32(10), *cj.Spec.JobTemplate.Spec.BackoffLimit)
		assert.Equal(t, int64(3000), *cj.Spec.JobTemplate.Spec.ActiveDeadlineSeconds)
		assert.False(t, *ps.AutomountServiceAccountToken)
		require.Len(t, ps.Containers, 1)
		r := ps.Containers[0]
		assert.Equal(t, "valkey/valkey:8.1.8-alpine", r.Image, "valkey-cli of the same image")
		script := strings.Join(r.Command, " ")
		assert.Contains(t, script, "valkey-cli --tls --cacert /ca/ca.crt -h superset-valkey.apps.svc.cluster.local -p 6379 CONFIG SET tls-cert-file /tls/tls.crt tls-key-file /tls/tls.key")
		assert.Contains(t, script, `[ "$out" != "OK" ]`, "an error reply fails the Job")
		assert.Contains(t, script, "exit 1")
		require.Len(t, r.Env, 1)
		assert.Equal(t, "REDISCLI_AUTH", r.Env[0].Name)
		assert.Equal(t, "password", r.Env[0].ValueFrom.SecretKeyRef.Key)
		assert.Equal(t, "50m", r.Resources.Limits.Cpu().String())
		assert.Equal(t, "64Mi", r.Resources.Limits.Memory().String())
		assert.True(t, *r.SecurityContext.ReadOnlyRootFilesystem)
		require.Len(t, ps.Volumes, 1)
		assert.Equal(t, ValkeyCAConfigMap, ps.Volumes[0].ConfigMap.Name)
	})
}

// TestValkeyPulumiRenewal: without cert-manager, the tls provider's certificate (one year, renewed by
// an up in its last 30 days), its digest on the pod template, and Valkey alone in its pod.
func TestValkeyPulumiRenewal(t *testing.T) {
	m, _, err := run(t, false, args(false))
	require.NoError(t, err)
	assert.Empty(t, m.ByType(certType))
	assert.Empty(t, m.ByType(issuerType))
	lsc := inspect.One(t, m, lscType)
	assert.Equal(t, 365.0*24, inspect.Num(lsc.Inputs, "validityPeriodHours"))
	assert.Equal(t, 30.0*24, inspect.Num(lsc.Inputs, "earlyRenewalHours"))
	sts := statefulSet(t, m, "superset-valkey")
	assert.Contains(t, sts.Spec.Template.Annotations, "dataplatform.io/tls-sha256")
	assert.Len(t, sts.Spec.Template.Spec.Containers, 1)
	assert.Nil(t, m.Named(cronType, "superset-valkey-tls-reload"), "nothing to reload")

	// The daily check fails from 30 days before expiry: the mock certificate is valid from
	// 2026-01-01 for 365 days, so RENEW_BY is 2026-12-02T00:00:00Z.
	var cj batchv1.CronJob
	cjr := m.Named(cronType, "superset-valkey-cert-expiry")
	require.NotNil(t, cjr)
	inspect.DecodeStrict(t, cjr, &cj)
	assert.Equal(t, "23 6 * * *", cj.Spec.Schedule)
	assert.Equal(t, corev1.RestartPolicyOnFailure, cj.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy)
	c := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	envs := map[string]string{}
	for _, e := range c.Env {
		envs[e.Name] = e.Value
	}
	assert.Equal(t, "1796169600", envs["RENEW_BY"])
	assert.Equal(t, "2027-01-01T00:00:00Z", envs["EXPIRES"])
	script := strings.Join(c.Command, " ")
	assert.Contains(t, script, `if [ "$(date +%s)" -ge "$RENEW_BY" ]; then`)
	assert.Contains(t, script, "exit 1")
}

// TestValkeyExpiryCheckScript runs the expiry check's script with sh: it passes before RENEW_BY and
// fails after it.
func TestValkeyExpiryCheckScript(t *testing.T) {
	m, _, err := run(t, false, args(false))
	require.NoError(t, err)
	var cj batchv1.CronJob
	inspect.DecodeStrict(t, m.Named(cronType, "superset-valkey-cert-expiry"), &cj)
	script := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Command[2]
	for renewBy, wantOK := range map[string]bool{"4102444800": true, "946684800": false} {
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.Env = []string{"RENEW_BY=" + renewBy, "EXPIRES=x", "PATH=/usr/bin:/bin"}
		err := cmd.Run()
		assert.Equal(t, wantOK, err == nil, "RENEW_BY=%s: %v", renewBy, err)
	}
}
