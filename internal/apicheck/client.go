package apicheck

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FieldManager is the server-side-apply field manager of every request the check makes.
const FieldManager = "dataplatform-apicheck"

// Client talks to one kube-apiserver over plain HTTPS with a bearer token.
type Client struct {
	Base  string // https://127.0.0.1:PORT
	Token string
	HTTP  *http.Client
	// resources maps "group/version" to its resources (discovery); refreshed by Discover.
	resources map[string][]metav1.APIResource
}

// NewClient trusts the certificates in caPEM (the API server's self-signed serving chain).
func NewClient(base, token string, caPEM []byte) (*Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in the API server's serving certificate file")
	}
	return &Client{Base: base, Token: token, HTTP: &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}}, nil
}

// APIError is a request the API server answered with an error status.
type APIError struct {
	Code    int
	Reason  string
	Message string
}

func (e *APIError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("%d %s: %s", e.Code, e.Reason, e.Message)
	}
	return fmt.Sprintf("%d: %s", e.Code, e.Message)
}

// Do sends one request and decodes a JSON answer into out (when not nil).
func (c *Client) Do(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	_, err := c.do(ctx, method, path, contentType, body, out)
	return err
}

// do is Do that also returns the API server's warnings (the Warning headers' texts).
func (c *Client) do(ctx context.Context, method, path, contentType string, body []byte, out any) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var warnings []string
	for _, h := range resp.Header.Values("Warning") {
		warnings = append(warnings, warningText(h))
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return warnings, err
	}
	if resp.StatusCode >= 300 {
		return warnings, statusError(resp.StatusCode, data)
	}
	if out != nil {
		return warnings, json.Unmarshal(data, out)
	}
	return warnings, nil
}

// warningText is the text of a Warning header as the API server writes it: 299 - "text".
func warningText(h string) string {
	rest := strings.TrimPrefix(strings.TrimSpace(h), "299 - ")
	if t, err := strconv.Unquote(rest); err == nil {
		return t
	}
	return rest
}

// statusError turns an error answer (a metav1.Status, normally) into an *APIError.
func statusError(code int, body []byte) *APIError {
	var st metav1.Status
	if err := json.Unmarshal(body, &st); err == nil && st.Kind == "Status" {
		return &APIError{Code: code, Reason: string(st.Reason), Message: st.Message}
	}
	return &APIError{Code: code, Message: strings.TrimSpace(string(body))}
}

// IsNotFound reports whether err is a 404 of the API server.
func IsNotFound(err error) bool {
	ae, ok := err.(*APIError)
	return ok && ae.Code == http.StatusNotFound
}

// Discover reads the API server's discovery documents: every group version and its resources.
func (c *Client) Discover(ctx context.Context) error {
	res := map[string][]metav1.APIResource{}
	var core metav1.APIResourceList
	if err := c.Do(ctx, http.MethodGet, "/api/v1", "", nil, &core); err != nil {
		return fmt.Errorf("discovery /api/v1: %w", err)
	}
	res["v1"] = core.APIResources
	var groups metav1.APIGroupList
	if err := c.Do(ctx, http.MethodGet, "/apis", "", nil, &groups); err != nil {
		return fmt.Errorf("discovery /apis: %w", err)
	}
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			var list metav1.APIResourceList
			if err := c.Do(ctx, http.MethodGet, "/apis/"+v.GroupVersion, "", nil, &list); err != nil {
				return fmt.Errorf("discovery /apis/%s: %w", v.GroupVersion, err)
			}
			res[v.GroupVersion] = list.APIResources
		}
	}
	c.resources = res
	return nil
}

// Resource finds the resource that serves apiVersion/kind (after Discover).
func (c *Client) Resource(apiVersion, kind string) (metav1.APIResource, bool) {
	for _, r := range c.resources[apiVersion] {
		if r.Kind == kind && !strings.Contains(r.Name, "/") {
			return r, true
		}
	}
	return metav1.APIResource{}, false
}

// Path is the REST path of a named object of resource r in namespace ns ("" when cluster-scoped).
func Path(apiVersion string, r metav1.APIResource, ns, name string) string {
	p := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		p = "/api/" + apiVersion
	}
	if r.Namespaced {
		p += "/namespaces/" + url.PathEscape(ns)
	}
	return p + "/" + r.Name + "/" + url.PathEscape(name)
}

// ApplyOptions are the query parameters of a server-side apply.
type ApplyOptions struct {
	DryRun bool // dryRun=All: admission and validation run, nothing is stored
	Force  bool // take ownership of fields another manager owns
}

// Apply sends obj as a server-side apply (PATCH application/apply-patch+yaml) with strict field
// validation: an unknown or duplicated field is an error, not a warning. It returns the API server's
// warnings (e.g. PodSecurity's for a pod template).
func (c *Client) Apply(ctx context.Context, path string, obj []byte, o ApplyOptions, out any) ([]string, error) {
	q := url.Values{"fieldManager": {FieldManager}, "fieldValidation": {"Strict"}}
	if o.DryRun {
		q.Set("dryRun", "All")
	}
	if o.Force {
		q.Set("force", "true")
	}
	return c.do(ctx, http.MethodPatch, path+"?"+q.Encode(), "application/apply-patch+yaml", obj, out)
}
