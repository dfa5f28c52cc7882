package stacks

import (
	"net/url"
	"strconv"
)

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
