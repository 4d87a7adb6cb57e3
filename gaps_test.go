package main

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Gaps kept in 4 bytes summarise as the same gaps in float64 milliseconds
// do, bit for bit; a gap that is not whole microseconds moves every sample
// to float64, losing nothing.
func TestGapSamples(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		name  string
		extra time.Duration // added last; 0: none
		wide  bool
	}{
		{"whole microseconds", 0, false},
		{"a gap with nanoseconds", 1500, true},
		{"a negative gap", -time.Millisecond, true},
		{"a gap beyond 71 minutes", maxArrivalOffset + time.Microsecond, true},
	} {
		for _, n := range []int{1, 2, 7, 100, 1001} {
			var g gapSamples
			var ms []float64
			for range n {
				d := time.Duration(rng.IntN(200_000)) * time.Microsecond
				g.add(d)
				ms = append(ms, toMs(d))
			}
			if tt.extra != 0 {
				g.add(tt.extra)
				ms = append(ms, toMs(tt.extra))
			}
			if (g.ms != nil) != tt.wide {
				t.Errorf("%s, n=%d: float64 storage %v; want %v", tt.name, n, g.ms != nil, tt.wide)
			}
			if got, want := g.dist(), summarize(ms); got != want {
				t.Errorf("%s, n=%d: dist %+v\nwant %+v", tt.name, n, got, want)
			}
		}
	}
}
