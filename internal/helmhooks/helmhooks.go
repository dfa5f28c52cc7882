// Package helmhooks lists chart values that would make the platform depend on a resource a chart
// renders only as a Helm hook. pulumi-kubernetes' helm.v4.Chart renders no hooks at all
// (pulumi-kubernetes@v4.32.0 provider/pkg/provider/helm/v4/chart.go: cmd.DisableHooks = true), so
// such a resource never exists and whatever mounts or calls it never starts. Tests check each
// chart's values with Violations.
//
// Survey of the charts the platform installs (templates carrying helm.sh/hook):
//   - kube-prometheus-stack 88.5.3: the operator's admission Secret and webhook patch — Rules below.
//   - cert-manager v1.21.1: startupapicheck (a check only) — off in components/edge/envoygateway.
//   - gateway-helm v1.9.0: certgen (the control plane's certificates) and the topology injector's
//     webhook — the platform creates the certificates and turns the injector off (envoygateway).
//   - external-secrets 2.9.0, cloudnative-pg (0.28.3 and 0.29.0), plugin-barman-cloud 0.7.0,
//     aws-load-balancer-controller 3.5.0, external-dns (1.21.1, the newest in the mirror): none.
//   - airbyte 2.0.19: env-configmap.yaml (<release>-airbyte-env, read through non-optional
//     configMapKeyRef by every Airbyte pod), secret.yaml (<release>-airbyte-secrets) and the
//     bootloader Pod (database migrations) are pre-install,pre-upgrade hooks with no value that turns
//     them into plain objects. components/airbyte therefore installs this chart as a helm/v3 Release
//     (a real Helm install and upgrade, hooks included: components/airbyte/release.go), not a
//     helm.v4.Chart; no rule here.
//   - alb-controller (Application Gateway for Containers) 1.12.1: not checked (OCI chart, no source).
package helmhooks

import (
	"fmt"
	"sort"
	"strings"
)

// Rule is one value path and the value it must have under helm.v4.Chart, with the hook it avoids.
type Rule struct {
	// Path is the dotted values path, e.g. "prometheusOperator.tls.enabled".
	Path string
	// Want is the value the path must hold.
	Want any
	// Default is the chart's default, assumed when the path is absent.
	Default any
	// Why names the hook template and what depends on it.
	Why string
}

// Rules per chart name. Each is checked against the chart at the version the platform pins.
var Rules = map[string][]Rule{
	// prometheus-community/helm-charts@cf408a29 charts/kube-prometheus-stack 88.5.3.
	"kube-prometheus-stack": {
		{Path: "prometheusOperator.tls.enabled", Want: false, Default: true,
			Why: "the operator's Deployment mounts Secret <release>-admission, written only by admission-webhooks/job-patch/job-createSecret.yaml (helm.sh/hook: pre-install,pre-upgrade)"},
		{Path: "prometheusOperator.admissionWebhooks.enabled", Want: false, Default: true,
			Why: "the webhook configurations get their caBundle only from admission-webhooks/job-patch/job-patchWebhook.yaml (helm.sh/hook: post-install,post-upgrade)"},
	},
}

// Violations returns one message per rule of chart the values break; none for an unknown chart.
func Violations(chart string, values map[string]any) []string {
	var out []string
	for _, r := range Rules[chart] {
		got, ok := lookup(values, r.Path)
		if !ok {
			got = r.Default
		}
		if got != r.Want {
			out = append(out, fmt.Sprintf("%s: %s = %v, must be %v under helm.v4.Chart: %s", chart, r.Path, got, r.Want, r.Why))
		}
	}
	sort.Strings(out)
	return out
}

func lookup(values map[string]any, path string) (any, bool) {
	var cur any = values
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}
