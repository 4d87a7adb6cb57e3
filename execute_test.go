package main

import (
	"context"
	"math"
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
