package envoygateway

import (
	"net/netip"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
)

// envoyProxySpec configures the proxies Envoy Gateway deploys for the class (envoyproxy/gateway@v1.9.0
// api/v1alpha1/envoyproxy_types.go EnvoyProxyKubernetesProvider; shared_types.go
// KubernetesDeploymentSpec, KubernetesPodDisruptionBudgetSpec, KubernetesServiceSpec).
func envoyProxySpec(ha bool, s cluster.Scheduling, svc ProxyService, sourceRanges []string) pulumi.Map {
	k8s := pulumi.Map{
		"envoyDeployment": pulumi.Map{
			"replicas":  pulumi.Int(replicas(ha)),
			"container": pulumi.Map{"resources": cluster.ResourceValues("100m", "128Mi", "2", "1Gi")},
			"pod":       s.PlaceValues(pulumi.Map{}),
		},
		"envoyService": envoyServiceSpec(svc, sourceRanges),
	}
	if ha {
		k8s["envoyPDB"] = pulumi.Map{"minAvailable": pulumi.Int(1)}
	}
	return pulumi.Map{"provider": pulumi.Map{"type": pulumi.String("Kubernetes"), "kubernetes": k8s}}
}

// envoyServiceSpec is the EnvoyProxy's envoyService (envoyproxy/gateway@v1.9.0
// api/v1alpha1/shared_types.go KubernetesServiceSpec):
//   - type LoadBalancer with externalTrafficPolicy Local (Envoy Gateway's default,
//     api/v1alpha1/kubernetes_helpers.go DefaultKubernetesServiceExternalTrafficPolicy, stated): the
//     proxies see the client's address, which the source-range SecurityPolicy needs; Azure's and
//     GCP's passthrough load balancers keep it with Local.
//   - annotations: "appended to the service" — the cloud load balancer controller's settings.
//   - loadBalancerIP: the static IPv4 address (the CRD's CEL admits IPv4 only); deprecated in
//     Kubernetes "but still used for setting the IP Address in some cloud providers such as GCP".
//   - loadBalancerSourceRanges: "configured as firewall rules on the platform providers load
//     balancer"; only the IPv4 ranges, since the Service (and the address) is IPv4 and a cloud
//     firewall rule may not mix the families (docs.cloud.google.com/firewall/docs/using-firewalls:
//     "A firewall rule can contain either IPv4 or IPv6 ranges, but not both"). Left out when no
//     IPv4 range remains (then only Envoy filters, on the address it sees).
func envoyServiceSpec(svc ProxyService, sourceRanges []string) pulumi.Map {
	m := pulumi.Map{"type": pulumi.String("LoadBalancer"), "externalTrafficPolicy": pulumi.String("Local")}
	if svc.Annotations != nil {
		m["annotations"] = svc.Annotations
	}
	if svc.LoadBalancerIP != nil {
		m["loadBalancerIP"] = svc.LoadBalancerIP
	}
	if svc.EnforceSourceRanges {
		if v4 := ipv4Ranges(sourceRanges); len(v4) > 0 {
			m["loadBalancerSourceRanges"] = pulumi.ToStringArray(v4)
		}
	}
	return m
}

// ipv4Ranges keeps the IPv4 CIDR blocks (validated beforehand).
func ipv4Ranges(ranges []string) []string {
	var out []string
	for _, r := range ranges {
		if p, err := netip.ParsePrefix(r); err == nil && p.Addr().Is4() {
			out = append(out, r)
		}
	}
	return out
}
