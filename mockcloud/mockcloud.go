// Package mockcloud runs Pulumi programs against an in-process mock engine that records every resource
// the program registers — inputs, parent, dependencies, protect, provider — and answers with realistic,
// deterministic outputs (IDs, ARNs, endpoints, zones) and invoke results.
//
// The tests and the offline planner (cmd/dataplatform plan) share it, so what the tests assert is what
// the plan prints and exports. In preview mode it behaves like the engine during `pulumi preview`: new
// resources have unknown IDs and unknown computed outputs, so ApplyT callbacks on them do not run.
package mockcloud

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Resource is one registered resource, as the engine would hold it in state.
type Resource struct {
	URN    string
	Type   string
	Name   string
	Custom bool
	// ID is the physical ID; empty for components, and for custom resources in preview.
	ID      string
	Inputs  resource.PropertyMap
	Outputs resource.PropertyMap
	// Parent is the parent's URN; empty only for the root stack.
	Parent string
	// Dependencies are the URNs this resource explicitly or implicitly depends on.
	Dependencies []string
	// PropertyDependencies maps an input property to the URNs its value came from.
	PropertyDependencies map[string][]string
	Protect              bool
	RetainOnDelete       bool
	DeleteBeforeReplace  bool
	IgnoreChanges        []string
	// ReplaceOnChanges are the property paths whose change replaces the resource.
	ReplaceOnChanges []string
	// Provider is the provider reference "<provider URN>::<provider ID>", empty for components and
	// for resources that use a default provider.
	Provider string
	// AdditionalSecretOutputs are output names the program asked to keep secret.
	AdditionalSecretOutputs []string
	// CreateTimeout and UpdateTimeout are the resource's customTimeouts ("30m"), empty when unset.
	CreateTimeout, UpdateTimeout string
	// order is the registration sequence number, a tie-breaker for deterministic sorting.
	order int
}

// Invoke is one recorded function call.
type Invoke struct {
	Token string
	Args  resource.PropertyMap
}

// Mocks is a pulumi.MockResourceMonitor that records what the program does. Use one per run.
type Mocks struct {
	project, stack string
	preview        bool
	// account, when set, is the AWS account ID and Azure subscription ID the identity invokes answer
	// with, so a test can deploy one stack into two accounts.
	account string
	missing map[string]bool

	mu        sync.Mutex
	resources []*Resource
	byURN     map[string]*Resource
	invokes   []Invoke
}

// New returns a recorder for a program of the given project and stack. With preview set, it answers
// like `pulumi preview` does for resources being created.
func New(project, stack string, preview bool) *Mocks {
	return &Mocks{project: project, stack: stack, preview: preview, byURN: map[string]*Resource{}}
}

// InAccount makes the identity invokes (aws getCallerIdentity, azure-native getClientConfig) answer
// with this AWS account ID or Azure subscription ID instead of the harness's defaults.
func (m *Mocks) InAccount(account string) *Mocks { m.account = account; return m }

// Without makes lookups of these names answer as a fresh account, subscription or project does: not
// found (an Azure resource group or Network Watcher, by name).
func (m *Mocks) Without(names ...string) *Mocks {
	if m.missing == nil {
		m.missing = map[string]bool{}
	}
	for _, n := range names {
		m.missing[n] = true
	}
	return m
}

// Run runs a program under these mocks with the given raw config (namespaced key → value, objects as
// JSON, as the engine passes them). It returns the program's error.
func (m *Mocks) Run(program pulumi.RunFunc, config map[string]string) error {
	if config == nil {
		config = map[string]string{}
	}
	root := &Resource{
		URN:    string(resource.NewURN(tokensQName(m.stack), tokensPackage(m.project), "", resource.RootStackType, m.project+"-"+m.stack)),
		Type:   string(resource.RootStackType),
		Name:   m.project + "-" + m.stack,
		Inputs: resource.PropertyMap{}, Outputs: resource.PropertyMap{},
	}
	m.mu.Lock()
	m.resources, m.byURN, m.invokes = []*Resource{root}, map[string]*Resource{root.URN: root}, nil
	m.mu.Unlock()

	return pulumi.RunErr(func(ctx *pulumi.Context) error {
		return program(ctx)
	}, pulumi.WithMocks(m.project, m.stack, m), func(info *pulumi.RunInfo) {
		info.Config = config
		info.DryRun = m.preview
	})
}

// Preview reports whether the mocks answer like a preview.
func (m *Mocks) Preview() bool { return m.preview }

// Project returns the project name.
func (m *Mocks) Project() string { return m.project }

// Stack returns the stack name.
func (m *Mocks) Stack() string { return m.stack }

// NewResource implements pulumi.MockResourceMonitor.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	req := args.RegisterRPC
	r := &Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: args.Inputs.Copy(),
	}
	if req != nil {
		// The mock monitor drops unknown inputs; the engine hands them to policies as unknowns, so
		// decode the request again and keep them.
		if inputs, err := plugin.UnmarshalProperties(req.GetObject(), plugin.MarshalOptions{
			KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true,
		}); err == nil {
			r.Inputs = inputs
		}
		r.Parent = req.GetParent()
		r.Dependencies = append([]string(nil), req.GetDependencies()...)
		r.PropertyDependencies = map[string][]string{}
		for k, deps := range req.GetPropertyDependencies() {
			r.PropertyDependencies[k] = append([]string(nil), deps.GetUrns()...)
		}
		r.Protect = req.GetProtect()
		r.RetainOnDelete = req.GetRetainOnDelete()
		r.DeleteBeforeReplace = req.GetDeleteBeforeReplace()
		r.IgnoreChanges = append([]string(nil), req.GetIgnoreChanges()...)
		r.ReplaceOnChanges = append([]string(nil), req.GetReplaceOnChanges()...)
		r.AdditionalSecretOutputs = append([]string(nil), req.GetAdditionalSecretOutputs()...)
		r.Provider = req.GetProvider()
		if t := req.GetCustomTimeouts(); t != nil {
			r.CreateTimeout, r.UpdateTimeout = t.GetCreate(), t.GetUpdate()
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	r.URN = m.urn(r.Parent, r.Type, r.Name)
	if r.Parent == "" {
		r.Parent = m.resources[0].URN
	}
	if _, dup := m.byURN[r.URN]; dup {
		return "", nil, fmt.Errorf("mockcloud: duplicate resource URN %s", r.URN)
	}
	r.order = len(m.resources)

	if r.Custom || isProvider(r.Type) {
		if !m.preview || args.ID != "" {
			r.ID = physicalID(r, m.regionOf(r))
		}
		r.Outputs = outputsFor(r, m.regionOf(r), m.preview)
	} else {
		r.Outputs = resource.PropertyMap{}
	}
	m.resources = append(m.resources, r)
	m.byURN[r.URN] = r
	return r.ID, r.Outputs, nil
}

// Call implements pulumi.MockResourceMonitor for invokes.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.invokes = append(m.invokes, Invoke{Token: args.Token, Args: args.Args.Copy()})
	region := ""
	if p := m.providerByRef(args.Provider); p != nil {
		region = providerRegion(p)
	}
	account := m.account
	missing := m.missing
	m.mu.Unlock()
	switch unversionedAzureToken(args.Token) {
	case "azure-native:network:getNetworkWatcher":
		if n := str(args.Args, "networkWatcherName"); missing[n] || missing[str(args.Args, "resourceGroupName")] {
			return nil, fmt.Errorf("Code=\"ResourceNotFound\" Message=\"The Resource 'Microsoft.Network/networkWatchers/%s' was not found.\"", n)
		}
	case "azure-native:resources:getResourceGroup":
		if n := str(args.Args, "resourceGroupName"); missing[n] {
			return nil, fmt.Errorf("Code=\"ResourceGroupNotFound\" Message=\"Resource group '%s' could not be found.\"", n)
		}
	}
	out, err := answerInvoke(args.Token, args.Args, region)
	if err == nil && account != "" {
		switch unversionedAzureToken(args.Token) {
		case "aws:index/getCallerIdentity:getCallerIdentity":
			out["accountId"], out["id"] = resource.NewStringProperty(account), resource.NewStringProperty(account)
		case "azure-native:authorization:getClientConfig":
			out["subscriptionId"] = resource.NewStringProperty(account)
		}
	}
	return out, err
}

func (m *Mocks) urn(parent, typ, name string) string {
	parentType := ""
	if parent != "" {
		if pu := resource.URN(parent); pu.QualifiedType() != resource.RootStackType {
			parentType = string(pu.QualifiedType())
		}
	}
	return string(resource.NewURN(tokensQName(m.stack), tokensPackage(m.project), tokensType(parentType), tokensType(typ), name))
}

// regionOf finds the region of a resource from its explicit provider, or from its own inputs.
func (m *Mocks) regionOf(r *Resource) string {
	if isProvider(r.Type) {
		return providerRegion(r)
	}
	if p := m.providerByRef(r.Provider); p != nil {
		if region := providerRegion(p); region != "" {
			return region
		}
	}
	for _, k := range []string{"region", "location"} {
		if v, ok := r.Inputs[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
	}
	return ""
}

func (m *Mocks) providerByRef(ref string) *Resource {
	if i := strings.LastIndex(ref, "::"); i > 0 {
		return m.byURN[ref[:i]]
	}
	return nil
}

// Resources returns every recorded resource, the root stack first, each after its parent and its
// dependencies, siblings in registration order.
func (m *Mocks) Resources() []*Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return topoSort(m.resources, m.byURN)
}

// Invokes returns the recorded invokes in call order.
func (m *Mocks) Invokes() []Invoke {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Invoke(nil), m.invokes...)
}

// ByType returns the resources of one type token, in the order of Resources.
func (m *Mocks) ByType(typ string) []*Resource {
	var out []*Resource
	for _, r := range m.Resources() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Named returns the resource with this type and logical name, or nil.
func (m *Mocks) Named(typ, name string) *Resource {
	for _, r := range m.ByType(typ) {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// ByURN returns the resource with this URN, or nil.
func (m *Mocks) ByURN(urn string) *Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byURN[urn]
}

// Children returns the direct children of a resource, in the order of Resources.
func (m *Mocks) Children(urn string) []*Resource {
	var out []*Resource
	for _, r := range m.Resources() {
		if r.Parent == urn {
			out = append(out, r)
		}
	}
	return out
}

// DependsOn reports whether a depends on b directly or through any chain of dependencies, property
// dependencies or parents.
func (m *Mocks) DependsOn(a, b *Resource) bool {
	seen := map[string]bool{}
	var walk func(urn string) bool
	walk = func(urn string) bool {
		if seen[urn] {
			return false
		}
		seen[urn] = true
		r := m.ByURN(urn)
		if r == nil {
			return false
		}
		for _, d := range r.allDependencies() {
			if d == b.URN || walk(d) {
				return true
			}
		}
		return false
	}
	return walk(a.URN)
}

// allDependencies returns explicit and property dependencies, de-duplicated and sorted.
func (r *Resource) allDependencies() []string {
	set := map[string]bool{}
	for _, d := range r.Dependencies {
		set[d] = true
	}
	for _, ds := range r.PropertyDependencies {
		for _, d := range ds {
			set[d] = true
		}
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// AllDependencies returns the URNs this resource depends on, explicit and through its inputs.
func (r *Resource) AllDependencies() []string { return r.allDependencies() }

// topoSort orders resources so parents, providers and dependencies come first; ties keep registration
// order, which the mock engine serialises.
func topoSort(rs []*Resource, byURN map[string]*Resource) []*Resource {
	sorted := append([]*Resource(nil), rs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].order < sorted[j].order })
	var out []*Resource
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(r *Resource)
	visit = func(r *Resource) {
		if state[r.URN] != 0 {
			return
		}
		state[r.URN] = 1
		before := []string{r.Parent}
		if i := strings.LastIndex(r.Provider, "::"); i > 0 {
			before = append(before, r.Provider[:i])
		}
		before = append(before, r.allDependencies()...)
		for _, u := range before {
			if d, ok := byURN[u]; ok && state[u] == 0 {
				visit(d)
			}
		}
		state[r.URN] = 2
		out = append(out, r)
	}
	for _, r := range sorted {
		visit(r)
	}
	return out
}
