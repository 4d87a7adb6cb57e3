package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/montanaflynn/stats"

	"github.com/tpsbench/tpsbench/internal/gpu"
	"github.com/tpsbench/tpsbench/internal/prom"
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

func confidenceOf(sorted []float64, mean, stddev float64) confidence {
	n := len(sorted)
	if n < 6 {
		return confidence{}
	}
	half := 1.96 * math.Sqrt(float64(n)) / 2
	lo := max(int(math.Floor(float64(n)/2-half)), 1)  // 1-based rank
	hi := min(int(math.Ceil(float64(n)/2+half))+1, n) // 1-based rank
	margin := 1.96 * stddev / math.Sqrt(float64(n))
	return confidence{ok: true, medianLow: sorted[lo-1], medianHigh: sorted[hi-1], meanLow: mean - margin, meanHigh: mean + margin}
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
	d := Dist{N: len(xs), Min: xs[0], Max: xs[len(xs)-1]}
	d.Mean, _ = stats.Mean(data)
	d.Median = percentileSorted(xs, 50)
	d.P05, d.P90 = percentileSorted(xs, 5), percentileSorted(xs, 90)
	d.P95, d.P99 = percentileSorted(xs, 95), percentileSorted(xs, 99)
	if len(xs) > 1 {
		d.Stddev, _ = stats.StandardDeviationSample(data)
	}
	d.CI = confidenceOf(xs, d.Mean, d.Stddev)
	return d
}

// percentileSorted is stats.Percentile (type 7) on an already sorted slice,
// for 0 < p <= 100.
func percentileSorted(sorted []float64, p float64) float64 {
	rank := p / 100 * float64(len(sorted)-1)
	k := int(rank)
	f := rank - float64(k)
	if k+1 >= len(sorted) || f == 0 || sorted[k+1] == sorted[k] {
		return sorted[k]
	}
	delta := sorted[k+1] - sorted[k]
	if math.IsInf(delta, 1) {
		return (1-f)*sorted[k] + f*sorted[k+1]
	}
	return sorted[k] + f*delta
}

// ErrorCount is one failure reason and how many requests ended in it.
type ErrorCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// Summary holds every figure of a run, computed once from its Records.
// Times are in milliseconds, rates per second.
type Summary struct {
	Sent                         int // requests sent, counted apart from the Records
	Total, OK, Failed, Cancelled int
	Streamed                     bool // some ok request was streamed
	Retried                      int  // requests re-sent after a dead pooled connection
	NewConns                     int  // requests that opened a connection
	Connect                      Dist // how long opening one took (ms)

	OutputTokens  int
	InputTokens   int
	InputReported int // ok requests whose usage gave prompt_tokens
	ReasonTokens  int // of the output tokens, the server's reasoning_tokens
	ReasonAnswers int // answers that reported reasoning_tokens
	FromUsage     int // ok requests counted by usage
	FromTiktoken  int // ok requests counted by tiktoken
	Chunks        int // token-bearing chunks of ok streamed requests

	Duration          time.Duration
	OutputThroughput  float64 // tokens/s
	RequestThroughput float64 // requests/s
	Concurrency       float64 // achieved, by Little's law

	TPS, E2E                   Dist
	TTFT, TPOT, ITL, DecodeTPS Dist
	TTFO                       Dist // first answer (not reasoning) chunk; only when some stream reasoned first

	// Open loop only (requests with a schedule).
	Scheduled    bool
	Queue        Dist // client queue: t_send - t_sched
	E2EQueue     Dist // t_last - t_sched: what a user arriving on schedule saw
	TTFTQueue    Dist // t_first - t_sched
	SLO          sloBounds
	Good         int     // ok requests within every SLO bound
	Goodput      float64 // good requests / duration
	GoodFraction float64 // good / (ok + failed)

	// From the server's own timings (llama.cpp's timings, Ollama's native
	// counts), beside the client's figures.
	ServerAnswers   int  // ok answers that carried them
	ServerTokens    int  // tokens the server says it generated, over those answers
	ClientTokens    int  // tokens the client counted, over the same answers
	ServerDecodeTPS Dist // decode tokens / decode time
	ServerPromptMs  Dist // prompt processing time
	ServerPrefill   Dist // prompt tokens / prompt time (tokens/s)
	ServerLoadMs    Dist // model load time (Ollama), where non-zero

	Checks      []string      // findings that lower trust in a figure (see trustChecks)
	Cross       crossCheck    // usage against tiktoken
	Client      *clientHealth // how the client fared (live runs only: not in records)
	Metrics     *prom.Delta   // the server's Prometheus counters over the run (live runs only)
	Fingerprint *fingerprint  // what produced the numbers (live runs only)
	Parallel    parallelism   // how many requests the server appears to run at once
	Energy      *gpu.Report   // --gpu (live runs only)
	Errors      []ErrorCount  // most frequent first
	Samples     jsonSamples   // per-request values of the headline figures, sorted
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// summarizeRecords computes a Summary as ../shared/METRICS.md defines it.
// Cancelled requests are counted apart and enter no statistic.
// Warm-up records are left out; slo, if set, defines goodput.
func summarizeRecords(records []Record, slo sloBounds) Summary {
	s := Summary{Sent: len(records), SLO: slo}
	var tps, e2e, ttft, ttfo, tpot, decode, connect []float64
	var queue, e2eQueue, ttftQueue []float64
	var srvDecode, srvPrompt, srvLoad, srvPrefill []float64
	reasoning := false
	gaps := 0
	for i := range records {
		if records[i].OK && len(records[i].Chunks) > 1 {
			gaps += len(records[i].Chunks) - 1
		}
	}
	itl := make([]float64, 0, gaps)
	reasons := map[string]int{}
	first, last := time.Duration(math.MaxInt64), time.Duration(math.MinInt64)
	var busy time.Duration
	for i := range records {
		r := &records[i]
		if r.Warmup {
			s.Sent--
			continue
		}
		s.Total++
		if r.Retried {
			s.Retried++
		}
		if r.NewConn {
			s.NewConns++
			connect = append(connect, ms(r.Connect))
		}
		if r.FailKind == failCancelled {
			s.Cancelled++
			continue
		}
		first = min(first, r.Send)
		last = max(last, r.End())
		busy += r.E2E()
		if !r.OK {
			s.Failed++
			reasons[r.Err]++
			continue
		}
		s.OK++
		if t := r.Server; t != nil {
			s.ServerAnswers++
			s.ClientTokens += r.OutputTokens
			if t.DecodeTokens >= 0 {
				s.ServerTokens += t.DecodeTokens
			}
			if tps := t.DecodeTPS(); tps > 0 {
				srvDecode = append(srvDecode, tps)
			}
			if t.PromptMs >= 0 {
				srvPrompt = append(srvPrompt, t.PromptMs)
			}
			if t.PromptMs > 0 && t.PromptTokens > 0 {
				srvPrefill = append(srvPrefill, float64(t.PromptTokens)/t.PromptMs*1000)
			}
			if t.LoadMs > 0 {
				srvLoad = append(srvLoad, t.LoadMs)
			}
		}
		if slo.set() && r.withinSLO(slo) {
			s.Good++
		}
		if r.Sched != none {
			s.Scheduled = true
			queue = append(queue, ms(r.Send-r.Sched))
			e2eQueue = append(e2eQueue, ms(r.End()-r.Sched))
			if r.Stream && len(r.Chunks) > 0 {
				ttftQueue = append(ttftQueue, ms(r.First()-r.Sched))
			}
		}
		s.OutputTokens += r.OutputTokens
		if r.InputTokens >= 0 {
			s.InputTokens += r.InputTokens
			s.InputReported++
		}
		if r.ReasonTokens > 0 {
			s.ReasonTokens += r.ReasonTokens
			s.ReasonAnswers++
		}
		if r.TokenSource == "usage" {
			s.FromUsage++
		} else {
			s.FromTiktoken++
		}
		tps = append(tps, r.TPS())
		e2e = append(e2e, ms(r.E2E()))
		if d, ok := r.TTFT(); ok {
			s.Streamed = true
			s.Chunks += len(r.Chunks)
			ttft = append(ttft, ms(d))
			if r.FirstAnswer != none {
				ttfo = append(ttfo, ms(r.FirstAnswer-r.Send))
				reasoning = reasoning || r.Reasoning
			}
			for j := 1; j < len(r.Chunks); j++ {
				itl = append(itl, ms(r.Chunks[j]-r.Chunks[j-1]))
			}
		}
		if d, ok := r.TPOT(); ok {
			tpot = append(tpot, ms(d))
			if d > 0 { // 0 when every token arrived in one read: no rate to give
				decode = append(decode, float64(time.Second)/float64(d))
			}
		}
	}
	if s.OK+s.Failed > 0 && last > first {
		s.Duration = last - first
		secs := s.Duration.Seconds()
		s.OutputThroughput = float64(s.OutputTokens) / secs
		s.RequestThroughput = float64(s.OK) / secs
		s.Concurrency = busy.Seconds() / secs
		s.Goodput = float64(s.Good) / secs
	}
	if s.OK+s.Failed > 0 {
		s.GoodFraction = float64(s.Good) / float64(s.OK+s.Failed)
	}
	s.Queue, s.E2EQueue, s.TTFTQueue = summarize(queue), summarize(e2eQueue), summarize(ttftQueue)
	s.ServerDecodeTPS, s.ServerPromptMs, s.ServerLoadMs = summarize(srvDecode), summarize(srvPrompt), summarize(srvLoad)
	s.ServerPrefill = summarize(srvPrefill)
	s.Samples = jsonSamples{TPS: tps, TTFTMs: ttft, TPOTMs: tpot, E2EMs: e2e}
	s.Checks, s.Cross = trustChecks(records)
	s.Parallel = serverParallelism(records, s.Duration, s.Concurrency)
	if s.Samples.TPS == nil {
		s.Samples.TPS, s.Samples.E2EMs = []float64{}, []float64{}
	}
	s.TPS, s.E2E, s.Connect = summarize(tps), summarize(e2e), summarize(connect)
	s.TTFT, s.TPOT, s.ITL, s.DecodeTPS = summarize(ttft), summarize(tpot), summarize(itl), summarize(decode)
	if reasoning {
		s.TTFO = summarize(ttfo)
	}
	for reason, n := range reasons {
		s.Errors = append(s.Errors, ErrorCount{Reason: reason, Count: n})
	}
	slices.SortFunc(s.Errors, func(a, b ErrorCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	return s
}

// withinSLO reports whether an ok request met every bound given; a bound
// it cannot be held to (TTFT without streaming, TPOT with one token) fails it.
func (r *Record) withinSLO(slo sloBounds) bool {
	if slo.e2e > 0 && r.E2E() > slo.e2e {
		return false
	}
	if slo.ttft > 0 {
		if d, ok := r.TTFT(); !ok || d > slo.ttft {
			return false
		}
	}
	if slo.tpot > 0 {
		if d, ok := r.TPOT(); !ok || d > slo.tpot {
			return false
		}
	}
	return true
}
