package s3

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/objectstore"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
	"github.com/opendataplatform/dataplatform/policy/policies"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	bucketType      = "aws:s3/bucketV2:BucketV2"
	pabType         = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	ownershipType   = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	sseType         = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	versioningType  = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	policyType      = "aws:s3/bucketPolicy:BucketPolicy"
	lifecycleType   = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	loggingType     = "aws:s3/bucketLoggingV2:BucketLoggingV2"
	replicationType = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
	keyType         = "aws:kms/key:Key"
	roleType        = "aws:iam/role:Role"
	rolePolicyType  = "aws:iam/rolePolicy:RolePolicy"
	podIDType       = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
	awsProviderType = "pulumi:providers:aws"
	account         = mockcloud.AWSAccountID
)

func access() []objectstore.Access {
	return []objectstore.Access{
		{Workload: "dremio", Namespace: "dataplatform", ServiceAccount: "dremio", Buckets: []objectstore.Bucket{objectstore.Lake, objectstore.Dremio}},
		{Workload: "airbyte", Namespace: "dataplatform", ServiceAccount: "airbyte-admin", Buckets: []objectstore.Bucket{objectstore.Airbyte, objectstore.Lake}},
		{Workload: "dbt", Namespace: "dataplatform-jobs", ServiceAccount: "dbt", Buckets: []objectstore.Bucket{objectstore.Lake}},
	}
}

// prodArgs mirror config.Defaults(AWS, Prod).
func prodArgs() *ObjectStoreArgs {
	return &ObjectStoreArgs{
		NamePrefix:            "dataplatform-prod",
		Region:                "eu-north-1",
		Versioning:            true,
		NoncurrentVersionDays: 90,
		ColdTierAfterDays:     90,
		ReplicationRegion:     "eu-west-1",
		ClusterName:           pulumi.String("dataplatform-prod"),
		Access:                access(),
		Tags:                  map[string]string{"environment": "prod"},
	}
}

// devArgs mirror config.Defaults(AWS, Dev).
func devArgs() *ObjectStoreArgs {
	a := prodArgs()
	a.NamePrefix = "dataplatform-dev"
	a.NoncurrentVersionDays = 30
	a.ReplicationRegion = ""
	a.ClusterName = pulumi.String("dataplatform-dev")
	a.Tags = map[string]string{"environment": "dev"}
	return a
}

func run(t *testing.T, stack string, preview bool, args *ObjectStoreArgs) (*mockcloud.Mocks, *ObjectStore, error) {
	t.Helper()
	m := mockcloud.New("dataplatform", stack, preview)
	var s *ObjectStore
	err := m.Run(func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-north-1")})
		if err != nil {
			return err
		}
		if args != nil && stack == "prod" {
			args.Protect = true // the stacks pass Protect: prod (HELPERS.md contract 1)
		}
		s, err = NewObjectStore(ctx, "store", args, pulumi.Provider(p))
		return err
	}, nil)
	return m, s, err
}

func envs(t *testing.T, f func(t *testing.T, stack string, args *ObjectStoreArgs, preview bool)) {
	for _, tc := range []struct {
		stack string
		args  func() *ObjectStoreArgs
	}{{"prod", prodArgs}, {"dev", devArgs}} {
		t.Run(tc.stack, func(t *testing.T) {
			inspect.Modes(t, func(t *testing.T, preview bool) { f(t, tc.stack, tc.args(), preview) })
		})
	}
}

// parsedStatement reads statements whether Principal is "*" or a map.
type parsedStatement struct {
	Sid       string
	Effect    string
	Principal any
	Action    []string
	Resource  []string
	Condition map[string]map[string]any
}

func parsePolicy(t *testing.T, doc string) []parsedStatement {
	t.Helper()
	var d struct{ Statement []parsedStatement }
	require.NoError(t, json.Unmarshal([]byte(doc), &d), doc)
	return d.Statement
}

// assertTLSOnly checks a bucket policy denies plain HTTP on the bucket and its objects.
func assertTLSOnly(t *testing.T, doc, bucket string) {
	t.Helper()
	arn := "arn:aws:s3:::" + bucket
	found := false
	for _, st := range parsePolicy(t, doc) {
		if st.Effect == "Deny" && st.Condition["Bool"]["aws:SecureTransport"] == "false" {
			found = true
			assert.Equal(t, "*", st.Principal)
			assert.Equal(t, []string{"s3:*"}, st.Action)
			assert.ElementsMatch(t, []string{arn, arn + "/*"}, st.Resource)
		}
	}
	assert.True(t, found, "no Deny on aws:SecureTransport=false in %s", doc)
}

func rules(l *mockcloud.Resource) map[string]resource.PropertyMap {
	out := map[string]resource.PropertyMap{}
	for _, r := range inspect.Arr(l.Inputs["rules"]) {
		out[inspect.Str(inspect.Obj(r), "id")] = inspect.Obj(r)
	}
	return out
}

func TestDataBuckets(t *testing.T) {
	envs(t, func(t *testing.T, stack string, args *ObjectStoreArgs, preview bool) {
		m, _, err := run(t, stack, preview, args)
		require.NoError(t, err)
		key := inspect.MustNamed(t, m, keyType, "store-kms")
		assert.True(t, key.Inputs["enableKeyRotation"].BoolValue())
		comp := m.ByType(ObjectStoreType)
		require.Len(t, comp, 1)
		for _, role := range objectstore.Buckets {
			b := inspect.MustNamed(t, m, bucketType, "store-"+string(role))
			want := fmt.Sprintf("%s-%s", args.NamePrefix, role)
			assert.Equal(t, want, inspect.Str(b.Inputs, "bucket"))
			assert.LessOrEqual(t, len(want), 63)
			// Issue 9 class 9: outside prod the stack sets ForceDestroy so `pulumi destroy` works; the
			// component follows the argument (false here) instead of never setting it.
			force, _ := inspect.Bool(b.Inputs, "forceDestroy")
			assert.Equal(t, args.ForceDestroy, force, "only a store created with ForceDestroy deletes its objects on destroy")
			assert.Equal(t, comp[0].URN, b.Parent)
			assert.Equal(t, stack == "prod", b.Protect)

			pab := inspect.MustNamed(t, m, pabType, b.Name+"-public-access-block")
			for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				assert.True(t, pab.Inputs[resource.PropertyKey(k)].BoolValue(), "%s %s", b.Name, k)
			}
			assert.Contains(t, pab.PropertyDependencies["bucket"], b.URN)
			own := inspect.MustNamed(t, m, ownershipType, b.Name+"-ownership")
			assert.Equal(t, "BucketOwnerEnforced", inspect.Str(inspect.Obj(own.Inputs["rule"]), "objectOwnership"))

			sse := inspect.MustNamed(t, m, sseType, b.Name+"-encryption")
			sseRules := inspect.Arr(sse.Inputs["rules"])
			require.Len(t, sseRules, 1)
			def := inspect.Obj(inspect.Obj(sseRules[0])["applyServerSideEncryptionByDefault"])
			assert.Equal(t, "aws:kms", inspect.Str(def, "sseAlgorithm"))
			assert.True(t, inspect.Obj(sseRules[0])["bucketKeyEnabled"].BoolValue())
			assert.Contains(t, sse.PropertyDependencies["rules"], key.URN)
			if !preview {
				assert.Equal(t, key.Outputs["arn"].StringValue(), inspect.Str(def, "kmsMasterKeyId"))
			}

			ver := inspect.MustNamed(t, m, versioningType, b.Name+"-versioning")
			assert.Equal(t, "Enabled", inspect.Str(inspect.Obj(ver.Inputs["versioningConfiguration"]), "status"))

			pol := inspect.MustNamed(t, m, policyType, b.Name+"-policy")
			assertTLSOnly(t, inspect.Str(pol.Inputs, "policy"), want)
			assert.Contains(t, pol.Dependencies, pab.URN, "the policy waits for the public access block")

			lc := inspect.MustNamed(t, m, lifecycleType, b.Name+"-lifecycle")
			assert.Contains(t, lc.Dependencies, ver.URN)
			rs := rules(lc)
			require.Contains(t, rs, "expire-noncurrent-versions")
			assert.Equal(t, float64(args.NoncurrentVersionDays), inspect.RequireNum(t, inspect.Obj(rs["expire-noncurrent-versions"]["noncurrentVersionExpiration"]), "noncurrentDays"))
			require.Contains(t, rs, "abort-incomplete-multipart-uploads")
			assert.Equal(t, 7.0, inspect.RequireNum(t, inspect.Obj(rs["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"]), "daysAfterInitiation"))
			if role == objectstore.Lake {
				require.Contains(t, rs, "cold-tier")
				tr := inspect.Arr(rs["cold-tier"]["transitions"])
				require.Len(t, tr, 2)
				assert.Equal(t, "STANDARD_IA", inspect.Str(inspect.Obj(tr[0]), "storageClass"))
				assert.Equal(t, 90.0, inspect.RequireNum(t, inspect.Obj(tr[0]), "days"))
				assert.Equal(t, "GLACIER_IR", inspect.Str(inspect.Obj(tr[1]), "storageClass"))
				assert.Equal(t, 180.0, inspect.RequireNum(t, inspect.Obj(tr[1]), "days"))
			} else {
				assert.NotContains(t, rs, "cold-tier", "only the lake goes to colder tiers")
			}

			lg := inspect.MustNamed(t, m, loggingType, b.Name+"-logging")
			logs := inspect.MustNamed(t, m, bucketType, "store-logs")
			assert.Contains(t, lg.PropertyDependencies["bucket"], b.URN)
			assert.Contains(t, lg.PropertyDependencies["targetBucket"], logs.URN)
			assert.Equal(t, string(role)+"/", inspect.Str(lg.Inputs, "targetPrefix"))
			if !preview {
				assert.Equal(t, args.NamePrefix+"-logs", inspect.Str(lg.Inputs, "targetBucket"))
			}
		}
	})
}

func TestLogBucket(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, "prod", preview, prodArgs())
		require.NoError(t, err)
		logs := inspect.MustNamed(t, m, bucketType, "store-logs")
		name := "dataplatform-prod-logs"
		assert.Equal(t, name, inspect.Str(logs.Inputs, "bucket"))
		for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			assert.True(t, inspect.MustNamed(t, m, pabType, "store-logs-public-access-block").Inputs[resource.PropertyKey(k)].BoolValue(), k)
		}
		assert.Equal(t, "BucketOwnerEnforced", inspect.Str(inspect.Obj(inspect.MustNamed(t, m, ownershipType, "store-logs-ownership").Inputs["rule"]), "objectOwnership"))
		// S3 server access logging delivers only to SSE-S3 buckets.
		sse := inspect.Arr(inspect.MustNamed(t, m, sseType, "store-logs-encryption").Inputs["rules"])
		require.Len(t, sse, 1)
		assert.Equal(t, "AES256", inspect.Str(inspect.Obj(inspect.Obj(sse[0])["applyServerSideEncryptionByDefault"]), "sseAlgorithm"))
		assert.Equal(t, "Enabled", inspect.Str(inspect.Obj(inspect.MustNamed(t, m, versioningType, "store-logs-versioning").Inputs["versioningConfiguration"]), "status"))

		doc := inspect.Str(inspect.MustNamed(t, m, policyType, "store-logs-policy").Inputs, "policy")
		assertTLSOnly(t, doc, name)
		var deliver *parsedStatement
		for _, st := range parsePolicy(t, doc) {
			if st.Effect == "Allow" {
				deliver = &st
			}
		}
		require.NotNil(t, deliver)
		assert.Equal(t, map[string]any{"Service": "logging.s3.amazonaws.com"}, deliver.Principal)
		assert.Equal(t, []string{"s3:PutObject"}, deliver.Action)
		assert.Equal(t, []string{"arn:aws:s3:::" + name + "/*"}, deliver.Resource)
		var sources []string
		for _, s := range deliver.Condition["ArnLike"]["aws:SourceArn"].([]any) {
			sources = append(sources, s.(string))
		}
		var want []string
		for _, role := range objectstore.Buckets {
			want = append(want, fmt.Sprintf("arn:aws:s3:::dataplatform-prod-%s", role))
		}
		assert.ElementsMatch(t, want, sources)
		assert.Equal(t, account, deliver.Condition["StringEquals"]["aws:SourceAccount"])

		rs := rules(inspect.MustNamed(t, m, lifecycleType, "store-logs-lifecycle"))
		require.Contains(t, rs, "expire-logs")
		assert.Equal(t, 90.0, inspect.RequireNum(t, inspect.Obj(rs["expire-logs"]["expiration"]), "days"))
		for _, lg := range m.ByType(loggingType) {
			assert.True(t, m.DependsOn(lg, inspect.MustNamed(t, m, policyType, "store-logs-policy")), "logging starts once S3 may deliver")
		}
	})
}

func TestReplicationProd(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, "prod", preview, prodArgs())
		require.NoError(t, err)
		prov := inspect.MustNamed(t, m, awsProviderType, "store-replica")
		assert.Equal(t, "eu-west-1", inspect.Str(prov.Inputs, "region"))
		replicaKey := inspect.MustNamed(t, m, keyType, "store-replica-kms")
		assert.Equal(t, prov.URN, inspect.ProviderURN(replicaKey))
		assert.True(t, replicaKey.Inputs["enableKeyRotation"].BoolValue())
		key := inspect.MustNamed(t, m, keyType, "store-kms")

		configs := m.ByType(replicationType)
		require.Len(t, configs, 2, "only the lake and backups are replicated")
		role := inspect.MustNamed(t, m, roleType, "store-replication-role")
		var trust struct{ Statement []parsedStatement }
		require.NoError(t, json.Unmarshal([]byte(inspect.Str(role.Inputs, "assumeRolePolicy")), &trust))
		assert.Equal(t, map[string]any{"Service": "s3.amazonaws.com"}, trust.Statement[0].Principal)
		assert.Equal(t, account, trust.Statement[0].Condition["StringEquals"]["aws:SourceAccount"])

		var srcARNs, dstARNs []string
		for _, r := range []objectstore.Bucket{objectstore.Lake, objectstore.Backups} {
			src := inspect.MustNamed(t, m, bucketType, "store-"+string(r))
			dst := inspect.MustNamed(t, m, bucketType, "store-"+string(r)+"-replica")
			dstName := fmt.Sprintf("dataplatform-prod-%s-dr", r)
			srcARNs = append(srcARNs, "arn:aws:s3:::"+inspect.Str(src.Inputs, "bucket"))
			dstARNs = append(dstARNs, "arn:aws:s3:::"+dstName)
			assert.Equal(t, dstName, inspect.Str(dst.Inputs, "bucket"))
			assert.Equal(t, prov.URN, inspect.ProviderURN(dst), "the replica lives in the replication region")
			assert.True(t, dst.Protect)
			for _, suffix := range []string{"-public-access-block", "-ownership", "-encryption", "-versioning", "-policy", "-lifecycle"} {
				assert.Equal(t, prov.URN, inspect.ProviderURN(inspect.MustNamed(t, m, map[string]string{
					"-public-access-block": pabType, "-ownership": ownershipType, "-encryption": sseType,
					"-versioning": versioningType, "-policy": policyType, "-lifecycle": lifecycleType,
				}[suffix], dst.Name+suffix)), suffix)
			}
			dstVer := inspect.MustNamed(t, m, versioningType, dst.Name+"-versioning")
			assert.Equal(t, "Enabled", inspect.Str(inspect.Obj(dstVer.Inputs["versioningConfiguration"]), "status"))
			sse := inspect.MustNamed(t, m, sseType, dst.Name+"-encryption")
			assert.Contains(t, sse.PropertyDependencies["rules"], replicaKey.URN)
			assertTLSOnly(t, inspect.Str(inspect.MustNamed(t, m, policyType, dst.Name+"-policy").Inputs, "policy"), dstName)

			cfg := inspect.MustNamed(t, m, replicationType, "store-"+string(r)+"-replication")
			assert.Contains(t, cfg.PropertyDependencies["bucket"], src.URN)
			assert.Contains(t, cfg.PropertyDependencies["role"], role.URN)
			assert.True(t, m.DependsOn(cfg, inspect.MustNamed(t, m, versioningType, src.Name+"-versioning")), "replication needs source versioning")
			assert.True(t, m.DependsOn(cfg, dstVer), "replication needs destination versioning")
			assert.True(t, m.DependsOn(cfg, inspect.MustNamed(t, m, rolePolicyType, "store-replication-policy")))
			assert.NotEqual(t, prov.URN, inspect.ProviderURN(cfg), "the configuration belongs to the source bucket's region")
			rr := inspect.Arr(cfg.Inputs["rules"])
			require.Len(t, rr, 1)
			rule := inspect.Obj(rr[0])
			assert.Equal(t, "Enabled", inspect.Str(rule, "status"))
			assert.Equal(t, "Enabled", inspect.Str(inspect.Obj(rule["deleteMarkerReplication"]), "status"))
			assert.Equal(t, "Enabled", inspect.Str(inspect.Obj(inspect.Obj(rule["sourceSelectionCriteria"])["sseKmsEncryptedObjects"]), "status"))
			dest := inspect.Obj(rule["destination"])
			assert.Equal(t, 15.0, inspect.RequireNum(t, inspect.Obj(inspect.Obj(dest["replicationTime"])["time"]), "minutes"))
			assert.Equal(t, "Enabled", inspect.Str(inspect.Obj(dest["metrics"]), "status"))
			if !preview {
				assert.Equal(t, "arn:aws:s3:::"+dstName, inspect.Str(dest, "bucket"))
				assert.Equal(t, replicaKey.Outputs["arn"].StringValue(), inspect.Str(inspect.Obj(dest["encryptionConfiguration"]), "replicaKmsKeyId"))
			}
		}
		for _, r := range []objectstore.Bucket{objectstore.Dremio, objectstore.Airbyte} {
			assert.Nil(t, m.Named(bucketType, "store-"+string(r)+"-replica"))
		}

		pol := inspect.MustNamed(t, m, rolePolicyType, "store-replication-policy")
		assert.Contains(t, pol.PropertyDependencies["role"], role.URN)
		if preview {
			return
		}
		resources := map[string][]string{}
		for _, st := range parsePolicy(t, inspect.Str(pol.Inputs, "policy")) {
			assert.Equal(t, "Allow", st.Effect)
			resources[st.Sid] = st.Resource
		}
		assert.ElementsMatch(t, srcARNs, resources["SourceBuckets"])
		assert.ElementsMatch(t, []string{srcARNs[0] + "/*", srcARNs[1] + "/*"}, resources["SourceObjects"])
		assert.ElementsMatch(t, []string{dstARNs[0] + "/*", dstARNs[1] + "/*"}, resources["ReplicaObjects"])
		assert.Equal(t, []string{key.Outputs["arn"].StringValue()}, resources["DecryptSource"])
		assert.Equal(t, []string{replicaKey.Outputs["arn"].StringValue()}, resources["EncryptReplica"])
	})
}

func TestNoReplicationInDev(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, _, err := run(t, "dev", preview, devArgs())
		require.NoError(t, err)
		assert.Empty(t, m.ByType(replicationType))
		assert.Len(t, m.ByType(awsProviderType), 1, "no replica-region provider")
		assert.Len(t, m.ByType(keyType), 1)
		assert.Len(t, m.ByType(bucketType), len(objectstore.Buckets)+1, "the data buckets and the log bucket")
		assert.Nil(t, m.Named(roleType, "store-replication-role"))
	})
}

func TestPodIdentity(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, "prod", preview, prodArgs())
		require.NoError(t, err)
		key := inspect.MustNamed(t, m, keyType, "store-kms")
		assocs := m.ByType(podIDType)
		require.Len(t, assocs, len(access()))
		require.Len(t, s.Info.Identities, len(access()))
		for _, a := range access() {
			role := inspect.MustNamed(t, m, roleType, "store-"+a.Workload+"-role")
			assoc := inspect.MustNamed(t, m, podIDType, "store-"+a.Workload+"-pod-identity")
			pol := inspect.MustNamed(t, m, rolePolicyType, "store-"+a.Workload+"-policy")
			assert.Equal(t, "dataplatform-prod", inspect.Str(assoc.Inputs, "clusterName"))
			assert.Equal(t, a.Namespace, inspect.Str(assoc.Inputs, "namespace"))
			assert.Equal(t, a.ServiceAccount, inspect.Str(assoc.Inputs, "serviceAccount"))
			assert.Contains(t, assoc.PropertyDependencies["roleArn"], role.URN)
			assert.Contains(t, assoc.Dependencies, pol.URN, "the association exists once the permissions do")
			assert.Contains(t, pol.PropertyDependencies["role"], role.URN)
			assert.True(t, m.DependsOn(pol, key))

			var trust struct{ Statement []parsedStatement }
			require.NoError(t, json.Unmarshal([]byte(inspect.Str(role.Inputs, "assumeRolePolicy")), &trust))
			require.Len(t, trust.Statement, 1)
			st := trust.Statement[0]
			assert.Equal(t, map[string]any{"Service": "pods.eks.amazonaws.com"}, st.Principal)
			assert.ElementsMatch(t, []string{"sts:AssumeRole", "sts:TagSession"}, st.Action)
			eq := st.Condition["StringEquals"]
			assert.Equal(t, account, eq["aws:SourceAccount"])
			assert.Equal(t, "dataplatform-prod", eq["aws:RequestTag/eks-cluster-name"])
			assert.Equal(t, a.Namespace, eq["aws:RequestTag/kubernetes-namespace"])
			assert.Equal(t, a.ServiceAccount, eq["aws:RequestTag/kubernetes-service-account"])

			id := s.Info.Identities[a.Workload]
			ann := inspect.Await(t, id.ServiceAccountAnnotations)
			assert.True(t, ann.Known)
			assert.Empty(t, ann.Value, "Pod Identity needs no ServiceAccount annotation")
			assert.Empty(t, inspect.Await(t, id.CredentialsSecret).Value, "no static credentials")
			principal := inspect.Await(t, id.Principal)
			if preview {
				assert.False(t, principal.Known)
				continue
			}
			assert.Equal(t, role.Outputs["arn"].StringValue(), principal.Value)

			var buckets, objects, kmsRes, actions []string
			for _, st := range parsePolicy(t, inspect.Str(pol.Inputs, "policy")) {
				assert.Equal(t, "Allow", st.Effect)
				actions = append(actions, st.Action...)
				switch st.Sid {
				case "Buckets":
					buckets = st.Resource
				case "Objects":
					objects = st.Resource
				case "BucketKey":
					kmsRes = st.Resource
					assert.ElementsMatch(t, []string{"kms:Decrypt", "kms:GenerateDataKey"}, st.Action)
				}
			}
			var wantB, wantO []string
			for _, b := range a.Buckets {
				arn := fmt.Sprintf("arn:aws:s3:::dataplatform-prod-%s", b)
				wantB, wantO = append(wantB, arn), append(wantO, arn+"/*")
			}
			assert.ElementsMatch(t, wantB, buckets, a.Workload)
			assert.ElementsMatch(t, wantO, objects, a.Workload)
			assert.Equal(t, []string{key.Outputs["arn"].StringValue()}, kmsRes)
			for _, want := range []string{"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"} {
				assert.Contains(t, actions, want)
			}
			for _, act := range actions {
				assert.NotContains(t, act, "*", "no wildcard actions")
			}
		}
	})
}

func TestInfo(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, s, err := run(t, "prod", preview, prodArgs())
		require.NoError(t, err)
		assert.Equal(t, objectstore.S3, s.Info.Kind)
		assert.Equal(t, "eu-north-1", s.Info.Region)
		assert.False(t, s.Info.PathStyle)
		assert.Equal(t, "https://s3.eu-north-1.amazonaws.com", inspect.Await(t, s.Info.Endpoint).Value)
		assert.Equal(t, "", inspect.Await(t, s.Info.CABundle).Value)
		require.Len(t, s.Info.BucketNames, len(objectstore.Buckets))
		require.Len(t, s.BucketARNs, len(objectstore.Buckets))
		for _, role := range objectstore.Buckets {
			want := fmt.Sprintf("dataplatform-prod-%s", role)
			name := inspect.Await(t, s.Info.BucketNames[role])
			arn := inspect.Await(t, s.BucketARNs[role])
			if preview {
				continue
			}
			assert.Equal(t, want, name.Value)
			assert.Equal(t, "arn:aws:s3:::"+want, arn.Value)
		}
		if !preview {
			assert.Equal(t, inspect.MustNamed(t, m, keyType, "store-kms").Outputs["arn"].StringValue(), inspect.Await(t, s.KMSKeyARN).Value)
		}
	})
}

func TestOptions(t *testing.T) {
	t.Run("no cold tier", func(t *testing.T) {
		a := devArgs()
		a.ColdTierAfterDays = 0
		m, _, err := run(t, "dev", false, a)
		require.NoError(t, err)
		assert.NotContains(t, rules(inspect.MustNamed(t, m, lifecycleType, "store-lake-lifecycle")), "cold-tier")
	})
	t.Run("versioning off", func(t *testing.T) {
		a := devArgs()
		a.Versioning = false
		m, _, err := run(t, "dev", false, a)
		require.NoError(t, err)
		assert.Equal(t, "Suspended", inspect.Str(inspect.Obj(inspect.MustNamed(t, m, versioningType, "store-lake-versioning").Inputs["versioningConfiguration"]), "status"))
		assert.Equal(t, "Enabled", inspect.Str(inspect.Obj(inspect.MustNamed(t, m, versioningType, "store-logs-versioning").Inputs["versioningConfiguration"]), "status"))
	})
	t.Run("log retention", func(t *testing.T) {
		a := devArgs()
		a.AccessLogRetentionDays = 30
		m, _, err := run(t, "dev", false, a)
		require.NoError(t, err)
		assert.Equal(t, 30.0, inspect.RequireNum(t, inspect.Obj(rules(inspect.MustNamed(t, m, lifecycleType, "store-logs-lifecycle"))["expire-logs"]["expiration"]), "days"))
	})
	t.Run("no access", func(t *testing.T) {
		a := devArgs()
		a.Access, a.ClusterName = nil, nil
		m, s, err := run(t, "dev", false, a)
		require.NoError(t, err)
		assert.Empty(t, m.ByType(podIDType))
		assert.Empty(t, s.Info.Identities)
	})
}

// TestPolicies runs the project's CrossGuard policies on everything the component creates.
func TestPolicies(t *testing.T) {
	envs(t, func(t *testing.T, stack string, args *ObjectStoreArgs, preview bool) {
		m, _, err := run(t, stack, preview, args)
		require.NoError(t, err)
		var rs []policies.Resource
		for _, r := range m.Resources() {
			rs = append(rs, policies.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Properties: r.Inputs,
				Protect: r.Protect, Parent: r.Parent, Dependencies: r.AllDependencies(), Provider: r.Provider})
		}
		for _, v := range policies.Evaluate(rs, policies.DefaultConfig(stack)) {
			assert.NotEqual(t, policies.Mandatory, v.Level, v.String())
		}
	})
}

func TestValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(a *ObjectStoreArgs)
		want   string
	}{
		{"prefix upper", func(a *ObjectStoreArgs) { a.NamePrefix = "Data" }, "NamePrefix"},
		{"prefix dots", func(a *ObjectStoreArgs) { a.NamePrefix = "data.platform" }, "NamePrefix"},
		{"prefix too long", func(a *ObjectStoreArgs) { a.NamePrefix = strings.Repeat("a", 53) }, "NamePrefix"},
		{"prefix reserved", func(a *ObjectStoreArgs) { a.NamePrefix = "xn--data" }, "NamePrefix"},
		{"region", func(a *ObjectStoreArgs) { a.Region = "stockholm" }, "Region"},
		{"noncurrent", func(a *ObjectStoreArgs) { a.NoncurrentVersionDays = 0 }, "NoncurrentVersionDays"},
		{"cold tier", func(a *ObjectStoreArgs) { a.ColdTierAfterDays = 10 }, "ColdTierAfterDays"},
		{"log days", func(a *ObjectStoreArgs) { a.AccessLogRetentionDays = -1 }, "AccessLogRetentionDays"},
		{"replication region", func(a *ObjectStoreArgs) { a.ReplicationRegion = "ireland" }, "ReplicationRegion"},
		{"replication same region", func(a *ObjectStoreArgs) { a.ReplicationRegion = "eu-north-1" }, "ReplicationRegion"},
		{"replication unversioned", func(a *ObjectStoreArgs) { a.Versioning = false }, "Versioning"},
		{"cluster", func(a *ObjectStoreArgs) { a.ClusterName = nil }, "ClusterName"},
		{"workload", func(a *ObjectStoreArgs) { a.Access[0].Workload = "" }, "Access[0].Workload"},
		{"workload twice", func(a *ObjectStoreArgs) { a.Access[1].Workload = "dremio" }, "Access[1].Workload"},
		{"namespace", func(a *ObjectStoreArgs) { a.Access[0].Namespace = "Apps" }, "Access[0].Namespace"},
		{"service account", func(a *ObjectStoreArgs) { a.Access[2].ServiceAccount = "" }, "Access[2].ServiceAccount"},
		{"no buckets", func(a *ObjectStoreArgs) { a.Access[0].Buckets = nil }, "Access[0].Buckets"},
		{"unknown bucket", func(a *ObjectStoreArgs) { a.Access[0].Buckets = []objectstore.Bucket{"secrets"} }, "Access[0].Buckets"},
		{"bucket twice", func(a *ObjectStoreArgs) {
			a.Access[0].Buckets = []objectstore.Bucket{objectstore.Lake, objectstore.Lake}
		}, "Access[0].Buckets"},
		{"tags", func(a *ObjectStoreArgs) { a.Tags = map[string]string{"aws:x": "y"} }, "Tags"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := prodArgs()
			tc.mutate(a)
			m, _, err := run(t, "prod", false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType(ObjectStoreType), "nothing is registered for invalid args")
		})
	}
	t.Run("nil args", func(t *testing.T) {
		_, _, err := run(t, "prod", false, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "args is nil")
	})
	t.Run("longest prefix fits", func(t *testing.T) {
		a := prodArgs()
		a.NamePrefix = strings.Repeat("a", 52)
		m, _, err := run(t, "prod", false, a)
		require.NoError(t, err)
		for _, b := range m.ByType(bucketType) {
			assert.LessOrEqual(t, len(inspect.Str(b.Inputs, "bucket")), 63, inspect.Str(b.Inputs, "bucket"))
		}
	})
	t.Run("static credential", func(t *testing.T) {
		a := prodArgs()
		a.Access[1].StaticCredential = true
		m, _, err := run(t, "prod", false, a)
		require.Error(t, err)
		for _, want := range []string{"Access[1]", "airbyte", "StaticCredential", "EKS Pod Identity serves every AWS client"} {
			assert.Contains(t, err.Error(), want)
		}
		assert.Empty(t, m.ByType(ObjectStoreType), "nothing is registered for invalid args")
		assert.Empty(t, m.ByType("aws:iam/accessKey:AccessKey"))
	})
	t.Run("region is not the provider's", func(t *testing.T) {
		a := prodArgs()
		a.Region, a.ReplicationRegion = "eu-west-1", "eu-central-1"
		m, _, err := run(t, "prod", false, a)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "Region")
		assert.Empty(t, m.ByType(bucketType))
	})
}
