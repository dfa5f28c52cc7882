package deployments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pulumi/pulumi-cloud-sdk/go/apiclient"
	"github.com/pulumi/pulumi-cloud-sdk/go/apitype"
	"github.com/pulumi/pulumi-cloud-sdk/go/apitype/jsonvalue"
)

// DefaultAPIURL is Pulumi Cloud's REST API.
const DefaultAPIURL = "https://api.pulumi.com"

// Client is the Pulumi Cloud REST client for the five calls apply makes. It wraps the generated
// client of github.com/pulumi/pulumi-cloud-sdk/go@v1.20261104.0 (apiclient/apiclient.go: CloudClient
// takes a BaseURL and an Executor, the seam the tests use to point it at a local server).
type Client struct {
	api     *apiclient.CloudClient
	baseURL string
}

// NewClient builds a client for baseURL (scheme and host only: the SDK's createRequest replaces the
// URL path with the route, so a path would be silently dropped) authenticated with token.
func NewClient(baseURL, token string, hc *http.Client) (*Client, error) {
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("PULUMI_ACCESS_TOKEN is not set: create an access token in Pulumi Cloud (an organization or team token with access to the stacks) and export it")
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("API URL %q is not an http(s) URL", baseURL)
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("API URL %q must be scheme and host only (the API paths start with /api/)", baseURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	base := u.Scheme + "://" + u.Host
	return &Client{baseURL: base, api: &apiclient.CloudClient{
		BaseURL: base,
		Executor: func(r *http.Request) (*http.Response, error) {
			// Pulumi Cloud REST auth: "Authorization: token <access token>". The SDK sets Accept itself
			// (apiclient.go: invokeRaw, "application/vnd.pulumi+8").
			r.Header.Set("Authorization", "token "+token)
			r.Header.Set("User-Agent", "dataplatform-deployments")
			return hc.Do(r)
		},
	}}, nil
}

// ResolveAPIURL picks the API: --api-url when given, else PULUMI_BACKEND_URL when it is an https
// Pulumi Cloud URL (the console host app.X maps to api.X, as `pulumi login https://app.pulumi.com`
// does), else DefaultAPIURL. A DIY backend (file://, s3://, azblob://, gs://) has no Deployments, so
// it is ignored with a note.
func ResolveAPIURL(flag, backend string) (apiURL, note string) {
	if flag != "" {
		return strings.TrimSuffix(flag, "/"), ""
	}
	if backend == "" {
		return DefaultAPIURL, ""
	}
	u, err := url.Parse(backend)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return DefaultAPIURL, fmt.Sprintf("PULUMI_BACKEND_URL %q is not a Pulumi Cloud URL (Deployments need Pulumi Cloud); using %s", backend, DefaultAPIURL)
	}
	host := u.Host
	if strings.HasPrefix(host, "app.") {
		host = "api." + strings.TrimPrefix(host, "app.")
	}
	return "https://" + host, ""
}

// StackRef names a stack in Pulumi Cloud.
type StackRef struct{ Org, Project, Stack string }

func (s StackRef) String() string { return s.Org + "/" + s.Project + "/" + s.Stack }

// wrap names the call in an error: method, path, status and the API's message (the SDK's APIError
// carries the status and the response body's "message", apiclient.go: invokeRaw).
func wrap(method, route string, s StackRef, err error) error {
	path := strings.NewReplacer("{org}", s.Org, "{project}", s.Project, "{stack}", s.Stack).Replace(route)
	var apiErr *apiclient.APIError
	if errors.As(err, &apiErr) {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, apiErr.HTTPStatusCode(), apiErr.ResponseMessage())
	}
	return fmt.Errorf("%s %s: %w", method, path, err)
}

func notFound(err error) bool {
	var apiErr *apiclient.APIError
	return errors.As(err, &apiErr) && (apiErr.IsNotFound() || apiErr.IsNoContent())
}

// GetSettings reads the stack's settings; nil when it has none.
// apiclient/deployments_.go: GetDeploymentSettings, GET /api/stacks/{org}/{project}/{stack}/deployments/settings.
func (c *Client) GetSettings(ctx context.Context, s StackRef) (*apitype.DeploymentSettings, error) {
	ds, err := c.api.GetDeploymentSettings(ctx, s.Org, s.Project, s.Stack)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("GET", "/api/stacks/{org}/{project}/{stack}/deployments/settings", s, err)
	}
	return ds, nil
}

// ReplaceSettings writes the stack's whole settings.
// apiclient/deployments_.go: ReplaceDeploymentSettings, PUT …/deployments/settings, body
// apitype.DeploymentSettingsRequest.
func (c *Client) ReplaceSettings(ctx context.Context, s StackRef, req apitype.DeploymentSettingsRequest) error {
	if _, err := c.api.ReplaceDeploymentSettings(ctx, s.Org, s.Project, s.Stack, req); err != nil {
		return wrap("PUT", "/api/stacks/{org}/{project}/{stack}/deployments/settings", s, err)
	}
	return nil
}

// DriftSchedule is a drift schedule found on a stack.
type DriftSchedule struct {
	ID            string
	Cron          string
	AutoRemediate bool
	Paused        bool
	Created       string
}

// scheduleDefinition is the `definition` of a schedule of kind "deployment" (pulumi
// sdk/go/common/apitype/schedules.go: ScheduledDeploymentDefinition{request: CreateDeploymentRequest}
// and deployments.go: CreateDeploymentRequest{operation, operationContext.options.
// remediateIfDriftDetected}); a drift schedule's request has operation "detect-drift"
// (pulumi-cloud-sdk apitype/pulumi_operation_.go: PulumiOperationDetectDrift). The pulumi CLI reads
// autoRemediate from the same place (pkg/cmd/pulumi/stack schedule edit: existingAutoRemediate).
type scheduleDefinition struct {
	Request *struct {
		Operation        string `json:"operation"`
		OperationContext *struct {
			Options *struct {
				RemediateIfDriftDetected bool `json:"remediateIfDriftDetected"`
			} `json:"options"`
		} `json:"operationContext"`
	} `json:"request"`
}

// DriftSchedules lists the stack's drift schedules (other schedules are ignored).
// apiclient/deployments_.go: ListScheduledDeployment, GET …/deployments/schedules.
func (c *Client) DriftSchedules(ctx context.Context, s StackRef) ([]DriftSchedule, error) {
	resp, err := c.api.ListScheduledDeployment(ctx, s.Org, s.Project, s.Stack)
	if err != nil {
		return nil, wrap("GET", "/api/stacks/{org}/{project}/{stack}/deployments/schedules", s, err)
	}
	var out []DriftSchedule
	for _, a := range resp.Schedules {
		if a.Kind != apitype.ScheduledActionKindDeployment {
			continue
		}
		raw, err := json.Marshal(a.Definition)
		if err != nil {
			return nil, err
		}
		var def scheduleDefinition
		if err := json.Unmarshal(raw, &def); err != nil || def.Request == nil || def.Request.Operation != string(apitype.PulumiOperationDetectDrift) {
			continue
		}
		d := DriftSchedule{ID: a.ID, Cron: a.ScheduleCron, Paused: a.Paused, Created: a.Created}
		if oc := def.Request.OperationContext; oc != nil && oc.Options != nil {
			d.AutoRemediate = oc.Options.RemediateIfDriftDetected
		}
		out = append(out, d)
	}
	return out, nil
}

func driftRequest(d Drift) apitype.CreateScheduledDriftDeploymentRequest {
	return apitype.CreateScheduledDriftDeploymentRequest{
		ScheduleCron: jsonvalue.NotNull(d.Schedule),
		// Sent explicitly so that a schedule switched to remediate in the console is switched back.
		AutoRemediate: jsonvalue.NotNull(d.AutoRemediate),
	}
}

// CreateDrift creates the drift schedule.
// apiclient/deployments_.go: CreateScheduledDriftDeployment, POST …/deployments/drift/schedules, body
// apitype.CreateScheduledDriftDeploymentRequest{scheduleCron, autoRemediate}.
func (c *Client) CreateDrift(ctx context.Context, s StackRef, d Drift) (string, error) {
	a, err := c.api.CreateScheduledDriftDeployment(ctx, s.Org, s.Project, s.Stack, driftRequest(d))
	if err != nil {
		return "", wrap("POST", "/api/stacks/{org}/{project}/{stack}/deployments/drift/schedules", s, err)
	}
	return a.ID, nil
}

// UpdateDrift rewrites a drift schedule.
// apiclient/deployments_.go: UpdateScheduledDriftDeployment, POST …/deployments/drift/schedules/{scheduleID}.
func (c *Client) UpdateDrift(ctx context.Context, s StackRef, id string, d Drift) error {
	if _, err := c.api.UpdateScheduledDriftDeployment(ctx, s.Org, s.Project, s.Stack, id, driftRequest(d)); err != nil {
		return wrap("POST", "/api/stacks/{org}/{project}/{stack}/deployments/drift/schedules/"+id, s, err)
	}
	return nil
}
