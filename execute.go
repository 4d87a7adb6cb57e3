package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tpsbench/tpsbench/internal/load"
)

// errUnreachable stops a run whose very first requests cannot connect.
var errUnreachable = errors.New("endpoint unreachable")

// phaseRun is one phase of a run's plan: a load shape and what its records
// are marked with.
type phaseRun struct {
	load   load.Phase
	number int    // the phase's number in its requests' keys: 0.. for measured phases, warmupPhase for the warm-up
	warmup bool   // mark the records as warm-up
	level  string // the sweep level, for the records
}

// runner executes the phases of a run: the load core decides when each
// request starts, the Client sends it, a few counters settle its tokens,
// and the collector finishes each into exactly one Record.
type runner struct {
	client *Client
	tokens *tokenPolicy
	body   func(k requestKey) ([]byte, error) // the request body of a request
	sink   *recordSink                        // --records, or nil
	prog   *progress                          // the status line, or nil
	// stop ends sending without cancelling requests in flight (the first
	// Ctrl-C); the ctx given to runPhase cancels them.
	stop context.Context
}

// runPhase sends the phase's requests until they are all sent, the deadline
// passes (in-flight requests then finish, bounded by --timeout) or ctx ends.
// It returns the records and how many requests were sent, so the report
// can check that every request sent was recorded.
//
// When a request cannot connect at all before any request succeeded, the
// phase stops sending: forty "connection refused" say no more than one.
func (r *runner) runPhase(ctx context.Context, p phaseRun) ([]Record, int, error) {
	ctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	sending, stopSending := context.WithCancel(ctx)
	defer stopSending()
	if r.stop != nil {
		defer context.AfterFunc(r.stop, stopSending)()
	}

	var succeeded atomic.Int64
	var bodyErr error
	var bodyErrOnce sync.Once
	// Room for many records, so senders rarely wait on the token counters:
	// sized by the work (a few requests need a few slots, whatever the
	// thread count), and bounded.
	room, senders := 4096, min(p.load.Threads, 1<<16)
	if p.load.Total > 0 {
		room, senders = min(p.load.Total, room), min(p.load.Total, senders)
	}
	results := make(chan Record, room+senders)

	ready := func(i int) ([]byte, bool) {
		body, err := r.body(requestKey{p.number, i})
		if err != nil {
			bodyErrOnce.Do(func() { bodyErr = err })
			abort(err)
			return nil, false
		}
		return body, true
	}
	fire := func(i int, body []byte, due time.Time) {
		r.prog.sentOne()
		rec := r.client.Do(ctx, int(requestKey{p.number, i}.stream()), body)
		rec.Sched, rec.Warmup = none, p.warmup
		if !due.IsZero() {
			rec.Sched = r.client.since(due)
		}
		if rec.FailKind == "" {
			succeeded.Add(1)
		} else if rec.FailKind == failConnect && succeeded.Load() == 0 {
			abort(errUnreachable)
		}
		results <- rec
	}
	sent := make(chan int, 1)
	go func() {
		sent <- load.Run(sending, p.load, ready, fire)
		close(results)
	}()
	records := r.collect(r.settleAll(ctx, results), p)
	return records, <-sent, bodyErr
}

// counters is how many Records have their tokens counted at once: a long
// count holds up one of them, never the other Records.
const counters = 4

// settleAll settles the tokens of every Record from results, a few at a
// time, and passes each on; counting stops when ctx ends (its Records are
// then cancelled).
func (r *runner) settleAll(ctx context.Context, results <-chan Record) <-chan Record {
	settled := make(chan Record, counters)
	var wg sync.WaitGroup
	for range counters {
		wg.Go(func() {
			for rec := range results {
				r.tokens.settle(ctx, &rec)
				settled <- rec
			}
		})
	}
	go func() {
		wg.Wait()
		close(settled)
	}()
	return settled
}

// collect finishes every settled Record as it arrives: --records line,
// progress. It is the one place a Record is finished.
func (r *runner) collect(results <-chan Record, p phaseRun) []Record {
	expect := 4096 // records to hold: all of them when the count is known
	if p.load.Total > 0 {
		expect = min(p.load.Total, 1<<20)
	}
	records := make([]Record, 0, expect)
	for rec := range results {
		rec.Level = p.level
		r.sink.add(&rec)
		r.prog.finished(&rec)
		records = append(records, rec)
	}
	return records
}
