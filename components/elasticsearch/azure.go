package elasticsearch

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// The Azure repository (repository-azure, bundled since 8.0) authenticates with AKS workload identity.
//
// Client: the repository names client "default" (repositoryBody); the client exists only when its
// account is set, and the account is a secure setting — elastic/elasticsearch modules/repository-azure
// AzureStorageSettings: ACCOUNT_SETTING "azure.client.<name>.account" is a SecureSetting, and load()
// builds one client per namespace of ACCOUNT_SETTING, so without it a repository fails with "Unable
// to find client with name [default]" (elastic/cloud-on-k8s#8245). The keystore holds the account name
// and nothing else: with neither azure.client.default.key nor .sas_token (hasCredentials false)
// AzureClientProvider.createClient gives the client a DefaultAzureCredential, whose workload
// identity credential reads AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_AUTHORITY_HOST and
// AZURE_FEDERATED_TOKEN_FILE (Elasticsearch ≥ 8.16: elastic/elasticsearch#111344, #111346). The
// endpoint suffix keeps its default, core.windows.net (ENDPOINT_SUFFIX_SETTING): the account's blob
// endpoint <account>.blob.core.windows.net resolves to its private endpoint through the
// privatelink.blob.core.windows.net zone linked to the VNet (package adls).
//
// Token: the AKS workload identity webhook (Azure/azure-workload-identity pkg/webhook/webhook.go,
// v1.5.1 and v1.6.0) injects into every container of a pod labelled azure.workload.identity/use
// AZURE_CLIENT_ID (the ServiceAccount's azure.workload.identity/client-id), AZURE_TENANT_ID,
// AZURE_AUTHORITY_HOST and AZURE_FEDERATED_TOKEN_FILE=/var/run/secrets/azure/tokens/
// azure-identity-token, each only when the container does not set it already
// (addEnvironmentVariables: "append the ones that are not already present"), and a projected
// ServiceAccount token (audience api://AzureADTokenExchange, path azure-identity-token, 3600 s by
// default) mounted at /var/run/secrets/azure/tokens. Elasticsearch's entitlements let the module read
// files under its config directory only, so the token must sit there (cloud-on-k8s PR #7980, the
// ECK snapshot docs "Use Azure Workload Identity": mount it under
// /usr/share/elasticsearch/config/azure/tokens and repoint AZURE_FEDERATED_TOKEN_FILE). The ECK docs
// mount the webhook's volume by name, but the webhook adds it to the Pod, not to the StatefulSet
// template the mount is validated in, and from v1.6.0 names it per pod (buildVolumeName:
// ProjectedVolumeNamePrefix + a hash of the pod name). So the node set declares the volume itself,
// with the webhook's projection, under the webhook's v1.5 name azure-identity-token: v1.5.1 then
// finds it (addProjectedServiceAccountTokenVolume returns on a projected token whose path is
// azure-identity-token) and the mount of that name (addProjectedTokenVolumeMount) and adds neither,
// and v1.6.0 adds its own, differently named, volume and mount beside it. AZURE_FEDERATED_TOKEN_FILE
// is set on the container, so the webhook keeps it; the other three come from the webhook.
//
// Known limits of the store, not of this wiring:
//   - The backups container is on the store's Data Lake Gen2 account (hierarchical namespace), whose
//     flat List Blobs also returns directories. Elasticsearch deletes a stale directory tree by
//     listing it flat and deleting every entry (AzureBlobStore.deleteBlobDirectory, 404 ignored), and
//     Delete Blob on a directory that still has entries fails, so the cleanup of a deleted index can
//     leave empty directories behind and log the failure; a later cleanup removes them. Snapshot
//     data and restores are not affected.
//   - The grant lists only under the prefix (adls.PrefixCondition): APIs that list elsewhere in the
//     container — repository analysis, a repository registered on another base_path — are refused.
const (
	azureTokenVolume   = "azure-identity-token"
	azureTokenDir      = configDir + "/azure/tokens"
	azureTokenFile     = "azure-identity-token"
	azureTokenAudience = "api://AzureADTokenExchange"
	azureTokenTTL      = 3600
	// AzureAccountSetting is the secure setting that names the storage account.
	AzureAccountSetting = "azure.client.default.account"
	// azureClientSecret is the Secret spec.secureSettings loads into the keystore.
	azureClientSecret = "elasticsearch-azure-client"
)

// AzureTokenPath is where the nodes read the federated token (AZURE_FEDERATED_TOKEN_FILE).
const AzureTokenPath = azureTokenDir + "/" + azureTokenFile

// azureNode adds the Azure client's token to a node set: the projected token under the config
// directory and AZURE_FEDERATED_TOKEN_FILE pointing at it.
func azureNode(container, spec pulumi.Map) {
	container["env"] = pulumi.Array{
		pulumi.Map{"name": pulumi.String("AZURE_FEDERATED_TOKEN_FILE"), "value": pulumi.String(AzureTokenPath)},
	}
	container["volumeMounts"] = pulumi.Array{
		pulumi.Map{"name": pulumi.String(azureTokenVolume), "mountPath": pulumi.String(azureTokenDir), "readOnly": pulumi.Bool(true)},
	}
	spec["volumes"] = pulumi.Array{pulumi.Map{"name": pulumi.String(azureTokenVolume), "projected": pulumi.Map{
		"sources": pulumi.Array{pulumi.Map{"serviceAccountToken": pulumi.Map{
			"audience": pulumi.String(azureTokenAudience), "expirationSeconds": pulumi.Int(azureTokenTTL), "path": pulumi.String(azureTokenFile),
		}}},
	}}}
}

// azureClient creates the Secret whose one key, the storage account's name, ECK loads into every
// node's keystore (spec.secureSettings; the key is the setting's name). It is not a credential: the
// credential is the workload identity.
func (b *builder) azureClient() (*corev1.Secret, error) {
	return corev1.NewSecret(b.ctx, b.name+"-azure-client", &corev1.SecretArgs{
		Metadata:   b.meta(azureClientSecret, "snapshots"),
		StringData: pulumi.StringMap{AzureAccountSetting: b.args.Snapshots.Store.Account},
	}, b.child)
}

// secureSettings are spec.secureSettings: MinIO's key pair, or on ADLS the account name; nil on the
// stores whose client needs no keystore entry (GCS, S3).
func secureSettings(a *Args, secret pulumi.StringOutput) pulumi.Array {
	switch a.Snapshots.Store.Kind {
	case objectstore.MinIO:
		return pulumi.Array{pulumi.Map{
			"secretName": secret,
			"entries": pulumi.Array{
				pulumi.Map{"key": pulumi.String("accessKey"), "path": pulumi.String("s3.client.default.access_key")},
				pulumi.Map{"key": pulumi.String("secretKey"), "path": pulumi.String("s3.client.default.secret_key")},
			},
		}}
	case objectstore.ADLS:
		return pulumi.Array{pulumi.Map{
			"secretName": secret,
			"entries":    pulumi.Array{pulumi.Map{"key": pulumi.String(AzureAccountSetting)}},
		}}
	}
	return nil
}

// podLabels are a node set's pod labels: the platform's, and the store identity's (on ADLS
// azure.workload.identity/use, the label the webhook selects pods by).
func podLabels(a *Args) pulumi.StringMap {
	out := pulumi.ToStringMap(a.Labels)
	if a.cloudStore() {
		for k, v := range a.Snapshots.Store.Identities[a.Snapshots.Workload].PodLabels {
			out[k] = pulumi.String(v)
		}
	}
	return out
}
