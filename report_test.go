package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// goldenRecords is a fixed run: no clock, no network.
func goldenRecords() []Record {
	var recs []Record
	for i := range 8 {
		start := i * 100
		chunks := make([]int, 0, 16)
		for j := range 16 {
			chunks = append(chunks, start+150+i*3+j*(25+i))
		}
		r := streamRec(start, 16, chunks...)
		r.Index, r.InputTokens = i, 31
		if i < 4 { // the first request of each thread opened a connection
			r.NewConn, r.Connect = true, time.Duration(i+1)*time.Millisecond
		}
		if i == 5 {
			r.TokenSource, r.UsageTokens, r.TiktokenTokens = "tiktoken", -1, 16
			r.InputTokens = -1
		}
		if i == 6 { // cross-checked: tiktoken counted 2 more
			r.TiktokenTokens = 18
		}
		recs = append(recs, r)
	}
	for i := range 3 {
		r := newRecord(8+i, true)
		r.Send, r.Done = time.Duration(900+i)*time.Millisecond, time.Duration(950+i)*time.Millisecond
		r.fail(failHTTP, `HTTP 404: model "foo" not found`)
		recs = append(recs, r)
	}
	r := newRecord(11, true)
	r.Send, r.Done = 1000*time.Millisecond, 1100*time.Millisecond
	r.fail(failTimeout, "timeout after 100ms")
	return append(recs, r)
}

func TestReportGolden(t *testing.T) {
	var b bytes.Buffer
	cfg := &config{
		threads: 4, requestsPerThread: 3, baseURL: "http://user:secret@localhost:11434/v1", model: "llama3.1:8b",
		timeout: 120, maxTokens: 16, stream: true, sim: true, simConfig: sim.DefaultConfig(),
	}
	writeHeader(&b, cfg, cfg.baseURL, "")
	writeText(&b, summarizeRecords(goldenRecords(), sloBounds{}))
	golden(t, "report-stream.golden", b.Bytes())
}

// A non-streamed run prints no streaming figures, and n/a where nothing
// succeeded.
func TestReportGoldenNoSuccess(t *testing.T) {
	var b bytes.Buffer
	r := newRecord(0, false)
	r.Send, r.Done = 0, time.Millisecond
	r.fail(failHTTP, "HTTP 500: boom")
	writeText(&b, summarizeRecords([]Record{r}, sloBounds{}))
	golden(t, "report-failed.golden", b.Bytes())
}

// The README pastes `tpsbench -h`; it must not drift from the real thing.
func TestREADMEHasCurrentHelp(t *testing.T) {
	help, _, code := runCLI(t, "-h")
	readme, err := os.ReadFile("README.md")
	if err != nil || code != 0 {
		t.Fatalf("exit %d, %v", code, err)
	}
	if !bytes.Contains(readme, []byte("```\n"+help+"```\n")) {
		t.Errorf("README.md does not contain the current -h output; paste it in:\n%s", help)
	}
}
