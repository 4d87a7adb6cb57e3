package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTrustChecks(t *testing.T) {
	t.Parallel()
	var recs []Record
	for i := range 6 {
		// 8 tokens in 4 chunks; the server was asked for 4.
		r := streamRec(i*1000, 8, i*1000+100, i*1000+110, i*1000+120, i*1000+130)
		r.MaxTokens = 4
		r.TiktokenTokens = 6
		recs = append(recs, r)
	}
	recs[0].Chunks[0] = 900 * time.Millisecond // the first request waited 900 ms for its first token
	recs[0].FirstAnswer = recs[0].Chunks[0]
	found, cross := trustChecks(recs)
	var notes []string
	for _, f := range found {
		notes = append(notes, findingText(f))
	}
	for _, want := range []string{
		"6 answers were longer than max_tokens (up to 8 tokens)",
		"24 chunks carried 48 tokens (2.0 per chunk)",
		"the first request took 900ms against a median of 100ms",
	} {
		if !strings.Contains(strings.Join(notes, "\n"), want) {
			t.Errorf("checks lack %q: %q", want, notes)
		}
	}
	if cross.N != 6 || cross.Median != -0.25 || cross.Worst != -0.25 {
		t.Errorf("cross-check = %+v; want 6 answers at -25%%", cross)
	}
	// A healthy run raises nothing.
	healthy := []Record{streamRec(0, 2, 100, 200), streamRec(0, 2, 100, 200)}
	if found, _ := trustChecks(healthy); len(found) != 0 {
		t.Errorf("healthy run: %v", found)
	}
}

func TestNoUsageCheckEndToEnd(t *testing.T) {
	t.Parallel()
	out, _ := runExpect(t, 0, withSim(fastSim, "2", "--stream", "--requests", "4", "--sim-no-usage")...)
	if !strings.Contains(out, "  - 4 of 4 answers had no usage") {
		t.Errorf("no check for missing usage:\n%s", out)
	}
	out, _ = runExpect(t, 0, withSim(fastSim, "2", "--stream", "--requests", "4", "--cross-check")...)
	if strings.Contains(out, "had no usage") || !strings.Contains(out, "Token cross-check: tiktoken counts +0.0% (median; worst +0.0%) against the server's usage over 4 answers") {
		t.Errorf("healthy simulated run:\n%s", out)
	}
}

// Thinking tokens reported apart, and cached prompts flagged.
func TestReasoningTokensAndCachedPrompts(t *testing.T) {
	t.Parallel()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"choices":[{"message":{"reasoning_content":"hmm","content":"hi"},"finish_reason":"stop"}],`+
			`"usage":{"prompt_tokens":40,"completion_tokens":12,"completion_tokens_details":{"reasoning_tokens":9},"prompt_tokens_details":{"cached_tokens":32}}}`)
	})
	out, _, code := runCLI(t, "2", "--base-url", url, "--requests", "4")
	for _, want := range []string{
		"  Reasoning: 36 of the 48 output tokens were thinking (the server's reasoning_tokens, 4 answers)",
		"  - 4 answers had cached prompt tokens (128 of their 160 prompt tokens)",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}
}

func TestColdStartAndReloadsCaught(t *testing.T) {
	t.Parallel()
	out, _ := runExpect(t, 0, withSim(slowSim, "1", "--stream", "--api", "ollama", "--requests", "6", "--no-preload",
		"--sim-load-time", "300ms", "--sim-reload-every", "4")...)
	for _, want := range []string{"2 measured requests waited for the model to load (up to 0.3", "model load (ms): mean=3"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestParallelismEstimate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ parallel, want string }{{"1", "1 request at a time"}, {"2", "2 requests at a time"}} {
		out, _ := runExpect(t, 0, withSim(slowSim, "6", "--stream", "--requests", "12", "--sim-parallel", tt.parallel)...)
		if !strings.Contains(out, "Server parallelism: the server appears to run "+tt.want) {
			t.Errorf("parallel %s: output lacks %q:\n%s", tt.parallel, tt.want, out)
		}
	}
}

func TestServerBusyCountedApart(t *testing.T) {
	t.Parallel()
	out, _, code := runCLI(t, withSim(slowSim, "6", "--stream", "--requests", "12", "--sim-parallel", "1", "--sim-max-queue", "1")...)
	if code != 1 || !strings.Contains(out, `requests got HTTP 503 "server busy"`) || !strings.Contains(out, "x HTTP 503: server busy") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
