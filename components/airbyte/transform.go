package airbyte

import (
	"context"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// JobNamespaceEnv is the environment variable the workload launcher reads for the namespace it creates
// job pods in (airbyte-platform@v2.0.0 airbyte-workload-launcher/src/main/resources/application.yml:
// airbyte.worker.job.kube.namespace: ${JOB_KUBE_NAMESPACE:default}; used by pods/KubePodLauncher.kt
// .inNamespace(airbyteWorkerConfig.job.kubernetes.namespace) and by PodSweeper.kt).
//
// Chart 2.0.19 (appVersion 2.0.1) renders it, in the launcher, the server, the worker and the bootloader,
// as `valueFrom: fieldRef: metadata.namespace` (airbyte-platform@2.0.1 chart 2.0.19
// templates/config/_jobs.tpl, define "airbyte.jobs.kube.namespace.env"), so global.jobs.kube.namespace
// only reaches the unused ConfigMap key and global.workloads.namespace nothing at all. Adding the key
// through extraEnv would render the variable twice, which server-side apply rejects (env is a list
// keyed by name).
const JobNamespaceEnv = "JOB_KUBE_NAMESPACE"

// envConfigMap is the chart's ConfigMap every Airbyte container reads its configuration from
// (templates/env-configmap.yaml: name {{ .Release.Name }}-airbyte-env).
const envConfigMap = ReleaseName + "-airbyte-env"

// chartTransform rewrites the chart's rendered objects where a chart value cannot say what the platform
// needs. helm/v4 Chart children are registered by the kubernetes provider as children of the Chart
// component; a transform given to the Chart with pulumi.Transforms is applied by the engine to every one
// of them (pulumi@v3.274.1 sdk/go/pulumi/transform.go, ResourceTransform; the engine calls the
// registered callback for each descendant, including those of remote components).
//
//   - JOB_KUBE_NAMESPACE becomes the jobs namespace in every container that carries it, so job pods
//     (third-party connector code) run in the jobs namespace, not beside the platform.
//   - The worker Deployment loses spec.replicas: chart 2.0.19 always renders
//     `replicas: {{ .Values.worker.replicaCount }}` (templates/airbyte-worker/deployment.yaml), and a
//     field the program applies is taken back from the HorizontalPodAutoscaler on every update.
//     Without it the Deployment starts at 1 and the autoscaler alone owns the scale.
//   - DATABASE_URL in the env ConfigMap gets the libpq TLS parameters: the chart builds it as
//     jdbc:postgresql://host:port/name with nothing after it (templates/config/_database.tpl, define
//     "airbyte.database.url"), and pgjdbc then defaults to sslmode=prefer.
func chartTransform(jobsNamespace, databaseURLParams string) pulumi.ResourceTransform {
	return func(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		props := args.Props
		if props == nil {
			return nil
		}
		kind := str(props["kind"])
		name := str(mapAt(props, "metadata")["name"])
		changed := false
		switch kind {
		case "Deployment", "StatefulSet", "Job", "Pod":
			spec := mapAt(props, "spec")
			podSpec := spec
			if kind != "Pod" {
				podSpec = mapAt(mapAt(spec, "template"), "spec")
			}
			for _, key := range []string{"containers", "initContainers"} {
				for _, c := range arrayAt(podSpec, key) {
					if setEnv(asMap(c), JobNamespaceEnv, jobsNamespace) {
						changed = true
					}
				}
			}
			if kind == "Deployment" && name == ReleaseName+"-worker" && spec != nil {
				if _, ok := spec["replicas"]; ok {
					delete(spec, "replicas")
					changed = true
				}
			}
		case "ConfigMap":
			if name == envConfigMap && databaseURLParams != "" {
				data := mapAt(props, "data")
				if url := str(data["DATABASE_URL"]); url != "" && !strings.Contains(url, "?") {
					data["DATABASE_URL"] = pulumi.String(url + "?" + databaseURLParams)
					changed = true
				}
			}
		}
		if !changed {
			return nil
		}
		return &pulumi.ResourceTransformResult{Props: props, Opts: args.Opts}
	}
}

// setEnv replaces an existing variable's value (and any valueFrom) in a container; it reports whether
// the container had the variable.
func setEnv(container pulumi.Map, name, value string) bool {
	found := false
	for _, e := range arrayAt(container, "env") {
		env := asMap(e)
		if str(env["name"]) != name {
			continue
		}
		delete(env, "valueFrom")
		env["value"] = pulumi.String(value)
		found = true
	}
	return found
}

func asMap(v pulumi.Input) pulumi.Map {
	if m, ok := v.(pulumi.Map); ok {
		return m
	}
	return nil
}

func mapAt(m pulumi.Map, key string) pulumi.Map {
	if m == nil {
		return nil
	}
	return asMap(m[key])
}

func arrayAt(m pulumi.Map, key string) pulumi.Array {
	if m == nil {
		return nil
	}
	if a, ok := m[key].(pulumi.Array); ok {
		return a
	}
	return nil
}

func str(v pulumi.Input) string {
	if s, ok := v.(pulumi.String); ok {
		return string(s)
	}
	return ""
}
