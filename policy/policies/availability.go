package policies

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// statefulTypes are the resources whose deletion loses data (or, for keys, makes data unreadable).
var statefulTypes = map[string]bool{
	AWSRDSInstance: true, AWSRDSCluster: true, AWSS3Bucket: true, AWSS3BucketV2: true, AWSKMSKey: true,
	AzurePostgresServer: true, AzureStorageAccount: true, AzureKeyVaultKey: true,
	GCPSQLInstance: true, GCPStorageBucket: true, GCPKMSCryptoKey: true,
	CNPGCluster: true, ECKElasticsearch: true,
}

func prodAvailability() Policy {
	return Policy{
		Name: "prod-availability",
		Description: "Production survives the loss of a node or a zone (design document: 99.9 % uptime): multi-AZ / " +
			"zone-redundant / REGIONAL managed databases, CloudNativePG with ≥ 3 instances, Elasticsearch with ≥ 3 " +
			"nodes and Dremio with ≥ 3 executors. Only checked in prod.",
		Level: Mandatory,
		Resources: []string{AWSRDSInstance, AzurePostgresServer, GCPSQLInstance, CNPGCluster, ECKElasticsearch,
			K8sStatefulSet},
		ValidateResource: func(r Resource, cfg Config) []Finding {
			if !cfg.IsProd() {
				return nil
			}
			e := newEval(r.URN)
			p := r.Properties
			switch r.Type {
			case AWSRDSInstance:
				e.rule(func() {
					if _, replica := e.str(p, "replicateSourceDb"); replica {
						return
					}
					if v, _ := e.boolean(p, "multiAz"); !v {
						e.fail("multiAz is not true: a zone outage takes the prod database down")
					}
				})
			case AzurePostgresServer:
				e.rule(func() {
					if m, _ := e.str(p, "highAvailability", "mode"); m != "ZoneRedundant" {
						e.fail("highAvailability.mode is %q: prod needs ZoneRedundant", m)
					}
				})
			case GCPSQLInstance:
				e.rule(func() {
					if v, _ := e.str(p, "settings", "availabilityType"); v != "REGIONAL" {
						e.fail("settings.availabilityType is %q: prod needs REGIONAL (a standby in another zone)", v)
					}
				})
			case CNPGCluster:
				e.rule(func() {
					if n, _ := e.num(p, "spec", "instances"); n < 3 {
						e.fail("spec.instances is %v: prod runs a primary and at least 2 replicas (3 instances)", n)
					}
				})
			case ECKElasticsearch:
				e.rule(func() {
					total := 0.0
					for _, ns := range e.objs(p, "spec", "nodeSets") {
						n, _ := e.num(ns, "count")
						total += n
					}
					if total < 3 {
						e.fail("Elasticsearch has %v nodes: prod needs at least 3 (quorum of masters)", total)
					}
				})
			case K8sStatefulSet:
				e.rule(func() {
					if !isDremioExecutor(e, p) {
						return
					}
					if n, ok := e.num(p, "spec", "replicas"); !ok || n < 3 {
						e.fail("Dremio executors run %v replicas: prod needs at least 3", n)
					}
				})
			}
			return e.findings
		},
	}
}

// isDremioExecutor recognises the Dremio executor StatefulSet by its recommended labels.
func isDremioExecutor(e *eval, p resource.PropertyMap) bool {
	for _, path := range [][]string{{"metadata", "labels"}, {"spec", "template", "metadata", "labels"}} {
		l := e.strMap(p, path...)
		if l["app.kubernetes.io/name"] == "dremio" && l["app.kubernetes.io/component"] == "executor" {
			return true
		}
	}
	return false
}

func deletionSafety() Policy {
	return Policy{
		Name: "deletion-safety",
		Description: "In prod, nothing that holds data can be deleted by one careless `pulumi up` or `destroy`: " +
			"stateful resources (databases, buckets, storage accounts, CloudNativePG and Elasticsearch clusters, " +
			"PVC-backed StatefulSets, encryption keys) are protected, cloud deletion protection is on and RDS takes a " +
			"final snapshot. Only checked in prod.",
		Level: Mandatory,
		Resources: []string{AWSRDSInstance, AWSRDSCluster, AWSS3Bucket, AWSS3BucketV2, AWSKMSKey, AzurePostgresServer,
			AzureStorageAccount, AzureKeyVaultKey, GCPSQLInstance, GCPStorageBucket, GCPKMSCryptoKey, CNPGCluster,
			ECKElasticsearch, K8sStatefulSet},
		ValidateResource: func(r Resource, cfg Config) []Finding {
			if !cfg.IsProd() {
				return nil
			}
			e := newEval(r.URN)
			p := r.Properties
			stateful := statefulTypes[r.Type]
			if r.Type == K8sStatefulSet {
				e.rule(func() { stateful = len(e.objs(p, "spec", "volumeClaimTemplates")) > 0 })
			}
			if stateful && !r.Protect {
				e.findings = append(e.findings, Finding{URN: r.URN,
					Message: shortType(r.Type) + " holds data but is not protected: set the protect resource option in prod"})
			}
			switch r.Type {
			case AWSRDSInstance, AWSRDSCluster:
				e.rule(func() {
					if v, _ := e.boolean(p, "deletionProtection"); !v {
						e.fail("deletionProtection is not true")
					}
					if v, _ := e.boolean(p, "skipFinalSnapshot"); v {
						e.fail("skipFinalSnapshot is true: deleting the database would keep no final snapshot")
					} else if _, ok := e.str(p, "finalSnapshotIdentifier"); !ok {
						e.fail("finalSnapshotIdentifier is not set: the final snapshot needs a name")
					}
				})
			case GCPSQLInstance:
				e.rule(func() {
					if v, ok := e.boolean(p, "deletionProtection"); ok && !v {
						e.fail("deletionProtection is false")
					}
					if v, _ := e.boolean(p, "settings", "deletionProtectionEnabled"); !v {
						e.fail("settings.deletionProtectionEnabled is not true: the instance can be deleted outside Pulumi")
					}
				})
			case AWSS3Bucket, AWSS3BucketV2, GCPStorageBucket:
				e.rule(func() {
					if v, _ := e.boolean(p, "forceDestroy"); v {
						e.fail("forceDestroy is true: deleting the bucket would delete every object in it")
					}
				})
			}
			return e.findings
		},
	}
}

// hasLabels reports whether labels include every selector entry.
func hasLabels(labels, selector map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// k8sName returns metadata.name (falling back to the Pulumi name, which the provider
// auto-names from) and metadata.namespace ("default" when unset).
func k8sName(e *eval, r Resource) (name, namespace string) {
	name, ok := e.str(r.Properties, "metadata", "name")
	if !ok {
		name = r.Name
	}
	namespace, ok = e.str(r.Properties, "metadata", "namespace")
	if !ok || strings.TrimSpace(namespace) == "" {
		namespace = "default"
	}
	return name, namespace
}
