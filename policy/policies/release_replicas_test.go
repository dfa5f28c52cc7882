package policies

import "testing"

// TestStatelessReplicasRelease: in prod an airbyte Release is held to stateless-replicas through its
// values — every service ≥ 2 replicas, or exactly 1 with a singleton reason in its annotations.
func TestStatelessReplicasRelease(t *testing.T) {
	release := func(temporal M) Resource {
		svc := func(n int) M { return M{"replicaCount": n} }
		return res(K8sHelmRelease, "airbyte-release", M{"chart": "airbyte", "values": M{
			"server": svc(2), "worker": svc(2), "workloadLauncher": svc(2), "workloadApiServer": svc(2),
			"cron": svc(2), "connectorBuilderServer": svc(2), "manifestServer": svc(2), "temporal": temporal,
		}})
	}
	why := M{SingletonAnnotation: "auto-setup migrates the schema on start"}
	runPolicy(t, "stateless-replicas", []tc{
		{name: "every service 2, temporal a singleton with reason", rs: []Resource{release(M{"replicaCount": 1, "annotations": why})}},
		{name: "temporal 1 without reason", rs: []Resource{release(M{"replicaCount": 1})}, want: `chart "airbyte" values temporal.replicaCount is 1`},
		{name: "temporal replicaCount unset", rs: []Resource{release(M{})}, want: `chart "airbyte" values temporal.replicaCount is 1`},
		{name: "empty reason", rs: []Resource{release(M{"replicaCount": 1, "annotations": M{SingletonAnnotation: " "}})}, want: "needs a reason"},
		{name: "singleton with 2", rs: []Resource{release(M{"replicaCount": 2, "annotations": why})}, want: "a singleton runs exactly 1"},
		{name: "dev needs neither", env: Dev, rs: []Resource{release(M{"replicaCount": 1})}},
		{name: "another chart is not read", rs: []Resource{res(K8sHelmRelease, "x", M{"chart": "other", "values": M{"server": M{"replicaCount": 1}}})}},
	})
}
