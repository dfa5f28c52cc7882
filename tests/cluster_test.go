package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/clusteraddons/eksaddons"
	"github.com/opendataplatform/dataplatform/config"
	"github.com/opendataplatform/dataplatform/internal/planner"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

// A pool that may grow has something that grows it, and every HorizontalPodAutoscaler has a metrics
// source: EKS gets the Cluster Autoscaler and the metrics-server add-on from the platform; AKS
// (enableAutoScaling per pool) and GKE (node pool autoscaling) scale pools themselves and ship
// metrics-server; on the kubernetes target both are the cluster's (README: what the cluster must provide).
func TestGrowablePoolsAreScaledAndHPAsHaveMetrics(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		hpas := resourcesOf(r, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
		for _, h := range hpas {
			metrics := inspect.Arr(inspect.At(h.Inputs, "spec", "metrics"))
			if len(metrics) == 0 {
				t.Errorf("%s has no metrics", h.URN)
			}
			for _, m := range metrics {
				// metrics-server serves only resource metrics (metrics.k8s.io): a Pods or External
				// metric would need an adapter no target installs.
				if typ := inspect.Str(inspect.Obj(m), "type"); typ != "Resource" {
					t.Errorf("%s: metric type %q; only Resource metrics have a source", h.URN, typ)
				}
			}
		}
		switch target {
		case "aws":
			growable := false
			for _, ng := range resourcesOf(r, "aws:eks/nodeGroup:NodeGroup") {
				if inspect.Num(ng.Inputs, "scalingConfig", "maxSize") > inspect.Num(ng.Inputs, "scalingConfig", "minSize") {
					growable = true
				}
			}
			autoscaler := false
			for _, d := range resourcesOf(r, "kubernetes:apps/v1:Deployment") {
				if inspect.Str(d.Inputs, "metadata", "name") == "cluster-autoscaler" && inspect.Str(d.Inputs, "metadata", "namespace") == "kube-system" {
					autoscaler = true
				}
			}
			if growable && !autoscaler {
				t.Error("an EKS node group may grow but no Cluster Autoscaler runs")
			}
			metricsServer := false
			for _, a := range resourcesOf(r, "aws:eks/addon:Addon") {
				if inspect.Str(a.Inputs, "addonName") == "metrics-server" {
					metricsServer = true
				}
			}
			if len(hpas) > 0 && !metricsServer {
				t.Error("HPAs on EKS without the metrics-server add-on never scale")
			}
		case "azure":
			for _, p := range resourcesOf(r, "azure-native:containerservice/v20240901:AgentPool") {
				if on, _ := inspect.Bool(p.Inputs, "enableAutoScaling"); !on && inspect.Num(p.Inputs, "maxCount") > inspect.Num(p.Inputs, "minCount") {
					t.Errorf("%s may grow but has no autoscaler", p.URN)
				}
			}
			for _, mc := range resourcesOf(r, "azure-native:containerservice/v20240901:ManagedCluster") {
				for _, p := range inspect.Arr(inspect.At(mc.Inputs, "agentPoolProfiles")) {
					if on, _ := inspect.Bool(inspect.Obj(p), "enableAutoScaling"); !on {
						t.Errorf("%s: pool %s has no autoscaler", mc.URN, inspect.Str(inspect.Obj(p), "name"))
					}
				}
			}
		case "gcp":
			for _, p := range resourcesOf(r, "gcp:container/nodePool:NodePool") {
				if !inspect.Has(p.Inputs, "autoscaling", "totalMaxNodeCount") {
					t.Errorf("%s has no autoscaling", p.URN)
				}
			}
		}
	})
}

// The aws stack accepts exactly the Kubernetes minors the EKS add-ons pin an autoscaler for, so a
// version without one is refused before anything runs rather than failing halfway through `up`.
func TestEKSMinorsMatchThePinnedAutoscalers(t *testing.T) {
	if got, want := strings.Join(config.EKSMinors, ","), strings.Join(eksaddons.PinnedMinors(), ","); got != want {
		t.Errorf("config.EKSMinors = %s; eksaddons pins %s", got, want)
	}
}

// EKS enforces the NetworkPolicies the platform writes: the VPC CNI's network policy agent is on
// (amazon-vpc-cni-k8s chart values enableNetworkPolicy; without it every policy is ignored).
func TestEKSEnforcesNetworkPolicies(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		if target != "aws" {
			return
		}
		found := false
		for _, a := range resourcesOf(r, "aws:eks/addon:Addon") {
			if inspect.Str(a.Inputs, "addonName") != "vpc-cni" {
				continue
			}
			found = true
			var values map[string]any
			if err := json.Unmarshal([]byte(inspect.Str(a.Inputs, "configurationValues")), &values); err != nil || values["enableNetworkPolicy"] != "true" {
				t.Errorf("vpc-cni configurationValues = %q; want enableNetworkPolicy \"true\"", inspect.Str(a.Inputs, "configurationValues"))
			}
		}
		if !found {
			t.Error("no vpc-cni add-on")
		}
	})
}

// No database administrator credential reaches a namespace where workloads run: no Secret in the apps
// or jobs namespace is built from a metadata database's administrator password.
func TestNoDatabaseAdminCredentialInWorkloadNamespaces(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		workloads := map[string]bool{r.Platform.Network.Namespaces.Apps: true, r.Platform.Network.Namespaces.Jobs: true}
		var admin []*mockcloud.Resource
		for _, res := range r.Resources {
			parent := r.Mocks.ByURN(res.Parent)
			if parent != nil && strings.HasSuffix(parent.Type, ":MetadataDB") && strings.HasPrefix(res.Type, "random:") && strings.Contains(res.Name, "admin") {
				admin = append(admin, res)
			}
		}
		if target != "kubernetes" && len(admin) == 0 {
			t.Fatal("no administrator password found; teach the test the database's")
		}
		for _, s := range resourcesOf(r, "kubernetes:core/v1:Secret") {
			if !workloads[inspect.Str(s.Inputs, "metadata", "namespace")] {
				continue
			}
			for _, a := range admin {
				if r.Mocks.DependsOn(s, a) {
					t.Errorf("%s in a workload namespace holds %s", s.URN, a.URN)
				}
			}
		}
	})
}

// Dependencies come from outputs, not luck: GKE's Workload Identity bindings wait for the cluster
// that creates the pool; writes to one Azure storage account are serialised; and nothing slow waits
// for what it does not use (the AWS database is not behind the EKS cluster).
func TestOrderingOfSlowAndEventuallyConsistentResources(t *testing.T) {
	eachPlan(t, func(t *testing.T, stack, target string, preview bool, r *planner.Result) {
		switch target {
		case "gcp":
			gke := one(t, r, "gcp:container/cluster:Cluster")
			bindings := 0
			for _, m := range resourcesOf(r, "gcp:serviceaccount/iAMMember:IAMMember") {
				if inspect.Str(m.Inputs, "role") == "roles/iam.workloadIdentityUser" {
					bindings++
					if !r.Mocks.DependsOn(m, gke) {
						t.Errorf("%s binds a Workload Identity pool before the cluster creates it", m.URN)
					}
				}
			}
			if bindings == 0 {
				t.Error("no Workload Identity binding found")
			}
		case "aws":
			db := one(t, r, "aws:rds/instance:Instance")
			for _, slow := range append(resourcesOf(r, "aws:eks/cluster:Cluster"), resourcesOf(r, "aws:eks/nodeGroup:NodeGroup")...) {
				if r.Mocks.DependsOn(db, slow) {
					t.Errorf("the database waits for %s", slow.URN)
				}
			}
		case "azure":
			for _, acct := range resourcesOf(r, "azure-native:storage:StorageAccount") {
				name := inspect.Str(acct.Inputs, "accountName")
				var writes []*mockcloud.Resource
				for _, res := range r.Resources {
					if res.Custom && res.Type != acct.Type && inspect.Str(res.Inputs, "accountName") == name {
						writes = append(writes, res)
					}
				}
				for i, a := range writes {
					for _, b := range writes[i+1:] {
						if !r.Mocks.DependsOn(a, b) && !r.Mocks.DependsOn(b, a) {
							t.Errorf("%s and %s write to %s in parallel (StorageAccountOperationInProgress)", a.URN, b.URN, name)
						}
					}
				}
			}
		}
	})
}
