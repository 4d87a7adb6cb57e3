package main

import (
	"strings"
	"testing"
)

var fastSimArgs = []string{"--sim", "--sim-ttft", "2ms", "--sim-rate", "2000", "--sim-jitter", "0", "--max-tokens", "8"}

func TestWarmupAndGoodput(t *testing.T) {
	args := append([]string{"2", "--stream", "--warmup", "3", "--requests", "6", "--slo", "ttft=1ms"}, fastSimArgs...)
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
	out, _, _ = runCLI(t, append([]string{"2", "--stream", "--requests", "4", "--slo", "ttft=30s,e2e=60s"}, fastSimArgs...)...)
	if !strings.Contains(out, "(4 of 4 requests, 100.0%, within ttft<=30s, e2e<=1m0s;") {
		t.Errorf("generous SLO: output:\n%s", out)
	}
}

func TestOpenLoopReport(t *testing.T) {
	out, _, code := runCLI(t, append([]string{"4", "--stream", "--rate", "200", "--requests", "10", "--seed", "3"}, fastSimArgs...)...)
	for _, want := range []string{"Load: open loop at 200 req/s, Poisson arrivals, seed 3\n", "Client queue (ms, t_send - t_sched):", "TTFT incl. queue (ms):", "Samples: 10 ok"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}
	// A cap of one in flight makes requests wait: the report says so.
	out, _, _ = runCLI(t, append([]string{"4", "--stream", "--rate", "inf", "--max-concurrency", "1", "--requests", "6"}, append(fastSimArgs, "--sim-ttft", "30ms")...)...)
	if !strings.Contains(out, "WARNING: requests started late") {
		t.Errorf("no late-start warning with --max-concurrency 1 at rate inf:\n%s", out)
	}
}
