package mockcloud

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// tlsEpoch is when every mock certificate's validity starts: a fixed instant keeps plans reproducible.
var tlsEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// tlsOutputs answers the tls provider's resources (PrivateKey, SelfSignedCert, CertRequest,
// LocallySignedCert) with real PEM: keys derived from the resource's URN, certificates and requests
// signed with them and carrying the subject, names and CA flag of the inputs. Whatever parses them — the
// API server validating a kubernetes.io/tls Secret, a trust store built from a CA — sees what it would
// after `pulumi up`. The keys are Ed25519 whatever algorithm was asked for: Ed25519 signatures are
// deterministic, so every plan stays byte-for-byte reproducible (Go 1.26 ignores the random source of
// ECDSA and RSA signing).
func tlsOutputs(r *Resource, typ string, out resource.PropertyMap) {
	own := ed25519Key(r.URN)
	switch typ {
	case "PrivateKey":
		der, _ := x509.MarshalPKCS8PrivateKey(own)
		pub, _ := x509.MarshalPKIXPublicKey(own.Public())
		out["privateKeyPem"] = resource.MakeSecret(resource.NewStringProperty(pemOf("PRIVATE KEY", der)))
		out["publicKeyPem"] = resource.NewStringProperty(pemOf("PUBLIC KEY", pub))
	case "SelfSignedCert":
		key := keyInput(r.Inputs, "privateKeyPem", own)
		tmpl := certTemplate(r, r.Inputs)
		der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
		if err == nil {
			out["certPem"] = resource.NewStringProperty(pemOf("CERTIFICATE", der))
			validity(out, tmpl)
		}
	case "CertRequest":
		key := keyInput(r.Inputs, "privateKeyPem", own)
		req := &x509.CertificateRequest{Subject: subject(r.Inputs), DNSNames: strs(r.Inputs, "dnsNames"), IPAddresses: ips(r.Inputs)}
		if der, err := x509.CreateCertificateRequest(nil, req, key); err == nil {
			out["certRequestPem"] = resource.NewStringProperty(pemOf("CERTIFICATE REQUEST", der))
		}
	case "LocallySignedCert":
		caKey := keyInput(r.Inputs, "caPrivateKeyPem", own)
		ca, caErr := certInput(r.Inputs, "caCertPem")
		csr, csrErr := csrInput(r.Inputs, "certRequestPem")
		if caErr != nil || csrErr != nil {
			return // inputs unknown in a preview: the engine reports the certificate unknown too
		}
		tmpl := certTemplate(r, r.Inputs)
		tmpl.Subject, tmpl.DNSNames, tmpl.IPAddresses = csr.Subject, csr.DNSNames, csr.IPAddresses
		if der, err := x509.CreateCertificate(nil, tmpl, ca, csr.PublicKey, caKey); err == nil {
			out["certPem"] = resource.NewStringProperty(pemOf("CERTIFICATE", der))
			validity(out, tmpl)
		}
	}
}

// validity sets the provider's validityStartTime and validityEndTime (RFC 3339, pulumi-tls
// sdk/v5 go/tls/locallySignedCert.go) from the certificate's template.
func validity(out resource.PropertyMap, t *x509.Certificate) {
	out["validityStartTime"] = resource.NewStringProperty(t.NotBefore.UTC().Format(time.RFC3339))
	out["validityEndTime"] = resource.NewStringProperty(t.NotAfter.UTC().Format(time.RFC3339))
}

// ed25519Key derives a key from a seed, the same on every run.
func ed25519Key(seed string) ed25519.PrivateKey {
	sum := sha256.Sum256([]byte("mockcloud tls key " + seed))
	return ed25519.NewKeyFromSeed(sum[:])
}

func certTemplate(r *Resource, in resource.PropertyMap) *x509.Certificate {
	sum := sha256.Sum256([]byte("serial " + r.URN))
	hours := 24 * 365
	if v, ok := in["validityPeriodHours"]; ok && v.IsNumber() {
		hours = int(v.NumberValue())
	}
	isCA := false
	if v, ok := in["isCaCertificate"]; ok && v.IsBool() {
		isCA = v.BoolValue()
	}
	t := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(sum[:16]),
		Subject:               subject(in),
		NotBefore:             tlsEpoch,
		NotAfter:              tlsEpoch.Add(time.Duration(hours) * time.Hour),
		DNSNames:              strs(in, "dnsNames"),
		IPAddresses:           ips(in),
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	if isCA {
		t.KeyUsage |= x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	for _, u := range strs(in, "allowedUses") {
		switch u {
		case "server_auth":
			t.ExtKeyUsage = append(t.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
		case "client_auth":
			t.ExtKeyUsage = append(t.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
		}
	}
	return t
}

func subject(in resource.PropertyMap) pkix.Name {
	var n pkix.Name
	if s, ok := in["subject"]; ok && s.IsObject() {
		o := s.ObjectValue()
		if v := str(o, "commonName"); v != "" {
			n.CommonName = v
		}
		if v := str(o, "organization"); v != "" {
			n.Organization = []string{v}
		}
	}
	return n
}

func strs(in resource.PropertyMap, k string) []string {
	v, ok := in[resource.PropertyKey(k)]
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

func ips(in resource.PropertyMap) []net.IP {
	var out []net.IP
	for _, s := range strs(in, "ipAddresses") {
		if ip := net.ParseIP(s); ip != nil {
			out = append(out, ip)
		}
	}
	return out
}

// keyInput parses a PKCS#8 key input, or falls back to the resource's own key when the input is not
// a key these mocks made (unknown in a preview).
func keyInput(in resource.PropertyMap, k string, fallback ed25519.PrivateKey) crypto.Signer {
	if b, _ := pem.Decode([]byte(str(in, k))); b != nil {
		if key, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
			if s, ok := key.(crypto.Signer); ok {
				return s
			}
		}
	}
	return fallback
}

func certInput(in resource.PropertyMap, k string) (*x509.Certificate, error) {
	b, _ := pem.Decode([]byte(str(in, k)))
	if b == nil {
		return nil, errNoPEM
	}
	return x509.ParseCertificate(b.Bytes)
}

func csrInput(in resource.PropertyMap, k string) (*x509.CertificateRequest, error) {
	b, _ := pem.Decode([]byte(str(in, k)))
	if b == nil {
		return nil, errNoPEM
	}
	return x509.ParseCertificateRequest(b.Bytes)
}

type pemError string

func (e pemError) Error() string { return string(e) }

const errNoPEM = pemError("no PEM block")

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}
