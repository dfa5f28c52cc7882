package stacks

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/clusteraddons/externaldns"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/edge/envoygateway"
	"github.com/opendataplatform/dataplatform/config"
)

// kubernetesDNS has ExternalDNS keep a record for every host of the kubernetes edge in the zone of the
// ACME DNS-01 provider (edge.dnsRecords), and exports dnsRecords: who writes the records of which
// hosts, or that nobody does.
//
// Sources: the kubernetes edge serves its HTTP routes as HTTPRoutes naming their host, and its GRPC
// and TCP routes as TCPRoutes, which carry no hostname (envoygateway routes()). ExternalDNS v0.22.0
// reads TCPRoute at v1alpha2 only (external-dns@v0.22.0 source/gateway_tcproute.go:
// factory.Gateway().V1alpha2().TCPRoutes()), which Gateway API v1.6's CRD no longer serves
// (gateway.networking.k8s.io_tcproutes.yaml v1.6.3: v1alpha2 served: false), so gateway-httproute is
// the only source. It names every host, because every stream route shares its host with an HTTP route
// on the same Gateway (Dremio's UI, Flight and JDBC are all dremio.<domain>), and one record per
// host serves every port: the Gateway has one address (source/gateway.go matchRouteToListener: the
// targets are the Gateway's status.addresses). recordHosts refuses a stream-only host.
//
// Placement: ExternalDNS runs in the edge's namespace, where the user created the credential Secret
// the namespaced Issuer reads (edge.acme.dns01.secretName): a pod takes environment variables only
// from Secrets of its own namespace, and the platform keeps no second copy of the credential.
func kubernetesDNS(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, controllers *envoygateway.Controllers, routes []edge.Route) error {
	e := cfg.Edge
	if !e.Records() {
		ctx.Export("dnsRecords", dnsRecordsExport(cfg, edge.Hosts(cfg.Domain, routes)))
		return nil
	}
	hosts, err := recordHosts(cfg.Domain, routes)
	if err != nil {
		return err
	}
	d := e.ACME.DNS01
	args := &externaldns.Args{
		Provider: externaldns.Provider(d.Provider),
		Domain:   cfg.Domain,
		// The zone is a further filter: the Cloudflare provider drops a zone the filter does not
		// match (provider/cloudflare/cloudflare.go Zones()), and a parent zone does not match the domain.
		Domains:        []string{e.DNSZone},
		OwnerID:        recordOwner(cfg),
		Sources:        []externaldns.Source{externaldns.HTTPRoute},
		Namespace:      controllers.Namespace,
		APIServerCIDRs: cfg.Network.APIServerCIDRs,
		Scheduling:     f.Cluster.Scheduling,
		Labels:         partOf(),
	}
	secret := externaldns.SecretRef{Name: d.SecretName, Key: d.SecretKey}
	switch d.Provider {
	case config.DNS01Cloudflare:
		args.Cloudflare = &externaldns.CloudflareDNS{Token: secret}
	case config.DNS01RFC2136:
		host, port, err := net.SplitHostPort(d.Nameserver)
		if err != nil {
			return fmt.Errorf("edge.acme.dns01.nameserver %q: %w", d.Nameserver, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return fmt.Errorf("edge.acme.dns01.nameserver %q: port: %w", d.Nameserver, err)
		}
		args.RFC2136 = &externaldns.RFC2136DNS{
			Host: host, Port: p, Zone: e.DNSZone,
			TSIGKeyName: d.TSIGKeyName, TSIGAlgorithm: config.ExternalDNSTSIGAlgorithm(d.TSIGAlgorithm),
			TSIGSecret: secret,
		}
	}
	// After the controllers: the Gateway API CRDs the route informers list, and the namespace.
	if _, err := externaldns.New(ctx, "external-dns", args, pulumi.Provider(f.Cluster.Provider), pulumi.DependsOn(controllers.Ready())); err != nil {
		return fmt.Errorf("external-dns: %w", err)
	}
	ctx.Export("dnsRecords", dnsRecordsExport(cfg, hosts))
	return nil
}

// dnsRecordsExport is the dnsRecords output: who writes the records of which hosts (ExternalDNS,
// through which provider, into which zone, under which owner ID), or that nobody does and why.
func dnsRecordsExport(cfg *config.Platform, hosts []string) pulumi.Map {
	e := cfg.Edge
	if !e.Records() {
		reason := "edge.dnsRecords is false"
		if e.Issuer != config.IssuerACME {
			reason = "the " + e.Issuer + " edge names no DNS provider (edge.issuer=acme with edge.acme.dns01 turns the records on)"
		}
		return pulumi.Map{
			"writer": pulumi.String("none"),
			"reason": pulumi.String(reason + "; create an A/AAAA record for each host, pointing at the address of the Gateway " +
				envoygateway.GatewayName + " in namespace " + envoygateway.Namespace),
			"hosts": pulumi.ToStringArray(hosts),
		}
	}
	return pulumi.Map{
		"writer":   pulumi.String("external-dns"),
		"provider": pulumi.String(e.ACME.DNS01.Provider),
		"zone":     pulumi.String(e.DNSZone),
		"ownerId":  pulumi.String(recordOwner(cfg)),
		"hosts":    pulumi.ToStringArray(hosts),
	}
}

// recordHosts are the edge's host names, each of which an HTTP route names (see kubernetesDNS).
func recordHosts(domain string, routes []edge.Route) ([]string, error) {
	named := map[string]bool{}
	for _, r := range routes {
		if r.Protocol == edge.HTTP {
			named[r.FQDN(domain)] = true
		}
	}
	for _, r := range routes {
		if !named[r.FQDN(domain)] {
			return nil, fmt.Errorf("edge route %s: host %s has no HTTP route; ExternalDNS v0.22.0 cannot read its TCPRoute (v1alpha2 only), so its record would never be written", r.Name, r.FQDN(domain))
		}
	}
	hosts := make([]string, 0, len(named))
	for h := range named {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	return hosts, nil
}

// recordOwner is the TXT registry's owner ID (--txt-owner-id), one per stack: "<project>-<stack>"
// as a DNS label, so two stacks sharing a zone never take over or delete each other's records.
func recordOwner(cfg *config.Platform) string {
	return strings.Trim(cut(dnsLabel(namesFor(cfg, "").Base), 63), "-")
}
