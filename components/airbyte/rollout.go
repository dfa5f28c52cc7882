package airbyte

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ConfigHashAnnotation is the pod annotation carrying a digest of the chart's global values.
//
// Chart 2.0.19 feeds almost every setting (global.*: database host and URL, storage, jobs
// resources, tolerations and node selectors, workloads, airbyteUrl, auth) through configMapKeyRef
// into the hook ConfigMap <release>-airbyte-env (templates/config/_*.tpl, templates/env-configmap.yaml),
// and no template carries a checksum annotation. A `helm upgrade` recreates that ConfigMap in its
// pre-upgrade hook, but a Deployment whose pod template did not change rolls nothing, so the running
// pods keep the old environment. The digest of the global values in each service's pod template
// (<service>.podAnnotations, rendered as spec.template.metadata.annotations by every Deployment and
// StatefulSet template listed in podAnnotationServices) changes the template with them, and the
// Deployments roll after the hook has rewritten the ConfigMap.
const ConfigHashAnnotation = "dataplatform.io/airbyte-config-hash"

// podAnnotationServices are the chart services whose template renders <key>.podAnnotations (chart
// 2.0.19 templates/airbyte-<component>/deployment.yaml or statefulset.yaml; keycloakSetup is a Job of
// the enterprise edition and the bootloader a hook Pod recreated on every upgrade).
var podAnnotationServices = []string{
	"server", "worker", "workloadLauncher", "workloadApiServer", "temporal", "temporalUi", "cron",
	"connectorBuilderServer", "manifestServer", "webapp", "metrics", "keycloak",
	"connectorRolloutWorker", "featureflagServer",
}

// addConfigHash sets ConfigHashAnnotation on every service of podAnnotationServices.
func addConfigHash(values pulumi.Map) {
	digest := values["global"].(pulumi.Map).ToMapOutput().ApplyT(func(g map[string]interface{}) (string, error) {
		raw, err := json.Marshal(g) // encoding/json sorts map keys: the digest is stable
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(raw)
		return hex.EncodeToString(sum[:16]), nil
	}).(pulumi.StringOutput)
	for _, key := range podAnnotationServices {
		svc := values[key].(pulumi.Map)
		ann, _ := svc["podAnnotations"].(pulumi.StringMap)
		if ann == nil {
			ann = pulumi.StringMap{}
		}
		ann[ConfigHashAnnotation] = digest
		svc["podAnnotations"] = ann
	}
}
