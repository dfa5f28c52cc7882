//go:build tools

// Package tools pins the Pulumi CLI that CI and developers build from source:
// no prebuilt binary can be downloaded where this project builds, but the Go
// module proxy serves the CLI's source at the exact version the program uses.
package tools

import (
	// The Pulumi CLI; .ci/pulumi-cli.sh builds it with `go build`.
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
