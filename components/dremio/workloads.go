package dremio

import (
	"fmt"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/config"
)

// dremioUID is the dremio user of the dremio/dremio-oss image.
const dremioUID = 999

// dremio creates the coordinator and executor StatefulSets and the executors' disruption budget.
func (b *builder) dremio() error {
	coord, err := b.statefulSet(CoordinatorRole, 1, b.a.Coordinator, b.a.CoordinatorVolumeGiB)
	if err != nil {
		return err
	}
	b.coordinator = coord
	if _, err := b.statefulSet(ExecutorRole, b.a.Executors, b.a.Executor, b.a.ExecutorVolumeGiB); err != nil {
		return err
	}
	_, err = policyv1.NewPodDisruptionBudget(b.ctx, b.name+"-executor-pdb", &policyv1.PodDisruptionBudgetArgs{
		Metadata: b.meta(executorName, dremioSelector(ExecutorRole)),
		Spec: &policyv1.PodDisruptionBudgetSpecArgs{
			// One executor at a time: queries keep running on the others.
			MaxUnavailable: pulumi.Int(1),
			Selector:       &metav1.LabelSelectorArgs{MatchLabels: toStringMap(dremioSelector(ExecutorRole))},
		},
	}, b.opts()...)
	return err
}

func (b *builder) statefulSet(role Role, replicas int, size config.Compute, volumeGiB int) (*appsv1.StatefulSet, error) {
	a := b.a
	mem, err := MemorySplit(role, mib(size.MemoryGiB))
	if err != nil {
		return nil, err
	}
	sel := dremioSelector(role)
	podLabels := map[string]string{}
	for k, v := range sel {
		podLabels[k] = v
	}
	if b.objectStore() {
		for k, v := range b.identity.PodLabels {
			podLabels[k] = v
		}
	}
	objName := coordinatorName
	if role == ExecutorRole {
		objName = executorName
	}

	env := corev1.EnvVarArray{
		&corev1.EnvVarArgs{Name: pulumi.String("DREMIO_MAX_HEAP_MEMORY_SIZE_MB"), Value: pulumi.String(fmt.Sprint(mem.HeapMiB))},
		&corev1.EnvVarArgs{Name: pulumi.String("DREMIO_MAX_DIRECT_MEMORY_SIZE_MB"), Value: pulumi.String(fmt.Sprint(mem.DirectMiB))},
	}
	javaOpts := "-XX:+UseG1GC -XX:+AlwaysPreTouch"
	mounts := corev1.VolumeMountArray{
		&corev1.VolumeMountArgs{Name: pulumi.String("data"), MountPath: pulumi.String(dataDir)},
		&corev1.VolumeMountArgs{Name: pulumi.String("config"), MountPath: pulumi.String(confDir + "/dremio.conf"), SubPath: pulumi.String(fmt.Sprintf("dremio-%s.conf", role)), ReadOnly: pulumi.Bool(true)},
		&corev1.VolumeMountArgs{Name: pulumi.String("config"), MountPath: pulumi.String(confDir + "/core-site.xml"), SubPath: pulumi.String("core-site.xml"), ReadOnly: pulumi.Bool(true)},
	}
	volumes := corev1.VolumeArray{
		&corev1.VolumeArgs{Name: pulumi.String("config"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: b.configMap.Metadata.Name().Elem()}},
	}
	var initContainers corev1.ContainerArray

	if b.objectStore() {
		switch a.ObjectStore.Kind {
		case objectstore.S3:
			// Both AWS SDKs of the S3 file system read the profile from one credentials file (see
			// awsCredentials); its credential_process is mounted executable beside it. The EKS Pod
			// Identity webhook injects AWS_CONTAINER_CREDENTIALS_FULL_URI and
			// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, which the process (a child of the JVM) inherits.
			env = append(env,
				&corev1.EnvVarArgs{Name: pulumi.String("AWS_CREDENTIAL_PROFILES_FILE"), Value: pulumi.String(awsCredentialsPath)},
				&corev1.EnvVarArgs{Name: pulumi.String("AWS_SHARED_CREDENTIALS_FILE"), Value: pulumi.String(awsCredentialsPath)},
				&corev1.EnvVarArgs{Name: pulumi.String("AWS_REGION"), Value: pulumi.String(a.ObjectStore.Region)},
			)
			mounts = append(mounts, &corev1.VolumeMountArgs{Name: pulumi.String("aws"), MountPath: pulumi.String(awsDir), ReadOnly: pulumi.Bool(true)})
			volumes = append(volumes, &corev1.VolumeArgs{Name: pulumi.String("aws"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{
				Name: b.configMap.Metadata.Name().Elem(),
				Items: corev1.KeyToPathArray{
					&corev1.KeyToPathArgs{Key: pulumi.String("aws-credentials"), Path: pulumi.String("credentials"), Mode: pulumi.Int(0o444)},
					&corev1.KeyToPathArgs{Key: pulumi.String("aws-credential-process"), Path: pulumi.String("credential-process"), Mode: pulumi.Int(0o555)},
				},
			}})
		case objectstore.ADLS:
			// Hadoop's MsiTokenProvider gets its tokens from this sidecar on the loopback (see
			// coreSiteProperties); Dremio starts once the sidecar's startup probe passes.
			initContainers = append(initContainers, tokenProxySidecar(a.TokenProxyImage))
		case objectstore.MinIO:
			env = append(env,
				secretEnv("AWS_ACCESS_KEY_ID", b.identity.CredentialsSecret, "accessKey"),
				secretEnv("AWS_SECRET_ACCESS_KEY", b.identity.CredentialsSecret, "secretKey"),
			)
			// MinIO's certificate is signed by a private CA: the JVM trusts a copy of its default
			// trust store with that CA added, built by an init container from the same image.
			javaOpts += fmt.Sprintf(" -Djavax.net.ssl.trustStore=%s -Djavax.net.ssl.trustStorePassword=changeit", truststorePath)
			mounts = append(mounts, &corev1.VolumeMountArgs{Name: pulumi.String("truststore"), MountPath: pulumi.String(truststoreDir), ReadOnly: pulumi.Bool(true)})
			volumes = append(volumes, &corev1.VolumeArgs{Name: pulumi.String("truststore"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}})
			script := fmt.Sprintf(`set -eu
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
cp "$java_home/lib/security/cacerts" %[1]s
chmod 0600 %[1]s
keytool -importcert -noprompt -alias objectstore-ca -file %[2]s/objectstore-ca.crt -keystore %[1]s -storepass changeit
`, truststorePath, caMountDir)
			initContainers = append(initContainers, &corev1.ContainerArgs{
				Name:            pulumi.String("truststore"),
				Image:           pulumi.String(a.Image),
				Command:         pulumi.StringArray{pulumi.String("/bin/bash"), pulumi.String("-c"), pulumi.String(script)},
				Resources:       resources(pulumi.String("100m"), 256),
				SecurityContext: restrictedContainer(),
				VolumeMounts: corev1.VolumeMountArray{
					&corev1.VolumeMountArgs{Name: pulumi.String("truststore"), MountPath: pulumi.String(truststoreDir)},
					&corev1.VolumeMountArgs{Name: pulumi.String("config"), MountPath: pulumi.String(caMountDir), ReadOnly: pulumi.Bool(true)},
				},
			})
		}
	}
	// Every node dials the others and ZooKeeper by name; the fabric and conduit ports are fixed so
	// that they are known.
	env = append(env, &corev1.EnvVarArgs{Name: pulumi.String("DREMIO_JAVA_SERVER_EXTRA_OPTS"), Value: pulumi.String(javaOpts)})

	affinity, tsc := b.spread(sel)
	ports := corev1.ContainerPortArray{
		&corev1.ContainerPortArgs{Name: pulumi.String("fabric"), ContainerPort: pulumi.Int(FabricPort)},
		&corev1.ContainerPortArgs{Name: pulumi.String("conduit"), ContainerPort: pulumi.Int(ConduitPort)},
		&corev1.ContainerPortArgs{Name: pulumi.String("metrics"), ContainerPort: pulumi.Int(MetricsPort)},
	}
	container := &corev1.ContainerArgs{
		Name:            pulumi.String("dremio"),
		Image:           pulumi.String(a.Image),
		Command:         pulumi.StringArray{pulumi.String(dremioHome + "/bin/dremio"), pulumi.String("start-fg")},
		Env:             env,
		Resources:       resources(quantityCPU(size.CPU), mib(size.MemoryGiB)),
		SecurityContext: restrictedContainer(),
		VolumeMounts:    mounts,
	}
	// The pod's grace period covers Dremio's drain plus the shutdown of its other services (see
	// DefaultExecutorDrainSeconds).
	grace := coordinatorDrainSeconds + shutdownMarginSeconds
	if role == CoordinatorRole {
		ports = append(ports,
			&corev1.ContainerPortArgs{Name: pulumi.String("web"), ContainerPort: pulumi.Int(WebPort)},
			&corev1.ContainerPortArgs{Name: pulumi.String("client"), ContainerPort: pulumi.Int(ClientPort)},
			&corev1.ContainerPortArgs{Name: pulumi.String("flight"), ContainerPort: pulumi.Int(FlightPort)},
		)
		web := &corev1.HTTPGetActionArgs{Path: pulumi.String("/apiv2/server_status"), Port: pulumi.Int(WebPort)}
		// A first start builds the KV store and the catalogue: the startup probe allows 15 minutes.
		// The KV-store upgrade runs before, in the upgrade init container, which no probe limits.
		container.StartupProbe = &corev1.ProbeArgs{HttpGet: web, PeriodSeconds: pulumi.Int(10), FailureThreshold: pulumi.Int(90), TimeoutSeconds: pulumi.Int(5)}
		container.ReadinessProbe = &corev1.ProbeArgs{HttpGet: web, PeriodSeconds: pulumi.Int(10), FailureThreshold: pulumi.Int(3), TimeoutSeconds: pulumi.Int(5)}
		container.LivenessProbe = &corev1.ProbeArgs{HttpGet: &corev1.HTTPGetActionArgs{Path: pulumi.String("/"), Port: pulumi.Int(WebPort)}, PeriodSeconds: pulumi.Int(15), FailureThreshold: pulumi.Int(6), TimeoutSeconds: pulumi.Int(10)}
		initContainers = append(initContainers, upgradeContainer(a.Image, env, mounts, container.Resources))
	} else {
		fabric := &corev1.TCPSocketActionArgs{Port: pulumi.Int(FabricPort)}
		container.StartupProbe = &corev1.ProbeArgs{TcpSocket: fabric, PeriodSeconds: pulumi.Int(10), FailureThreshold: pulumi.Int(30)}
		container.ReadinessProbe = &corev1.ProbeArgs{TcpSocket: fabric, PeriodSeconds: pulumi.Int(10), FailureThreshold: pulumi.Int(3)}
		container.LivenessProbe = &corev1.ProbeArgs{TcpSocket: fabric, PeriodSeconds: pulumi.Int(15), FailureThreshold: pulumi.Int(6)}
		// Graceful drain: the JVM gets SIGTERM at once and finishes its running fragments for up to
		// dremio.termination_grace_period_seconds (dremio.conf) before it leaves ZooKeeper.
		grace = a.ExecutorDrainSeconds + shutdownMarginSeconds
	}
	container.Ports = ports

	podMeta := &metav1.ObjectMetaArgs{
		Labels:      b.labels(podLabels),
		Annotations: pulumi.StringMap{"dataplatform.io/config-sha256": b.configHash},
	}
	spec := &appsv1.StatefulSetSpecArgs{
		Replicas:       pulumi.Int(replicas),
		ServiceName:    pulumi.String(clusterService),
		Selector:       &metav1.LabelSelectorArgs{MatchLabels: toStringMap(sel)},
		UpdateStrategy: &appsv1.StatefulSetUpdateStrategyArgs{Type: pulumi.String("RollingUpdate")},
		Template: &corev1.PodTemplateSpecArgs{
			Metadata: podMeta,
			Spec: b.schedule(&corev1.PodSpecArgs{
				ServiceAccountName:            b.sa.Metadata.Name().Elem(),
				AutomountServiceAccountToken:  pulumi.Bool(false),
				SecurityContext:               podSecurity(dremioUID),
				Affinity:                      affinity,
				TopologySpreadConstraints:     tsc,
				TerminationGracePeriodSeconds: pulumi.Int(grace),
				InitContainers:                initContainers,
				Containers:                    corev1.ContainerArray{container},
				Volumes:                       volumes,
			}),
		},
		VolumeClaimTemplates: b.pvc(volumeGiB),
	}
	if role == ExecutorRole {
		// Executors are interchangeable: create and scale them all at once. (A rolling update still
		// replaces one pod at a time, each draining for its grace period.)
		spec.PodManagementPolicy = pulumi.String("Parallel")
	}
	// The coordinator's volume holds the KV store: Dremio's catalogue, users and job history. The
	// executors' volumes hold only spill and cache, but replacing their StatefulSet (a changed volume
	// template) deletes every executor at once: in prod that is a deliberate act, not a side effect.
	opts := []pulumi.ResourceOption{pulumi.DependsOn([]pulumi.Resource{b.zk}), pulumi.Protect(a.Protect)}
	return appsv1.NewStatefulSet(b.ctx, fmt.Sprintf("%s-%s", b.name, role), &appsv1.StatefulSetArgs{
		Metadata: b.meta(objName, sel),
		Spec:     spec,
	}, b.opts(opts...)...)
}

// upgradeContainer upgrades the coordinator's KV store to the image's version before the server
// starts, as Dremio's chart does (dremio-cloud-tools@7c352d5 charts/dremio_v2/templates/
// dremio-master.yaml, init container "upgrade-task": /opt/dremio/bin/dremio-admin upgrade, with the
// data volume and the configuration). dremio-admin upgrade opens the local KV store only
// (dremio-oss@25.2.0 dac/daemon/src/main/java/com/dremio/dac/cmd/upgrade/Upgrade.java): on a first
// start it logs "No database found. Skipping upgrade" and exits 0; it runs the upgrade tasks not yet
// recorded, stamps the store with the new version and exits 1 on failure, which keeps the old
// store for a restore and the pod in Init until it is fixed. The server then only checks the
// version (services.coordinator.auto-upgrade: false, see renderDremioConf). bin/dremio-admin takes
// its heap from DREMIO_MAX_HEAP_MEMORY_SIZE_MB, so the container gets the server's env and
// resources (an init container's requests do not add to the pod's).
func upgradeContainer(image string, env corev1.EnvVarArray, mounts corev1.VolumeMountArray, res corev1.ResourceRequirementsPtrInput) *corev1.ContainerArgs {
	return &corev1.ContainerArgs{
		Name:            pulumi.String("upgrade-kvstore"),
		Image:           pulumi.String(image),
		Command:         pulumi.StringArray{pulumi.String(dremioHome + "/bin/dremio-admin"), pulumi.String("upgrade")},
		Env:             env,
		Resources:       res,
		SecurityContext: restrictedContainer(),
		VolumeMounts:    mounts,
	}
}

func secretEnv(name string, secret pulumi.StringInput, key string) *corev1.EnvVarArgs {
	return &corev1.EnvVarArgs{Name: pulumi.String(name), ValueFrom: &corev1.EnvVarSourceArgs{
		SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: secret, Key: pulumi.String(key)},
	}}
}

// tokenProxySidecar is the azure-workload-identity token proxy as a Kubernetes native sidecar (an
// init container with restartPolicy Always, Kubernetes ≥ 1.29): it serves the IMDS token path on
// 127.0.0.1:8000 and trades the pod's federated ServiceAccount token (AZURE_FEDERATED_TOKEN_FILE,
// AZURE_TENANT_ID and AZURE_AUTHORITY_HOST, which the workload identity webhook injects into init
// containers too) for an Entra ID token of the client ID Hadoop asks for. Hadoop dials it directly,
// so unlike upstream's injection there is no privileged iptables init container and no redirection
// of the metadata address. It runs as the pod's non-root user (the same uid as Dremio, so it can read
// the projected token) on a read-only root file system with no capabilities. Requests equal limits,
// like every container of the pod, so the pod keeps its Guaranteed QoS class.
func tokenProxySidecar(image string) *corev1.ContainerArgs {
	probe := func(period, failures int) *corev1.ProbeArgs {
		// --probe asks the running proxy's readiness endpoint (retrying for a few seconds) and exits
		// 0 or 1.
		return &corev1.ProbeArgs{
			Exec: &corev1.ExecActionArgs{Command: pulumi.StringArray{
				pulumi.String("/proxy"), pulumi.String("--probe"), pulumi.String(fmt.Sprintf("--proxy-port=%d", tokenProxyPort)),
			}},
			PeriodSeconds: pulumi.Int(period), FailureThreshold: pulumi.Int(failures), TimeoutSeconds: pulumi.Int(10),
		}
	}
	sc := restrictedContainer()
	sc.ReadOnlyRootFilesystem = pulumi.Bool(true)
	return &corev1.ContainerArgs{
		Name:          pulumi.String(tokenProxyName),
		Image:         pulumi.String(image),
		RestartPolicy: pulumi.String("Always"),
		Args:          pulumi.StringArray{pulumi.String(fmt.Sprintf("--proxy-port=%d", tokenProxyPort))},
		// Up to a minute to start; the Dremio container waits for it.
		StartupProbe:    probe(2, 30),
		LivenessProbe:   probe(30, 3),
		Resources:       resources(pulumi.String("50m"), 64),
		SecurityContext: sc,
	}
}
