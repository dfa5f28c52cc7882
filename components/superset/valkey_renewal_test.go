package superset

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1k "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	issuerType = "kubernetes:cert-manager.io/v1:Issuer"
	certType   = "kubernetes:cert-manager.io/v1:Certificate"
	lscType    = "tls:index/locallySignedCert:LocallySignedCert"
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
// component's CA, written to its own Secret, which Valkey mounts; a side-car re-applies the TLS files
// every hour with CONFIG SET; no tls-provider leaf certificate and no digest annotation (no restart
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
		cs := sts.Spec.Template.Spec.Containers
		require.Len(t, cs, 2)
		r := cs[1]
		assert.Equal(t, "tls-reload", r.Name)
		assert.Equal(t, "valkey/valkey:8.1.8-alpine", r.Image, "valkey-cli of the same image")
		script := strings.Join(r.Command, " ")
		assert.Contains(t, script, "sleep 3600")
		assert.Contains(t, script, "valkey-cli --tls --cacert /tls/ca.crt -h 127.0.0.1 -p 6379 CONFIG SET tls-cert-file /tls/tls.crt tls-key-file /tls/tls.key")
		assert.Contains(t, script, `= "OK" ]`, "an error reply counts as a failure")
		assert.Contains(t, script, `[ "$failures" -ge 3 ] && exit 1`, "a reload that keeps failing restarts the side-car")
		require.Len(t, r.Env, 1)
		assert.Equal(t, "REDISCLI_AUTH", r.Env[0].Name)
		assert.Equal(t, "password", r.Env[0].ValueFrom.SecretKeyRef.Key)
		assert.Equal(t, "20m", r.Resources.Limits.Cpu().String())
		assert.Equal(t, "32Mi", r.Resources.Limits.Memory().String())
		require.Len(t, r.VolumeMounts, 1)
		assert.Equal(t, "/tls", r.VolumeMounts[0].MountPath)
		assert.True(t, r.VolumeMounts[0].ReadOnly)
		assert.True(t, *r.SecurityContext.ReadOnlyRootFilesystem)
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
}
