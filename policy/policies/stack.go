package policies

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// dependsOn reports whether companion belongs to target by the graph: it depends on target (the
// engine and the mocks record implicit dependencies from inputs) or is its child. It reads no
// property, so it never meets an unknown value.
func dependsOn(companion, target Resource) bool {
	for _, d := range companion.Dependencies {
		if d == target.URN {
			return true
		}
	}
	return companion.Parent != "" && companion.Parent == target.URN
}

// names reports whether companion's reference property (e.g. "bucket") names target by one of
// target's identifying properties (e.g. "bucket", "id").
func names(e *eval, companion, target Resource, refKey string, targetKeys ...string) bool {
	ref, ok := e.str(companion.Properties, refKey)
	if !ok || ref == "" {
		return false
	}
	for _, k := range targetKeys {
		if v, ok := e.str(target.Properties, k); ok && v == ref {
			return true
		}
	}
	return false
}

// companions returns the resources of type typ that belong to target: by dependency first, and
// only when none does, by name (which may read values still unknown in preview).
func companions(e *eval, rs []Resource, target Resource, typ, refKey string, targetKeys ...string) []Resource {
	var out []Resource
	for _, c := range rs {
		if c.Type == typ && dependsOn(c, target) {
			out = append(out, c)
		}
	}
	if len(out) > 0 || refKey == "" {
		return out
	}
	for _, c := range rs {
		if c.Type == typ && names(e, c, target, refKey, targetKeys...) {
			out = append(out, c)
		}
	}
	return out
}

func httpRedirectOnly() Policy {
	return Policy{
		Name: "http-redirect-only",
		Description: "Plain HTTP entry points only redirect to HTTPS: every HTTPRoute attached to a Gateway's HTTP " +
			"listener is a RequestRedirect to https, and a GCP HTTP proxy's URL map is an HTTPS redirect (design " +
			"document: TLS on every external endpoint).",
		Level:      Mandatory,
		Resources:  []string{K8sHTTPRoute, K8sGRPCRoute, GCPTargetHTTPProxy},
		Companions: []string{K8sGateway, GCPURLMap},
		ValidateStack: func(rs []Resource, cfg Config) []Finding {
			e := newEval("")
			for _, gw := range rs {
				if !isGateway(gw.Type) {
					continue
				}
				e.urn = gw.URN
				e.rule(func() {
					gwName, gwNS := k8sName(e, gw)
					httpListeners := map[string]bool{}
					for _, l := range e.objs(gw.Properties, "spec", "listeners") {
						if proto, _ := e.str(l, "protocol"); strings.EqualFold(proto, "HTTP") {
							name, _ := e.str(l, "name")
							httpListeners[name] = true
						}
					}
					if len(httpListeners) == 0 {
						return
					}
					for _, rt := range rs {
						grpc := rt.Type == K8sGRPCRoute
						if !isHTTPRoute(rt.Type) && !grpc {
							continue
						}
						rtName, rtNS := k8sName(e, rt)
						for _, ref := range e.objs(rt.Properties, "spec", "parentRefs") {
							name, _ := e.str(ref, "name")
							ns, ok := e.str(ref, "namespace")
							if !ok {
								ns = rtNS
							}
							if name != gwName || ns != gwNS {
								continue
							}
							section, hasSection := e.str(ref, "sectionName")
							if hasSection && !httpListeners[section] {
								continue
							}
							if grpc {
								// A GRPCRoute cannot redirect: on an HTTP listener it serves gRPC in clear text.
								e.failOn(rt.URN, "GRPCRoute %s/%s attaches to HTTP listener(s) of Gateway %s/%s: gRPC would be served without TLS; attach it to an HTTPS listener", rtNS, rtName, gwNS, gwName)
							} else if !isRedirectRoute(e, rt.Properties) {
								e.failOn(rt.URN, "HTTPRoute %s/%s attaches to HTTP listener(s) of Gateway %s/%s but is not an https RequestRedirect: serve it on the HTTPS listener", rtNS, rtName, gwNS, gwName)
							}
						}
					}
				})
			}
			for _, px := range rs {
				if px.Type != GCPTargetHTTPProxy {
					continue
				}
				e.urn = px.URN
				e.rule(func() {
					// The proxy references its URL map, so here the URL map is the "target".
					var maps []Resource
					for _, um := range rs {
						if um.Type == GCPURLMap && dependsOn(px, um) {
							maps = append(maps, um)
						}
					}
					if len(maps) == 0 {
						for _, um := range rs {
							if um.Type == GCPURLMap && names(e, px, um, "urlMap", "id", "selfLink", "name") {
								maps = append(maps, um)
							}
						}
					}
					redirect := len(maps) > 0
					for _, um := range maps {
						if v, _ := e.boolean(um.Properties, "defaultUrlRedirect", "httpsRedirect"); !v {
							redirect = false
						}
					}
					if !redirect {
						e.fail("HTTP target proxy's URL map is not an HTTPS redirect (defaultUrlRedirect.httpsRedirect): plain HTTP would serve content")
					}
				})
			}
			return e.findings
		},
	}
}

// isRedirectRoute reports whether every rule of an HTTPRoute redirects to https.
func isRedirectRoute(e *eval, p resource.PropertyMap) bool {
	rules := e.objs(p, "spec", "rules")
	if len(rules) == 0 {
		return false
	}
	for _, rule := range rules {
		ok := false
		for _, f := range e.objs(rule, "filters") {
			t, _ := e.str(f, "type")
			scheme, _ := e.str(f, "requestRedirect", "scheme")
			if t == "RequestRedirect" && scheme == "https" {
				ok = true
			}
		}
		if !ok || len(e.objs(rule, "backendRefs")) > 0 {
			return false
		}
	}
	return true
}

func bucketControls() Policy {
	return Policy{
		Name: "bucket-controls",
		Description: "Every bucket carries the companion resources that make it safe, since S3 and Azure keep these " +
			"settings outside the bucket itself: an S3 bucket has a public access block, versioning, a bucket policy " +
			"denying plain HTTP and (with customer-managed keys) a KMS encryption configuration; an Azure storage " +
			"account has blob service properties with soft delete.",
		Level:      Mandatory,
		Resources:  []string{AWSS3BucketV2, AWSS3Bucket, AzureStorageAccount},
		Companions: []string{AWSS3PublicAccessBlock, AWSS3VersioningV2, AWSS3BucketPolicy, AWSS3SSEConfigV2, AzureBlobServiceProperties},
		ValidateStack: func(rs []Resource, cfg Config) []Finding {
			e := newEval("")
			for _, b := range rs {
				switch b.Type {
				case AWSS3BucketV2, AWSS3Bucket:
					e.urn = b.URN
					e.rule(func() {
						need := []struct{ typ, what string }{
							{AWSS3PublicAccessBlock, "a BucketPublicAccessBlock"},
							{AWSS3VersioningV2, "a BucketVersioningV2"},
							{AWSS3BucketPolicy, "a BucketPolicy denying aws:SecureTransport=false"},
						}
						if cfg.RequireCustomerManagedKeys {
							need = append(need, struct{ typ, what string }{AWSS3SSEConfigV2, "a KMS BucketServerSideEncryptionConfigurationV2"})
						}
						var missing []string
						for _, n := range need {
							if len(companions(e, rs, b, n.typ, "bucket", "bucket", "id")) == 0 {
								missing = append(missing, n.what)
							}
						}
						if len(missing) > 0 {
							e.fail("S3 bucket is missing %s", joinAnd(missing))
						}
					})
				case AzureStorageAccount:
					e.urn = b.URN
					e.rule(func() {
						if len(companions(e, rs, b, AzureBlobServiceProperties, "accountName", "accountName", "name")) == 0 {
							e.fail("storage account has no BlobServiceProperties: blob soft delete / versioning is not configured")
						}
					})
				}
			}
			return e.findings
		},
	}
}

func postgresScheduledBackups() Policy {
	return Policy{
		Name: "postgres-scheduled-backups",
		Description: "Every CloudNativePG cluster has a ScheduledBackup, so base backups exist for WAL replay to " +
			"start from (design document: PostgreSQL backups + WAL replay).",
		Level:      Mandatory,
		Resources:  []string{CNPGCluster},
		Companions: []string{CNPGScheduledBackup},
		ValidateStack: func(rs []Resource, cfg Config) []Finding {
			e := newEval("")
			for _, c := range rs {
				if c.Type != CNPGCluster {
					continue
				}
				e.urn = c.URN
				e.rule(func() {
					if len(companions(e, rs, c, CNPGScheduledBackup, "")) > 0 {
						return
					}
					name, ns := k8sName(e, c)
					for _, sb := range rs {
						if sb.Type != CNPGScheduledBackup {
							continue
						}
						_, sbNS := k8sName(e, sb)
						if ref, _ := e.str(sb.Properties, "spec", "cluster", "name"); ref == name && sbNS == ns {
							return
						}
					}
					e.fail("CloudNativePG cluster %s/%s has no ScheduledBackup (spec.cluster.name: %s)", ns, name, name)
				})
			}
			return e.findings
		},
	}
}

// SingletonAnnotation exempts a one-replica Deployment from stateless-replicas; its value is the
// reason and must not be empty.
const SingletonAnnotation = "dataplatform.io/singleton"

func statelessReplicas() Policy {
	return Policy{
		Name: "stateless-replicas",
		Description: "In prod, every stateless service (Deployment) runs at least 2 replicas — or an autoscaler " +
			"keeps at least 2 — and a PodDisruptionBudget selects its pods, so node drains and upgrades never take " +
			"it down (design document: 99.9 % uptime). A Deployment that must run exactly one replica is exempt when " +
			"annotated dataplatform.io/singleton: <reason>. A Helm Release of a chart the pack knows (airbyte) is held to the " +
			"same rule through its values (<service>.replicaCount, <service>.annotations). Only checked in prod.",
		Level:      Mandatory,
		Resources:  []string{K8sDeployment, K8sHelmRelease},
		Companions: []string{K8sHPA, K8sPDB},
		ValidateStack: func(rs []Resource, cfg Config) []Finding {
			if !cfg.IsProd() {
				return nil
			}
			e := newEval("")
			for _, d := range rs {
				if d.Type == K8sHelmRelease {
					// A Release's Deployments are installed by Helm, unseen: its replica values are
					// checked instead (the platform creates the PDBs of the charts it knows itself).
					e.urn = d.URN
					e.rule(func() { e.releaseReplicas(d) })
					continue
				}
				if d.Type != K8sDeployment {
					continue
				}
				e.urn = d.URN
				e.rule(func() {
					name, ns := k8sName(e, d)
					replicas, ok := e.num(d.Properties, "spec", "replicas")
					if !ok {
						replicas = 1
					}
					// A true singleton (a controller with one leader, a process keeping local state)
					// says so and why: exempt from the replica and PDB rules, but only while it runs
					// exactly one replica.
					if reason, marked := e.strMap(d.Properties, "metadata", "annotations")[SingletonAnnotation]; marked {
						switch {
						case strings.TrimSpace(reason) == "":
							e.fail("Deployment %s/%s: annotation %s needs a reason (why it must run one replica)", ns, name, SingletonAnnotation)
						case replicas != 1:
							e.fail("Deployment %s/%s is annotated %s but runs %v replicas: a singleton runs exactly 1 (remove the annotation)", ns, name, SingletonAnnotation, replicas)
						}
						return
					}
					if replicas < 2 {
						scaled := false
						for _, h := range rs {
							if !isHPA(h.Type) {
								continue
							}
							_, hNS := k8sName(e, h)
							kind, _ := e.str(h.Properties, "spec", "scaleTargetRef", "kind")
							target, _ := e.str(h.Properties, "spec", "scaleTargetRef", "name")
							minR, ok := e.num(h.Properties, "spec", "minReplicas")
							if !ok {
								minR = 1
							}
							if kind == "Deployment" && target == name && hNS == ns && minR >= 2 {
								scaled = true
							}
						}
						if !scaled {
							e.fail("Deployment %s/%s runs %v replica(s): prod needs spec.replicas ≥ 2 (or an HPA with minReplicas ≥ 2)", ns, name, replicas)
						}
					}
					labels := e.strMap(d.Properties, "spec", "template", "metadata", "labels")
					covered := false
					for _, pdb := range rs {
						if !isPDB(pdb.Type) {
							continue
						}
						_, pNS := k8sName(e, pdb)
						if pNS == ns && hasLabels(labels, e.strMap(pdb.Properties, "spec", "selector", "matchLabels")) {
							covered = true
						}
					}
					if !covered {
						e.fail("Deployment %s/%s has no PodDisruptionBudget selecting its pods", ns, name)
					}
				})
			}
			return e.findings
		},
	}
}
