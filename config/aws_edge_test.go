package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func awsEdge(domain, edge string) map[string]string {
	v := map[string]string{"dataplatform:cloud": "aws"}
	if domain != "" {
		v["dataplatform:domain"] = domain
	}
	if edge != "" {
		v["dataplatform:edge"] = edge
	}
	return v
}

// TestAWSEdgeDefaults: on aws the edge is on once a domain is set, with ACM certificates, open outside
// prod and internal-only in prod; without a domain it stays off.
func TestAWSEdgeDefaults(t *testing.T) {
	p, err := parse(t, "dev", awsEdge("data.example.com", ""))
	require.Nil(t, err)
	assert.True(t, p.Edge.On(), "the edge is on by default on aws")
	assert.Equal(t, IssuerACM, p.Edge.Issuer)
	assert.False(t, p.Edge.InternalOnly())
	assert.Empty(t, p.Edge.DNSZone, "empty: the platform creates the zone")

	p, err = parse(t, "prod", awsEdge("data.example.com", ""))
	require.Nil(t, err)
	assert.True(t, p.Edge.InternalOnly(), "prod's default ranges are private: internal load balancers")

	p, err = parse(t, "dev", awsEdge("", ""))
	require.Nil(t, err)
	assert.False(t, p.Edge.On())

	p, err = parse(t, "dev", awsEdge("data.example.com", `{"dnsZone": "Z0123456789ABCDEFGHIJ", "sourceRanges": ["203.0.113.0/24", "2001:db8::/32"]}`))
	require.Nil(t, err)
	assert.Equal(t, "Z0123456789ABCDEFGHIJ", p.Edge.DNSZone)
	assert.False(t, p.Edge.InternalOnly())
}

// TestAWSEdgeValidation: the issuer is acm only, the zone a Route 53 hosted zone ID, and at least one
// source range IPv4.
func TestAWSEdgeValidation(t *testing.T) {
	for _, c := range []struct {
		name, edge, key, want string
	}{
		{"self-signed", `{"issuer": "selfSigned"}`, "dataplatform:edge.issuer", "acm on aws"},
		{"acme", `{"issuer": "acme"}`, "dataplatform:edge.issuer", "ACM certificates only"},
		{"zone name", `{"dnsZone": "data.example.com"}`, "dataplatform:edge.dnsZone", "Route 53 hosted zone ID"},
		{"zone lower case", `{"dnsZone": "z0123456789"}`, "dataplatform:edge.dnsZone", "Z0123456789ABCDEFGHIJ"},
		{"ipv6 only", `{"sourceRanges": ["2001:db8::/32"]}`, "dataplatform:edge.sourceRanges", "at least one IPv4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, "dev", awsEdge("data.example.com", c.edge))
			require.NotNil(t, err, "accepted")
			pr := problem(t, err, c.key)
			assert.True(t, strings.Contains(pr.Allowed, c.want), "problem %+v; want it to say %q", pr, c.want)
		})
	}
	_, err := parse(t, "dev", awsEdge("data.example.com", `{"issuer": "acm", "sourceRanges": ["10.20.0.0/16"]}`))
	assert.Nil(t, err, "acm with a private range is valid")
	_, err = parse(t, "dev", awsEdge("data.example.com", `{"enabled": false, "sourceRanges": ["2001:db8::/32"]}`))
	assert.Nil(t, err, "an edge that is off is not checked")
}
