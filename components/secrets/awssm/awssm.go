// Package awssm is the platform's secret store on AWS: AWS Secrets Manager, read by the External
// Secrets Operator under its EKS Pod Identity (package secrets is the contract).
//
// Every credential is one secret named "<NamePrefix>/<key>", encrypted with the stack's KMS key and
// holding a JSON object of its keys. The operator's role may read exactly the secrets under that
// prefix, and decrypt with the key only through Secrets Manager for those secrets.
package awssm

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/internal/awsiam"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/components/secrets/internal/cloudstore"
)

// StoreType is the component's type token.
const StoreType = "dataplatform:aws:SecretStore"

// ClusterStoreName is the ClusterSecretStore the platform's ExternalSecrets reference.
const ClusterStoreName = "aws-secrets-manager"

// ReaderActions are what the operator may do on the stack's secrets. external-secrets@v2.9.0
// docs/provider/aws-access.md "EKS Pod Identity Setup" lists GetResourcePolicy, GetSecretValue,
// DescribeSecret and ListSecretVersionIds; the provider's GetSecret path (providers/v1/aws/
// secretsmanager) calls GetSecretValue, and DescribeSecret for the secret's metadata and tags. The
// other two serve PushSecret and version listing, which the platform does not use.
var ReaderActions = []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}

// Egress is what the controller reaches: the EKS Pod Identity agent, plain HTTP on its link-local
// addresses (EKS user guide, pod-id-how-it-works: AWS_CONTAINER_CREDENTIALS_FULL_URI=
// http://169.254.170.23/v1/credentials, and [fd00:ec2::23] on IPv6), and the regional Secrets
// Manager endpoint over HTTPS (public, or a VPC interface endpoint in the VPC).
var Egress = []secrets.Egress{
	{CIDR: "169.254.170.23/32", TCPPorts: []int{80}},
	{CIDR: "fd00:ec2::23/128", TCPPorts: []int{80}},
	{CIDR: cloudstore.Anywhere, TCPPorts: []int{443}},
}

// StoreArgs configures the store.
type StoreArgs struct {
	// ClusterName is the EKS cluster's name: the Pod Identity trust policy admits only this cluster's
	// session tags.
	ClusterName string
	// Cluster is the cluster's name as an output, so the association waits for the cluster.
	Cluster pulumi.StringInput
	// AccountID and Region scope the role to the stack's secrets by ARN.
	AccountID string
	Region    string
	// Partition is the ARN partition ("aws", "aws-cn", "aws-us-gov"); "aws" when empty.
	Partition string
	// NamePrefix is the stack's name ("<project>-<stack>", Names.Base): secrets are
	// "<NamePrefix>/<key>", and the role reads "<NamePrefix>/*" only.
	NamePrefix string
	// KMSKeyARN encrypts the secrets (the cluster's customer-managed key).
	KMSKeyARN pulumi.StringInput
	// RecoveryWindowDays is how long a deleted secret stays recoverable: 0 deletes at once (outside
	// prod, so a destroyed stack can be re-created with the same names), or 7-30 days.
	RecoveryWindowDays int
	// Namespaces may reference the ClusterSecretStore (the platform's namespaces); empty: all.
	Namespaces []string
	// KubernetesProvider reaches the cluster; the ClusterSecretStore is created with it.
	KubernetesProvider *kubernetes.Provider
	// Tags are added to every AWS resource.
	Tags map[string]string
}

// Store is the component: the operator's identity, the ClusterSecretStore, and the Writer.
type Store struct {
	pulumi.ResourceState
	// RoleARN is the operator's Pod Identity role.
	RoleARN pulumi.StringOutput
	// Store is the contract the workloads use.
	Store *secrets.Store

	args *StoreArgs
}

var (
	// secretsmanager@v6.83.4 secret.go Name: "uppercase letters, lowercase letters, digits, and any of
	// the following characters: /_+=.@-"; the prefix is a path segment, so no "/" of its own.
	namePrefixRE  = regexp.MustCompile(`^[A-Za-z0-9_+=.@-]{1,256}$`)
	clusterNameRE = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	regionRE      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	accountRE     = regexp.MustCompile(`^[0-9]{12}$`)
)

func (a *StoreArgs) validate() error {
	fail := func(format string, v ...any) error { return fmt.Errorf("awssm: "+format, v...) }
	if a == nil {
		return fail("args is nil; pass an *StoreArgs")
	}
	switch {
	case !clusterNameRE.MatchString(a.ClusterName):
		return fail("ClusterName = %q; must be an EKS cluster name", a.ClusterName)
	case a.Cluster == nil:
		return fail("Cluster is nil; pass the EKS cluster's name output")
	case !accountRE.MatchString(a.AccountID):
		return fail("AccountID = %q; must be 12 digits", a.AccountID)
	case !regionRE.MatchString(a.Region):
		return fail("Region = %q; must be an AWS region such as eu-north-1", a.Region)
	case !namePrefixRE.MatchString(a.NamePrefix):
		return fail("NamePrefix = %q; allowed: 1-256 of A-Z a-z 0-9 _+=.@- (no \"/\")", a.NamePrefix)
	case a.KMSKeyARN == nil:
		return fail("KMSKeyARN is nil; pass the key that encrypts the secrets")
	case a.KubernetesProvider == nil:
		return fail("KubernetesProvider is nil; pass the cluster's provider")
	}
	// secretsmanager@v6.83.4 secret.go RecoveryWindowInDays: "0 to force deletion without recovery or
	// range from 7 to 30 days".
	if w := a.RecoveryWindowDays; w != 0 && (w < 7 || w > 30) {
		return fail("RecoveryWindowDays = %d; allowed 0 (delete at once) or 7-30", w)
	}
	return cloudstore.CheckNamespaces("awssm", a.Namespaces)
}

// NewStore creates the operator's Pod Identity role and association, calls install with them (EKS
// injects Pod Identity credentials when a pod is admitted: the association must exist before the
// operator's pods start), then the ClusterSecretStore.
func NewStore(ctx *pulumi.Context, name string, args *StoreArgs, install cloudstore.Installer, opts ...pulumi.ResourceOption) (*Store, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	if args.Partition == "" {
		args.Partition = "aws"
	}
	comp := &Store{args: args}
	if err := ctx.RegisterComponentResourceV2(StoreType, name, pulumi.Map{
		"clusterName": pulumi.String(args.ClusterName), "region": pulumi.String(args.Region),
		"namePrefix": pulumi.String(args.NamePrefix), "recoveryWindowDays": pulumi.Int(args.RecoveryWindowDays),
		"namespaces": pulumi.ToStringArray(args.Namespaces),
	}, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	identity, err := comp.identity(ctx, name, parent)
	if err != nil {
		return nil, err
	}
	operator, err := cloudstore.Install("awssm", install, secrets.OperatorSettings{DependsOn: identity, Egress: Egress})
	if err != nil {
		return nil, err
	}
	// external-secrets@v2.9.0 apis/externalsecrets/v1/secretstore_aws_types.go AWSProvider: service,
	// region; "Auth … if not set aws sdk will infer credentials from your environment", and
	// docs/provider/aws-access.md: "serviceAccountRef cannot be used together with EKS Pod Identity …
	// No auth section is defined for the SecretStore": the controller's own Pod Identity credentials.
	css, err := cloudstore.ClusterSecretStore(ctx, name+"-cluster-store", ClusterStoreName, map[string]any{
		"aws": map[string]any{"service": "SecretsManager", "region": args.Region},
	}, args.Namespaces, pulumi.Provider(args.KubernetesProvider), parent, pulumi.DependsOn([]pulumi.Resource{operator}))
	if err != nil {
		return nil, err
	}
	comp.Store = &secrets.Store{ClusterStore: ClusterStoreName, Writer: comp, Ready: []pulumi.Resource{operator, css}}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"roleArn": comp.RoleARN, "clusterStore": pulumi.String(ClusterStoreName),
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// SecretARNPattern is the ARN of every secret of the stack: Secrets Manager appends "-" and six
// random characters to a secret's name in its ARN, so the prefix "<NamePrefix>/" followed by "*"
// matches this stack's secrets and no other stack's ("<NamePrefix>-eu/…" does not match).
func SecretARNPattern(partition, region, account, namePrefix string) string {
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s/*", partition, region, account, namePrefix)
}

// ReaderPolicy is the operator's permission: read the stack's secrets, and decrypt with the key only
// when Secrets Manager asks on behalf of one of them. AWS Secrets Manager user guide
// (security-encryption.html, "Encryption context"): Secrets Manager calls KMS with the encryption
// context {"SecretARN": <the secret's ARN>, "SecretVersionId": …}, and kms:ViaService is
// "secretsmanager.<region>.amazonaws.com".
func ReaderPolicy(partition, region, account, namePrefix, keyARN string) awsiam.PolicyDocument {
	secretARNs := SecretARNPattern(partition, region, account, namePrefix)
	return awsiam.PolicyDocument{Version: "2012-10-17", Statement: []awsiam.Statement{
		{Effect: "Allow", Action: ReaderActions, Resource: []string{secretARNs}},
		{
			Effect: "Allow", Action: []string{"kms:Decrypt"}, Resource: []string{keyARN},
			Condition: map[string]map[string]any{
				"StringEquals": {"kms:ViaService": "secretsmanager." + region + ".amazonaws.com"},
				"StringLike":   {"kms:EncryptionContext:SecretARN": secretARNs},
			},
		},
	}}
}

// identity creates the operator's role, its policy and the Pod Identity association.
func (s *Store) identity(ctx *pulumi.Context, name string, parent pulumi.ResourceOption) ([]pulumi.Resource, error) {
	a := s.args
	// eks-pod-identity: the EKS Auth service assumes the role for the pod and tags the session with
	// the cluster, namespace and ServiceAccount (EKS user guide, pod-id-abac.adoc): only the operator's
	// ServiceAccount of this cluster can use it (awsiam.PodIdentityTrust).
	trust, err := json.Marshal(awsiam.PodIdentityTrust(a.AccountID, a.ClusterName, secrets.OperatorNamespace, secrets.OperatorServiceAccount))
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name+"-operator-role", &iam.RoleArgs{
		Description:      pulumi.String("External Secrets Operator of EKS cluster " + a.ClusterName + ": reads " + a.NamePrefix + "/* (Pod Identity)"),
		AssumeRolePolicy: pulumi.String(string(trust)),
		Tags:             tags(a.Tags, name+"-operator-role"),
	}, parent)
	if err != nil {
		return nil, err
	}
	s.RoleARN = role.Arn
	policy := a.KMSKeyARN.ToStringOutput().ApplyT(func(key string) (string, error) {
		b, err := json.Marshal(ReaderPolicy(a.Partition, a.Region, a.AccountID, a.NamePrefix, key))
		return string(b), err
	}).(pulumi.StringOutput)
	rp, err := iam.NewRolePolicy(ctx, name+"-operator-policy", &iam.RolePolicyArgs{Role: role.ID(), Policy: policy}, parent)
	if err != nil {
		return nil, err
	}
	// aws@v6.83.4 eks/podIdentityAssociation.go: clusterName, namespace, serviceAccount, roleArn.
	assoc, err := eks.NewPodIdentityAssociation(ctx, name+"-operator-pod-identity", &eks.PodIdentityAssociationArgs{
		ClusterName: a.Cluster, Namespace: pulumi.String(secrets.OperatorNamespace),
		ServiceAccount: pulumi.String(secrets.OperatorServiceAccount), RoleArn: role.Arn,
		Tags: tags(a.Tags, name+"-operator-pod-identity"),
	}, parent)
	if err != nil {
		return nil, err
	}
	return []pulumi.Resource{rp, assoc}, nil
}

// Put writes data as the secret "<NamePrefix>/<key>" (a Secret and its current SecretVersion, the
// JSON object of data). The secret is a child of the store, with its provider; opts add dependencies.
//
// Changing key renames the secret: a new secret is created (create-before-delete), the
// ExternalSecret's remoteRef.key follows it, the old secret is then deleted (recoverable for
// RecoveryWindowDays) and the Kubernetes Secret the ExternalSecret owns stays in place throughout.
func (s *Store) Put(ctx *pulumi.Context, name, key string, data pulumi.StringMapInput, opts ...pulumi.ResourceOption) (secrets.RemoteRef, error) {
	if err := cloudstore.CheckPut("awssm", name, key, data); err != nil {
		return secrets.RemoteRef{}, err
	}
	a := s.args
	own := append(append([]pulumi.ResourceOption{}, opts...), pulumi.Parent(s), pulumi.Protect(false))
	secretName := a.NamePrefix + "/" + key
	secret, err := secretsmanager.NewSecret(ctx, name, &secretsmanager.SecretArgs{
		Name:                 pulumi.String(secretName),
		Description:          pulumi.String("Credential " + key + " of " + a.NamePrefix + ", read by the External Secrets Operator"),
		KmsKeyId:             a.KMSKeyARN,
		RecoveryWindowInDays: pulumi.Int(a.RecoveryWindowDays),
		Tags:                 tags(a.Tags, secretName),
	}, own...)
	if err != nil {
		return secrets.RemoteRef{}, err
	}
	version, err := secretsmanager.NewSecretVersion(ctx, name+"-value", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: cloudstore.SecretJSON(data),
	}, own...)
	if err != nil {
		return secrets.RemoteRef{}, err
	}
	// The name, not the ARN: ESO accepts either as remoteRef.key, and the name is known in preview.
	return secrets.RemoteRef{Key: secret.Name, Resource: version}, nil
}

func tags(base map[string]string, resourceName string) pulumi.StringMap {
	m := pulumi.ToStringMap(base)
	m["Name"] = pulumi.String(resourceName)
	return m
}
