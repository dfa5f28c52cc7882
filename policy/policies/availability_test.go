package policies

import "testing"

func TestProdAvailability(t *testing.T) {
	executor := func(replicas int) Resource {
		return res(K8sStatefulSet, "dremio-executor", M{
			"metadata": M{"labels": M{"app.kubernetes.io/name": "dremio", "app.kubernetes.io/component": "executor"}},
			"spec":     M{"replicas": replicas, "template": podTemplate(M{"app": "dremio"}, container("executor", false))},
		})
	}
	es := func(counts ...int) Resource {
		ns := A{}
		for _, c := range counts {
			ns = append(ns, M{"name": "n", "count": c})
		}
		return res(ECKElasticsearch, "es", M{"spec": M{"nodeSets": ns}})
	}
	runPolicy(t, "prod-availability", []tc{
		{name: "rds multi-az", rs: []Resource{res(AWSRDSInstance, "db", M{"multiAz": true})}},
		{name: "rds single-az prod", rs: []Resource{res(AWSRDSInstance, "db", M{})}, want: "multiAz is not true"},
		{name: "rds single-az dev", env: Dev, rs: []Resource{res(AWSRDSInstance, "db", M{})}},
		{name: "rds read replica", rs: []Resource{res(AWSRDSInstance, "replica", M{"replicateSourceDb": "db"})}},
		{name: "azure zone redundant", rs: []Resource{res(AzurePostgresServer, "db", M{"highAvailability": M{"mode": "ZoneRedundant"}})}},
		{name: "azure no ha", rs: []Resource{res(AzurePostgresServer, "db", M{"highAvailability": M{"mode": "Disabled"}})},
			want: `highAvailability.mode is "Disabled"`},
		{name: "cloud sql regional", rs: []Resource{res(GCPSQLInstance, "db", M{"settings": M{"availabilityType": "REGIONAL"}})}},
		{name: "cloud sql zonal", rs: []Resource{res(GCPSQLInstance, "db", M{"settings": M{"availabilityType": "ZONAL"}})},
			want: `availabilityType is "ZONAL"`},
		{name: "cnpg 3 instances", rs: []Resource{res(CNPGCluster, "pg", M{"spec": M{"instances": 3}})}},
		{name: "cnpg 1 instance prod", rs: []Resource{res(CNPGCluster, "pg", M{"spec": M{"instances": 1}})}, want: "spec.instances is 1"},
		{name: "cnpg 1 instance staging", env: Staging, rs: []Resource{res(CNPGCluster, "pg", M{"spec": M{"instances": 1}})}},
		{name: "elasticsearch 3 nodes", rs: []Resource{es(3, 3)}},
		{name: "elasticsearch 1 node", rs: []Resource{es(1)}, want: "Elasticsearch has 1 nodes"},
		{name: "dremio 3 executors", rs: []Resource{executor(3)}},
		{name: "dremio 2 executors", rs: []Resource{executor(2)}, want: "Dremio executors run 2 replicas"},
		{name: "dremio 1 executor in dev", env: Dev, rs: []Resource{executor(1)}},
		{name: "other statefulset", rs: []Resource{res(K8sStatefulSet, "zk", M{"spec": M{"replicas": 1}})}},
	})
}

func TestStatelessReplicas(t *testing.T) {
	labels := M{"app.kubernetes.io/name": "superset"}
	dep := func(replicas int) Resource {
		return res(K8sDeployment, "superset", M{"metadata": M{"name": "superset", "namespace": "bi"},
			"spec": M{"replicas": replicas, "selector": M{"matchLabels": labels}, "template": podTemplate(labels, container("web", false))}})
	}
	pdb := res(K8sPDB, "superset-pdb", M{"metadata": M{"namespace": "bi"}, "spec": M{"minAvailable": 1, "selector": M{"matchLabels": labels}}})
	otherPDB := res(K8sPDB, "other-pdb", M{"metadata": M{"namespace": "bi"}, "spec": M{"minAvailable": 1, "selector": M{"matchLabels": M{"app": "other"}}}})
	hpa := res(K8sHPA, "superset-hpa", M{"metadata": M{"namespace": "bi"}, "spec": M{"minReplicas": 2, "maxReplicas": 10,
		"scaleTargetRef": M{"apiVersion": "apps/v1", "kind": "Deployment", "name": "superset"}}})
	runPolicy(t, "stateless-replicas", []tc{
		{name: "2 replicas and pdb", rs: []Resource{dep(2), pdb}},
		{name: "hpa keeps 2", rs: []Resource{dep(1), pdb, hpa}},
		{name: "1 replica", rs: []Resource{dep(1), pdb}, want: "Deployment bi/superset runs 1 replica(s)"},
		{name: "no pdb", rs: []Resource{dep(2), otherPDB}, want: "Deployment bi/superset has no PodDisruptionBudget selecting its pods"},
		{name: "dev needs neither", env: Dev, rs: []Resource{dep(1)}},
	})
}

func TestDeletionSafety(t *testing.T) {
	rds := func(typ string, props M, opts ...func(*Resource)) Resource {
		return with(res(typ, "db", props), opts...)
	}
	goodRDS := M{"deletionProtection": true, "skipFinalSnapshot": false, "finalSnapshotIdentifier": "db-final"}
	pvcSet := func(opts ...func(*Resource)) Resource {
		return with(res(K8sStatefulSet, "minio", M{"spec": M{"volumeClaimTemplates": A{M{"metadata": M{"name": "data"}}}}}), opts...)
	}
	var cases []tc
	for _, typ := range []string{AWSS3BucketV2, AWSS3Bucket, AWSKMSKey, AzurePostgresServer, AzureStorageAccount, AzureKeyVaultKey,
		GCPStorageBucket, GCPKMSCryptoKey, CNPGCluster, ECKElasticsearch} {
		cases = append(cases,
			tc{name: typ + " protected", rs: []Resource{with(res(typ, "x", M{}), protected)}},
			tc{name: typ + " unprotected", rs: []Resource{res(typ, "x", M{})}, want: "holds data but is not protected"},
			tc{name: typ + " unprotected in dev", env: Dev, rs: []Resource{res(typ, "x", M{})}},
		)
	}
	cases = append(cases,
		tc{name: "rds protected", rs: []Resource{rds(AWSRDSInstance, goodRDS, protected)}},
		tc{name: "rds unprotected", rs: []Resource{rds(AWSRDSInstance, goodRDS)}, want: "rds Instance holds data but is not protected"},
		tc{name: "rds cluster protected", rs: []Resource{rds(AWSRDSCluster, goodRDS, protected)}},
		tc{name: "rds cluster unprotected", rs: []Resource{rds(AWSRDSCluster, goodRDS)}, want: "rds Cluster holds data but is not protected"},
		tc{name: "rds no deletion protection", rs: []Resource{rds(AWSRDSInstance, M{"finalSnapshotIdentifier": "f"}, protected)}, want: "deletionProtection is not true"},
		tc{name: "rds skip final snapshot", rs: []Resource{rds(AWSRDSCluster, M{"deletionProtection": true, "skipFinalSnapshot": true}, protected)},
			want: "skipFinalSnapshot is true"},
		tc{name: "rds no final snapshot name", rs: []Resource{rds(AWSRDSCluster, M{"deletionProtection": true}, protected)},
			want: "finalSnapshotIdentifier is not set"},
		tc{name: "cloud sql protected", rs: []Resource{with(res(GCPSQLInstance, "db", M{"settings": M{"deletionProtectionEnabled": true}}), protected)}},
		tc{name: "cloud sql deletionProtection false", rs: []Resource{with(res(GCPSQLInstance, "db", M{"deletionProtection": false,
			"settings": M{"deletionProtectionEnabled": true}}), protected)}, want: "deletionProtection is false"},
		tc{name: "cloud sql no api deletion protection", rs: []Resource{with(res(GCPSQLInstance, "db", M{}), protected)},
			want: "settings.deletionProtectionEnabled is not true"},
		tc{name: "bucket force destroy", rs: []Resource{with(res(AWSS3BucketV2, "b", M{"forceDestroy": true}), protected)},
			want: "forceDestroy is true"},
		tc{name: "gcs force destroy", rs: []Resource{with(res(GCPStorageBucket, "b", M{"forceDestroy": true}), protected)},
			want: "forceDestroy is true"},
		tc{name: "pvc statefulset protected", rs: []Resource{pvcSet(protected)}},
		tc{name: "pvc statefulset unprotected", rs: []Resource{pvcSet()}, want: "apps/v1 StatefulSet holds data but is not protected"},
		tc{name: "stateless statefulset", rs: []Resource{res(K8sStatefulSet, "zk", M{"spec": M{}})}},
	)
	runPolicy(t, "deletion-safety", cases)
}

func TestBucketControls(t *testing.T) {
	bucket := res(AWSS3BucketV2, "lake", M{"bucket": "dp-lake"})
	dep := after(bucket.URN)
	pab := with(res(AWSS3PublicAccessBlock, "lake-pab", M{"bucket": unknown}), dep)
	ver := res(AWSS3VersioningV2, "lake-ver", M{"bucket": "dp-lake", "versioningConfiguration": M{"status": "Enabled"}})
	pol := with(res(AWSS3BucketPolicy, "lake-pol", M{"bucket": "x", "policy": denyHTTP}), dep)
	sse := with(res(AWSS3SSEConfigV2, "lake-sse", M{"bucket": "x"}), dep)
	legacy := res(AWSS3Bucket, "old", M{"bucket": "dp-old"})
	logs := res(AWSS3BucketV2, "logs", M{"bucket": unknown})
	sa := res(AzureStorageAccount, "sa", M{"accountName": "dplake"})
	bsp := res(AzureBlobServiceProperties, "sa-blob", M{"accountName": "dplake"})
	runPolicy(t, "bucket-controls", []tc{
		{name: "s3 bucket with companions", rs: []Resource{bucket, pab, ver, pol}},
		{name: "s3 bucket with companions and cmk", cfg: cmk, rs: []Resource{bucket, pab, ver, pol, sse}},
		{name: "s3 bucket alone", rs: []Resource{bucket},
			want: "S3 bucket is missing a BucketPublicAccessBlock, a BucketVersioningV2 and a BucketPolicy"},
		{name: "s3 bucket without sse under cmk", cfg: cmk, rs: []Resource{bucket, pab, ver, pol},
			want: "a KMS BucketServerSideEncryptionConfigurationV2"},
		{name: "legacy s3 bucket with companions", rs: []Resource{legacy, with(pab, after(legacy.URN)), with(ver, after(legacy.URN)), with(pol, after(legacy.URN))}},
		{name: "legacy s3 bucket alone", rs: []Resource{legacy}, want: "S3 bucket is missing a BucketPublicAccessBlock"},
		{name: "two buckets in preview, companions by dependency", rs: []Resource{
			bucket, pab, with(ver, after(bucket.URN)), pol,
			logs, with(res(AWSS3PublicAccessBlock, "logs-pab", M{"bucket": unknown}), after(logs.URN)),
			with(res(AWSS3VersioningV2, "logs-ver", M{"bucket": unknown, "versioningConfiguration": M{"status": "Enabled"}}), after(logs.URN)),
			with(res(AWSS3BucketPolicy, "logs-pol", M{"bucket": unknown, "policy": denyHTTP}), after(logs.URN)),
		}},
		{name: "storage account with blob properties", rs: []Resource{sa, bsp}},
		{name: "storage account alone", rs: []Resource{sa}, want: "storage account has no BlobServiceProperties"},
	})
}
