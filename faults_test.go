package main

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Under every fault of the simulator tpsbench keeps running, counts every
// request once (ok, failed with its reason, or cancelled), and leaves no
// goroutine behind.
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
			args := append([]string{"4", "--sim", "--stream", "--requests-per-thread", "2", "--max-tokens", "8",
				"--sim-ttft", "1ms", "--sim-rate", "2000"}, tt.flags...)
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
