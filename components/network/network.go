// Package network is the cloud-neutral contract of the platform's network.
//
// Implementations: awsvpc (VPC over three zones), azurevnet (resource group, VNet, NSGs, delegated
// PostgreSQL subnet), gcpvpc (VPC, subnet with pod/service ranges, Cloud NAT, private service access)
// and k8snet (the platform namespaces with a default-deny NetworkPolicy), which every target also
// deploys on its cluster.
package network

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// Info is what every cloud network exposes to the components built on it.
type Info struct {
	// Cloud names the implementation: "aws", "azure" or "gcp".
	Cloud string
	// Region is where the network lives.
	Region string
	// CIDR is the network's address space.
	CIDR string
	// NetworkID is the VPC ID, VNet resource ID or VPC network ID.
	NetworkID pulumi.StringOutput
	// PrivateSubnetIDs hold the cluster's nodes (one per zone on AWS, one regional subnet elsewhere).
	PrivateSubnetIDs pulumi.StringArrayOutput
	// DatabaseSubnetIDs hold the managed database (AWS database subnets, the Azure delegated subnet;
	// empty on GCP, where Cloud SQL reaches the VPC through private service access).
	DatabaseSubnetIDs pulumi.StringArrayOutput
	// Zones are the availability zones the network spans.
	Zones pulumi.StringArrayOutput
}
