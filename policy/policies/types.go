package policies

import "strings"

// Resource type tokens the policies inspect, as the provider SDKs register them.
const (
	// AWS (pulumi-aws v6).
	AWSRDSInstance              = "aws:rds/instance:Instance"
	AWSRDSCluster               = "aws:rds/cluster:Cluster"
	AWSRDSParameterGroup        = "aws:rds/parameterGroup:ParameterGroup"
	AWSRDSClusterParameterGroup = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
	AWSS3Bucket                 = "aws:s3/bucket:Bucket"
	AWSS3BucketV2               = "aws:s3/bucketV2:BucketV2"
	AWSS3PublicAccessBlock      = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	AWSS3SSEConfigV2            = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	AWSS3VersioningV2           = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	AWSS3BucketPolicy           = "aws:s3/bucketPolicy:BucketPolicy"
	AWSEKSCluster               = "aws:eks/cluster:Cluster"
	AWSLBListener               = "aws:lb/listener:Listener"
	AWSALBListener              = "aws:alb/listener:Listener"
	AWSIAMAccessKey             = "aws:iam/accessKey:AccessKey"
	AWSKMSKey                   = "aws:kms/key:Key"

	// Azure (azure-native v2).
	AzurePostgresServer        = "azure-native:dbforpostgresql:Server"
	AzurePostgresConfiguration = "azure-native:dbforpostgresql:Configuration"
	AzureStorageAccount        = "azure-native:storage:StorageAccount"
	AzureBlobServiceProperties = "azure-native:storage:BlobServiceProperties"
	AzureManagedCluster        = "azure-native:containerservice:ManagedCluster"
	AzureApplicationGateway    = "azure-native:network:ApplicationGateway"
	AzureKeyVaultKey           = "azure-native:keyvault:Key"

	// GCP (pulumi-gcp v7).
	GCPSQLInstance            = "gcp:sql/databaseInstance:DatabaseInstance"
	GCPStorageBucket          = "gcp:storage/bucket:Bucket"
	GCPContainerCluster       = "gcp:container/cluster:Cluster"
	GCPTargetHTTPSProxy       = "gcp:compute/targetHttpsProxy:TargetHttpsProxy"
	GCPRegionTargetHTTPSProxy = "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy"
	GCPTargetHTTPProxy        = "gcp:compute/targetHttpProxy:TargetHttpProxy"
	GCPURLMap                 = "gcp:compute/uRLMap:URLMap"
	GCPSSLPolicy              = "gcp:compute/sSLPolicy:SSLPolicy"
	GCPRegionSSLPolicy        = "gcp:compute/regionSslPolicy:RegionSslPolicy"
	GCPServiceAccountKey      = "gcp:serviceaccount/key:Key"
	GCPKMSCryptoKey           = "gcp:kms/cryptoKey:CryptoKey"

	// Kubernetes (pulumi-kubernetes v4) and the operators the platform uses.
	K8sDeployment  = "kubernetes:apps/v1:Deployment"
	K8sStatefulSet = "kubernetes:apps/v1:StatefulSet"
	K8sDaemonSet   = "kubernetes:apps/v1:DaemonSet"
	K8sReplicaSet  = "kubernetes:apps/v1:ReplicaSet"
	K8sJob         = "kubernetes:batch/v1:Job"
	K8sCronJob     = "kubernetes:batch/v1:CronJob"
	K8sPod         = "kubernetes:core/v1:Pod"
	K8sPDB         = "kubernetes:policy/v1:PodDisruptionBudget"
	K8sHPA         = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
	K8sIngress     = "kubernetes:networking.k8s.io/v1:Ingress"
	K8sGateway     = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	K8sHTTPRoute   = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
	K8sGRPCRoute   = "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute"
	// AWSLoadBalancerConfiguration holds an AWS Load Balancer Controller Gateway's listener
	// certificates and TLS policies (aws-load-balancer-controller@v3.5.0 config/crd/gateway).
	AWSLoadBalancerConfiguration = "kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration"
	// EGClientTrafficPolicy sets an Envoy Gateway listener's TLS versions (envoyproxy/gateway@v1.9.0
	// api/v1alpha1/clienttrafficpolicy_types.go, tls_types.go).
	EGClientTrafficPolicy = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"
	CNPGCluster           = "kubernetes:postgresql.cnpg.io/v1:Cluster"
	CNPGScheduledBackup   = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup"
	CNPGPooler            = "kubernetes:postgresql.cnpg.io/v1:Pooler"
	// BarmanObjectStore is the Barman Cloud plugin's backup destination and retention
	// (plugin-barman-cloud@v0.15.0 api/v1/objectstore_types.go).
	BarmanObjectStore      = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore"
	ECKElasticsearch       = "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch"
	ECKKibana              = "kubernetes:kibana.k8s.elastic.co/v1:Kibana"
	K8sGatewayV1beta1      = "kubernetes:gateway.networking.k8s.io/v1beta1:Gateway"
	K8sHTTPRouteV1beta1    = "kubernetes:gateway.networking.k8s.io/v1beta1:HTTPRoute"
	K8sHPAV1               = "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"
	K8sPDBV1beta1          = "kubernetes:policy/v1beta1:PodDisruptionBudget"
	k8sWorkloadAPIGroupSep = ":"
)

// is reports whether t is one of the tokens.
func is(t string, tokens ...string) bool {
	for _, tok := range tokens {
		if t == tok {
			return true
		}
	}
	return false
}

// isGateway / isHTTPRoute / isPDB / isHPA accept the API versions a cluster may serve.
func isGateway(t string) bool   { return is(t, K8sGateway, K8sGatewayV1beta1) }
func isHTTPRoute(t string) bool { return is(t, K8sHTTPRoute, K8sHTTPRouteV1beta1) }
func isPDB(t string) bool       { return is(t, K8sPDB, K8sPDBV1beta1) }
func isHPA(t string) bool       { return is(t, K8sHPA, K8sHPAV1) }

// isPostgresEngine reports whether an RDS engine name is PostgreSQL.
func isPostgresEngine(engine string) bool {
	return strings.Contains(strings.ToLower(engine), "postgres")
}

// shortType drops the provider prefix for messages: "aws:rds/instance:Instance" -> "rds Instance".
func shortType(t string) string {
	parts := strings.Split(t, k8sWorkloadAPIGroupSep)
	if len(parts) != 3 {
		return t
	}
	mod := parts[1]
	if i := strings.Index(mod, "/"); i >= 0 && !strings.HasPrefix(parts[0], "kubernetes") {
		mod = mod[:i]
	}
	return mod + " " + parts[2]
}
