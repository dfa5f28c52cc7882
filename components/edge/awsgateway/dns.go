package awsgateway

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// hostedZone is the zone that holds the validation and alias records.
type hostedZone struct {
	id          pulumi.StringOutput
	nameServers pulumi.StringArrayOutput
}

// zone creates a public hosted zone named the domain, or looks up the one DNSZoneID names and checks
// that it is public and that the domain is its name or below it (the look-up runs at plan time, so a
// wrong zone fails before anything is created).
func (b *builder) zone() (*hostedZone, error) {
	a := b.a
	if a.DNSZoneID != "" {
		z, err := route53.LookupZone(b.ctx, &route53.LookupZoneArgs{ZoneId: pulumi.StringRef(a.DNSZoneID)}, pulumi.Parent(b.comp))
		if err != nil {
			return nil, fmt.Errorf("awsgateway: looking up hosted zone %s (edge.dnsZone): %w", a.DNSZoneID, err)
		}
		name := strings.TrimSuffix(strings.ToLower(z.Name), ".")
		if a.Domain != name && !strings.HasSuffix(a.Domain, "."+name) {
			return nil, fmt.Errorf("awsgateway: hosted zone %s (edge.dnsZone) is %s; the domain %s is neither that zone nor below it", a.DNSZoneID, name, a.Domain)
		}
		if z.PrivateZone != nil && *z.PrivateZone {
			return nil, fmt.Errorf("awsgateway: hosted zone %s (edge.dnsZone) is private; ACM validates certificates through public DNS only: name a public zone", a.DNSZoneID)
		}
		return &hostedZone{
			id:          pulumi.String(z.ZoneId).ToStringOutput(),
			nameServers: pulumi.StringArray{}.ToStringArrayOutput(), // the zone's delegation is its owner's
		}, nil
	}
	// A new zone's name servers must be delegated from the parent zone before ACM can validate:
	// the stack exports them (dnsNameServers). Protected in prod: a replacement gets new servers.
	z, err := route53.NewZone(b.ctx, b.name+"-zone", &route53.ZoneArgs{
		Name:    pulumi.String(a.Domain),
		Comment: pulumi.String("dataplatform edge: " + a.Domain + " (managed by Pulumi)"),
		// Outside prod, destroy removes records others added (a zone with records cannot be deleted).
		ForceDestroy: pulumi.Bool(!a.Protect),
		Tags:         b.tags(b.name + "-zone"),
	}, pulumi.Parent(b.comp), pulumi.Protect(a.Protect))
	if err != nil {
		return nil, err
	}
	// The first `up` then waits for ACM (up to 2 h, certificate) and exports dnsNameServers only at
	// its end: say the name servers as soon as the zone exists, so the operator can delegate the
	// domain while `up` waits (the Apply runs when the zone's outputs resolve, not in preview).
	z.NameServers.ApplyT(func(ns []string) error {
		if len(ns) > 0 {
			logInfo(b.ctx, DelegationMessage(a.Domain, ns), z)
		}
		return nil
	})
	return &hostedZone{id: z.ZoneId, nameServers: z.NameServers}, nil
}

// DelegationMessage is what the edge logs once the zone it created exists.
func DelegationMessage(domain string, nameServers []string) string {
	return fmt.Sprintf("delegate %s to %s (NS records in the parent zone): ACM validates the certificate, and `up` waits, until it resolves there",
		domain, strings.Join(nameServers, ", "))
}

// logInfo logs an info message on a resource (a variable so a test can capture it: the Go SDK's
// mock engine drops log messages).
var logInfo = func(ctx *pulumi.Context, msg string, r pulumi.Resource) {
	_ = ctx.Log.Info(msg, &pulumi.LogArgs{Resource: r})
}

// certificate requests one public ACM certificate for every served host, validated by DNS in the
// zone, and returns its ARN once ACM has issued it (the listeners must not reference a certificate
// that is still pending: the controller's CreateListener would fail).
//
// A host added later changes subjectAlternativeNames, which replaces the certificate
// (pulumi-aws@v6.83.4 sdk/go/aws/acm/certificate.go: subjectAlternativeNames forces a new
// certificate). Pulumi replaces create-before-delete: the new certificate is requested, its records
// written and its issuance awaited, the LoadBalancerConfigurations switch to it, and only then is
// the old one deleted. The controller moves the listeners asynchronously; if the old certificate is
// still attached when Pulumi deletes it, ACM refuses (ResourceInUseException) and the next `up`
// deletes it.
func (b *builder) certificate(zone *hostedZone) (pulumi.StringOutput, error) {
	a := b.a
	hosts := Hosts(a.Domain, a.Routes)
	cert, err := acm.NewCertificate(b.ctx, b.name+"-certificate", &acm.CertificateArgs{
		// The other names as SANs: the provider reads the certificate's SANs back without the
		// domain name, so listing it there too would show a change on every refresh.
		DomainName:              pulumi.String(hosts[0]),
		SubjectAlternativeNames: pulumi.ToStringArray(hosts[1:]),
		ValidationMethod:        pulumi.String("DNS"),
		// RSA 2048, ACM's default: the one key type every JDBC and Flight client accepts.
		KeyAlgorithm: pulumi.String("RSA_2048"),
		Tags:         b.tags(b.name + "-certificate"),
	}, b.child)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	var fqdns pulumi.StringArray
	for _, h := range hosts {
		h := h
		opt := cert.DomainValidationOptions.ApplyT(func(opts []acm.CertificateDomainValidationOption) (acm.CertificateDomainValidationOption, error) {
			for _, o := range opts {
				if o.DomainName != nil && *o.DomainName == h && o.ResourceRecordName != nil && o.ResourceRecordValue != nil {
					return o, nil
				}
			}
			return acm.CertificateDomainValidationOption{}, fmt.Errorf("awsgateway: ACM returned no DNS validation record for %s", h)
		}).(acm.CertificateDomainValidationOptionOutput)
		rec, err := route53.NewRecord(b.ctx, b.name+"-validation-"+strings.ReplaceAll(h, ".", "-"), &route53.RecordArgs{
			ZoneId:  zone.id,
			Name:    opt.ResourceRecordName().Elem(),
			Type:    opt.ResourceRecordType().Elem(),
			Records: pulumi.StringArray{opt.ResourceRecordValue().Elem()},
			Ttl:     pulumi.Int(300),
			// The record a replaced certificate needs for the same name is the same record (ACM
			// derives it from the account and the name): overwrite rather than fail on it.
			AllowOverwrite: pulumi.Bool(true),
		}, b.child)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		fqdns = append(fqdns, rec.Fqdn)
	}
	v, err := acm.NewCertificateValidation(b.ctx, b.name+"-certificate-validation", &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: fqdns,
	}, b.child, pulumi.Timeouts(&pulumi.CustomTimeouts{Create: "2h"}))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return v.CertificateArn, nil
}
