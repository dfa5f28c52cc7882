package elasticsearch

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Paths in the Elasticsearch container (the image's ES_PATH_CONF is /usr/share/elasticsearch/config;
// its JDK is /usr/share/elasticsearch/jdk).
const (
	configDir = "/usr/share/elasticsearch/config"
	jdkDir    = "/usr/share/elasticsearch/jdk"
	// truststoreDir is under the config directory: Elasticsearch 9 confines the files its
	// components read (the reason ECK mounts the Azure repository's federated token under
	// config/azure/tokens, cloud-on-k8s PR #7980), so the file sits where that token does. Not
	// verified on a running 9.4 node: if the JVM cannot read the trust store, registering the
	// repository fails its verification and the snapshot Job fails with Elasticsearch's error.
	truststoreDir  = configDir + "/objectstore-truststore"
	truststorePath = truststoreDir + "/cacerts"
	caMountDir     = "/objectstore-ca"
)

func quantityCPU(cores float64) string { return strconv.Itoa(int(cores*1000+0.5)) + "m" }
func quantityMiB(gib float64) string   { return strconv.Itoa(int(gib*1024+0.5)) + "Mi" }

// resources are a container's requests = limits (the nodes are Guaranteed: memory requests equal
// limits, as the issue asks, and CPU too so that node.processors matches what the node gets).
func resources(cpu, memGiB float64) pulumi.Map {
	q := pulumi.Map{"cpu": pulumi.String(quantityCPU(cpu)), "memory": pulumi.String(quantityMiB(memGiB))}
	return pulumi.Map{"requests": q, "limits": q}
}

// elasticsearchSpec renders the Elasticsearch spec (CRD elasticsearch.k8s.elastic.co/v1; each field
// below is in its openAPIV3Schema at v3.5.0):
//   - version; http.tls: ECK's self-signed CA (default, not disabled) — its certificate names
//     <name>-es-http.<ns>.svc, which the snapshot Job verifies;
//   - nodeSets[]: name, count, config (node.roles, node.store.allow_mmap false — the data namespace
//     enforces Pod Security "baseline", which forbids the privileged sysctl init container mmap
//     needs — and the S3 client of the MinIO repository), podTemplate (resources, scheduling, the
//     trust store of MinIO's CA), volumeClaimTemplates named elasticsearch-data (the name ECK
//     mounts as the data directory) on the fast class, and zoneAwareness {} in prod: ECK 3.5 then
//     exposes topology.kubernetes.io/zone to the pods (eck.k8s.elastic.co/downward-node-labels),
//     sets node.attr.zone and cluster.routing.allocation.awareness.attributes k8s_node_name,zone
//     (pkg/controller/elasticsearch/settings/merged_config.go zoneAwarenessConfig) and spreads
//     the pods across zones;
//   - secureSettings: on MinIO only, its key pair in the keystore (s3.client.default.access_key/
//     secret_key); on a cloud store the nodes use its workload identity instead (cloudNode);
//   - auth.fileRealm / auth.roles: the `elastic` superuser (from the secret store, so ECK generates
//     none) and the snapshot Job's user and role;
//   - volumeClaimDeletePolicy: DeleteOnScaledownOnly when protected (the CRD: PVCs are kept when the
//     Elasticsearch is deleted; the default DeleteOnScaledownAndClusterDeletion removes them);
//   - podDisruptionBudget is left to ECK's default (one budget over the whole cluster that allows
//     no disruption unless the cluster is green, CRD description of spec.podDisruptionBudget; role
//     budgets are Enterprise).
func elasticsearchSpec(a *Args, credentialsSecret pulumi.StringOutput, userSecrets []pulumi.StringOutput, rolesSecret pulumi.StringOutput, endpoint pulumi.StringOutput) pulumi.Map {
	nodeSets := pulumi.Array{}
	for _, n := range a.NodeSets {
		nodeSets = append(nodeSets, nodeSet(a, n, endpoint))
	}
	deletePolicy := "DeleteOnScaledownAndClusterDeletion"
	if a.Protect {
		deletePolicy = "DeleteOnScaledownOnly"
	}
	var users pulumi.Array
	for _, u := range userSecrets {
		users = append(users, pulumi.Map{"secretName": u})
	}
	fileRealm, roles := a.withClientRealms(users, pulumi.Array{pulumi.Map{"secretName": rolesSecret}})
	spec := pulumi.Map{
		"version":                 pulumi.String(a.Version),
		"nodeSets":                nodeSets,
		"auth":                    pulumi.Map{"fileRealm": fileRealm, "roles": roles},
		"volumeClaimDeletePolicy": pulumi.String(deletePolicy),
	}
	if s := secureSettings(a, credentialsSecret); s != nil {
		spec["secureSettings"] = s
	}
	return spec
}

func nodeSet(a *Args, n NodeSet, endpoint pulumi.StringOutput) pulumi.Map {
	roles := pulumi.StringArray{}
	for _, r := range n.Roles {
		roles = append(roles, pulumi.String(r))
	}
	config := pulumi.Map{
		"node.roles":            roles,
		"node.store.allow_mmap": pulumi.Bool(false),
	}
	res := resources(n.CPU, n.MemoryGiB)
	container := pulumi.Map{
		// ECK merges this container into its own by name.
		"name":      pulumi.String("elasticsearch"),
		"resources": res,
	}
	spec := pulumi.Map{"containers": pulumi.Array{container}}
	if a.cloudStore() {
		// The store's identity is bound to this ServiceAccount (identityServiceAccount); the GCS
		// client's default credentials are the pod's (no credentials_file in the keystore), the S3
		// client's the web identity token (cloudNode).
		cloudNode(a, config, container, spec)
	} else {
		minioNode(a, config, container, spec, endpoint)
	}
	if t := a.Scheduling.TolerationValues(); len(t) > 0 {
		spec["tolerations"] = t
	}
	if ns := a.Scheduling.NodeSelectorMap(); ns != nil {
		spec["nodeSelector"] = ns
	}
	claim := pulumi.Map{
		"accessModes": pulumi.ToStringArray([]string{"ReadWriteOnce"}),
		"resources":   pulumi.Map{"requests": pulumi.Map{"storage": pulumi.String(fmt.Sprintf("%dGi", n.VolumeGiB))}},
	}
	if a.StorageClass != "" {
		claim["storageClassName"] = pulumi.String(a.StorageClass)
	}
	out := pulumi.Map{
		"name":        pulumi.String(n.Name),
		"count":       pulumi.Int(n.Count),
		"config":      config,
		"podTemplate": pulumi.Map{"metadata": pulumi.Map{"labels": podLabels(a)}, "spec": spec},
		"volumeClaimTemplates": pulumi.Array{pulumi.Map{
			"metadata": pulumi.Map{"name": pulumi.String("elasticsearch-data")},
			"spec":     claim,
		}},
	}
	if a.ZoneAwareness {
		out["zoneAwareness"] = pulumi.Map{}
	}
	return out
}

// minioNode adds the MinIO repository's client to a node set: its endpoint, path-style access and
// region (repository-s3 S3ClientSettings: endpoint, path_style_access, region — MinIO's default
// region, which the request signature names), and a JVM trust store holding MinIO's private CA
// (Elastic's docs for MinIO repositories: a custom JVM trust store), built by an init container to
// which ECK gives the Elasticsearch image and its mounts (pkg/controller/common/defaults/
// pod_template.go WithInitContainerDefaults).
func minioNode(a *Args, config, container, spec pulumi.Map, endpoint pulumi.StringOutput) {
	config["s3.client.default.endpoint"] = endpoint
	config["s3.client.default.path_style_access"] = pulumi.Bool(true)
	config["s3.client.default.region"] = pulumi.String("us-east-1")
	javaOpts := fmt.Sprintf("-Djavax.net.ssl.trustStore=%s -Djavax.net.ssl.trustStorePassword=changeit", truststorePath)
	script := fmt.Sprintf(`set -eu
cp %[1]s/lib/security/cacerts %[2]s
chmod 0600 %[2]s
%[1]s/bin/keytool -importcert -noprompt -alias objectstore-ca -file %[3]s/ca.crt -keystore %[2]s -storepass changeit
`, jdkDir, truststorePath, caMountDir)
	container["env"] = pulumi.Array{pulumi.Map{"name": pulumi.String("ES_JAVA_OPTS"), "value": pulumi.String(javaOpts)}}
	container["volumeMounts"] = pulumi.Array{
		pulumi.Map{"name": pulumi.String("objectstore-truststore"), "mountPath": pulumi.String(truststoreDir), "readOnly": pulumi.Bool(true)},
	}
	spec["initContainers"] = pulumi.Array{pulumi.Map{
		"name":      pulumi.String("objectstore-truststore"),
		"command":   pulumi.ToStringArray([]string{"/bin/bash", "-c", script}),
		"resources": resources(0.1, 0.25),
		"volumeMounts": pulumi.Array{
			pulumi.Map{"name": pulumi.String("objectstore-truststore"), "mountPath": pulumi.String(truststoreDir)},
			pulumi.Map{"name": pulumi.String("objectstore-ca"), "mountPath": pulumi.String(caMountDir), "readOnly": pulumi.Bool(true)},
		},
	}}
	spec["volumes"] = pulumi.Array{
		pulumi.Map{"name": pulumi.String("objectstore-truststore"), "emptyDir": pulumi.Map{}},
		pulumi.Map{"name": pulumi.String("objectstore-ca"), "secret": pulumi.Map{
			"secretName": a.Snapshots.Store.Identities[a.Snapshots.Workload].CredentialsSecret,
			"items":      pulumi.Array{pulumi.Map{"key": pulumi.String("ca.crt"), "path": pulumi.String("ca.crt")}},
		}},
	}
}

// kibanaSpec renders the Kibana spec (CRD kibana.k8s.elastic.co/v1): the same version, count,
// elasticsearchRef (ECK creates Kibana's service account token and CA trust), server.publicBaseUrl
// behind the edge, and the pod's resources and scheduling.
//
// HTTP: Kibana serves HTTPS with ECK's self-signed certificate (http.tls left at its default, not
// disabled: Kibana carries Elasticsearch logins, so the hop from the edge is encrypted too). ECK
// then names the Service's port "https" (pkg/controller/kibana/driver.go NewService: Name
// kb.Spec.HTTP.Protocol()), probes readiness over HTTPS (pod.go readinessProbe: scheme HTTPS with
// TLS), and publishes the CA in KibanaCASecret, which the edges verify Kibana against (Routes).
// http.service.spec.ports repeats ECK's one port — ECK keeps the ports given, else its default
// (pkg/controller/common/defaults/service.go SetServiceDefaults) — adding appProtocol HTTPS: the
// GKE Gateway reaches a backend with TLS only when its Service port says so (GKE docs "Secure a
// Gateway", #load-balancer-tls; the same fix for OpenSearch's Service, opensearch-k8s-operator PR
// #769: appProtocol "HTTPS" "for compliance with GKE gateways"); Envoy Gateway and the AWS Load Balancer Controller
// ignore that value (envoyproxy/gateway@v1.9.0 internal/gatewayapi/route.go resolveBackendProtocol
// reads only h2c/grpc; aws-load-balancer-controller@v3.5.0 pkg/gateway/routeutils/
// backend_service.go GetProtocolVersion only kubernetes.io/h2c) and take TLS from their own policy.
func kibanaSpec(a *Args) pulumi.Map {
	config := pulumi.Map{}
	if a.PublicURL != "" {
		config["server.publicBaseUrl"] = pulumi.String(a.PublicURL)
	}
	spec := pulumi.Map{
		"containers": pulumi.Array{pulumi.Map{
			"name":      pulumi.String("kibana"),
			"resources": resources(1, 2),
		}},
	}
	if t := a.Scheduling.TolerationValues(); len(t) > 0 {
		spec["tolerations"] = t
	}
	if ns := a.Scheduling.NodeSelectorMap(); ns != nil {
		spec["nodeSelector"] = ns
	}
	return pulumi.Map{
		"version":          pulumi.String(a.Version),
		"count":            pulumi.Int(a.KibanaReplicas),
		"elasticsearchRef": pulumi.Map{"name": pulumi.String(ClusterName)},
		"http": pulumi.Map{"service": pulumi.Map{"spec": pulumi.Map{"ports": pulumi.Array{pulumi.Map{
			"name": pulumi.String("https"), "protocol": pulumi.String("TCP"), "port": pulumi.Int(KibanaPort),
			"appProtocol": pulumi.String("HTTPS"),
		}}}}},
		"config":      config,
		"podTemplate": pulumi.Map{"metadata": pulumi.Map{"labels": pulumi.ToStringMap(a.Labels)}, "spec": spec},
	}
}
