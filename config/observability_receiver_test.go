package config

import (
	"strings"
	"testing"
)

// TestReceiverCredential: the Secret Alertmanager mounts gets a default name the platform creates
// from receiver.credential; a webhook URL that is not one is refused without echoing it.
func TestReceiverCredential(t *testing.T) {
	p, err := parse(t, "prod", map[string]string{"dataplatform:cloud": "kubernetes",
		"dataplatform:observability": `{"receiver": {"kind": "webhook", "credential": "https://hooks.example.com/T0/abc"}}`})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Observability.Receiver.URLSecret; got != (SecretKey{Name: ReceiverSecretName, Key: "url"}) {
		t.Errorf("urlSecret = %+v; want the default %s/url", got, ReceiverSecretName)
	}
	p, err = parse(t, "prod", map[string]string{"dataplatform:cloud": "kubernetes",
		"dataplatform:observability": `{"receiver": {"kind": "email", "to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:587", "username": "am", "credential": "pw"}}`})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Observability.Receiver.PasswordSecret; got != (SecretKey{Name: ReceiverSecretName, Key: "password"}) {
		t.Errorf("passwordSecret = %+v; want the default %s/password", got, ReceiverSecretName)
	}
	_, err = parse(t, "prod", map[string]string{"dataplatform:cloud": "kubernetes",
		"dataplatform:observability": `{"receiver": {"kind": "webhook", "credential": "not-a-url-token-xyz"}}`})
	if err == nil || !strings.Contains(err.Error(), "dataplatform:observability.receiver.credential") {
		t.Fatalf("want an error on receiver.credential, got %v", err)
	}
	if strings.Contains(err.Error(), "token-xyz") {
		t.Errorf("the error echoes the secret: %v", err)
	}
	_, err = parse(t, "prod", map[string]string{"dataplatform:cloud": "kubernetes",
		"dataplatform:observability": `{"receiver": {"kind": "email", "to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:587", "credential": "pw"}}`})
	if err == nil || !strings.Contains(err.Error(), "dataplatform:observability.receiver.username") {
		t.Errorf("a password without a user: want an error on receiver.username, got %v", err)
	}
}

// TestDocsBaseURL: the runbook links default to the project repository; a non-https value is
// refused under its key.
func TestDocsBaseURL(t *testing.T) {
	p, err := parse(t, "prod", map[string]string{"dataplatform:cloud": "kubernetes"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Observability.DocsBaseURL != DefaultDocsBaseURL {
		t.Errorf("docsBaseUrl = %q; want %q", p.Observability.DocsBaseURL, DefaultDocsBaseURL)
	}
	for _, bad := range []string{"http://docs.example.com", "docs/", "https://docs.example.com/x#y"} {
		_, err := parse(t, "prod", map[string]string{"dataplatform:cloud": "kubernetes", "dataplatform:observability": `{"docsBaseUrl": "` + bad + `"}`})
		if err == nil || !strings.Contains(err.Error(), "dataplatform:observability.docsBaseUrl") {
			t.Errorf("%q: want an error on docsBaseUrl, got %v", bad, err)
		}
	}
}
