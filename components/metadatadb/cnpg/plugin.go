package cnpg

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
)

const (
	// PluginName is the Barman Cloud plugin's CNPG-I name, referenced by Cluster.spec.plugins and
	// ScheduledBackup.spec.pluginConfiguration (plugin-barman-cloud@v0.15.0 web/docs/usage.md).
	PluginName = "barman-cloud.cloudnative-pg.io"
	// DefaultPluginChartVersion pins the plugin-barman-cloud chart of https://cloudnative-pg.github.io/charts.
	// 0.7.0 (cloudnative-pg/charts tag plugin-barman-cloud-v0.7.0, appVersion v0.13.0) is the newest
	// chart release we could read; its ObjectStore CRD (templates/crds/crds.yaml) has the same schema as
	// plugin-barman-cloud@v0.15.0 config/crd/bases/barmancloud.cnpg.io_objectstores.yaml (one
	// description differs) and its Deployment runs the same arguments, so it runs the v0.15.0 images
	// through image.tag / sidecarImage.tag — the override upstream documents for pinning a release
	// (plugin-barman-cloud@v0.15.0 web/src/components/HelmInstallation).
	DefaultPluginChartVersion = "0.7.0"
	// DefaultPluginVersion is the plugin release (operator and instance sidecar images).
	DefaultPluginVersion = "v0.15.0"

	pluginRelease = "plugin-barman-cloud"
	// The plugin's Service is "barman-cloud" (chart values service.name); the operator dials it by
	// that name and verifies its certificate against the server Secret's tls.crt, presenting the
	// client Secret's key pair (cloudnative-pg@v1.29.1 internal/controller/plugin_controller.go).
	pluginService      = "barman-cloud"
	pluginServerSecret = "barman-cloud-server-tls"
	pluginClientSecret = "barman-cloud-client-tls"
)

// pluginCertificates creates the mTLS pair between the operator and the plugin. Upstream issues it
// with cert-manager (chart certificate.create*); the platform generates it itself: each side is a
// self-signed certificate the other pins, as cert-manager's selfSigned issuer would make. (Chart
// 0.7.0 still renders a cert-manager Issuer whatever createIssuer says, so the cluster needs
// cert-manager's CRDs: README, docs/runbook-kubernetes.md.) Renewed by the next `pulumi up` within 30 days of expiry.
func pluginCertificates(ctx *pulumi.Context, name string, parent pulumi.ResourceOption, ns pulumi.StringInput, labels pulumi.StringMap) ([]pulumi.Resource, error) {
	var out []pulumi.Resource
	for _, c := range []struct {
		suffix, secret, commonName string
		dnsNames                   []string
		usage                      string
	}{
		{"plugin-server", pluginServerSecret, pluginService, []string{pluginService}, "server_auth"},
		{"plugin-client", pluginClientSecret, "barman-cloud-client", nil, "client_auth"},
	} {
		key, err := tls.NewPrivateKey(ctx, name+"-"+c.suffix+"-key", &tls.PrivateKeyArgs{
			Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256"),
		}, parent)
		if err != nil {
			return nil, err
		}
		cert, err := tls.NewSelfSignedCert(ctx, name+"-"+c.suffix+"-cert", &tls.SelfSignedCertArgs{
			PrivateKeyPem:       key.PrivateKeyPem,
			DnsNames:            pulumi.ToStringArray(c.dnsNames),
			ValidityPeriodHours: pulumi.Int(365 * 24),
			EarlyRenewalHours:   pulumi.Int(30 * 24),
			AllowedUses:         pulumi.ToStringArray([]string{"digital_signature", "key_encipherment", c.usage}),
			Subject:             &tls.SelfSignedCertSubjectArgs{CommonName: pulumi.String(c.commonName), Organization: pulumi.String("dataplatform")},
		}, parent)
		if err != nil {
			return nil, err
		}
		sec, err := corev1.NewSecret(ctx, name+"-"+c.suffix+"-tls", &corev1.SecretArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(c.secret), Namespace: ns, Labels: labels},
			Type:     pulumi.String("kubernetes.io/tls"),
			StringData: pulumi.StringMap{
				"tls.crt": cert.CertPem,
				"tls.key": pulumi.ToSecret(key.PrivateKeyPem).(pulumi.StringOutput),
			},
		}, parent)
		if err != nil {
			return nil, err
		}
		out = append(out, sec)
	}
	return out, nil
}

// pluginValues are the plugin-barman-cloud chart values (cloudnative-pg/charts
// plugin-barman-cloud-v0.7.0 charts/plugin-barman-cloud/values.yaml): the pinned release, no
// cert-manager objects (the platform provides both TLS Secrets), requests and limits, scheduling.
func pluginValues(version string, sched cluster.Scheduling, extra map[string]string) pulumi.Map {
	podLabels := pulumi.Map{}
	for k, v := range extra {
		podLabels[k] = pulumi.String(v)
	}
	values := pulumi.Map{
		"image":        pulumi.Map{"tag": pulumi.String(version)},
		"sidecarImage": pulumi.Map{"tag": pulumi.String(version)},
		"crds":         pulumi.Map{"create": pulumi.Bool(true)},
		"certificate": pulumi.Map{
			"createClientCertificate": pulumi.Bool(false),
			"createServerCertificate": pulumi.Bool(false),
			"createIssuer":            pulumi.Bool(false),
		},
		"resources": pulumi.Map{
			"requests": pulumi.Map{"cpu": pulumi.String("50m"), "memory": pulumi.String("64Mi")},
			"limits":   pulumi.Map{"cpu": pulumi.String("500m"), "memory": pulumi.String("256Mi")},
		},
		"podLabels": podLabels,
	}
	sched.PlaceValues(values)
	return values
}

// newPluginChart installs the Barman Cloud plugin next to the operator — it must run in the
// operator's namespace (plugin-barman-cloud@v0.15.0 web/docs/installation.mdx).
func newPluginChart(ctx *pulumi.Context, name string, parent pulumi.ResourceOption, ns pulumi.StringInput, chartVersion, version string,
	sched cluster.Scheduling, labels map[string]string, deps []pulumi.Resource,
) (*helmv4.Chart, error) {
	return helmv4.NewChart(ctx, name+"-backup-plugin", &helmv4.ChartArgs{
		Chart:          pulumi.String("plugin-barman-cloud"),
		Version:        pulumi.String(chartVersion),
		RepositoryOpts: &helmv4.RepositoryOptsArgs{Repo: pulumi.String(OperatorChartRepo)},
		Name:           pulumi.String(pluginRelease),
		Namespace:      ns,
		Values:         pluginValues(version, sched, labels),
	}, parent, pulumi.DependsOn(deps))
}
