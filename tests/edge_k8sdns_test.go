package tests

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const externalDNSType = "dataplatform:clusteraddons:ExternalDNS"

// externalDNSValueKeys are the top-level values of charts/external-dns 1.22.0 (values.schema.json
// "properties"; kubernetes-sigs/external-dns master 2bf1bf8, whose chart CHANGELOG [UNRELEASED] is the
// 1.22.0 release: "`policy` no longer defaults … and is now required", replicaCount bounded to 0-1).
// A key outside it would be ignored by templates/deployment.yaml.
var externalDNSValueKeys = []string{
	"affinity", "annotationFilter", "annotationPrefix", "automountServiceAccountToken", "commonLabels",
	"deploymentAnnotations", "deploymentStrategy", "dnsConfig", "dnsPolicy", "domainFilters",
	"enableGatewayListenerSets", "enabled", "env", "excludeDomains", "extraArgs", "extraContainers",
	"extraVolumeMounts", "extraVolumes", "fullnameOverride", "gatewayNamespace", "global", "hostAliases",
	"image", "imagePullSecrets", "initContainers", "interval", "labelFilter", "livenessProbe", "logFormat",
	"logLevel", "managedRecordTypes", "nameOverride", "namespaceOverride", "namespaced", "nodeSelector",
	"podAnnotations", "podLabels", "podSecurityContext", "policy", "priorityClassName", "provider", "rbac",
	"readinessProbe", "registry", "replicaCount", "resources", "revisionHistoryLimit", "secretConfiguration",
	"securityContext", "service", "serviceAccount", "serviceMonitor", "shareProcessNamespace",
	"sourceNamespace", "sources", "terminationGracePeriodSeconds", "tolerations",
	"topologySpreadConstraints", "triggerLoopOnEvent", "txtOwnerId", "txtPrefix", "txtSuffix",
}

// externalDNSChart is the plan's one ExternalDNS release, checked against the chart's templates.
func externalDNSChart(t *testing.T, r *planner.Result) *mockcloud.Resource {
	t.Helper()
	require.Len(t, resourcesOf(r, externalDNSType), 1, "one ExternalDNS")
	var chart *mockcloud.Resource
	for _, c := range resourcesOf(r, "kubernetes:helm.sh/v4:Chart") {
		if inspect.Str(c.Inputs, "chart") == "external-dns" {
			require.Nil(t, chart, "two external-dns charts")
			chart = c
		}
	}
	require.NotNil(t, chart)
	assert.Equal(t, "1.22.0", inspect.Str(chart.Inputs, "version"))
	assert.Equal(t, "https://kubernetes-sigs.github.io/external-dns/", inspect.Str(chart.Inputs, "repositoryOpts", "repo"))
	values := inspect.Obj(inspect.At(chart.Inputs, "values"))
	for k := range values {
		assert.Contains(t, externalDNSValueKeys, string(k), "chart 1.22.0 has no value %q", k)
	}
	v := func(path ...any) string { return inspect.Str(chart.Inputs, append([]any{"values"}, path...)...) }
	assert.Equal(t, "v0.22.0", v("image", "tag"))
	assert.Equal(t, "registry.k8s.io/external-dns/external-dns", v("image", "repository"))
	// policy is required since 1.22.0 (values.yaml "policy: # @schema enum:[create-only, sync,
	// upsert-only] … required:true"); sync, confined by the TXT registry to this stack's owner ID.
	assert.Equal(t, "sync", v("policy"))
	assert.Equal(t, "txt", v("registry"))
	assert.Equal(t, "dataplatform-"+r.Stack, v("txtOwnerId"))
	// templates/deployment.yaml: one --source per entry. Only HTTPRoutes: the kubernetes edge's
	// TCPRoutes are v1, which ExternalDNS v0.22.0 does not read (source/gateway_tcproute.go V1alpha2()).
	assert.Equal(t, []string{"gateway-httproute"}, inspect.Strs(chart.Inputs, "values", "sources"))
	assert.Equal(t, 1.0, inspect.Num(chart.Inputs, "values", "replicaCount"), "templates/deployment.yaml fails above 1")
	assert.NotEmpty(t, v("resources", "limits", "memory"))
	assert.NotEmpty(t, v("resources", "requests", "cpu"))
	// Read-only RBAC and the restricted security contexts are the chart's defaults
	// (templates/clusterrole.yaml: gateway-httproute → get/watch/list on gateways, namespaces and
	// httproutes; values.yaml podSecurityContext runAsNonRoot, securityContext readOnlyRootFilesystem,
	// capabilities drop ALL): none is overridden.
	for _, k := range []string{"rbac", "securityContext", "podSecurityContext", "secretConfiguration", "namespaced"} {
		assert.False(t, inspect.HasKey(chart.Inputs, "values", k), "values.%s overridden", k)
	}
	// The credential Secret is the user's, in the edge's namespace: the plan creates none of that name.
	for _, s := range resourcesOf(r, "kubernetes:core/v1:Secret") {
		name := inspect.Str(s.Inputs, "metadata", "name")
		assert.NotEqual(t, v("env", 0, "valueFrom", "secretKeyRef", "name"), name, "the plan writes the DNS credential")
	}
	return chart
}

// edgeHosts are the host names the plan's HTTPRoutes name, sorted: the names ExternalDNS's
// gateway-httproute source writes.
func edgeHosts(r *planner.Result) []string {
	seen := map[string]bool{}
	for _, rt := range resourcesOf(r, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute") {
		for _, h := range inspect.Strs(rt.Inputs, "spec", "hostnames") {
			seen[h] = true
		}
	}
	var out []string
	for h := range seen {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

func k8sDNSPlan(t *testing.T, stack string, preview bool, edge string) *planner.Result {
	return plan(t, stack, "kubernetes", preview, "dataplatform:edge="+edge)
}

// TestK8sDNSCloudflare: an ACME edge solving DNS-01 at Cloudflare gets ExternalDNS writing every host
// of the edge into the same Cloudflare zone, with the same token Secret, from the edge's namespace.
func TestK8sDNSCloudflare(t *testing.T) {
	for _, preview := range []bool{false, true} {
		t.Run(mode(preview), func(t *testing.T) {
			r := k8sDNSPlan(t, "prod", preview, `{"issuer": "acme", "dnsZone": "example.com", "acme": {"dns01": {"provider": "cloudflare", "secretName": "cloudflare-dns"}}}`)
			c := externalDNSChart(t, r)
			v := func(path ...any) string { return inspect.Str(c.Inputs, append([]any{"values"}, path...)...) }
			assert.Equal(t, "cloudflare", v("provider", "name"))
			assert.Equal(t, []string{"data.example.com", "example.com"}, inspect.Strs(c.Inputs, "values", "domainFilters"))
			// The same Secret and key the Issuer's solver reads.
			iss := inspect.One(t, r.Mocks, "kubernetes:cert-manager.io/v1:Issuer")
			ref := func(path ...any) string {
				return inspect.Str(iss.Inputs, append([]any{"spec", "acme", "solvers", 0, "dns01", "cloudflare", "apiTokenSecretRef"}, path...)...)
			}
			assert.Equal(t, "CF_API_TOKEN", v("env", 0, "name"))
			assert.Equal(t, ref("name"), v("env", 0, "valueFrom", "secretKeyRef", "name"))
			assert.Equal(t, ref("key"), v("env", 0, "valueFrom", "secretKeyRef", "key"))
			assert.Equal(t, "cloudflare-dns", ref("name"))
			off, ok := inspect.Bool(c.Inputs, "values", "extraArgs", "cloudflare-proxied")
			assert.True(t, ok && !off, "DNS-only records")
			if !preview {
				// The Issuer's namespace, where the Secret is (the namespace is unknown in a preview).
				assert.Equal(t, inspect.Str(iss.Inputs, "metadata", "namespace"), inspect.Str(c.Inputs, "namespace"))
				assert.Equal(t, "envoy-gateway-system", inspect.Str(c.Inputs, "namespace"))
			}
			// Every host of the edge is under the domain filter.
			hosts := edgeHosts(r)
			// Every web host of the edge, Grafana's (observability, on by default here) included.
			assert.Equal(t, []string{"airbyte.data.example.com", "dremio.data.example.com", "grafana.data.example.com"}, hosts)
			np := inspect.MustNamed(t, r.Mocks, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "external-dns-network-policy")
			assert.Equal(t, "external-dns", inspect.Str(np.Inputs, "spec", "podSelector", "matchLabels", "app.kubernetes.io/instance"), "only ExternalDNS's pod in the edge's namespace")
			require.Equal(t, 3, inspect.Len(np.Inputs, "spec", "egress"))
			// The API server at dataplatform:network.apiServerCidrs, then api.cloudflare.com on 443.
			var api []string
			for _, p := range inspect.Arr(inspect.At(np.Inputs, "spec", "egress", 1, "to")) {
				api = append(api, inspect.Str(inspect.Obj(p), "ipBlock", "cidr"))
			}
			assert.Equal(t, r.Platform.Network.APIServerCIDRs, api)
			assert.Equal(t, 443.0, inspect.Num(np.Inputs, "spec", "egress", 2, "ports", 0, "port"))
			assert.Equal(t, 1, inspect.Len(np.Inputs, "spec", "egress", 2, "ports"))
			for _, p := range inspect.Protected(r.Mocks) {
				assert.NotContains(t, p, "external-dns", "nothing of ExternalDNS holds state")
			}
		})
	}
}

// TestK8sDNSRFC2136: an RFC 2136 edge gets ExternalDNS updating the same server with the same TSIG
// key, reading the zone by AXFR, allowed out to that server on 53 UDP and TCP.
func TestK8sDNSRFC2136(t *testing.T) {
	for _, preview := range []bool{false, true} {
		t.Run(mode(preview), func(t *testing.T) {
			r := k8sDNSPlan(t, "staging", preview, `{"issuer": "acme", "acme": {"dns01": {"provider": "rfc2136", "secretName": "tsig", "nameserver": "192.0.2.53:53", "tsigKeyName": "edge-key", "tsigAlgorithm": "HMACSHA512"}}}`)
			c := externalDNSChart(t, r)
			v := func(path ...any) string { return inspect.Str(c.Inputs, append([]any{"values"}, path...)...) }
			assert.Equal(t, "rfc2136", v("provider", "name"))
			assert.Equal(t, []string{"staging.data.example.com"}, inspect.Strs(c.Inputs, "values", "domainFilters"), "zone defaults to the domain")
			for flag, want := range map[string]string{
				"rfc2136-host": "192.0.2.53", "rfc2136-port": "53", "rfc2136-zone": "staging.data.example.com",
				"rfc2136-tsig-keyname": "edge-key", "rfc2136-tsig-secret-alg": "hmac-sha512",
			} {
				assert.Equal(t, want, v("extraArgs", flag), flag)
			}
			axfr, ok := inspect.Bool(c.Inputs, "values", "extraArgs", "rfc2136-axfr")
			assert.True(t, ok && axfr)
			iss := inspect.One(t, r.Mocks, "kubernetes:cert-manager.io/v1:Issuer")
			ref := func(k string) string {
				return inspect.Str(iss.Inputs, "spec", "acme", "solvers", 0, "dns01", "rfc2136", "tsigSecretSecretRef", k)
			}
			assert.Equal(t, "EXTERNAL_DNS_RFC2136_TSIG_SECRET", v("env", 0, "name"))
			assert.Equal(t, ref("name"), v("env", 0, "valueFrom", "secretKeyRef", "name"))
			assert.Equal(t, ref("key"), v("env", 0, "valueFrom", "secretKeyRef", "key"))
			np := inspect.MustNamed(t, r.Mocks, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "external-dns-network-policy")
			require.Equal(t, 3, inspect.Len(np.Inputs, "spec", "egress"), "cluster DNS, API server, the RFC 2136 server; no HTTPS to anywhere")
			assert.Equal(t, "192.0.2.53/32", inspect.Str(np.Inputs, "spec", "egress", 2, "to", 0, "ipBlock", "cidr"))
			assert.Equal(t, 53.0, inspect.Num(np.Inputs, "spec", "egress", 2, "ports", 0, "port"))
			assert.Equal(t, "UDP", inspect.Str(np.Inputs, "spec", "egress", 2, "ports", 0, "protocol"))
			assert.Equal(t, "TCP", inspect.Str(np.Inputs, "spec", "egress", 2, "ports", 1, "protocol"))
		})
	}
}

// TestK8sDNSNone: the stacks' self-signed edges, and an ACME edge with edge.dnsRecords=false, run no
// ExternalDNS (the dnsRecords output says so: stacks TestDNSRecordsExport).
func TestK8sDNSNone(t *testing.T) {
	for _, preview := range []bool{false, true} {
		t.Run(mode(preview), func(t *testing.T) {
			for _, stack := range Stacks {
				r := plan(t, stack, "kubernetes", preview)
				require.Equal(t, "selfSigned", r.Platform.Edge.Issuer)
				assert.Empty(t, resourcesOf(r, externalDNSType), stack)
			}
			r := k8sDNSPlan(t, "dev", preview, `{"issuer": "acme", "dnsRecords": false, "acme": {"dns01": {"provider": "cloudflare", "secretName": "cf"}}}`)
			assert.Empty(t, resourcesOf(r, externalDNSType))
			assert.NotEmpty(t, resourcesOf(r, "kubernetes:cert-manager.io/v1:Issuer"))
		})
	}
}
