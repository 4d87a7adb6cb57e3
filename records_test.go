package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// Records from several machines are one run, lined up on wall-clock time.
func TestReportMergesFiles(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	write := func(name string, runStart time.Time, recs []Record) string {
		var b bytes.Buffer
		for i := range recs {
			line, _ := json.Marshal(recs[i].line(runStart))
			b.Write(append(line, '\n'))
		}
		return writeFile(t, testPath(t, name), b.Bytes())
	}
	a := write("a.jsonl", start, []Record{streamRec(0, 4, 100, 200, 300, 400)})
	b := write("b.jsonl", start.Add(time.Second), []Record{streamRec(0, 4, 100, 200, 300, 400)})
	files, _, err := readRecordFiles([]string{b, a})
	if err != nil {
		t.Fatal(err)
	}
	records, started := mergeRecords(files)
	if !started.Equal(start) {
		t.Errorf("merged run started %v; want the earliest file's start, %v", started, start)
	}
	s := summarizeRecords(records, sloBounds{})
	if s.OK != 2 || s.Duration != 1400*time.Millisecond {
		t.Errorf("merged: %d ok over %v; want 2 over 1.4s (the second machine started 1 s later)", s.OK, s.Duration)
	}
	for _, bad := range []string{"{}\n", "not json\n", ""} {
		p := writeFile(t, testPath(t, "bad.jsonl"), bad)
		if _, _, code := runCLI(t, "report", p); code != 2 {
			t.Errorf("report of %q: exit %d; want 2", bad, code)
		}
	}
}

// FuzzParseRecords: the records reader never panics, and whatever it accepts
// groups into runs apart, each run once, and rebuilds a summary whose
// counts add up.
func FuzzParseRecords(f *testing.F) {
	seed := streamRec(0, 4, 100, 200, 300, 400)
	line, _ := json.Marshal(seed.line(time.Unix(1_800_000_000, 0)))
	f.Add(append(line, '\n'))
	f.Add([]byte(`{"run_start":"2026-11-27T12:00:00Z","index":1,"ok":false,"fail_kind":"http","send_ms":1,"done_ms":2}` + "\n"))
	f.Add([]byte("{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		runs, _, err := parseRecordFile(bytes.NewReader(data))
		if err != nil {
			return
		}
		n := 0
		for _, g := range overlapping(runs) {
			n += len(g)
		}
		if n != len(runs) {
			t.Fatalf("overlapping grouped %d of %d runs", n, len(runs))
		}
		records, _ := mergeRecords(runs)
		s := summarizeRecords(records, sloBounds{})
		if s.OK+s.Failed+s.Cancelled != s.Total {
			t.Fatalf("%d ok + %d failed + %d cancelled != %d", s.OK, s.Failed, s.Cancelled, s.Total)
		}
	})
}

// Every record of a run has an index of its own, warm-up and sweep levels
// included.
func TestRecordIndicesUnique(t *testing.T) {
	t.Parallel()
	recs := testPath(t, "run.jsonl")
	runExpect(t, 0, withSim(fastSim, "2", "--warmup", "2", "--sweep-concurrency", "1,2", "--requests-per-thread", "2", "--records", recs)...)
	lines := readRecordLines(t, recs)
	seen := map[int]bool{}
	for _, l := range lines {
		if seen[l.Index] {
			t.Errorf("index %d twice in the records", l.Index)
		}
		seen[l.Index] = true
	}
	if len(lines) != 2+2+4 {
		t.Errorf("%d records; want 2 warm-up + 2 + 4", len(lines))
	}

}

// The header line of a records file is not a request: it has no "ok" and
// no "index", and a file from before the format had its own header still
// reads.
func TestRecordsHeaderIsNoRequest(t *testing.T) {
	t.Parallel()
	recs := testPath(t, "run.jsonl")
	runExpect(t, 0, withSim(fastSim, "2", "--requests", "2", "--records", recs)...)
	first, _, _ := strings.Cut(string(readFile(t, recs)), "\n")
	var head map[string]any
	decodeStrict(t, []byte(first), &head)
	if _, ok := head["ok"]; ok || head["index"] != nil || head["tpsbench_records"] != "1" || head["fingerprint"] == nil || head["run_start"] == nil {
		t.Errorf("header line %s; want run_start, tpsbench_records and fingerprint only", first)
	}
	old := `{"run_start":"2026-11-27T12:00:00Z","index":-1,"stream":false,"ok":false,"send_ms":0,"output_tokens":0,"fingerprint":{"tool_version":"v","server":"x","model":"m","client_os":"linux","client_cpu":"c","client_cores":2}}` + "\n" +
		`{"run_start":"2026-11-27T12:00:00Z","index":0,"stream":false,"ok":true,"send_ms":1,"done_ms":2,"output_tokens":3,"token_source":"usage"}` + "\n"
	runs, _, err := parseRecordFile(strings.NewReader(old))
	if err != nil || len(runs) != 1 || len(runs[0].lines) != 1 || runs[0].fp == nil || runs[0].fp.Model != "m" {
		t.Errorf("a records file of the earlier format: %+v, %v; want 1 run of 1 record and its fingerprint", runs, err)
	}
}

// A records file whose last line was cut short (a run killed, a disk full
// while writing it) still reports, in report and compare: every complete
// line counts, and one line on stderr names the torn one. A malformed line
// before the last, or a last line that is complete but malformed, is still
// an error.
func TestTornLastLine(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	whole := writeRecords(t, testPath(t, "whole.jsonl"), start, &fingerprint{Tool: "v", Model: "m"}, goldenRecords())
	data := readFile(t, whole)
	torn := writeFile(t, testPath(t, "torn.jsonl"), data[:len(data)-20])
	summary := testPath(t, "torn.json")
	out, errOut, code := runCLI(t, "report", torn, "--json", summary)
	if code != 0 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, torn+": line 13 is cut short") {
		t.Errorf("report of a torn file: exit %d, stderr %q; want 0 and one line naming line 13", code, errOut)
	}
	var doc jsonSummary
	readJSON(t, summary, &doc)
	if doc.Requests.Sent != 11 || !strings.Contains(out, "Report rebuilt from 11 records") {
		t.Errorf("report of a torn file: %d requests; want the 11 complete ones\n%s", doc.Requests.Sent, out)
	}
	_, errOut, code = runCLI(t, "compare", torn, whole)
	if code != 0 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, torn+": line 13 is cut short") {
		t.Errorf("compare of a torn file: exit %d, stderr %q; want 0 and one line naming line 13", code, errOut)
	}
	lines := strings.SplitAfter(string(data), "\n")
	middle := strings.Join(slices.Concat(lines[:5], []string{lines[5][:30] + "\n"}, lines[6:]), "")
	complete := string(data[:len(data)-20]) + "\n"
	for name, bad := range map[string]string{"a torn line in the middle": middle, "a malformed last line": complete} {
		p := writeFile(t, testPath(t, "bad.jsonl"), bad)
		if _, errOut, code := runCLI(t, "report", p); code != 2 || !strings.Contains(errOut, "not a tpsbench record") {
			t.Errorf("%s: exit %d, %q; want 2, not a tpsbench record", name, code, errOut)
		}
	}
}

// readRecordLines reads the records file at path, which must hold one
// run whole, and returns its records' lines.
func readRecordLines(t testing.TB, path string) []recordLine {
	t.Helper()
	runs, torn, err := readRecordFile(path)
	if err != nil || len(runs) != 1 || torn != 0 {
		t.Fatalf("reading %s: %d runs, torn line %d, %v; want one run whole", path, len(runs), torn, err)
	}
	return runs[0].lines
}
