// Package registry is the cloud-neutral contract of the container registry the user pushes the dbt
// project image to.
//
// Implementations: ecr (Amazon ECR), acr (Azure Container Registry) and artifactregistry (Google
// Artifact Registry). Each makes tags immutable, scans or cleans up images, and lets the cluster's
// nodes pull. On the kubernetes target the user brings a registry (config Dbt.Registry).
package registry

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// Info is what every registry implementation exposes.
type Info struct {
	// RepositoryURL is where the dbt project image is pushed and pulled from, without a tag
	// (<account>.dkr.ecr.<region>.amazonaws.com/<name>, <registry>.azurecr.io/<name>,
	// <region>-docker.pkg.dev/<project>/<repository>/<name>).
	RepositoryURL pulumi.StringOutput
}
