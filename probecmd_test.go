package main

import (
	"strings"
	"testing"
)

// probe --json writes the table's rows as JSON, the same rows it prints.
func TestProbeJSON(t *testing.T) {
	t.Parallel()
	path := testPath(t, "probe.json")
	out, _ := runExpect(t, 0, withSim(fastSim, "probe", "--json", path)...)
	var rep probeReport
	readJSON(t, path, &rep)
	if len(rep.Rows) < 10 || rep.Model != "llama3.1:8b" {
		t.Fatalf("probe JSON: %d rows for %q; want at least 10 for llama3.1:8b", len(rep.Rows), rep.Model)
	}
	printed := tableRows(out)
	for _, r := range rep.Rows {
		if !strings.HasPrefix(printed[r.Check], r.Result) {
			t.Errorf("%s: JSON %q, printed %q", r.Check, r.Result, printed[r.Check])
		}
	}
}
