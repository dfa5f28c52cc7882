package stacks

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/cluster/eks"
	"github.com/opendataplatform/dataplatform/components/secrets"
	"github.com/opendataplatform/dataplatform/components/secrets/awssm"
	"github.com/opendataplatform/dataplatform/config"
)

// awsSecretRecoveryDays is how long a deleted secret stays recoverable in Secrets Manager: the
// longest window (30 days) in prod; outside prod none, so that a destroyed stack is re-created at
// once with the same secret names.
func awsSecretRecoveryDays(prod bool) int {
	if prod {
		return 30
	}
	return 0
}

// awsSecretStore is the stack's Secrets Manager store: secrets "<Names.Base>/<key>" encrypted with
// the cluster's KMS key, read by the operator under its Pod Identity.
func awsSecretStore(cfg *config.Platform, provider *aws.Provider, names Names, account string, c *eks.Cluster) func(*pulumi.Context, OperatorInstaller) (*secrets.Store, error) {
	return func(ctx *pulumi.Context, install OperatorInstaller) (*secrets.Store, error) {
		part, err := aws.GetPartition(ctx, nil, pulumi.Provider(provider))
		if err != nil {
			return nil, err
		}
		s, err := awssm.NewStore(ctx, "secret-store", &awssm.StoreArgs{
			ClusterName: names.Base, Cluster: c.Name, AccountID: account, Region: cfg.Region, Partition: part.Partition,
			NamePrefix: names.Base, KMSKeyARN: c.KMSKeyARN,
			RecoveryWindowDays: awsSecretRecoveryDays(cfg.Environment == config.Prod),
			Namespaces:         storeNamespaces(cfg),
			KubernetesProvider: c.Provider, Tags: tags(cfg),
		}, install, pulumi.Provider(provider))
		if err != nil {
			return nil, err
		}
		return s.Store, nil
	}
}
