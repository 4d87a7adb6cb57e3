package main

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
)

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
