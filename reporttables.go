package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// The tables of the report: a sweep's levels, several models, compare's
// figures.

// writeComparison prints compare's table, the runs' fingerprints and the
// --fail-on bounds crossed.
func writeComparison(w io.Writer, files []string, rows []comparison, fps [2]*fingerprint, broken []brokenRule) {
	fmt.Fprintf(w, "base: %s\nnew:  %s\n\n", files[0], files[1])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure (median)\tbase\tnew\tchange\tp\tn")
	for _, r := range rows {
		if r.none {
			fmt.Fprintf(tw, "%s (%s)\t-\t-\tn/a (not in both runs)\t\t%d+%d\n", r.name, r.unit, r.nBase, r.nNext)
			continue
		}
		change := "~"
		if r.significant {
			change = fmt.Sprintf("%+.1f%%", 100*r.change)
		}
		fmt.Fprintf(tw, "%s (%s)\t%.2f\t%.2f\t%s\t%.3g\t%d+%d\n", r.name, r.unit, r.base, r.next, change, r.p, r.nBase, r.nNext)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n~: no significant difference (Mann-Whitney U, p >= %g, or fewer than 5 samples a side)\n", alpha)
	if fps[0] != nil && fps[1] != nil {
		fmt.Fprintf(w, "\nbase fingerprint: %s\nnew fingerprint:  %s\n", fingerprintLine(*fps[0]), fingerprintLine(*fps[1]))
		if diffs := fps[0].differences(*fps[1]); len(diffs) > 0 {
			fmt.Fprintf(w, "WARNING: the runs differ in %s: a change may come from that, not from what you changed\n", differencesText(diffs))
		}
	}
	if len(broken) > 0 {
		parts := make([]string, len(broken))
		for i, b := range broken {
			parts[i] = fmt.Sprintf("%s %+.1f%% (p=%.3g) crosses %s", b.row.name, 100*b.row.change, b.row.p, b.rule.text)
		}
		fmt.Fprintln(w, "FAIL: "+strings.Join(parts, "; "))
	}
}
