package policies

import "testing"

const denyHTTP = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",` +
	`"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`

func TestTLSInTransit(t *testing.T) {
	runPolicy(t, "tls-in-transit", []tc{
		// Kubernetes Ingress.
		{name: "ingress with tls", rs: []Resource{res(K8sIngress, "ing", M{"spec": M{
			"tls":   A{M{"hosts": A{"bi.example.com"}, "secretName": "bi-tls"}},
			"rules": A{M{"host": "bi.example.com"}}}})}},
		{name: "ingress without tls", rs: []Resource{res(K8sIngress, "ing", M{"spec": M{
			"rules": A{M{"host": "bi.example.com"}}}})}, want: "Ingress has no spec.tls"},
		{name: "ingress host not covered", rs: []Resource{res(K8sIngress, "ing", M{"spec": M{
			"tls":   A{M{"hosts": A{"bi.example.com"}}},
			"rules": A{M{"host": "other.example.com"}}}})}, want: `host "other.example.com" is not covered`},
		// Envoy Gateway's ClientTrafficPolicy.
		{name: "client traffic policy tls 1.2", rs: []Resource{res(EGClientTrafficPolicy, "ctp", M{"spec": M{"tls": M{"minVersion": "1.2"}}})}},
		{name: "client traffic policy tls 1.0", rs: []Resource{res(EGClientTrafficPolicy, "ctp", M{"spec": M{"tls": M{"minVersion": "1.0"}}})},
			want: `tls.minVersion is "1.0"`},
		// Gateway API.
		{name: "gateway https", rs: []Resource{res(K8sGateway, "gw", M{"spec": M{"listeners": A{
			M{"name": "https", "protocol": "HTTPS", "tls": M{"certificateRefs": A{M{"name": "cert"}}}},
			M{"name": "http", "protocol": "HTTP"}}}})}},
		{name: "gateway https without cert", rs: []Resource{res(K8sGateway, "gw", M{"spec": M{"listeners": A{
			M{"name": "https", "protocol": "HTTPS"}}}})}, want: `listener "https" is HTTPS without tls.certificateRefs`},
		{name: "gke gateway certificate map", rs: []Resource{res(K8sGateway, "gw", M{
			"metadata": M{"annotations": M{"networking.gke.io/certmap": "edge"}},
			"spec":     M{"listeners": A{M{"name": "https-dremio", "protocol": "HTTPS", "hostname": "dremio.example.com"}}}})}},
		{name: "gke gateway regional certificates", rs: []Resource{res(K8sGateway, "gw", M{"spec": M{"listeners": A{
			M{"name": "https-dremio", "protocol": "HTTPS", "tls": M{"mode": "Terminate", "options": M{"networking.gke.io/cert-manager-certs": "dremio"}}}}}})}},
		{name: "gke gateway without certificates", rs: []Resource{res(K8sGateway, "gw", M{
			"metadata": M{"annotations": M{"networking.gke.io/app-protocols": "x"}},
			"spec":     M{"listeners": A{M{"name": "https-dremio", "protocol": "HTTPS", "tls": M{"mode": "Terminate", "options": M{"other": "x"}}}}}})},
			want: `listener "https-dremio" is HTTPS without tls.certificateRefs`},
		{name: "gateway tcp", rs: []Resource{res(K8sGateway, "gw", M{"spec": M{"listeners": A{
			M{"name": "pg", "protocol": "TCP"}}}})}, want: `uses protocol "TCP"`},
		// AWS load balancer listeners.
		{name: "alb https modern", rs: []Resource{res(AWSLBListener, "l", M{"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"})}},
		{name: "alb https old policy", rs: []Resource{res(AWSLBListener, "l", M{"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"})},
			want: "allows TLS below 1.2"},
		{name: "alb https tls13-1-0 policy", rs: []Resource{res(AWSALBListener, "l", M{"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-0-2021-06"})},
			want: "allows TLS below 1.2"},
		{name: "alb listener tls modern", rs: []Resource{res(AWSALBListener, "l", M{"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS-1-2-Ext-2018-06"})}},
		{name: "alb https no policy", rs: []Resource{res(AWSLBListener, "l", M{"protocol": "HTTPS"})}, want: "has no sslPolicy"},
		{name: "alb http redirect", rs: []Resource{res(AWSLBListener, "l", M{"protocol": "HTTP", "defaultActions": A{
			M{"type": "redirect", "redirect": M{"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}}})}},
		{name: "alb http forward", rs: []Resource{res(AWSLBListener, "l", M{"protocol": "HTTP", "defaultActions": A{
			M{"type": "forward", "targetGroupArn": "arn"}}})}, want: "HTTP listener must only redirect to HTTPS"},
		{name: "nlb tcp", rs: []Resource{res(AWSLBListener, "l", M{"protocol": "TCP"})}, want: `listener protocol "TCP" does not terminate TLS`},
		// Azure Application Gateway.
		{name: "appgw modern with redirect", rs: []Resource{res(AzureApplicationGateway, "agw", M{
			"sslPolicy":     M{"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"},
			"httpListeners": A{M{"name": "https", "protocol": "Https"}, M{"name": "http", "protocol": "Http"}},
			"requestRoutingRules": A{M{"name": "redirect", "httpListener": M{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/applicationGateways/agw/httpListeners/http"},
				"redirectConfiguration": M{"id": "/x/redirectConfigurations/to-https"}}},
		})}},
		{name: "appgw no ssl policy", rs: []Resource{res(AzureApplicationGateway, "agw", M{
			"httpListeners": A{M{"name": "https", "protocol": "Https"}}})}, want: "Application Gateway has no sslPolicy"},
		{name: "appgw old ssl policy", rs: []Resource{res(AzureApplicationGateway, "agw", M{
			"sslPolicy": M{"policyType": "Predefined", "policyName": "AppGwSslPolicy20150501"}})}, want: "allows TLS below 1.2"},
		{name: "appgw http without redirect", rs: []Resource{res(AzureApplicationGateway, "agw", M{
			"sslPolicy":     M{"policyType": "CustomV2", "minProtocolVersion": "TLSv1_2"},
			"httpListeners": A{M{"name": "http", "protocol": "Http"}}})}, want: `listener "http" is Http without a redirect rule`},
		// GCP load balancing.
		{name: "gcp https proxy with policy", rs: []Resource{res(GCPTargetHTTPSProxy, "px", M{"sslPolicy": "projects/p/global/sslPolicies/modern"})}},
		{name: "gcp https proxy without policy", rs: []Resource{res(GCPTargetHTTPSProxy, "px", M{})}, want: "HTTPS proxy has no sslPolicy"},
		{name: "gcp region https proxy without policy", rs: []Resource{res(GCPRegionTargetHTTPSProxy, "px", M{})}, want: "HTTPS proxy has no sslPolicy"},
		{name: "gcp ssl policy tls12", rs: []Resource{res(GCPSSLPolicy, "sp", M{"minTlsVersion": "TLS_1_2", "profile": "MODERN"})}},
		{name: "gcp region https proxy with policy", rs: []Resource{res(GCPRegionTargetHTTPSProxy, "px", M{"sslPolicy": "regions/r/sslPolicies/modern"})}},
		{name: "gcp region ssl policy tls13", rs: []Resource{res(GCPRegionSSLPolicy, "sp", M{"minTlsVersion": "TLS_1_3"})}},
		{name: "gcp ssl policy default", rs: []Resource{res(GCPSSLPolicy, "sp", M{"profile": "MODERN"})}, want: "minTlsVersion is \"\""},
		{name: "gcp region ssl policy tls10", rs: []Resource{res(GCPRegionSSLPolicy, "sp", M{"minTlsVersion": "TLS_1_0"})}, want: `minTlsVersion is "TLS_1_0"`},
		// AWS RDS.
		{name: "rds parameter group forces ssl", rs: []Resource{res(AWSRDSParameterGroup, "pg", M{"family": "postgres16",
			"parameters": A{M{"name": "rds.force_ssl", "value": "1"}}})}},
		{name: "rds parameter group without force_ssl", rs: []Resource{res(AWSRDSParameterGroup, "pg", M{"family": "postgres16"})},
			want: "does not set rds.force_ssl=1"},
		{name: "rds cluster parameter group force_ssl 0", rs: []Resource{res(AWSRDSClusterParameterGroup, "pg", M{"family": "aurora-postgresql16",
			"parameters": A{M{"name": "rds.force_ssl", "value": "0"}}})}, want: "sets rds.force_ssl=0"},
		{name: "rds cluster parameter group forces ssl", rs: []Resource{res(AWSRDSClusterParameterGroup, "pg", M{"family": "aurora-postgresql16",
			"parameters": A{M{"name": "rds.force_ssl", "value": 1}}})}},
		{name: "rds cluster with parameter group", rs: []Resource{res(AWSRDSCluster, "db", M{"engine": "aurora-postgresql", "dbClusterParameterGroupName": "pg"})}},
		{name: "mysql parameter group ignored", rs: []Resource{res(AWSRDSParameterGroup, "pg", M{"family": "mysql8.0"})}},
		{name: "rds instance with parameter group", rs: []Resource{res(AWSRDSInstance, "db", M{"engine": "postgres", "parameterGroupName": "pg"})}},
		{name: "rds instance default parameter group", rs: []Resource{res(AWSRDSInstance, "db", M{"engine": "postgres"})},
			want: "uses the default parameter group: set parameterGroupName"},
		{name: "rds cluster default parameter group", rs: []Resource{res(AWSRDSCluster, "db", M{"engine": "aurora-postgresql"})},
			want: "set dbClusterParameterGroupName"},
		// Azure PostgreSQL.
		{name: "azure require_secure_transport on", rs: []Resource{res(AzurePostgresConfiguration, "c", M{"configurationName": "require_secure_transport", "value": "ON", "source": "user-override"})}},
		{name: "azure require_secure_transport off", rs: []Resource{res(AzurePostgresConfiguration, "c", M{"configurationName": "require_secure_transport", "value": "off"})},
			want: `require_secure_transport is "off"`},
		{name: "azure other configuration", rs: []Resource{res(AzurePostgresConfiguration, "c", M{"configurationName": "work_mem", "value": "64MB"})}},
		// Cloud SQL.
		{name: "cloud sql encrypted only", rs: []Resource{res(GCPSQLInstance, "db", M{"settings": M{"ipConfiguration": M{"sslMode": "ENCRYPTED_ONLY"}}})}},
		{name: "cloud sql allows unencrypted", rs: []Resource{res(GCPSQLInstance, "db", M{"settings": M{"ipConfiguration": M{"sslMode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED"}}})},
			want: "sslMode is \"ALLOW_UNENCRYPTED_AND_ENCRYPTED\""},
		// CloudNativePG.
		{name: "cnpg hostssl and reject", rs: []Resource{res(CNPGCluster, "pg", M{"spec": M{"postgresql": M{"pg_hba": A{"hostssl all all 10.0.0.0/8 scram-sha-256", "hostnossl all all all reject"}}}})}},
		{name: "cnpg hostssl without reject", rs: []Resource{res(CNPGCluster, "pg", M{"spec": M{"postgresql": M{"pg_hba": A{"hostssl all all 10.0.0.0/8 scram-sha-256"}}}})},
			want: `add "hostnossl all all all reject"`},
		{name: "cnpg host line", rs: []Resource{res(CNPGCluster, "pg", M{"spec": M{"postgresql": M{"pg_hba": A{"host all all 0.0.0.0/0 md5"}}}})},
			want: "accepts unencrypted connections"},
		// Object stores.
		{name: "s3 policy denies http", rs: []Resource{res(AWSS3BucketPolicy, "bp", M{"bucket": "b", "policy": denyHTTP})}},
		{name: "s3 policy without deny", rs: []Resource{res(AWSS3BucketPolicy, "bp", M{"bucket": "b", "policy": `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`})},
			want: "no Deny statement on aws:SecureTransport"},
		{name: "storage account https tls12", rs: []Resource{res(AzureStorageAccount, "sa", M{"enableHttpsTrafficOnly": true, "minimumTlsVersion": "TLS1_2"})}},
		{name: "storage account http", rs: []Resource{res(AzureStorageAccount, "sa", M{"enableHttpsTrafficOnly": false, "minimumTlsVersion": "TLS1_2"})},
			want: "allows plain HTTP"},
		{name: "storage account tls10", rs: []Resource{res(AzureStorageAccount, "sa", M{"minimumTlsVersion": "TLS1_0"})},
			want: `minimumTlsVersion is "TLS1_0"`},
	})
}

func TestHTTPRedirectOnly(t *testing.T) {
	gw := res(K8sGateway, "gw", M{"metadata": M{"name": "public", "namespace": "edge"}, "spec": M{"listeners": A{
		M{"name": "http", "protocol": "HTTP", "port": 80},
		M{"name": "https", "protocol": "HTTPS", "port": 443, "tls": M{"certificateRefs": A{M{"name": "cert"}}}}}}})
	redirect := res(K8sHTTPRoute, "redirect", M{"metadata": M{"name": "to-https", "namespace": "edge"}, "spec": M{
		"parentRefs": A{M{"name": "public", "sectionName": "http"}},
		"rules":      A{M{"filters": A{M{"type": "RequestRedirect", "requestRedirect": M{"scheme": "https", "statusCode": 301}}}}}}})
	appOnHTTPS := res(K8sHTTPRoute, "superset", M{"metadata": M{"name": "superset", "namespace": "bi"}, "spec": M{
		"parentRefs": A{M{"name": "public", "namespace": "edge", "sectionName": "https"}},
		"rules":      A{M{"backendRefs": A{M{"name": "superset", "port": 8088}}}}}})
	appOnAll := res(K8sHTTPRoute, "airbyte", M{"metadata": M{"name": "airbyte", "namespace": "edge"}, "spec": M{
		"parentRefs": A{M{"name": "public"}},
		"rules":      A{M{"backendRefs": A{M{"name": "airbyte-webapp", "port": 80}}}}}})
	urlRedirect := res(GCPURLMap, "redirect", M{"defaultUrlRedirect": M{"httpsRedirect": true, "stripQuery": false}})
	urlServe := res(GCPURLMap, "serve", M{"defaultService": "backend"})

	runPolicy(t, "http-redirect-only", []tc{
		{name: "gateway http listener only redirects", rs: []Resource{gw, redirect, appOnHTTPS}},
		{name: "gateway http listener serves an app", rs: []Resource{gw, redirect, appOnAll},
			want: "HTTPRoute edge/airbyte attaches to HTTP listener(s) of Gateway edge/public"},
		{name: "grpc route on the https listener", rs: []Resource{gw, redirect, res(K8sGRPCRoute, "flight", M{"metadata": M{"name": "flight", "namespace": "apps"}, "spec": M{
			"parentRefs": A{M{"name": "public", "namespace": "edge", "sectionName": "https"}}}})}},
		{name: "grpc route on the http listener", rs: []Resource{gw, redirect, res(K8sGRPCRoute, "flight", M{"metadata": M{"name": "flight", "namespace": "apps"}, "spec": M{
			"parentRefs": A{M{"name": "public", "namespace": "edge"}}}})},
			want: "GRPCRoute apps/flight attaches to HTTP listener(s) of Gateway edge/public"},
		{name: "gcp http proxy redirect", rs: []Resource{urlRedirect, with(res(GCPTargetHTTPProxy, "px", M{"urlMap": unknown}), after(urlRedirect.URN))}},
		{name: "gcp http proxy serving", rs: []Resource{urlServe, with(res(GCPTargetHTTPProxy, "px", M{}), after(urlServe.URN))},
			want: "URL map is not an HTTPS redirect"},
	})
}
