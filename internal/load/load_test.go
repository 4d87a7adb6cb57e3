package load

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A closed loop fires every request once, never more than Threads at once,
// and in each worker one after another.
func TestClosedLoopCountAndConcurrency(t *testing.T) {
	t.Parallel()
	var inFlight, most atomic.Int64
	var mu sync.Mutex
	var fired []int
	n := Run(context.Background(), Phase{Threads: 4, Total: 37},
		func(i int) (int, bool) { return i * 10, true },
		func(i, item int, due time.Time) {
			if item != i*10 || !due.IsZero() {
				t.Errorf("request %d: item %d, due %v; want %d and no schedule", i, item, due, i*10)
			}
			now := inFlight.Add(1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			time.Sleep(time.Millisecond) // overlap, so the cap is exercised
			inFlight.Add(-1)
			mu.Lock()
			fired = append(fired, i)
			mu.Unlock()
		})
	slices.Sort(fired)
	if n != 37 || len(fired) != 37 || fired[0] != 0 || fired[36] != 36 || slices.Compact(fired)[36] != 36 {
		t.Errorf("started %d, fired %v; want 0..36 once each", n, fired)
	}
	if most.Load() > 4 {
		t.Errorf("%d in flight at once; want at most 4 threads", most.Load())
	}
}

// ready returning false ends the phase; nothing after it is fired.
func TestReadyFailureStops(t *testing.T) {
	t.Parallel()
	for _, p := range []Phase{{Threads: 1, Total: 10}, {Rate: Unlimited, Total: 10}} {
		var fired atomic.Int64
		n := Run(context.Background(), p,
			func(i int) (struct{}, bool) { return struct{}{}, i < 3 },
			func(int, struct{}, time.Time) { fired.Add(1) })
		if n != 3 || fired.Load() != 3 {
			t.Errorf("%+v: started %d, fired %d; want 3", p, n, fired.Load())
		}
	}
}

// An open loop fires on schedule: due times follow the arrival process from
// the phase's start, and no request waits for an earlier one to end.
func TestOpenLoopDueTimes(t *testing.T) {
	t.Parallel()
	p := Phase{Rate: 200, Burstiness: 1, Total: 20, Seed: 3}
	var mu sync.Mutex
	due := map[int]time.Time{}
	release := make(chan struct{})
	done := make(chan int)
	go func() {
		done <- Run(context.Background(), p,
			func(i int) (int, bool) { return i, true },
			func(i, _ int, d time.Time) {
				mu.Lock()
				due[i] = d
				mu.Unlock()
				<-release // every request stays in flight until all have started
			})
	}()
	deadline := time.After(10 * time.Second)
	for {
		mu.Lock()
		n := len(due)
		mu.Unlock()
		if n == 20 {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("only %d of 20 requests started while earlier ones were in flight", n)
		case <-time.After(time.Millisecond):
		}
	}
	close(release)
	if n := <-done; n != 20 {
		t.Fatalf("started %d; want 20", n)
	}
	gaps := NewArrivals(p.Rate, p.Burstiness, p.Seed)
	at := time.Duration(0)
	for i := 1; i < 20; i++ {
		at += gaps.Next()
		if got := due[i].Sub(due[0]); got != at {
			t.Errorf("request %d due %v after the first; want %v", i, got, at)
		}
	}
}

// A cap on requests in flight holds the rest back: they start late, after
// their due time, never more than the cap at once.
func TestMaxInFlight(t *testing.T) {
	t.Parallel()
	var inFlight, most atomic.Int64
	var late atomic.Int64
	Run(context.Background(), Phase{Rate: Unlimited, Total: 12, MaxInFlight: 3},
		func(i int) (int, bool) { return i, true },
		func(i, _ int, due time.Time) {
			now := inFlight.Add(1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			if time.Since(due) > 2*time.Millisecond {
				late.Add(1)
			}
			time.Sleep(5 * time.Millisecond)
			inFlight.Add(-1)
		})
	if most.Load() != 3 {
		t.Errorf("%d in flight at most; want the cap, 3", most.Load())
	}
	if late.Load() < 9 {
		t.Errorf("%d requests started after their due time; want the 9 beyond the cap", late.Load())
	}
}

// A duration bounds the phase: no request starts after it, and a cancelled
// context stops sending at once.
func TestDurationAndCancel(t *testing.T) {
	t.Parallel()
	start := time.Now()
	n := Run(context.Background(), Phase{Threads: 2, Duration: 30 * time.Millisecond},
		func(i int) (int, bool) {
			// The deadline is checked just before a request is claimed;
			// the slack is for the scheduler, not for a missed check.
			if time.Since(start) > 40*time.Millisecond {
				t.Error("a request was readied well after the deadline")
			}
			return i, true
		},
		func(int, int, time.Time) { time.Sleep(time.Millisecond) })
	if n == 0 {
		t.Error("nothing started within the duration")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n := Run(ctx, Phase{Rate: 1, Total: 5}, func(i int) (int, bool) { return i, true }, func(int, int, time.Time) {}); n > 1 {
		t.Errorf("started %d after cancel; want at most the first, due at once", n)
	}
}

// Goroutines and slots are sized by the work, not by the thread count or
// the cap: a phase of a few requests with a vast thread count or cap starts
// them at once.
func TestSizedByWork(t *testing.T) {
	t.Parallel()
	for _, p := range []Phase{
		{Threads: math.MaxInt, Total: 3},
		{Rate: Unlimited, Total: 3, MaxInFlight: math.MaxInt},
	} {
		if n := Run(context.Background(), p, func(i int) (int, bool) { return i, true }, func(int, int, time.Time) {}); n != 3 {
			t.Errorf("%+v: started %d; want 3", p, n)
		}
	}
}

// However short the duration, the first request starts, as it does in an
// open loop (its due time is the phase's start).
func TestShortDurationStartsTheFirst(t *testing.T) {
	t.Parallel()
	for _, p := range []Phase{{Threads: 2, Duration: 1}, {Rate: 1, Duration: 1}} {
		if n := Run(context.Background(), p, func(i int) (int, bool) { return i, true }, func(int, int, time.Time) {}); n != 1 {
			t.Errorf("%+v: started %d; want the first only", p, n)
		}
	}
}

// Arrival times saturate rather than wrap: a gap too long for a Duration is
// MaxGap, and the request after it is never due within the phase.
func TestArrivalTimesSaturate(t *testing.T) {
	t.Parallel()
	p := Phase{Rate: 1e-300, Burstiness: 1, Total: 3, Duration: time.Hour}
	if n := Run(context.Background(), p, func(i int) (int, bool) { return i, true }, func(int, int, time.Time) {}); n != 1 {
		t.Errorf("rate 1e-300: started %d; want the first only (the next is due in centuries)", n)
	}
}
