package main

import (
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

// measure measures the run since startWatch.
func (w *clientWatch) measure() clientHealth {
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

func (h clientHealth) utilisation() float64 {
	if h.Wall <= 0 || h.Cores == 0 {
		return 0
	}
	return h.CPU.Seconds() / h.Wall.Seconds() / float64(h.Cores)
}

// boundLimit is how long the runtime may delay the client at p99 before
// that matters: 5% of the run's median latency, at least 1 ms.
func boundLimit(latency time.Duration) time.Duration { return max(time.Millisecond, latency/20) }

// clientBound reports whether the client, not the server, may have limited
// the figures. latency is the run's median TTFT (or E2E): client delays
// matter relative to it. The finding names which limits were crossed.
func (h clientHealth) clientBound(latency time.Duration) bool {
	limit := boundLimit(latency)
	return h.SchedP50 > time.Millisecond || h.SchedP99 > limit || h.GCPauseP99 > limit || h.utilisation() > 0.9
}
