package planner

import (
	"fmt"
	"io"
	"strings"

	"github.com/opendataplatform/dataplatform/mockcloud"
)

// WriteTree prints the resource tree the way `pulumi preview` does, then the summary.
func (r *Result) WriteTree(w io.Writer) error {
	children := map[string][]*mockcloud.Resource{}
	var root *mockcloud.Resource
	for _, res := range r.Resources {
		if res.Parent == "" {
			root = res
			continue
		}
		children[res.Parent] = append(children[res.Parent], res)
	}
	if root == nil {
		return fmt.Errorf("plan has no root stack")
	}

	type row struct{ typ, name string }
	var rows []row
	var walk func(res *mockcloud.Resource, prefix string, last bool, top bool)
	walk = func(res *mockcloud.Resource, prefix string, last bool, top bool) {
		branch, next := "", ""
		if !top {
			branch, next = "├─ ", "│  "
			if last {
				branch, next = "└─ ", "   "
			}
		}
		rows = append(rows, row{prefix + branch + res.Type, res.Name})
		kids := children[res.URN]
		for i, k := range kids {
			walk(k, prefix+next, i == len(kids)-1, false)
		}
	}
	walk(root, "", true, true)

	width := len("Type")
	for _, rw := range rows {
		if n := len([]rune(rw.typ)); n > width {
			width = n
		}
	}
	nameWidth := len("Name")
	for _, rw := range rows {
		if len(rw.name) > nameWidth {
			nameWidth = len(rw.name)
		}
	}
	mode := "update"
	if r.Mocks != nil && r.Mocks.Preview() {
		mode = "preview"
	}
	fmt.Fprintf(w, "Planning %s of %s/%s (cloud %s, environment %s, offline):\n\n", mode, r.Project, r.Stack, r.Platform.Cloud, r.Platform.Environment)
	fmt.Fprintf(w, "     %-*s  %-*s  %s\n", width, "Type", nameWidth, "Name", "Plan")
	for _, rw := range rows {
		pad := width - len([]rune(rw.typ))
		fmt.Fprintf(w, " +   %s%s  %-*s  create\n", rw.typ, strings.Repeat(" ", pad), nameWidth, rw.name)
	}
	fmt.Fprintf(w, "\nResources by type:\n")
	for _, tc := range r.Summary() {
		fmt.Fprintf(w, "    %4d  %s\n", tc.Count, tc.Type)
	}
	_, err := fmt.Fprintf(w, "\nResources:\n    + %d to create\n", len(r.Resources))
	return err
}
