package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A run and the report rebuilt from its records agree: the same text
// figures, the same JSON figures.
func TestRecordsRebuildTheReport(t *testing.T) {
	dir := t.TempDir()
	recs, live := filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "run.json")
	out, _, code := runCLI(t, append([]string{"3", "--stream", "--requests-per-thread", "4", "--records", recs, "--json", live, "--csv", filepath.Join(dir, "run.csv")}, fastSimArgs...)...)
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

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	base, next := filepath.Join(dir, "base.json"), filepath.Join(dir, "new.json")
	runCLI(t, append([]string{"2", "--requests", "12", "--json", base}, fastSimArgs...)...)
	runCLI(t, append(append([]string{"2", "--requests", "12", "--json", next}, fastSimArgs...), "--sim-rate", "200")...)
	out, _, code := runCLI(t, "compare", base, next)
	if code != 0 || !strings.Contains(out, "tps (tokens/s)") || !strings.Contains(out, "ttft (ms)") {
		t.Errorf("compare: exit %d:\n%s", code, out)
	}
	out, _, code = runCLI(t, "compare", base, next, "--fail-on", "tps<-5%")
	if code != 1 || !strings.Contains(out, "FAIL: tps -") {
		t.Errorf("a 10x slower token rate should fail tps<-5%%: exit %d:\n%s", code, out)
	}
	for _, bad := range [][]string{{"compare", base}, {"compare", base, next, "--fail-on", "speed<5%"}, {"compare", base, "/nonexistent"}} {
		if _, _, code := runCLI(t, bad...); code != 2 {
			t.Errorf("%v: exit %d; want 2", bad, code)
		}
	}
}

// Interrupted mid-run against the simulator: complete records of every
// request sent, and a report.
func TestInterruptedSimRunKeepsRecords(t *testing.T) {
	recs := filepath.Join(t.TempDir(), "run.jsonl")
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel) // whenever it lands, the invariants hold
	var out, errb bytes.Buffer
	err := runCommandLine(ctx, append([]string{"4", "--stream", "--records", recs, "--grace", "50ms", "--requests-per-thread", "50"},
		"--sim", "--sim-ttft", "20ms", "--sim-rate", "200", "--max-tokens", "16"), &out, &errb)
	if code := exitCode(err, &errb); code != 130 {
		t.Fatalf("exit %d; want 130\n%s", code, out.String())
	}
	f, err := readRecordFile(recs)
	if err != nil {
		t.Fatal(err)
	}
	lines := f.lines
	s := summarizeRecords(readBack(lines), sloBounds{})
	want := fmt.Sprintf("Samples: %d ok / %d failed (total %d)\n", s.OK, s.Failed, s.OK+s.Failed)
	if !strings.Contains(out.String(), want) || len(lines) >= 200 || strings.Contains(out.String(), "BUG:") {
		t.Errorf("%d records; report should say %q:\n%s", len(lines), want, out.String())
	}
}

// A records file starts with the run's fingerprint: report shows it and
// warns when merged files differ, and compare of two records files too.
func TestRecordsCarryTheFingerprint(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	runCLI(t, append([]string{"2", "--requests", "6", "--records", a}, fastSimArgs...)...)
	runCLI(t, append([]string{"2", "--requests", "6", "--records", b, "--model", "qwen2.5:7b"}, fastSimArgs...)...)
	out, _, code := runCLI(t, "report", a, b)
	if code != 0 || !strings.Contains(out, "Fingerprint ("+a+"): tpsbench ") || !strings.Contains(out, `WARNING: the files differ in model ("llama3.1:8b" vs "qwen2.5:7b")`) {
		t.Errorf("report: exit %d:\n%s", code, out)
	}
	out, _, _ = runCLI(t, "compare", a, b)
	if !strings.Contains(out, `WARNING: the runs differ in model ("llama3.1:8b" vs "qwen2.5:7b")`) {
		t.Errorf("compare:\n%s", out)
	}
}
