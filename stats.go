package main

import (
	"fmt"
	"math"
	"slices"

	"github.com/montanaflynn/stats"
)

// Dist summarises one distribution. Percentiles interpolate linearly between
// closest ranks (Hyndman and Fan type 7, NumPy's default): the method of
// montanaflynn/stats v0.14.0's Percentile, which tests hold percentileSorted
// to, bit for bit.
type Dist struct {
	N                    int
	Mean, Median, Stddev float64
	P05, P90, P95, P99   float64
	Min, Max             float64
	CI                   confidence
}

// confidence is a 95% confidence interval for the median (distribution-free,
// from order statistics: the ranks n/2 -+ 1.96 sqrt(n)/2) and for the mean
// (normal approximation, mean -+ 1.96 s/sqrt(n)).
type confidence struct {
	ok                    bool // n is large enough (at least 6)
	medianLow, medianHigh float64
	meanLow, meanHigh     float64
}

func confidenceOf(n int, at func(int) float64, mean, stddev float64) confidence {
	if n < 6 {
		return confidence{}
	}
	half := 1.96 * math.Sqrt(float64(n)) / 2
	lo := max(int(math.Floor(float64(n)/2-half)), 1)  // 1-based rank
	hi := min(int(math.Ceil(float64(n)/2+half))+1, n) // 1-based rank
	margin := 1.96 * stddev / math.Sqrt(float64(n))
	return confidence{ok: true, medianLow: at(lo - 1), medianHigh: at(hi - 1), meanLow: mean - margin, meanHigh: mean + margin}
}

// tailNotes warns where a tail percentile rests on too few samples.
func (d Dist) tailNotes() []string {
	var notes []string
	if d.N > 0 && d.N < 20 {
		notes = append(notes, fmt.Sprintf("p05 and p95 rest on %d samples (fewer than 20)", d.N))
	}
	if d.N > 0 && d.N < 100 {
		notes = append(notes, fmt.Sprintf("p99 rests on %d samples (fewer than 100)", d.N))
	}
	return notes
}

// summarize computes a Dist of xs, sorting xs in place; a Dist with N == 0
// means "n/a". The library's Percentile copies and sorts its input on every
// call (five copies of a million ITL samples is 40 MB of garbage), so the
// percentiles are read off the one sorted slice instead.
func summarize(xs []float64) Dist {
	if len(xs) == 0 {
		return Dist{}
	}
	slices.Sort(xs)
	data := stats.Float64Data(xs)
	mean, _ := stats.Mean(data)
	stddev := 0.0
	if len(xs) > 1 {
		stddev, _ = stats.StandardDeviationSample(data)
	}
	return sortedDist(len(xs), func(i int) float64 { return xs[i] }, mean, stddev)
}

// sortedDist is the Dist of n sorted samples, at(i) the i-th smallest,
// whose mean and sample standard deviation are known.
func sortedDist(n int, at func(int) float64, mean, stddev float64) Dist {
	d := Dist{N: n, Min: at(0), Max: at(n - 1), Mean: mean, Stddev: stddev}
	d.Median = percentileAt(n, at, 50)
	d.P05, d.P90 = percentileAt(n, at, 5), percentileAt(n, at, 90)
	d.P95, d.P99 = percentileAt(n, at, 95), percentileAt(n, at, 99)
	d.CI = confidenceOf(n, at, mean, stddev)
	return d
}

// percentileSorted is stats.Percentile (type 7) on an already sorted slice,
// for 0 < p <= 100.
func percentileSorted(sorted []float64, p float64) float64 {
	return percentileAt(len(sorted), func(i int) float64 { return sorted[i] }, p)
}

// percentileAt is percentileSorted of n sorted samples, at(i) the i-th
// smallest.
func percentileAt(n int, at func(int) float64, p float64) float64 {
	rank := p / 100 * float64(n-1)
	k := int(rank)
	f := rank - float64(k)
	if k+1 >= n || f == 0 || at(k+1) == at(k) {
		return at(k)
	}
	lo, hi := at(k), at(k+1)
	delta := hi - lo
	if math.IsInf(delta, 1) {
		return (1-f)*lo + f*hi
	}
	return lo + f*delta
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return percentileSorted(s, 50)
}

// mannWhitneyP is the two-sided p-value of the Mann-Whitney U test, by the
// normal approximation with tie and continuity corrections. With fewer than
// 5 samples on a side it returns 1: no verdict.
func mannWhitneyP(a, b []float64) float64 {
	n1, n2 := len(a), len(b)
	if n1 < 5 || n2 < 5 {
		return 1
	}
	type obs struct {
		v     float64
		first bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range a {
		all = append(all, obs{v, true})
	}
	for _, v := range b {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(x, y obs) int {
		switch {
		case x.v < y.v:
			return -1
		case x.v > y.v:
			return 1
		}
		return 0
	})
	n := float64(n1 + n2)
	var r1, ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // average of ranks i+1..j
		for k := i; k < j; k++ {
			if all[k].first {
				r1 += rank
			}
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	u1 := r1 - float64(n1*(n1+1))/2
	mean := float64(n1*n2) / 2
	sigma := math.Sqrt(float64(n1*n2) / 12 * ((n + 1) - ties/(n*(n-1))))
	if sigma == 0 {
		return 1
	}
	z := (math.Abs(u1-mean) - 0.5) / sigma
	if z < 0 {
		z = 0
	}
	return math.Erfc(z / math.Sqrt2)
}

// finiteOr is v, or alt when v is NaN or infinite.
func finiteOr(v, alt float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return alt
	}
	return v
}

// addSat is a + b, stopped at the largest or smallest int instead of
// wrapping: a sum of counts never turns negative.
func addSat(a, b int) int {
	switch {
	case b > 0 && a > math.MaxInt-b:
		return math.MaxInt
	case b < 0 && a < math.MinInt-b:
		return math.MinInt
	}
	return a + b
}
