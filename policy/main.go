// Command policy is the data platform's CrossGuard policy pack.
//
// The Pulumi engine runs it — built from this directory (`--policy-pack policy/`, runtime go in
// PulumiPolicy.yaml) or prebuilt (`go build -o bin/policy-pack ./policy`, then
// `--policy-pack ./bin/policy-pack`) — passing its own address and logging flags as arguments,
// which the pack does not need. It prints the port it serves the analyzer protocol on.
package main

import (
	"fmt"
	"os"

	"github.com/opendataplatform/dataplatform/policy/analyzer"
)

func main() {
	if err := analyzer.Serve(analyzer.New(), os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "policy pack:", err)
		os.Exit(1)
	}
}
