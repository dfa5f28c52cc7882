package envoygateway

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
)

// resources renders requests and limits.
func replicas(ha bool) int {
	if ha {
		return 2
	}
	return 1
}

// certManagerValues are the cert-manager chart values, each checked against
// cert-manager/cert-manager@v1.21.1 deploy/charts/cert-manager/values.yaml:
//   - crds.enabled: true (default false: "decides if the CRDs should be installed"); crds.keep stays
//     true (default), so uninstalling the chart never garbage-collects every Certificate.
//   - replicaCount, webhook.replicaCount, cainjector.replicaCount: 1, 2 in prod ("in production set
//     this to 2 or 3"); podDisruptionBudget.enabled + minAvailable for each when there are two.
//   - resources, webhook.resources, cainjector.resources (default {}): requests and limits.
//   - global.leaderElection.namespace (default "kube-system"): cert-manager's own namespace, so its
//     leader-election Role does not live in kube-system.
//   - startupapicheck.enabled: false — it is a post-install hook Job, which helm/v4 Chart does not
//     render anyway; the Edge waits on the chart's Deployments instead.
//   - securityContext/containerSecurityContext defaults are kept: runAsNonRoot, seccomp
//     RuntimeDefault, no privilege escalation, all capabilities dropped, read-only root filesystem.
//   - tolerations / nodeSelector (and per component): the platform's scheduling. The default
//     nodeSelector kubernetes.io/os: linux is kept when the platform sets none.
//
// Gateway API support (config.gatewayAPI / --enable-gateway-api) stays off: the Edge writes its
// Certificate objects itself instead of letting the gateway-shim derive them from Gateway annotations,
// and ACME runs DNS-01, so cert-manager never creates HTTPRoutes.
func certManagerValues(ha bool, s cluster.Scheduling) pulumi.Map {
	n := replicas(ha)
	pdb := func() pulumi.Map {
		if !ha {
			return pulumi.Map{"enabled": pulumi.Bool(false)}
		}
		return pulumi.Map{"enabled": pulumi.Bool(true), "minAvailable": pulumi.Int(1)}
	}
	component := func(cpuReq, memReq, cpuLim, memLim string) pulumi.Map {
		return s.PlaceValues(pulumi.Map{
			"replicaCount":        pulumi.Int(n),
			"podDisruptionBudget": pdb(),
			"resources":           cluster.ResourceValues(cpuReq, memReq, cpuLim, memLim),
		})
	}
	values := component("50m", "128Mi", "500m", "512Mi")
	values["crds"] = pulumi.Map{"enabled": pulumi.Bool(true), "keep": pulumi.Bool(true)}
	values["global"] = pulumi.Map{"leaderElection": pulumi.Map{"namespace": pulumi.String(CertManagerNamespace)}}
	values["webhook"] = component("20m", "64Mi", "250m", "128Mi")
	values["cainjector"] = component("20m", "128Mi", "250m", "512Mi")
	values["startupapicheck"] = pulumi.Map{"enabled": pulumi.Bool(false)}
	return values
}

// envoyGatewayValues are the gateway-helm chart values, each checked against envoyproxy/gateway@v1.9.0
// charts/gateway-helm/values.tmpl.yaml (the published chart's values.yaml):
//   - crds.enabled: true (the default, stated): the chart's crds sub-chart (Chart.yaml dependency
//     crds, condition crds.enabled) installs the Gateway API CRDs (charts/crds/crds/gatewayapi-crds.yaml:
//     bundle-version v1.6.1, channel experimental), Envoy Gateway's own and the safe-upgrades
//     ValidatingAdmissionPolicy. Nothing else on the kubernetes target installs them: one owner.
//     false where the cluster's provider owns the Gateway API CRDs (ControllersArgs.ProviderGatewayAPI):
//     the sub-chart is off as a whole, and envoyGatewayCRDsValues brings Envoy Gateway's own.
//   - deployment.replicas: 1, 2 in prod; podDisruptionBudget.minAvailable: 1 with two (default 0,
//     and templates/envoy-gateway-poddisruptionbudget.yaml renders none below 1).
//   - deployment.envoyGateway.resources: the chart's requests (100m / 256Mi) and memory limit
//     (1024Mi), plus a CPU limit.
//   - deployment.envoyGateway.securityContext and deployment.pod.securityContext defaults are kept:
//     runAsNonRoot, uid/gid 65532, seccomp RuntimeDefault, read-only root filesystem, ALL dropped.
//   - deployment.pod.tolerations / nodeSelector: the platform's scheduling.
//   - topologyInjector.enabled: false — its MutatingWebhookConfiguration is a pre-install hook
//     (templates/envoy-proxy-topology-injector-webhook.yaml) that helm/v4 Chart does not render.
//   - config.envoyGateway: the default (controller name gateway.envoyproxy.io/gatewayclass-controller,
//     provider Kubernetes, ControllerNamespace deploy mode).
func envoyGatewayValues(ha bool, s cluster.Scheduling, crds bool) pulumi.Map {
	minAvailable := 0
	if ha {
		minAvailable = 1
	}
	return pulumi.Map{
		// The chart's safe-upgrades ValidatingAdmissionPolicy renders only when `lookup` finds none or
		// a Helm-labelled one; a Helm v4 Chart never labels it, so it would flip on every `up`
		// (charts/gateway-helm/charts/crds/templates/gatewayapi-safe-upgrade-policy.yaml; v1.9.0
		// release notes: disable it where something else owns the CRDs' upgrades).
		"crds": pulumi.Map{"enabled": pulumi.Bool(crds), "gatewayAPI": pulumi.Map{"safeUpgradePolicy": pulumi.Map{"enabled": pulumi.Bool(false)}}},
		"deployment": pulumi.Map{
			"replicas": pulumi.Int(replicas(ha)),
			"envoyGateway": pulumi.Map{
				"resources": cluster.ResourceValues("100m", "256Mi", "1", "1024Mi"),
			},
			"pod": s.PlaceValues(pulumi.Map{}),
		},
		"podDisruptionBudget": pulumi.Map{"minAvailable": pulumi.Int(minAvailable)},
		"topologyInjector":    pulumi.Map{"enabled": pulumi.Bool(false)},
	}
}

// envoyGatewayCRDsValues are the gateway-crds-helm chart values (envoyproxy/gateway@v1.9.0
// charts/gateway-crds-helm/values.yaml, both false by default): Envoy Gateway's own CRDs
// (templates/generated/*.yaml, rendered under crds.envoyGateway.enabled) and not the Gateway API's
// (templates/standard-gatewayapi-crds.yaml and experimental-…, rendered only under
// crds.gatewayAPI.enabled) — charts/gateway-helm/README.md "Skip install CRDs": "If your Kubernetes
// provider manages compatible Gateway API CRDs, install only the Envoy Gateway CRDs".
func envoyGatewayCRDsValues() pulumi.Map {
	return pulumi.Map{"crds": pulumi.Map{
		"gatewayAPI":   pulumi.Map{"enabled": pulumi.Bool(false)},
		"envoyGateway": pulumi.Map{"enabled": pulumi.Bool(true)},
	}}
}

// withIdentity adds cert-manager's workload identity to its chart values
// (cert-manager@v1.21.1 deploy/charts/cert-manager/values.yaml): serviceAccount.annotations (rendered
// onto the ServiceAccount by templates/serviceaccount.yaml), podLabels (the controller's pods) and
// extraArgs --issuer-ambient-credentials (cmd/controller/app/options/options.go), which the cloud
// DNS-01 solvers of a namespaced Issuer need. serviceAccount.create stays true (the default).
func withIdentity(values pulumi.Map, id *CertManagerIdentity) pulumi.Map {
	if id == nil {
		return values
	}
	if id.ServiceAccountAnnotations != nil {
		values["serviceAccount"] = pulumi.Map{"annotations": id.ServiceAccountAnnotations}
	}
	if len(id.PodLabels) > 0 {
		values["podLabels"] = pulumi.ToStringMap(id.PodLabels)
	}
	values["extraArgs"] = pulumi.ToStringArray([]string{"--issuer-ambient-credentials"})
	return values
}
