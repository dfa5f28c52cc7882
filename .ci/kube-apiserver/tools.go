//go:build tools

// Package tools pins the kube-apiserver that CI builds from source for the
// server-side dry run of every manifest the offline plan writes
// (.ci/kube-apiserver.sh). No prebuilt binary can be downloaded where this
// project builds; the Go module proxy serves k8s.io/kubernetes.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
