package mockcloud

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// answerAWS answers the aws invokes the components make.
func answerAWS(token string, args resource.PropertyMap, region string) (resource.PropertyMap, bool) {
	switch token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		names, ids := []any{}, []any{}
		for i, s := range []string{"a", "b", "c"} {
			names = append(names, region+s)
			ids = append(ids, fmt.Sprintf("%s-az%d", shortRegion(region), i+1))
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": region, "names": names, "zoneIds": ids, "groupNames": []any{region}}), true
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": AWSAccountID, "accountId": AWSAccountID, "userId": "AIDAMOCKUSER",
			"arn": "arn:aws:iam::" + AWSAccountID + ":user/ci",
		}), true
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"id": region, "name": region, "endpoint": "ec2." + region + ".amazonaws.com"}), true
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}), true
	case "aws:eks/getAddonVersion:getAddonVersion":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": str(args, "addonName"), "addonName": str(args, "addonName"), "kubernetesVersion": str(args, "kubernetesVersion"),
			"version": "v1.0.0-eksbuild.1",
		}), true
	}
	return answerAWSEdge(token, args, region)
}
