package main

import (
	"fmt"
	"io"
	"strings"
)

// The words of report (and compare) about the records files they read:
// torn last lines left out, runs reported apart. writeRebuilt (report.go)
// writes a rebuilt report itself.

// writeTorn warns, a line each, of the torn last lines left out of records
// files.
func writeTorn(w io.Writer, torn []tornLine) {
	for _, t := range torn {
		fmt.Fprintf(w, "warning: %s: line %d is cut short (the run was killed, or its disk filled, while writing it): left out\n", t.path, t.line)
	}
}

// writeRunsApart opens the report of runs that did not overlap in time,
// each reported on its own; writeRunApart heads one of them.
func writeRunsApart(w io.Writer, groups int) {
	fmt.Fprintf(w, "These records hold %d runs that did not overlap in time: each is reported on its own "+
		"(report pools runs only when they overlap, as from several machines at once; tpsbench compare tests two runs' difference).\n", groups)
}

func writeRunApart(w io.Writer, i, groups int, runs []recordFile) {
	fmt.Fprintf(w, "\n=== Run %d of %d: %s ===\n", i+1, groups, runNames(runs))
}

// runNames names runs, for a heading or a message.
func runNames(runs []recordFile) string {
	names := make([]string, len(runs))
	for i, f := range runs {
		names[i] = f.name()
	}
	return strings.Join(names, "; ")
}
