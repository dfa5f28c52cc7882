package gkegateway

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/certificatemanager"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// builder carries what the edge's parts share.
type builder struct {
	ctx  *pulumi.Context
	name string
	a    *EdgeArgs
	comp *Edge

	addressName pulumi.StringOutput
	// certs maps each HTTP host to its Certificate Manager certificate's name.
	certs       map[string]pulumi.StringOutput
	certMapName pulumi.StringOutput
	sslPolicy   pulumi.StringOutput
	armorPolicy pulumi.StringOutput
	// cloud are the Google Cloud resources the Gateway waits for (a Gateway naming a missing
	// certificate, address or policy is not programmed until the controller's next resync).
	cloud []pulumi.Resource
}

func (b *builder) child() pulumi.ResourceOption { return pulumi.Parent(b.comp) }

func (b *builder) labels() pulumi.StringMap {
	out := pulumi.StringMap{}
	for k, v := range b.a.CloudLabels {
		out[k] = pulumi.String(v)
	}
	return out
}

func (b *builder) build() error {
	steps := []func() error{b.address, b.certificates, b.sslPolicyStep, b.armor, b.gateway}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

// address reserves the load balancer's static IP, which the Gateway takes by name (spec.addresses
// type NamedAddress). Public: a global external IPv4 address (pulumi-gcp@v7.38.0
// compute/globalAddress.go, addressType EXTERNAL). Internal: a regional internal address in the
// nodes subnet with purpose SHARED_LOADBALANCER_VIP (compute/address.go purpose: "for an internal
// load balancer's VIP shared by several forwarding rules"), because the Gateway's HTTP (redirect)
// and HTTPS listeners are two forwarding rules on one IP.
func (b *builder) address() error {
	a := b.a
	name := a.resourceName("edge-ip")
	opts := []pulumi.ResourceOption{b.child(), pulumi.Protect(a.Protect)}
	if a.Internal {
		addr, err := compute.NewAddress(b.ctx, b.name+"-ip", &compute.AddressArgs{
			Project: pulumi.String(a.Project), Region: pulumi.String(a.Region), Name: pulumi.String(name),
			Description: pulumi.String("Data platform internal edge (GKE Gateway " + InternalClass + ")"),
			AddressType: pulumi.String("INTERNAL"), Purpose: pulumi.String("SHARED_LOADBALANCER_VIP"),
			Subnetwork: a.Subnetwork, Labels: b.labels(),
		}, opts...)
		if err != nil {
			return err
		}
		b.addressName, b.comp.Address = addr.Name, addr.Address
		b.cloud = append(b.cloud, addr)
		return nil
	}
	addr, err := compute.NewGlobalAddress(b.ctx, b.name+"-ip", &compute.GlobalAddressArgs{
		Project: pulumi.String(a.Project), Name: pulumi.String(name),
		Description: pulumi.String("Data platform edge (GKE Gateway " + ExternalClass + ")"),
		AddressType: pulumi.String("EXTERNAL"), IpVersion: pulumi.String("IPV4"), Labels: b.labels(),
	}, opts...)
	if err != nil {
		return err
	}
	b.addressName, b.comp.Address = addr.Name, addr.Address
	b.cloud = append(b.cloud, addr)
	return nil
}

// certificates issues one Google-managed certificate per HTTP host, authorized by DNS
// (pulumi-gcp@v7.38.0 certificatemanager/dnsAuthorization.go, certificate.go managed.domains and
// managed.dnsAuthorizations). The authorizations are PER_PROJECT_RECORD: their CNAME is
// _acme-challenge_<id>.<host>, not _acme-challenge.<host>, so it never collides with the TXT record
// cert-manager's DNS-01 challenge writes for the same host's TLS endpoints.
//
// Public: a certificate map with one entry per host (certificateMapEntry.go hostname, certificates),
// attached by the Gateway annotation networking.gke.io/certmap. Internal: regional certificates
// (location = the region), which the HTTPS listeners name; certificate maps serve global load
// balancers only.
func (b *builder) certificates() error {
	a := b.a
	location := "global"
	if a.Internal {
		location = a.Region
	}
	if !a.Internal {
		m, err := certificatemanager.NewCertificateMapResource(b.ctx, b.name+"-certmap", &certificatemanager.CertificateMapResourceArgs{
			Project: pulumi.String(a.Project), Name: pulumi.String(a.resourceName("edge")),
			Description: pulumi.String("Data platform edge certificates, one entry per host"), Labels: b.labels(),
		}, b.child())
		if err != nil {
			return err
		}
		b.certMapName = m.Name
		b.cloud = append(b.cloud, m)
	}
	b.certs = map[string]pulumi.StringOutput{}
	for _, r := range a.httpRoutes() {
		host := r.FQDN(a.Domain)
		auth, err := certificatemanager.NewDnsAuthorization(b.ctx, b.name+"-auth-"+r.Host, &certificatemanager.DnsAuthorizationArgs{
			Project: pulumi.String(a.Project), Location: pulumi.String(location),
			Name: pulumi.String(a.hostResourceName(r.Host, host)), Domain: pulumi.String(host),
			Type: pulumi.String("PER_PROJECT_RECORD"), Labels: b.labels(),
			Description: pulumi.String("Proves control of " + host + " for its managed certificate"),
		}, b.child())
		if err != nil {
			return err
		}
		if err := authorizationRecord(b.ctx, b.name+"-auth-"+r.Host, a.Project, a.Zone, auth, b.child()); err != nil {
			return err
		}
		cert, err := certificatemanager.NewCertificate(b.ctx, b.name+"-cert-"+r.Host, &certificatemanager.CertificateArgs{
			Project: pulumi.String(a.Project), Location: pulumi.String(location),
			Name: pulumi.String(a.hostResourceName(r.Host, host)), Labels: b.labels(),
			Description: pulumi.String("Google-managed certificate of " + host),
			Managed: &certificatemanager.CertificateManagedArgs{
				Domains:           pulumi.StringArray{pulumi.String(host)},
				DnsAuthorizations: pulumi.StringArray{auth.ID()},
			},
		}, b.child())
		if err != nil {
			return err
		}
		b.certs[host] = cert.Name
		b.cloud = append(b.cloud, cert)
		if a.Internal {
			continue
		}
		entry, err := certificatemanager.NewCertificateMapEntry(b.ctx, b.name+"-certmap-"+r.Host, &certificatemanager.CertificateMapEntryArgs{
			Project: pulumi.String(a.Project), Map: b.certMapName,
			Name: pulumi.String(a.hostResourceName(r.Host, host)), Hostname: pulumi.String(host),
			Certificates: pulumi.StringArray{cert.ID()}, Labels: b.labels(),
		}, b.child())
		if err != nil {
			return err
		}
		b.cloud = append(b.cloud, entry)
	}
	return nil
}

// sslPolicyStep creates the SSL policy the GCPGatewayPolicy attaches: TLS 1.2 minimum with the
// MODERN profile (pulumi-gcp@v7.38.0 compute/sslpolicy.go minTlsVersion TLS_1_0|TLS_1_1|TLS_1_2,
// profile COMPATIBLE|MODERN|RESTRICTED|CUSTOM). The internal load balancer is regional and takes a
// regional policy (compute/regionSslPolicy.go).
func (b *builder) sslPolicyStep() error {
	a := b.a
	name := pulumi.String(a.resourceName("edge-tls12"))
	desc := pulumi.String("Data platform edge: TLS 1.2 or later")
	if a.Internal {
		p, err := compute.NewRegionSslPolicy(b.ctx, b.name+"-ssl-policy", &compute.RegionSslPolicyArgs{
			Project: pulumi.String(a.Project), Region: pulumi.String(a.Region), Name: name, Description: desc,
			MinTlsVersion: pulumi.String("TLS_1_2"), Profile: pulumi.String("MODERN"),
		}, b.child())
		if err != nil {
			return err
		}
		b.sslPolicy = p.Name
		b.cloud = append(b.cloud, p)
		return nil
	}
	p, err := compute.NewSSLPolicy(b.ctx, b.name+"-ssl-policy", &compute.SSLPolicyArgs{
		Project: pulumi.String(a.Project), Name: name, Description: desc,
		MinTlsVersion: pulumi.String("TLS_1_2"), Profile: pulumi.String("MODERN"),
	}, b.child())
	if err != nil {
		return err
	}
	b.sslPolicy = p.Name
	b.cloud = append(b.cloud, p)
	return nil
}

// armor creates the Cloud Armor backend security policy of the public load balancer: allow the
// source ranges (basic SRC_IPS_V1 rules of at most 10 ranges each, priorities from 1000), deny the
// rest with 403 at the default rule's priority 2147483647 (pulumi-gcp@v7.38.0
// compute/securityPolicy.go rules[].match.versionedExpr, config.srcIpRanges, action allow|deny(403)).
// The internal load balancer has none: its VIP is reachable only from the VPC and connected networks.
func (b *builder) armor() error {
	a := b.a
	if a.Internal {
		return nil
	}
	var rules compute.SecurityPolicyRuleTypeArray
	for i := 0; i*armorRangesPerRule < len(a.SourceRanges); i++ {
		chunk := a.SourceRanges[i*armorRangesPerRule : min(len(a.SourceRanges), (i+1)*armorRangesPerRule)]
		rules = append(rules, &compute.SecurityPolicyRuleTypeArgs{
			Action: pulumi.String("allow"), Priority: pulumi.Int(1000 + i),
			Description: pulumi.String("edge.sourceRanges"),
			Match: &compute.SecurityPolicyRuleMatchArgs{
				VersionedExpr: pulumi.String("SRC_IPS_V1"),
				Config:        &compute.SecurityPolicyRuleMatchConfigArgs{SrcIpRanges: pulumi.ToStringArray(chunk)},
			},
		})
	}
	rules = append(rules, &compute.SecurityPolicyRuleTypeArgs{
		Action: pulumi.String("deny(403)"), Priority: pulumi.Int(2147483647),
		Description: pulumi.String("Everyone else"),
		Match: &compute.SecurityPolicyRuleMatchArgs{
			VersionedExpr: pulumi.String("SRC_IPS_V1"),
			Config:        &compute.SecurityPolicyRuleMatchConfigArgs{SrcIpRanges: pulumi.ToStringArray([]string{"*"})},
		},
	})
	p, err := compute.NewSecurityPolicy(b.ctx, b.name+"-armor", &compute.SecurityPolicyArgs{
		Project: pulumi.String(a.Project), Name: pulumi.String(a.resourceName("edge-sources")),
		Description: pulumi.String("Data platform edge: only edge.sourceRanges"),
		Type:        pulumi.String("CLOUD_ARMOR"), Rules: rules,
	}, b.child())
	if err != nil {
		return err
	}
	b.armorPolicy = p.Name
	b.cloud = append(b.cloud, p)
	return nil
}

// urls are the HTTPS URLs of the HTTP routes, resolved once dep (the Gateway) exists.
func (b *builder) urls(dep pulumi.StringOutput) map[string]pulumi.StringOutput {
	out := map[string]pulumi.StringOutput{}
	for _, r := range b.a.httpRoutes() {
		u := "https://" + r.FQDN(b.a.Domain)
		out[r.Name] = dep.ApplyT(func(string) string { return u }).(pulumi.StringOutput)
	}
	return out
}

// hostResourceName names a host's DnsAuthorization, Certificate and CertificateMapEntry: the host
// label and 8 hex digits of the SHA-256 of the full hostname. A changed dataplatform:domain replaces
// them (their domain, managed.domains and hostname are immutable: ForceNew in terraform-provider-google's
// certificatemanager resources, which pulumi-gcp@v7.38.0 certificatemanager/ wraps), and Pulumi
// replaces create-before-delete: under the old name the new one would collide with the one still
// there (409 already exists; names are unique per project and location).
func (a *EdgeArgs) hostResourceName(label, fqdn string) string {
	sum := sha256.Sum256([]byte(fqdn))
	return a.resourceName(label + "-" + hex.EncodeToString(sum[:])[:8])
}
