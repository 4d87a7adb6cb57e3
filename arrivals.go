package main

import (
	"math"
	"time"
)

// arrivals is the arrival time of each token-bearing chunk of one answer,
// in 4 bytes a chunk so that a run's memory grows by 4 bytes per token, not
// 8. The first arrival is kept exact (TTFT never loses a nanosecond); each
// other is kept as whole microseconds after it, rounded down, so a later
// arrival is at most 1 µs early and gaps between chunks are whole
// microseconds. 32 bits of microseconds reach 2^32 µs, about 71.6 minutes
// after the first token; an arrival beyond that, or before the first (only
// a hand-edited records file has one), moves that one answer to exact
// 8-byte storage: nothing is clamped. The zero value is empty.
type arrivals struct {
	first time.Duration   // the first arrival
	any   bool            // first is set
	us    []uint32        // each later arrival in whole µs after first: us[i-1] is chunk i's
	wide  []time.Duration // every arrival, exact, once one did not fit us; us is then nil
}

// maxArrivalOffset is the furthest after the first token an arrival is
// kept in 4 bytes.
const maxArrivalOffset = math.MaxUint32 * time.Microsecond

// newArrivals is an empty arrivals with room for n+1 chunks (the first is
// not in us: max_tokens+1 chunks of 256-token answers fill 1 KiB exactly).
func newArrivals(n int) arrivals { return arrivals{us: make([]uint32, 0, n)} }

// arrivalsOf is the arrivals of ds, in order (tests, records files).
func arrivalsOf(ds ...time.Duration) arrivals {
	a := newArrivals(max(len(ds)-1, 0))
	for _, d := range ds {
		a.Append(d)
	}
	return a
}

// Len is the number of chunks.
func (a *arrivals) Len() int {
	switch {
	case a.wide != nil:
		return len(a.wide)
	case !a.any:
		return 0
	}
	return len(a.us) + 1
}

// At is the arrival of chunk i, as an offset from the run's start.
func (a *arrivals) At(i int) time.Duration {
	switch {
	case a.wide != nil:
		return a.wide[i]
	case i == 0 && a.any:
		return a.first
	}
	return a.first + time.Duration(a.us[i-1])*time.Microsecond
}

// Gap is the time from chunk i-1 to chunk i (an inter-token latency).
func (a *arrivals) Gap(i int) time.Duration {
	if a.wide != nil || i == 1 {
		return a.At(i) - a.At(i-1)
	}
	return time.Duration(a.us[i-1]-a.us[i-2]) * time.Microsecond
}

// Append adds the arrival of the next chunk.
func (a *arrivals) Append(d time.Duration) {
	if a.wide != nil {
		a.wide = append(a.wide, d)
		return
	}
	if !a.any {
		a.first, a.any = d, true
		return
	}
	off := d - a.first
	if off < 0 || off > maxArrivalOffset {
		a.widen()
		a.wide = append(a.wide, d)
		return
	}
	a.us = append(a.us, uint32(off/time.Microsecond))
}

// widen moves the arrivals kept so far to exact storage.
func (a *arrivals) widen() {
	wide := make([]time.Duration, a.Len(), a.Len()+1)
	for i := range wide {
		wide[i] = a.At(i)
	}
	a.wide, a.us = wide, nil
}

// All is every arrival as a slice of its own (tests, the records file).
func (a *arrivals) All() []time.Duration {
	out := make([]time.Duration, a.Len())
	for i := range out {
		out[i] = a.At(i)
	}
	return out
}
