package tests

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
)

// get walks a property path ("vpcConfig", "endpointPrivateAccess") and returns the value.
func get(m resource.PropertyMap, path ...string) resource.PropertyValue {
	v := resource.NewObjectProperty(m)
	for _, p := range path {
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsObject() {
			return resource.NewNullProperty()
		}
		v = v.ObjectValue()[resource.PropertyKey(p)]
	}
	return v
}

func one(t *testing.T, r *planner.Result, typ string) *mockcloud.Resource {
	t.Helper()
	rs := resourcesOf(r, typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of %s; want 1", len(rs), typ)
	}
	return rs[0]
}

func wantBool(t *testing.T, what string, v resource.PropertyValue, want bool) {
	t.Helper()
	if !v.IsBool() || v.BoolValue() != want {
		t.Errorf("%s = %v; want %v", what, v, want)
	}
}

// The in-cluster network is the same on every target: three namespaces, each default-deny with DNS.
func TestPlatformNamespacesAreDefaultDeny(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		platformNamespaces := 0
		for _, n := range resourcesOf(r, "kubernetes:core/v1:Namespace") {
			if get(n.Inputs, "metadata", "labels", "dataplatform.io/role").IsString() {
				platformNamespaces++
			}
		}
		if platformNamespaces != 3 {
			t.Errorf("%d platform namespaces; want 3 (apps, data, jobs)", platformNamespaces)
		}
		deny, addOnDeny := 0, 0
		for _, np := range resourcesOf(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy") {
			if get(np.Inputs, "metadata", "name").StringValue() == "default-deny" {
				// The External Secrets Operator's namespace and the in-cluster secret store's deny
				// everything too, as does the ECK operator's and aws Grafana's monitoring namespace; they
				// are not platform namespaces.
				if strings.Contains(np.URN, "dataplatform:clusteraddons:ExternalSecrets$") || strings.Contains(np.URN, "dataplatform:secrets:KubernetesStore$") ||
					strings.Contains(np.URN, "dataplatform:clusteraddons:ECK$") || strings.Contains(np.URN, "dataplatform:aws:Grafana$") {
					addOnDeny++
					continue
				}
				deny++
				if sel := get(np.Inputs, "spec", "podSelector"); !sel.IsObject() || len(sel.ObjectValue()) != 0 {
					t.Errorf("%s selects %v; want every pod", np.URN, sel)
				}
			}
		}
		if deny != 3 {
			t.Errorf("%d default-deny policies; want one per namespace", deny)
		}
		if addOnDeny == 0 {
			t.Error("the External Secrets Operator's namespace is not default-deny")
		}
		// Exactly one LimitRange with defaults per namespace: two would leave the defaults to chance.
		perNamespace := map[string]int{}
		for _, lr := range resourcesOf(r, "kubernetes:core/v1:LimitRange") {
			perNamespace[get(lr.Inputs, "metadata", "namespace").StringValue()]++
		}
		for ns, n := range perNamespace {
			if n != 1 {
				t.Errorf("namespace %q has %d LimitRanges", ns, n)
			}
		}
	})
}

func TestAWSFoundation(t *testing.T) {
	for _, stack := range Stacks {
		for _, preview := range []bool{false, true} {
			t.Run(stack+"/"+mode(preview), func(t *testing.T) {
				r := plan(t, stack, "aws", preview)
				prod := stack == "prod"
				if n := len(resourcesOf(r, "aws:ec2/subnet:Subnet")); n != 9 {
					t.Errorf("%d subnets; want 9 (public, private, database × 3 zones)", n)
				}
				wantNAT := map[string]int{"dev": 1, "staging": 1, "prod": 3}[stack]
				if n := len(resourcesOf(r, "aws:ec2/natGateway:NatGateway")); n != wantNAT {
					t.Errorf("%d NAT gateways; want %d", n, wantNAT)
				}
				eks := one(t, r, "aws:eks/cluster:Cluster")
				wantBool(t, "endpointPrivateAccess", get(eks.Inputs, "vpcConfig", "endpointPrivateAccess"), true)
				wantBool(t, "endpointPublicAccess", get(eks.Inputs, "vpcConfig", "endpointPublicAccess"), stack == "staging")
				if enc := get(eks.Inputs, "encryptionConfig", "resources"); !enc.IsArray() || enc.ArrayValue()[0].StringValue() != "secrets" {
					t.Errorf("EKS secrets encryption = %v", enc)
				}
				for _, ng := range resourcesOf(r, "aws:eks/nodeGroup:NodeGroup") {
					capacity := get(ng.Inputs, "capacityType").StringValue()
					spot := capacity == "SPOT"
					if prod && spot {
						t.Errorf("%s runs on spot in prod", ng.URN)
					}
				}
				// The VPC and the cluster are protected in prod; their components never are, or every
				// node group, add-on and route association under them would inherit it.
				for typ, want := range map[string]bool{"aws:eks/cluster:Cluster": prod, "aws:ec2/vpc:Vpc": prod, "dataplatform:aws:Network": false, "dataplatform:aws:KubernetesCluster": false} {
					if res := one(t, r, typ); res.Protect != want {
						t.Errorf("%s protect = %v; want %v", typ, res.Protect, want)
					}
				}
				// The control plane waits for nothing it does not use.
				for _, typ := range []string{"aws:ec2/natGateway:NatGateway", "aws:ec2/flowLog:FlowLog", "aws:rds/subnetGroup:SubnetGroup", "aws:ec2/vpcEndpoint:VpcEndpoint"} {
					for _, other := range resourcesOf(r, typ) {
						if r.Mocks.DependsOn(eks, other) {
							t.Errorf("the EKS cluster depends on %s", other.URN)
						}
					}
				}
			})
		}
	}
}

func TestAzureFoundation(t *testing.T) {
	for _, stack := range Stacks {
		for _, preview := range []bool{false, true} {
			t.Run(stack+"/"+mode(preview), func(t *testing.T) {
				r := plan(t, stack, "azure", preview)
				prod := stack == "prod"
				aks := one(t, r, "azure-native:containerservice/v20240901:ManagedCluster")
				wantBool(t, "enablePrivateCluster", get(aks.Inputs, "apiServerAccessProfile", "enablePrivateCluster"), stack != "staging")
				// The KMS key's versioned URI, and with it the whole securityProfile, is unknown in preview.
				if !preview {
					wantBool(t, "workload identity", get(aks.Inputs, "securityProfile", "workloadIdentity", "enabled"), true)
				}
				wantBool(t, "OIDC issuer", get(aks.Inputs, "oidcIssuerProfile", "enabled"), true)
				wantBool(t, "disableLocalAccounts", get(aks.Inputs, "disableLocalAccounts"), true)
				zones := get(aks.Inputs, "agentPoolProfiles").ArrayValue()[0].ObjectValue()["availabilityZones"]
				if prod != (zones.IsArray() && len(zones.ArrayValue()) == 3) {
					t.Errorf("system pool zones = %v in %s", zones, stack)
				}
				if tier := get(aks.Inputs, "sku", "tier").StringValue(); (tier == "Standard") != prod {
					t.Errorf("AKS tier %q in %s", tier, stack)
				}
				for _, dep := range resourcesOf(r, "azure-native:network:PrivateZone") {
					if r.Mocks.DependsOn(aks, dep) {
						t.Errorf("AKS depends on %s", dep.URN)
					}
				}
			})
		}
	}
}

func TestGCPFoundation(t *testing.T) {
	for _, stack := range Stacks {
		for _, preview := range []bool{false, true} {
			t.Run(stack+"/"+mode(preview), func(t *testing.T) {
				r := plan(t, stack, "gcp", preview)
				prod := stack == "prod"
				gke := one(t, r, "gcp:container/cluster:Cluster")
				if loc := get(gke.Inputs, "location").StringValue(); (loc == "europe-north1") != prod {
					t.Errorf("GKE location %q in %s; want the region (regional) only in prod", loc, stack)
				}
				wantBool(t, "private nodes", get(gke.Inputs, "privateClusterConfig", "enablePrivateNodes"), true)
				wantBool(t, "deletionProtection", get(gke.Inputs, "deletionProtection"), prod)
				if pool := get(gke.Inputs, "workloadIdentityConfig", "workloadPool").StringValue(); pool != "acme-data-"+stack+".svc.id.goog" {
					t.Errorf("workload pool %q", pool)
				}
				for _, typ := range []string{"gcp:compute/routerNat:RouterNat", "gcp:servicenetworking/connection:Connection"} {
					for _, other := range resourcesOf(r, typ) {
						if r.Mocks.DependsOn(gke, other) {
							t.Errorf("GKE depends on %s", other.URN)
						}
					}
				}
			})
		}
	}
}

func TestKubernetesTargetUsesTheConfiguredContext(t *testing.T) {
	r := plan(t, "dev", "kubernetes", false)
	p := one(t, r, "pulumi:providers:kubernetes")
	if ctx := get(p.Inputs, "context").StringValue(); ctx != "kind-dataplatform" {
		t.Errorf("provider context %q; want the stack's kind-dataplatform", ctx)
	}
	for _, res := range r.Resources {
		if res.Type != "pulumi:providers:kubernetes" && res.Custom && !isKubernetes(res.Type) {
			t.Errorf("the kubernetes target created a cloud resource %s", res.URN)
		}
	}
}

// isKubernetes reports whether a resource lives in the cluster, or is a local one (random, tls)
// that no cloud API is involved in.
func isKubernetes(typ string) bool {
	for _, prefix := range []string{"kubernetes:", "random:", "tls:"} {
		if strings.HasPrefix(typ, prefix) {
			return true
		}
	}
	return false
}

// Benchmarks: the offline plan of each stack on each target.
func BenchmarkPlan(b *testing.B) {
	for _, target := range Targets {
		for _, stack := range Stacks {
			b.Run(stack+"/"+target, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					plan(b, stack, target, false)
				}
			})
		}
	}
}
