package deployments

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Options select what Apply does.
type Options struct {
	// Org replaces the file's organization when set (--org).
	Org string
	// Stacks limits Apply to these stacks; all of the file's when empty.
	Stacks []string
	// DryRun reads and compares but writes nothing (diff / --dry-run).
	DryRun bool
}

// Action is what happened (or, under DryRun, would happen) to one object.
type Action string

const (
	Unchanged Action = "unchanged"
	Create    Action = "create"
	Update    Action = "update"
)

// StackReport is the outcome for one stack.
type StackReport struct {
	Stack    StackRef
	Settings Action
	// Changes lists the settings fields that differ, "field: old -> new".
	Changes []string
	Drift   Action
	// DriftChanges lists the schedule fields that differ.
	DriftChanges []string
	// DriftID is the managed drift schedule (empty when it is still to be created under DryRun).
	DriftID string
	// Warnings are facts a reader should see: carried-over secrets, extra or paused schedules.
	Warnings []string
	// Failed is set when an API call for this stack failed: the actions above are what was planned.
	Failed bool
}

// Report is the outcome of Apply, one entry per stack in rollout order.
type Report struct {
	DryRun bool
	Stacks []StackReport
}

// Changed reports whether any write happened (or would happen under DryRun).
func (r Report) Changed() bool {
	for _, s := range r.Stacks {
		if s.Settings != Unchanged || s.Drift != Unchanged {
			return true
		}
	}
	return false
}

// Apply brings every selected stack's Deployments settings and drift schedule to the file's values.
// The file must have passed Validate. Per stack it reads the settings and the schedules first and
// writes only what differs: a second run with the same file sends no write. It stops at the first
// API error and returns the report of the stacks done so far with it.
func Apply(ctx context.Context, f *File, c *Client, o Options) (Report, error) {
	rep := Report{DryRun: o.DryRun}
	org := f.Organization
	if o.Org != "" {
		org = o.Org
	}
	stacks := o.Stacks
	if len(stacks) == 0 {
		stacks = f.StackNames()
	}
	for _, name := range stacks {
		if _, ok := f.Stacks[name]; !ok {
			return rep, fmt.Errorf("stack %q is not in %s", name, f.path)
		}
		sr, err := applyStack(ctx, c, StackRef{Org: org, Project: f.Project, Stack: name}, f.Resolved(name), o.DryRun)
		sr.Failed = err != nil
		rep.Stacks = append(rep.Stacks, sr)
		if err != nil {
			return rep, fmt.Errorf("stack %s: %w", sr.Stack, err)
		}
	}
	return rep, nil
}

func applyStack(ctx context.Context, c *Client, ref StackRef, s Stack, dry bool) (StackReport, error) {
	sr := StackReport{Stack: ref, Settings: Unchanged, Drift: Unchanged}

	cur, err := c.GetSettings(ctx, ref)
	if err != nil {
		return sr, err
	}
	sr.Changes = diffViews(currentView(cur), desiredView(s))
	switch {
	case cur == nil:
		sr.Settings = Create
	case len(sr.Changes) > 0:
		sr.Settings = Update
	}
	if sr.Settings != Unchanged {
		req, warnings, err := buildRequest(s, cur)
		sr.Warnings = append(sr.Warnings, warnings...)
		if err != nil {
			return sr, err
		}
		if !dry {
			if err := c.ReplaceSettings(ctx, ref, req); err != nil {
				return sr, err
			}
		}
	}

	found, err := c.DriftSchedules(ctx, ref)
	if err != nil {
		return sr, err
	}
	if len(found) == 0 {
		sr.Drift = Create
		sr.DriftChanges = []string{fmt.Sprintf("scheduleCron: (unset) -> %q", s.Drift.Schedule), fmt.Sprintf("autoRemediate: (unset) -> %t", s.Drift.AutoRemediate)}
		if !dry {
			if sr.DriftID, err = c.CreateDrift(ctx, ref, *s.Drift); err != nil {
				return sr, err
			}
		}
		return sr, nil
	}
	// One drift schedule is managed: the oldest. Extra ones (made in the console) are reported, never
	// deleted: the team decides which of them to remove.
	sort.SliceStable(found, func(i, j int) bool { return found[i].Created < found[j].Created })
	d := found[0]
	sr.DriftID = d.ID
	if len(found) > 1 {
		var ids []string
		for _, x := range found[1:] {
			ids = append(ids, x.ID+" ("+x.Cron+")")
		}
		sr.Warnings = append(sr.Warnings, fmt.Sprintf("%d more drift schedule(s) on the stack, not managed by this file: %s; delete them in Pulumi Cloud", len(ids), strings.Join(ids, ", ")))
	}
	if d.Paused {
		sr.Warnings = append(sr.Warnings, fmt.Sprintf("drift schedule %s is paused; it detects nothing until resumed", d.ID))
	}
	if strings.Join(strings.Fields(d.Cron), " ") != strings.Join(strings.Fields(s.Drift.Schedule), " ") {
		sr.DriftChanges = append(sr.DriftChanges, fmt.Sprintf("scheduleCron: %q -> %q", d.Cron, s.Drift.Schedule))
	}
	if d.AutoRemediate != s.Drift.AutoRemediate {
		sr.DriftChanges = append(sr.DriftChanges, fmt.Sprintf("autoRemediate: %t -> %t", d.AutoRemediate, s.Drift.AutoRemediate))
	}
	if len(sr.DriftChanges) > 0 {
		sr.Drift = Update
		if !dry {
			if err := c.UpdateDrift(ctx, ref, d.ID, *s.Drift); err != nil {
				return sr, err
			}
		}
	}
	return sr, nil
}

// Print writes the report for people: one block per stack, what changed and why it matters.
func (r Report) Print(w io.Writer) {
	verb := map[Action]string{Create: "create", Update: "update", Unchanged: "unchanged"}
	if r.DryRun {
		verb = map[Action]string{Create: "would create", Update: "would update", Unchanged: "unchanged"}
	}
	for _, s := range r.Stacks {
		fmt.Fprintf(w, "%s\n  settings: %s\n", s.Stack, verb[s.Settings])
		for _, c := range s.Changes {
			fmt.Fprintf(w, "    %s\n", c)
		}
		id := ""
		if s.DriftID != "" {
			id = " (" + s.DriftID + ")"
		}
		fmt.Fprintf(w, "  drift schedule%s: %s\n", id, verb[s.Drift])
		for _, c := range s.DriftChanges {
			fmt.Fprintf(w, "    %s\n", c)
		}
		for _, m := range s.Warnings {
			fmt.Fprintf(w, "  note: %s\n", m)
		}
		if s.Failed {
			fmt.Fprintln(w, "  stopped: an API call failed (error below); what is listed was planned, not all of it done")
		}
	}
}
