package mockcloud

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// The fake account every cloud answers with. They are obviously not real, and stable across runs.
const (
	AWSAccountID        = "123456789012"
	AzureSubscriptionID = "00000000-0000-4000-8000-000000000001"
	AzureTenantID       = "00000000-0000-4000-8000-000000000002"
	GCPProjectNumber    = "123456789012"
)

func tokensQName(s string) tokens.QName         { return tokens.QName(s) }
func tokensPackage(s string) tokens.PackageName { return tokens.PackageName(s) }
func tokensType(s string) tokens.Type           { return tokens.Type(s) }

func isProvider(typ string) bool { return strings.HasPrefix(typ, "pulumi:providers:") }

// digest is a stable hex digest of a resource's URN, the seed of every generated value.
func digest(r *Resource, n int) string {
	sum := sha256.Sum256([]byte(r.URN))
	return hex.EncodeToString(sum[:])[:n]
}

func uuidOf(r *Resource) string {
	d := digest(r, 32)
	return d[0:8] + "-" + d[8:12] + "-4" + d[13:16] + "-8" + d[17:20] + "-" + d[20:32]
}

// providerRegion reads the region a provider instance is configured for.
func providerRegion(p *Resource) string {
	for _, k := range []string{"region", "location"} {
		if v, ok := p.Inputs[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
	}
	return ""
}

// pkgModType splits "aws:ec2/vpc:Vpc" into ("aws", "ec2", "Vpc").
func pkgModType(typ string) (pkg, mod, name string) {
	parts := strings.Split(typ, ":")
	if len(parts) != 3 {
		return typ, "", ""
	}
	mod = parts[1]
	if i := strings.Index(mod, "/"); i >= 0 {
		mod = mod[:i]
	}
	return parts[0], mod, parts[2]
}

func str(m resource.PropertyMap, key string) string {
	if v, ok := m[resource.PropertyKey(key)]; ok {
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if v.IsString() {
			return v.StringValue()
		}
	}
	return ""
}

// nameOf is the physical name: the explicit name input when set, else Pulumi-style auto-naming.
func nameOf(r *Resource, keys ...string) string {
	for _, k := range append(keys, "name") {
		if s := str(r.Inputs, k); s != "" {
			return s
		}
	}
	if meta, ok := r.Inputs["metadata"]; ok && meta.IsObject() {
		if s := str(meta.ObjectValue(), "name"); s != "" {
			return s
		}
	}
	return r.Name + "-" + digest(r, 7)
}

// awsIDPrefix gives EC2-style IDs their real prefixes.
var awsIDPrefix = map[string]string{
	"Vpc": "vpc", "Subnet": "subnet", "InternetGateway": "igw", "NatGateway": "nat", "Eip": "eipalloc",
	"RouteTable": "rtb", "SecurityGroup": "sg", "VpcEndpoint": "vpce", "FlowLog": "fl", "NetworkAcl": "acl",
	"LaunchTemplate": "lt", "SecurityGroupIngressRule": "sgr", "SecurityGroupEgressRule": "sgr",
	"RouteTableAssociation": "rtbassoc", "Route": "r", "DefaultSecurityGroup": "sg",
}

// physicalID returns the ID the cloud would assign.
func physicalID(r *Resource, region string) string {
	if isProvider(r.Type) {
		return uuidOf(r)
	}
	pkg, mod, typ := pkgModType(r.Type)
	switch pkg {
	case "aws":
		if p, ok := awsIDPrefix[typ]; ok && mod == "ec2" {
			return p + "-0" + digest(r, 16)
		}
		switch mod {
		case "kms":
			return uuidOf(r)
		case "s3":
			if b := str(r.Inputs, "bucket"); b != "" {
				return b
			}
		}
		return nameOf(r)
	case "azure-native":
		return azureID(r)
	case "gcp":
		project := str(r.Inputs, "project")
		if project == "" {
			project = "project"
		}
		return fmt.Sprintf("projects/%s/%s/%s", project, mod, nameOf(r, "accountId", "secretId", "repositoryId"))
	case "kubernetes":
		meta := r.Inputs["metadata"]
		name := nameOf(r)
		if meta.IsObject() {
			if ns := str(meta.ObjectValue(), "namespace"); ns != "" {
				return ns + "/" + name
			}
		}
		return name
	case "random":
		return digest(r, 16)
	}
	return nameOf(r)
}

// azureNamespace maps an azure-native module to its resource provider namespace.
var azureNamespace = map[string]string{
	"network": "Microsoft.Network", "containerservice": "Microsoft.ContainerService",
	"managedidentity": "Microsoft.ManagedIdentity", "dbforpostgresql": "Microsoft.DBforPostgreSQL",
	"storage": "Microsoft.Storage", "keyvault": "Microsoft.KeyVault",
	"operationalinsights": "Microsoft.OperationalInsights", "insights": "Microsoft.Insights",
	"containerregistry": "Microsoft.ContainerRegistry", "authorization": "Microsoft.Authorization",
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// azureName finds the "<type>Name" input azure-native uses for a resource's own name.
func azureName(r *Resource, typ string) string {
	if s := explicitAzureName(r, typ); s != "" {
		return s
	}
	return r.Name + digest(r, 6)
}

// explicitAzureName is the name an Azure resource's inputs give it ("accountName" for a
// StorageAccount), or "" when the provider would generate one.
func explicitAzureName(r *Resource, typ string) string {
	if s := str(r.Inputs, lowerFirst(typ)+"Name"); s != "" {
		return s
	}
	for k, v := range r.Inputs {
		ks := string(k)
		if strings.HasSuffix(ks, "Name") && ks != "resourceGroupName" && v.IsString() &&
			strings.Contains(strings.ToLower(typ), strings.ToLower(strings.TrimSuffix(ks, "Name"))) {
			return v.StringValue()
		}
	}
	return ""
}

func azureID(r *Resource) string {
	_, mod, typ := pkgModType(r.Type)
	sub := "/subscriptions/" + AzureSubscriptionID
	if typ == "ResourceGroup" {
		return sub + "/resourceGroups/" + azureName(r, typ)
	}
	rg := str(r.Inputs, "resourceGroupName")
	if rg == "" {
		rg = "rg"
	}
	ns := azureNamespace[mod]
	if ns == "" {
		ns = "Microsoft." + mod
	}
	return fmt.Sprintf("%s/resourceGroups/%s/providers/%s/%ss/%s", sub, rg, ns, lowerFirst(typ), azureName(r, typ))
}

// outputsFor returns the state the provider would report: the inputs plus the computed properties.
// In preview, only the inputs, as the engine reports for a create.
func outputsFor(r *Resource, region string, preview bool) resource.PropertyMap {
	out := r.Inputs.Copy()
	if preview {
		// A departure from the engine, which reports new passwords and keys as unknown: the SDK's
		// mock monitor cannot carry a secret whose value is unknown into the next resource's inputs.
		switch {
		case strings.HasPrefix(r.Type, "random:"):
			out["result"] = resource.MakeSecret(resource.NewStringProperty("generated-" + digest(r, 24)))
		case strings.HasPrefix(r.Type, "tls:"):
			// Real PEM, so a consumer that parses it (a trust store built from the CA) runs in
			// preview as it does in an update.
			_, _, typ := pkgModType(r.Type)
			tlsOutputs(r, typ, out)
		case r.Type == "gcp:serviceaccount/key:Key":
			file := `{"type":"service_account","private_key":"MOCK-PREVIEW-` + digest(r, 24) + `"}`
			out["privateKey"] = resource.MakeSecret(resource.NewStringProperty(base64.StdEncoding.EncodeToString([]byte(file))))
		case strings.HasPrefix(r.Type, "azure-native:") && !isProvider(r.Type):
			// The name of an Azure resource is its name input; known here so that an invoke keyed on
			// it (listStorageAccountKeys on a new account) answers with a known secret too.
			_, _, typ := pkgModType(r.Type)
			if n := explicitAzureName(r, typ); n != "" {
				out["name"] = resource.NewStringProperty(n)
			}
		}
		return knownSecretsOnly(out)
	}
	set := func(k string, v any) {
		if _, has := out[resource.PropertyKey(k)]; !has {
			out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	pkg, mod, typ := pkgModType(r.Type)
	if isProvider(r.Type) {
		return out
	}
	switch pkg {
	case "aws":
		awsOutputs(r, region, mod, typ, set)
	case "azure-native":
		azureOutputs(r, region, typ, set)
	case "gcp":
		gcpOutputs(r, region, mod, typ, set)
	case "kubernetes":
		kubernetesOutputs(r, out)
	case "random":
		set("result", "generated-"+digest(r, 24))
	case "tls":
		tlsOutputs(r, typ, out)
	}
	return out
}

// kubernetesOutputs fills what the API server adds: UID, generation, a ClusterIP for Services.
func kubernetesOutputs(r *Resource, out resource.PropertyMap) {
	meta := resource.PropertyMap{}
	if m, ok := out["metadata"]; ok && m.IsObject() {
		meta = m.ObjectValue().Copy()
	}
	if _, ok := meta["name"]; !ok {
		meta["name"] = resource.NewPropertyValue(nameOf(r))
	}
	meta["uid"] = resource.NewPropertyValue(uuidOf(r))
	meta["generation"] = resource.NewPropertyValue(1)
	out["metadata"] = resource.NewObjectProperty(meta)
	if strings.HasSuffix(r.Type, ":Service") {
		if s, ok := out["spec"]; ok && s.IsObject() {
			spec := s.ObjectValue().Copy()
			if _, has := spec["clusterIP"]; !has {
				spec["clusterIP"] = resource.NewPropertyValue(fmt.Sprintf("172.20.%d.%d", r.order%250, len(r.Name)%250+1))
			}
			out["spec"] = resource.NewObjectProperty(spec)
		}
	}
}

// knownSecretsOnly turns secrets whose value is unknown into plain unknowns. The engine reports such an
// output as unknown in a preview; the mock monitor cannot marshal a secret without a value.
func knownSecretsOnly(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		out[k] = knownSecretValue(v)
	}
	return out
}

func knownSecretValue(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		inner := v.SecretValue().Element
		if inner.ContainsUnknowns() {
			return resource.MakeComputed(resource.NewStringProperty(""))
		}
		return v
	case v.IsObject():
		return resource.NewObjectProperty(knownSecretsOnly(v.ObjectValue()))
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = knownSecretValue(e)
		}
		return resource.NewArrayProperty(arr)
	}
	return v
}
