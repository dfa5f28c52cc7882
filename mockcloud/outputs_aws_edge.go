package mockcloud

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// awsEdgeOutputs fills what Route 53 and ACM compute: a hosted zone's ID and name servers, and a
// DNS-validated certificate's validation records (one CNAME per name, as ACM answers
// DescribeCertificate: pulumi-aws@v6.83.4 sdk/go/aws/acm/pulumiTypes.go
// CertificateDomainValidationOption).
func awsEdgeOutputs(r *Resource, mod, typ string, set func(string, any)) {
	switch {
	case mod == "route53" && typ == "Zone":
		id := "Z" + strings.ToUpper(digest(r, 20))
		set("zoneId", id)
		set("arn", "arn:aws:route53:::hostedzone/"+id)
		set("nameServers", []any{"ns-101.awsdns-12.com", "ns-602.awsdns-07.net", "ns-1203.awsdns-22.org", "ns-1804.awsdns-33.co.uk"})
	case mod == "route53" && typ == "Record":
		set("fqdn", str(r.Inputs, "name"))
	case mod == "acm" && typ == "Certificate":
		names := []string{str(r.Inputs, "domainName")}
		if v, ok := r.Inputs["subjectAlternativeNames"]; ok && v.IsArray() {
			for _, n := range v.ArrayValue() {
				if n.IsString() && n.StringValue() != names[0] {
					names = append(names, n.StringValue())
				}
			}
		}
		opts := []any{}
		for _, n := range names {
			sum := sha256.Sum256([]byte(n))
			token := hex.EncodeToString(sum[:16])
			opts = append(opts, map[string]any{
				"domainName": n, "resourceRecordName": fmt.Sprintf("_%s.%s.", token, n),
				"resourceRecordType": "CNAME", "resourceRecordValue": fmt.Sprintf("_%s.mock.acm-validations.aws.", token),
			})
		}
		set("domainValidationOptions", opts)
		set("status", "PENDING_VALIDATION")
	}
}

// answerAWSEdge answers the Route 53 and Elastic Load Balancing look-ups of the edge: a hosted zone
// by ID (named data.example.com, public), and a load balancer by name.
func answerAWSEdge(token string, args resource.PropertyMap, region string) (resource.PropertyMap, bool) {
	switch token {
	case "aws:route53/getZone:getZone":
		id := str(args, "zoneId")
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": id, "zoneId": id, "name": "data.example.com", "privateZone": false,
			"arn": "arn:aws:route53:::hostedzone/" + id, "nameServers": []any{"ns-1.awsdns-01.org"},
		}), true
	case "aws:lb/getLoadBalancer:getLoadBalancer":
		name := str(args, "name")
		kind := "app"
		if strings.HasSuffix(name, "-nlb") {
			kind = "net"
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"id":      fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/%s/%s/0123456789abcdef", region, AWSAccountID, kind, name),
			"arn":     fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/%s/%s/0123456789abcdef", region, AWSAccountID, kind, name),
			"name":    name,
			"dnsName": fmt.Sprintf("%s-0123456789.elb.%s.amazonaws.com", name, region),
			"zoneId":  "Z23TAZ7KQ8JQ3E",
		}), true
	}
	return nil, false
}
