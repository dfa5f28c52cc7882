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
