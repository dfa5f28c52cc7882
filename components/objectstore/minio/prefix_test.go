package minio

import (
	"encoding/json"
	"testing"

	"github.com/opendataplatform/dataplatform/components/objectstore"
)

// TestBucketPolicyPrefix: with a prefix the user reads, writes and lists only the keys under it;
// without one the policy is the whole-bucket policy it always was.
func TestBucketPolicyPrefix(t *testing.T) {
	var doc struct {
		Statement []struct {
			Action    []string
			Resource  []string
			Condition map[string]map[string][]string
		}
	}
	if err := json.Unmarshal([]byte(bucketPolicy([]objectstore.Bucket{objectstore.Backups}, "elasticsearch")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 3 {
		t.Fatalf("%d statements; want bucket reads, conditioned listing, objects", len(doc.Statement))
	}
	list, objects := doc.Statement[1], doc.Statement[2]
	if got := list.Condition["StringLike"]["s3:prefix"]; len(got) != 1 || got[0] != "elasticsearch/*" {
		t.Errorf("listing condition = %v; want s3:prefix elasticsearch/*", list.Condition)
	}
	for _, a := range doc.Statement[0].Action {
		if a == "s3:ListBucket" {
			t.Errorf("ListBucket granted without the prefix condition")
		}
	}
	if len(objects.Resource) != 1 || objects.Resource[0] != "arn:aws:s3:::backups/elasticsearch/*" {
		t.Errorf("object resources = %v; want only backups/elasticsearch/*", objects.Resource)
	}
	if err := json.Unmarshal([]byte(bucketPolicy([]objectstore.Bucket{objectstore.Backups}, "")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 2 || doc.Statement[1].Resource[0] != "arn:aws:s3:::backups/*" {
		t.Errorf("without a prefix: %+v", doc.Statement)
	}
}
