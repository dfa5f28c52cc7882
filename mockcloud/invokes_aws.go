package mockcloud

import (
	"fmt"
	"strings"

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
	case "aws:ec2/getInstanceType:getInstanceType":
		// DescribeInstanceTypes' memory for the general-purpose sizes (4 GiB per vCPU: medium 2 vCPU
		// 4 GiB, large 2 vCPU 8 GiB, xlarge 4 vCPU 16 GiB, 2xlarge 32 GiB); other types are unknown.
		it := str(args, "instanceType")
		mem := map[string]int{"medium": 4096, "large": 8192, "xlarge": 16384, "2xlarge": 32768}[it[strings.LastIndex(it, ".")+1:]]
		if mem == 0 {
			return nil, false
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": it, "instanceType": it, "memorySize": mem}), true
	}
	return answerAWSEdge(token, args, region)
}
