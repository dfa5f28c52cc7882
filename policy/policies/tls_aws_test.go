package policies

import "testing"

// TestTLSInTransitAWSGateways: a Gateway of the AWS Load Balancer Controller carries its certificates
// in its LoadBalancerConfiguration, whose secure listeners need an ACM certificate and a TLS 1.2+
// policy; any other Gateway still needs certificateRefs.
func TestTLSInTransitAWSGateways(t *testing.T) {
	lbcRef := M{"group": "gateway.k8s.aws", "kind": "LoadBalancerConfiguration", "name": "alb"}
	runPolicy(t, "tls-in-transit", []tc{
		{name: "aws gateway https from its lb config", rs: []Resource{res(K8sGateway, "gw", M{"spec": M{
			"infrastructure": M{"parametersRef": lbcRef},
			"listeners": A{M{"name": "https", "protocol": "HTTPS"}, M{"name": "jdbc", "protocol": "TLS", "tls": M{"mode": "Terminate"}},
				M{"name": "http", "protocol": "HTTP"}}}})}},
		{name: "aws gateway tcp", rs: []Resource{res(K8sGateway, "gw", M{"spec": M{
			"infrastructure": M{"parametersRef": lbcRef},
			"listeners":      A{M{"name": "pg", "protocol": "TCP"}}}})}, want: `uses protocol "TCP"`},
		{name: "other parametersRef needs certificateRefs", rs: []Resource{res(K8sGateway, "gw", M{"spec": M{
			"infrastructure": M{"parametersRef": M{"group": "example.com", "kind": "Params", "name": "p"}},
			"listeners":      A{M{"name": "https", "protocol": "HTTPS"}}}})}, want: `listener "https" is HTTPS without tls.certificateRefs`},
		{name: "lb config modern", rs: []Resource{res(AWSLoadBalancerConfiguration, "lbc", M{"spec": M{"listenerConfigurations": A{
			M{"protocolPort": "HTTPS:443", "defaultCertificate": "arn:aws:acm:eu-north-1:123456789012:certificate/x", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
			M{"protocolPort": "TCP_UDP:53"}}}})}},
		{name: "lb config no policy", rs: []Resource{res(AWSLoadBalancerConfiguration, "lbc", M{"spec": M{"listenerConfigurations": A{
			M{"protocolPort": "TLS:31010", "defaultCertificate": "arn:aws:acm:eu-north-1:123456789012:certificate/x"}}}})},
			want: "listener TLS:31010 sslPolicy \"\" allows TLS below 1.2"},
		{name: "lb config old policy", rs: []Resource{res(AWSLoadBalancerConfiguration, "lbc", M{"spec": M{"listenerConfigurations": A{
			M{"protocolPort": "HTTPS:443", "defaultCertificate": "arn", "sslPolicy": "ELBSecurityPolicy-2016-08"}}}})},
			want: "allows TLS below 1.2"},
		{name: "lb config no certificate", rs: []Resource{res(AWSLoadBalancerConfiguration, "lbc", M{"spec": M{"listenerConfigurations": A{
			M{"protocolPort": "HTTPS:443", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}}}})},
			want: "listener HTTPS:443 has no defaultCertificate"},
	})
}
