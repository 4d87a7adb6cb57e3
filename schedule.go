package main

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// errUnreachable stops a run whose very first requests cannot connect.
var errUnreachable = errors.New("endpoint unreachable")

// phase is one stretch of a run with one load shape. It knows nothing about
// HTTP: it decides when each request starts.
type phase struct {
	threads     int           // closed loop: workers; each sends its next request when the last ended
	total       int           // requests to send; 0: until the deadline
	duration    time.Duration // stop sending new requests after this long; 0: no deadline
	rate        float64       // open loop: requests per second; 0: closed loop; +Inf: all at once
	burstiness  float64       // open loop: gamma shape of the gaps; 1 is Poisson
	maxInFlight int           // open loop: requests in flight at most; 0: no cap
	seed        uint64        // arrival times
	firstIndex  int           // index of the phase's first request (prompts differ across phases)
	warmup      bool          // mark the records as warm-up
	level       string        // the sweep level, for the records
}

func (p phase) open() bool { return p.rate > 0 }

// runner sends the requests of one phase and collects exactly one Record
// for every request sent.
type runner struct {
	client *Client
	body   func(i int) ([]byte, error) // the request body of request i
	sink   *recordSink                 // --records, or nil
	prog   *progress                   // the status line, or nil
	// stop ends sending without cancelling requests in flight (the first
	// Ctrl-C); the ctx given to run cancels them.
	stop context.Context
}

// run sends the phase's requests until they are all sent, the deadline
// passes (in-flight requests then finish, bounded by --timeout) or ctx ends.
// It returns the records and how many requests were sent, so the report
// can check that every request sent was recorded.
//
// When a request cannot connect at all before any request succeeded, the
// phase stops sending: forty "connection refused" say no more than one.
func (r *runner) run(ctx context.Context, p phase) ([]Record, int, error) {
	ctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	stop := r.stop
	if stop == nil {
		stop = ctx
	}
	sending := func() bool { return ctx.Err() == nil && stop.Err() == nil }

	var sent, succeeded atomic.Int64
	var bodyErr error
	var bodyErrOnce sync.Once
	room := 4096
	if p.total > 0 {
		room = min(p.total, room)
	}
	// Room for many records, so senders never wait on the collector, which
	// settles token counts.
	results := make(chan Record, room+p.threads)
	expect := 4096 // records to hold: all of them when the count is known
	if p.total > 0 {
		expect = min(p.total, 1<<20)
	}

	// send runs request i; sched is when the schedule meant it to start
	// (none in a closed loop). It is called with the body already built,
	// so building it never delays a send.
	send := func(i int, body []byte, sched time.Duration) {
		sent.Add(1)
		r.prog.sentOne()
		rec := r.client.Do(ctx, i, body)
		rec.Sched, rec.Warmup = sched, p.warmup
		if rec.FailKind == "" {
			succeeded.Add(1)
		} else if rec.FailKind == failConnect && succeeded.Load() == 0 {
			abort(errUnreachable)
		}
		results <- rec
	}
	build := func(i int) ([]byte, bool) {
		body, err := r.body(i)
		if err != nil {
			bodyErrOnce.Do(func() { bodyErr = err })
			abort(err)
			return nil, false
		}
		return body, true
	}

	var wg sync.WaitGroup
	start := time.Now()
	deadline := time.Time{}
	if p.duration > 0 {
		deadline = start.Add(p.duration)
	}
	if p.open() {
		wg.Go(func() { r.dispatch(ctx, stop, p, start, deadline, &wg, build, send) })
	} else {
		var claimed atomic.Int64
		for range p.threads {
			wg.Go(func() {
				for sending() {
					if !deadline.IsZero() && !time.Now().Before(deadline) {
						return
					}
					i := int(claimed.Add(1) - 1)
					if p.total > 0 && i >= p.total {
						return
					}
					body, ok := build(p.firstIndex + i)
					if !ok {
						return
					}
					send(p.firstIndex+i, body, none)
				}
			})
		}
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	records := make([]Record, 0, expect)
	for rec := range results {
		rec.Level = p.level
		r.client.settle(&rec)
		r.sink.add(&rec)
		r.prog.finished(&rec)
		records = append(records, rec)
	}
	return records, int(sent.Load()), bodyErr
}

// dispatch starts the requests of an open-loop phase on schedule. Each runs
// in its own goroutine, so none waits for an earlier one to end; only a
// --max-concurrency cap can hold a request back, and the time it waits
// counts as client queue (t_send - t_sched).
func (r *runner) dispatch(ctx, stop context.Context, p phase, start, deadline time.Time, wg *sync.WaitGroup,
	build func(int) ([]byte, bool), send func(int, []byte, time.Duration)) {
	gaps := newArrivals(p.rate, p.burstiness, p.seed)
	var slots chan struct{}
	if p.maxInFlight > 0 {
		slots = make(chan struct{}, p.maxInFlight)
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var at time.Duration // offset of the next arrival from start
	for i := 0; p.total == 0 || i < p.total; i++ {
		if i > 0 {
			at += gaps.next()
		}
		due := start.Add(at)
		if !deadline.IsZero() && !due.Before(deadline) {
			return
		}
		body, ok := build(p.firstIndex + i)
		if !ok {
			return
		}
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			case <-stop.Done():
				return
			}
		}
		if slots != nil {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			case <-stop.Done():
				return
			}
		}
		index, sched := p.firstIndex+i, r.client.since(due)
		wg.Go(func() {
			send(index, body, sched)
			if slots != nil {
				<-slots
			}
		})
	}
}

// arrivals draws the gaps between open-loop arrivals: gamma-distributed
// with shape burstiness and mean 1/rate, as vLLM's bench serve does; a
// burstiness of 1 gives exponential gaps (a Poisson process), lower values
// burstier traffic (coefficient of variation 1/sqrt(burstiness)). An
// infinite rate sends everything at once.
type arrivals struct {
	rng         *rand.Rand
	rate, shape float64
}

func newArrivals(rate, burstiness float64, seed uint64) *arrivals {
	if burstiness <= 0 {
		burstiness = 1
	}
	return &arrivals{rng: rand.New(rand.NewPCG(seed, 0x7470736265)), rate: rate, shape: burstiness}
}

func (a *arrivals) next() time.Duration {
	if math.IsInf(a.rate, 1) {
		return 0
	}
	mean := 1 / a.rate
	g := a.gamma(a.shape) / a.shape // mean 1
	return time.Duration(g * mean * float64(time.Second))
}

// gamma draws from Gamma(shape, 1) by Marsaglia and Tsang's method.
func (a *arrivals) gamma(shape float64) float64 {
	if shape < 1 {
		// Gamma(k) = Gamma(k+1) * U^(1/k)
		return a.gamma(shape+1) * math.Pow(a.rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := a.rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := a.rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
