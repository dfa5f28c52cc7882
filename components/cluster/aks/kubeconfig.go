package aks

import (
	"encoding/base64"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/opendataplatform/dataplatform/components/cluster"
)

// aksServerAppID is the Entra ID application of every AKS-managed AAD API server; kubelogin requests
// tokens for it.
const aksServerAppID = "6dae42f8-4368-4678-94ff-3960e28e3630"

// kubeconfigFromCredentials turns the first base64 kubeconfig AKS returns into one that authenticates
// with kubelogin in a non-interactive mode. AKS hands out a devicecode login, which would hang
// `pulumi up`; only the server and CA are taken from it.
func kubeconfigFromCredentials(name, encoded, mode string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", fmt.Errorf("aks %q: the user credentials are not base64: %w", name, err)
	}
	var kc struct {
		Clusters []struct {
			Cluster struct {
				Server string `yaml:"server"`
				CAData string `yaml:"certificate-authority-data"`
			} `yaml:"cluster"`
		} `yaml:"clusters"`
	}
	if err := yaml.Unmarshal(raw, &kc); err != nil {
		return "", fmt.Errorf("aks %q: the user kubeconfig is not YAML: %w", name, err)
	}
	if len(kc.Clusters) == 0 || kc.Clusters[0].Cluster.Server == "" {
		return "", fmt.Errorf("aks %q: the user kubeconfig names no cluster server", name)
	}
	if mode == "" {
		mode = "azurecli"
	}
	c := kc.Clusters[0].Cluster
	return cluster.ExecKubeconfig(name, c.Server, c.CAData, "kubelogin",
		[]string{"get-token", "--login", mode, "--server-id", aksServerAppID}, nil), nil
}
