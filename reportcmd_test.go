package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// A run and the report rebuilt from its records agree: the same text
// figures, the same JSON figures.
func TestRecordsRebuildTheReport(t *testing.T) {
	t.Parallel()
	run := runAndRebuild(t, "--json", "run.json", withSim(fastSim, "3", "--stream", "--requests-per-thread", "4", "--csv", testPath(t, "run.csv"))...)
	// The client's own health and the connections it opened before the
	// clock are not in the records (they are about the run, not a request):
	// compare all but their lines and the client's finding, the checks that
	// follow it included.
	results := func(s string) string {
		_, r, _ := strings.Cut(s, "Results:")
		var kept []string
		for _, line := range strings.SplitAfter(r, "\n") {
			if !strings.HasPrefix(line, "  Client: ") && !strings.HasPrefix(line, "  Connections: ") && !strings.HasPrefix(line, "  - client-bound: ") && !strings.HasPrefix(line, "Checks (") {
				kept = append(kept, line)
			}
		}
		return strings.Join(kept, "")
	}
	if results(run.liveOut) == "" || results(run.liveOut) != results(run.rebuiltOut) {
		t.Errorf("rebuilt text differs:\n--- live\n%s\n--- rebuilt\n%s", results(run.liveOut), results(run.rebuiltOut))
	}
	figures := func(path string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		readJSON(t, path, &m)
		delete(m, "config")
		delete(m, "version")
		delete(m, "started_at")
		delete(m, "client")
		delete(m, "fingerprint") // about the run, not in the records
		delete(m, "connections_before_clock")
		delete(m, "opened_before_clock")
		delete(m, "connect_before_clock_ms")
		delete(m, "checks") // a live run may add a client-bound check
		return m
	}
	a, b := figures(run.live), figures(run.rebuilt)
	for k := range a {
		if !bytes.Equal(a[k], b[k]) {
			t.Errorf("JSON %q differs: live %s, rebuilt %s", k, a[k], b[k])
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(readFile(t, testPath(t, "run.csv")))).ReadAll()
	if err != nil || len(rows) != 13 || len(rows[0]) != len(csvHeader) || rows[1][4] != "true" {
		t.Errorf("CSV: %d rows, %v", len(rows), err)
	}
}

// A records file starts with the run's fingerprint: report shows it (and
// warns when merged files differ: TestReportCommandGolden), and compare of
// two records files warns when they differ. These two runs, one after the
// other, are reported apart.
func TestRecordsCarryTheFingerprint(t *testing.T) {
	t.Parallel()
	a, b := testPath(t, "a.jsonl"), testPath(t, "b.jsonl")
	runExpect(t, 0, withSim(fastSim, "2", "--requests", "6", "--records", a)...)
	runExpect(t, 0, withSim(fastSim, "2", "--requests", "6", "--records", b, "--model", "qwen2.5:7b")...)
	out, _ := runExpect(t, 0, "report", a, b)
	expectText(t, out, "\nFingerprint ("+a+"): tpsbench ", "\nFingerprint ("+b+"): tpsbench ")
	out, _ = runExpect(t, 0, "compare", a, b)
	expectText(t, out, `WARNING: the runs differ in model ("llama3.1:8b" vs "qwen2.5:7b")`)
}

// writeRecords writes recs to a records file as a run with fingerprint fp,
// started at runStart, would have.
func writeRecords(t *testing.T, path string, runStart time.Time, fp *fingerprint, recs []Record) string {
	t.Helper()
	sink, err := openRecordSink(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.begin(runStart, fp); err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		sink.add(&recs[i])
	}
	if err := sink.close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// report of fixed records files, whole: one file, two machines' files
// merged on wall-clock time (their fingerprints differ), two runs a minute
// apart in one file (reported apart; refused with --json), and a file whose
// last line is torn.
func TestReportCommandGolden(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	fp := func(model string) *fingerprint {
		return &fingerprint{Tool: "VERSION", Server: "Ollama", ServerVersion: "0.24.0", Model: model, OS: "linux/amd64", CPU: "Test CPU", Cores: 2}
	}
	recs := goldenRecords()
	a := writeRecords(t, testPath(t, "a.jsonl"), start, fp("llama3.1:8b"), recs[:6])
	b := writeRecords(t, testPath(t, "b.jsonl"), start.Add(250*time.Millisecond), fp("qwen2.5:7b"), recs[6:])
	later := writeRecords(t, testPath(t, "later.jsonl"), start.Add(time.Minute), fp("llama3.1:8b"), recs[:6])
	both := writeFile(t, testPath(t, "both.jsonl"), slices.Concat(readFile(t, a), readFile(t, later)))
	data := readFile(t, a)
	torn := writeFile(t, testPath(t, "torn.jsonl"), data[:len(data)-20])
	golden(t, "report-command.golden", transcript(t, testDir(t), []string{"report", a}, []string{"report", a, b},
		[]string{"report", both}, []string{"report", a, later, "--json", testPath(t, "x.json")}, []string{"report", torn}))
}

// Two files concatenated into one (cat a.jsonl b.jsonl > c.jsonl) are the
// same two runs as the files apart: each header line starts a run, with
// its own start and fingerprint.
func TestConcatenatedRecords(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	recs := goldenRecords()
	a := writeRecords(t, testPath(t, "a.jsonl"), start, &fingerprint{Tool: "v", Model: "llama3.1:8b"}, recs[:6])
	b := writeRecords(t, testPath(t, "b.jsonl"), start.Add(250*time.Millisecond), &fingerprint{Tool: "v", Model: "qwen2.5:7b"}, recs[6:])
	c := writeFile(t, testPath(t, "c.jsonl"), slices.Concat(readFile(t, a), readFile(t, b)))
	apart, together := testPath(t, "apart.json"), testPath(t, "together.json")
	runExpect(t, 0, "report", a, b, "--json", apart)
	out, _ := runExpect(t, 0, "report", c, "--json", together)
	expectText(t, out, "Fingerprint ("+c+", run 1): ", "Fingerprint ("+c+", run 2): ", `WARNING: the files differ in model ("llama3.1:8b" vs "qwen2.5:7b")`)
	var want, got jsonSummary
	readJSON(t, apart, &want)
	readJSON(t, together, &got)
	if got.DurationS != want.DurationS || got.Requests != want.Requests || got.DurationS < 1.5 {
		t.Errorf("concatenated: %v s, %+v; want %v s, %+v, as the files apart", got.DurationS, got.Requests, want.DurationS, want.Requests)
	}
}

// Runs that did not overlap in time are not pooled into one meaningless
// total: report says so and reports each on its own; files, which hold one
// run, are refused.
func TestReportRunsApart(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	recs := goldenRecords()[:6]
	a := writeRecords(t, testPath(t, "a.jsonl"), start, &fingerprint{Tool: "v", Model: "m"}, recs)
	b := writeRecords(t, testPath(t, "b.jsonl"), start.Add(time.Minute), &fingerprint{Tool: "v", Model: "m"}, recs)
	c := writeFile(t, testPath(t, "c.jsonl"), slices.Concat(readFile(t, a), readFile(t, b)))
	for _, args := range [][]string{{a, b}, {c}} {
		out, _ := runExpect(t, 0, append([]string{"report"}, args...)...)
		expectText(t, out, "did not overlap in time", "=== Run 1 of 2: ", "=== Run 2 of 2: ")
		if n := strings.Count(out, "Samples: 6 ok / 0 failed (total 6)"); n != 2 || strings.Contains(out, "wall=6") {
			t.Errorf("report %v: %d runs of 6 requests; want 2, apart:\n%s", args, n, out)
		}
		_, errOut, code := runCLI(t, append([]string{"report", "--json", testPath(t, "x.json")}, args...)...)
		if code != 2 || !strings.Contains(errOut, "did not overlap in time") {
			t.Errorf("report %v --json: exit %d, %q; want 2: one file holds one run", args, code, errOut)
		}
	}
}
