package main

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"
)

// The progress line on a terminal, and none when stderr is not one.
func TestProgressLine(t *testing.T) {
	t.Parallel()
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
	if newProgress(&bytes.Buffer{}, false, 10, 0, nil) != nil {
		t.Error("a progress line on a non-terminal")
	}
	_, errOut := runExpect(t, 0, withSim(fastSim, "2", "--requests", "4")...)
	if errOut != "" {
		t.Errorf("stderr of a run that is not on a terminal: %q", errOut)
	}
}

// The progress line's tokens: each chunk as it arrives, then the rest of
// each ok answer's count when it is settled, so the total ends right.
func TestProgressTokensWhileStreaming(t *testing.T) {
	t.Parallel()
	var arrived atomic.Int64
	p := &progress{arrived: &arrived}
	arrived.Add(5) // five chunks of a stream in flight
	if got := p.tokenCount(); got != 5 {
		t.Errorf("tokens while streaming = %d; want 5", got)
	}
	r := Record{OK: true, Stream: true, OutputTokens: 8, Chunks: arrivalsOf(make([]time.Duration, 5)...)}
	p.finished(&r)
	p.finished(&Record{OK: true, OutputTokens: 3}) // not streamed
	if got := p.tokenCount(); got != 11 {
		t.Errorf("tokens once settled = %d; want 8 + 3", got)
	}
}
