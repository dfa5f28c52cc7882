package mockcloud_test

import (
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// The tls provider's outputs are real: a server certificate signed by a CA verifies against it for
// its DNS names, in preview as in an update, and two runs give the same bytes (plans and the Job
// hashes built from certificates are reproducible).
func TestTLSOutputsFormAVerifiableChainAndAreDeterministic(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		run := func() (ca, server string) {
			m := mockcloud.New("dataplatform", "dev", preview)
			err := m.Run(func(ctx *pulumi.Context) error {
				caKey, err := tls.NewPrivateKey(ctx, "ca-key", &tls.PrivateKeyArgs{Algorithm: pulumi.String("ECDSA")})
				if err != nil {
					return err
				}
				caCert, err := tls.NewSelfSignedCert(ctx, "ca", &tls.SelfSignedCertArgs{
					PrivateKeyPem: caKey.PrivateKeyPem, IsCaCertificate: pulumi.Bool(true), ValidityPeriodHours: pulumi.Int(87600),
					AllowedUses: pulumi.ToStringArray([]string{"cert_signing"}),
					Subject:     &tls.SelfSignedCertSubjectArgs{CommonName: pulumi.String("test CA")},
				})
				if err != nil {
					return err
				}
				key, err := tls.NewPrivateKey(ctx, "server-key", &tls.PrivateKeyArgs{Algorithm: pulumi.String("ECDSA")})
				if err != nil {
					return err
				}
				csr, err := tls.NewCertRequest(ctx, "server-csr", &tls.CertRequestArgs{
					PrivateKeyPem: key.PrivateKeyPem, DnsNames: pulumi.ToStringArray([]string{"minio.data.svc"}),
					Subject: &tls.CertRequestSubjectArgs{CommonName: pulumi.String("minio")},
				})
				if err != nil {
					return err
				}
				_, err = tls.NewLocallySignedCert(ctx, "server", &tls.LocallySignedCertArgs{
					CertRequestPem: csr.CertRequestPem, CaPrivateKeyPem: caKey.PrivateKeyPem, CaCertPem: caCert.CertPem,
					ValidityPeriodHours: pulumi.Int(17520), AllowedUses: pulumi.ToStringArray([]string{"server_auth"}),
				})
				return err
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return inspect.Str(m.Named("tls:index/selfSignedCert:SelfSignedCert", "ca").Outputs, "certPem"),
				inspect.Str(m.Named("tls:index/locallySignedCert:LocallySignedCert", "server").Outputs, "certPem")
		}
		ca, server := run()
		ca2, server2 := run()
		if ca != ca2 || server != server2 {
			t.Error("certificates differ between two runs")
		}
		parse := func(p string) *x509.Certificate {
			b, _ := pem.Decode([]byte(p))
			if b == nil {
				t.Fatalf("not PEM: %q", p)
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		caCert, serverCert := parse(ca), parse(server)
		if !caCert.IsCA || caCert.Subject.CommonName != "test CA" {
			t.Errorf("CA: isCA %v, CN %q", caCert.IsCA, caCert.Subject.CommonName)
		}
		roots := x509.NewCertPool()
		roots.AddCert(caCert)
		if _, err := serverCert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "minio.data.svc", CurrentTime: serverCert.NotBefore.Add(1)}); err != nil {
			t.Errorf("the server certificate does not verify against its CA: %v", err)
		}
	})
}
