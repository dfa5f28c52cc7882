package policies

import "github.com/pulumi/pulumi/sdk/v3/go/common/resource"

// gkeGatewayCertificates reports whether a GKE Gateway's HTTPS listener gets its certificates from
// Google Cloud rather than certificateRefs (GKE docs "Secure a Gateway"): a Certificate Manager map
// named by the Gateway annotation networking.gke.io/certmap (global classes), or Certificate Manager
// certificates or SSL certificates named in the listener's tls.options networking.gke.io/cert-manager-certs
// or networking.gke.io/pre-shared-certs.
func gkeGatewayCertificates(e *eval, gateway, listener resource.PropertyMap) bool {
	if a, ok := e.obj(gateway, "metadata", "annotations"); ok {
		if _, has := a["networking.gke.io/certmap"]; has {
			return true
		}
	}
	if o, ok := e.obj(listener, "tls", "options"); ok {
		for _, k := range []resource.PropertyKey{"networking.gke.io/cert-manager-certs", "networking.gke.io/pre-shared-certs"} {
			if _, has := o[k]; has {
				return true
			}
		}
	}
	return false
}
