package main

import (
	"math"
	"slices"
	"time"
)

// gapSamples are a run's inter-token latencies, gathered in one pass over
// its Records, in 4 bytes each: whole microseconds, which every gap of an
// answer whose arrivals are kept in 4 bytes is (see arrivals). Once a gap is
// not (an answer kept exactly: beyond 71 minutes, or from a hand-edited
// file), every sample moves to float64 milliseconds, as exact as before.
type gapSamples struct {
	us []uint32
	ms []float64 // every sample, once one did not fit us; us is then nil
}

// newGapSamples has room for n samples.
func newGapSamples(n int) gapSamples { return gapSamples{us: make([]uint32, 0, n)} }

// add takes one gap between chunks.
func (g *gapSamples) add(d time.Duration) {
	if g.ms == nil && d >= 0 && d%time.Microsecond == 0 && d <= maxArrivalOffset {
		g.us = append(g.us, uint32(d/time.Microsecond))
		return
	}
	if g.ms == nil {
		g.ms = make([]float64, len(g.us), cap(g.us))
		for i, u := range g.us {
			g.ms[i] = usToMs(u)
		}
		g.us = nil
	}
	g.ms = append(g.ms, toMs(d))
}

// usToMs is a whole number of microseconds in milliseconds: the same
// float64 as toMs of the same duration.
func usToMs(u uint32) float64 { return float64(u) / 1000 }

// dist is summarize of the samples in milliseconds, bit for bit, sorting
// them in place.
func (g *gapSamples) dist() Dist {
	if g.ms != nil {
		return summarize(g.ms)
	}
	us := g.us
	n := len(us)
	if n == 0 {
		return Dist{}
	}
	slices.Sort(us)
	var sum float64 // summed as stats.Mean sums the sorted float64 samples: the same figure, bit for bit
	for _, u := range us {
		sum += usToMs(u)
	}
	mean := sum / float64(n)
	stddev := 0.0
	if n > 1 {
		var v float64
		for _, u := range us {
			d := usToMs(u) - mean
			v += d * d
		}
		stddev = math.Sqrt(v / float64(n-1))
	}
	return sortedDist(n, func(i int) float64 { return usToMs(us[i]) }, mean, stddev)
}
