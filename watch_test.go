package main

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestClientBound(t *testing.T) {
	healthy := clientHealth{Wall: time.Second, CPU: 200 * time.Millisecond, Cores: 2, SchedP50: 10 * time.Microsecond, SchedP99: 300 * time.Microsecond}
	if healthy.clientBound(100 * time.Millisecond) {
		t.Errorf("healthy: %q", clientBoundText(clientBoundFinding{health: healthy, latency: 100 * time.Millisecond}))
	}
	for _, sick := range []clientHealth{
		{Wall: time.Second, CPU: 1900 * time.Millisecond, Cores: 2},      // CPU saturated
		{Wall: time.Second, Cores: 2, SchedP50: 3 * time.Millisecond},    // runnable goroutines wait
		{Wall: time.Second, Cores: 2, SchedP99: 20 * time.Millisecond},   // over 5% of a 100 ms TTFT
		{Wall: time.Second, Cores: 2, GCPauseP99: 12 * time.Millisecond}, // long GC pauses
	} {
		note := clientBoundText(clientBoundFinding{health: sick, latency: 100 * time.Millisecond})
		if !sick.clientBound(100*time.Millisecond) || !strings.HasPrefix(note, "client-bound: ") || strings.HasPrefix(note, "client-bound: :") {
			t.Errorf("%+v: no warning (%q)", sick, note)
		}
	}
}

// A client starved of CPU (one P, and a goroutine spinning on it) gets the
// warning; the same run with CPU to spare does not.
func TestClientBoundEndToEnd(t *testing.T) {
	args := []string{"4", "--stream", "--requests-per-thread", "3"}
	// (That a healthy client raises nothing is TestClientBound's: on a shared
	// test machine a real run may well be short of CPU.)
	out, _, _ := runCLI(t, withSim(fastSim, args...)...)
	if !strings.Contains(out, "  Client: CPU ") {
		t.Errorf("no Client line:\n%s", out)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	out, _, _ = runCLI(t, withSim(slowSim, args...)...)
	close(done)
	if !strings.Contains(out, "  - client-bound: ") {
		t.Errorf("starved run:\n%s", out)
	}
}
