package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCLIAgainstSimulator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		wants []string
	}{
		{
			name: "stream with usage",
			args: []string{"3", "--stream", "--requests-per-thread", "2"},
			wants: []string{
				"Starting benchmark: threads=3, requests_per_thread=2, total=6\n",
				"Samples: 6 ok / 0 failed (total 6)\n",
				"Tokens: output=96 input=",
				"(source: usage 6, tiktoken 0)\n",
				"TTFT (ms):\n", "TPOT (ms/token):\n", "ITL (ms, per chunk):\n", "Decode TPS (tokens/sec):\n",
				"Chunks: 96 token-bearing for 96 tokens\n",
			},
		},
		{
			// The simulator's words are one token each: tiktoken must agree
			// with the usage the simulator would have sent.
			name:  "no usage: tiktoken counts",
			args:  []string{"2", "--stream", "--sim-no-usage"},
			wants: []string{"Samples: 10 ok / 0 failed (total 10)\n", "Tokens: output=160 input=n/a (source: usage 0, tiktoken 10)\n"},
		},
		{
			name:  "force tiktoken",
			args:  []string{"2", "--force-tiktoken"},
			wants: []string{"Tokens: output=160 input=", "(source: usage 0, tiktoken 10)\n"},
		},
		{
			name:  "not streamed: no TTFT",
			args:  []string{"2", "--requests-per-thread", "1"},
			wants: []string{"Samples: 2 ok / 0 failed (total 2)\n", "TPS (tokens/sec):\n    mean=", "E2E latency (ms):\n"},
		},
		{
			name:  "options before the threads",
			args:  []string{"--model", "qwen2.5:7b", "--requests-per-thread", "1", "4"},
			wants: []string{"threads=4, requests_per_thread=1, total=4\n", "model=qwen2.5:7b, timeout=120.0s, max_tokens=16\n"},
		},
		{
			name:  "openai shape: a role-only first chunk is no token",
			args:  []string{"2", "--stream", "--sim-style", "openai"},
			wants: []string{"Samples: 10 ok / 0 failed (total 10)\n", "Chunks: 160 token-bearing for 160 tokens\n"},
		},
		{
			name:  "llama.cpp shape: usage on the finish chunk",
			args:  []string{"2", "--stream", "--sim-style", "llamacpp"},
			wants: []string{"(source: usage 10, tiktoken 0)\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := runCLI(t, withSim(fastSim, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", code, errOut, out)
			}
			for _, want := range tt.wants {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "TTFT (ms):") != strings.Contains(strings.Join(tt.args, " "), "--stream") {
				t.Errorf("TTFT shown = %v; want it exactly when streaming:\n%s", strings.Contains(out, "TTFT (ms):"), out)
			}
		})
	}
}

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
	out, _, code := runCLI(t, "1", "--base-url", url, "--requests-per-thread", "4")
	if code != 1 || !strings.Contains(out, "Samples: 2 ok / 2 failed (total 4)\n") || !strings.Contains(out, "  2 x HTTP 500: boom\n") {
		t.Errorf("exit %d; want 1 with 2 ok, 2 failed:\n%s", code, out)
	}
	if !strings.Contains(out, "Tokens: output=4 input=6 (source: usage 2, tiktoken 0)\n") {
		t.Errorf("token line wrong:\n%s", out)
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
	var out, errb bytes.Buffer
	records := filepath.Join(t.TempDir(), "run.jsonl")
	err := runCommandLine(ctx, []string{"2", "--base-url", url, "--stream", "--grace", "10ms", "--records", records}, &out, &errb)
	if code := exitCode(err, &errb); code != 130 {
		t.Errorf("exit %d; want 130", code)
	}
	if f, err := readRecordFile(records); err != nil || len(f.lines) != 2 || f.lines[0].FailKind != failCancelled {
		t.Errorf("records file: %d lines, %v; want both requests, cancelled", len(f.lines), err)
	}
	for _, want := range []string{"Samples: 0 ok / 0 failed (total 0)\n", "Cancelled: 2 in flight when the run was stopped", "Interrupted:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// Interrupted mid-run against the simulator: complete records of every
// request sent, and a report.
func TestInterruptedSimRunKeepsRecords(t *testing.T) {
	t.Parallel()
	recs := filepath.Join(t.TempDir(), "run.jsonl")
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel) // whenever it lands, the invariants hold
	var out, errb bytes.Buffer
	err := runCommandLine(ctx, withSim(slowSim, "4", "--stream", "--records", recs, "--grace", "50ms", "--requests-per-thread", "50"), &out, &errb)
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

// Under every fault of the simulator tpsbench keeps running, counts every
// request once (ok, failed with its reason, or cancelled), and leaves no
// goroutine behind. Not parallel: it counts the whole process's goroutines.
func TestFaults(t *testing.T) {
	tests := []struct {
		name    string
		flags   []string
		samples string // the Samples line
		reason  string // the grouped error line, if any
		code    int
	}{
		{"server errors", []string{"--sim-error-rate", "1"}, "Samples: 0 ok / 8 failed", "8 x HTTP 500: simulated server error", 1},
		{"rate limited", []string{"--sim-rate-limit", "1", "--sim-ttft", "50ms"}, " failed (total 8)\n", "x HTTP 429: simulated rate limit", 1},
		{"connection dropped mid-stream", []string{"--sim-drop-after", "3"}, "Samples: 0 ok / 8 failed", "8 x stream cut mid-answer: connection closed by the server", 1},
		{"connection dropped before a token", []string{"--sim-drop-after", "0"}, "Samples: 0 ok / 8 failed", "8 x stream cut before the first token: connection closed by the server", 1},
		{"stalled stream", []string{"--sim-stall-after", "2", "--timeout", "0.2"}, "Samples: 0 ok / 8 failed", "8 x stream cut mid-answer: timeout after 200ms", 1},
		{"garbage", []string{"--sim-garbage"}, "Samples: 0 ok / 8 failed", "8 x malformed stream chunk: invalid JSON", 1},
		{"no [DONE]", []string{"--sim-no-done"}, "Samples: 8 ok / 0 failed", "", 0},
		{"no usage", []string{"--sim-no-usage"}, "Samples: 8 ok / 0 failed", "", 0},
		{"4 MiB event", []string{"--sim-huge-line"}, "Samples: 8 ok / 0 failed", "", 0},
		{"endless answer", []string{"--sim-endless", "--timeout", "0.2"}, "Samples: 0 ok / 8 failed", "8 x stream cut mid-answer: timeout after 200ms", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			args := append(withSim(fastSim, "4", "--stream", "--requests-per-thread", "2"), tt.flags...)
			out, errOut, code := runCLI(t, args...)
			if code != tt.code || !strings.Contains(out, tt.samples) {
				t.Fatalf("exit %d (want %d); stderr %q; want %q:\n%s", code, tt.code, errOut, tt.samples, out)
			}
			if tt.reason != "" && !strings.Contains(out, tt.reason) {
				t.Errorf("output lacks %q:\n%s", tt.reason, out)
			}
			if strings.Contains(out, "BUG:") {
				t.Errorf("a request went unrecorded:\n%s", out)
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

func TestWarmupAndGoodput(t *testing.T) {
	t.Parallel()
	args := withSim(fastSim, "2", "--stream", "--warmup", "3", "--requests", "6", "--slo", "ttft=1ms")
	args = append(args, "--sim-ttft", "20ms")
	out, _, code := runCLI(t, args...)
	for _, want := range []string{
		"Warm-up: 3 requests sent first (3 ok / 0 failed), left out of every figure\n",
		"Samples: 6 ok / 0 failed (total 6)\n",
		"Goodput: 0.000 req/sec (0 of 6 requests, 0.0%, within ttft<=1ms;",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}
	out, _ = runExpect(t, 0, withSim(fastSim, "2", "--stream", "--requests", "4", "--slo", "ttft=30s,e2e=60s")...)
	if !strings.Contains(out, "(4 of 4 requests, 100.0%, within ttft<=30s, e2e<=1m0s;") {
		t.Errorf("generous SLO: output:\n%s", out)
	}
}

func TestOpenLoopReport(t *testing.T) {
	t.Parallel()
	out, _, code := runCLI(t, withSim(fastSim, "4", "--stream", "--rate", "200", "--requests", "10", "--seed", "3")...)
	for _, want := range []string{"Load: open loop at 200 req/s, Poisson arrivals, seed 3\n", "Client queue (ms, t_send - t_sched):", "TTFT incl. queue (ms):", "Samples: 10 ok"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}
	// A cap of one in flight makes requests wait: the report says so.
	out, _ = runExpect(t, 0, append(withSim(fastSim, "4", "--stream", "--rate", "inf", "--max-concurrency", "1", "--requests", "6"), "--sim-ttft", "30ms")...)
	if !strings.Contains(out, "WARNING: requests started late") {
		t.Errorf("no late-start warning with --max-concurrency 1 at rate inf:\n%s", out)
	}
}

// --probe runs the probe first and, having found /metrics, reports the
// server's counters beside the client's.
func TestProbeThenMetricsInTheReport(t *testing.T) {
	t.Parallel()
	out, _, code := runCLI(t, withSim(fastSim, "2", "--stream", "--requests", "4", "--probe", "--sim-metrics")...)
	for _, want := range []string{"Probe of http://127.0.0.1:", "Starting benchmark:", "  Server metrics (http://127.0.0.1:", "    generated tokens: 64 (client counted 64)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}
}
