package main

import (
	"context"
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

// An interrupted probe or selftest exits 130, as an interrupted run does.
func TestInterruptedCommandsExit130(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, args := range [][]string{
		withSim(fastSim, "probe"),
		{"selftest", "--in-process", "--duration", "50ms", "--levels", "1"},
	} {
		out, errOut, code := runCLIContext(ctx, t, args...)
		if code != 130 {
			t.Errorf("%v: exit %d; want 130\n%s%s", args, code, out, errOut)
		}
	}
}
