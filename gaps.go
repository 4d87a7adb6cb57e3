package main

import (
	"math"
	"slices"
	"time"
)

// gapSamples are a run's inter-token latencies, gathered in one pass over
// its Records in memory that does not grow with the run: every gap of an
// answer whose arrivals are kept in 4 bytes is a whole number of
// microseconds (see arrivals), and a gap under denseGaps µs is only
// counted, in a table of fixed size; a longer one is kept in 4 bytes. Once
// a gap is not whole microseconds (an answer kept exactly: beyond 71
// minutes, or from a hand-edited file), every sample moves to float64
// milliseconds, as exact as ever.
type gapSamples struct {
	n      int
	counts []int     // counts[u]: the gaps of u µs, u < denseGaps; allocated at the first
	long   []uint32  // the gaps of denseGaps µs or more
	ms     []float64 // every sample, once one was not whole microseconds; the others are then nil
}

// denseGaps bounds the gaps that are counted rather than kept: 131 ms,
// longer than most servers take per token. The table is 1 MiB.
const denseGaps = 1 << 17

// add takes one gap between chunks.
func (g *gapSamples) add(d time.Duration) {
	if g.ms == nil && d >= 0 && d%time.Microsecond == 0 && d <= maxArrivalOffset {
		g.n++
		switch u := d / time.Microsecond; {
		case u >= denseGaps:
			g.long = append(g.long, uint32(u))
		case g.counts == nil:
			g.counts = make([]int, denseGaps)
			fallthrough
		default:
			g.counts[u]++
		}
		return
	}
	if g.ms == nil {
		g.ms = make([]float64, 0, g.n+1)
		g.each(func(v float64) { g.ms = append(g.ms, v) })
		g.counts, g.long = nil, nil
	}
	g.ms = append(g.ms, toMs(d))
}

// usToMs is a whole number of microseconds in milliseconds: the same
// float64 as toMs of the same duration.
func usToMs[T uint32 | int](u T) float64 { return float64(u) / 1000 }

// each calls f with every whole-microsecond sample in milliseconds, in
// order from the smallest once long is sorted.
func (g *gapSamples) each(f func(float64)) {
	for u, c := range g.counts {
		if c > 0 {
			v := usToMs(u)
			for range c {
				f(v)
			}
		}
	}
	for _, u := range g.long {
		f(usToMs(u))
	}
}

// at is the i-th smallest whole-microsecond sample in milliseconds; long
// must be sorted.
func (g *gapSamples) at(i int) float64 {
	for u, c := range g.counts {
		if i < c {
			return usToMs(u)
		}
		i -= c
	}
	return usToMs(g.long[i])
}

// dist is summarize of the samples in milliseconds, bit for bit: the same
// values, summed in the same (sorted) order.
func (g *gapSamples) dist() Dist {
	if g.ms != nil {
		return summarize(g.ms)
	}
	n := g.n
	if n == 0 {
		return Dist{}
	}
	slices.Sort(g.long)
	var sum float64
	g.each(func(v float64) { sum += v })
	mean := sum / float64(n)
	stddev := 0.0
	if n > 1 {
		var v float64
		g.each(func(x float64) { v += (x - mean) * (x - mean) })
		stddev = math.Sqrt(v / float64(n-1))
	}
	return sortedDist(n, g.at, mean, stddev)
}
