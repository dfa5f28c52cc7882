// Package components holds the platform's typed Pulumi ComponentResources, one concept per package.
//
// Each concept has a cloud-neutral contract in its own package (components/network, components/cluster,
// …) and one implementation package per target beside it (components/network/awsvpc, …/azurevnet,
// …/gcpvpc, …/k8snet). A program imports only the targets it deploys to, so it compiles and links only
// those cloud SDKs. Every component follows Pulumi's generated shape: NewX(ctx, name, args, opts...),
// an embedded pulumi.ResourceState, RegisterComponentResourceV2 with a constant type token
// "dataplatform:<module>:<Type>", children named name+"-…" and parented to the component, and
// RegisterResourceOutputs last.
package components
