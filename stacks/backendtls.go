package stacks

import "github.com/opendataplatform/dataplatform/components/superset"

// supersetCertManager hands Superset cert-manager where it runs on the cluster — kubernetes (a
// prerequisite, or the edge's controllers), azure and gcp with the edge (their controllers are
// installed with the foundation, before the engine) — so that Valkey's certificate renews without an
// up. On aws (no cert-manager: ACM serves the edge) and on azure or gcp with the edge off, Valkey
// keeps the tls provider's one-year certificate, renewed by an up in its last 30 days.
func supersetCertManager(f *Foundation) *superset.CertManager {
	if f.certManager == nil {
		return nil
	}
	return &superset.CertManager{Ready: f.certManager}
}
