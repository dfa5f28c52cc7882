package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/eks"
	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/amp"
	"github.com/opendataplatform/dataplatform/config"
)

// awsGrafana installs Grafana on EKS with the dashboards of spec, reading the AMP workspace
// (components/observability/amp grafana.go), and hands its route to the ALB edge when there is one:
// grafana.<domain>, TLS from the edge's ACM certificate, health-checked on /api/health, admitted from
// the load balancer's subnets only. Without the edge Grafana still runs (kubectl port-forward).
func awsGrafana(ctx *pulumi.Context, cfg *config.Platform, provider *aws.Provider, clusterName string, c *eks.Cluster, f *Foundation, obs *amp.Observability, spec observability.Spec) (*amp.Grafana, error) {
	args := &amp.GrafanaArgs{
		Dashboards:         spec.Dashboards,
		PrometheusEndpoint: obs.PrometheusEndpoint, WorkspaceARN: obs.WorkspaceARN, Region: cfg.Region,
		ClusterName: clusterName, Cluster: c.Name, KubernetesProvider: c.Provider,
		Secrets: f.secrets, Scheduling: c.Info.Scheduling, Tags: tags(cfg),
		Protect: cfg.Environment == config.Prod,
	}
	if f.edge != nil {
		// awsEdgeFoundation: the load balancers' public subnets.
		args.Domain, args.EdgeCIDRs = cfg.Domain, f.edgeCIDRs
	}
	g, err := amp.NewGrafana(ctx, "grafana", args, pulumi.Provider(provider))
	if err != nil {
		return nil, fmt.Errorf("grafana: %w", err)
	}
	f.extraRoutes = append(f.extraRoutes, g.Routes...)
	f.edgeAfter = append(f.edgeAfter, g.NamespaceResource)
	return g, nil
}

// grafanaExports are what the `observability` output says about Grafana on aws.
func grafanaExports(cfg *config.Platform, g *amp.Grafana) pulumi.Map {
	url := fmt.Sprintf("http://%s.%s.svc:%d (no edge: kubectl -n %s port-forward svc/%s %d)", amp.GrafanaService, amp.GrafanaNamespace, amp.GrafanaPort, amp.GrafanaNamespace, amp.GrafanaService, amp.GrafanaPort)
	for _, r := range g.Routes {
		url = "https://" + r.FQDN(cfg.Domain)
	}
	return pulumi.Map{
		"grafanaUrl":         pulumi.String(url),
		"grafanaNamespace":   pulumi.String(amp.GrafanaNamespace),
		"grafanaAdminSecret": g.AdminSecret,
	}
}

// awsEdgeHealthPaths adds the health-check paths of the routes the edge serves beside the engine's
// (Grafana's) to paths.
func awsEdgeHealthPaths(f *Foundation, paths map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range paths {
		out[k] = v
	}
	for _, r := range f.extraRoutes {
		if r.Name == amp.GrafanaRoute {
			out[r.Name] = amp.GrafanaHealthPath
		}
	}
	return out
}

// awsGrafanaStoreNamespaces are the namespaces the store admits for Grafana on aws: its own, where the
// admin credential is materialized.
func awsGrafanaStoreNamespaces(cfg *config.Platform) []string {
	if cfg.Observability.On() && cfg.Cloud == config.AWS {
		return []string{amp.GrafanaNamespace}
	}
	return nil
}
