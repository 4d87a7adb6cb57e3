package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run and the report rebuilt from its records agree: the same text
// figures, the same JSON figures.
func TestRecordsRebuildTheReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	recs, live := filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "run.json")
	out, _, code := runCLI(t, withSim(fastSim, "3", "--stream", "--requests-per-thread", "4", "--records", recs, "--json", live, "--csv", filepath.Join(dir, "run.csv"))...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	rebuilt := filepath.Join(dir, "rebuilt.json")
	again, _, code := runCLI(t, "report", recs, "--json", rebuilt)
	if code != 0 {
		t.Fatalf("report: exit %d:\n%s", code, again)
	}
	// The client's own health is not in the records (it is about the run,
	// not a request): compare up to it.
	results := func(s string) string {
		_, r, _ := strings.Cut(s, "Results:")
		r, _, _ = strings.Cut(r, "  Client: ")
		return r
	}
	if results(out) == "" || results(out) != results(again) {
		t.Errorf("rebuilt text differs:\n--- live\n%s\n--- rebuilt\n%s", results(out), results(again))
	}
	figures := func(path string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		b, _ := os.ReadFile(path)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "config")
		delete(m, "version")
		delete(m, "started_at")
		delete(m, "client")
		delete(m, "fingerprint") // about the run, not in the records
		delete(m, "checks")      // a live run may add a client-bound check
		return m
	}
	a, b := figures(live), figures(rebuilt)
	for k := range a {
		if !bytes.Equal(a[k], b[k]) {
			t.Errorf("JSON %q differs: live %s, rebuilt %s", k, a[k], b[k])
		}
	}
	rows, err := csv.NewReader(mustOpen(t, filepath.Join(dir, "run.csv"))).ReadAll()
	if err != nil || len(rows) != 13 || len(rows[0]) != len(csvHeader) || rows[1][4] != "true" {
		t.Errorf("CSV: %d rows, %v", len(rows), err)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// A records file starts with the run's fingerprint: report shows it and
// warns when merged files differ, and compare of two records files too.
func TestRecordsCarryTheFingerprint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	runExpect(t, 0, withSim(fastSim, "2", "--requests", "6", "--records", a)...)
	runExpect(t, 0, withSim(fastSim, "2", "--requests", "6", "--records", b, "--model", "qwen2.5:7b")...)
	out, _, code := runCLI(t, "report", a, b)
	if code != 0 || !strings.Contains(out, "Fingerprint ("+a+"): tpsbench ") || !strings.Contains(out, `WARNING: the files differ in model ("llama3.1:8b" vs "qwen2.5:7b")`) {
		t.Errorf("report: exit %d:\n%s", code, out)
	}
	out, _ = runExpect(t, 0, "compare", a, b)
	if !strings.Contains(out, `WARNING: the runs differ in model ("llama3.1:8b" vs "qwen2.5:7b")`) {
		t.Errorf("compare:\n%s", out)
	}
}
