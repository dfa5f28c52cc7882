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

// TestAWSGatewayListenerCertificates: every HTTPS/TLS listener port of an AWS Load Balancer Controller
// Gateway has its listenerConfigurations entry in the LoadBalancerConfiguration the Gateway names.
func TestAWSGatewayListenerCertificates(t *testing.T) {
	lbcRef := M{"group": "gateway.k8s.aws", "kind": "LoadBalancerConfiguration", "name": "alb"}
	gw := func(listeners A) Resource {
		return res(K8sGateway, "gw", M{"spec": M{"infrastructure": M{"parametersRef": lbcRef}, "listeners": listeners}})
	}
	runPolicy(t, "aws-gateway-listener-certificates", []tc{
		{name: "every secure port configured", rs: []Resource{gw(A{M{"name": "https", "protocol": "HTTPS", "port": 443},
			M{"name": "jdbc", "protocol": "TLS", "port": 31010, "tls": M{"mode": "Terminate"}}, M{"name": "http", "protocol": "HTTP", "port": 80}}),
			albConfig("HTTPS:443", "TLS:31010")}},
		{name: "other gateways are not concerned", rs: []Resource{res(K8sGateway, "eg", M{"spec": M{
			"listeners": A{M{"name": "https", "protocol": "HTTPS", "port": 443}}}})}},
		{name: "listener without entry", rs: []Resource{gw(A{M{"name": "https", "protocol": "HTTPS", "port": 443},
			M{"name": "flight", "protocol": "HTTPS", "port": 32010}}), albConfig("HTTPS:443")},
			want: `Gateway listener "flight" (HTTPS:32010) has no listenerConfigurations entry "HTTPS:32010" in LoadBalancerConfiguration "alb"`},
		{name: "tls listener configured as https", rs: []Resource{gw(A{M{"name": "jdbc", "protocol": "TLS", "port": 31010}}), albConfig("HTTPS:31010")},
			want: `Gateway listener "jdbc" (TLS:31010) has no listenerConfigurations entry`},
		{name: "lb config missing", rs: []Resource{gw(A{M{"name": "https", "protocol": "HTTPS", "port": 443}})},
			want: `Gateway names LoadBalancerConfiguration "alb", which the stack does not declare`},
	})
}

// albConfig is the LoadBalancerConfiguration "alb" with a modern listener entry per protocolPort.
func albConfig(protocolPorts ...string) Resource {
	var ls A
	for _, pp := range protocolPorts {
		ls = append(ls, M{"protocolPort": pp, "defaultCertificate": "arn:aws:acm:eu-north-1:123456789012:certificate/x", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"})
	}
	return res(AWSLoadBalancerConfiguration, "alb-config", M{"metadata": M{"name": "alb"}, "spec": M{"listenerConfigurations": ls}})
}
