package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/montanaflynn/stats"
)

// Percentiles must match NumPy's np.percentile (linear, type 7). The wanted
// values were computed with NumPy 1.24: np.percentile(xs, [5, 50, 90, 95, 99]),
// np.mean(xs) and np.std(xs, ddof=1).
func TestSummarizeMatchesNumPy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                       string
		xs                         []float64
		p05, median, p90, p95, p99 float64
		mean, stddev               float64
	}{
		{"ten", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 1.45, 5.5, 9.1, 9.549999999999999, 9.91, 5.5, 3.0276503540974917},
		{"skewed", []float64{0.5, 120.25, 3.75, 47.0, 46.5, 39.0, 58.25, 7.125, 1000.0, 0.0625, 12.0}, 0.28125, 39.0, 120.25, 560.125, 912.0250000000003, 121.3125, 293.61037240065275},
		{"one", []float64{42}, 42, 42, 42, 42, 42, 42, 0},
		{"two", []float64{10, 20}, 10.5, 15, 19, 19.5, 19.9, 15, 7.0710678118654755},
		{"ties", []float64{5, 5, 5, 1, 1, 9, 9, 9, 9}, 1, 5, 9, 9, 9, 5.888888888888889, 3.3333333333333335},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := summarize(tt.xs)
			for _, c := range []struct {
				what      string
				got, want float64
			}{
				{"p05", d.P05, tt.p05}, {"median", d.Median, tt.median}, {"p90", d.P90, tt.p90},
				{"p95", d.P95, tt.p95}, {"p99", d.P99, tt.p99}, {"mean", d.Mean, tt.mean}, {"stddev", d.Stddev, tt.stddev},
			} {
				if math.Abs(c.got-c.want) > 1e-9*math.Max(1, math.Abs(c.want)) {
					t.Errorf("summarize(%v).%s = %v; want %v", tt.xs, c.what, c.got, c.want)
				}
			}
			if d.N != len(tt.xs) {
				t.Errorf("N = %d; want %d", d.N, len(tt.xs))
			}
		})
	}
	if d := summarize(nil); d.N != 0 {
		t.Errorf("summarize(nil).N = %d; want 0 (n/a)", d.N)
	}
}

// percentileSorted must be the library's Percentile, bit for bit.
func TestPercentileSortedIsTheLibrarys(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 300; n += 7 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Round(rng.ExpFloat64()*1000) / 8 // ties too
		}
		sorted := slices.Clone(xs)
		slices.Sort(sorted)
		for _, p := range []float64{0.5, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100} {
			want, err := stats.Percentile(xs, p)
			if got := percentileSorted(sorted, p); err != nil || got != want {
				t.Fatalf("n=%d p=%v: percentileSorted = %v; stats.Percentile = %v, %v", n, p, got, want, err)
			}
		}
	}
}

// BenchmarkSummarizeMillion measures the statistics on a million samples.
func BenchmarkSummarizeMillion(b *testing.B) {
	xs := make([]float64, 1_000_000)
	for i := range xs {
		xs[i] = float64((i * 7919) % 1_000_003)
	}
	work := make([]float64, len(xs))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, xs) // summarize sorts in place
		summarize(work)
	}
}

// mannWhitneyP matches SciPy, and gives no verdict on too few samples.
func TestMannWhitney(t *testing.T) {
	t.Parallel()
	seq := func(from, n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(from + i)
		}
		return xs
	}
	// scipy.stats.mannwhitneyu(range(1,11), range(11,21), method="asymptotic").pvalue
	if p := mannWhitneyP(seq(1, 10), seq(11, 10)); math.Abs(p-0.00018267) > 1e-6 {
		t.Errorf("p = %v; want 0.00018267", p)
	}
	if p := mannWhitneyP(seq(1, 4), seq(100, 4)); p != 1 {
		t.Errorf("4 samples a side: p = %v; want 1 (no verdict)", p)
	}
}
