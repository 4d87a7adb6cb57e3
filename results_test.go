package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
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

// The JSON summary decodes into exactly the documented shape, with the key
// redacted and units in the names.
func TestJSONSummaryShape(t *testing.T) {
	var out bytes.Buffer
	cfg := &config{threads: 4, baseURL: "http://u:p@h/v1", model: "m", apiKey: "sk-secret", requestsPerThread: 3, timeout: 120, maxTokens: 16, stream: true, encoding: "cl100k_base"}
	cfg.load.api = apiChat
	done := &finishedRun{cfg: cfg, baseURL: cfg.baseURL, started: time.Unix(0, 0).UTC(), s: summarizeRecords(goldenRecords(), sloBounds{ttft: time.Second})}
	if err := renderJSON(&out, done); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
	dec.DisallowUnknownFields()
	var doc jsonSummary
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("the JSON does not decode into jsonSummary: %v", err)
	}
	if strings.Contains(out.String(), "sk-secret") || doc.Config.APIKey != "[redacted]" || strings.Contains(doc.Config.BaseURL, ":p@") {
		t.Errorf("secrets in the JSON:\n%s", out.String())
	}
	if doc.Requests.Sent != 12 || doc.Requests.OK != 8 || doc.TTFTMs == nil || doc.TTFTMs.CI95 == nil || doc.Goodput == nil || len(doc.Samples.TPS) != 8 {
		t.Errorf("figures missing: %s", out.String())
	}
	if !slicesContain(doc.TTFTMs.Notes, "p99 rests on 8 samples (fewer than 100)") {
		t.Errorf("no p99 warning in %v", doc.TTFTMs.Notes)
	}
	// Golden, with the build's version masked.
	masked := regexp.MustCompile(`"version": "[^"]*"`).ReplaceAll(out.Bytes(), []byte(`"version": "VERSION"`))
	golden(t, "summary.golden.json", masked)
}

func slicesContain(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// Records from several machines are one run, lined up on wall-clock time.
func TestReportMergesFiles(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	write := func(name string, runStart time.Time, recs []Record) string {
		var b bytes.Buffer
		for i := range recs {
			line, _ := json.Marshal(recs[i].line(runStart))
			b.Write(append(line, '\n'))
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, b.Bytes(), 0o644)
		return p
	}
	a := write("a.jsonl", start, []Record{streamRec(0, 4, 100, 200, 300, 400)})
	b := write("b.jsonl", start.Add(time.Second), []Record{streamRec(0, 4, 100, 200, 300, 400)})
	files, err := readRecordFiles([]string{b, a})
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
		p := filepath.Join(dir, "bad.jsonl")
		os.WriteFile(p, []byte(bad), 0o644)
		if _, _, code := runCLI(t, "report", p); code != 2 {
			t.Errorf("report of %q: exit %d; want 2", bad, code)
		}
	}
}

func TestMannWhitney(t *testing.T) {
	seq := func(from, n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(from + i)
		}
		return xs
	}
	// scipy.stats.mannwhitneyu(range(1,11), range(11,21), method="asymptotic").pvalue
	if p := mannWhitneyP(seq(1, 10), seq(11, 10)); math.Abs(p-0.00018267) > 1e-6 {
		t.Errorf("p = %v; want 0.00018267", p)
	}
	if p := mannWhitneyP(seq(1, 4), seq(100, 4)); p != 1 {
		t.Errorf("4 samples a side: p = %v; want 1 (no verdict)", p)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	draw := func(n int, scale float64) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = scale * (40 + 5*rng.NormFloat64())
		}
		return xs
	}
	same := compareRuns(jsonSamples{TPS: draw(60, 1)}, jsonSamples{TPS: draw(60, 1)})
	slower := compareRuns(jsonSamples{TPS: draw(60, 1)}, jsonSamples{TPS: draw(60, 0.8)})
	if same[0].significant || !slower[0].significant || slower[0].change > -0.1 {
		t.Errorf("same: %+v; 20%% slower: %+v", same[0], slower[0])
	}
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

// The HTML report is well-formed, self-contained, and has one SVG per chart.
func TestHTMLReport(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "r.html")
	recs := filepath.Join(dir, "r.jsonl")
	if _, _, code := runCLI(t, append([]string{"--stream", "--sweep-concurrency", "1,2", "--requests-per-thread", "3", "--html", page, "--records", recs}, fastSimArgs...)...); code != 0 {
		t.Fatalf("exit %d", code)
	}
	rebuilt := filepath.Join(dir, "rebuilt.html")
	if _, _, code := runCLI(t, "report", recs, "--html", rebuilt); code != 0 {
		t.Fatalf("report: exit %d", code)
	}
	for _, p := range []string{page, rebuilt} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(bytes.NewReader(b))
		svgs := 0
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed: %v", p, err)
			}
			if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "svg" {
				svgs++
			}
		}
		// TPS histogram; TTFT, TPOT, E2E CDFs; ITL; in flight; tokens/s; sweep.
		if svgs != 8 {
			t.Errorf("%s: %d charts; want 8", p, svgs)
		}
		if s := string(b); strings.Contains(s, "<script") || strings.Contains(s, "src=") || strings.Contains(s, "href=") {
			t.Errorf("%s loads something from outside", p)
		}
	}
}

func TestProgressLine(t *testing.T) {
	p := &progress{total: 40}
	for range 10 {
		p.sentOne()
	}
	r := Record{OK: true, OutputTokens: 128}
	for range 4 {
		p.finished(&r)
	}
	p.finished(&Record{})
	want := "5/40 done  4 ok  1 failed  5 in flight  250 tok/s  10s elapsed  ETA 1m10s"
	if got := p.line(10*time.Second, 250); got != want {
		t.Errorf("line = %q; want %q", got, want)
	}
	// Not a terminal: no progress at all, so stderr stays clean.
	if newProgress(&bytes.Buffer{}, false, 10, 0) != nil {
		t.Error("a progress line on a non-terminal")
	}
	_, errOut, _ := runCLI(t, append([]string{"2", "--requests", "4"}, fastSimArgs...)...)
	if errOut != "" {
		t.Errorf("stderr of a run that is not on a terminal: %q", errOut)
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

// FuzzParseRecords: the records reader never panics, and whatever it accepts
// rebuilds a summary whose counts add up.
func FuzzParseRecords(f *testing.F) {
	seed := streamRec(0, 4, 100, 200, 300, 400)
	line, _ := json.Marshal(seed.line(time.Unix(1_800_000_000, 0)))
	f.Add(append(line, '\n'))
	f.Add([]byte(`{"run_start":"2026-11-27T12:00:00Z","index":1,"ok":false,"fail_kind":"http","send_ms":1,"done_ms":2}` + "\n"))
	f.Add([]byte("{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, _, err := parseRecordFile(bytes.NewReader(data))
		if err != nil {
			return
		}
		s := summarizeRecords(readBack(lines), sloBounds{})
		if s.OK+s.Failed+s.Cancelled != s.Total {
			t.Fatalf("%d ok + %d failed + %d cancelled != %d", s.OK, s.Failed, s.Cancelled, s.Total)
		}
	})
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
