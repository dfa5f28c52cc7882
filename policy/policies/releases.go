package policies

import (
	"fmt"
	"strings"
)

// K8sHelmRelease is pulumi-kubernetes' helm/v3 Release: one resource for a whole Helm release, whose
// rendered Deployments CrossGuard never sees (the provider installs them itself). Where a release's
// containers are sized is known per chart, so resource-limits checks those values instead.
const K8sHelmRelease = "kubernetes:helm.sh/v3:Release"

// releaseResourceValues lists, per chart, the values paths of every container block the chart sizes
// from `<path>.resources`. airbyte (chart 2.0.19): each long-running service of the community edition
// (templates/airbyte-<service>/deployment.yaml `resources: {{ toYaml .Values.<key>.resources }}`),
// the bootloader hook Pod (templates/airbyte-bootloader/pod.yaml) and the job pods the launcher starts
// (global.jobs.resources → JOB_MAIN_CONTAINER_* in templates/config/_jobs.tpl).
var releaseResourceValues = map[string][][]string{
	"airbyte": {
		{"server"}, {"worker"}, {"workloadLauncher"}, {"workloadApiServer"}, {"temporal"}, {"cron"},
		{"connectorBuilderServer"}, {"airbyteBootloader"}, {"global", "jobs"},
	},
}

// releaseResources checks the values of a Release whose chart releaseResourceValues knows; a Release of
// another chart passes unchecked.
func (e *eval) releaseResources(r Resource, cfg Config) {
	chart, ok := e.str(r.Properties, "chart")
	if !ok {
		return
	}
	for _, path := range releaseResourceValues[chart] {
		full := append(append([]string{"values"}, path...), "resources")
		res, _ := e.obj(r.Properties, full...)
		e.checkResources(fmt.Sprintf("chart %q values %s", chart, strings.Join(full[1:], ".")), res, cfg)
	}
}

// releaseReplicaValues lists, per chart, the values of each Deployment's replica count and annotations
// (airbyte chart 2.0.19: templates/airbyte-<service>/deployment.yaml `replicas: {{ .Values.<key>.replicaCount }}`;
// only temporal's template renders `.Values.temporal.annotations` on the Deployment).
var releaseReplicaValues = map[string][]string{
	"airbyte": {"server", "worker", "workloadLauncher", "workloadApiServer", "temporal", "cron", "connectorBuilderServer", "manifestServer"},
}

// releaseReplicas checks, for a Release whose chart releaseReplicaValues knows, what stateless-replicas
// checks of a Deployment: at least 2 replicas, or exactly 1 with a singleton reason in the service's
// annotations. A missing replicaCount is the chart's default, which is 1.
func (e *eval) releaseReplicas(r Resource) {
	chart, ok := e.str(r.Properties, "chart")
	if !ok {
		return
	}
	for _, key := range releaseReplicaValues[chart] {
		replicas, ok := e.num(r.Properties, "values", key, "replicaCount")
		if !ok {
			replicas = 1
		}
		where := fmt.Sprintf("chart %q values %s", chart, key)
		if reason, marked := e.strMap(r.Properties, "values", key, "annotations")[SingletonAnnotation]; marked {
			switch {
			case strings.TrimSpace(reason) == "":
				e.fail("%s: annotation %s needs a reason (why it must run one replica)", where, SingletonAnnotation)
			case replicas != 1:
				e.fail("%s is annotated %s but runs %v replicas: a singleton runs exactly 1", where, SingletonAnnotation, replicas)
			}
			continue
		}
		if replicas < 2 {
			e.fail("%s.replicaCount is %v: prod needs ≥ 2 (or annotations %s: <reason> on a true singleton)", where, replicas, SingletonAnnotation)
		}
	}
}
