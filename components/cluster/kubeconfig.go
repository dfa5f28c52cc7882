package cluster

import (
	"encoding/json"
	"sort"
)

// ExecKubeconfig renders a kubeconfig whose user authenticates with a credential plugin (aws eks
// get-token, gke-gcloud-auth-plugin, kubelogin), so the kubeconfig itself holds no long-lived secret.
// It is JSON, which every kubeconfig reader accepts.
func ExecKubeconfig(name, server, caData, command string, args []string, env map[string]string) string {
	type kv struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a stable kubeconfig: no diff on every run
	envList := []kv{}
	for _, k := range keys {
		envList = append(envList, kv{k, env[k]})
	}
	cfg := map[string]any{
		"apiVersion": "v1",
		"kind":       "Config",
		"clusters": []any{map[string]any{"name": name, "cluster": map[string]any{
			"server": server, "certificate-authority-data": caData,
		}}},
		"contexts":        []any{map[string]any{"name": name, "context": map[string]any{"cluster": name, "user": name}}},
		"current-context": name,
		"users": []any{map[string]any{"name": name, "user": map[string]any{"exec": map[string]any{
			"apiVersion":         "client.authentication.k8s.io/v1beta1",
			"command":            command,
			"args":               args,
			"env":                envList,
			"interactiveMode":    "Never",
			"provideClusterInfo": false,
		}}}},
	}
	out, _ := json.Marshal(cfg) // maps of strings and slices always marshal
	return string(out)
}
