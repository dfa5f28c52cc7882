package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/dremio"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/superset"
	"github.com/opendataplatform/dataplatform/config"
)

// deploySuperset builds Superset in the apps namespace when dataplatform:superset.enabled is set:
// its metadata in the MetadataDB's superset database, Dremio in its database list over Flight as
// Dremio's "superset" user, and its web UI on the edge. nil when Superset is off.
func deploySuperset(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, ns Namespaces, data *DataServices, d *dremio.DremioCluster) (*superset.Superset, error) {
	s := cfg.Superset
	if !s.Enabled {
		return nil, nil
	}
	prod := cfg.Environment == config.Prod
	dbNamespace := ""
	if data.InCluster {
		dbNamespace = ns.Names.Data
	}
	publicURL := ""
	if f.edge != nil {
		publicURL = "https://" + superset.Routes("")[0].FQDN(cfg.Domain)
	}
	out, err := superset.NewSuperset(ctx, "superset", &superset.SupersetArgs{
		Namespace: ns.Apps, NamespaceName: ns.Names.Apps,
		Image: s.Image, ValkeyImage: s.ValkeyImage, CertManager: supersetCertManager(f),
		WebReplicas: s.WebReplicas, WebMaxReplicas: s.WebMaxReplicas, WorkerReplicas: s.WorkerReplicas,
		Web:      superset.Compute{CPU: s.Web.CPU, MemoryGiB: s.Web.MemoryGiB},
		Worker:   superset.Compute{CPU: s.Worker.CPU, MemoryGiB: s.Worker.MemoryGiB},
		Database: data.DB, DatabaseReady: data.DBReady,
		DatabaseNamespace: dbNamespace, DatabaseCIDRs: data.DatabaseCIDRs,
		DremioHost:              fmt.Sprintf("dremio-client.%s.svc.cluster.local", ns.Names.Apps),
		DremioFlightPort:        dremio.FlightPort,
		DremioCredentialsSecret: pulumi.String(dremio.SupersetCredentialsSecret),
		// The Dremio component's bootstrap creates the "superset" user the connection signs in with.
		DremioReady: []pulumi.Resource{d},
		PublicURL:   publicURL, ForwardedForHops: f.edgeForwardedHops,
		ClientNamespaces: edgeClients(f), ClientCIDRs: f.edgeCIDRs,
		SecretKeyGeneration: s.SecretKeyGeneration,
		Secrets:             f.secrets,
		Scheduling:          f.Cluster.Scheduling,
		Prod:                prod, Labels: partOf(),
		Protect: prod, // the secret key: a new one makes the stored database passwords unreadable
	}, pulumi.Provider(f.Cluster.Provider))
	if err != nil {
		return nil, fmt.Errorf("superset: %w", err)
	}
	return out, nil
}

// engineRoutes are the routes every target's edge serves: Dremio's, Airbyte's and, when they run,
// Superset's and Kibana's.
func engineRoutes(e *Engine) []edge.Route {
	routes := append(append([]edge.Route{}, e.Dremio.Routes...), e.Airbyte.Routes...)
	if e.Superset != nil {
		routes = append(routes, e.Superset.Routes...)
	}
	return append(routes, searchRoutes(e)...)
}

// engineBackends are the components whose Services the routes name.
func engineBackends(e *Engine) []pulumi.Resource {
	out := []pulumi.Resource{e.Dremio, e.Airbyte}
	if e.Superset != nil {
		out = append(out, e.Superset)
	}
	if e.Search != nil {
		out = append(out, e.Search)
	}
	return out
}

// withHealthPaths adds Superset's health path (superset.HealthPath, the web readiness probe) to a
// cloud load balancer's per-route health checks when Superset is routed.
func withHealthPaths(e *Engine, paths map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range paths {
		out[k] = v
	}
	if e.Superset != nil {
		for _, r := range e.Superset.Routes {
			out[r.Name] = superset.HealthPath
		}
	}
	return out
}

// exportSuperset publishes Superset's URL (through the edge where there is one) and the Secret of
// its administrator.
func exportSuperset(ctx *pulumi.Context, e *Engine, entry *edge.Info) {
	if e.Superset == nil {
		return
	}
	if entry != nil {
		ctx.Export("supersetUrl", entry.URLs[e.Superset.Routes[0].Name])
	} else {
		ctx.Export("supersetUrl", e.Superset.WebURL)
	}
	ctx.Export("supersetAdminSecret", e.Superset.AdminSecret)
}

// supersetDBPods is how many Superset pods the in-cluster PostgreSQL is sized for (dbClients).
func supersetDBPods(cfg *config.Platform) int {
	if !cfg.Superset.Enabled {
		return 0
	}
	return superset.DatabasePods(cfg.Superset.WebMaxReplicas, cfg.Superset.WorkerReplicas)
}
