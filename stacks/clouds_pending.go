package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendataplatform/dataplatform/config"
)

func azureFoundation(ctx *pulumi.Context, cfg *config.Platform) (*Foundation, error) {
	return nil, fmt.Errorf("azure: not assembled yet")
}
