package policies

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// podSpecPaths says where each workload type keeps its pod specs.
var podSpecPaths = map[string][]string{
	K8sDeployment:  {"spec", "template", "spec"},
	K8sStatefulSet: {"spec", "template", "spec"},
	K8sDaemonSet:   {"spec", "template", "spec"},
	K8sReplicaSet:  {"spec", "template", "spec"},
	K8sJob:         {"spec", "template", "spec"},
	K8sCronJob:     {"spec", "jobTemplate", "spec", "template", "spec"},
	K8sPod:         {"spec"},
	CNPGPooler:     {"spec", "template", "spec"},
	ECKKibana:      {"spec", "podTemplate", "spec"},
}

// podSpec is one pod template found in a workload, with a label for messages.
type podSpec struct {
	where string
	spec  resource.PropertyMap
}

// podSpecs returns the pod specs of a workload; ok is false when the type has none.
func (e *eval) podSpecs(r Resource) ([]podSpec, bool) {
	if r.Type == ECKElasticsearch {
		var out []podSpec
		for i, ns := range e.objs(r.Properties, "spec", "nodeSets") {
			name, _ := e.str(ns, "name")
			spec, _ := e.obj(ns, "podTemplate", "spec")
			out = append(out, podSpec{where: fmt.Sprintf("nodeSets[%d] %q podTemplate", i, name), spec: spec})
		}
		return out, true
	}
	path, ok := podSpecPaths[r.Type]
	if !ok {
		return nil, false
	}
	spec, _ := e.obj(r.Properties, path...)
	return []podSpec{{where: "pod template", spec: spec}}, true
}

func resourceLimits() Policy {
	return Policy{
		Name: "resource-limits",
		Description: "Every container of every workload declares CPU and memory requests and a memory limit, " +
			"so the scheduler can place it and one workload cannot starve the node (design document checklist: " +
			"resource requests and limits). A stack may cap memory limits per container.",
		Level: Mandatory,
		ConfigSchema: map[string]map[string]any{
			"maxMemoryLimitGiB": {
				"type": "number", "minimum": 0,
				"description": "Largest memory limit any one container may ask for, in GiB; 0 means no cap.",
			},
		},
		Resources: []string{K8sDeployment, K8sStatefulSet, K8sDaemonSet, K8sReplicaSet, K8sJob, K8sCronJob, K8sPod,
			CNPGCluster, CNPGPooler, ECKElasticsearch, ECKKibana, K8sHelmRelease},
		ValidateResource: func(r Resource, cfg Config) []Finding {
			e := newEval(r.URN)
			if r.Type == K8sHelmRelease {
				e.rule(func() { e.releaseResources(r, cfg) })
				return e.findings
			}
			if r.Type == CNPGCluster {
				// CloudNativePG runs every instance with the one spec.resources block.
				e.rule(func() {
					res, _ := e.obj(r.Properties, "spec", "resources")
					e.checkResources("spec.resources", res, cfg)
				})
				return e.findings
			}
			if _, ok := podSpecPaths[r.Type]; !ok && r.Type != ECKElasticsearch {
				return nil
			}
			e.rule(func() {
				specs, _ := e.podSpecs(r)
				if len(specs) == 0 {
					if r.Type == ECKElasticsearch {
						e.fail("Elasticsearch declares no nodeSets with a podTemplate; set resources on the elasticsearch container of each nodeSet")
					}
					return
				}
				for _, ps := range specs {
					containers := append(e.objs(ps.spec, "initContainers"), e.objs(ps.spec, "containers")...)
					if len(containers) == 0 {
						e.fail("%s declares no containers, so none has resources: add the container (by name) with resources.requests.cpu, resources.requests.memory and resources.limits.memory", ps.where)
						continue
					}
					for _, c := range containers {
						name, _ := e.str(c, "name")
						res, _ := e.obj(c, "resources")
						e.checkResources(fmt.Sprintf("%s container %q", ps.where, name), res, cfg)
					}
				}
			})
			return e.findings
		},
	}
}

// checkResources checks one container's resources block.
func (e *eval) checkResources(where string, res resource.PropertyMap, cfg Config) {
	var missing []string
	for _, p := range [][]string{{"requests", "cpu"}, {"requests", "memory"}, {"limits", "memory"}} {
		if _, ok := e.str(res, p...); !ok {
			missing = append(missing, "resources."+p[0]+"."+p[1])
		}
	}
	if len(missing) > 0 {
		e.fail("%s has no %s", where, joinAnd(missing))
	}
	if cfg.MaxMemoryLimitGiB > 0 {
		if s, ok := e.str(res, "limits", "memory"); ok {
			q, err := parseQuantity(s)
			switch {
			case err != nil:
				e.fail("%s: %v", where, err)
			case q > cfg.MaxMemoryLimitGiB*(1<<30):
				e.fail("%s memory limit %s exceeds the stack's cap of %gGi (maxMemoryLimitGiB)", where, s, cfg.MaxMemoryLimitGiB)
			}
		}
	}
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	out := ""
	for i, x := range xs {
		switch {
		case i == 0:
			out = x
		case i == len(xs)-1:
			out += " and " + x
		default:
			out += ", " + x
		}
	}
	return out
}
