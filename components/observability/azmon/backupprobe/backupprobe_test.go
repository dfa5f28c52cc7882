package backupprobe

import (
	"os"
	"regexp"
	"strings"
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opendataplatform/dataplatform/components/observability"
	"github.com/opendataplatform/dataplatform/components/observability/probe"
	"github.com/opendataplatform/dataplatform/mockcloud"
	"github.com/opendataplatform/dataplatform/mockcloud/inspect"
)

const (
	issuer   = "https://swedencentral.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/"
	identity = "azure-native:managedidentity:UserAssignedIdentity"
	fedType  = "azure-native:managedidentity:FederatedIdentityCredential"
	raType   = "azure-native:authorization:RoleAssignment"
)

func testArgs() *Args {
	return &Args{
		ServerID: pulumi.String(serverID), ResourceGroupName: pulumi.String("TestGroup"), Location: "swedencentral",
		Tags: map[string]string{"environment": "dev"}, IdentityName: "dataplatform-dev-pg-backup-probe",
		OIDCIssuerURL: pulumi.String(issuer), Namespace: pulumi.String("dataplatform-apps"), NamespaceName: "dataplatform-apps",
	}
}

func runNew(preview bool, a *Args) (*mockcloud.Mocks, error) {
	m := mockcloud.New("dataplatform", "dev", preview)
	err := m.Run(func(ctx *pulumi.Context) error {
		az, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String("swedencentral")})
		if err != nil {
			return err
		}
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = New(ctx, "pg-backup-probe", a, pulumi.Providers(az, k8s))
		return err
	}, nil)
	return m, err
}

// TestIdentity: a managed identity federated with exactly the probe's ServiceAccount on the cluster's
// issuer, holding Reader on the server and nothing else.
func TestIdentity(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := runNew(preview, testArgs())
		inspect.RequireRan(t, preview, err)
		id := inspect.One(t, m, identity)
		assert.Equal(t, "dataplatform-dev-pg-backup-probe", inspect.Str(id.Inputs, "resourceName"))
		assert.Equal(t, "TestGroup", inspect.Str(id.Inputs, "resourceGroupName"))

		fic := inspect.One(t, m, fedType)
		assert.Equal(t, issuer, inspect.Str(fic.Inputs, "issuer"))
		assert.Equal(t, "system:serviceaccount:dataplatform-apps:pg-backup-probe", inspect.Str(fic.Inputs, "subject"))
		assert.Equal(t, []string{"api://AzureADTokenExchange"}, inspect.Strs(fic.Inputs, "audiences"))
		assert.True(t, inspect.DependsOnInput(fic, "resourceName", id), "the credential belongs to the probe's identity")

		ras := m.ByType(raType)
		require.Len(t, ras, 1, "one grant: Reader on the server")
		ra := ras[0]
		assert.Equal(t, serverID, inspect.Str(ra.Inputs, "scope"))
		assert.Equal(t, "/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
			inspect.Str(ra.Inputs, "roleDefinitionId"))
		assert.Equal(t, "ServicePrincipal", inspect.Str(ra.Inputs, "principalType"))
		assert.True(t, inspect.DependsOnInput(ra, "principalId", id))
		assert.Empty(t, inspect.Protected(m), "nothing here holds state")
	})
}

// TestWorkload: the ServiceAccount carries the identity's client ID, the pods the webhook's label;
// the Deployment runs the embedded script with the server's ID, waits for the federation and the
// grant, and its egress is DNS and 443 without the node metadata endpoint.
func TestWorkload(t *testing.T) {
	inspect.Modes(t, func(t *testing.T, preview bool) {
		m, err := runNew(preview, testArgs())
		inspect.RequireRan(t, preview, err)
		id := inspect.One(t, m, identity)
		sa := inspect.One(t, m, "kubernetes:core/v1:ServiceAccount")
		assert.Equal(t, ServiceAccount, inspect.Str(sa.Inputs, "metadata", "name"))
		assert.True(t, inspect.DependsOnInput(sa, "metadata", id), "the client-id annotation is the identity's")
		if !preview {
			assert.Regexp(t, `^[0-9a-f-]{36}$`, inspect.Str(sa.Inputs, "metadata", "annotations", ClientIDAnnotation))
		}
		assert.Equal(t, false, inspect.RequireBool(t, sa.Inputs, "automountServiceAccountToken"))

		cm := inspect.One(t, m, "kubernetes:core/v1:ConfigMap")
		assert.Equal(t, Script, inspect.Str(cm.Inputs, "data", ScriptFile))

		dep := inspect.One(t, m, "kubernetes:apps/v1:Deployment")
		pod := inspect.RequireObj(t, dep.Inputs, "spec", "template")
		assert.Equal(t, "true", inspect.Str(pod, "metadata", "labels", UseLabel))
		assert.Equal(t, Name, inspect.Str(pod, "metadata", "labels", "app.kubernetes.io/name"))
		assert.Equal(t, ServiceAccount, inspect.Str(pod, "spec", "serviceAccountName"))
		assert.True(t, inspect.DependsOnInput(dep, "spec", id), "a new identity rolls the pods (the probe package hashes the ServiceAccount's annotations into the template)")
		c := inspect.Obj(inspect.At(pod, "spec", "containers", 0))
		assert.Equal(t, probe.Image, inspect.Str(c, "image"))
		assert.Equal(t, []string{"python3", "-B", "-u", probe.ScriptDir + "/" + ScriptFile}, inspect.Strs(c, "command"))
		env := map[string]string{}
		for _, e := range inspect.Arr(inspect.At(c, "env")) {
			env[inspect.Str(inspect.Obj(e), "name")] = inspect.Str(inspect.Obj(e), "value")
		}
		assert.Equal(t, serverID, env["PROBE_SERVER_ID"])
		assert.Equal(t, "9110", env["PROBE_PORT"])
		assert.Equal(t, APIVersion, env["PROBE_API_VERSION"])
		assert.NotContains(t, env, "ARM_ENDPOINT", "the public cloud is the script's default")
		for _, k := range []string{"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST"} {
			assert.NotContains(t, env, k, "the webhook injects %s only when the container does not set it", k)
		}
		assert.Equal(t, "metrics", inspect.Str(c, "ports", 0, "name"))
		assert.Equal(t, float64(Port), inspect.Num(c, "ports", 0, "containerPort"))
		assert.NotEmpty(t, inspect.Str(c, "resources", "limits", "memory"))
		ro, _ := inspect.Bool(c, "securityContext", "readOnlyRootFilesystem")
		assert.True(t, ro)
		assert.Equal(t, SingletonReason, inspect.Str(dep.Inputs, "metadata", "annotations", probe.SingletonAnnotation))
		for _, typ := range []string{fedType, raType} {
			assert.Contains(t, dep.Dependencies, inspect.One(t, m, typ).URN, "the pod starts after the %s", typ)
		}

		np := inspect.One(t, m, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
		assert.Equal(t, []string{"Ingress", "Egress"}, inspect.Strs(np.Inputs, "spec", "policyTypes"))
		assert.Equal(t, 0, inspect.Len(np.Inputs, "spec", "ingress"), "no ingress of its own: the renderer admits Prometheus")
		rules := inspect.Arr(inspect.At(np.Inputs, "spec", "egress"))
		require.Len(t, rules, 2)
		https := inspect.Obj(rules[1])
		assert.Equal(t, "0.0.0.0/0", inspect.Str(https, "to", 0, "ipBlock", "cidr"))
		assert.Equal(t, []string{MetadataEndpoint}, inspect.Strs(https, "to", 0, "ipBlock", "except"))
		assert.Equal(t, float64(443), inspect.Num(https, "ports", 0, "port"))
		assert.Equal(t, 1, inspect.Len(https, "ports"))
	})
}

func TestSovereignCloud(t *testing.T) {
	a := testArgs()
	a.ARMEndpoint = "https://management.usgovcloudapi.net"
	m, err := runNew(false, a)
	require.NoError(t, err)
	c := inspect.Obj(inspect.At(inspect.One(t, m, "kubernetes:apps/v1:Deployment").Inputs, "spec", "template", "spec", "containers", 0))
	found := false
	for _, e := range inspect.Arr(inspect.At(c, "env")) {
		if inspect.Str(inspect.Obj(e), "name") == "ARM_ENDPOINT" {
			found = true
			assert.Equal(t, a.ARMEndpoint, inspect.Str(inspect.Obj(e), "value"))
		}
	}
	assert.True(t, found, "ARM_ENDPOINT set")
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name, want string
		edit       func(*Args)
	}{
		{"namespace", "NamespaceName", func(a *Args) { a.NamespaceName = "Apps" }},
		{"identity", "IdentityName", func(a *Args) { a.IdentityName = "x" }},
		{"server", "ServerID", func(a *Args) { a.ServerID = nil }},
		{"issuer", "OIDCIssuerURL", func(a *Args) { a.OIDCIssuerURL = nil }},
		{"arm", "ARMEndpoint", func(a *Args) { a.ARMEndpoint = "http://management.azure.com" }},
		{"arm path", "ARMEndpoint", func(a *Args) { a.ARMEndpoint = "https://management.azure.com/x" }},
		{"image", "Image", func(a *Args) { a.Image = "python:latest" }},
		{"location", "Location", func(a *Args) { a.Location = "" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := testArgs()
			c.edit(a)
			m, err := runNew(false, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, m.ByType(Type), "nothing registered before the error")
			assert.Empty(t, m.ByType(identity))
		})
	}
}

// TestRules: both rules validate in a Spec with the probe's target, name only series the target
// declares, point into the azure runbook at sections that exist, and keep the thresholds.
func TestRules(t *testing.T) {
	rules := Rules()
	spec := observability.Spec{Targets: []observability.ScrapeTarget{Target("dataplatform-apps")}, Rules: rules}
	require.NoError(t, spec.Validate())
	declared := map[string]bool{}
	for _, m := range Target("x").Metrics {
		declared[m.Name] = true
	}
	series := regexp.MustCompile(`\b(azure_pg_flexible_[a-z_]+)`)
	doc, err := os.ReadFile("../../../../" + RunbookDoc)
	require.NoError(t, err)
	byName := map[string]observability.AlertRule{}
	for _, r := range rules {
		byName[r.Name] = r
		for _, s := range series.FindAllString(r.Expr, -1) {
			assert.True(t, declared[s], "%s names %s, which the target does not declare", r.Name, s)
		}
		assert.Equal(t, RunbookDoc+"#"+r.Runbook, r.RunbookURL())
		assert.Regexp(t, `(?m)^<a id="`+regexp.QuoteMeta(r.Runbook)+`"></a>\n## `+"`"+r.Name+"`", string(doc), "section of %s", r.Name)
		assert.Contains(t, r.Expr, Job, "%s is scoped to the probe's job", r.Name)
	}
	missing, down := byName["PostgresBackupMissing"], byName["PostgresBackupProbeDown"]
	assert.Equal(t, observability.Critical, missing.Severity)
	assert.Contains(t, missing.Expr, "time() - max("+LastBackup)
	assert.Contains(t, missing.Expr, "> 93600", "26 h")
	assert.Contains(t, missing.Expr, `(max(`+ServerCreated+`{`+Job+`}) or max(`+ProbeStart+`{`+Job+`})) < time() - 93600`, "no page on a server younger than 26 h")
	assert.Contains(t, missing.Expr, `backup_type="Full"}) == 0`)
	assert.Equal(t, observability.Warning, down.Severity)
	assert.GreaterOrEqual(t, down.For.Minutes(), 30.0, "long enough for the federation and grant to propagate")
	assert.True(t, strings.Contains(down.Expr, "absent("+ScrapeSuccess) && strings.Contains(down.Expr, ScrapeSuccess+"{"+Job+"}) == 0"))
}
