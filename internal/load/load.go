// Package load decides when requests start: a closed loop of workers, or an
// open loop of scheduled arrivals with an optional cap on requests in
// flight, bounded by a count or a duration. It knows nothing of HTTP or of
// what a request is: it calls back to ready and to fire each one.
package load

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Phase is one stretch of load with one shape.
type Phase struct {
	Threads     int           // closed loop: workers; each starts its next request when its last ended
	Total       int           // requests to start; 0: until Duration runs out
	Duration    time.Duration // start no request after this long; 0: no deadline
	Rate        Rate          // open loop: requests per second; 0: closed loop
	Burstiness  float64       // open loop: gamma shape of the gaps; 1 is Poisson
	MaxInFlight int           // open loop: requests in flight at most; 0: no cap
	Seed        uint64        // open loop: the arrival times
}

// Open reports whether the phase is an open loop.
func (p Phase) Open() bool { return p.Rate > 0 }

// Run starts the phase's requests until all are started, the deadline
// passes or ctx ends, and returns once every started request has returned,
// with how many were started.
//
// ready(i) prepares request i (0-based) before its time comes, so preparing
// never delays a start; false ends the phase. fire(i, item, due) runs it:
// in the worker's goroutine in a closed loop, in a goroutine of its own in
// an open loop, where due is when the schedule meant it to start (the zero
// time in a closed loop). A cap on requests in flight can start a request
// after its due time: the caller sees by how much.
func Run[T any](ctx context.Context, p Phase, ready func(i int) (T, bool), fire func(i int, item T, due time.Time)) int {
	var started atomic.Int64
	counted := func(i int, item T, due time.Time) {
		started.Add(1)
		fire(i, item, due)
	}
	start := time.Now()
	var deadline time.Time
	if p.Duration > 0 {
		deadline = start.Add(p.Duration)
	}
	var wg sync.WaitGroup
	if p.Open() {
		dispatch(ctx, p, start, deadline, &wg, ready, counted)
	} else {
		closedLoop(ctx, p, deadline, &wg, ready, counted)
	}
	wg.Wait()
	return int(started.Load())
}

// upTo is n, or at most total when the phase has one: goroutines and
// slots are sized by the work, not by a thread count or cap alone.
func (p Phase) upTo(n int) int {
	if p.Total > 0 {
		return min(n, p.Total)
	}
	return n
}

// closedLoop runs p.Threads workers (no more than there are requests) that
// claim request numbers in turn. The first request starts however short
// the duration, as its due time is the phase's start.
func closedLoop[T any](ctx context.Context, p Phase, deadline time.Time, wg *sync.WaitGroup,
	ready func(int) (T, bool), fire func(int, T, time.Time)) {
	var claimed atomic.Int64
	for range p.upTo(p.Threads) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(claimed.Add(1) - 1)
				if i > 0 && !deadline.IsZero() && !time.Now().Before(deadline) {
					return
				}
				if p.Total > 0 && i >= p.Total {
					return
				}
				item, ok := ready(i)
				if !ok {
					return
				}
				fire(i, item, time.Time{})
			}
		})
	}
}

// dispatch starts the requests of an open loop on schedule, each in its own
// goroutine, so none waits for an earlier one to end; only the cap on
// requests in flight can hold one back.
func dispatch[T any](ctx context.Context, p Phase, start, deadline time.Time, wg *sync.WaitGroup,
	ready func(int) (T, bool), fire func(int, T, time.Time)) {
	gaps := NewArrivals(p.Rate, p.Burstiness, p.Seed)
	var slots chan struct{}
	if p.MaxInFlight > 0 {
		slots = make(chan struct{}, p.upTo(p.MaxInFlight))
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var at time.Duration // offset of the next arrival from start
	for i := 0; p.Total == 0 || i < p.Total; i++ {
		if i > 0 {
			at = min(at+gaps.Next(), MaxGap) // both at most MaxGap: no overflow
		}
		due := start.Add(at)
		if !deadline.IsZero() && !due.Before(deadline) {
			return
		}
		item, ok := ready(i)
		if !ok {
			return
		}
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		if slots != nil {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
		wg.Go(func() {
			fire(i, item, due)
			if slots != nil {
				<-slots
			}
		})
	}
}
