package dremio

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/objectstore"

	"github.com/opendataplatform/dataplatform/components/secrets"
)

// builder holds what the children of one cluster share.
type builder struct {
	ctx  *pulumi.Context
	name string
	comp *DremioCluster
	a    DremioClusterArgs

	identity    objectstore.Identity
	sa          *corev1.ServiceAccount
	configMap   *corev1.ConfigMap
	configHash  pulumi.StringOutput
	zk          *appsv1.StatefulSet
	coordinator *appsv1.StatefulSet
	clientSvc   *corev1.Service
	adminSecret *secrets.Materialized
	dbtSecret   *secrets.Materialized
	// supersetSecret is the "superset" user's Secret, when SupersetUser asks for it.
	supersetSecret *secrets.Materialized
	// monitorSecret is the "monitor" user's Secret, when MonitorUser asks for it.
	monitorSecret *secrets.Materialized
	// jobSecret is the bootstrap Job's versioned copy of both credentials (access.go).
	jobSecret *secrets.Materialized
}

func (b *builder) opts(extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{pulumi.Parent(b.comp)}, extra...)
}

func (b *builder) labels(extra map[string]string) pulumi.StringMap {
	l := pulumi.StringMap{
		"app.kubernetes.io/part-of":    pulumi.String("dataplatform"),
		"app.kubernetes.io/managed-by": pulumi.String("pulumi"),
	}
	for k, v := range b.a.Labels {
		l[k] = pulumi.String(v)
	}
	for k, v := range extra {
		l[k] = pulumi.String(v)
	}
	return l
}

func (b *builder) meta(objName string, extra map[string]string) *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{Name: pulumi.String(objName), Namespace: b.a.Namespace, Labels: b.labels(extra)}
}

// dremioSelector selects the pods of one Dremio role.
func dremioSelector(role Role) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "dremio", "app.kubernetes.io/component": string(role)}
}

// zkSelector selects the ZooKeeper pods.
func zkSelector() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "zookeeper", "app.kubernetes.io/instance": zkName}
}

func toStringMap(m map[string]string) pulumi.StringMap {
	out := pulumi.StringMap{}
	for k, v := range m {
		out[k] = pulumi.String(v)
	}
	return out
}

func (b *builder) objectStore() bool { return b.a.DistStorage == DistObjectStore }

func (b *builder) build() error {
	if b.objectStore() {
		b.identity = b.a.ObjectStore.Identities[b.a.Workload]
	}
	// The generated passwords come late: only the bootstrap needs them.
	steps := []func() error{b.serviceAccount, b.config, b.zookeeper, b.services, b.dremio, b.networkPolicies, b.secrets, b.bootstrap}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// serviceAccount is the identity every Dremio pod runs as, carrying the store's annotations.
func (b *builder) serviceAccount() error {
	meta := b.meta(serviceAccountName, map[string]string{"app.kubernetes.io/name": "dremio"})
	if b.objectStore() && b.identity.ServiceAccountAnnotations != (pulumi.StringMapOutput{}) {
		meta.Annotations = b.identity.ServiceAccountAnnotations
	}
	sa, err := corev1.NewServiceAccount(b.ctx, b.name+"-sa", &corev1.ServiceAccountArgs{
		Metadata: meta,
		// Dremio does not call the Kubernetes API; cloud tokens come from projected volumes.
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, b.opts()...)
	b.sa = sa
	return err
}

// config renders dremio.conf per role, core-site.xml and, per store, the AWS profile and CA bundle.
func (b *builder) config() error {
	a := b.a
	zk := zkConnect(a.NamespaceName, a.ZooKeeperReplicas)
	data := pulumi.StringMap{}
	if !b.objectStore() {
		data["dremio-coordinator.conf"] = pulumi.String(renderDremioConf(CoordinatorRole, localDist, zk, coordinatorDrainSeconds))
		data["dremio-executor.conf"] = pulumi.String(renderDremioConf(ExecutorRole, localDist, zk, a.ExecutorDrainSeconds))
		data["core-site.xml"] = pulumi.String(renderCoreSite(nil))
	} else {
		os := a.ObjectStore
		account := os.Account
		if account == (pulumi.StringOutput{}) {
			account = pulumi.String("").ToStringOutput()
		}
		endpoint := os.Endpoint
		if endpoint == (pulumi.StringOutput{}) {
			endpoint = pulumi.String("").ToStringOutput()
		}
		principal := b.identity.Principal
		if principal == (pulumi.StringOutput{}) {
			principal = pulumi.String("").ToStringOutput()
		}
		kind, region, drain := os.Kind, os.Region, a.ExecutorDrainSeconds
		rendered := pulumi.All(os.BucketNames[objectstore.Dremio], account, endpoint, principal).ApplyT(func(v []any) (map[string]string, error) {
			p := storeParams{Kind: kind, Bucket: v[0].(string), Account: v[1].(string), Endpoint: v[2].(string), ClientID: v[3].(string), Region: region}
			dist, err := distPath(kind, p.Bucket, p.Account)
			if err != nil {
				return nil, err
			}
			props, err := coreSiteProperties(p)
			if err != nil {
				return nil, err
			}
			out := map[string]string{
				"dremio-coordinator.conf": renderDremioConf(CoordinatorRole, fmt.Sprintf("%q", dist), zk, coordinatorDrainSeconds),
				"dremio-executor.conf":    renderDremioConf(ExecutorRole, fmt.Sprintf("%q", dist), zk, drain),
				"core-site.xml":           renderCoreSite(props),
			}
			if kind == objectstore.S3 {
				out["aws-credentials"] = awsCredentials()
				out["aws-credential-process"] = awsCredentialProcess
			}
			return out, nil
		}).(pulumi.StringMapOutput)
		keys := []string{"dremio-coordinator.conf", "dremio-executor.conf", "core-site.xml"}
		if kind == objectstore.S3 {
			keys = append(keys, "aws-credentials", "aws-credential-process")
		}
		for _, k := range keys {
			data[k] = rendered.MapIndex(pulumi.String(k))
		}
		if kind == objectstore.MinIO {
			data["objectstore-ca.crt"] = os.CABundle
		}
	}
	cm, err := corev1.NewConfigMap(b.ctx, b.name+"-config", &corev1.ConfigMapArgs{
		Metadata: b.meta(configMapName, map[string]string{"app.kubernetes.io/name": "dremio"}),
		Data:     data,
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.configMap = cm
	// A changed configuration rolls the pods: the hash goes into their template.
	b.configHash = cm.Data.ApplyT(func(d map[string]string) string {
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		h := sha256.New()
		for _, k := range keys {
			fmt.Fprintf(h, "%s\x00%s\x00", k, d[k])
		}
		return hex.EncodeToString(h.Sum(nil))[:16]
	}).(pulumi.StringOutput)
	return nil
}

func quantityCPU(cpu float64) pulumi.String {
	return pulumi.String(fmt.Sprintf("%dm", int(cpu*1000+0.5)))
}

// resources sets requests equal to limits: Dremio sizes its JVM from the container memory, and
// guaranteed QoS keeps it from being the first evicted.
func resources(cpu pulumi.String, memMiB int) *corev1.ResourceRequirementsArgs {
	m := pulumi.StringMap{"cpu": cpu, "memory": pulumi.String(fmt.Sprintf("%dMi", memMiB))}
	return &corev1.ResourceRequirementsArgs{Requests: m, Limits: m}
}

func restrictedContainer() *corev1.SecurityContextArgs {
	return &corev1.SecurityContextArgs{
		AllowPrivilegeEscalation: pulumi.Bool(false),
		RunAsNonRoot:             pulumi.Bool(true),
		Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
	}
}

func podSecurity(uid int) *corev1.PodSecurityContextArgs {
	return &corev1.PodSecurityContextArgs{
		RunAsNonRoot:        pulumi.Bool(true),
		RunAsUser:           pulumi.Int(uid),
		RunAsGroup:          pulumi.Int(uid),
		FsGroup:             pulumi.Int(uid),
		FsGroupChangePolicy: pulumi.String("OnRootMismatch"),
		SeccompProfile:      &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
}

// schedule applies the workload pool's tolerations and node selector to a pod spec.
func (b *builder) schedule(spec *corev1.PodSpecArgs) *corev1.PodSpecArgs {
	spec.Tolerations = b.a.Scheduling.TolerationArray()
	spec.NodeSelector = b.a.Scheduling.NodeSelectorMap()
	return spec
}

// spread keeps replicas on different nodes (required in prod) and balances them across zones.
func (b *builder) spread(selector map[string]string) (*corev1.AffinityArgs, corev1.TopologySpreadConstraintArray) {
	sel := &metav1.LabelSelectorArgs{MatchLabels: toStringMap(selector)}
	host := pulumi.String("kubernetes.io/hostname")
	affinity := &corev1.PodAntiAffinityArgs{}
	if b.a.Prod {
		affinity.RequiredDuringSchedulingIgnoredDuringExecution = corev1.PodAffinityTermArray{
			&corev1.PodAffinityTermArgs{LabelSelector: sel, TopologyKey: host},
		}
	} else {
		affinity.PreferredDuringSchedulingIgnoredDuringExecution = corev1.WeightedPodAffinityTermArray{
			&corev1.WeightedPodAffinityTermArgs{Weight: pulumi.Int(100), PodAffinityTerm: &corev1.PodAffinityTermArgs{LabelSelector: sel, TopologyKey: host}},
		}
	}
	tsc := corev1.TopologySpreadConstraintArray{&corev1.TopologySpreadConstraintArgs{
		MaxSkew:           pulumi.Int(1),
		TopologyKey:       pulumi.String("topology.kubernetes.io/zone"),
		WhenUnsatisfiable: pulumi.String("ScheduleAnyway"),
		LabelSelector:     sel,
	}}
	return &corev1.AffinityArgs{PodAntiAffinity: affinity}, tsc
}

func (b *builder) pvc(gib int) corev1.PersistentVolumeClaimTypeArray {
	spec := &corev1.PersistentVolumeClaimSpecArgs{
		AccessModes: pulumi.StringArray{pulumi.String("ReadWriteOnce")},
		Resources:   &corev1.VolumeResourceRequirementsArgs{Requests: pulumi.StringMap{"storage": pulumi.String(fmt.Sprintf("%dGi", gib))}},
	}
	if b.a.StorageClass != "" {
		spec.StorageClassName = pulumi.String(b.a.StorageClass)
	}
	return corev1.PersistentVolumeClaimTypeArray{&corev1.PersistentVolumeClaimTypeArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("data")},
		Spec:     spec,
	}}
}

// ZooKeeper's layout in its pod.
const (
	zkUID        = 1000
	zkVolume     = "/data"
	zkDataDir    = zkVolume + "/data"
	zkDataLogDir = zkVolume + "/log"
	zkConfDir    = "/zk-conf"
	zkMemoryMiB  = 1024
	zkHeapMiB    = 512
)

// zkStartScript prepares what the image's entrypoint needs and execs it. The entrypoint writes
// $ZOO_DATA_DIR/myid before zkServer.sh creates any directory, so a fresh volume needs the data and
// log directories first; the conf volume starts empty, so logback.xml is copied from the image's
// /conf and zoo.cfg is rendered anew (the entrypoint appends to an existing one only when it is
// absent, and the emptyDir outlives a container restart). The server id is the pod ordinal + 1.
const zkStartScript = `set -euo pipefail
ordinal="${POD_NAME##*-}"
case "$ordinal" in ''|*[!0-9]*) echo "cannot derive the server id from pod name $POD_NAME" >&2; exit 1 ;; esac
export ZOO_MY_ID=$((ordinal + 1))
mkdir -p "$ZOO_DATA_DIR" "$ZOO_DATA_LOG_DIR"
cp /conf/logback.xml "$ZOO_CONF_DIR/logback.xml"
rm -f "$ZOO_CONF_DIR/zoo.cfg"
exec /docker-entrypoint.sh zkServer.sh start-foreground
`

// zkReadyScript asks the local server srvr and succeeds when it reports its mode.
const zkReadyScript = `exec 3<>/dev/tcp/127.0.0.1/2181 && printf srvr >&3 && grep -q '^Mode: ' <&3`

// zookeeper creates the ensemble Dremio coordinates through.
func (b *builder) zookeeper() error {
	a := b.a
	sel := zkSelector()
	var servers []string
	for i := 0; i < a.ZooKeeperReplicas; i++ {
		servers = append(servers, fmt.Sprintf("server.%d=%s-%d.%s.%s.svc.cluster.local:%d:%d;%d", i+1, zkName, i, zkHeadlessName, a.NamespaceName, zkPeerPort, zkElectionPort, ZKClientPort))
	}
	headless, err := corev1.NewService(b.ctx, b.name+"-zookeeper-headless", &corev1.ServiceArgs{
		Metadata: b.meta(zkHeadlessName, sel),
		Spec: &corev1.ServiceSpecArgs{
			ClusterIP: pulumi.String("None"),
			// Peers must resolve each other before they are ready, or the ensemble never forms.
			PublishNotReadyAddresses: pulumi.Bool(true),
			Selector:                 toStringMap(sel),
			Ports: corev1.ServicePortArray{
				&corev1.ServicePortArgs{Name: pulumi.String("client"), Port: pulumi.Int(ZKClientPort)},
				&corev1.ServicePortArgs{Name: pulumi.String("peer"), Port: pulumi.Int(zkPeerPort)},
				&corev1.ServicePortArgs{Name: pulumi.String("election"), Port: pulumi.Int(zkElectionPort)},
			},
		},
	}, b.opts()...)
	if err != nil {
		return err
	}
	if _, err := corev1.NewService(b.ctx, b.name+"-zookeeper", &corev1.ServiceArgs{
		Metadata: b.meta(zkName, sel),
		Spec: &corev1.ServiceSpecArgs{
			Selector: toStringMap(sel),
			Ports:    corev1.ServicePortArray{&corev1.ServicePortArgs{Name: pulumi.String("client"), Port: pulumi.Int(ZKClientPort)}},
		},
	}, b.opts()...); err != nil {
		return err
	}

	affinity, tsc := b.spread(sel)
	// The image's /docker-entrypoint.sh (31z4/zookeeper-docker@268d33c 3.9.3/docker-entrypoint.sh)
	// writes $ZOO_CONF_DIR/zoo.cfg from these variables when it does not exist, then
	// $ZOO_DATA_DIR/myid from ZOO_MY_ID, both under set -e; the Dockerfile (3.9.3/Dockerfile) sets the
	// defaults and ZOOCFGDIR=/conf, from which zkEnv.sh puts the conf directory, with logback.xml,
	// first on the class path (apache/zookeeper@release-3.9.3 bin/zkEnv.sh).
	env := corev1.EnvVarArray{
		// 3.5+ server lines: server.N=host:peer:election;client (ZooKeeper Administrator's Guide).
		&corev1.EnvVarArgs{Name: pulumi.String("ZOO_SERVERS"), Value: pulumi.String(strings.Join(servers, " "))},
		&corev1.EnvVarArgs{Name: pulumi.String("ZOO_STANDALONE_ENABLED"), Value: pulumi.String(fmt.Sprint(a.ZooKeeperReplicas == 1))},
		// Snapshots and the transaction log on the volume; the start script creates both first.
		&corev1.EnvVarArgs{Name: pulumi.String("ZOO_DATA_DIR"), Value: pulumi.String(zkDataDir)},
		&corev1.EnvVarArgs{Name: pulumi.String("ZOO_DATA_LOG_DIR"), Value: pulumi.String(zkDataLogDir)},
		&corev1.EnvVarArgs{Name: pulumi.String("ZOO_LOG_DIR"), Value: pulumi.String("/logs")},
		// The writable conf directory (the root file system is read-only): zoo.cfg is rendered into
		// it, the image's logback.xml copied next to it, and ZooKeeper may write its dynamic config
		// files there (QuorumPeer.setLastSeenQuorumVerifier).
		&corev1.EnvVarArgs{Name: pulumi.String("ZOO_CONF_DIR"), Value: pulumi.String(zkConfDir)},
		&corev1.EnvVarArgs{Name: pulumi.String("ZOOCFGDIR"), Value: pulumi.String(zkConfDir)},
		&corev1.EnvVarArgs{Name: pulumi.String("ZOO_AUTOPURGE_PURGEINTERVAL"), Value: pulumi.String("24")},
		// srvr is what the readiness probe asks; ruok for manual checks.
		&corev1.EnvVarArgs{Name: pulumi.String("ZOO_4LW_COMMANDS_WHITELIST"), Value: pulumi.String("srvr,ruok")},
		&corev1.EnvVarArgs{Name: pulumi.String("ZOO_CFG_EXTRA"), Value: pulumi.String("quorumListenOnAllIPs=true")},
		// The AdminServer (Jetty on 8080) is not used; nothing should listen that no policy covers.
		&corev1.EnvVarArgs{Name: pulumi.String("ZOO_ADMINSERVER_ENABLED"), Value: pulumi.String("false")},
		// zkEnv.sh turns ZK_SERVER_HEAP into the server's -Xmx (SERVER_JVMFLAGS only; default 1000 MiB,
		// too much for the 1 GiB container).
		&corev1.EnvVarArgs{Name: pulumi.String("ZK_SERVER_HEAP"), Value: pulumi.String(fmt.Sprint(zkHeapMiB))},
		&corev1.EnvVarArgs{Name: pulumi.String("POD_NAME"), ValueFrom: &corev1.EnvVarSourceArgs{
			FieldRef: &corev1.ObjectFieldSelectorArgs{FieldPath: pulumi.String("metadata.name")},
		}},
	}
	zk, err := appsv1.NewStatefulSet(b.ctx, b.name+"-zookeeper", &appsv1.StatefulSetArgs{
		Metadata: b.meta(zkName, sel),
		Spec: &appsv1.StatefulSetSpecArgs{
			Replicas:            pulumi.Int(a.ZooKeeperReplicas),
			ServiceName:         headless.Metadata.Name().Elem(),
			PodManagementPolicy: pulumi.String("Parallel"),
			Selector:            &metav1.LabelSelectorArgs{MatchLabels: toStringMap(sel)},
			UpdateStrategy:      &appsv1.StatefulSetUpdateStrategyArgs{Type: pulumi.String("RollingUpdate")},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: b.labels(sel)},
				Spec: b.schedule(&corev1.PodSpecArgs{
					AutomountServiceAccountToken: pulumi.Bool(false),
					// The image's zookeeper user and group (uid/gid 1000, 3.9.3/Dockerfile); fsGroup makes
					// the fresh volume's root group-writable for it.
					SecurityContext:               podSecurity(zkUID),
					Affinity:                      affinity,
					TopologySpreadConstraints:     tsc,
					TerminationGracePeriodSeconds: pulumi.Int(60),
					Containers: corev1.ContainerArray{&corev1.ContainerArgs{
						Name:    pulumi.String("zookeeper"),
						Image:   pulumi.String(a.ZooKeeperImage),
						Command: pulumi.StringArray{pulumi.String("/bin/bash"), pulumi.String("-c"), pulumi.String(zkStartScript)},
						Env:     env,
						Ports: corev1.ContainerPortArray{
							&corev1.ContainerPortArgs{Name: pulumi.String("client"), ContainerPort: pulumi.Int(ZKClientPort)},
							&corev1.ContainerPortArgs{Name: pulumi.String("peer"), ContainerPort: pulumi.Int(zkPeerPort)},
							&corev1.ContainerPortArgs{Name: pulumi.String("election"), ContainerPort: pulumi.Int(zkElectionPort)},
						},
						Resources: resources(pulumi.String("500m"), zkMemoryMiB),
						// Ready when the server serves: srvr answers "Mode: …" only then
						// (apache/zookeeper@release-3.9.3 zookeeper-server/.../command/StatCommand.java;
						// otherwise ZK_NOT_SERVING). Bash's /dev/tcp, no JVM per probe (zkServer.sh
						// status starts one, with the server's JVMFLAGS).
						ReadinessProbe: &corev1.ProbeArgs{
							Exec:                &corev1.ExecActionArgs{Command: pulumi.StringArray{pulumi.String("/bin/bash"), pulumi.String("-c"), pulumi.String(zkReadyScript)}},
							InitialDelaySeconds: pulumi.Int(5), PeriodSeconds: pulumi.Int(10), TimeoutSeconds: pulumi.Int(5),
						},
						LivenessProbe: &corev1.ProbeArgs{
							TcpSocket:           &corev1.TCPSocketActionArgs{Port: pulumi.Int(ZKClientPort)},
							InitialDelaySeconds: pulumi.Int(30), PeriodSeconds: pulumi.Int(15), FailureThreshold: pulumi.Int(4),
						},
						SecurityContext: func() *corev1.SecurityContextArgs {
							s := restrictedContainer()
							s.ReadOnlyRootFilesystem = pulumi.Bool(true)
							return s
						}(),
						VolumeMounts: corev1.VolumeMountArray{
							&corev1.VolumeMountArgs{Name: pulumi.String("data"), MountPath: pulumi.String(zkVolume)},
							// Not over the image's /conf, which keeps logback.xml for the start script to copy.
							&corev1.VolumeMountArgs{Name: pulumi.String("conf"), MountPath: pulumi.String(zkConfDir)},
							&corev1.VolumeMountArgs{Name: pulumi.String("logs"), MountPath: pulumi.String("/logs")},
							&corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")},
						},
					}},
					Volumes: corev1.VolumeArray{
						&corev1.VolumeArgs{Name: pulumi.String("conf"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}},
						&corev1.VolumeArgs{Name: pulumi.String("logs"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}},
						&corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}},
					},
				}),
			},
			VolumeClaimTemplates: b.pvc(10),
		},
	}, b.opts(pulumi.Protect(a.Protect))...)
	if err != nil {
		return err
	}
	b.zk = zk

	// Keep a quorum through voluntary disruptions. A single server has no quorum to keep; blocking
	// its eviction would only block node drains.
	quorum := a.ZooKeeperReplicas/2 + 1
	pdb := &policyv1.PodDisruptionBudgetSpecArgs{Selector: &metav1.LabelSelectorArgs{MatchLabels: toStringMap(sel)}}
	if a.ZooKeeperReplicas >= 3 {
		pdb.MinAvailable = pulumi.Int(quorum)
	} else {
		pdb.MaxUnavailable = pulumi.Int(1)
	}
	_, err = policyv1.NewPodDisruptionBudget(b.ctx, b.name+"-zookeeper-pdb", &policyv1.PodDisruptionBudgetArgs{
		Metadata: b.meta(zkName, sel),
		Spec:     pdb,
	}, b.opts()...)
	return err
}

// services creates the headless Service that gives every Dremio pod a stable DNS name (nodes address
// each other by the name they register in ZooKeeper) and the client Service.
func (b *builder) services() error {
	all := map[string]string{"app.kubernetes.io/name": "dremio"}
	if _, err := corev1.NewService(b.ctx, b.name+"-cluster", &corev1.ServiceArgs{
		Metadata: b.meta(clusterService, all),
		Spec: &corev1.ServiceSpecArgs{
			ClusterIP:                pulumi.String("None"),
			PublishNotReadyAddresses: pulumi.Bool(true),
			Selector:                 toStringMap(all),
			Ports: corev1.ServicePortArray{
				&corev1.ServicePortArgs{Name: pulumi.String("fabric"), Port: pulumi.Int(FabricPort)},
				&corev1.ServicePortArgs{Name: pulumi.String("conduit"), Port: pulumi.Int(ConduitPort)},
			},
		},
	}, b.opts()...); err != nil {
		return err
	}
	svc, err := corev1.NewService(b.ctx, b.name+"-client", &corev1.ServiceArgs{
		Metadata: b.meta(clientService, dremioSelector(CoordinatorRole)),
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: toStringMap(dremioSelector(CoordinatorRole)),
			Ports: corev1.ServicePortArray{
				&corev1.ServicePortArgs{Name: pulumi.String("web"), Port: pulumi.Int(WebPort), TargetPort: pulumi.Int(WebPort)},
				&corev1.ServicePortArgs{Name: pulumi.String("client"), Port: pulumi.Int(ClientPort), TargetPort: pulumi.Int(ClientPort)},
				&corev1.ServicePortArgs{Name: pulumi.String("flight"), Port: pulumi.Int(FlightPort), TargetPort: pulumi.Int(FlightPort)},
			},
		},
	}, b.opts()...)
	b.clientSvc = svc
	return err
}
