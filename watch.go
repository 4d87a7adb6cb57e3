package main

import (
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"time"

	"github.com/tpsbench/tpsbench/internal/host"
)

// The client watches itself: if it was short of CPU, or the Go runtime kept
// ready goroutines waiting, the figures measure the client as much as the
// server, and the report says so instead of printing wrong numbers quietly.

const (
	metricSchedLatency = "/sched/latencies:seconds"       // time ready goroutines waited to run
	metricGCPauses     = "/sched/pauses/total/gc:seconds" // stop-the-world pauses for GC
)

// clientWatch samples the process at the start of a run.
type clientWatch struct {
	start   time.Time
	cpu     time.Duration
	samples []metrics.Sample
}

// clientHealth is how the client fared during a run.
type clientHealth struct {
	Wall, CPU          time.Duration
	Cores              int // GOMAXPROCS
	SchedP50, SchedP99 time.Duration
	GCPauseP99         time.Duration
	GCPauses           uint64
}

func startWatch() *clientWatch {
	w := &clientWatch{start: time.Now(), cpu: host.ProcessCPU()}
	w.samples = []metrics.Sample{{Name: metricSchedLatency}, {Name: metricGCPauses}}
	metrics.Read(w.samples)
	return w
}

// stop measures the run since startWatch.
func (w *clientWatch) stop() clientHealth {
	now := []metrics.Sample{{Name: metricSchedLatency}, {Name: metricGCPauses}}
	metrics.Read(now)
	h := clientHealth{Wall: time.Since(w.start), CPU: host.ProcessCPU() - w.cpu, Cores: runtime.GOMAXPROCS(0)}
	if d, ok := histDelta(w.samples[0], now[0]); ok {
		h.SchedP50, h.SchedP99 = d.quantile(0.5), d.quantile(0.99)
	}
	if d, ok := histDelta(w.samples[1], now[1]); ok {
		h.GCPauseP99, h.GCPauses = d.quantile(0.99), d.total
	}
	return h
}

// runtimeHist is the difference of two readings of a runtime histogram.
type runtimeHist struct {
	counts  []uint64
	buckets []float64 // len(counts)+1 boundaries, in seconds
	total   uint64
}

func histDelta(before, after metrics.Sample) (runtimeHist, bool) {
	if before.Value.Kind() != metrics.KindFloat64Histogram || after.Value.Kind() != metrics.KindFloat64Histogram {
		return runtimeHist{}, false
	}
	b, a := before.Value.Float64Histogram(), after.Value.Float64Histogram()
	h := runtimeHist{counts: make([]uint64, len(a.Counts)), buckets: a.Buckets}
	for i := range a.Counts {
		h.counts[i] = a.Counts[i]
		if i < len(b.Counts) {
			h.counts[i] -= b.Counts[i]
		}
		h.total += h.counts[i]
	}
	return h, h.total > 0
}

// quantile is the upper bound of the bucket that holds quantile q.
func (h runtimeHist) quantile(q float64) time.Duration {
	target := uint64(math.Ceil(q * float64(h.total)))
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= max(target, 1) {
			hi := h.buckets[i+1]
			if math.IsInf(hi, 1) {
				hi = h.buckets[i]
			}
			return time.Duration(hi * float64(time.Second))
		}
	}
	return 0
}

// String is the report's "Client:" line.
func (h clientHealth) String() string {
	return fmt.Sprintf("CPU %.2f s over %.2f s (%.0f%% of %s), ready goroutines waited p50 %s / p99 %s, GC pauses p99 %s",
		h.CPU.Seconds(), h.Wall.Seconds(), 100*h.utilisation(), plural(h.Cores, "core"), fmtMs(h.SchedP50), fmtMs(h.SchedP99), fmtMs(h.GCPauseP99))
}

func (h clientHealth) utilisation() float64 {
	if h.Wall <= 0 || h.Cores == 0 {
		return 0
	}
	return h.CPU.Seconds() / h.Wall.Seconds() / float64(h.Cores)
}

func fmtMs(d time.Duration) string { return fmt.Sprintf("%.2f ms", ms(d)) }

// clientBound says why the client, not the server, may have limited the
// figures, or "" when it kept up. latency is the run's median TTFT (or E2E):
// client delays matter relative to it.
func (h clientHealth) clientBound(latency time.Duration) string {
	limit := max(time.Millisecond, latency/20)
	var why []string
	if h.SchedP50 > time.Millisecond {
		why = append(why, fmt.Sprintf("ready goroutines waited %s at the median", fmtMs(h.SchedP50)))
	}
	if h.SchedP99 > limit {
		why = append(why, fmt.Sprintf("ready goroutines waited %s at p99 (over 5%% of the median latency)", fmtMs(h.SchedP99)))
	}
	if h.GCPauseP99 > limit {
		why = append(why, fmt.Sprintf("GC paused it %s at p99", fmtMs(h.GCPauseP99)))
	}
	if u := h.utilisation(); u > 0.9 {
		why = append(why, fmt.Sprintf("it used %.0f%% of its %s", 100*u, plural(h.Cores, "core")))
	}
	if len(why) == 0 {
		return ""
	}
	msg := "client-bound: "
	for i, w := range why {
		if i > 0 {
			msg += "; "
		}
		msg += w
	}
	return msg + ": figures above understate the server (give the client more CPU, or fewer threads)"
}

// noteHealth puts the client's health in s and, when it was client-bound,
// a check that says so.
// With the simulator in the same process (--sim), its work counts as the
// client's too, and the note says so.
func noteHealth(s *Summary, h clientHealth, simulated bool) {
	s.Client = &h
	latency := s.E2E.Median
	if s.TTFT.N > 0 {
		latency = s.TTFT.Median
	}
	if note := h.clientBound(time.Duration(latency * float64(time.Millisecond))); note != "" {
		if simulated {
			note += " (with --sim the simulator runs in this process too: use 'tpsbench sim' apart for a fair measure)"
		}
		s.Checks = append(s.Checks, note)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
