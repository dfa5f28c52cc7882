// Package pemca checks PEM bundles of CA certificates before anything is built on them.
package pemca

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"
)

// Check parses a PEM bundle and requires at least one certificate, every block a CA certificate,
// and at least one not yet expired: a bundle that cannot verify a server is refused before anything
// is created.
func Check(bundle string) error {
	rest := []byte(bundle)
	n, valid := 0, 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("a %q PEM block; the bundle must hold CA certificates only", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fmt.Errorf("certificate %d: %w", n+1, err)
		}
		if !c.IsCA {
			return fmt.Errorf("certificate %d (%s) is not a CA certificate", n+1, c.Subject.CommonName)
		}
		n++
		if time.Now().Before(c.NotAfter) {
			valid++
		}
	}
	if n == 0 {
		return fmt.Errorf("no PEM certificate found")
	}
	if valid == 0 {
		return fmt.Errorf("all %d certificates have expired", n)
	}
	return nil
}
