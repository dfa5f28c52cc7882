package observability

import (
	"strings"
	"testing"
	"time"
)

// TestRuleDoc: a rule's Doc, when set, is the document its runbook link points into; only a target's
// runbook under docs/ is allowed.
func TestRuleDoc(t *testing.T) {
	r := AlertRule{Name: "PostgresBackupMissing", Expr: "vector(1)", For: time.Minute, Severity: Critical, Summary: "s", Runbook: "postgres-backup-missing"}
	if got := r.RunbookURL(); got != RunbookDoc+"#postgres-backup-missing" {
		t.Errorf("RunbookURL without Doc = %q", got)
	}
	r.Doc = "docs/runbook-alerts-azure.md"
	if got := r.RunbookURL(); got != "docs/runbook-alerts-azure.md#postgres-backup-missing" {
		t.Errorf("RunbookURL with Doc = %q", got)
	}
	if err := (Spec{Rules: []AlertRule{r}}).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	for _, bad := range []string{"README.md", "docs/runbook-alerts.md#x", "../docs/runbook-alerts-azure.md", "docs/runbook-alerts-Azure.md"} {
		r.Doc = bad
		err := (Spec{Rules: []AlertRule{r}}).Validate()
		if err == nil || !strings.Contains(err.Error(), "Rules[0].Doc") {
			t.Errorf("Doc %q: err = %v, want a problem at Rules[0].Doc", bad, err)
		}
	}
	groups := (Spec{Rules: []AlertRule{{Name: "A", Expr: "vector(1)", Severity: Warning, Summary: "s", Runbook: "a", Doc: "docs/runbook-alerts-azure.md"}}}).RuleGroups("g", "https://example.com/repo/blob/main/")
	ann := groups[0].Rules[0]["annotations"].(map[string]any)
	if got := ann["runbook_url"]; got != "https://example.com/repo/blob/main/docs/runbook-alerts-azure.md#a" {
		t.Errorf("rendered runbook_url = %v", got)
	}
}
