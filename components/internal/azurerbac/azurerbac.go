// Package azurerbac holds what every Azure component needs to write role assignments that stay the
// same whoever runs `pulumi up`: a deterministic assignment name and a role definition ID.
package azurerbac

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DeterministicGUID derives a name-based (version 5 layout) GUID from its parts, as Bicep's guid()
// does: the same parts always give the same GUID, case-insensitively.
func DeterministicGUID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.ToLower(strings.Join(parts, "|"))))
	h[6] = h[6]&0x0f | 0x50 // version 5 (name-based)
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// AssignmentName names a role assignment after its scope, principal and role: the same assignment
// always gets the same name, and a changed one is replaced rather than duplicated.
func AssignmentName(scope, principal, role pulumi.StringInput) pulumi.StringOutput {
	return pulumi.All(scope, principal, role).ApplyT(func(v []any) string {
		return DeterministicGUID(v[0].(string), v[1].(string), v[2].(string))
	}).(pulumi.StringOutput)
}

// RoleDefinitionID is the subscription-level ID of a built-in role (the same GUID in every tenant),
// taken from the subscription of any ARM ID in it.
func RoleDefinitionID(armID pulumi.StringInput, roleGUID string) pulumi.StringOutput {
	return armID.ToStringOutput().ApplyT(func(id string) string {
		sub := id
		// ARM IDs are case-insensitive: Azure returns "/subscriptions/" but also "/Subscriptions/"
		// (e.g. some resources' parent IDs), and a pasted ID may use either.
		if parts := strings.SplitN(strings.TrimPrefix(id, "/"), "/", 3); len(parts) >= 2 && strings.EqualFold(parts[0], "subscriptions") {
			sub = "/subscriptions/" + parts[1]
		}
		return sub + "/providers/Microsoft.Authorization/roleDefinitions/" + roleGUID
	}).(pulumi.StringOutput)
}
