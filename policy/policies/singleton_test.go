package policies

import "testing"

// TestStatelessReplicasSingleton: a one-replica Deployment annotated dataplatform.io/singleton with
// a reason needs neither a second replica nor a PDB; an empty reason, or the annotation on more than
// one replica, fails; without the annotation the rule is unchanged.
func TestStatelessReplicasSingleton(t *testing.T) {
	labels := M{"app": "operator"}
	dep := func(replicas any, annotations M) Resource {
		meta := M{"name": "operator", "namespace": "monitoring"}
		if annotations != nil {
			meta["annotations"] = annotations
		}
		spec := M{"selector": M{"matchLabels": labels}, "template": podTemplate(labels, container("op", false))}
		if replicas != nil {
			spec["replicas"] = replicas
		}
		return res(K8sDeployment, "operator", M{"metadata": meta, "spec": spec})
	}
	why := M{SingletonAnnotation: "one reconciling controller"}
	runPolicy(t, "stateless-replicas", []tc{
		{name: "singleton with reason", rs: []Resource{dep(1, why)}},
		{name: "singleton, replicas unset (1)", rs: []Resource{dep(nil, why)}},
		{name: "no annotation", rs: []Resource{dep(1, M{"other": "x"})}, want: "Deployment monitoring/operator runs 1 replica(s)"},
		{name: "empty reason", rs: []Resource{dep(1, M{SingletonAnnotation: " "})}, want: "annotation dataplatform.io/singleton needs a reason"},
		{name: "singleton with 2 replicas", rs: []Resource{dep(2, why)}, want: "is annotated dataplatform.io/singleton but runs 2 replicas"},
	})
}
