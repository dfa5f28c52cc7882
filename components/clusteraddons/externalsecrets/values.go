package externalsecrets

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// Values are the chart values, each checked against values.yaml at helm-chart-2.9.0:
//   - installCRDs: true (the default, stated): templates/crds renders the external-secrets.io and
//     generators.external-secrets.io CRDs, served at v1 only (crds.unsafeServeV1Beta1: false);
//     crds.conversion.enabled: false (default): no conversion webhook to keep alive.
//   - replicaCount, webhook.replicaCount, certController.replicaCount: 1, 2 in prod; leaderElect:
//     true, so two controllers and two cert-controllers never reconcile at once
//     (templates/deployment.yaml and cert-controller-deployment.yaml: --enable-leader-election=true);
//     podDisruptionBudget.enabled with minAvailable 1 for each when there are two
//     (templates/*poddisruptionbudget.yaml).
//   - image, webhook.image, certController.image {repository, tag}: the pinned image.
//   - serviceAccount.name = secrets.OperatorServiceAccount, the identity the stores trust;
//     serviceAccount.annotations and podLabels: what the store asks (workload identity).
//   - resources (default {}): requests and limits for the three containers.
//   - processClusterExternalSecret, processClusterPushSecret, processPushSecret: false — the platform
//     uses none of them, and off they drop the controller's namespaces update/patch and
//     externalsecrets/pushsecrets create rights (templates/rbac.yaml); the reconciler sanity check
//     (templates/_helpers.tpl) allows PushSecrets off only with ClusterPushSecrets off.
//   - rbac.aggregateToEdit: false (default true: the chart's aggregate-to-edit ClusterRole gives every
//     namespace editor create/patch on ExternalSecrets). The ClusterSecretStore admits the platform's
//     namespaces, so an editor of the apps namespace could otherwise materialize any credential of
//     the stack there — the database administrator's included. Only cluster administrators (and
//     Pulumi) write ExternalSecrets; viewers still see them (aggregateToView kept).
//   - securityContext defaults are kept (non-root uid 1000, read-only root, ALL dropped, seccomp
//     RuntimeDefault); the webhook's certificate comes from the cert-controller
//     (webhook.certManager.enabled: false, default).
func Values(a *Args) pulumi.Map {
	n := 1
	if a.HighAvailability {
		n = 2
	}
	pdb := pulumi.Map{"enabled": pulumi.Bool(a.HighAvailability), "minAvailable": pulumi.Int(1)}
	image := func() pulumi.Map {
		return pulumi.Map{"repository": pulumi.String(ImageRepository), "tag": pulumi.String(ImageTag)}
	}
	component := func(res pulumi.Map) pulumi.Map {
		return a.Scheduling.PlaceValues(pulumi.Map{
			"replicaCount":        pulumi.Int(n),
			"image":               image(),
			"resources":           res,
			"podDisruptionBudget": pdb,
		})
	}
	sa := pulumi.Map{"create": pulumi.Bool(true), "name": pulumi.String(secrets.OperatorServiceAccount)}
	if a.Settings.ServiceAccountAnnotations != nil {
		sa["annotations"] = a.Settings.ServiceAccountAnnotations
	}
	v := component(cluster.ResourceValues("50m", "128Mi", "500m", "512Mi"))
	v["installCRDs"] = pulumi.Bool(true)
	v["crds"] = pulumi.Map{"conversion": pulumi.Map{"enabled": pulumi.Bool(false)}}
	v["leaderElect"] = pulumi.Bool(true)
	v["serviceAccount"] = sa
	if len(a.Settings.PodLabels) > 0 {
		v["podLabels"] = pulumi.ToStringMap(a.Settings.PodLabels)
	}
	v["rbac"] = pulumi.Map{"aggregateToEdit": pulumi.Bool(false)}
	v["processClusterExternalSecret"] = pulumi.Bool(false)
	v["processClusterPushSecret"] = pulumi.Bool(false)
	v["processPushSecret"] = pulumi.Bool(false)
	v["webhook"] = component(cluster.ResourceValues("20m", "64Mi", "250m", "128Mi"))
	v["certController"] = component(cluster.ResourceValues("20m", "64Mi", "250m", "256Mi"))
	return v
}
