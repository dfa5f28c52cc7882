package gkegateway

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/certificatemanager"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/dns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/internal/gcpnaming"
)

// ZoneType is the type token of the Zone component.
const ZoneType = "dataplatform:edge:CloudDNSZone"

// recordTTL is the TTL of the edge's records: short enough that a replaced address is picked up
// within minutes.
const recordTTL = 300

// ZoneArgs configures the edge's Cloud DNS zone.
type ZoneArgs struct {
	// Project holds the zone.
	Project string
	// Domain is dataplatform:domain; the zone is named after it or is a parent of it.
	Domain string
	// Existing is a managed zone's name (not its DNS name) to use; empty creates a public zone for
	// Domain, whose name servers the parent zone must delegate to.
	Existing string
	// Labels go on a created zone.
	Labels map[string]string
	// Protect protects a created zone: a new zone gets new name servers, and the delegation breaks.
	Protect bool
}

// Zone is the Cloud DNS zone the edge's records go to.
type Zone struct {
	pulumi.ResourceState

	// Name is the managed zone's name, what records and IAM bindings name.
	Name pulumi.StringOutput
	// DNSName is the zone's DNS name with its trailing dot, e.g. "data.example.com.".
	DNSName pulumi.StringOutput
	// NameServers are the zone's authoritative servers (the parent zone's NS records for a created
	// zone).
	NameServers pulumi.StringArrayOutput
	// Project holds the zone.
	Project string
}

// NewZone creates a public zone for the domain, or looks up the existing one and checks that it is
// the domain or a parent of it (pulumi-gcp@v7.38.0 dns/getManagedZone.go: dnsName "example.io.",
// nameServers, visibility).
func NewZone(ctx *pulumi.Context, name string, args *ZoneArgs, opts ...pulumi.ResourceOption) (*Zone, error) {
	if args == nil {
		return nil, fmt.Errorf("gkegateway: zone args are required")
	}
	if err := gcpnaming.ValidProject(args.Project); err != nil {
		return nil, fmt.Errorf("gkegateway zone: %w", err)
	}
	if args.Domain == "" || strings.HasSuffix(args.Domain, ".") {
		return nil, fmt.Errorf("gkegateway zone: Domain = %q; a DNS name without the trailing dot, e.g. data.example.com", args.Domain)
	}
	comp := &Zone{Project: args.Project}
	props := pulumi.Map{"domain": pulumi.String(args.Domain), "existing": pulumi.String(args.Existing)}
	if err := ctx.RegisterComponentResourceV2(ZoneType, name, props, comp, opts...); err != nil {
		return nil, err
	}
	if args.Existing != "" {
		z, err := dns.LookupManagedZone(ctx, &dns.LookupManagedZoneArgs{Name: args.Existing, Project: &args.Project}, pulumi.Parent(comp))
		if err != nil {
			return nil, fmt.Errorf("edge.dnsZone = %q: no Cloud DNS managed zone of that name in project %s: %w", args.Existing, args.Project, err)
		}
		zone := strings.TrimSuffix(z.DnsName, ".")
		if z.Visibility != "" && z.Visibility != "public" {
			return nil, fmt.Errorf("edge.dnsZone = %q is a %s zone; Certificate Manager and ACME validate through a public zone", args.Existing, z.Visibility)
		}
		if zone != args.Domain && !strings.HasSuffix(args.Domain, "."+zone) {
			return nil, fmt.Errorf("edge.dnsZone = %q holds %s, which is neither %s nor a parent of it", args.Existing, zone, args.Domain)
		}
		comp.Name = pulumi.String(z.Name).ToStringOutput()
		comp.DNSName = pulumi.String(z.DnsName).ToStringOutput()
		comp.NameServers = pulumi.ToStringArray(z.NameServers).ToStringArrayOutput()
	} else {
		labels := pulumi.StringMap{}
		for k, v := range args.Labels {
			labels[k] = pulumi.String(v)
		}
		// pulumi-gcp@v7.38.0 dns/managedZone.go: visibility public (default), dnssecConfig.state on;
		// forceDestroy deletes the records others wrote (cert-manager's challenges) with the zone.
		z, err := dns.NewManagedZone(ctx, name+"-zone", &dns.ManagedZoneArgs{
			Project: pulumi.String(args.Project), Name: pulumi.String(gcpnaming.ResourceName(args.Domain, "", 63)),
			DnsName: pulumi.String(args.Domain + "."), Visibility: pulumi.String("public"),
			Description:  pulumi.String("Data platform edge: " + args.Domain),
			DnssecConfig: &dns.ManagedZoneDnssecConfigArgs{State: pulumi.String("on")},
			ForceDestroy: pulumi.Bool(!args.Protect), Labels: labels,
		}, pulumi.Parent(comp), pulumi.Protect(args.Protect))
		if err != nil {
			return nil, err
		}
		comp.Name, comp.DNSName, comp.NameServers = z.Name, z.DnsName, z.NameServers
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"name": comp.Name, "dnsName": comp.DNSName, "nameServers": comp.NameServers}); err != nil {
		return nil, err
	}
	return comp, nil
}

// ARecords points each host (FQDNs without the trailing dot) at address, in the zone.
func (z *Zone) ARecords(ctx *pulumi.Context, name string, hosts []string, address pulumi.StringInput, opts ...pulumi.ResourceOption) error {
	for _, h := range hosts {
		label := strings.SplitN(h, ".", 2)[0]
		if _, err := dns.NewRecordSet(ctx, name+"-a-"+label, &dns.RecordSetArgs{
			Project: pulumi.String(z.Project), ManagedZone: z.Name,
			Name: pulumi.String(h + "."), Type: pulumi.String("A"), Ttl: pulumi.Int(recordTTL),
			Rrdatas: pulumi.StringArray{address},
		}, opts...); err != nil {
			return err
		}
	}
	return nil
}

// authorizationRecord publishes a DNS authorization's record (dnsResourceRecords[0]: name, type
// CNAME, data; pulumi-gcp@v7.38.0 certificatemanager/dnsAuthorization.go) in the zone.
func authorizationRecord(ctx *pulumi.Context, name, project string, z *Zone, auth *certificatemanager.DnsAuthorization, opts ...pulumi.ResourceOption) error {
	field := func(f func(certificatemanager.DnsAuthorizationDnsResourceRecord) *string) pulumi.StringOutput {
		return auth.DnsResourceRecords.ApplyT(func(rs []certificatemanager.DnsAuthorizationDnsResourceRecord) string {
			if len(rs) == 0 || f(rs[0]) == nil {
				return ""
			}
			return *f(rs[0])
		}).(pulumi.StringOutput)
	}
	_, err := dns.NewRecordSet(ctx, name, &dns.RecordSetArgs{
		Project: pulumi.String(project), ManagedZone: z.Name,
		Name:    field(func(r certificatemanager.DnsAuthorizationDnsResourceRecord) *string { return r.Name }),
		Type:    field(func(r certificatemanager.DnsAuthorizationDnsResourceRecord) *string { return r.Type }),
		Rrdatas: pulumi.StringArray{field(func(r certificatemanager.DnsAuthorizationDnsResourceRecord) *string { return r.Data })},
		Ttl:     pulumi.Int(recordTTL),
	}, opts...)
	return err
}
