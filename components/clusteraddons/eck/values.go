package eck

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
)

// Values are the chart values, each checked against deploy/eck-operator/values.yaml and templates at
// v3.5.0:
//   - installCRDs: true (default, stated): the eck-operator-crds 3.5.0 subchart installs the CRDs.
//   - image {repository, tag}: the pinned operator image (templates/_helpers.tpl
//     eck-operator.imageReference).
//   - replicaCount 1, 2 in prod; config.enableLeaderElection: true (default; templates/validate-chart.yaml
//     fails more than one replica without it); podDisruptionBudget {enabled, minAvailable: 1} with two
//     (templates/pdb.yaml).
//   - managedNamespaces: the namespaces the operator watches (templates/configmap.yaml "namespaces").
//     createClusterScopedResources stays true (default): the webhook and the storage-class validation
//     need it (templates/validate-chart.yaml).
//   - resources: requests 100m/150Mi as the chart's default, memory limit 1Gi = the default limit,
//     CPU limit 1.
//   - podSecurityContext: the default runAsNonRoot plus seccompProfile RuntimeDefault (rendered
//     verbatim, templates/statefulset.yaml), so the namespace can enforce "restricted"; the default
//     container securityContext (no escalation, ALL dropped, read-only root) is kept.
//   - telemetry.disabled: true — the operator would otherwise report usage to Elastic
//     (templates/configmap.yaml disable-telemetry); its egress is denied anyway.
//   - webhook: enabled with manageCerts (defaults): the operator issues its own webhook certificate,
//     no cert-manager; failurePolicy Ignore (default) so a down operator never blocks the API.
//   - serviceAccount.create (default) under the fullname elastic-operator.
func Values(a *Args) pulumi.Map {
	n := 1
	if a.HighAvailability {
		n = 2
	}
	v := a.Scheduling.PlaceValues(pulumi.Map{
		"installCRDs":  pulumi.Bool(true),
		"replicaCount": pulumi.Int(n),
		"image": pulumi.Map{
			"repository": pulumi.String(ImageRepository),
			"tag":        pulumi.String(ImageTag),
		},
		"managedNamespaces": pulumi.ToStringArray(a.ManagedNamespaces),
		"resources":         cluster.ResourceValues("100m", "150Mi", "1", "1Gi"),
		"podSecurityContext": pulumi.Map{
			"runAsNonRoot":   pulumi.Bool(true),
			"seccompProfile": pulumi.Map{"type": pulumi.String("RuntimeDefault")},
		},
		"podDisruptionBudget": pulumi.Map{"enabled": pulumi.Bool(a.HighAvailability), "minAvailable": pulumi.Int(1)},
		"serviceAccount":      pulumi.Map{"create": pulumi.Bool(true), "name": pulumi.String(ServiceAccount)},
		"telemetry":           pulumi.Map{"disabled": pulumi.Bool(true)},
		"webhook":             pulumi.Map{"enabled": pulumi.Bool(true), "manageCerts": pulumi.Bool(true), "port": pulumi.Int(WebhookPort)},
		"config":              pulumi.Map{"enableLeaderElection": pulumi.Bool(true)},
	})
	return v
}
