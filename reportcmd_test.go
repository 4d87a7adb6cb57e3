package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A run and the report rebuilt from its records agree: the same text
// figures, the same JSON figures.
func TestRecordsRebuildTheReport(t *testing.T) {
	t.Parallel()
	run := runAndRebuild(t, "--json", "run.json", withSim(fastSim, "3", "--stream", "--requests-per-thread", "4", "--csv", testPath(t, "run.csv"))...)
	// The client's own health is not in the records (it is about the run,
	// not a request): compare up to it.
	results := func(s string) string {
		_, r, _ := strings.Cut(s, "Results:")
		r, _, _ = strings.Cut(r, "  Client: ")
		return r
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
		delete(m, "checks")      // a live run may add a client-bound check
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

// A records file starts with the run's fingerprint: report shows it and
// warns when merged files differ, and compare of two records files too.
func TestRecordsCarryTheFingerprint(t *testing.T) {
	t.Parallel()
	a, b := testPath(t, "a.jsonl"), testPath(t, "b.jsonl")
	runExpect(t, 0, withSim(fastSim, "2", "--requests", "6", "--records", a)...)
	runExpect(t, 0, withSim(fastSim, "2", "--requests", "6", "--records", b, "--model", "qwen2.5:7b")...)
	out, _ := runExpect(t, 0, "report", a, b)
	expectText(t, out, "\nFingerprint ("+a+"): tpsbench ", "\nWARNING: the files differ in model (\"llama3.1:8b\" vs \"qwen2.5:7b\")")
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

// report of fixed records files, whole: one file, and two machines' files
// merged on wall-clock time (their fingerprints differ).
func TestReportCommandGolden(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	fp := func(model string) *fingerprint {
		return &fingerprint{Tool: "VERSION", Server: "Ollama", ServerVersion: "0.24.0", Model: model, OS: "linux/amd64", CPU: "Test CPU", Cores: 2}
	}
	recs := goldenRecords()
	a := writeRecords(t, testPath(t, "a.jsonl"), start, fp("llama3.1:8b"), recs[:6])
	b := writeRecords(t, testPath(t, "b.jsonl"), start.Add(250*time.Millisecond), fp("qwen2.5:7b"), recs[6:])
	golden(t, "report-command.golden", transcript(t, testDir(t), []string{"report", a}, []string{"report", a, b}))
}
