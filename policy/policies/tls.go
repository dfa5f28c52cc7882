package policies

import (
	"encoding/json"
	"regexp"
	"strings"
)

// modernELBPolicy matches ELB security policies whose minimum protocol is TLS 1.2 or 1.3
// (ELBSecurityPolicy-TLS13-1-2-2021-06, ELBSecurityPolicy-TLS-1-2-Ext-2018-06,
// ELBSecurityPolicy-FS-1-2-Res-2020-10, …) and not the TLS13-1-0/1-1 compatibility ones.
var modernELBPolicy = regexp.MustCompile(`(TLS13-1-[23]|TLS-1-[23]|FS-1-2)(-|$)`)

// modernAppGwPolicies are the predefined Application Gateway policies with TLS 1.2 minimum.
var modernAppGwPolicies = map[string]bool{
	"AppGwSslPolicy20170401S": true,
	"AppGwSslPolicy20220101":  true,
	"AppGwSslPolicy20220101S": true,
}

func tlsInTransit() Policy {
	return Policy{
		Name: "tls-in-transit",
		Description: "Traffic is encrypted in transit: every externally reachable endpoint terminates TLS 1.2+ " +
			"(HTTP only as a redirect), databases refuse unencrypted connections and object stores refuse plain " +
			"HTTP (design document: TLS on every external endpoint, defence in depth).",
		Level: Mandatory,
		Resources: []string{K8sIngress, K8sGateway, AWSLoadBalancerConfiguration, EGClientTrafficPolicy, AWSLBListener, AWSALBListener, AzureApplicationGateway,
			GCPTargetHTTPSProxy, GCPRegionTargetHTTPSProxy, GCPSSLPolicy, GCPRegionSSLPolicy,
			AWSRDSParameterGroup, AWSRDSClusterParameterGroup, AWSRDSInstance, AWSRDSCluster,
			AzurePostgresConfiguration, GCPSQLInstance, CNPGCluster, AWSS3BucketPolicy, AzureStorageAccount},
		ValidateResource: func(r Resource, cfg Config) []Finding {
			e := newEval(r.URN)
			p := r.Properties
			switch {
			case r.Type == K8sIngress:
				e.rule(func() {
					tls := e.objs(p, "spec", "tls")
					if len(tls) == 0 {
						e.fail("Ingress has no spec.tls: terminate TLS for its hosts (cert-manager certificate in a secret)")
						return
					}
					covered := map[string]bool{}
					for _, t := range tls {
						for _, h := range e.strs(t, "hosts") {
							covered[h] = true
						}
					}
					for _, rule := range e.objs(p, "spec", "rules") {
						if h, ok := e.str(rule, "host"); ok && !covered[h] {
							e.fail("Ingress host %q is not covered by any spec.tls entry", h)
						}
					}
				})
			case isGateway(r.Type):
				e.rule(func() {
					// The AWS Load Balancer Controller reads no certificateRefs: its listeners' ACM
					// certificates and TLS policies are in the LoadBalancerConfiguration the Gateway
					// names (aws-load-balancer-controller@v3.5.0 docs/guide/gateway/l7gateway.md
					// "CertificateRefs ❌ -- Use LB Config"), which the rule below checks.
					group, _ := e.str(p, "spec", "infrastructure", "parametersRef", "group")
					lbConfig := group == "gateway.k8s.aws"
					for _, l := range e.objs(p, "spec", "listeners") {
						name, _ := e.str(l, "name")
						proto, _ := e.str(l, "protocol")
						switch strings.ToUpper(proto) {
						case "HTTPS":
							if !lbConfig && len(e.objs(l, "tls", "certificateRefs")) == 0 && !gkeGatewayCertificates(e, p, l) {
								e.fail("Gateway listener %q is HTTPS without tls.certificateRefs", name)
							}
						case "TLS":
							mode, _ := e.str(l, "tls", "mode")
							if !lbConfig && mode != "Passthrough" && len(e.objs(l, "tls", "certificateRefs")) == 0 {
								e.fail("Gateway listener %q is TLS without tls.certificateRefs", name)
							}
						case "HTTP":
							// Allowed only for redirects: the http-redirect-only stack policy checks its routes.
						default:
							e.fail("Gateway listener %q uses protocol %q: external listeners must be HTTPS or TLS", name, proto)
						}
					}
				})
			case r.Type == AWSLoadBalancerConfiguration:
				e.rule(func() {
					for _, l := range e.objs(p, "spec", "listenerConfigurations") {
						pp, _ := e.str(l, "protocolPort")
						proto := strings.ToUpper(strings.SplitN(pp, ":", 2)[0])
						if proto != "HTTPS" && proto != "TLS" {
							continue
						}
						if _, ok := e.str(l, "defaultCertificate"); !ok {
							e.fail("listener %s has no defaultCertificate: name the ACM certificate", pp)
						}
						// Without sslPolicy the controller's default is ELBSecurityPolicy-2016-08 (TLS 1.0).
						if policy, ok := e.str(l, "sslPolicy"); !ok || !modernELBPolicy.MatchString(policy) {
							e.fail("listener %s sslPolicy %q allows TLS below 1.2 (unset: ELBSecurityPolicy-2016-08): use ELBSecurityPolicy-TLS13-1-2-2021-06", pp, policy)
						}
					}
				})
			case r.Type == EGClientTrafficPolicy:
				e.rule(func() {
					// Envoy Gateway's TLSVersion enum: Auto, 1.0, 1.1, 1.2, 1.3 (Auto: Envoy's 1.2).
					if v, ok := e.str(p, "spec", "tls", "minVersion"); ok && (v == "1.0" || v == "1.1") {
						e.fail("ClientTrafficPolicy tls.minVersion is %q: set 1.2 or 1.3", v)
					}
				})
			case is(r.Type, AWSLBListener, AWSALBListener):
				e.rule(func() {
					proto, _ := e.str(p, "protocol")
					switch strings.ToUpper(proto) {
					case "HTTPS", "TLS":
						policy, ok := e.str(p, "sslPolicy")
						if !ok {
							e.fail("%s listener has no sslPolicy (the default allows TLS 1.0): use ELBSecurityPolicy-TLS13-1-2-2021-06", proto)
						} else if !modernELBPolicy.MatchString(policy) {
							e.fail("%s listener sslPolicy %q allows TLS below 1.2: use ELBSecurityPolicy-TLS13-1-2-2021-06", proto, policy)
						}
					case "HTTP", "":
						actions := e.objs(p, "defaultActions")
						redirect := len(actions) > 0
						for _, a := range actions {
							t, _ := e.str(a, "type")
							rp, _ := e.str(a, "redirect", "protocol")
							if t != "redirect" || !strings.EqualFold(rp, "HTTPS") {
								redirect = false
							}
						}
						if !redirect {
							e.fail("HTTP listener must only redirect to HTTPS (defaultActions type redirect, protocol HTTPS)")
						}
					default:
						e.fail("listener protocol %q does not terminate TLS: use HTTPS or TLS", proto)
					}
				})
			case r.Type == AzureApplicationGateway:
				e.rule(func() {
					pt, _ := e.str(p, "sslPolicy", "policyType")
					name, _ := e.str(p, "sslPolicy", "policyName")
					minV, _ := e.str(p, "sslPolicy", "minProtocolVersion")
					switch {
					case pt == "Predefined" && modernAppGwPolicies[name]:
					case (pt == "Custom" || pt == "CustomV2") && (minV == "TLSv1_2" || minV == "TLSv1_3"):
					case pt == "":
						e.fail("Application Gateway has no sslPolicy: use Predefined AppGwSslPolicy20220101S (TLS 1.2+)")
					default:
						e.fail("Application Gateway sslPolicy (%s %s%s) allows TLS below 1.2: use Predefined AppGwSslPolicy20220101S", pt, name, minV)
					}
				})
				e.rule(func() {
					redirected := map[string]bool{}
					for _, rr := range e.objs(p, "requestRoutingRules") {
						if _, ok := e.obj(rr, "redirectConfiguration"); !ok {
							continue
						}
						if id, ok := e.str(rr, "httpListener", "id"); ok {
							redirected[id[strings.LastIndex(id, "/")+1:]] = true
						}
					}
					for _, l := range e.objs(p, "httpListeners") {
						name, _ := e.str(l, "name")
						proto, _ := e.str(l, "protocol")
						if strings.EqualFold(proto, "Https") {
							continue
						}
						if !redirected[name] {
							e.fail("Application Gateway listener %q is %s without a redirect rule: HTTP may only redirect to HTTPS", name, proto)
						}
					}
				})
			case is(r.Type, GCPTargetHTTPSProxy, GCPRegionTargetHTTPSProxy):
				e.rule(func() {
					if _, ok := e.str(p, "sslPolicy"); !ok {
						e.fail("HTTPS proxy has no sslPolicy (Google's default allows TLS 1.0): attach an SSL policy with minTlsVersion TLS_1_2")
					}
				})
			case is(r.Type, GCPSSLPolicy, GCPRegionSSLPolicy):
				e.rule(func() {
					v, _ := e.str(p, "minTlsVersion")
					if v != "TLS_1_2" && v != "TLS_1_3" {
						e.fail("SSL policy minTlsVersion is %q (default TLS_1_0): set TLS_1_2", v)
					}
				})
			case is(r.Type, AWSRDSParameterGroup, AWSRDSClusterParameterGroup):
				e.rule(func() {
					family, _ := e.str(p, "family")
					if !isPostgresEngine(family) {
						return
					}
					for _, prm := range e.objs(p, "parameters") {
						if n, _ := e.str(prm, "name"); n == "rds.force_ssl" {
							if v, _ := e.str(prm, "value"); v != "1" {
								e.fail("parameter group sets rds.force_ssl=%s: set it to 1 so PostgreSQL refuses unencrypted connections", v)
							}
							return
						}
					}
					e.fail("PostgreSQL parameter group does not set rds.force_ssl=1: unencrypted connections would be accepted")
				})
			case is(r.Type, AWSRDSInstance, AWSRDSCluster):
				e.rule(func() {
					engine, _ := e.str(p, "engine")
					if !isPostgresEngine(engine) {
						return
					}
					key := "parameterGroupName"
					if r.Type == AWSRDSCluster {
						key = "dbClusterParameterGroupName"
					}
					if _, ok := e.str(p, key); !ok {
						e.fail("PostgreSQL database uses the default parameter group: set %s to a group with rds.force_ssl=1", key)
					}
				})
			case r.Type == AzurePostgresConfiguration:
				e.rule(func() {
					name, _ := e.str(p, "configurationName")
					if !strings.EqualFold(name, "require_secure_transport") {
						return
					}
					if v, _ := e.str(p, "value"); !strings.EqualFold(v, "on") {
						e.fail("require_secure_transport is %q: it must stay ON so the server refuses unencrypted connections", v)
					}
				})
			case r.Type == GCPSQLInstance:
				e.rule(func() {
					mode, _ := e.str(p, "settings", "ipConfiguration", "sslMode")
					requireSSL, _ := e.boolean(p, "settings", "ipConfiguration", "requireSsl")
					if mode != "ENCRYPTED_ONLY" && mode != "TRUSTED_CLIENT_CERTIFICATE_REQUIRED" && !requireSSL {
						e.fail("Cloud SQL settings.ipConfiguration.sslMode is %q: set ENCRYPTED_ONLY or TRUSTED_CLIENT_CERTIFICATE_REQUIRED", mode)
					}
				})
			case r.Type == CNPGCluster:
				// CloudNativePG serves TLS, but its built-in last pg_hba line ("host all all all
				// scram-sha-256") also accepts plain connections: a "hostnossl … reject" line must come first,
				// and no line of the stack's may accept a plain connection.
				e.rule(func() {
					rejects := false
					for _, line := range e.strs(p, "spec", "postgresql", "pg_hba") {
						f := strings.Fields(line)
						if len(f) == 0 || (f[0] != "host" && f[0] != "hostnossl") {
							continue
						}
						if f[len(f)-1] == "reject" {
							rejects = rejects || f[0] == "hostnossl"
							continue
						}
						e.fail("CloudNativePG pg_hba line %q accepts unencrypted connections: use hostssl", line)
					}
					if !rejects {
						e.fail("CloudNativePG accepts unencrypted connections through its default pg_hba line: add \"hostnossl all all all reject\"")
					}
				})
			case r.Type == AWSS3BucketPolicy:
				e.rule(func() {
					doc, ok := e.str(p, "policy")
					if !ok {
						if o, isObj := e.obj(p, "policy"); isObj {
							b, _ := json.Marshal(o.Mappable())
							doc, ok = string(b), true
						}
					}
					if !ok || !deniesInsecureTransport(doc) {
						e.fail("bucket policy has no Deny statement on aws:SecureTransport = false: plain HTTP requests would be served")
					}
				})
			case r.Type == AzureStorageAccount:
				e.rule(func() {
					if v, ok := e.boolean(p, "enableHttpsTrafficOnly"); ok && !v {
						e.fail("storage account allows plain HTTP: enableHttpsTrafficOnly must be true")
					}
					if v, _ := e.str(p, "minimumTlsVersion"); v != "TLS1_2" && v != "TLS1_3" {
						e.fail("storage account minimumTlsVersion is %q: set TLS1_2", v)
					}
				})
			}
			return e.findings
		},
	}
}

// deniesInsecureTransport reports whether an IAM policy document denies requests made without
// TLS: a Deny statement with condition Bool aws:SecureTransport = false.
func deniesInsecureTransport(doc string) bool {
	var d struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return false
	}
	type stmt struct {
		Effect    string
		Condition map[string]map[string]any
	}
	var stmts []stmt
	if json.Unmarshal(d.Statement, &stmts) != nil {
		var one stmt
		if json.Unmarshal(d.Statement, &one) != nil {
			return false
		}
		stmts = []stmt{one}
	}
	for _, s := range stmts {
		if s.Effect != "Deny" {
			continue
		}
		for op, conds := range s.Condition {
			if !strings.EqualFold(op, "Bool") {
				continue
			}
			for k, v := range conds {
				if !strings.EqualFold(k, "aws:SecureTransport") {
					continue
				}
				switch t := v.(type) {
				case string:
					if t == "false" {
						return true
					}
				case bool:
					if !t {
						return true
					}
				case []any:
					for _, x := range t {
						if x == "false" || x == false {
							return true
						}
					}
				}
			}
		}
	}
	return false
}
