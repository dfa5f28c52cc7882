// Package analyzer serves the data platform's policies (package policies) over the CrossGuard
// analyzer protocol, pulumirpc.AnalyzerServer.
//
// It is written against the protocol rather than on sdk/go/pulumi/policyx because, with the
// Pulumi CLI v3.274.1, policyx crashes under `pulumi policy analyze --file` (GetPluginInfo and
// GetAnalyzerInfo come before ConfigureStack, or without it), panics on unknown values during
// preview and ignores the pack's enforcement level. This server answers every call at any time,
// reports unknown values as advisory "could not be evaluated yet" and keeps each policy's level.
package analyzer

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/opendataplatform/dataplatform/policy/policies"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	// PackName is the policy pack's name, as reports show it.
	PackName = "dataplatform-policies"
	// PackVersion is the policy pack's version.
	PackVersion = "0.1.0"
	// EnvironmentConfigKey is the stack config key that names the environment.
	EnvironmentConfigKey = "dataplatform:environment"
	// EnvironmentVariable overrides the environment wherever the pack runs (useful with
	// `pulumi policy analyze --file`, which configures no stack).
	EnvironmentVariable = "DATAPLATFORM_ENVIRONMENT"
)

// policyConfig is one policy's configuration as Configure delivered it.
type policyConfig struct {
	level policies.EnforcementLevel
	props map[string]any
}

// Server implements pulumirpc.AnalyzerServer over policies.
type Server struct {
	pulumirpc.UnimplementedAnalyzerServer

	mu sync.Mutex
	// env is the resolved environment; empty until ConfigureStack, the environment variable or
	// the first resource URN tells it.
	env string
	// configured holds Configure's per-policy config, re-applied when the environment is learnt.
	configured map[string]policyConfig
	// getenv reads the process environment (replaced in tests).
	getenv func(string) string
}

// New returns a server. Every method works from the start, before any ConfigureStack.
func New() *Server {
	return &Server{getenv: os.Getenv}
}

// Handshake implements pulumirpc.AnalyzerServer.
func (s *Server) Handshake(context.Context, *pulumirpc.AnalyzerHandshakeRequest) (*pulumirpc.AnalyzerHandshakeResponse, error) {
	return &pulumirpc.AnalyzerHandshakeResponse{}, nil
}

// GetPluginInfo implements pulumirpc.AnalyzerServer.
func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: PackVersion}, nil
}

// GetAnalyzerInfo implements pulumirpc.AnalyzerServer: every policy with its name, description,
// default enforcement level and config schema.
func (s *Server) GetAnalyzerInfo(context.Context, *emptypb.Empty) (*pulumirpc.AnalyzerInfo, error) {
	var infos []*pulumirpc.PolicyInfo
	for _, p := range policies.All() {
		info := &pulumirpc.PolicyInfo{
			Name:             p.Name,
			DisplayName:      p.Name,
			Description:      p.Description,
			EnforcementLevel: toRPCLevel(p.Level),
			PolicyType:       pulumirpc.PolicyType_POLICY_TYPE_RESOURCE,
		}
		if p.ValidateResource == nil {
			info.PolicyType = pulumirpc.PolicyType_POLICY_TYPE_STACK
		}
		if len(p.ConfigSchema) > 0 {
			m := map[string]any{}
			for k, v := range p.ConfigSchema {
				m[k] = v
			}
			props, err := structpb.NewStruct(m)
			if err != nil {
				return nil, fmt.Errorf("policy %s config schema: %w", p.Name, err)
			}
			info.ConfigSchema = &pulumirpc.PolicyConfigSchema{Properties: props}
		}
		infos = append(infos, info)
	}
	return &pulumirpc.AnalyzerInfo{
		Name:           PackName,
		DisplayName:    "Data platform policies",
		Description:    "TLS, resource limits, backups, encryption, private data stores, availability and deletion safety for the data platform.",
		Version:        PackVersion,
		Policies:       infos,
		SupportsConfig: true,
	}, nil
}

// ConfigureStack implements pulumirpc.AnalyzerServer: it learns the environment from the stack
// config key dataplatform:environment, else from the stack name if it is dev, staging or prod,
// else prod — the strict default.
func (s *Server) ConfigureStack(_ context.Context, req *pulumirpc.AnalyzerStackConfigureRequest) (*pulumirpc.AnalyzerStackConfigureResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	env := s.getenv(EnvironmentVariable)
	if env == "" {
		env = req.GetConfig()[EnvironmentConfigKey]
	}
	if env == "" && policies.IsEnvironment(req.GetStack()) {
		env = req.GetStack()
	}
	s.env = policies.NormalizeEnvironment(env)
	if _, err := s.configLocked(); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &pulumirpc.AnalyzerStackConfigureResponse{}, nil
}

// Configure implements pulumirpc.AnalyzerServer: the policy pack config (defaults from the
// schemas, then `--policy-pack-config` or the service's config). Thresholds below the hard
// floors are refused.
func (s *Server) Configure(_ context.Context, req *pulumirpc.ConfigureAnalyzerRequest) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	configured := map[string]policyConfig{}
	for name, pc := range req.GetPolicyConfig() {
		level, err := fromRPCLevel(pc.GetEnforcementLevel())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "policy %q: %v", name, err)
		}
		var props map[string]any
		if pc.GetProperties() != nil {
			props = pc.GetProperties().AsMap()
		}
		configured[name] = policyConfig{level: level, props: props}
	}
	old := s.configured
	s.configured = configured
	if _, err := s.configLocked(); err != nil {
		s.configured = old
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &emptypb.Empty{}, nil
}

// Config returns the configuration the policies run with now.
func (s *Server) Config() (policies.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.configLocked()
}

// configLocked builds the config for the environment known so far. While it is not known (no
// ConfigureStack yet) only the environment-independent floors are checked, with dev's defaults.
func (s *Server) configLocked() (policies.Config, error) {
	env := s.env
	if env == "" {
		env = policies.Dev
		if e := s.getenv(EnvironmentVariable); e != "" {
			env = policies.NormalizeEnvironment(e)
		}
	}
	cfg := policies.DefaultConfig(env)
	names := make([]string, 0, len(s.configured))
	for n := range s.configured {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		pc := s.configured[n]
		if _, known := policies.Lookup(n); !known {
			continue // config for a policy this version does not have: the engine warns already
		}
		var err error
		if cfg, err = cfg.ApplyPolicyConfig(n, pc.level, pc.props); err != nil {
			return cfg, fmt.Errorf("%s environment: %w", env, err)
		}
	}
	return cfg, nil
}

// learnEnvironment fixes the environment from a resource URN's stack when nothing else has:
// `pulumi policy analyze --file` never calls ConfigureStack.
func (s *Server) learnEnvironment(urn string) (policies.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.env == "" {
		env := s.getenv(EnvironmentVariable)
		if env == "" {
			if u, err := resource.ParseURN(urn); err == nil && policies.IsEnvironment(string(u.Stack())) {
				env = string(u.Stack())
			}
		}
		s.env = policies.NormalizeEnvironment(env)
	}
	return s.configLocked()
}

// Analyze implements pulumirpc.AnalyzerServer: the resource-level policies on one resource's inputs.
func (s *Server) Analyze(_ context.Context, req *pulumirpc.AnalyzeRequest) (_ *pulumirpc.AnalyzeResponse, err error) {
	defer recoverToError(&err)
	cfg, err := s.learnEnvironment(req.GetUrn())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	r, err := toResource(req.GetUrn(), req.GetType(), req.GetName(), req.GetProperties(), req.GetOptions(), req.GetProvider(), "", nil)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AnalyzeResponse{Diagnostics: diagnostics(policies.ValidateResource(r, cfg))}, nil
}

// AnalyzeStack implements pulumirpc.AnalyzerServer: the stack-level policies on every resource
// (the engine sends outputs here).
func (s *Server) AnalyzeStack(_ context.Context, req *pulumirpc.AnalyzeStackRequest) (_ *pulumirpc.AnalyzeResponse, err error) {
	defer recoverToError(&err)
	var rs []policies.Resource
	for _, ar := range req.GetResources() {
		r, err := toResource(ar.GetUrn(), ar.GetType(), ar.GetName(), ar.GetProperties(), ar.GetOptions(), ar.GetProvider(),
			ar.GetParent(), ar.GetDependencies())
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	urn := ""
	if len(rs) > 0 {
		urn = rs[0].URN
	}
	cfg, err := s.learnEnvironment(urn)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &pulumirpc.AnalyzeResponse{Diagnostics: diagnostics(policies.ValidateStack(rs, cfg))}, nil
}

// Remediate implements pulumirpc.AnalyzerServer: this pack reports and never rewrites resources.
func (s *Server) Remediate(context.Context, *pulumirpc.AnalyzeRequest) (*pulumirpc.RemediateResponse, error) {
	return &pulumirpc.RemediateResponse{}, nil
}

// Cancel implements pulumirpc.AnalyzerServer; every call is short, so there is nothing to abort.
func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func toResource(urn, typ, name string, props *structpb.Struct, opts *pulumirpc.AnalyzerResourceOptions,
	provider *pulumirpc.AnalyzerProviderResource, parent string, deps []string,
) (policies.Resource, error) {
	pm, err := plugin.UnmarshalProperties(props, plugin.MarshalOptions{
		Label:            "analyze." + urn,
		KeepUnknowns:     true,
		KeepSecrets:      true,
		KeepResources:    true,
		KeepOutputValues: true,
	})
	if err != nil {
		return policies.Resource{}, status.Errorf(codes.InvalidArgument, "properties of %s: %v", urn, err)
	}
	if pm == nil {
		pm = resource.PropertyMap{}
	}
	if parent == "" {
		parent = opts.GetParent()
	}
	return policies.Resource{
		URN:          urn,
		Type:         typ,
		Name:         name,
		Properties:   pm,
		Protect:      opts.GetProtect(),
		Parent:       parent,
		Dependencies: deps,
		Provider:     provider.GetUrn(),
	}, nil
}

func diagnostics(vs []policies.Violation) []*pulumirpc.AnalyzeDiagnostic {
	out := make([]*pulumirpc.AnalyzeDiagnostic, 0, len(vs))
	for _, v := range vs {
		desc := ""
		if p, ok := policies.Lookup(v.Policy); ok {
			desc = p.Description
		}
		out = append(out, &pulumirpc.AnalyzeDiagnostic{
			PolicyName:        v.Policy,
			PolicyPackName:    PackName,
			PolicyPackVersion: PackVersion,
			Description:       desc,
			Message:           v.Message,
			EnforcementLevel:  toRPCLevel(v.Level),
			Urn:               v.URN,
		})
	}
	return out
}

func toRPCLevel(l policies.EnforcementLevel) pulumirpc.EnforcementLevel {
	switch l {
	case policies.Mandatory:
		return pulumirpc.EnforcementLevel_MANDATORY
	case policies.Disabled:
		return pulumirpc.EnforcementLevel_DISABLED
	default:
		return pulumirpc.EnforcementLevel_ADVISORY
	}
}

func fromRPCLevel(l pulumirpc.EnforcementLevel) (policies.EnforcementLevel, error) {
	switch l {
	case pulumirpc.EnforcementLevel_ADVISORY:
		return policies.Advisory, nil
	case pulumirpc.EnforcementLevel_MANDATORY:
		return policies.Mandatory, nil
	case pulumirpc.EnforcementLevel_DISABLED:
		return policies.Disabled, nil
	}
	return "", fmt.Errorf("enforcement level %s is not supported (this pack does not remediate)",
		strings.ToLower(l.String()))
}

// recoverToError turns a panic in a policy into an RPC error: the engine reports it and the
// pack process survives.
func recoverToError(err *error) {
	if r := recover(); r != nil {
		*err = status.Errorf(codes.Internal, "policy pack panic: %v", r)
	}
}
