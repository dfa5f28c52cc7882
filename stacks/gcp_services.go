package stacks

import (
	"strings"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/projects"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/config"
)

// gcpServiceType is projects.Service's type token (pulumi-gcp@v7.38.0 sdk/go/gcp/projects/service.go).
const gcpServiceType = "gcp:projects/service:Service"

// gcpAPIs are the Google APIs the gcp program's resources call, each with what calls it. A fresh
// project has few APIs on; the program enables these itself so that the first `pulumi up` works.
// Two must be on before the program runs, because they are called before any resource exists:
// serviceusage.googleapis.com (what enabling an API calls) and cloudresourcemanager.googleapis.com
// (the GKE component's project-number lookup, organizations.LookupProject, is an invoke at plan time);
// the latter is listed here too so that a project never loses it by accident. Both are prerequisites
// (README, "Deploying for real"); storage.googleapis.com is on in every new project.
func gcpAPIs(cfg *config.Platform) []string {
	apis := []string{
		"cloudresourcemanager.googleapis.com", // project IAM members (gke nodes, admins)
		"iam.googleapis.com",                  // the node service account
		"compute.googleapis.com",              // the VPC, Cloud NAT, firewall, static addresses
		"container.googleapis.com",            // GKE
		"servicenetworking.googleapis.com",    // private services access for Cloud SQL
		"sqladmin.googleapis.com",             // Cloud SQL
		"storage.googleapis.com",              // the buckets
		"artifactregistry.googleapis.com",     // the dbt image repository
		"cloudkms.googleapis.com",             // the secret store's (and buckets') customer-managed keys
		"secretmanager.googleapis.com",        // the secret store (components/secrets/gcpsm)
	}
	if cfg.Observability.On() {
		apis = append(apis,
			"monitoring.googleapis.com", // alerting policies, dashboards, the notification channel; GMP's ingestion
			"logging.googleapis.com",    // the _Default log bucket's retention
		)
	}
	if cfg.Edge.On() {
		apis = append(apis,
			"dns.googleapis.com",                // the edge's Cloud DNS zone, records, cert-manager's grant
			"certificatemanager.googleapis.com", // the HTTP edge's DNS authorizations, certificates, map
		)
	}
	return apis
}

// gcpServices enables gcpAPIs in the stack's project and makes every gcp resource of the stack wait for
// them, through a stack transformation (run by the SDK, so mocks and previews see it; a component's
// dependsOn would not reach its children). Enabling is never undone: `pulumi destroy` leaves the APIs
// on (disableOnDestroy false), as other workloads of the project may use them, and never turns off
// dependent services (disableDependentServices false) (pulumi-gcp@v7.38.0 projects/service.go).
func gcpServices(ctx *pulumi.Context, cfg *config.Platform, provider *gcp.Provider) ([]pulumi.Resource, error) {
	var services []pulumi.Resource
	for _, api := range gcpAPIs(cfg) {
		s, err := projects.NewService(ctx, "api-"+strings.TrimSuffix(api, ".googleapis.com"), &projects.ServiceArgs{
			Project: pulumi.String(cfg.GCPProject), Service: pulumi.String(api),
			DisableOnDestroy: pulumi.Bool(false), DisableDependentServices: pulumi.Bool(false),
		}, pulumi.Provider(provider))
		if err != nil {
			return nil, err
		}
		services = append(services, s)
	}
	err := ctx.RegisterStackTransformation(func(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
		if !strings.HasPrefix(args.Type, "gcp:") || args.Type == gcpServiceType {
			return nil
		}
		return &pulumi.ResourceTransformationResult{Props: args.Props, Opts: append(append([]pulumi.ResourceOption{}, args.Opts...), pulumi.DependsOn(services))}
	})
	return services, err
}
