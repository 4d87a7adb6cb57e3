package main

import (
	"context"
	"strings"
	"testing"
	"time"
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

// Every question of the probe is bounded by --timeout, and by Ctrl-C, even
// against a server that never answers.
func TestProbeBoundedAgainstStalledServer(t *testing.T) {
	t.Parallel()
	root, _ := stallServer(t, map[string]string{"GET /v1/models": `{"data":[{"id":"m"}]}`})
	start := time.Now()
	out, errOut, code := runCLI(t, "probe", "--base-url", root+"/v1", "--model", "m", "--timeout", "0.2")
	if code != 0 || time.Since(start) > time.Minute {
		t.Errorf("exit %d after %v; want 0 once every question timed out\n%s%s", code, time.Since(start), out, errOut)
	}
	for _, hang := range []string{"GET /v1/models", "POST /v1/chat/completions"} {
		root, stalled := stallServer(t, nil)
		if hang == "POST /v1/chat/completions" {
			root, stalled = stallServer(t, map[string]string{"GET /v1/models": `{"data":[{"id":"m"}]}`})
		}
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			<-stalled
			cancel()
		}()
		_, _, code := runCLIContext(ctx, t, "probe", "--base-url", root+"/v1", "--model", "m", "--timeout", "600")
		if code != 130 {
			t.Errorf("%s stalled, then Ctrl-C: exit %d; want 130", hang, code)
		}
	}
}
