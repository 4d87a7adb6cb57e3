package main

import (
	"slices"
	"testing"
	"time"
)

// Arrivals keep the first exact and the rest to the microsecond, rounded
// down, in 4 bytes each; one beyond 2^32 µs after the first, or before it,
// moves that answer to exact storage, losing nothing.
func TestArrivals(t *testing.T) {
	t.Parallel()
	const first = 5*time.Second + 123_456_789 // not a whole microsecond
	tests := []struct {
		name string
		in   []time.Duration
		want []time.Duration
		wide bool
	}{
		{"empty", nil, []time.Duration{}, false},
		{"one", []time.Duration{first}, []time.Duration{first}, false},
		{"first exact, rest to the µs", []time.Duration{first, first + 1999, first + 10*time.Millisecond + 999},
			[]time.Duration{first, first + time.Microsecond, first + 10*time.Millisecond}, false},
		{"last one in range", []time.Duration{first, first + maxArrivalOffset},
			[]time.Duration{first, first + maxArrivalOffset}, false},
		{"beyond 71 minutes: exact", []time.Duration{first, first + 1999, first + maxArrivalOffset + 1, first + 2*maxArrivalOffset},
			[]time.Duration{first, first + time.Microsecond, first + maxArrivalOffset + 1, first + 2*maxArrivalOffset}, true},
		{"before the first: exact", []time.Duration{first, first - 1, first + 7},
			[]time.Duration{first, first - 1, first + 7}, true},
	}
	for _, tt := range tests {
		a := arrivalsOf(tt.in...)
		if got := a.All(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: arrivals %v; want %v", tt.name, got, tt.want)
		}
		if (a.wide != nil) != tt.wide {
			t.Errorf("%s: exact storage %v; want %v", tt.name, a.wide != nil, tt.wide)
		}
		for i := 1; i < a.Len(); i++ {
			if g, want := a.Gap(i), tt.want[i]-tt.want[i-1]; g != want {
				t.Errorf("%s: gap %d = %v; want %v", tt.name, i, g, want)
			}
		}
	}
}

// Stamping a token costs no allocation once the arrivals have room.
func TestArrivalsAppendAllocs(t *testing.T) {
	a := newArrivals(256)
	if n := testing.AllocsPerRun(1, func() {
		a = arrivals{us: a.us[:0]}
		for i := range 257 {
			a.Append(time.Duration(i) * time.Millisecond)
		}
	}); n != 0 {
		t.Errorf("%v allocations for 257 arrivals with room for 256+1; want 0", n)
	}
}
