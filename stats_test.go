package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/montanaflynn/stats"
)

// Percentiles must match NumPy's np.percentile (linear, type 7). The wanted
// values were computed with NumPy 1.24: np.percentile(xs, [5, 50, 90, 95, 99]),
// np.mean(xs) and np.std(xs, ddof=1).
func TestSummarizeMatchesNumPy(t *testing.T) {
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

func TestSummarizeRecordsFollowsMetrics(t *testing.T) {
	a := streamRec(0, 4, 100, 200, 300, 400) // TTFT 100, E2E 400, TPOT 100
	a.InputTokens = 10
	b := streamRec(50, 3, 250, 450, 650) // TTFT 200, E2E 600, TPOT 200
	b.TokenSource = "tiktoken"
	failed := newRecord(2, true)
	failed.Send, failed.Done = 60*time.Millisecond, 1000*time.Millisecond
	failed.fail(failHTTP, "HTTP 500: boom")
	cancelled := newRecord(3, true)
	cancelled.Send, cancelled.Done = 70*time.Millisecond, 5000*time.Millisecond
	cancelled.fail(failCancelled, "cancelled")

	s := summarizeRecords([]Record{a, b, failed, cancelled}, sloBounds{})
	if s.OK != 2 || s.Failed != 1 || s.Cancelled != 1 || s.Total != 4 {
		t.Fatalf("ok/failed/cancelled/total = %d/%d/%d/%d; want 2/1/1/4", s.OK, s.Failed, s.Cancelled, s.Total)
	}
	// Duration: earliest send (0) to latest end (the failed one, 1000 ms);
	// the cancelled request is kept out of every figure.
	if s.Duration != time.Second {
		t.Errorf("duration = %v; want 1s", s.Duration)
	}
	if s.OutputTokens != 7 || s.OutputThroughput != 7 || s.RequestThroughput != 2 {
		t.Errorf("tokens=%d throughput=%v req/s=%v; want 7, 7, 2", s.OutputTokens, s.OutputThroughput, s.RequestThroughput)
	}
	// Little's law: (400 + 600 + 940) ms busy over 1 s.
	if math.Abs(s.Concurrency-1.94) > 1e-9 {
		t.Errorf("concurrency = %v; want 1.94", s.Concurrency)
	}
	if s.TTFT.Mean != 150 || s.TPOT.Mean != 150 || s.E2E.Mean != 500 {
		t.Errorf("TTFT/TPOT/E2E means = %v/%v/%v; want 150/150/500", s.TTFT.Mean, s.TPOT.Mean, s.E2E.Mean)
	}
	if s.ITL.N != 5 || s.ITL.Mean != 140 {
		t.Errorf("ITL n=%d mean=%v; want 5 gaps, mean 140", s.ITL.N, s.ITL.Mean)
	}
	if s.DecodeTPS.Mean != 7.5 { // mean of 10 and 5 tokens/s
		t.Errorf("decode TPS mean = %v; want 7.5", s.DecodeTPS.Mean)
	}
	if s.TPS.Mean != 7.5 { // 4/0.4 = 10 and 3/0.6 = 5
		t.Errorf("TPS mean = %v; want 7.5", s.TPS.Mean)
	}
	if s.FromUsage != 1 || s.FromTiktoken != 1 || s.InputTokens != 10 || s.InputReported != 1 {
		t.Errorf("sources usage=%d tiktoken=%d input=%d/%d; want 1, 1, 10 from 1", s.FromUsage, s.FromTiktoken, s.InputTokens, s.InputReported)
	}
	if len(s.Errors) != 1 || s.Errors[0] != (ErrorCount{"HTTP 500: boom", 1}) {
		t.Errorf("errors = %v; want one HTTP 500", s.Errors)
	}
}

// A single-token stream has a TTFT but no TPOT, ITL or decode TPS.
func TestSummarizeOneToken(t *testing.T) {
	s := summarizeRecords([]Record{streamRec(0, 1, 100)}, sloBounds{})
	if s.TTFT.N != 1 || s.TPOT.N != 0 || s.ITL.N != 0 || s.DecodeTPS.N != 0 {
		t.Errorf("n of TTFT/TPOT/ITL/decode = %d/%d/%d/%d; want 1/0/0/0", s.TTFT.N, s.TPOT.N, s.ITL.N, s.DecodeTPS.N)
	}
}
