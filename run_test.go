package main

import (
	"cmp"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmark against the simulator in each of its shapes: the figures
// (on the JSON summary) add up to what was asked for.
func TestCLIAgainstSimulator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		args               []string
		threads, perThread int
		model              string
		usage              bool // counted by the server's usage (else tiktoken)
		input              bool // prompt tokens reported
	}{
		{name: "stream with usage", args: []string{"3", "--stream", "--requests-per-thread", "2"},
			threads: 3, perThread: 2, usage: true, input: true},
		// The simulator's words are one token each: tiktoken must agree with
		// the usage the simulator would have sent.
		{name: "no usage: tiktoken counts", args: []string{"2", "--stream", "--sim-no-usage"}, threads: 2, perThread: 5},
		{name: "force tiktoken", args: []string{"2", "--force-tiktoken"}, threads: 2, perThread: 5, input: true},
		{name: "not streamed: no TTFT", args: []string{"2", "--requests-per-thread", "1"}, threads: 2, perThread: 1, usage: true, input: true},
		{name: "options before the threads", args: []string{"--model", "qwen2.5:7b", "--requests-per-thread", "1", "4"},
			threads: 4, perThread: 1, model: "qwen2.5:7b", usage: true, input: true},
		{name: "openai shape: a role-only first chunk is no token", args: []string{"2", "--stream", "--sim-style", "openai"},
			threads: 2, perThread: 5, usage: true, input: true},
		{name: "llama.cpp shape: usage on the finish chunk", args: []string{"2", "--stream", "--sim-style", "llamacpp"},
			threads: 2, perThread: 5, usage: true, input: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, text := runJSON(t, 0, withSim(fastSim, tt.args...)...)
			stream := slices.Contains(tt.args, "--stream")
			c, n := doc.Config, tt.threads*tt.perThread
			if c.Threads != tt.threads || c.RequestsPerThread != tt.perThread || c.Model != cmp.Or(tt.model, defaultModel) ||
				c.TimeoutS != 120 || c.MaxTokens != 16 || c.Stream != stream {
				t.Errorf("config %+v; want %d threads x %d, model %q, 120 s, 16 tokens, stream %v", *c, tt.threads, tt.perThread, tt.model, stream)
			}
			if r := doc.Requests; r.Sent != n || r.OK != n || r.Failed != 0 || r.Cancelled != 0 {
				t.Errorf("requests %+v; want %d sent, all ok", r, n)
			}
			tok := doc.Tokens
			usage, tiktoken := n, 0
			if !tt.usage {
				usage, tiktoken = 0, n
			}
			if tok.Output != 16*n || tok.FromUsage != usage || tok.FromTiktoken != tiktoken || (tok.Input != nil) != tt.input {
				t.Errorf("tokens %+v (input %v); want %d from usage %d, tiktoken %d, input reported %v", tok, tok.Input, 16*n, usage, tiktoken, tt.input)
			}
			if chunks := map[bool]int{true: 16 * n}[stream]; tok.Chunks != chunks {
				t.Errorf("%d token-bearing chunks; want %d", tok.Chunks, chunks)
			}
			if doc.TPS == nil || doc.E2EMs == nil {
				t.Errorf("no TPS or E2E figures")
			}
			streamed := []*jsonDist{doc.TTFTMs, doc.TPOTMs, doc.ITLMs, doc.DecodeTPS}
			for i, d := range streamed {
				if (d != nil) != stream {
					t.Errorf("streaming figure %d given = %v; want it exactly when streaming", i, d != nil)
				}
			}
			if strings.Contains(text, "TTFT (ms):") != stream {
				t.Errorf("TTFT shown = %v; want it exactly when streaming:\n%s", !stream, text)
			}
		})
	}
}

// Nothing listening: one line on stderr, no report, exit status 1.
func TestCLIConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	out, errOut, code := runCLI(t, "8", "--base-url", "http://"+addr+"/v1")
	want := "tpsbench: cannot reach http://" + addr + "/v1: connection refused; is the server running?\n"
	if code != 1 || errOut != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, errOut, want)
	}
	if strings.Contains(out, "Results") {
		t.Errorf("a run that reached nothing printed a report:\n%s", out)
	}
}

// Some requests ok, some failed: the full report, then exit status 1.
func TestCLIPartialFailure(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			http.Error(w, `{"error":"boom"}`, 500)
			return
		}
		io.WriteString(w, `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}}`)
	})
	doc, _ := runJSON(t, 1, "1", "--base-url", url, "--requests-per-thread", "4")
	if r := doc.Requests; r.Sent != 4 || r.OK != 2 || r.Failed != 2 || !slices.Equal(doc.Errors, []ErrorCount{{"HTTP 500: boom", 2}}) {
		t.Errorf("requests %+v, errors %v; want 2 ok, 2 failed with HTTP 500: boom", r, doc.Errors)
	}
	if tok := doc.Tokens; tok.Output != 4 || tok.Input == nil || *tok.Input != 6 || tok.FromUsage != 2 || tok.FromTiktoken != 0 {
		t.Errorf("tokens %+v; want 4 out, 6 in, both answers from usage", tok)
	}
}

// Ctrl-C: in-flight requests are cancelled, counted apart, kept out of
// every figure, and the report still comes out.
func TestInterruptedRun(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 16)
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		select { // hold every request until the client gives up
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		<-arrived // both workers are in flight
		cancel()
	}()
	records := testPath(t, "run.jsonl")
	out, text, code := runCLIContext(ctx, t, "2", "--base-url", url, "--stream", "--grace", "10ms", "--records", records, "--json", "-")
	if code != 130 {
		t.Errorf("exit %d; want 130", code)
	}
	if lines := readRecordLines(t, records); len(lines) != 2 || lines[0].FailKind != failCancelled || lines[1].FailKind != failCancelled {
		t.Errorf("records file: %d lines; want both requests, cancelled", len(lines))
	}
	if r := decodeSummary(t, out).Requests; r.Sent != 2 || r.OK != 0 || r.Failed != 0 || r.Cancelled != 2 {
		t.Errorf("requests %+v; want 2 sent, both cancelled", r)
	}
	expectText(t, text, "\nInterrupted: ")
}

// Interrupted mid-run against the simulator: complete records of every
// request sent, and a report.
func TestInterruptedSimRunKeepsRecords(t *testing.T) {
	t.Parallel()
	recs := testPath(t, "run.jsonl")
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel) // whenever it lands, the invariants hold
	out, text, code := runCLIContext(ctx, t, withSim(slowSim, "4", "--stream", "--records", recs, "--grace", "50ms", "--requests-per-thread", "50", "--json", "-")...)
	if code != 130 {
		t.Fatalf("exit %d; want 130\n%s", code, text)
	}
	lines := readRecordLines(t, recs)
	s := summarizeRecords(readBack(lines), sloBounds{})
	doc := decodeSummary(t, out)
	if r := doc.Requests; r.Sent != len(lines) || r.OK != s.OK || r.Failed != s.Failed || r.Cancelled != s.Cancelled || doc.Tokens.Output != s.OutputTokens {
		t.Errorf("report: %+v, %d tokens; the %d records: %d ok, %d failed, %d cancelled, %d tokens", r, doc.Tokens.Output, len(lines), s.OK, s.Failed, s.Cancelled, s.OutputTokens)
	}
	if len(lines) >= 200 || strings.Contains(text, "BUG:") {
		t.Errorf("%d records of 200 requests; want fewer, each recorded:\n%s", len(lines), text)
	}
}

// Under every fault of the simulator tpsbench keeps running, counts every
// request once (ok, failed with its reason, or cancelled), and leaves no
// goroutine behind. Not parallel: it counts the whole process's goroutines.
func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		flags  []string
		ok     int    // answers ok of 8; -1 when it depends on timing
		reason string // the start of the one failure reason, if any
		code   int
	}{
		{"server errors", []string{"--sim-error-rate", "1"}, 0, "HTTP 500: simulated server error", 1},
		{"rate limited", []string{"--sim-rate-limit", "1", "--sim-ttft", "50ms"}, -1, "HTTP 429: simulated rate limit", 1},
		{"connection dropped mid-stream", []string{"--sim-drop-after", "3"}, 0, "stream cut mid-answer: connection closed by the server", 1},
		{"connection dropped before a token", []string{"--sim-drop-after", "0"}, 0, "stream cut before the first token: connection closed by the server", 1},
		{"stalled stream", []string{"--sim-stall-after", "2", "--timeout", "0.2"}, 0, "stream cut mid-answer: timeout after 200ms", 1},
		{"garbage", []string{"--sim-garbage"}, 0, "malformed stream chunk: invalid JSON", 1},
		{"no [DONE]", []string{"--sim-no-done"}, 8, "", 0},
		{"no usage", []string{"--sim-no-usage"}, 8, "", 0},
		{"4 MiB event", []string{"--sim-huge-line"}, 8, "", 0},
		{"endless answer", []string{"--sim-endless", "--timeout", "0.2"}, 0, "stream cut mid-answer: timeout after 200ms", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			doc, text := runJSON(t, tt.code, append(withSim(fastSim, "4", "--stream", "--requests-per-thread", "2"), tt.flags...)...)
			r := doc.Requests
			if r.Sent != 8 || r.OK+r.Failed != 8 || r.Cancelled != 0 || (tt.ok >= 0 && r.OK != tt.ok) {
				t.Errorf("requests %+v; want 8 sent, each ok or failed once (%d ok)", r, tt.ok)
			}
			switch {
			case tt.reason == "" && len(doc.Errors) > 0:
				t.Errorf("errors %v; want none", doc.Errors)
			case tt.reason != "" && (len(doc.Errors) != 1 || !strings.HasPrefix(doc.Errors[0].Reason, tt.reason) || doc.Errors[0].Count != r.Failed):
				t.Errorf("errors %v; want all %d failures for %q", doc.Errors, r.Failed, tt.reason)
			}
			if strings.Contains(text, "BUG:") {
				t.Errorf("a request went unrecorded:\n%s", text)
			}
			waitGoroutines(t, before)
		})
	}
}

// waitGoroutines fails if goroutines started by a run outlive it. Closed
// connections take a moment to wind down, so it waits up to 5 s for the
// count to come back.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after the run, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Warm-up requests are sent first and left out of every figure; goodput
// counts the requests within the SLO.
func TestWarmupAndGoodput(t *testing.T) {
	t.Parallel()
	doc, text := runJSON(t, 0, append(withSim(fastSim, "2", "--stream", "--warmup", "3", "--requests", "6", "--slo", "ttft=1ms"), "--sim-ttft", "20ms")...)
	expectText(t, text, "\nWarm-up: 3 requests sent first (3 ok / 0 failed), left out of every figure\n")
	if r := doc.Requests; r.Sent != 6 || r.OK != 6 || r.Failed != 0 || doc.TTFTMs == nil || doc.TTFTMs.Count != 6 || doc.Config.WarmupRequests != 3 {
		t.Errorf("requests %+v, TTFTs %+v; want the 6 measured ones only", r, doc.TTFTMs)
	}
	if g := doc.Goodput; g == nil || *g != (jsonGoodput{SLO: "ttft<=1ms", Good: 0, ReqS: 0, Fraction: 0}) {
		t.Errorf("goodput %+v; want none of 6 within ttft<=1ms", g)
	}
	doc, _ = runJSON(t, 0, withSim(fastSim, "2", "--stream", "--requests", "4", "--slo", "ttft=30s,e2e=60s")...)
	if g := doc.Goodput; g == nil || g.SLO != "ttft<=30s, e2e<=1m0s" || g.Good != 4 || g.Fraction != 1 || g.ReqS <= 0 {
		t.Errorf("generous SLO: goodput %+v; want all 4", g)
	}
}

// Open loop: the report gives the client's queue and the latency a user
// arriving on schedule saw, and warns when requests started late.
func TestOpenLoopReport(t *testing.T) {
	t.Parallel()
	doc, text := runJSON(t, 0, withSim(fastSim, "4", "--stream", "--rate", "200", "--requests", "10", "--seed", "3")...)
	expectText(t, text, "\nLoad: open loop at 200 req/s, Poisson arrivals, seed 3\n")
	c := doc.Config
	if c.RatePerS == nil || *c.RatePerS != 200 || c.Burstiness != 1 || c.Seed == nil || *c.Seed != 3 || doc.Requests.OK != 10 {
		t.Errorf("config %+v, requests %+v; want 10 ok at 200/s, seed 3", *c, doc.Requests)
	}
	for name, d := range map[string]*jsonDist{"client queue": doc.ClientQueueMs, "E2E incl. queue": doc.E2EInclQueueMs, "TTFT incl. queue": doc.TTFTInclQueueMs} {
		if d == nil || d.Count != 10 {
			t.Errorf("%s: %+v; want 10 samples", name, d)
		}
	}
	// A cap of one in flight makes requests wait: the report says so.
	doc, text = runJSON(t, 0, append(withSim(fastSim, "4", "--stream", "--rate", "inf", "--max-concurrency", "1", "--requests", "6"), "--sim-ttft", "30ms")...)
	if q := doc.ClientQueueMs; q == nil || q.P95 <= maxScheduleLagMs || !strings.Contains(text, "  WARNING: requests started late") {
		t.Errorf("client queue %+v; want a p95 over %d ms and the late-start warning with --max-concurrency 1 at rate inf:\n%s", q, maxScheduleLagMs, text)
	}
}

// --probe runs the probe first and, having found /metrics, reports the
// server's counters beside the client's.
func TestProbeThenMetricsInTheReport(t *testing.T) {
	t.Parallel()
	doc, text := runJSON(t, 0, withSim(fastSim, "2", "--stream", "--requests", "4", "--probe", "--sim-metrics")...)
	probe, header, found := strings.Cut(text, "\nStarting benchmark:")
	if !found || !strings.HasPrefix(probe, "Probe of http://127.0.0.1:") {
		t.Errorf("want the probe's table, then the header:\n%s", text)
	}
	m := doc.ServerMetrics
	if m == nil || !strings.HasPrefix(m.URL, "http://127.0.0.1:") || m.GeneratedTokens == nil || *m.GeneratedTokens != 64 || doc.Tokens.Output != 64 {
		t.Errorf("server metrics %+v, client counted %d; want 64 tokens generated, 64 counted", m, doc.Tokens.Output)
	}
	expectText(t, header, "\n  Server metrics (http://127.0.0.1:")
}

// A sweep interrupted before its first level still reports as a sweep.
func TestSweepInterruptedBeforeItsFirstLevel(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 8)
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so the server sees the client hang up
		arrived <- struct{}{}
		<-r.Context().Done() // the warm-up never ends on its own
	})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		cancel()
	}()
	out, _, code := runCLIContext(ctx, t, "--sweep-concurrency", "1,2", "--requests-per-thread", "1", "--warmup", "1", "--grace", "10ms", "--base-url", url)
	if code != 130 || !strings.Contains(out, "\nSweep:\n") || strings.Contains(out, "Results:") {
		t.Errorf("exit %d; want 130 and the sweep's table:\n%s", code, out)
	}
}

// A sweep level cut short by Ctrl-C shows its cancelled requests, in its
// line and in the table.
func TestSweepLevelInterruptedShowsCancelled(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	held := make(chan struct{}, 8)
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if n.Add(1) == 1 { // level 1's one request
			io.WriteString(w, okAnswer)
			return
		}
		held <- struct{}{}
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-held
		<-held // level 2's two requests are in flight
		cancel()
	}()
	out, _, code := runCLIContext(ctx, t, "--sweep-concurrency", "1,2", "--requests-per-thread", "1", "--grace", "10ms", "--base-url", url)
	if code != 130 {
		t.Errorf("exit %d; want 130", code)
	}
	expectText(t, out, "Level c=2: 0 ok / 0 failed / 2 cancelled, ", "  failed  cancelled  output tok/s", "\n      c=2   0       0          2 ")
}

// A Ctrl-C before the first request (while Ollama loads the model, while
// the probe asks) ends the run cleanly: nothing is sent, no empty results,
// one line says so, the files asked for are written with what was learned,
// and the exit status is 130.
func TestInterruptBeforeTheRun(t *testing.T) {
	t.Parallel()
	ollama := map[string]string{"GET /api/version": `{"version":"0.9.0"}`, "GET /api/ps": `{"models":[]}`,
		"GET /api/tags": `{"models":[{"name":"m"}]}`, "POST /api/show": `{"details":{"family":"llama"}}`, "POST /v1/chat/completions": okAnswer}
	tests := []struct {
		name, stall string
		answers     map[string]string
		args        []string
		says        string
		server      string // the fingerprint's, "" when none was taken
	}{
		{"preload", "POST /api/chat", ollama, nil, "\nModel load: interrupted\n", "Ollama"},
		{"probe", "GET /v1/models", nil, []string{"--probe"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root, stalled := stallServer(t, tt.answers)
			ctx, cancel := context.WithCancel(t.Context())
			go func() {
				if <-stalled == tt.stall {
					cancel()
				}
			}()
			jsonPath := testPath(t, "run.json")
			args := append([]string{"1", "--base-url", root + "/v1", "--model", "m", "--requests", "1", "--timeout", "600", "--json", jsonPath}, tt.args...)
			out, errOut, code := runCLIContext(ctx, t, args...)
			if code != 130 {
				t.Errorf("exit %d; want 130\n%s%s", code, out, errOut)
			}
			expectText(t, out, tt.says, "Interrupted before the run: no request was sent.\n")
			for _, never := range []string{"Sending requests", "Results:", "context canceled", "failed (", "Interrupted: "} {
				if strings.Contains(out+errOut, never) {
					t.Errorf("output holds %q:\n%s%s", never, out, errOut)
				}
			}
			var doc jsonSummary
			readJSON(t, jsonPath, &doc)
			server := ""
			if doc.Fingerprint != nil {
				server = doc.Fingerprint.Server
			}
			if doc.Requests.Sent != 0 || server != tt.server {
				t.Errorf("requests %+v, server %q; want nothing sent, server %q", doc.Requests, server, tt.server)
			}
		})
	}
}
