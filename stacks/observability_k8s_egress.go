package stacks

import (
	"net/url"
	"strconv"

	"github.com/opendataplatform/dataplatform/config"
)

// monitoringAPIServerCIDRs are where the monitoring namespace's pods reach the API server: on the
// kubernetes target network.apiServerCidrs (the endpoints behind the "kubernetes" Service); on a
// cloud cluster (the stack also runs on AKS) none — 443/6443 at any address — because the managed
// API server's address (public, or a private endpoint) is not known when the plan is made and the
// RFC 1918 default would cut a public one off (as searchAPIServerCIDRs, stacks/elasticsearch.go).
func monitoringAPIServerCIDRs(cfg *config.Platform) []string {
	if cfg.Cloud == config.Kubernetes {
		return cfg.Network.APIServerCIDRs
	}
	return nil
}

// webhookPort is the webhook receiver's port for Alertmanager's egress (kubeprometheus.Args.
// WebhookPort); 0 without a webhook.
func webhookPort(cfg *config.Platform) int {
	r := cfg.Observability.Receiver
	if r.Kind != config.ReceiverWebhook || r.Credential == "" {
		return 0
	}
	return urlPort(r.Credential)
}

// urlPort is the TCP port a webhook URL is posted to: its explicit port, else 443 for https and 80
// for http (config validates the URL: http or https with a host). Alertmanager's egress opens it.
func urlPort(raw string) int {
	u, err := url.Parse(raw)
	if err != nil {
		return 0
	}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	if u.Scheme == "http" {
		return 80
	}
	return 443
}
