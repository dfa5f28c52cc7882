package agc

import (
	"sort"
	"strings"
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	domain    = "data.example.com"
	appsNS    = "dataplatform"
	edgeNS    = "envoy-gateway-system"
	sub       = "/subscriptions/" + mockcloud.AzureSubscriptionID
	nodeRG    = sub + "/resourceGroups/MC_rg_aks_swedencentral"
	subnetID  = sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/agc"
	gwType    = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	httpType  = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
	certType  = "kubernetes:cert-manager.io/v1:Certificate"
	albType   = "kubernetes:alb.networking.azure.io/v1:ApplicationLoadBalancer"
	chartType = "kubernetes:helm.sh/v4:Chart"
	raType    = "azure-native:authorization:RoleAssignment"
	uaiType   = "azure-native:managedidentity:UserAssignedIdentity"
	ficType   = "azure-native:managedidentity:FederatedIdentityCredential"
)

func routes() []edge.Route {
	return []edge.Route{
		{Name: "dremio-ui", Host: "dremio", Service: "dremio-client", Namespace: appsNS, Port: 9047, Protocol: edge.HTTP},
		{Name: "airbyte", Host: "airbyte", Service: "airbyte-airbyte-server-svc", Namespace: appsNS, Port: 8001, Protocol: edge.HTTP},
	}
}

type result struct {
	m    *mockcloud.Mocks
	c    *Controller
	edge *Edge
}

func run(t *testing.T, preview bool, mutate func(*ControllerArgs, *EdgeArgs)) (result, error) {
	t.Helper()
	var r result
	r.m = mockcloud.New("dataplatform", "dev", preview)
	err := r.m.Run(func(ctx *pulumi.Context) error {
		az, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String("swedencentral")})
		if err != nil {
			return err
		}
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		crds, err := corev1.NewNamespace(ctx, "crds-stand-in", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("x")}}, pulumi.Provider(k))
		if err != nil {
			return err
		}
		ca := &ControllerArgs{
			ResourceGroupName: pulumi.String("rg"), Location: "swedencentral", IdentityName: "dataplatform-dev-alb-controller",
			NodeResourceGroupID: pulumi.String(nodeRG), SubnetID: pulumi.String(subnetID),
			OIDCIssuerURL:      pulumi.String("https://swedencentral.oic.prod-aks.azure.com/t/i/"),
			KubernetesProvider: k, GatewayAPICRDs: []pulumi.Resource{crds},
			Scheduling: cluster.Scheduling{NodeSelector: map[string]string{"dataplatform.io/pool": "workloads"},
				Tolerations: []cluster.Toleration{{Key: "kubernetes.azure.com/scalesetpriority", Operator: "Equal", Value: "spot", Effect: "NoSchedule"}}},
		}
		ea := &EdgeArgs{Domain: domain, Routes: routes(), Namespace: pulumi.String(edgeNS), NamespaceName: edgeNS, IssuerName: "dataplatform-edge"}
		if mutate != nil {
			mutate(ca, ea)
		}
		r.c, err = NewController(ctx, "alb", ca, pulumi.Provider(az))
		if err != nil {
			return err
		}
		ea.Controller = r.c
		r.edge, err = NewEdge(ctx, "agc", ea, pulumi.Provider(k))
		return err
	}, nil)
	return r, err
}

func mustRun(t *testing.T, preview bool, mutate func(*ControllerArgs, *EdgeArgs)) result {
	t.Helper()
	r, err := run(t, preview, mutate)
	inspect.RequireRan(t, preview, err)
	return r
}

func spec(r *mockcloud.Resource) resource.PropertyMap {
	return inspect.Obj(inspect.At(r.Inputs, "spec"))
}

// TestControllerIdentity: the controller's own managed identity, federated with
// system:serviceaccount:azure-alb-system:alb-controller-sa, holds exactly Reader and AppGw for
// Containers Configuration Manager on the node resource group and Network Contributor on the AGC
// subnet; the chart starts after the grants, the federation and the Gateway API CRDs.
func TestControllerIdentity(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, nil)
		id := inspect.One(t, r.m, uaiType)
		assert.Equal(t, "dataplatform-dev-alb-controller", inspect.Str(id.Inputs, "resourceName"))
		fic := inspect.One(t, r.m, ficType)
		assert.Equal(t, "system:serviceaccount:azure-alb-system:alb-controller-sa", inspect.Str(fic.Inputs, "subject"))
		assert.Equal(t, []string{"api://AzureADTokenExchange"}, inspect.Strs(fic.Inputs, "audiences"))
		assert.Equal(t, "https://swedencentral.oic.prod-aks.azure.com/t/i/", inspect.Str(fic.Inputs, "issuer"))

		ras := r.m.ByType(raType)
		require.Len(t, ras, 3)
		got := map[string]bool{}
		for _, ra := range ras {
			assert.Equal(t, "ServicePrincipal", inspect.Str(ra.Inputs, "principalType"))
			if preview {
				continue
			}
			role := inspect.Str(ra.Inputs, "roleDefinitionId")
			assert.True(t, strings.HasPrefix(role, sub+"/providers/Microsoft.Authorization/roleDefinitions/"), role)
			assert.Equal(t, id.Outputs["principalId"].StringValue(), inspect.Str(ra.Inputs, "principalId"))
			got[inspect.Str(ra.Inputs, "scope")+" "+role[strings.LastIndex(role, "/")+1:]] = true
		}
		if !preview {
			assert.Equal(t, map[string]bool{
				nodeRG + " " + ReaderRole:               true,
				nodeRG + " " + ConfigurationManagerRole: true,
				subnetID + " " + NetworkContributorRole: true,
			}, got)
		}
		chart := inspect.One(t, r.m, chartType)
		for _, ra := range ras {
			assert.True(t, r.m.DependsOn(chart, ra), "the chart waits for %s", ra.Name)
		}
		assert.True(t, r.m.DependsOn(chart, fic))
		assert.True(t, r.m.DependsOn(chart, inspect.MustNamed(t, r.m, "kubernetes:core/v1:Namespace", "crds-stand-in")))
	})
}

// TestControllerChart: the pinned chart from MCR into azure-alb-system, with the identity's client
// ID, the Gateway API CRDs left to their one owner, resources and the platform's scheduling; a PDB
// keeps one of the two replicas through drains.
func TestControllerChart(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, nil)
		chart := inspect.One(t, r.m, chartType)
		assert.Equal(t, "oci://mcr.microsoft.com/application-lb/charts/alb-controller", inspect.Str(chart.Inputs, "chart"))
		assert.Equal(t, "1.12.1", inspect.Str(chart.Inputs, "version"))
		v := inspect.Obj(inspect.At(chart.Inputs, "values", "albController"))
		assert.Equal(t, "azure-alb-system", inspect.Str(v, "namespace"))
		has, ok := inspect.Bool(v, "installGatewayApiCRDs")
		assert.True(t, ok)
		assert.False(t, has, "Envoy Gateway's chart owns the Gateway API CRDs")
		if !preview {
			id := inspect.One(t, r.m, uaiType)
			assert.Equal(t, id.Outputs["clientId"].StringValue(), inspect.Str(v, "podIdentity", "clientID"))
			assert.Equal(t, "azure-alb-system", inspect.Str(chart.Inputs, "namespace"))
		}
		assert.Equal(t, "400Mi", inspect.Str(v, "controller", "resource", "limits", "memory"))
		assert.Equal(t, "workloads", inspect.Str(v, "controller", "nodeSelector", "dataplatform.io/pool"))
		assert.Equal(t, 1, inspect.Len(v, "controller", "tolerations"))
		pdb := inspect.One(t, r.m, "kubernetes:policy/v1:PodDisruptionBudget")
		assert.Equal(t, float64(1), inspect.Num(spec(pdb), "minAvailable"))
		assert.Equal(t, "alb-controller", inspect.Str(spec(pdb), "selector", "matchLabels", "app"))
	})
}

// TestApplicationLoadBalancer: the CR associates the delegated subnet, after the chart.
func TestApplicationLoadBalancer(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, nil)
		alb := inspect.One(t, r.m, albType)
		assert.Equal(t, ALBName, inspect.Str(alb.Inputs, "metadata", "name"))
		assert.Equal(t, []string{subnetID}, inspect.Strs(spec(alb), "associations"))
		if !preview {
			assert.Equal(t, Namespace, inspect.Str(alb.Inputs, "metadata", "namespace"))
		}
		assert.True(t, r.m.DependsOn(alb, inspect.One(t, r.m, chartType)))
	})
}

// TestGateway: class azure-alb-external bound to the ApplicationLoadBalancer; every listener but
// :80 is HTTPS on 443 terminating TLS with its host's certificate, hostnames under the domain.
func TestGateway(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, nil)
		gw := inspect.One(t, r.m, gwType)
		assert.Equal(t, GatewayClass, inspect.Str(spec(gw), "gatewayClassName"))
		assert.Equal(t, Namespace, inspect.Str(gw.Inputs, "metadata", "annotations", ALBNamespaceAnnotation))
		assert.Equal(t, ALBName, inspect.Str(gw.Inputs, "metadata", "annotations", ALBNameAnnotation))
		assert.True(t, r.m.DependsOn(gw, inspect.One(t, r.m, albType)))
		var names []string
		for _, l := range inspect.Arr(inspect.RequireAt(t, spec(gw), "listeners")) {
			o := inspect.Obj(l)
			name := inspect.Str(o, "name")
			names = append(names, name)
			if name == HTTPListener {
				assert.Equal(t, "HTTP", inspect.Str(o, "protocol"))
				assert.Equal(t, float64(80), inspect.Num(o, "port"))
				assert.Equal(t, "Same", inspect.Str(o, "allowedRoutes", "namespaces", "from"), "only the redirect attaches to :80")
				continue
			}
			assert.Equal(t, "HTTPS", inspect.Str(o, "protocol"))
			assert.Equal(t, float64(443), inspect.Num(o, "port"))
			assert.Equal(t, "Terminate", inspect.Str(o, "tls", "mode"))
			host := strings.TrimPrefix(name, "https-")
			assert.Equal(t, host+"."+domain, inspect.Str(o, "hostname"))
			refs := inspect.Arr(inspect.At(o, "tls", "certificateRefs"))
			require.Len(t, refs, 1)
			assert.Equal(t, "agc-"+host+"-tls", inspect.Str(inspect.Obj(refs[0]), "name"))
		}
		sort.Strings(names)
		assert.Equal(t, []string{"http", "https-airbyte", "https-dremio"}, names)
	})
}

// TestCertificates: one certificate per host, from the stack's Issuer, into the Secret its listener
// names, before the Gateway.
func TestCertificates(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, nil)
		certs := r.m.ByType(certType)
		require.Len(t, certs, 2)
		gw := inspect.One(t, r.m, gwType)
		for _, c := range certs {
			s := spec(c)
			dns := inspect.Strs(s, "dnsNames")
			require.Len(t, dns, 1)
			host := strings.TrimSuffix(dns[0], "."+domain)
			assert.Equal(t, "agc-"+host+"-tls", inspect.Str(s, "secretName"))
			assert.Equal(t, "dataplatform-edge", inspect.Str(s, "issuerRef", "name"))
			assert.Equal(t, "Issuer", inspect.Str(s, "issuerRef", "kind"))
			assert.True(t, r.m.DependsOn(gw, c))
			if !preview {
				assert.Equal(t, edgeNS, inspect.Str(c.Inputs, "metadata", "namespace"))
			}
		}
	})
}

// TestRoutes: each HTTP route is an HTTPRoute beside its backend on its host's listener, with its
// host under the domain; the :80 listener's only route redirects to https with 301.
func TestRoutes(t *testing.T) {
	inspect.UpAndPreview(t, func(t *testing.T, preview bool) {
		r := mustRun(t, preview, nil)
		for _, rt := range routes() {
			res := inspect.MustNamed(t, r.m, httpType, "agc-route-"+rt.Name)
			assert.Equal(t, appsNS, inspect.Str(res.Inputs, "metadata", "namespace"))
			p := inspect.Obj(inspect.Arr(inspect.RequireAt(t, spec(res), "parentRefs"))[0])
			assert.Equal(t, GatewayName, inspect.Str(p, "name"))
			assert.Equal(t, "https-"+rt.Host, inspect.Str(p, "sectionName"))
			if !preview {
				assert.Equal(t, edgeNS, inspect.Str(p, "namespace"))
			}
			assert.Equal(t, []string{rt.FQDN(domain)}, inspect.Strs(spec(res), "hostnames"))
			b := inspect.Obj(inspect.Arr(inspect.At(inspect.Obj(inspect.Arr(inspect.At(spec(res), "rules"))[0]), "backendRefs"))[0])
			assert.Equal(t, rt.Service, inspect.Str(b, "name"))
			assert.Equal(t, float64(rt.Port), inspect.Num(b, "port"))
		}
		red := inspect.MustNamed(t, r.m, httpType, "agc-https-redirect")
		p := inspect.Obj(inspect.Arr(inspect.RequireAt(t, spec(red), "parentRefs"))[0])
		assert.Equal(t, HTTPListener, inspect.Str(p, "sectionName"))
		f := inspect.Obj(inspect.Arr(inspect.At(inspect.Obj(inspect.Arr(inspect.At(spec(red), "rules"))[0]), "filters"))[0])
		assert.Equal(t, "RequestRedirect", inspect.Str(f, "type"))
		assert.Equal(t, "https", inspect.Str(f, "requestRedirect", "scheme"))
		assert.Equal(t, float64(301), inspect.Num(f, "requestRedirect", "statusCode"))
		assert.False(t, inspect.Has(inspect.Obj(inspect.Arr(inspect.At(spec(red), "rules"))[0]), "backendRefs"), "the redirect serves nothing")
		if !preview {
			u := inspect.Await(t, r.edge.URLs["dremio-ui"])
			assert.Equal(t, "https://dremio."+domain, u.Value)
		}
	})
}

// TestValidation: bad input fails before anything is registered.
func TestValidation(t *testing.T) {
	cases := map[string]struct {
		mutate func(*ControllerArgs, *EdgeArgs)
		want   string
	}{
		"grpc route": {func(_ *ControllerArgs, e *EdgeArgs) {
			e.Routes = append(e.Routes, edge.Route{Name: "dremio-flight", Host: "dremio", Service: "dremio-client", Namespace: appsNS, Port: 32010, Protocol: edge.GRPC, ListenPort: 32010})
		}, "80 and 443"},
		"no crds":      {func(c *ControllerArgs, _ *EdgeArgs) { c.GatewayAPICRDs = nil }, "GatewayAPICRDs"},
		"bad identity": {func(c *ControllerArgs, _ *EdgeArgs) { c.IdentityName = "x" }, "IdentityName"},
		"no subnet":    {func(c *ControllerArgs, _ *EdgeArgs) { c.SubnetID = nil }, "SubnetID"},
		"bad issuer":   {func(_ *ControllerArgs, e *EdgeArgs) { e.IssuerName = "Bad_Issuer" }, "IssuerName"},
		"bad domain":   {func(_ *ControllerArgs, e *EdgeArgs) { e.Domain = "Data" }, "domain"},
		"no namespace": {func(_ *ControllerArgs, e *EdgeArgs) { e.NamespaceName = "" }, "Namespace"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := run(t, false, c.mutate)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}
