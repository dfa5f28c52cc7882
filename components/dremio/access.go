package dremio

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/network/k8snet"
	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/components/secrets"
)

// Users the bootstrap creates.
const (
	adminUser = "admin"
	dbtUser   = "dbt"
)

// metadataCIDR is the cloud instance metadata service; pods never need the node's identity.
const metadataCIDR = "169.254.169.254/32"

// The EKS Pod Identity agent's addresses.
const (
	podIdentityIPv4 = "169.254.170.23/32"
	podIdentityIPv6 = "fd00:ec2::23/128"
)

// secrets creates the generated passwords of the administrator and the dbt user, the stable-name
// Secrets the workloads read (dbt, and whoever is handed AdminSecret) and the bootstrap Job's
// versioned copy.
func (b *builder) secrets() error {
	labels := map[string]string{}
	for k, v := range b.a.Labels {
		labels[k] = v
	}
	labels["app.kubernetes.io/part-of"], labels["app.kubernetes.io/managed-by"], labels["app.kubernetes.io/name"] = "dataplatform", "pulumi", "dremio"
	creds := map[string]*secrets.Credential{}
	mk := func(suffix, objName, user string) (*secrets.Materialized, error) {
		// Letters and digits only: the values go into JSON bodies in the bootstrap script.
		// A replaced password would lock the platform out of the users the bootstrap created.
		pw, err := random.NewRandomPassword(b.ctx, b.name+"-"+suffix+"-password", &random.RandomPasswordArgs{
			Length: pulumi.Int(32), Special: pulumi.Bool(false), MinNumeric: pulumi.Int(4), MinUpper: pulumi.Int(4), MinLower: pulumi.Int(4),
		}, b.opts(pulumi.Protect(b.a.Protect))...)
		if err != nil {
			return nil, err
		}
		// The credential goes to the target's store; the Secret the pods read is materialized from it.
		cred, err := b.a.Secrets.Put(b.ctx, b.name+"-"+suffix+"-credential", "dremio-"+suffix,
			map[string]pulumi.StringInput{"user": pulumi.String(user), "password": pw.Result}, b.opts()...)
		if err != nil {
			return nil, err
		}
		creds[suffix] = cred
		return b.a.Secrets.Materialize(b.ctx, b.name+"-"+suffix, secrets.Secret{
			Name: objName, Namespace: b.a.Namespace, Type: "Opaque", Labels: labels,
			Data: map[string]secrets.Ref{"user": cred.Ref("user"), "password": cred.Ref("password")},
		}, b.opts()...)
	}
	var err error
	if b.adminSecret, err = mk("admin", adminSecretName, adminUser); err != nil {
		return err
	}
	if b.dbtSecret, err = mk("dbt", dbtSecretName, dbtUser); err != nil {
		return err
	}
	data := map[string]secrets.Ref{
		"admin-user": creds["admin"].Ref("user"), "admin-password": creds["admin"].Ref("password"),
		"dbt-user": creds["dbt"].Ref("user"), "dbt-password": creds["dbt"].Ref("password"),
	}
	if b.a.SupersetUser {
		if b.supersetSecret, err = mk("superset", SupersetCredentialsSecret, supersetUser); err != nil {
			return err
		}
		data["superset-user"], data["superset-password"] = creds["superset"].Ref("user"), creds["superset"].Ref("password")
	}
	if b.a.MonitorUser {
		if b.monitorSecret, err = mk("monitor", MonitorCredentialsSecret, monitorUser); err != nil {
			return err
		}
		data["monitor-user"], data["monitor-password"] = creds["monitor"].Ref("user"), creds["monitor"].Ref("password")
	}
	// The Job reads a versioned Secret: a rotated password is a new Secret, Ready before the Job
	// that names it (secrets.Secret.Versioned), not the stable one ESO may not have re-read yet.
	b.jobSecret, err = b.a.Secrets.Materialize(b.ctx, b.name+"-bootstrap-credentials", secrets.Secret{
		Name: bootstrapName, Namespace: b.a.Namespace, Type: "Opaque", Labels: labels, Versioned: true,
		Data: data,
	}, b.opts()...)
	return err
}

func port(n int) *networkingv1.NetworkPolicyPortArgs {
	return &networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(n)}
}

// networkPolicies opens the client ports to the client namespaces and the object store to Dremio.
// Traffic between the coordinator, the executors and ZooKeeper stays inside the namespace, which the
// namespace baseline already allows.
func (b *builder) networkPolicies() error {
	a := b.a
	if from := k8snet.Peers(a.ClientNamespaces, a.ClientCIDRs); len(from) > 0 {
		if _, err := networkingv1.NewNetworkPolicy(b.ctx, b.name+"-client-ingress", &networkingv1.NetworkPolicyArgs{
			Metadata: b.meta("dremio-client-ingress", map[string]string{"app.kubernetes.io/name": "dremio"}),
			Spec: &networkingv1.NetworkPolicySpecArgs{
				PodSelector: &metav1.LabelSelectorArgs{MatchLabels: toStringMap(dremioSelector(CoordinatorRole))},
				PolicyTypes: pulumi.StringArray{pulumi.String("Ingress")},
				Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
					From:  from,
					Ports: networkingv1.NetworkPolicyPortArray{port(WebPort), port(ClientPort), port(FlightPort)},
				}},
			},
		}, b.opts()...); err != nil {
			return err
		}
	}
	if !b.objectStore() {
		return nil
	}

	var rules networkingv1.NetworkPolicyEgressRuleArray
	switch a.ObjectStore.Kind {
	case objectstore.MinIO:
		rules = append(rules, &networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
				NamespaceSelector: k8snet.NamespaceSelector(a.ObjectStoreNamespace),
			}},
			Ports: networkingv1.NetworkPolicyPortArray{port(9000)},
		})
	default:
		// The cloud endpoints (storage, STS, Entra ID) have no fixed addresses: HTTPS anywhere but the
		// instance metadata service. On ADLS this also carries the token proxy sidecar's calls to
		// Microsoft Entra ID (login.microsoftonline.com, public addresses) besides the storage
		// account's; the sidecar shares the pod's network, and Hadoop reaches it on the loopback,
		// which network policies do not filter. The metadata address stays closed: it would hand
		// out the node's identity, and the proxy forwards any other path there.
		rules = append(rules, &networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
				IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("0.0.0.0/0"), Except: pulumi.StringArray{pulumi.String(metadataCIDR)}},
			}},
			Ports: networkingv1.NetworkPolicyPortArray{port(443)},
		})
		switch a.ObjectStore.Kind {
		case objectstore.S3:
			// The EKS Pod Identity agent, which the credential process asks (see awsCredentialProcess):
			// plain HTTP on its link-local addresses, IPv4 and IPv6
			// (aws/eks-pod-identity-agent@v0.1.37 configuration/config.go DefaultIpv4TargetHost,
			// DefaultIpv6TargetHost).
			rules = append(rules, &networkingv1.NetworkPolicyEgressRuleArgs{
				To: networkingv1.NetworkPolicyPeerArray{
					&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(podIdentityIPv4)}},
					&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(podIdentityIPv6)}},
				},
				Ports: networkingv1.NetworkPolicyPortArray{port(80)},
			})
		case objectstore.GCS:
			// GKE Workload Identity serves the pod's Google token from the GKE metadata server, reached
			// at the metadata address and, with network policy enforcement, at 169.254.169.252:988.
			rules = append(rules,
				&networkingv1.NetworkPolicyEgressRuleArgs{
					To:    networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(metadataCIDR)}}},
					Ports: networkingv1.NetworkPolicyPortArray{port(80)},
				},
				&networkingv1.NetworkPolicyEgressRuleArgs{
					To:    networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("169.254.169.252/32")}}},
					Ports: networkingv1.NetworkPolicyPortArray{port(988)},
				},
			)
		}
	}
	_, err := networkingv1.NewNetworkPolicy(b.ctx, b.name+"-objectstore-egress", &networkingv1.NetworkPolicyArgs{
		Metadata: b.meta("dremio-objectstore-egress", map[string]string{"app.kubernetes.io/name": "dremio"}),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("dremio")}},
			PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress:      rules,
		},
	}, b.opts()...)
	return err
}

// bootstrapScript waits for the coordinator, creates the first administrator (only possible while
// Dremio has no user) and the dbt user, and appends lake (the lake source part, or ""). Running it
// again is harmless: existing users are kept, a current source is left alone.
func bootstrapScript(webURL, lake string) string {
	return fmt.Sprintf(`set -eu
base=%q
echo "waiting for $base"
until curl -fsS -o /dev/null "$base/apiv2/server_status"; do sleep 5; done

body=$(printf '{"userName":"%%s","firstName":"Platform","lastName":"Administrator","email":"admin@dataplatform.invalid","createdAt":%%s000,"password":"%%s"}' "$ADMIN_USER" "$(date +%%s)" "$ADMIN_PASSWORD")
code=$(curl -sS -o /tmp/firstuser -w '%%{http_code}' -X PUT "$base/apiv2/bootstrap/firstuser" \
  -H 'Authorization: _dremionull' -H 'Content-Type: application/json' -d "$body")
case "$code" in
  2*) echo "first user created" ;;
  *) if grep -qi 'already\|first user can only be created' /tmp/firstuser; then echo "first user exists"; else cat /tmp/firstuser; exit 1; fi ;;
esac

login=$(printf '{"userName":"%%s","password":"%%s"}' "$ADMIN_USER" "$ADMIN_PASSWORD")
token=$(curl -fsS -X POST "$base/apiv2/login" -H 'Content-Type: application/json' -d "$login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "login failed"; exit 1; }

user=$(printf '{"name":"%%s","firstName":"dbt","lastName":"Runner","email":"dbt@dataplatform.invalid","password":"%%s"}' "$DBT_USER" "$DBT_PASSWORD")
code=$(curl -sS -o /tmp/user -w '%%{http_code}' -X POST "$base/api/v3/user" \
  -H "Authorization: _dremio$token" -H 'Content-Type: application/json' -d "$user")
case "$code" in
  2*) echo "dbt user created" ;;
  *) if grep -qi 'already exists' /tmp/user; then echo "dbt user exists"; else cat /tmp/user; exit 1; fi ;;
esac
`, webURL) + lake
}

// lakeSource says whether the bootstrap creates the lake source: the lake is reachable with the
// credentials of distributed storage on the object store (not with local storage, and not on ADLS;
// see lakeSourceSupported).
func (b *builder) lakeSource() bool {
	return b.objectStore() && lakeSourceSupported(b.a.ObjectStore.Kind)
}

// bootstrap runs the first-user Job once the coordinator is up, and makes the lake source current.
func (b *builder) bootstrap() error {
	a := b.a
	webURL := fmt.Sprintf("http://%s.%s.svc.cluster.local:%d", clientService, a.NamespaceName, WebPort)
	lake := pulumi.String("").ToStringOutput()
	if b.lakeSource() {
		os := a.ObjectStore
		endpoint := os.Endpoint
		if endpoint == (pulumi.StringOutput{}) {
			endpoint = pulumi.String("").ToStringOutput()
		}
		kind, region, project := os.Kind, os.Region, a.GCPProject
		lake = pulumi.All(os.BucketNames[objectstore.Lake], endpoint).ApplyT(func(v []any) (string, error) {
			return lakeSourceScript(lakeParams{Kind: kind, Bucket: v[0].(string), Endpoint: v[1].(string), Region: region, Project: project})
		}).(pulumi.StringOutput)
	}
	users := ""
	if b.supersetSecret != nil {
		users = supersetAccount.script()
	}
	if b.monitorSecret != nil {
		users += monitorAccount.script()
	}
	script := lake.ApplyT(func(l string) string { return bootstrapScript(webURL, users+l) }).(pulumi.StringOutput)
	hash := script.ApplyT(func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}).(pulumi.StringOutput)
	env := corev1.EnvVarArray{
		secretEnv("ADMIN_USER", b.jobSecret.Name, "admin-user"),
		secretEnv("ADMIN_PASSWORD", b.jobSecret.Name, "admin-password"),
		secretEnv("DBT_USER", b.jobSecret.Name, "dbt-user"),
		secretEnv("DBT_PASSWORD", b.jobSecret.Name, "dbt-password"),
	}
	env = append(env, b.supersetEnv()...)
	env = append(env, b.monitorEnv()...)
	if b.lakeSource() && a.ObjectStore.Kind == objectstore.MinIO {
		// The lake source uses Dremio's own scoped MinIO key, as its distributed storage does.
		env = append(env,
			secretEnv("LAKE_ACCESS_KEY", b.identity.CredentialsSecret, "accessKey"),
			secretEnv("LAKE_SECRET_KEY", b.identity.CredentialsSecret, "secretKey"),
		)
	}
	sel := map[string]string{"app.kubernetes.io/name": bootstrapName}
	// A changed script must run again. pulumi-kubernetes replaces a Job only when spec.template (or
	// the selector, completions, parallelism) changes (pulumi-kubernetes provider@v4.0.0-20260115033456
	// pkg/provider/diff.go forceNewProperties ".spec.template"), so the hash goes into the pod
	// template. The Job keeps its fixed name: the provider then deletes before it replaces
	// (pkg/provider/provider.go Diff deleteBeforeReplace, named and not autonamed), which
	// DeleteBeforeReplace below states too. It has no ttlSecondsAfterFinished: a finished Job stays,
	// so a refresh finds it and the next up does not recreate it.
	podMeta := &metav1.ObjectMetaArgs{
		Labels:      b.labels(sel),
		Annotations: pulumi.StringMap{"dataplatform.io/config-sha256": hash},
	}
	_, err := batchv1.NewJob(b.ctx, b.name+"-bootstrap", &batchv1.JobArgs{
		Metadata: b.meta(bootstrapName, sel),
		Spec: &batchv1.JobSpecArgs{
			BackoffLimit:          pulumi.Int(6),
			ActiveDeadlineSeconds: pulumi.Int(1800),
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: podMeta,
				Spec: b.schedule(&corev1.PodSpecArgs{
					RestartPolicy:                pulumi.String("OnFailure"),
					AutomountServiceAccountToken: pulumi.Bool(false),
					SecurityContext:              podSecurity(100), // curl_user of the curl image
					Containers: corev1.ContainerArray{&corev1.ContainerArgs{
						Name:      pulumi.String("bootstrap"),
						Image:     pulumi.String(a.BootstrapImage),
						Command:   pulumi.StringArray{pulumi.String("/bin/sh"), pulumi.String("-c"), script},
						Env:       env,
						Resources: resources(pulumi.String("50m"), 64),
						SecurityContext: func() *corev1.SecurityContextArgs {
							s := restrictedContainer()
							s.ReadOnlyRootFilesystem = pulumi.Bool(true)
							return s
						}(),
						VolumeMounts: corev1.VolumeMountArray{&corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")}},
					}},
					Volumes: corev1.VolumeArray{&corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}}},
				}),
			},
		},
	}, b.opts(pulumi.DependsOn([]pulumi.Resource{b.coordinator, b.clientSvc, b.jobSecret.Resource}), pulumi.DeleteBeforeReplace(true))...)
	return err
}
