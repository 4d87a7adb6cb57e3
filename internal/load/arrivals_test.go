package load

import (
	"math"
	"testing"
	"time"
)

// The arrival generator, tested as a generator: mean rate and coefficient
// of variation of the gaps for fixed seeds (no clock involved).
func TestArrivals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rate       Rate
		burstiness float64
	}{{10, 1}, {10, 0.25}, {2.5, 4}, {1000, 1}} {
		a := NewArrivals(tt.rate, tt.burstiness, 42)
		const n = 40000
		var sum, sumSq float64
		for range n {
			g := a.Next().Seconds()
			sum += g
			sumSq += g * g
		}
		mean := sum / n
		cv := math.Sqrt(sumSq/n-mean*mean) / mean
		wantMean, wantCV := 1/float64(tt.rate), 1/math.Sqrt(tt.burstiness)
		if math.Abs(mean/wantMean-1) > 0.03 || math.Abs(cv/wantCV-1) > 0.05 {
			t.Errorf("rate %v burstiness %v: mean gap %.5fs (want %.5f), CV %.3f (want %.3f)", tt.rate, tt.burstiness, mean, wantMean, cv, wantCV)
		}
	}
	if g := NewArrivals(Unlimited, 1, 1).Next(); g != 0 {
		t.Errorf("rate inf: gap %v; want 0 (all at once)", g)
	}
	// Beyond what a Duration holds, gaps saturate; an infinite shape
	// makes them constant.
	if g := NewArrivals(1e-300, 1, 1).Next(); g != MaxGap {
		t.Errorf("rate 1e-300: gap %v; want MaxGap", g)
	}
	if g := NewArrivals(5, math.Inf(1), 1).Next(); g != 200*time.Millisecond {
		t.Errorf("burstiness inf: gap %v; want the mean, 200ms", g)
	}
}

// The same seed gives the same schedule.
func TestArrivalsRepeat(t *testing.T) {
	t.Parallel()
	a, b := NewArrivals(5, 0.5, 7), NewArrivals(5, 0.5, 7)
	for i := range 100 {
		if x, y := a.Next(), b.Next(); x != y {
			t.Fatalf("gap %d: %v vs %v with the same seed", i, x, y)
		}
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want Rate
		ok   bool
	}{{"2.5", 2.5, true}, {"inf", Unlimited, true}, {"0", 0, false}, {"-1", 0, false}, {"+Inf", 0, false}, {"x", 0, false}, {"NaN", 0, false}, {"0.001", 0.001, true}, {"0.0009", 0, false}, {"1e-300", 0, false}} {
		got, err := ParseRate(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseRate(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && got.String() != tt.in {
			t.Errorf("Rate(%q).String() = %q", tt.in, got.String())
		}
	}
}
