// Package stacks assembles the platform for one stack: it reads the configuration, builds the
// components of the chosen target in dependency order, and exports what a user needs.
//
// Each target has its own file (aws.go, azure.go, gcp.go, kubernetes.go) that builds the foundation —
// network and cluster — and hands a Foundation to the cloud-neutral layers above it. Independent slow
// resources are created in parallel: nothing depends on a resource it does not use.
package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/network"
	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/config"
)

// Run is the Pulumi program: main.go calls pulumi.Run(stacks.Run).
func Run(ctx *pulumi.Context) error {
	cfg, err := config.Load(ctx)
	if err != nil {
		return err
	}
	return Deploy(ctx, cfg)
}

// Foundation is what a target's network and cluster give the layers above them.
type Foundation struct {
	// Network is the cloud network; nil on the kubernetes target.
	Network *network.Info
	// Cluster is the Kubernetes cluster every in-cluster component is created on.
	Cluster cluster.Info
	// data builds the target's data services once the platform namespaces exist. It closes over the
	// target's own network and cluster components, whose cloud-specific outputs it needs.
	data func(ctx *pulumi.Context, ns Namespaces) (*DataServices, error)
	// edge builds the target's edge from the engine's routes; nil where the target has none (yet).
	edge func(ctx *pulumi.Context, e *Engine) (*edge.Info, error)
	// edgeNamespace is where the edge's proxies run; the engine admits it on its routed ports.
	edgeNamespace string
	// edgeCIDRs are the address ranges a cloud load balancer reaches the routed pods from (its
	// subnets, or the cloud's proxy and health-check ranges); the engine admits them on routed ports.
	edgeCIDRs []string
	// edgeForwardedHops is how many addresses the edge appends to X-Forwarded-For on the way to a pod
	// (0 means 1): a web app behind it trusts exactly that many for the client's address.
	edgeForwardedHops int
	// secretStore builds the target's secret store: the identities the operator uses first (EKS Pod
	// Identity and workload identity are read when a pod is admitted), then installOperator (the
	// External Secrets Operator, created after dependsOn), then the store and its ClusterSecretStore.
	// nil: the in-cluster store that needs no cloud.
	secretStore func(ctx *pulumi.Context, installOperator OperatorInstaller) (*secrets.Store, error)
	// secrets is the target's store, set by Deploy before the data layer: every credential the
	// platform creates is written to it and materialized by ExternalSecrets.
	secrets *secrets.Store
	// extraRoutes are routes beyond the engine's (Grafana's) that the target's edge serves.
	extraRoutes []edge.Route
	// certManager is what a cert-manager custom resource created with the engine waits for: nil
	// where cert-manager is not on the cluster (aws; azure and gcp with the edge off), empty where
	// the cluster provides it (stacks/backendtls.go).
	certManager []pulumi.Resource
	// edgeAfter are what the edge's routes beside their backends wait for (the monitoring namespace
	// of Grafana's route).
	edgeAfter []pulumi.Resource
	// monitoringAfter are add-ons whose namespaces the monitoring objects are created in
	// (cert-manager's, with the edge's controllers).
	monitoringAfter []pulumi.Resource
	// observability renders the observability model with the target's managed services once the data
	// services exist (after: what the platform namespaces wait for) and returns the
	// `observability` export; nil where the target has no such rendering (kubernetes installs
	// kube-prometheus-stack instead) or observability is off.
	observability func(ctx *pulumi.Context, data *DataServices, after []pulumi.Resource) (pulumi.Map, error)
	// watchEdgeCertificate alarms on the edge certificate's expiry once the edge exists (set by the
	// target's observability; nil where it has none or the certificate renews in-cluster).
	watchEdgeCertificate func(ctx *pulumi.Context, certificateARN pulumi.StringOutput) error
}

// OperatorInstaller installs the External Secrets Operator once settings.DependsOn exist, with the
// identity and egress the store asks for, and returns what a ClusterSecretStore waits for.
type OperatorInstaller func(settings secrets.OperatorSettings) (pulumi.Resource, error)

// Namespaces are the platform namespaces: their names, and outputs that resolve once they exist.
type Namespaces struct {
	Names            config.Namespaces
	Apps, Data, Jobs pulumi.StringOutput
}

// Deploy builds the platform from a validated configuration.
func Deploy(ctx *pulumi.Context, cfg *config.Platform) error {
	var (
		f   *Foundation
		err error
	)
	switch cfg.Cloud {
	case config.Kubernetes:
		f, err = kubernetesFoundation(ctx, cfg)
	case config.AWS:
		f, err = awsFoundation(ctx, cfg)
	case config.Azure:
		f, err = azureFoundation(ctx, cfg)
	case config.GCP:
		f, err = gcpFoundation(ctx, cfg)
	default:
		return fmt.Errorf("dataplatform:cloud = %q is not allowed; allowed: %s", cfg.Cloud, "kubernetes, aws, azure, gcp")
	}
	if err != nil {
		return err
	}

	platform, err := k8snet.NewNetwork(ctx, "platform", &k8snet.NetworkArgs{
		Namespaces: map[k8snet.Role]string{
			k8snet.Apps: cfg.Network.Namespaces.Apps,
			k8snet.Data: cfg.Network.Namespaces.Data,
			k8snet.Jobs: cfg.Network.Namespaces.Jobs,
		},
		// Deleting a namespace deletes its volumes: the ones that hold volumes are protected in prod.
		Protect: cfg.Environment == config.Prod,
	}, pulumi.Provider(f.Cluster.Provider))
	if err != nil {
		return err
	}
	ns := Namespaces{
		Names: cfg.Network.Namespaces,
		Apps:  platform.Namespaces[k8snet.Apps], Data: platform.Namespaces[k8snet.Data], Jobs: platform.Namespaces[k8snet.Jobs],
	}

	if f.secrets, err = deploySecrets(ctx, cfg, f); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	data, err := f.data(ctx, ns)
	if err != nil {
		return err
	}
	engine, err := deployEngine(ctx, cfg, f, ns, data)
	if err != nil {
		return err
	}
	if err := deployAirbyteMetrics(ctx, cfg, f, ns, data, engine); err != nil {
		return err
	}
	bridge, err := deployReflectionMetrics(ctx, cfg, f, ns, engine)
	if err != nil {
		return err
	}

	monitoring, err := deployObservability(ctx, cfg, f, append([]pulumi.Resource{platform}, f.monitoringAfter...))
	if err != nil {
		return err
	}

	var cloudMonitoring pulumi.Map
	if f.observability != nil {
		if cloudMonitoring, err = f.observability(ctx, data, append([]pulumi.Resource{platform}, bridge...)); err != nil {
			return fmt.Errorf("observability: %w", err)
		}
	}

	var entry *edge.Info
	if f.edge != nil {
		if entry, err = f.edge(ctx, engine); err != nil {
			return fmt.Errorf("edge: %w", err)
		}
	}

	exportFoundation(ctx, cfg, f, platform)
	exportServices(ctx, data, engine, entry)
	exportObservability(ctx, cfg, monitoring, cloudMonitoring)
	return nil
}

// exportFoundation publishes the stack outputs a user needs to reach and extend the platform.
func exportFoundation(ctx *pulumi.Context, cfg *config.Platform, f *Foundation, platform *k8snet.Network) {
	ctx.Export("cloud", pulumi.String(cfg.Cloud))
	ctx.Export("environment", pulumi.String(cfg.Environment))
	ctx.Export("region", pulumi.String(cfg.Region))
	ctx.Export("serviceLevels", pulumi.Map{
		"availabilityPercent": pulumi.Float64(cfg.Profile.AvailabilityPercent),
		"rto":                 pulumi.String(cfg.Profile.RTO.String()),
		"rpo":                 pulumi.String(cfg.Profile.RPO.String()),
	})
	ctx.Export("clusterName", f.Cluster.Name)
	ctx.Export("clusterEndpoint", f.Cluster.Endpoint)
	ctx.Export("kubeconfig", pulumi.ToSecret(f.Cluster.Kubeconfig))
	ctx.Export("namespaces", pulumi.StringMap{
		"apps": platform.Namespaces[k8snet.Apps],
		"data": platform.Namespaces[k8snet.Data],
		"jobs": platform.Namespaces[k8snet.Jobs],
	})
	if f.Network != nil {
		ctx.Export("networkId", f.Network.NetworkID)
		ctx.Export("privateSubnetIds", f.Network.PrivateSubnetIDs)
	}
}

// tags are the labels every taggable cloud resource carries.
func tags(cfg *config.Platform) map[string]string {
	out := map[string]string{
		"project":     cfg.Project,
		"stack":       cfg.Stack,
		"environment": string(cfg.Environment),
		"managed-by":  "pulumi",
	}
	for k, v := range cfg.Tags {
		out[k] = v
	}
	return out
}

func nodePool(p config.NodePool) cluster.NodePool {
	return cluster.NodePool{MachineType: p.MachineType, MinNodes: p.MinNodes, MaxNodes: p.MaxNodes, DiskSizeGiB: p.DiskSizeGiB, Spot: p.Spot}
}

func storageClasses(cfg *config.Platform) cluster.StorageClasses {
	return cluster.StorageClasses{FastSSD: cfg.Cluster.StorageClasses.FastSSD, Standard: cfg.Cluster.StorageClasses.Standard}
}
