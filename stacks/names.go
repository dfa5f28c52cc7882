package stacks

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/opendataplatform/dataplatform/config"
)

// Names are the stack's physical names in the cloud.
//
// Two scopes matter. Names that must be unique only inside one account, subscription or project
// (an EKS cluster, a GCP VPC, a resource group) use Base, "<project>-<stack>", so two stacks of one
// project never collide. Names that must be unique across every customer of the cloud (S3 and GCS
// buckets, Azure storage accounts, PostgreSQL flexible servers and container registries, whose names
// are DNS labels) also carry Suffix, derived from the account, subscription or project the stack
// deploys into: two organisations deploying a "prod" stack get different names, and a stack keeps
// its names from one run to the next because the inputs of the hash do not change. The
// `dataplatform:nameSuffix` key overrides the derived suffix (for a name already taken, or to adopt
// existing resources).
type Names struct {
	// Base is "<project>-<stack>", e.g. "dataplatform-prod".
	Base string
	// Suffix is 6 hex digits of SHA-256("<scope>/<project>/<stack>"), or the configured nameSuffix.
	Suffix string
}

// namesFor derives the stack's names; scope is the AWS account ID, the Azure subscription ID or the
// GCP project ID the stack deploys into (empty on the kubernetes target, where nothing is global).
func namesFor(cfg *config.Platform, scope string) Names {
	n := Names{Base: cfg.Project + "-" + cfg.Stack, Suffix: cfg.NameSuffix}
	if n.Suffix == "" {
		sum := sha256.Sum256([]byte(scope + "/" + cfg.Project + "/" + cfg.Stack))
		n.Suffix = hex.EncodeToString(sum[:])[:6]
	}
	return n
}

// Global is Base with the suffix, for names unique across the cloud: "dataplatform-prod-1a2b3c".
func (n Names) Global() string { return n.Base + "-" + n.Suffix }
