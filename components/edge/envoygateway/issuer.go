package envoygateway

import (
	apiextensions "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// issuer creates the namespaced Issuer the certificate comes from (namespaced, so that no other
// namespace can have certificates signed by the platform's CA or charged to its ACME account).
func (b *builder) issuer(comp *Edge) (*apiextensions.CustomResource, *tls.SelfSignedCert, error) {
	a := b.a
	if a.Issuer == SelfSigned {
		// The root CA: generated here so that its certificate is a stack output clients can trust.
		// The key is the edge's only state: protected in prod.
		key, err := tls.NewPrivateKey(b.ctx, b.name+"-ca-key", &tls.PrivateKeyArgs{
			Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256"),
		}, pulumi.Parent(comp), pulumi.Protect(a.Protect))
		if err != nil {
			return nil, nil, err
		}
		// Ten years; re-signed with the same key by the `up` that runs in its last year, so clients
		// that trust the old certificate (same subject, same key) keep verifying.
		ca, err := tls.NewSelfSignedCert(b.ctx, b.name+"-ca", &tls.SelfSignedCertArgs{
			PrivateKeyPem:       key.PrivateKeyPem,
			IsCaCertificate:     pulumi.Bool(true),
			ValidityPeriodHours: pulumi.Int(10 * 365 * 24),
			EarlyRenewalHours:   pulumi.Int(365 * 24),
			AllowedUses:         pulumi.ToStringArray([]string{"cert_signing", "crl_signing", "digital_signature"}),
			Subject:             &tls.SelfSignedCertSubjectArgs{CommonName: pulumi.String("dataplatform edge CA " + a.Domain), Organization: pulumi.String("dataplatform")},
		}, b.child)
		if err != nil {
			return nil, nil, err
		}
		secret, err := corev1.NewSecret(b.ctx, b.name+"-ca-secret", &corev1.SecretArgs{
			Metadata: metaArgs(b.meta(CASecret, b.ns)),
			Type:     pulumi.String("kubernetes.io/tls"),
			StringData: pulumi.StringMap{
				"tls.crt": ca.CertPem,
				"tls.key": pulumi.ToSecret(key.PrivateKeyPem).(pulumi.StringOutput),
			},
		}, b.child)
		if err != nil {
			return nil, nil, err
		}
		// cert-manager@v1.21.1 pkg/apis/certmanager/v1/types_issuer.go CAIssuer.secretName.
		issuer, err := b.custom("issuer", cmAPI, "Issuer", b.meta(issuerName, b.ns), pulumi.Map{
			"ca": pulumi.Map{"secretName": pulumi.String(CASecret)},
		}, pulumi.DependsOn([]pulumi.Resource{secret}))
		return issuer, ca, err
	}

	issuer, err := b.custom("issuer", cmAPI, "Issuer", b.meta(issuerName, b.ns), pulumi.Map{
		"acme": acmeSpec(a.ACME),
	})
	return issuer, nil, err
}

// acmeSpec is the Issuer's spec.acme (cert-manager@v1.21.1 pkg/apis/acme/v1/types_issuer.go
// ACMEIssuer): the account and one DNS-01 solver.
func acmeSpec(m ACMEIssuer) pulumi.Map {
	var solver pulumi.Map
	switch m.Provider {
	case DNS01Cloudflare:
		// ACMEIssuerDNS01ProviderCloudflare.apiTokenSecretRef (an API token with Zone:DNS:Edit).
		solver = pulumi.Map{"cloudflare": pulumi.Map{"apiTokenSecretRef": pulumi.Map{"name": pulumi.String(m.SecretName), "key": pulumi.String(m.SecretKey)}}}
	case DNS01RFC2136:
		// ACMEIssuerDNS01ProviderRFC2136: nameserver, tsigKeyName, tsigAlgorithm, tsigSecretSecretRef.
		solver = pulumi.Map{"rfc2136": pulumi.Map{
			"nameserver": pulumi.String(m.Nameserver), "tsigKeyName": pulumi.String(m.TSIGKeyName),
			"tsigAlgorithm":       pulumi.String(m.TSIGAlgorithm),
			"tsigSecretSecretRef": pulumi.Map{"name": pulumi.String(m.SecretName), "key": pulumi.String(m.SecretKey)},
		}}
	case DNS01AzureDNS:
		// ACMEIssuerDNS01ProviderAzureDNS: subscriptionID, resourceGroupName, hostedZoneName,
		// environment, and managedIdentity.clientID (AzureManagedIdentity) instead of clientID and
		// clientSecretSecretRef: with AZURE_FEDERATED_TOKEN_FILE set by the workload identity webhook,
		// cert-manager builds a WorkloadIdentityCredential for that client ID
		// (pkg/issuer/acme/dns/azuredns/azuredns.go getAuthorization).
		z := m.AzureDNS
		env := z.Environment
		if env == "" {
			env = "AzurePublicCloud"
		}
		solver = pulumi.Map{"azureDNS": pulumi.Map{
			"subscriptionID":    z.SubscriptionID,
			"resourceGroupName": z.ResourceGroupName,
			"hostedZoneName":    z.HostedZoneName,
			"environment":       pulumi.String(env),
			"managedIdentity":   pulumi.Map{"clientID": z.ClientID},
		}}
	case DNS01CloudDNS:
		// ACMEIssuerDNS01ProviderCloudDNS: project, hostedZoneName, no serviceAccountSecretRef — the
		// provider then uses the pod's ambient (Workload Identity Federation) credentials
		// (pkg/issuer/acme/dns/clouddns/clouddns.go NewDNSProvider).
		z := m.CloudDNS
		solver = pulumi.Map{"cloudDNS": pulumi.Map{"project": z.Project, "hostedZoneName": z.HostedZoneName}}
	}
	spec := pulumi.Map{
		"server": pulumi.String(m.Server),
		// The ACME account key: cert-manager generates it into this Secret (never in state).
		"privateKeySecretRef": pulumi.Map{"name": pulumi.String(issuerName + "-acme-account")},
		"solvers":             pulumi.Array{pulumi.Map{"dns01": solver}},
	}
	// ACMEIssuer.Email is omitempty: an account without a contact.
	if m.Email != "" {
		spec["email"] = pulumi.String(m.Email)
	}
	return spec
}
