package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"sigs.k8s.io/yaml"
)

// newObject returns an empty k8s.io/api object for an apiVersion and kind, or nil for kinds the
// project does not decode (custom resources, checked by their operators' CRDs instead).
func newObject(apiVersion, kind string) any {
	switch apiVersion + "/" + kind {
	case "v1/Namespace":
		return &corev1.Namespace{}
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}
	case "v1/Secret":
		return &corev1.Secret{}
	case "v1/Service":
		return &corev1.Service{}
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}
	case "v1/LimitRange":
		return &corev1.LimitRange{}
	case "v1/ResourceQuota":
		return &corev1.ResourceQuota{}
	case "v1/PersistentVolumeClaim":
		return &corev1.PersistentVolumeClaim{}
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}
	case "apps/v1/StatefulSet":
		return &appsv1.StatefulSet{}
	case "apps/v1/DaemonSet":
		return &appsv1.DaemonSet{}
	case "batch/v1/Job":
		return &batchv1.Job{}
	case "batch/v1/CronJob":
		return &batchv1.CronJob{}
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}
	case "storage.k8s.io/v1/StorageClass":
		return &storagev1.StorageClass{}
	case "rbac.authorization.k8s.io/v1/Role":
		return &rbacv1.Role{}
	case "rbac.authorization.k8s.io/v1/RoleBinding":
		return &rbacv1.RoleBinding{}
	case "rbac.authorization.k8s.io/v1/ClusterRole":
		return &rbacv1.ClusterRole{}
	case "rbac.authorization.k8s.io/v1/ClusterRoleBinding":
		return &rbacv1.ClusterRoleBinding{}
	}
	return nil
}

var (
	dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	ianaSvcName  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
)

// TestWrittenManifestsDecodeStrictly writes every plan's manifests, reads each file back, decodes it
// into its k8s.io/api type with unknown fields as errors, and runs the structural checks `kubectl
// apply` would otherwise be the first to fail on.
func TestWrittenManifestsDecodeStrictly(t *testing.T) {
	for _, stack := range Stacks {
		for _, target := range Targets {
			t.Run(stack+"/"+target, func(t *testing.T) {
				r := plan(t, stack, target, false)
				dir := t.TempDir()
				if err := r.WriteManifests(dir); err != nil {
					t.Fatal(err)
				}
				files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
				if err != nil || len(files) == 0 {
					t.Fatalf("no manifests written (%v)", err)
				}
				if len(files) != len(r.Manifests()) {
					t.Errorf("%d files for %d manifests", len(files), len(r.Manifests()))
				}
				decoded := 0
				for _, f := range files {
					raw, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					var head struct{ APIVersion, Kind string }
					if err := yaml.Unmarshal(raw, &head); err != nil {
						t.Fatalf("%s: %v", filepath.Base(f), err)
					}
					obj := newObject(head.APIVersion, head.Kind)
					if obj == nil {
						continue
					}
					if err := yaml.UnmarshalStrict(raw, obj); err != nil {
						t.Errorf("%s: strict decode into %T: %v", filepath.Base(f), obj, err)
						continue
					}
					decoded++
					for _, problem := range structuralProblems(obj) {
						t.Errorf("%s: %s", filepath.Base(f), problem)
					}
				}
				if decoded == 0 {
					t.Errorf("no manifest was decoded")
				}
			})
		}
	}
}

// structuralProblems returns what the API server would refuse, or what would silently not work.
func structuralProblems(obj any) []string {
	var out []string
	check := func(kind, name string, selector map[string]string, template corev1.PodTemplateSpec, claims ...string) {
		for k, v := range selector {
			if template.Labels[k] != v {
				out = append(out, fmt.Sprintf("%s %s: selector %s=%s does not match the pod template labels %v", kind, name, k, v, template.Labels))
			}
		}
		out = append(out, podProblems(template.Spec, claims...)...)
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		if o.Spec.Selector == nil {
			return []string{"Deployment without a selector"}
		}
		check("Deployment", o.Name, o.Spec.Selector.MatchLabels, o.Spec.Template)
	case *appsv1.StatefulSet:
		if o.Spec.Selector == nil {
			return []string{"StatefulSet without a selector"}
		}
		var claims []string
		for _, c := range o.Spec.VolumeClaimTemplates {
			claims = append(claims, c.Name)
		}
		check("StatefulSet", o.Name, o.Spec.Selector.MatchLabels, o.Spec.Template, claims...)
		if o.Spec.ServiceName == "" {
			out = append(out, "StatefulSet without serviceName")
		}
	case *appsv1.DaemonSet:
		check("DaemonSet", o.Name, o.Spec.Selector.MatchLabels, o.Spec.Template)
	case *batchv1.Job:
		out = append(out, podProblems(o.Spec.Template.Spec)...)
	case *batchv1.CronJob:
		out = append(out, podProblems(o.Spec.JobTemplate.Spec.Template.Spec)...)
	case *corev1.Service:
		for _, p := range o.Spec.Ports {
			if p.Name != "" && (len(p.Name) > 15 || !ianaSvcName.MatchString(p.Name)) {
				out = append(out, fmt.Sprintf("Service %s: port name %q is not a valid IANA service name", o.Name, p.Name))
			}
			if p.Port < 1 || p.Port > 65535 {
				out = append(out, fmt.Sprintf("Service %s: port %d out of range", o.Name, p.Port))
			}
		}
	case *networkingv1.NetworkPolicy:
		for _, pt := range o.Spec.PolicyTypes {
			if pt != networkingv1.PolicyTypeIngress && pt != networkingv1.PolicyTypeEgress {
				out = append(out, fmt.Sprintf("NetworkPolicy %s: policy type %q", o.Name, pt))
			}
		}
	case *policyv1.PodDisruptionBudget:
		if o.Spec.Selector == nil || (o.Spec.MinAvailable == nil) == (o.Spec.MaxUnavailable == nil) {
			out = append(out, fmt.Sprintf("PodDisruptionBudget %s: needs a selector and exactly one of minAvailable/maxUnavailable", o.Name))
		}
	}
	if m, ok := obj.(interface{ GetName() string }); ok && !dns1123Subdomain(m.GetName()) {
		out = append(out, fmt.Sprintf("name %q is not a DNS-1123 subdomain", m.GetName()))
	}
	return out
}

// podProblems checks a pod spec; claims are the StatefulSet's volumeClaimTemplates, which are volumes too.
func podProblems(spec corev1.PodSpec, claims ...string) []string {
	var out []string
	names := map[string]bool{}
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
	}
	for _, c := range claims {
		volumes[c] = true
	}
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		if !dns1123Label.MatchString(c.Name) || names[c.Name] {
			out = append(out, fmt.Sprintf("container name %q is invalid or repeated", c.Name))
		}
		names[c.Name] = true
		if c.Image == "" {
			out = append(out, fmt.Sprintf("container %s has no image", c.Name))
		}
		ports := map[string]bool{}
		for _, p := range c.Ports {
			if p.Name != "" && (len(p.Name) > 15 || !ianaSvcName.MatchString(p.Name) || ports[p.Name]) {
				out = append(out, fmt.Sprintf("container %s: port name %q is invalid or repeated", c.Name, p.Name))
			}
			ports[p.Name] = true
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				out = append(out, fmt.Sprintf("container %s mounts %q, which no volume defines", c.Name, m.Name))
			}
		}
	}
	return out
}

func dns1123Subdomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if !dns1123Label.MatchString(part) {
			return false
		}
	}
	return true
}

// The manifests of a plan are the inputs of its Kubernetes resources, with apiVersion and kind: a
// manifest written for a resource must round-trip to the same JSON the provider receives.
func TestManifestsAreTheResourceInputs(t *testing.T) {
	r := plan(t, "prod", "kubernetes", false)
	ms := r.Manifests()
	byName := map[string]map[string]any{}
	for _, m := range ms {
		meta := m.Object["metadata"].(map[string]any)
		byName[fmt.Sprint(m.Object["kind"], "/", meta["namespace"], "/", meta["name"])] = m.Object
	}
	obj, ok := byName["NetworkPolicy/dataplatform/default-deny"]
	if !ok {
		t.Fatalf("no default-deny manifest among %d", len(ms))
	}
	raw, _ := json.Marshal(obj["spec"])
	if string(raw) != `{"podSelector":{},"policyTypes":["Ingress","Egress"]}` {
		t.Errorf("default-deny spec = %s", raw)
	}
}
