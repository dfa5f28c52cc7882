package apicheck

import (
	"fmt"
	"io"
	"sort"
)

// Exit codes of the check.
const (
	ExitOK       = 0 // every object accepted
	ExitRejected = 1 // the API server rejected an object, or no API serves its kind
	ExitSetup    = 2 // the check itself could not run (flags, pins, binaries, server start)
)

// Report prints each combination's counts and rejections, then the CRDs installed, and returns the
// exit code: ExitRejected when any object was rejected or drew a warning (a deprecated API, a
// malformed certificate in a TLS Secret: what a real cluster accepts today and refuses tomorrow),
// ExitOK otherwise.
func Report(w io.Writer, results []Result, crds []CRD) int {
	code, objects, accepted, rejected, unchecked := ExitOK, 0, 0, 0, 0
	for _, r := range results {
		counts := map[string]int{}
		for _, a := range r.Accepted {
			counts[a.How]++
		}
		fmt.Fprintf(w, "%-20s %3d objects: %3d accepted (%d dry run, %d patch dry run, %d namespaces applied), %d rejected, %d not checked\n",
			r.Name+":", r.Objects, len(r.Accepted), counts["dry run"], counts["patch"], counts["applied"], len(r.Rejected), len(r.Unchecked))
		for _, u := range r.Unchecked {
			fmt.Fprintf(w, "    not checked %s (%s): %s\n", u.Ref, u.File, u.Message)
		}
		for _, p := range r.Prepared {
			fmt.Fprintf(w, "    patch target created as its controller would: %s\n", p)
		}
		warned := false
		for _, a := range r.Accepted {
			for _, text := range a.Warnings {
				fmt.Fprintf(w, "    WARNING  %s (%s): %s\n", a.Ref, a.File, text)
				warned = true
			}
		}
		for _, x := range r.Rejected {
			fmt.Fprintf(w, "    REJECTED %s (%s, %s): %s\n", x.Ref, x.File, x.How, x.Message)
		}
		objects += r.Objects
		accepted += len(r.Accepted)
		rejected += len(r.Rejected)
		unchecked += len(r.Unchecked)
		if warned || len(r.Rejected) > 0 || len(r.Accepted)+len(r.Rejected)+len(r.Unchecked) != r.Objects {
			code = ExitRejected
		}
	}
	fmt.Fprintf(w, "\nCRDs installed (%d), each Established before the manifests were applied:\n", len(crds))
	sorted := append([]CRD(nil), crds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, c := range sorted {
		fmt.Fprintf(w, "    %-48s conversion %-7s %s\n", c.Name, c.Conversion, c.Source)
	}
	fmt.Fprintf(w, "\n%d combinations, %d objects: %d accepted, %d rejected, %d not checked (internal/apicheck/unchecked.txt)\n", len(results), objects, accepted, rejected, unchecked)
	return code
}
