package superset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	autoscalingv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/autoscaling/v2"
	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/metadatadb"
)

// Component roles (app.kubernetes.io/component) and object names.
const (
	roleWeb    = "web"
	roleWorker = "worker"
	roleBeat   = "beat"
	roleInit   = "init"
	initJob    = "superset-init"
	beatName   = "superset-beat"
)

// Commands of the operator's defaults (apache/superset-kubernetes-operator@v0.2.0
// internal/controller/component_resources.go): a prefork worker with fair scheduling, and the beat
// with its pid and schedule files on the writable /tmp. The web server runs the image's CMD
// (apache/superset Dockerfile: CMD ["/app/docker/entrypoints/run-server.sh"], no ENTRYPOINT:
// gunicorn on ${SUPERSET_BIND_ADDRESS}:${SUPERSET_PORT}, tuned by the SERVER_* and GUNICORN_*
// variables; docker/entrypoints/run-server.sh). Each runs behind keyCheck (see containerCommand).
const webServer = "/app/docker/entrypoints/run-server.sh"

var beatCommand = []string{"celery", "--app=superset.tasks.celery_app:app", "beat", "--pidfile", "/tmp/celerybeat.pid", "--schedule", "/tmp/celerybeat-schedule"}

// workerCommand is the Celery worker with concurrency prefork children (workerConcurrency).
func workerCommand(concurrency int) []string {
	return []string{"celery", "--app=superset.tasks.celery_app:app", "worker", "--pool=prefork", "-O", "fair", "-c", fmt.Sprint(concurrency)}
}

// ExpectedKeyEnv carries the SHA-256 (hex) of the secret key generation SecretKeyGeneration's pods
// must run with. A digest of a 64-character random key reveals nothing usable, so it is a plain
// value in the pod spec; it changes with the generation.
const ExpectedKeyEnv = "EXPECTED_SECRET_KEY_SHA256"

// keyCheck refuses to start a Superset process on a secret key other than the expected one. A
// rotation changes only the ExternalSecret's annotation, which does not hold pulumi-kubernetes'
// Ready wait (the ExternalSecret is still Ready from its previous sync), so the init Job and the
// rolled pods can start before the External Secrets Operator has rewritten the Secret: with the
// old key, re-encrypt-secrets would find nothing to do and the new pods could decrypt nothing.
// Exiting non-zero makes the Job retry (backoffLimit) and the pods restart until the Secret holds
// the new key: kubelet resolves secretKeyRef variables again at every container start.
// sha256sum is coreutils' (the image's Debian base).
func keyCheck(generation int) string {
	return `actual="$(printf '%s' "$SUPERSET_SECRET_KEY" | sha256sum | cut -d ' ' -f 1)"
if [ "$actual" != "$` + ExpectedKeyEnv + `" ]; then
  echo "superset: SUPERSET_SECRET_KEY (sha256 $actual) is not secret key generation ` + fmt.Sprint(generation) +
		` (sha256 $` + ExpectedKeyEnv + `): the Secret ` + secretKeySecretName + ` has not been synced from the secret store yet; exiting so that this container is retried" >&2
  exit 1
fi
`
}

// containerCommand runs argv after keyCheck.
func containerCommand(generation int, argv []string) pulumi.StringArray {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return pulumi.StringArray{pulumi.String("/bin/sh"), pulumi.String("-c"),
		pulumi.String("set -eu\n" + keyCheck(generation) + "exec " + strings.Join(quoted, " ") + "\n")}
}

// InitScript is the migrate-and-init Job's script for secret key generation `generation`: the key
// check (keyCheck), migrations, the secret key check and re-encryption, roles and permissions, the
// administrator (create-admin leaves an existing user alone: flask_appbuilder/cli.py create_admin
// returns after "User already exists"), and the Dremio connection (superset/cli/update.py
// set_database_uri: get_or_create_db, so a second run updates the URI). Arrow Flight in-cluster:
// Dremio OSS serves Flight without TLS inside the cluster (the edge terminates TLS for outside
// clients), hence UseEncryption=false (sqlalchemy_dremio/db.py: protocol tcp when UseEncryption is
// false).
//
// re-encrypt-secrets runs on every init, not only during a rotation: superset/utils/encrypt.py
// SecretsMigrator leaves a value that opens with SECRET_KEY alone, re-encrypts one that opens with
// the previous key, and fails (rolling back) when a value opens with neither. Without a previous
// key (generation 1) it is handed the current key as the previous one, so the run only proves that
// every stored secret opens with it. A generation moved by anything but +1 (a jump, or a step
// back) gives a key pair that never encrypted the data: the Job fails here, before
// set-database-uri overwrites the Dremio password with the wrong key, and the `up` stops before it
// deletes anything.
func InitScript(dremioHost string, flightPort, generation int) string {
	return "set -eu\n" + keyCheck(generation) + fmt.Sprintf(`superset db upgrade
if [ -z "${PREVIOUS_SECRET_KEY:-}" ]; then
  PREVIOUS_SECRET_KEY="$SUPERSET_SECRET_KEY"
  export PREVIOUS_SECRET_KEY
fi
if ! superset re-encrypt-secrets; then
  echo "superset: the stored secrets open with neither secret key generation %d nor its predecessor: dataplatform:superset.secretKeyGeneration may only be raised by one from the generation the data is encrypted with; set it back to that generation (every generation's key is kept) and raise it one step at a time" >&2
  exit 1
fi
superset init
superset fab create-admin --username "$ADMIN_USERNAME" --firstname Platform --lastname Administrator \
  --email admin@dataplatform.invalid --password "$ADMIN_PASSWORD"
superset set-database-uri --database_name %s \
  --uri "dremio+flight://${DREMIO_USER}:${DREMIO_PASSWORD}@%s:%d?UseEncryption=false"
`, generation, DremioDatabaseName, dremioHost, flightPort)
}

func selector(role string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "superset", "app.kubernetes.io/component": role}
}

// podEnv is what every Superset process reads: the secret key and the digest it must have, the
// database with the pool bounds of role's processes (poolBounds), and Valkey. SUPERSET_PORT is
// set explicitly: kubelet's service links would otherwise set SUPERSET_PORT=tcp://<ip>:8088 for
// the Service "superset" (Docker-link variables <NAME>_PORT), which run-server.sh hands to
// gunicorn's --bind; EnableServiceLinks is off on every pod as well (podTemplate).
func (b *builder) podEnv(role string) corev1.EnvVarArray {
	a := b.a
	db := a.Database
	cred := db.CredentialSecrets[metadatadb.Owner[metadatadb.Superset]]
	out := corev1.EnvVarArray{
		secretEnv("SUPERSET_SECRET_KEY", b.secretKey.name, "SUPERSET_SECRET_KEY"),
		secretEnv("DATABASE_USER", cred, "username"),
		secretEnv("DATABASE_PASSWORD", cred, "password"),
		env("DATABASE_HOST", db.Host),
		env("DATABASE_PORT", pulumi.String(fmt.Sprint(db.Port))),
		env("DATABASE_NAME", pulumi.String(db.Databases[metadatadb.Superset])),
		secretEnv("VALKEY_PASSWORD", b.valkeyPassword.name, "password"),
		env("PYTHONDONTWRITEBYTECODE", pulumi.String("1")),
		env("SUPERSET_PORT", pulumi.String(fmt.Sprint(WebPort))),
		env(ExpectedKeyEnv, b.secretKeyDigest),
	}
	size, overflow := poolBounds(processes(role, a))
	out = append(out, env(PoolSizeEnv, pulumi.String(fmt.Sprint(size))), env(MaxOverflowEnv, pulumi.String(fmt.Sprint(overflow))))
	if a.SecretKeyGeneration > 1 {
		out = append(out, secretEnv("PREVIOUS_SECRET_KEY", b.secretKey.name, "PREVIOUS_SECRET_KEY"))
	}
	return out
}

// podTemplate is the pod every Superset process runs in: non-root, read-only root file system
// (superset_config.py, the CAs and writable /tmp and SUPERSET_HOME mounted), on the workload pool.
func (b *builder) podTemplate(role string, c *corev1.ContainerArgs, affinity *corev1.AffinityArgs, restart string) *corev1.PodTemplateSpecArgs {
	a := b.a
	c.Image = pulumi.String(a.Image)
	c.Env = append(b.podEnv(role), c.Env.(corev1.EnvVarArray)...)
	c.SecurityContext = containerSecurity()
	c.VolumeMounts = corev1.VolumeMountArray{
		&corev1.VolumeMountArgs{Name: pulumi.String("config"), MountPath: pulumi.String(configDir), ReadOnly: pulumi.Bool(true)},
		&corev1.VolumeMountArgs{Name: pulumi.String("db-ca"), MountPath: pulumi.String("/etc/superset/db-ca"), ReadOnly: pulumi.Bool(true)},
		&corev1.VolumeMountArgs{Name: pulumi.String("valkey-ca"), MountPath: pulumi.String("/etc/superset/valkey-ca"), ReadOnly: pulumi.Bool(true)},
		&corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")},
		&corev1.VolumeMountArgs{Name: pulumi.String("home"), MountPath: pulumi.String("/app/superset_home")},
	}
	configMapVolume := func(name string, cm pulumi.StringInput, key string) *corev1.VolumeArgs {
		return &corev1.VolumeArgs{Name: pulumi.String(name), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{
			Name:  cm,
			Items: corev1.KeyToPathArray{&corev1.KeyToPathArgs{Key: pulumi.String(key), Path: pulumi.String(key)}},
		}}
	}
	sel := selector(role)
	return &corev1.PodTemplateSpecArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Labels: b.labels(sel),
			// A changed configuration or secret key generation rolls the pods.
			Annotations: pulumi.StringMap{
				metadatadb.ConfigHashAnnotation:         b.configHash,
				"dataplatform.io/secret-key-generation": pulumi.String(fmt.Sprint(a.SecretKeyGeneration)),
			},
		},
		Spec: &corev1.PodSpecArgs{
			RestartPolicy:                pulumi.String(restart),
			AutomountServiceAccountToken: pulumi.Bool(false),
			// No Docker-link variables (SUPERSET_PORT=tcp://… breaks gunicorn's bind, see podEnv).
			EnableServiceLinks: pulumi.Bool(false),
			SecurityContext:    podSecurity(supersetUID),
			Tolerations:        a.Scheduling.TolerationArray(),
			NodeSelector:       a.Scheduling.NodeSelectorMap(),
			Affinity:           affinity,
			Containers:         corev1.ContainerArray{c},
			Volumes: corev1.VolumeArray{
				configMapVolume("config", b.config.name, "superset_config.py"),
				configMapVolume("db-ca", a.Database.CAConfigMap, metadatadb.CAKey),
				configMapVolume("valkey-ca", pulumi.String(ValkeyCAConfigMap), "ca.crt"),
				&corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("1Gi")}},
				&corev1.VolumeArgs{Name: pulumi.String("home"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("256Mi")}},
			},
		},
	}
}

// antiAffinity keeps the replicas of a role on different nodes: required in prod, preferred elsewhere.
func (b *builder) antiAffinity(role string) *corev1.AffinityArgs {
	term := &corev1.PodAffinityTermArgs{
		LabelSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(selector(role))},
		TopologyKey:   pulumi.String("kubernetes.io/hostname"),
	}
	aff := &corev1.PodAntiAffinityArgs{}
	if b.a.Prod {
		aff.RequiredDuringSchedulingIgnoredDuringExecution = corev1.PodAffinityTermArray{term}
	} else {
		aff.PreferredDuringSchedulingIgnoredDuringExecution = corev1.WeightedPodAffinityTermArray{
			&corev1.WeightedPodAffinityTermArgs{Weight: pulumi.Int(100), PodAffinityTerm: term},
		}
	}
	return &corev1.AffinityArgs{PodAntiAffinity: aff}
}

// initJobCreate runs the migrate-and-init Job before any Deployment rolls out. Its pod template
// carries the image and a digest of the script, the configuration and the secret key generation:
// pulumi-kubernetes replaces a Job only when spec.template changes (provider diff.go
// forceNewProperties ".spec.template"; see metadatadb.ConfigHashAnnotation), so a new image or
// version runs the migrations again, and the Deployments, which depend on the Job, wait for it.
// The fixed name makes the provider delete the old Job before creating the new one.
func (b *builder) initJobCreate() error {
	a := b.a
	script := InitScript(a.DremioHost, a.DremioFlightPort, a.SecretKeyGeneration)
	sum := sha256.Sum256([]byte(a.Image + "\n" + script + "\n" + fmt.Sprint(a.SecretKeyGeneration)))
	scriptHash := hex.EncodeToString(sum[:])
	tpl := b.podTemplate(roleInit, &corev1.ContainerArgs{
		Name:    pulumi.String("init"),
		Command: pulumi.StringArray{pulumi.String("/bin/sh"), pulumi.String("-c"), pulumi.String(script)},
		Env: corev1.EnvVarArray{
			secretEnv("ADMIN_USERNAME", b.admin.name, "username"),
			secretEnv("ADMIN_PASSWORD", b.admin.name, "password"),
			secretEnv("DREMIO_USER", a.DremioCredentialsSecret, "user"),
			secretEnv("DREMIO_PASSWORD", a.DremioCredentialsSecret, "password"),
		},
		Resources: resources(a.Web),
	}, nil, "OnFailure")
	tpl.Metadata.(*metav1.ObjectMetaArgs).Annotations.(pulumi.StringMap)["dataplatform.io/init-sha256"] = pulumi.String(scriptHash)

	deps := append([]pulumi.Resource{b.secretKey.resource, b.admin.resource, b.valkeyPassword.resource, b.config.resource}, b.valkeyReady...)
	deps = append(append(append(deps, a.DatabaseReady...), a.DremioReady...), b.policies...)
	job, err := batchv1.NewJob(b.ctx, b.name+"-init", &batchv1.JobArgs{
		Metadata: b.meta(initJob, selector(roleInit)),
		Spec: &batchv1.JobSpecArgs{
			BackoffLimit:          pulumi.Int(6),
			ActiveDeadlineSeconds: pulumi.Int(3600),
			Template:              tpl,
		},
	}, b.opts(pulumi.DependsOn(deps), pulumi.DeleteBeforeReplace(true),
		pulumi.Timeouts(&pulumi.CustomTimeouts{Create: "60m", Update: "60m"}))...)
	if err != nil {
		return err
	}
	b.initJob = job
	b.comp.InitJob = job.Metadata.Name().Elem()
	return nil
}

// workloads creates the web Deployment with its Service, HPA and PDB, the Celery workers and the
// single beat, all after the init Job.
func (b *builder) workloads() error {
	a := b.a
	after := b.opts(pulumi.DependsOn([]pulumi.Resource{b.initJob}))

	health := &corev1.HTTPGetActionArgs{Path: pulumi.String(HealthPath), Port: pulumi.Int(WebPort)}
	web := &corev1.ContainerArgs{
		Name:    pulumi.String("superset"),
		Command: containerCommand(a.SecretKeyGeneration, []string{webServer}),
		Ports:   corev1.ContainerPortArray{&corev1.ContainerPortArgs{Name: pulumi.String("http"), ContainerPort: pulumi.Int(WebPort)}},
		// docker/entrypoints/run-server.sh: SERVER_WORKER_AMOUNT, SERVER_WORKER_CLASS,
		// SERVER_THREADS_AMOUNT, GUNICORN_TIMEOUT.
		Env: corev1.EnvVarArray{
			env("SERVER_WORKER_AMOUNT", pulumi.String(fmt.Sprint(webProcesses(a.Web.CPU)))),
			env("SERVER_WORKER_CLASS", pulumi.String("gthread")),
			env("SERVER_THREADS_AMOUNT", pulumi.String("20")),
			env("GUNICORN_TIMEOUT", pulumi.String("60")),
		},
		StartupProbe:   &corev1.ProbeArgs{HttpGet: health, PeriodSeconds: pulumi.Int(5), FailureThreshold: pulumi.Int(60)},
		ReadinessProbe: &corev1.ProbeArgs{HttpGet: health, PeriodSeconds: pulumi.Int(10), TimeoutSeconds: pulumi.Int(5)},
		LivenessProbe:  &corev1.ProbeArgs{HttpGet: health, PeriodSeconds: pulumi.Int(15), TimeoutSeconds: pulumi.Int(5), FailureThreshold: pulumi.Int(4)},
		Resources:      resources(a.Web),
	}
	webSel := selector(roleWeb)
	webDep, err := appsv1.NewDeployment(b.ctx, b.name+"-web", &appsv1.DeploymentArgs{
		Metadata: b.meta("superset-web", webSel),
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(a.WebReplicas),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(webSel)},
			Strategy: &appsv1.DeploymentStrategyArgs{Type: pulumi.String("RollingUpdate"), RollingUpdate: &appsv1.RollingUpdateDeploymentArgs{
				MaxUnavailable: pulumi.Int(0), MaxSurge: pulumi.Int(1),
			}},
			Template: b.podTemplate(roleWeb, web, b.antiAffinity(roleWeb), "Always"),
		},
	}, append(after, pulumi.IgnoreChanges(b.hpaIgnore()))...)
	if err != nil {
		return err
	}
	if _, err := corev1.NewService(b.ctx, b.name+"-web", &corev1.ServiceArgs{
		Metadata: b.meta(WebService, webSel),
		Spec: &corev1.ServiceSpecArgs{
			Selector: pulumi.ToStringMap(webSel),
			Ports: corev1.ServicePortArray{&corev1.ServicePortArgs{
				Name: pulumi.String("http"), Port: pulumi.Int(WebPort), TargetPort: pulumi.String("http"), AppProtocol: pulumi.String("http"),
			}},
		},
	}, b.opts()...); err != nil {
		return err
	}
	if a.WebMaxReplicas > a.WebReplicas {
		if _, err := autoscalingv2.NewHorizontalPodAutoscaler(b.ctx, b.name+"-web", &autoscalingv2.HorizontalPodAutoscalerArgs{
			Metadata: b.meta("superset-web", webSel),
			Spec: &autoscalingv2.HorizontalPodAutoscalerSpecArgs{
				ScaleTargetRef: &autoscalingv2.CrossVersionObjectReferenceArgs{
					ApiVersion: pulumi.String("apps/v1"), Kind: pulumi.String("Deployment"), Name: webDep.Metadata.Name().Elem(),
				},
				MinReplicas: pulumi.Int(a.WebReplicas), MaxReplicas: pulumi.Int(a.WebMaxReplicas),
				Metrics: autoscalingv2.MetricSpecArray{&autoscalingv2.MetricSpecArgs{
					Type: pulumi.String("Resource"),
					Resource: &autoscalingv2.ResourceMetricSourceArgs{
						Name:   pulumi.String("cpu"),
						Target: &autoscalingv2.MetricTargetArgs{Type: pulumi.String("Utilization"), AverageUtilization: pulumi.Int(70)},
					},
				}},
			},
		}, b.opts()...); err != nil {
			return err
		}
	}
	if a.Prod {
		if err := b.pdb("web", webSel); err != nil {
			return err
		}
	}

	// Celery: tasks.celery_app is the module upstream's worker and beat load. No liveness probe on
	// the worker: `celery inspect ping` imports superset.tasks.celery_app, which builds the whole
	// Flask app (hundreds of MB, seconds of CPU) inside the worker's limits every period, and a busy
	// worker missing it would be killed with its tasks; the worker reconnects to the broker on its
	// own, and the operator's defaults set no probe on workers either.
	worker := &corev1.ContainerArgs{
		Name:      pulumi.String("worker"),
		Command:   containerCommand(a.SecretKeyGeneration, workerCommand(workerConcurrency(a.Worker.CPU))),
		Env:       corev1.EnvVarArray{},
		Resources: resources(a.Worker),
	}
	workerSel := selector(roleWorker)
	if _, err := appsv1.NewDeployment(b.ctx, b.name+"-worker", &appsv1.DeploymentArgs{
		Metadata: b.meta("superset-worker", workerSel),
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(a.WorkerReplicas),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(workerSel)},
			// One surge pod at most: DatabasePods counts it.
			Strategy: &appsv1.DeploymentStrategyArgs{Type: pulumi.String("RollingUpdate"), RollingUpdate: &appsv1.RollingUpdateDeploymentArgs{
				MaxUnavailable: pulumi.Int(0), MaxSurge: pulumi.Int(1),
			}},
			Template: b.podTemplate(roleWorker, worker, b.antiAffinity(roleWorker), "Always"),
		},
	}, after...); err != nil {
		return err
	}
	if a.Prod && a.WorkerReplicas > 1 {
		if err := b.pdb("worker", workerSel); err != nil {
			return err
		}
	}

	// Exactly one beat: two would schedule every periodic task twice. A StatefulSet of one replica
	// never runs two pods of the same identity — a rollout deletes the old pod before creating the
	// new one, and a pod on an unreachable node is replaced only once it is known gone — which a
	// Deployment (even with strategy Recreate) does not promise; it is also not a stateless
	// service, which the policy pack's stateless-replicas rule requires 2+ replicas of in prod.
	beat := &corev1.ContainerArgs{
		Name: pulumi.String("beat"), Command: containerCommand(a.SecretKeyGeneration, beatCommand), Env: corev1.EnvVarArray{},
		Resources: resources(Compute{CPU: 0.25, MemoryGiB: 1}),
	}
	beatSel := selector(roleBeat)
	// The governing Service a StatefulSet names: headless, no ports (nothing connects to the beat).
	if _, err := corev1.NewService(b.ctx, b.name+"-beat", &corev1.ServiceArgs{
		Metadata: b.meta(beatName, beatSel),
		Spec:     &corev1.ServiceSpecArgs{ClusterIP: pulumi.String("None"), Selector: pulumi.ToStringMap(beatSel)},
	}, b.opts()...); err != nil {
		return err
	}
	_, err = appsv1.NewStatefulSet(b.ctx, b.name+"-beat", &appsv1.StatefulSetArgs{
		Metadata: b.meta(beatName, beatSel),
		Spec: &appsv1.StatefulSetSpecArgs{
			Replicas:       pulumi.Int(1),
			ServiceName:    pulumi.String(beatName),
			UpdateStrategy: &appsv1.StatefulSetUpdateStrategyArgs{Type: pulumi.String("RollingUpdate")},
			Selector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(beatSel)},
			Template:       b.podTemplate(roleBeat, beat, nil, "Always"),
		},
	}, after...)
	return err
}

// hpaIgnore leaves the web replica count to the HPA once it exists.
func (b *builder) hpaIgnore() []string {
	if b.a.WebMaxReplicas > b.a.WebReplicas {
		return []string{"spec.replicas"}
	}
	return nil
}

// pdb keeps all but one replica of a role up during voluntary disruptions.
func (b *builder) pdb(role string, sel map[string]string) error {
	_, err := policyv1.NewPodDisruptionBudget(b.ctx, b.name+"-"+role, &policyv1.PodDisruptionBudgetArgs{
		Metadata: b.meta("superset-"+role, sel),
		Spec: &policyv1.PodDisruptionBudgetSpecArgs{
			MaxUnavailable: pulumi.Int(1),
			Selector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(sel)},
		},
	}, b.opts()...)
	return err
}
