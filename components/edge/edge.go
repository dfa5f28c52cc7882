// Package edge is the cloud-neutral contract of the platform's edge: what the engine publishes (its
// routes) and what an edge implementation gives back (the URLs and TLS endpoints a user connects to).
//
// The engine components publish their routes as plain values (dremio.DremioCluster.Routes,
// airbyte.AirbyteStack.Routes); an implementation per target turns them into its load balancers,
// listeners, certificates and policies (package envoygateway on the kubernetes target). No engine
// component knows which cloud it runs on, and no implementation knows which services exist.
//
// Every route is served with TLS at the edge:
//   - HTTP routes on https://<host>.<domain> (port 443); plain HTTP on port 80 only redirects. The
//     backend speaks plain HTTP, or TLS when the route carries BackendTLS: the edge then connects
//     with TLS, sends BackendTLS.Hostname as SNI and (where the implementation can) verifies the
//     backend's certificate against the CA in BackendTLS.CASecret.
//   - GRPC routes on <host>.<domain>:<port>, TLS with ALPN h2; the backend speaks plaintext HTTP/2.
//   - TCP routes on <host>.<domain>:<port>, TLS terminated at the edge; the backend speaks plain TCP
//     (Dremio OSS has no TLS on its JDBC port).
package edge

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Protocol is what a route's backend speaks.
type Protocol string

const (
	// HTTP is HTTP/1.1 (or h2c) behind an HTTPS listener on port 443.
	HTTP Protocol = "HTTP"
	// GRPC is gRPC (HTTP/2) on its own port, TLS at the edge with ALPN h2.
	GRPC Protocol = "GRPC"
	// TCP is a byte stream on its own port, TLS terminated at the edge.
	TCP Protocol = "TCP"
)

// HTTPSPort is where every HTTP route is served; HTTPPort only redirects to it.
const (
	HTTPSPort = 443
	HTTPPort  = 80
)

// Route is one entry point the platform exposes.
type Route struct {
	// Name identifies the route ("dremio-ui", "dremio-flight"); a DNS label, unique per platform.
	Name string
	// Host is the label under dataplatform:domain: "dremio" is served as dremio.<domain>.
	Host string
	// Service, Namespace and Port name the backend Service and its port.
	Service, Namespace string
	Port               int
	// Protocol is what the backend speaks.
	Protocol Protocol
	// ListenPort is the port users connect to for GRPC and TCP routes (each needs its own); HTTP
	// routes always listen on HTTPSPort and leave it 0.
	ListenPort int
	// BackendTLS, on an HTTP route, says the backend serves HTTPS itself and how the edge checks it;
	// nil (the zero value) is a plain-HTTP backend.
	BackendTLS *BackendTLS
}

// BackendCAKey is the key of BackendTLS.CASecret that holds the CA certificate (PEM): the key
// cert-manager, ECK (<name>-<kind>-http-certs-public) and the Gateway API implementations use.
const BackendCAKey = "ca.crt"

// BackendTLS is how the edge reaches a backend that terminates TLS itself. What each
// implementation does with it:
//   - envoygateway (kubernetes; azure with narrowed source ranges): a Gateway API BackendTLSPolicy,
//     so Envoy verifies the certificate against the CA and Hostname (SNI = Hostname);
//   - agc (azure): an AGC BackendTLSPolicy with the CA and Hostname as SNI and subject alt name;
//   - awsgateway (aws): an HTTPS target group and HTTPS health checks — the ALB encrypts but does
//     not verify the target's certificate;
//   - gkegateway (gcp): an HTTPS health check; the load balancer speaks TLS to the backend because
//     the backend's Service port declares appProtocol HTTPS (the backend must set it: the edge does
//     not own the Service), and it does not verify the certificate either.
type BackendTLS struct {
	// CASecret is a Secret in the route's Namespace whose BackendCAKey holds the PEM CA that signs
	// the backend's serving certificate.
	CASecret string
	// Hostname is the name the edge sends as SNI and checks the backend's certificate against: one
	// of the DNS names the certificate carries, such as <service>.<namespace>.svc.
	Hostname string
}

// FQDN is the route's host name under the domain.
func (r Route) FQDN(domain string) string { return r.Host + "." + domain }

// PublicPort is the port users connect to.
func (r Route) PublicPort() int {
	if r.Protocol == HTTP {
		return HTTPSPort
	}
	return r.ListenPort
}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	dnsName  = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	// backendHost is a lower-case DNS name of at least two labels (an in-cluster name such as
	// svc.ns.svc qualifies); secretName a DNS subdomain (a Secret's name).
	backendHost = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$`)
	secretName  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// validateBackendTLS checks a route's BackendTLS: only HTTP routes carry one (the GRPC and TCP
// backends are plaintext, package doc), with a Secret name and a host name of at most 253 characters.
func validateBackendTLS(r Route) error {
	t := r.BackendTLS
	if t == nil {
		return nil
	}
	switch {
	case r.Protocol != HTTP:
		return fmt.Errorf("edge: route %q is %s with BackendTLS; only HTTP routes reach a TLS backend", r.Name, r.Protocol)
	case len(t.CASecret) > 253 || !secretName.MatchString(t.CASecret):
		return fmt.Errorf("edge: route %q: BackendTLS.CASecret %q is not a Secret name (a lower-case DNS subdomain)", r.Name, t.CASecret)
	case len(t.Hostname) > 253 || !backendHost.MatchString(t.Hostname):
		return fmt.Errorf("edge: route %q: BackendTLS.Hostname %q is not a lower-case DNS name of two labels or more (e.g. <service>.<namespace>.svc)", r.Name, t.Hostname)
	}
	return nil
}

// Validate checks a set of routes against a domain: names and hosts are DNS labels, backends are
// complete, ports are in range, names are unique, and no two routes listen on the same public port
// unless both are HTTP routes with distinct hosts.
func Validate(domain string, routes []Route) error {
	if !dnsName.MatchString(domain) {
		return fmt.Errorf("edge: domain %q is not a lower-case DNS name such as data.example.com", domain)
	}
	if len(routes) == 0 {
		return fmt.Errorf("edge: no routes")
	}
	names := map[string]bool{}
	httpHosts := map[string]bool{}
	ports := map[int]string{}
	for _, r := range routes {
		switch {
		case !dnsLabel.MatchString(r.Name):
			return fmt.Errorf("edge: route name %q is not a DNS label", r.Name)
		case names[r.Name]:
			return fmt.Errorf("edge: route name %q is used twice", r.Name)
		case !dnsLabel.MatchString(r.Host):
			return fmt.Errorf("edge: route %q: host %q is not a DNS label", r.Name, r.Host)
		case !dnsLabel.MatchString(r.Service) || !dnsLabel.MatchString(r.Namespace):
			return fmt.Errorf("edge: route %q: backend %q in namespace %q; both must be DNS labels", r.Name, r.Service, r.Namespace)
		case r.Port < 1 || r.Port > 65535:
			return fmt.Errorf("edge: route %q: backend port %d; must be 1–65535", r.Name, r.Port)
		}
		names[r.Name] = true
		if err := validateBackendTLS(r); err != nil {
			return err
		}
		switch r.Protocol {
		case HTTP:
			if r.ListenPort != 0 {
				return fmt.Errorf("edge: route %q is HTTP with ListenPort %d; HTTP routes are served on %d", r.Name, r.ListenPort, HTTPSPort)
			}
			if httpHosts[r.Host] {
				return fmt.Errorf("edge: HTTP host %q is routed twice", r.Host)
			}
			httpHosts[r.Host] = true
		case GRPC, TCP:
			if r.ListenPort < 1024 || r.ListenPort > 65535 {
				return fmt.Errorf("edge: route %q: ListenPort %d; %s routes need their own port, 1024–65535", r.Name, r.ListenPort, r.Protocol)
			}
			if other, dup := ports[r.ListenPort]; dup {
				return fmt.Errorf("edge: routes %q and %q both listen on port %d", other, r.Name, r.ListenPort)
			}
			ports[r.ListenPort] = r.Name
		default:
			return fmt.Errorf("edge: route %q: protocol %q; allowed: HTTP, GRPC, TCP", r.Name, r.Protocol)
		}
	}
	return nil
}

// Hosts lists the distinct FQDNs of the routes, sorted: the names the edge's certificate covers.
func Hosts(domain string, routes []Route) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range routes {
		if h := r.FQDN(domain); !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}

// Info is what an edge implementation gives back.
type Info struct {
	// URLs maps each HTTP route's name to https://<host>.<domain>.
	URLs map[string]pulumi.StringOutput
	// Endpoints maps each GRPC and TCP route's name to <host>.<domain>:<port>.
	Endpoints map[string]pulumi.StringOutput
	// CACertificate is the PEM of the private CA that signs the edge's certificates, which clients
	// must trust; empty when a public CA (ACME) issues them.
	CACertificate pulumi.StringOutput
	// Namespace is where the edge's proxies run: backends admit it on their routed ports.
	Namespace string
}
