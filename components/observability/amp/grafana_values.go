package amp

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"sigs.k8s.io/yaml"

	"github.com/opendataplatform/dataplatform/components/cluster"
)

// Every key below is checked against grafana-community/helm-charts@864f7794 charts/grafana/values.yaml
// (chart 12.11.1) and the templates it feeds (templates/_pod.tpl, _config.tpl, role.yaml).

// grafanaSingletonAnnotation marks a Deployment that must run one replica; the policy pack's
// stateless-replicas rule exempts it when the value (the reason) is not empty
// (policy/policies/stack.go SingletonAnnotation).
const grafanaSingletonAnnotation = "dataplatform.io/singleton"

// grafanaValues renders the chart values. The data source URL and the proxy's upstream host come from
// the workspace's endpoint, an output.
func grafanaValues(a *GrafanaArgs) (pulumi.Map, error) {
	res := cluster.ResourceValues
	endpoint := a.PrometheusEndpoint.ToStringOutput()
	proxy := endpoint.ApplyT(func(ep string) (string, error) {
		host, _, err := GrafanaEndpoint(ep)
		if err != nil {
			return "", err
		}
		return SigV4ProxyContainer(a.Region, host)
	}).(pulumi.StringOutput)
	datasourceURL := endpoint.ApplyT(func(ep string) (string, error) {
		_, path, err := GrafanaEndpoint(ep)
		return fmt.Sprintf("http://127.0.0.1:%d%s", SigV4ProxyPort, path), err
	}).(pulumi.StringOutput)

	// grafana.ini keys: grafana conf/defaults.ini ([analytics] reporting_enabled, check_for_updates,
	// check_for_plugin_updates; [plugins] preinstall_disabled, preinstall_auto_update; [users]
	// allow_sign_up; [auth.anonymous] enabled; [snapshots]
	// external_enabled; [server] domain, root_url; [security] cookie_secure, strict_transport_security).
	ini := pulumi.Map{
		// No snapshot of a dashboard published to snapshots.raintank.io (the default's target).
		"snapshots": pulumi.Map{"external_enabled": pulumi.Bool(false)},
		"analytics": pulumi.Map{"reporting_enabled": pulumi.Bool(false), "check_for_updates": pulumi.Bool(false), "check_for_plugin_updates": pulumi.Bool(false)},
		"users":     pulumi.Map{"allow_sign_up": pulumi.Bool(false)},
		// Grafana's own login is the authentication: anonymous access and sign-up off, the admin from
		// the store.
		"auth.anonymous": pulumi.Map{"enabled": pulumi.Bool(false)},
		// Nothing is installed from grafana.com at start: Grafana 13.2 ships its data sources as
		// standalone plugins, bundled in the image and by default replaced by the catalog's latest on
		// every restart ("Starting with Grafana v13.2, the … data source is a standalone plugin,
		// preinstalled … Grafana automatically checks the plugin catalog and installs the latest version
		// on each server restart. Opt out of auto-updates: set preinstall_auto_update to false", grafana
		// docs v13.2 datasources "Plugin updates"), and it downloads its default preinstall apps
		// (pkg/setting/setting_plugins.go defaultPreinstallPlugins) unless preinstall_disabled. The
		// bundled versions of the pinned image run; the dashboards use none of the apps.
		"plugins": pulumi.Map{"preinstall_auto_update": pulumi.Bool(false), "preinstall_disabled": pulumi.Bool(true)},
	}
	if a.Domain != "" {
		host := GrafanaHost + "." + a.Domain
		ini["server"] = pulumi.Map{"domain": pulumi.String(host), "root_url": pulumi.String("https://" + host + "/")}
		// Served over HTTPS only (the edge redirects :80): the session cookie is never sent in clear.
		ini["security"] = pulumi.Map{"cookie_secure": pulumi.Bool(true), "strict_transport_security": pulumi.Bool(true)}
	}
	v := pulumi.Map{
		"fullnameOverride": pulumi.String(GrafanaService),
		// One replica: Grafana keeps users, sessions and settings in a local SQLite file (persistence
		// off, no shared database), which replicas would each hold apart; the dashboards and the data
		// source are provisioned, so a restarted pod loses only sessions. annotations → the
		// Deployment's metadata.annotations (templates/deployment.yaml).
		"replicas":    pulumi.Int(1),
		"annotations": pulumi.Map{grafanaSingletonAnnotation: pulumi.String("Grafana keeps users, sessions and settings in a local SQLite file (persistence off, no shared database): replicas would diverge")},
		"persistence": pulumi.Map{"enabled": pulumi.Bool(false)},
		// The ServiceAccount the Pod Identity association names.
		"serviceAccount": pulumi.Map{"create": pulumi.Bool(true), "name": pulumi.String(GrafanaService)},
		// The sidecar reads ConfigMaps in Grafana's own namespace only: a Role there (role.yaml, rbac.
		// namespaced), not a ClusterRole over every namespace's ConfigMaps and Secrets.
		"rbac":          pulumi.Map{"create": pulumi.Bool(true), "namespaced": pulumi.Bool(true)},
		"testFramework": pulumi.Map{"enabled": pulumi.Bool(false)},
		"service":       pulumi.Map{"port": pulumi.Int(GrafanaPort), "targetPort": pulumi.Int(GrafanaPort)},
		"admin": pulumi.Map{
			"existingSecret": pulumi.String(grafanaAdminSecret),
			"userKey":        pulumi.String("admin-user"),
			"passwordKey":    pulumi.String("admin-password"),
		},
		"sidecar": pulumi.Map{
			// searchNamespace unset: the release's namespace (_pod.tpl NAMESPACE only when set).
			"dashboards": pulumi.Map{
				"enabled": pulumi.Bool(true), "label": pulumi.String(GrafanaDashboardLabel), "labelValue": pulumi.String("1"),
				"resource": pulumi.String("configmap"),
			},
			"resources": res("10m", "64Mi", "100m", "128Mi"),
		},
		"resources": res("50m", "128Mi", "500m", "512Mi"),
		// datasources.<file> → the ConfigMap mounted at /etc/grafana/provisioning/datasources/<file>
		// (_config.tpl, _pod.tpl). The core Prometheus type without SigV4, on the proxy.
		"datasources": pulumi.Map{"datasources.yaml": pulumi.Map{
			"apiVersion": pulumi.Int(1),
			"datasources": pulumi.Array{pulumi.Map{
				"name": pulumi.String("Amazon Managed Service for Prometheus"), "uid": pulumi.String(GrafanaDatasourceUID),
				"type": pulumi.String("prometheus"), "access": pulumi.String("proxy"), "url": datasourceURL,
				"isDefault": pulumi.Bool(true), "editable": pulumi.Bool(false),
				// The collector's interval (MinInterval), so $__rate_interval spans at least four scrapes.
				"jsonData": pulumi.Map{"httpMethod": pulumi.String("POST"), "timeInterval": pulumi.String("30s")},
			}},
		}},
		// extraContainers: a string the chart renders with tpl into the pod's containers (_pod.tpl).
		"extraContainers": proxy,
		"grafana.ini":     ini,
	}
	return a.Scheduling.PlaceValues(v), nil
}

// SigV4ProxyContainer is the aws-sigv4-proxy container (YAML, one list item): it listens on the pod's
// loopback only and forwards to host, signing for service "aps" in region. Flags:
// awslabs/aws-sigv4-proxy@ed72b374 cmd/aws-sigv4-proxy/main.go (--name "AWS Service to sign for",
// --region "AWS region to sign for", --host "Host to proxy to", --port "TCP network address (port
// and optional ip/hostname)"); with --name and --region set, the handler signs with them and forwards
// over https (handler/proxy_client.go Do). The image is FROM scratch with the binary as ENTRYPOINT
// (Dockerfile), so it runs as the pod's non-root user with a read-only root filesystem. No probe: it
// serves no health path and listens on loopback, which the kubelet's probes cannot reach; Grafana's
// data source health shows it.
func SigV4ProxyContainer(region, host string) (string, error) {
	c := map[string]any{
		"name":  "aws-sigv4-proxy",
		"image": SigV4ProxyImage,
		"args": []string{
			"--name", "aps", "--region", region, "--host", host,
			"--port", fmt.Sprintf("127.0.0.1:%d", SigV4ProxyPort),
		},
		"resources": map[string]any{
			"requests": map[string]string{"cpu": "10m", "memory": "32Mi"},
			"limits":   map[string]string{"cpu": "200m", "memory": "128Mi"},
		},
		"securityContext": map[string]any{
			"runAsNonRoot": true, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
			"capabilities":   map[string]any{"drop": []string{"ALL"}},
			"seccompProfile": map[string]string{"type": "RuntimeDefault"},
		},
	}
	b, err := yaml.Marshal([]any{c})
	return string(b), err
}
