package adls

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// ConditionVersion is the only version of role assignment conditions Azure accepts
// (pulumi-azure-native-sdk/authorization/v2@v2.90.0 roleAssignment.go ConditionVersion: "Currently the
// only accepted value is '2.0'").
const ConditionVersion = "2.0"

// The data actions of Storage Blob Data Contributor (azure-docs articles/role-based-access-control/
// built-in-roles/storage.md: blobs/delete, blobs/read, blobs/write, blobs/move/action,
// blobs/add/action) and the List Blobs suboperation of blobs/read (azure-docs articles/storage/blobs/
// storage-auth-abac-attributes.md "Azure Blob Storage actions and suboperations").
const (
	blobsAction    = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
	blobPathAttr   = blobsAction + ":path"
	blobPrefixAttr = blobsAction + ":prefix"
	listSubOp      = "Blob.List"
)

// pathActions are the Contributor's data actions whose operations carry the Blob path resource
// attribute (storage-auth-abac-attributes.md: "Read a blob" — blobs/read NOT Blob.List —, "Write to a
// blob", "Create a blob or snapshot, or append data", "Delete a blob", "Rename a file or a directory"
// each list "Blob path" among their resource attributes). List Blobs has no path, only the Blob
// prefix request attribute.
var pathActions = []string{
	"ActionMatches{'" + blobsAction + "/read'} AND NOT SubOperationMatches{'" + listSubOp + "'}",
	"ActionMatches{'" + blobsAction + "/write'}",
	"ActionMatches{'" + blobsAction + "/add/action'}",
	"ActionMatches{'" + blobsAction + "/delete'}",
	"ActionMatches{'" + blobsAction + "/move/action'}",
}

var prefixRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// PrefixCondition is the role assignment condition that limits Storage Blob Data Contributor on a
// container to the blobs under "<prefix>/": every data action of the role that names a blob must name
// one whose path starts with it, and List Blobs must ask for a prefix that starts with it. It is the
// shape of azure-docs articles/storage/blobs/storage-auth-abac-examples.md "Example: Read or list blobs
// in named containers with a path" (Storage Blob Data Contributor: a path condition on read without
// Blob.List, a prefix condition on read with Blob.List, both StringStartsWith '<path>/') extended to
// the role's write, add, delete and move actions ("Example: Write blobs in named containers with a
// path" targets write and add/action the same way). The role has no runAsSuperUser/action (that is
// Storage Blob Data Owner's), so no HNS super-user action needs a condition. Container name is not
// tested: the assignment's scope is the container.
//
// A listing of the container root (an empty prefix) is refused, so a client must list under the prefix —
// Elasticsearch lists under its repository's base_path (the prefix) only.
func PrefixCondition(prefix string) string {
	p := "'" + prefix + "/'"
	var not []string
	for _, a := range pathActions {
		not = append(not, "!("+a+")")
	}
	return "((" + strings.Join(not, " AND ") + ") OR (@Resource[" + blobPathAttr + "] StringStartsWith " + p + "))" +
		" AND ((!(ActionMatches{'" + blobsAction + "/read'} AND SubOperationMatches{'" + listSubOp + "'}))" +
		" OR (@Request[" + blobPrefixAttr + "] StringStartsWith " + p + "))"
}

// validatePrefix checks an Access's Prefix: a DNS-label-like name (it is quoted into the condition,
// so no quote or operator can reach it), and not with a static credential, which is an account key
// that no condition limits.
func validatePrefix(acc objectstore.Access) error {
	if acc.Prefix == "" {
		return nil
	}
	if !prefixRE.MatchString(acc.Prefix) {
		return fmt.Errorf("Prefix = %q; allowed 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit", acc.Prefix)
	}
	if acc.StaticCredential {
		return fmt.Errorf("Prefix = %q with StaticCredential: an account key opens every blob of its account, no role condition limits it", acc.Prefix)
	}
	return nil
}
