package mockcloud

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// awsOutputs fills the computed properties of AWS resources.
func awsOutputs(r *Resource, region, mod, typ string, set func(string, any)) {
	id := physicalID(r, region)
	arnService := map[string]string{"cloudwatch": "logs", "s3": "s3"}[mod]
	if arnService == "" {
		arnService = mod
	}
	switch {
	case mod == "iam":
		kind := map[string]string{"Role": "role", "Policy": "policy", "OpenIdConnectProvider": "oidc-provider", "InstanceProfile": "instance-profile"}[typ]
		if kind == "" {
			kind = lowerFirst(typ)
		}
		name := nameOf(r)
		if typ == "OpenIdConnectProvider" {
			name = strings.TrimPrefix(str(r.Inputs, "url"), "https://")
		}
		set("arn", fmt.Sprintf("arn:aws:iam::%s:%s/%s", AWSAccountID, kind, name))
		set("name", nameOf(r))
		set("uniqueId", "AROA"+strings.ToUpper(digest(r, 17)))
	case mod == "s3":
		set("bucket", id)
		set("arn", "arn:aws:s3:::"+id)
		set("bucketDomainName", id+".s3.amazonaws.com")
		set("bucketRegionalDomainName", fmt.Sprintf("%s.s3.%s.amazonaws.com", id, region))
		set("region", region)
	case mod == "kms":
		set("keyId", id)
		set("arn", fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, AWSAccountID, id))
		set("targetKeyArn", fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, AWSAccountID, id))
	case mod == "eks" && typ == "Cluster":
		hexID := strings.ToUpper(digest(r, 32))
		set("arn", fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", region, AWSAccountID, id))
		set("endpoint", fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", hexID, region))
		set("certificateAuthority", map[string]any{"data": base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMOCK" + hexID + "\n-----END CERTIFICATE-----\n"))})
		set("identities", []any{map[string]any{"oidcs": []any{map[string]any{"issuer": fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%s", region, hexID)}}}})
		set("status", "ACTIVE")
		set("platformVersion", "eks.1")
		if vc, ok := r.Inputs["vpcConfig"]; ok && vc.IsObject() {
			// vpcConfig is an input, so set() cannot add the computed fields to it. The outputs share
			// this nested map with the recorded inputs (shallow copies): give the inputs their own
			// copy, then complete the one the outputs hold.
			shared := vc.ObjectValue()
			r.Inputs["vpcConfig"] = resource.NewObjectProperty(shared.Copy())
			shared["clusterSecurityGroupId"] = resource.NewPropertyValue("sg-0" + digest(r, 16))
			shared["vpcId"] = resource.NewPropertyValue("vpc-0" + digest(r, 16))
		}
	case mod == "rds" && (typ == "Instance" || typ == "Cluster"):
		host := fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com", id, digest(r, 12), region)
		set("address", host)
		set("endpoint", host+":5432")
		set("port", 5432)
		set("resourceId", "db-"+strings.ToUpper(digest(r, 26)))
		set("arn", fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", region, AWSAccountID, id))
		set("masterUserSecrets", []any{map[string]any{
			"secretArn":    fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:rds!db-%s", region, AWSAccountID, uuidOf(r)),
			"secretStatus": "active", "kmsKeyId": fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, AWSAccountID, uuidOf(r)),
		}})
	case mod == "ecr" && typ == "Repository":
		set("arn", fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", region, AWSAccountID, id))
		set("repositoryUrl", fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", AWSAccountID, region, id))
		set("registryId", AWSAccountID)
	case mod == "cloudwatch":
		set("arn", fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, AWSAccountID, id))
	case mod == "secretsmanager":
		set("arn", fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", region, AWSAccountID, id, digest(r, 6)))
	default:
		set("arn", fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", arnService, region, AWSAccountID, lowerFirst(typ), id))
	}
	if mod == "ec2" && typ == "Vpc" {
		set("defaultSecurityGroupId", "sg-0"+digest(r, 16))
		set("mainRouteTableId", "rtb-0"+digest(r, 16))
	}
	if mod == "ec2" && typ == "Eip" {
		set("publicIp", fmt.Sprintf("13.48.%d.%d", r.order%250+1, len(r.Name)%250+1))
	}
	if mod == "rds" && typ == "SubnetGroup" {
		set("name", strings.ToLower(nameOf(r))) // auto-named, and RDS stores the name in lowercase
	}
	if mod == "ec2" && typ == "LaunchTemplate" {
		set("latestVersion", 1) // a new template's first version
		set("defaultVersion", 1)
	}
	if mod == "eks" && typ == "PodIdentityAssociation" {
		assocID := "a-" + digest(r, 17)
		set("associationId", assocID)
		set("associationArn", fmt.Sprintf("arn:aws:eks:%s:%s:podidentityassociation/%s/%s", region, AWSAccountID, str(r.Inputs, "clusterName"), assocID))
	}
	if mod == "ec2" && typ == "SecurityGroup" {
		set("name", nameOf(r))
	}
	if mod == "eks" && typ != "Cluster" {
		set("status", "ACTIVE")
	}
	if mod == "ec2" {
		set("ownerId", AWSAccountID)
	}
	if mod == "amp" && typ == "Workspace" {
		// pulumi-aws@v6.83.4 sdk/go/aws/amp/workspace.go PrometheusEndpoint: the workspace's query
		// and remote-write base, https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/.
		set("prometheusEndpoint", fmt.Sprintf("https://aps-workspaces.%s.amazonaws.com/workspaces/%s/", region, id))
	}
	awsEdgeOutputs(r, mod, typ, set)
}
