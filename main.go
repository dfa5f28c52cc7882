// Command dataplatform is the Pulumi program of the data platform; `pulumi up` runs it.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/stacks"
)

func main() {
	pulumi.Run(stacks.Run)
}
