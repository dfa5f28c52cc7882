package tests

import (
	"sort"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// eachAWSPlan runs f for the aws target of every stack, in both modes.
func eachAWSPlan(t *testing.T, f func(t *testing.T, stack string, preview bool, r *planner.Result)) {
	for _, stack := range Stacks {
		for _, preview := range []bool{false, true} {
			stack, preview := stack, preview
			t.Run(stack+"/"+mode(preview), func(t *testing.T) {
				f(t, stack, preview, plan(t, stack, "aws", preview))
			})
		}
	}
}

func byMetaName(rs []*mockcloud.Resource, name string) *mockcloud.Resource {
	for _, r := range rs {
		if inspect.Str(r.Inputs, "metadata", "name") == name {
			return r
		}
	}
	return nil
}

// TestEdgeOnAWS: every aws plan (its stacks set dataplatform:domain) serves Dremio and Airbyte through
// the AWS Load Balancer Controller — an ALB Gateway whose every listener but :80 is HTTPS and an NLB
// Gateway with a TLS listener for JDBC, internet-facing in dev and staging and internal in prod (its
// default ranges are private), in the subnets whose ranges the engine's NetworkPolicies admit — with
// one ACM certificate for every host, validated in the zone the stack creates, and the controller
// at its pinned chart.
func TestEdgeOnAWS(t *testing.T) {
	eachAWSPlan(t, func(t *testing.T, stack string, preview bool, r *planner.Result) {
		domain := r.Platform.Domain
		internal := stack == "prod"
		gws := resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:Gateway")
		if len(gws) != 2 {
			t.Fatalf("%d Gateways; want the ALB and the NLB", len(gws))
		}
		alb, nlb := byMetaName(gws, "dataplatform-alb"), byMetaName(gws, "dataplatform-nlb")
		if alb == nil || nlb == nil {
			t.Fatalf("Gateways dataplatform-alb and dataplatform-nlb not both there")
		}
		for _, l := range inspect.Arr(inspect.At(alb.Inputs, "spec", "listeners")) {
			o := inspect.Obj(l)
			proto, port := inspect.Str(o, "protocol"), inspect.Num(o, "port")
			if (port == 80) != (proto == "HTTP") || (proto != "HTTP" && proto != "HTTPS") {
				t.Errorf("ALB listener %s is %s on %v; only :80 may be HTTP (a redirect)", inspect.Str(o, "name"), proto, port)
			}
			if h := inspect.Str(o, "hostname"); h != "" && !strings.HasSuffix(h, "."+domain) {
				t.Errorf("listener hostname %q is not under %s", h, domain)
			}
		}
		for _, l := range inspect.Arr(inspect.At(nlb.Inputs, "spec", "listeners")) {
			if o := inspect.Obj(l); inspect.Str(o, "protocol") != "TLS" || inspect.Str(o, "tls", "mode") != "Terminate" {
				t.Errorf("NLB listener %s does not terminate TLS", inspect.Str(o, "name"))
			}
		}
		classes := map[string]string{}
		for _, c := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:GatewayClass") {
			classes[inspect.Str(c.Inputs, "metadata", "name")] = inspect.Str(c.Inputs, "spec", "controllerName")
		}
		if classes["dataplatform-alb"] != "gateway.k8s.aws/alb" || classes["dataplatform-nlb"] != "gateway.k8s.aws/nlb" {
			t.Errorf("GatewayClasses %v; want the controller's alb and nlb", classes)
		}

		// Routes under the domain, attached to the Gateways.
		// Grafana's route (tests/awsgrafana_test.go) joins the engine's when observability is on.
		grafana := 0
		if r.Platform.Observability.On() {
			grafana = 1
		}
		for typ, n := range map[string]int{"HTTPRoute": 3 + grafana, "GRPCRoute": 1, "TCPRoute": 1} {
			rs := resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:"+typ)
			if len(rs) != n {
				t.Errorf("%d %ss; want %d", len(rs), typ, n)
			}
			for _, rt := range rs {
				for _, h := range inspect.Strs(rt.Inputs, "spec", "hostnames") {
					if !strings.HasSuffix(h, "."+domain) {
						t.Errorf("%s %s hostname %q is not under %s", typ, rt.Name, h, domain)
					}
				}
			}
		}

		// Scheme, subnets and TLS policy. Internal or not, the load balancers sit in the public
		// subnets, which hold no pods: admitting them admits the load balancers only.
		tier := "public"
		var tierCIDRs []string
		for _, s := range resourcesOf(r, "aws:ec2/subnet:Subnet") {
			if inspect.Str(s.Inputs, "tags", "dataplatform.io/tier") == tier {
				tierCIDRs = append(tierCIDRs, inspect.Str(s.Inputs, "cidrBlock"))
			}
		}
		sort.Strings(tierCIDRs)
		for _, c := range resourcesOf(r, "kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration") {
			spec := inspect.Obj(c.Inputs["spec"])
			want := "internet-facing"
			if internal {
				want = "internal"
			}
			if got := inspect.Str(spec, "scheme"); got != want {
				t.Errorf("%s scheme %q; want %q", c.Name, got, want)
			}
			if got := strings.Join(inspect.Strs(spec, "sourceRanges"), ","); got != strings.Join(r.Platform.Edge.SourceRanges, ",") {
				t.Errorf("%s sourceRanges %s; want edge.sourceRanges %v", c.Name, got, r.Platform.Edge.SourceRanges)
			}
			for _, l := range inspect.Arr(spec["listenerConfigurations"]) {
				if p := inspect.Str(inspect.Obj(l), "sslPolicy"); p != "ELBSecurityPolicy-TLS13-1-2-2021-06" {
					t.Errorf("%s listener sslPolicy %q; want TLS 1.2+", c.Name, p)
				}
			}
			if !preview {
				var ids []string
				for _, s := range inspect.Arr(spec["loadBalancerSubnets"]) {
					ids = append(ids, inspect.Str(inspect.Obj(s), "identifier"))
				}
				if len(ids) != len(tierCIDRs) || !strings.HasPrefix(ids[0], "subnet-") {
					t.Errorf("%s subnets %v; want the %d %s subnets", c.Name, ids, len(tierCIDRs), tier)
				}
			}
		}

		// The load balancers reach the pods from their subnets: Dremio admits exactly those ranges
		// besides its in-cluster clients.
		np := byMetaName(resourcesOf(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy"), "dremio-client-ingress")
		if np == nil {
			t.Fatalf("no dremio-client-ingress NetworkPolicy")
		}
		var blocks []string
		for _, rule := range inspect.Arr(inspect.At(np.Inputs, "spec", "ingress")) {
			for _, peer := range inspect.Arr(inspect.Obj(rule)["from"]) {
				if c := inspect.Str(inspect.Obj(peer), "ipBlock", "cidr"); c != "" {
					blocks = append(blocks, c)
				}
			}
		}
		sort.Strings(blocks)
		blocks = uniqStrings(blocks)
		if strings.Join(blocks, ",") != strings.Join(tierCIDRs, ",") {
			t.Errorf("Dremio admits %v; want the %s subnets %v", blocks, tier, tierCIDRs)
		}

		// One certificate for every host, in the zone the stack creates.
		certs := resourcesOf(r, "aws:acm/certificate:Certificate")
		if len(certs) != 1 {
			t.Fatalf("%d ACM certificates; want 1", len(certs))
		}
		sans := append([]string{inspect.Str(certs[0].Inputs, "domainName")}, inspect.Strs(certs[0].Inputs, "subjectAlternativeNames")...)
		sort.Strings(sans)
		want := []string{"airbyte." + domain, "dremio-jdbc." + domain, "dremio." + domain}
		if grafana == 1 {
			want = append(want, "grafana."+domain)
		}
		if strings.Join(sans, ",") != strings.Join(want, ",") {
			t.Errorf("certificate names %v; want %v", sans, want)
		}
		zones := resourcesOf(r, "aws:route53/zone:Zone")
		if len(zones) != 1 || inspect.Str(zones[0].Inputs, "name") != domain {
			t.Fatalf("hosted zones %d; want one named %s", len(zones), domain)
		}
		if zones[0].Protect != (stack == "prod") {
			t.Errorf("zone protect = %v in %s", zones[0].Protect, stack)
		}
		aliases := 0
		for _, rec := range resourcesOf(r, "aws:route53/record:Record") {
			if inspect.Str(rec.Inputs, "type") == "A" {
				aliases++
			}
		}
		if aliases != 3+grafana {
			t.Errorf("%d alias records; want dremio, airbyte and dremio-jdbc (and grafana with observability on)", aliases)
		}

		// The controller at its pinned chart, after its identity and the Gateway API CRDs.
		charts := map[string]string{}
		for _, c := range resourcesOf(r, "kubernetes:helm.sh/v4:Chart") {
			charts[inspect.Str(c.Inputs, "chart")] = inspect.Str(c.Inputs, "version")
		}
		if charts["aws-load-balancer-controller"] != "3.5.0" {
			t.Errorf("charts %v; want aws-load-balancer-controller 3.5.0", charts)
		}
		crds := resourcesOf(r, "kubernetes:yaml/v2:ConfigFile")
		if len(crds) != 1 || !strings.Contains(inspect.Str(crds[0].Inputs, "file"), "gateway-api/releases/download/v1.6.1/standard-install.yaml") {
			t.Fatalf("Gateway API CRDs: %d ConfigFiles; want the v1.6.1 standard install", len(crds))
		}
		var chart *mockcloud.Resource
		for _, c := range resourcesOf(r, "kubernetes:helm.sh/v4:Chart") {
			if inspect.Str(c.Inputs, "chart") == "aws-load-balancer-controller" {
				chart = c
			}
		}
		if chart == nil || !r.Mocks.DependsOn(chart, crds[0]) {
			t.Errorf("the controller starts before the Gateway API CRDs exist (it enables its Gateway controllers only if they do)")
		}
		for _, gw := range []*mockcloud.Resource{alb, nlb} {
			if chart != nil && !r.Mocks.DependsOn(gw, chart) {
				t.Errorf("Gateway %s does not wait for the controller", gw.Name)
			}
		}
	})
}

func uniqStrings(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
