// Package elasticsearch is the platform's search and log store: an Elasticsearch cluster and its
// Kibana, both run by the ECK operator (package clusteraddons/eck), with snapshots to the platform's
// object store on the environment's RPO: MinIO with a scoped key pair (kubernetes target), GCS through
// GKE Workload Identity, S3 through IRSA, ADLS through AKS workload identity (azure.go); the store's
// grant is limited to the snapshot prefix.
//
// The package holds the contract (Args, NodeSet, Snapshots, the Search outputs) and its one rendering:
// ECK's custom resources as plain maps (apiextensions.CustomResource), every field checked against
// the CRDs of github.com/elastic/cloud-on-k8s/v3@v3.5.0 config/crds/v1/resources/
// elasticsearch.k8s.elastic.co_elasticsearches.yaml and kibana.k8s.elastic.co_kibanas.yaml (pinned in
// internal/apicheck/crds.txt, so CI dry-runs the objects against them), and a Job that registers the
// snapshot repository and the snapshot lifecycle (SLM) policy through Elasticsearch's API — the
// declarative StackConfigPolicy is an Enterprise feature (pkg/controller/stackconfigpolicy/
// controller.go), the platform runs the free Basic licence.
//
// Users: the platform's two users — the `elastic` superuser and the snapshot Job's — are written to
// the secret store (secrets.Store.Put) and materialized as kubernetes.io/basic-auth Secrets that
// spec.auth.fileRealm names, with the roles they need (built-in superuser; spec.auth.roles for the
// snapshot role). A user-provided `elastic` in the file realm replaces the one ECK would generate:
// ECK then creates no <name>-es-elastic-user Secret and deletes an existing one
// (cloud-on-k8s@v3.5.0 pkg/controller/elasticsearch/user/reconcile.go reconcileElasticUser:
// "if user has set up the elastic user via the file realm do not create the operator managed
// secret"). Kibana signs in with its own service account (elasticsearchRef).
package elasticsearch

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster"
	"github.com/opendataplatform/dataplatform/components/edge"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// Type is the component's type token.
const Type = "dataplatform:elasticsearch:Search"

// Names and ports of the objects ECK creates (cloud-on-k8s v3.5.0 pkg/apis/elasticsearch/v1/name.go:
// <name>-es-http, <name>-es-elastic-user, <name>-es-http-certs-public; pkg/controller/kibana:
// <name>-kb-http).
const (
	ClusterName = "elasticsearch"
	KibanaName  = "kibana"
	// HTTPService is the Elasticsearch API's Service; its certificate names <svc>.<ns>.svc
	// (pkg/utils/k8s/k8sutils.go GetServiceDNSName).
	HTTPService = ClusterName + "-es-http"
	// CASecret holds ca.crt, the CA of ECK's self-signed HTTP certificate.
	CASecret      = ClusterName + "-es-http-certs-public"
	KibanaService = KibanaName + "-kb-http"
	// KibanaCASecret holds ca.crt, the CA of ECK's self-signed certificate of Kibana's HTTP
	// endpoint (cloud-on-k8s@v3.5.0 pkg/controller/common/certificates/secret.go
	// PublicCertsSecretName: <name>-kb-http-certs-public; ca.go CAFileName ca.crt). The edge
	// verifies Kibana with it.
	KibanaCASecret = KibanaName + "-kb-http-certs-public"
	// KibanaHealthPath is what ECK's readiness probe asks Kibana ≥ 8.16 on 5601
	// (cloud-on-k8s@v3.5.0 pkg/controller/kibana/pod.go readinessProbePath: <basePath>/api/status),
	// the path a cloud load balancer's health check requests too.
	KibanaHealthPath = "/api/status"
	HTTPPort         = 9200
	KibanaPort       = 5601
	// Repository and SLMPolicy are the names the snapshot Job registers.
	Repository = "platform-object-store"
	SLMPolicy  = "platform-snapshots"
	// AdminUser is the superuser's name and AdminSecret the basic-auth Secret holding its password
	// (from the secret store under AdminSecret too).
	AdminUser   = "elastic"
	AdminSecret = "elasticsearch-admin-user"
	// SnapshotUser is the file-realm user of the snapshot Job; SnapshotRole its role.
	SnapshotUser = "platform-snapshots"
	SnapshotRole = "platform_snapshots"
	// JobImage is the pinned curl image of the snapshot Job (the one Dremio's bootstrap Job uses).
	JobImage = "curlimages/curl:8.11.1"
)

// NodeSet is one group of identical nodes.
type NodeSet struct {
	// Name is the node set's name ("masters", "data"); a DNS label.
	Name string
	// Roles are the nodes' roles (node.roles): "master", "data", "ingest".
	Roles []string
	// Count is the number of nodes.
	Count int
	// CPU (cores) and MemoryGiB are requests and limits alike; the JVM heap is sized by
	// Elasticsearch from the memory limit (no -Xms/-Xmx is set).
	CPU       float64
	MemoryGiB float64
	// VolumeGiB is each node's data volume.
	VolumeGiB int
}

// Snapshots is where and how often the cluster is snapshotted.
type Snapshots struct {
	// Store is the platform's object store; Bucket the role holding the snapshots, under Prefix.
	Store  objectstore.Info
	Bucket objectstore.Bucket
	Prefix string
	// Workload is the objectstore.Access the store granted Elasticsearch.
	Workload string
	// Schedule is the SLM cron schedule that meets the RPO (config.SnapshotSchedule) and PerDay how
	// many snapshots it takes a day (config.SnapshotsPerDay); RetentionDays how long snapshots are
	// kept. With more than one a day, the RPO policy (RPOPolicy) keeps one day of snapshots and
	// SLMPolicy, then daily, keeps RetentionDays (policyBodies), so the count stays bounded.
	Schedule      string
	PerDay        int
	RetentionDays int
}

// Args are the inputs of the component.
type Args struct {
	// Namespace (an output, so objects wait for it) and NamespaceName: where everything runs.
	Namespace     pulumi.StringInput
	NamespaceName string
	// Version is the Elasticsearch and Kibana version (9.x.y).
	Version string
	// NodeSets are the cluster's node sets; together at least one master-eligible node.
	NodeSets []NodeSet
	// StorageClass is the data volumes' class (the fast class); empty uses the cluster's default.
	StorageClass string
	// ZoneAwareness spreads every node set across zones and makes shard allocation zone-aware.
	ZoneAwareness bool
	// KibanaReplicas is the number of Kibana pods.
	KibanaReplicas int
	// Snapshots configures the repository and the SLM policy.
	Snapshots Snapshots
	// Operator is what the custom resources wait for (the ECK chart: CRDs and webhook);
	// OperatorNamespace is admitted to the Elasticsearch API.
	Operator          pulumi.Resource
	OperatorNamespace string
	// ClientNamespaces and ClientCIDRs reach Kibana (the edge's proxies or load balancers).
	ClientNamespaces, ClientCIDRs []string
	// PublicURL is Kibana's URL behind the edge (server.publicBaseUrl); empty without an edge.
	PublicURL string
	// Secrets is the secret store; nil keeps plain Secrets (library use without ESO).
	Secrets *secrets.Store
	// Scheduling places every pod on the workload pool.
	Scheduling cluster.Scheduling
	// Labels are added to every object.
	Labels map[string]string
	// ClientRealms are other components' file-realm users and roles (logs.go); optional.
	ClientRealms []FileRealm
	// Protect protects the Elasticsearch resource and keeps its volumes when it is deleted
	// (volumeClaimDeletePolicy DeleteOnScaledownOnly), and the snapshot user's generated password
	// (the platform's rule for generated credentials): prod.
	Protect bool
}

// Search is the component.
type Search struct {
	pulumi.ResourceState

	// URL is the in-cluster HTTPS endpoint of the Elasticsearch API (CA in CASecret).
	URL pulumi.StringOutput
	// KibanaURL is Kibana's in-cluster URL.
	KibanaURL pulumi.StringOutput
	// Routes are Kibana's entry point on the edge: https://kibana.<domain>.
	Routes []edge.Route
	// AdminSecret is the Secret (in the data namespace) with the `elastic` superuser's username and
	// password; the secret store holds the same under AdminSecret.
	AdminSecret pulumi.StringOutput
	// ClusterUID is the Elasticsearch resource's UID: a Job that registers something in the cluster
	// hashes it, so that a re-created cluster gets it registered again.
	ClusterUID pulumi.StringOutput
}

// Routes is Kibana's HTTP route in namespace. Kibana serves HTTPS with ECK's self-signed
// certificate (kibanaSpec), so the edge reaches it with TLS: the CA in KibanaCASecret, and the host
// name <service>.<namespace>.svc, which ECK puts on the certificate for every Service of Kibana
// (cloud-on-k8s@v3.5.0 pkg/controller/common/certificates/http_reconcile.go
// createValidatedHTTPCertificateTemplate → pkg/utils/k8s/k8sutils.go GetServiceDNSName:
// <svc>.<ns>.svc and <svc>.<ns>).
func Routes(namespace string) []edge.Route {
	return []edge.Route{{
		Name: "kibana", Host: "kibana", Service: KibanaService, Namespace: namespace, Port: KibanaPort, Protocol: edge.HTTP,
		BackendTLS: &edge.BackendTLS{CASecret: KibanaCASecret, Hostname: KibanaHost(namespace)},
	}}
}

// KibanaHost is the in-cluster name of Kibana's Service that its certificate carries.
func KibanaHost(namespace string) string { return KibanaService + "." + namespace + ".svc" }

var (
	dnsLabel  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	versionRE = regexp.MustCompile(`^9\.[0-9]+\.[0-9]+$`)
	knownRole = map[string]bool{"master": true, "data": true, "ingest": true}
)

func (a *Args) validate() error {
	switch {
	case a.Namespace == nil || !dnsLabel.MatchString(a.NamespaceName):
		return fmt.Errorf("elasticsearch: Namespace and NamespaceName (a DNS label, got %q) are required", a.NamespaceName)
	case !versionRE.MatchString(a.Version):
		return fmt.Errorf("elasticsearch: Version = %q; want 9.x.y", a.Version)
	case len(a.NodeSets) == 0:
		return fmt.Errorf("elasticsearch: NodeSets is empty")
	case a.KibanaReplicas < 1:
		return fmt.Errorf("elasticsearch: KibanaReplicas = %d; want ≥ 1", a.KibanaReplicas)
	case a.Operator == nil || a.OperatorNamespace == "":
		return fmt.Errorf("elasticsearch: Operator and OperatorNamespace are required (the ECK add-on)")
	}
	masters, seen := 0, map[string]bool{}
	for _, n := range a.NodeSets {
		if !dnsLabel.MatchString(n.Name) || seen[n.Name] {
			return fmt.Errorf("elasticsearch: node set name %q: a DNS label, unique", n.Name)
		}
		seen[n.Name] = true
		if n.Count < 1 || n.CPU <= 0 || n.MemoryGiB < 1 || n.VolumeGiB < 1 || len(n.Roles) == 0 {
			return fmt.Errorf("elasticsearch: node set %q: Count, CPU, MemoryGiB (≥ 1), VolumeGiB and Roles are required", n.Name)
		}
		for _, r := range n.Roles {
			if !knownRole[r] {
				return fmt.Errorf("elasticsearch: node set %q: role %q; allowed master, data, ingest", n.Name, r)
			}
			if r == "master" {
				masters += n.Count
			}
		}
	}
	if masters == 0 || masters == 2 {
		return fmt.Errorf("elasticsearch: %d master-eligible nodes; want 1 or ≥ 3", masters)
	}
	s := a.Snapshots
	switch {
	case !supportedStores[s.Store.Kind]:
		return fmt.Errorf("elasticsearch: snapshots to %q are not implemented; MinIO (kubernetes target), GCS, S3 and ADLS are", s.Store.Kind)
	case s.Workload == "" || !dnsLabel.MatchString(s.Prefix):
		return fmt.Errorf("elasticsearch: Snapshots.Workload and Snapshots.Prefix (a DNS label, got %q) are required", s.Prefix)
	case s.Schedule == "" || s.RetentionDays < 1 || s.PerDay < 1:
		return fmt.Errorf("elasticsearch: Snapshots.Schedule, PerDay (≥ 1) and RetentionDays (≥ 1) are required")
	}
	if _, ok := s.Store.Identities[s.Workload]; !ok {
		return fmt.Errorf("elasticsearch: the object store granted no identity to workload %q", s.Workload)
	}
	if _, ok := s.Store.BucketNames[s.Bucket]; !ok {
		return fmt.Errorf("elasticsearch: the object store has no bucket %q", s.Bucket)
	}
	return a.validateClientRealms()
}
