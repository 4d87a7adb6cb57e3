package main

import (
	"context"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/load"
	"github.com/tpsbench/tpsbench/internal/sim"
)

// Open loop: requests start on their schedule, not when earlier ones end.
func TestOpenLoopFollowsSchedule(t *testing.T) {
	t.Parallel()
	cfg := &config{threads: 4, maxTokens: 2, stream: true}
	r, _ := simRunner(t, sim.Config{TTFT: 600 * time.Millisecond, TokenRate: 0, Style: sim.StyleOllama, Faults: sim.NoFaults()}, cfg)
	p := phaseRun{load: load.Phase{Threads: 4, Total: 8, Rate: 40, Burstiness: 1, Seed: 9}}
	records, sent, err := r.runPhase(context.Background(), p)
	if err != nil || sent != 8 || len(records) != 8 {
		t.Fatalf("%d sent, %d records, %v", sent, len(records), err)
	}
	var want []time.Duration // the schedule: cumulative gaps of the same generator
	gaps, at := load.NewArrivals(40, 1, 9), time.Duration(0)
	for i := range 8 {
		if i > 0 {
			at += gaps.Next()
		}
		want = append(want, at)
	}
	first := records[0].Sched
	for _, rec := range records {
		first = min(first, rec.Sched)
	}
	firstDone := records[0].Done
	for _, rec := range records {
		firstDone = min(firstDone, rec.Done)
	}
	for _, rec := range records {
		i := rec.Index
		if !rec.OK || rec.Sched-first != want[i] {
			t.Errorf("request %d: ok=%v scheduled at +%v; want +%v", i, rec.OK, rec.Sched-first, want[i])
		}
		if rec.Send < rec.Sched {
			t.Errorf("request %d sent %v before its time", i, rec.Sched-rec.Send)
		}
	}
	// Every answer takes 600 ms; the schedule spans far less, so had any
	// request waited for an earlier one, it would start after the first
	// answer ended.
	if want[7] < 400*time.Millisecond {
		for _, rec := range records {
			if rec.Send >= firstDone {
				t.Errorf("request %d sent at %v, after the first answer ended at %v: it waited", rec.Index, rec.Send, firstDone)
			}
		}
	}
}

// --duration stops sending at the deadline and accounts for every request.
func TestDurationStopsSending(t *testing.T) {
	t.Parallel()
	cfg := &config{threads: 2, maxTokens: 2}
	r, _ := simRunner(t, sim.Config{TTFT: 20 * time.Millisecond, TokenRate: 0, Style: sim.StyleOllama, Faults: sim.NoFaults()}, cfg)
	records, sent, err := r.runPhase(context.Background(), phaseRun{load: load.Phase{Threads: 2, Duration: 300 * time.Millisecond}})
	if err != nil || sent != len(records) || sent < 2 {
		t.Fatalf("%d sent, %d records, %v", sent, len(records), err)
	}
	for _, rec := range records {
		if !rec.OK {
			t.Errorf("request %d: %s", rec.Index, rec.Err)
		}
		if rec.Send > 300*time.Millisecond+250*time.Millisecond {
			t.Errorf("request %d sent at %v, long after the 300 ms deadline", rec.Index, rec.Send)
		}
	}
}

// The records channel is sized by the work: a vast thread count with one
// request sends that one request.
func TestRunPhaseSizedByWork(t *testing.T) {
	t.Parallel()
	cfg := &config{threads: 1, maxTokens: 2}
	r, _ := simRunner(t, sim.Config{Style: sim.StyleOllama, Faults: sim.NoFaults()}, cfg)
	records, sent, err := r.runPhase(context.Background(), phaseRun{load: load.Phase{Threads: math.MaxInt, Total: 1}})
	if err != nil || sent != 1 || len(records) != 1 || !records[0].OK {
		t.Fatalf("%d sent, %d records, %v; want the one request, ok", sent, len(records), err)
	}
}

// bigThenSmall is a server whose first answer is a megabyte of one letter
// and whose others are "hi", none with usage: tiktoken counts them all.
func bigThenSmall(t *testing.T) string {
	t.Helper()
	var n atomic.Int64
	big := `{"choices":[{"message":{"content":"` + strings.Repeat("a", 1e6) + `"},"finish_reason":"stop"}]}`
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			io.WriteString(w, big)
			return
		}
		io.WriteString(w, `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}]}`)
	})
}

// countingRunner is a runner against url whose tokens counter is counter.
func countingRunner(t *testing.T, url string, counter tokenCounter) *runner {
	t.Helper()
	cfg := &config{threads: 4, maxTokens: 8, model: "m", encoding: "cl100k_base", prompt: "hi", timeout: 30}
	r := testRunner(t, cfg, url)
	r.tokens.counter = counter // the Client's policy too
	r.prog = &progress{}
	return r
}

// A megabyte without a word break is counted in pieces, off the requests'
// path, and no other Record waits for it: every other request is settled
// while its count is held up.
func TestLongCountBlocksNoOtherRecord(t *testing.T) {
	t.Parallel()
	const others = 11
	release := make(chan struct{})
	var held sync.Once
	counter := &pieceRecorder{onCount: func(piece []byte) {
		if piece[0] == 'a' {
			held.Do(func() { <-release })
		}
	}}
	r := countingRunner(t, bigThenSmall(t), counter)
	done := make(chan []Record)
	go func() {
		records, _, _ := r.runPhase(t.Context(), phaseRun{load: load.Phase{Threads: 4, Total: others + 1}})
		done <- records
	}()
	deadline := time.After(20 * time.Second)
	for r.prog.done.Load() < others {
		select {
		case <-deadline:
			t.Fatalf("%d Records settled while the long count waits; want the %d others", r.prog.done.Load(), others)
		case <-time.After(time.Millisecond):
		}
	}
	close(release)
	records := <-done
	if len(records) != others+1 {
		t.Fatalf("%d records; want %d", len(records), others+1)
	}
	for _, rec := range records {
		if !rec.OK {
			t.Errorf("request %d: %s", rec.Index, rec.Err)
		}
		if rec.OutputTokens > 1 && (rec.OutputTokens != (1_000_000+maxRun-1)/maxRun || !rec.TokensApprox) {
			t.Errorf("the long answer: %d tokens (approximate %v); want a token per piece of %d bytes, approximate", rec.OutputTokens, rec.TokensApprox, maxRun)
		}
	}
	if _, longest := counter.counted(); longest > maxRun {
		t.Errorf("a piece of %d bytes counted; want at most %d", longest, maxRun)
	}
}

// Counting stops when the run is cancelled (a second Ctrl-C): the Record
// whose count was cut short is cancelled, and the rest of its text is
// never counted.
func TestCountingStopsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	counter := &pieceRecorder{onCount: func([]byte) { cancel() }}
	r := countingRunner(t, bigThenSmall(t), counter)
	records, sent, err := r.runPhase(ctx, phaseRun{load: load.Phase{Threads: 1, Total: 1}})
	if err != nil || sent != 1 || len(records) != 1 || records[0].FailKind != failCancelled {
		t.Fatalf("%d sent, records %+v, %v; want the one request cancelled", sent, records, err)
	}
	if n, _ := counter.counted(); n > 1 {
		t.Errorf("%d pieces counted after the cancel; want it to stop after the first", n)
	}
}
