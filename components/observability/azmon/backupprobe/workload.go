package backupprobe

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/observability/probe"
)

// The probe runs on components/observability/probe (the platform's scripted-exporter runtime: the
// script's ConfigMap, a one-replica non-root read-only Deployment of the pinned python image, its
// ServiceAccount and egress NetworkPolicy).
const (
	PortName   = probe.PortName
	Port       = probe.Port
	ScriptFile = probe.ScriptFile
)

// SingletonReason exempts the probe from the prod policy's two-replica rule (policy/policies/
// stack.go stateless-replicas).
const SingletonReason = "stateless gauges read from Azure Resource Manager at most every five minutes; a second replica doubles the reads against the subscription's quota and serves the same values, and the backup alert tolerates a restart (its for is 15 minutes, the probe-down alert's 30)"

// MetadataEndpoint is the node's instance metadata service: on AKS it hands any pod that reaches it
// tokens of the kubelet's identity, so the probe's egress excludes it (as components/airbyte's).
const MetadataEndpoint = "169.254.169.254/32"

// CacheSeconds is how long a good answer is served before ARM is asked again: one list and one
// server read every five minutes, far below ARM's read limits (azure-resource-manager/management/
// request-limits-and-throttling.md).
const CacheSeconds = 300

// Egress is DNS (the probe package's) and HTTPS anywhere but the metadata endpoint. The probe calls
// Entra ID's authority (login.microsoftonline.com) and ARM (management.azure.com): public endpoints
// on addresses Microsoft publishes only as the AzureActiveDirectory and AzureResourceManager service
// tags, which a Kubernetes NetworkPolicy (ipBlock CIDRs only) cannot name, and which change weekly;
// AKS has no FQDN policy without Advanced Container Networking Services. So 0.0.0.0/0 on 443, the
// same as the Key Vault store's operator (components/secrets/azurekv Egress).
func Egress() []probe.Egress {
	return []probe.Egress{{CIDRs: []string{"0.0.0.0/0"}, Except: []string{MetadataEndpoint}, Ports: []int{443}}}
}

// workload runs the script as the ServiceAccount the identity federates with; the pods start after
// (the federation and the grant). It returns the Deployment's name.
func workload(ctx *pulumi.Context, name string, a *Args, clientID pulumi.StringOutput, after []pulumi.Resource, child pulumi.ResourceOption) (pulumi.StringOutput, error) {
	env := map[string]pulumi.StringInput{
		"PROBE_SERVER_ID":     a.ServerID,
		"PROBE_API_VERSION":   pulumi.String(APIVersion),
		"PROBE_CACHE_SECONDS": pulumi.String(fmt.Sprint(CacheSeconds)),
	}
	if a.ARMEndpoint != "" {
		env["ARM_ENDPOINT"] = pulumi.String(a.ARMEndpoint)
	}
	p, err := probe.New(ctx, name+"-runtime", &probe.Args{
		Namespace: a.Namespace, NamespaceName: a.NamespaceName, Name: Name, Script: Script,
		Env:    env,
		Egress: Egress(),
		// The webhook mutates pods with this label and reads the client ID from the ServiceAccount
		// when it admits a pod; the probe package hashes the annotations into the pod template, so a
		// replaced identity rolls the pod.
		PodLabels:                 map[string]string{UseLabel: "true"},
		ServiceAccountAnnotations: map[string]pulumi.StringInput{ClientIDAnnotation: clientID},
		// The webhook projects its own token (audience TokenAudience); the API token is not needed.
		MountServiceAccountToken: false,
		Image:                    a.Image,
		SingletonReason:          SingletonReason,
		After:                    after,
		Scheduling:               a.Scheduling,
		Labels:                   a.Labels,
	}, child)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return p.Deployment, nil
}
