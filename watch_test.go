package main

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// clientBound flags each kind of starved client, and a healthy one not.
func TestClientBound(t *testing.T) {
	t.Parallel()
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
// warning; a run with CPU to spare reports the client's health. Not
// parallel: GOMAXPROCS is the whole process's.
func TestClientBoundEndToEnd(t *testing.T) {
	args := []string{"4", "--stream", "--requests-per-thread", "3"}
	// (That a healthy client raises nothing is TestClientBound's: on a shared
	// test machine a real run may well be short of CPU.)
	doc, text := runJSON(t, 0, withSim(fastSim, args...)...)
	if !strings.Contains(text, "  Client: CPU ") || doc.Client == nil || doc.Client.Cores < 1 || doc.Client.WallS <= 0 {
		t.Errorf("no client health (JSON %+v):\n%s", doc.Client, text)
	}
	out := starved(func() string {
		out, _ := runExpect(t, 0, withSim(slowSim, args...)...)
		return out
	})
	if !strings.Contains(out, "  - client-bound: ") {
		t.Errorf("starved run:\n%s", out)
	}
}

// starved runs f on one P that a goroutine spins on, and restores both
// however f ends.
func starved(f func() string) string {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	return f()
}
