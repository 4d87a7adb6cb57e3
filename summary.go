package main

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/tpsbench/tpsbench/internal/gpu"
	"github.com/tpsbench/tpsbench/internal/prom"
)

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
	ReadyConns                   int  // connections in the pool before the clock
	PreConns                     int  // of them, opened just before the clock
	PreConnect                   Dist // how long opening one took (ms)

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
	ServerTokens    int  // addTokens the server says it generated, over those answers
	ClientTokens    int  // addTokens the client counted, over the same answers
	ServerDecodeTPS Dist // decode tokens / decode time
	ServerPromptMs  Dist // prompt processing time
	ServerPrefill   Dist // prompt tokens / prompt time (tokens/s)
	ServerLoadMs    Dist // model load time (Ollama), where non-zero

	Checks      []finding       // what lowers trust in a figure (see trustChecks)
	Cross       tokenCrossCheck // usage against tiktoken
	Client      *clientHealth   // how the client fared (live runs only: not in records)
	Metrics     *prom.Delta     // the server's Prometheus counters over the run (live runs only)
	Fingerprint *fingerprint    // what produced the numbers (live runs only)
	Parallel    parallelism     // how many requests the server appears to run at once
	Energy      *gpu.Report     // --gpu (live runs only)
	Errors      []ErrorCount    // most frequent first
	Samples     jsonSamples     // per-request values of the headline figures, sorted
}

// runFacts are what a run knows beside its Records.
type runFacts struct {
	sent        int  // requests sent, counted apart from the Records
	sentCounted bool // sent holds a count (a rebuilt report has none)
	slo         sloBounds
	simulated   bool          // the simulator ran in this process
	health      *clientHealth // how the client fared
	metrics     *prom.Delta   // the server's counters over the run
	gpu         *gpuWindows   // the GPUs' samples
	fingerprint *fingerprint
	ready       int             // connections in the pool before the clock
	preopened   []time.Duration // connect time of each of them opened then
}

// summarise builds a run's Summary, once, from its Records and its own
// facts: the figures as the README's "What each figure means" defines them, then the client's
// health, the server's counters, the energy and the fingerprint.
func summarise(records []Record, f runFacts) Summary {
	s := summarizeRecords(records, f.slo)
	if f.sentCounted {
		s.Sent = f.sent
	}
	if f.health != nil {
		noteHealth(&s, *f.health, f.simulated)
	}
	s.Metrics = f.metrics
	if g := f.gpu; g != nil {
		e := gpu.Energy(g.source, g.gpus, g.idle, g.run, s.OutputTokens)
		s.Energy = &e
	}
	s.Fingerprint = f.fingerprint
	s.ReadyConns = f.ready
	if len(f.preopened) > 0 {
		ms := make([]float64, len(f.preopened))
		for i, d := range f.preopened {
			ms[i] = toMs(d)
		}
		s.PreConns, s.PreConnect = len(ms), summarize(ms)
	}
	return s
}

// tally gathers the per-request values of a run as its Records are read.
type tally struct {
	tps, e2e, ttft, ttfo, tpot, decode, connect []float64
	itl                                         gapSamples
	queue, e2eQueue, ttftQueue                  []float64
	srvDecode, srvPrompt, srvLoad, srvPrefill   []float64
	reasoning                                   bool
	reasons                                     map[string]int
	first, last                                 time.Duration
	busy                                        time.Duration
}

func newTally() *tally {
	return &tally{reasons: map[string]int{}, first: time.Duration(math.MaxInt64), last: time.Duration(math.MinInt64)}
}

// summarizeRecords computes the figures of a Summary as the README defines
// them. Cancelled requests are counted apart and enter no
// statistic. Warm-up records are left out; slo, if set, defines goodput.
func summarizeRecords(records []Record, slo sloBounds) Summary {
	s := Summary{Sent: len(records), SLO: slo}
	t := newTally()
	for i := range records {
		t.add(&s, &records[i])
	}
	t.into(&s, records)
	return s
}

// add counts one Record into s and t.
func (t *tally) add(s *Summary, r *Record) {
	if r.Warmup {
		s.Sent--
		return
	}
	s.Total++
	if r.Retried {
		s.Retried++
	}
	if r.NewConn {
		s.NewConns++
		t.connect = append(t.connect, toMs(r.Connect))
	}
	if r.FailKind == failCancelled {
		s.Cancelled++
		return
	}
	t.first = min(t.first, r.Send)
	t.last = max(t.last, r.End())
	t.busy += r.E2E()
	if !r.OK {
		s.Failed++
		t.reasons[r.Err]++
		return
	}
	s.OK++
	t.addServer(s, r)
	if s.SLO.set() && r.withinSLO(s.SLO) {
		s.Good++
	}
	if r.Sched != none {
		s.Scheduled = true
		t.queue = append(t.queue, toMs(r.Send-r.Sched))
		t.e2eQueue = append(t.e2eQueue, toMs(r.End()-r.Sched))
		if r.Stream && r.Chunks.Len() > 0 {
			t.ttftQueue = append(t.ttftQueue, toMs(r.First()-r.Sched))
		}
	}
	t.addTokens(s, r)
	t.addTimings(s, r)
}

// addServer counts the server's own timings of an ok answer.
func (t *tally) addServer(s *Summary, r *Record) {
	st := r.Server
	if st == nil {
		return
	}
	s.ServerAnswers++
	s.ClientTokens = addSat(s.ClientTokens, r.OutputTokens)
	if st.DecodeTokens >= 0 {
		s.ServerTokens = addSat(s.ServerTokens, st.DecodeTokens)
	}
	if tps := st.DecodeTPS(); tps > 0 {
		t.srvDecode = append(t.srvDecode, tps)
	}
	if st.PromptMs >= 0 {
		t.srvPrompt = append(t.srvPrompt, st.PromptMs)
	}
	if tps := st.PrefillTPS(); tps > 0 {
		t.srvPrefill = append(t.srvPrefill, tps)
	}
	if st.LoadMs > 0 {
		t.srvLoad = append(t.srvLoad, st.LoadMs)
	}
}

// addTokens counts an ok answer's tokens.
func (t *tally) addTokens(s *Summary, r *Record) {
	s.OutputTokens = addSat(s.OutputTokens, r.OutputTokens)
	if r.InputTokens >= 0 {
		s.InputTokens = addSat(s.InputTokens, r.InputTokens)
		s.InputReported++
	}
	if r.ReasonTokens > 0 {
		s.ReasonTokens = addSat(s.ReasonTokens, r.ReasonTokens)
		s.ReasonAnswers++
	}
	if r.TokenSource == sourceUsage {
		s.FromUsage++
	} else {
		s.FromTiktoken++
	}
}

// addTimings takes an ok answer's latencies.
func (t *tally) addTimings(s *Summary, r *Record) {
	t.tps = append(t.tps, r.TPS())
	t.e2e = append(t.e2e, toMs(r.E2E()))
	if d, ok := r.TTFT(); ok {
		s.Streamed = true
		s.Chunks += r.Chunks.Len()
		t.ttft = append(t.ttft, toMs(d))
		if r.FirstAnswer != none {
			t.ttfo = append(t.ttfo, toMs(r.FirstAnswer-r.Send))
			t.reasoning = t.reasoning || r.Reasoning
		}
		for j := 1; j < r.Chunks.Len(); j++ {
			t.itl.add(r.Chunks.Gap(j))
		}
	}
	if d, ok := r.TPOT(); ok {
		t.tpot = append(t.tpot, toMs(d))
		if d > 0 { // 0 when every token arrived in one read: no rate to give
			t.decode = append(t.decode, float64(time.Second)/float64(d))
		}
	}
}

// into computes s's rates and distributions from what t gathered.
func (t *tally) into(s *Summary, records []Record) {
	if s.OK+s.Failed > 0 && t.last > t.first {
		s.Duration = t.last - t.first
		secs := s.Duration.Seconds()
		s.OutputThroughput = float64(s.OutputTokens) / secs
		s.RequestThroughput = float64(s.OK) / secs
		s.Concurrency = t.busy.Seconds() / secs
		s.Goodput = float64(s.Good) / secs
	}
	if s.OK+s.Failed > 0 {
		s.GoodFraction = float64(s.Good) / float64(s.OK+s.Failed)
	}
	s.Queue, s.E2EQueue, s.TTFTQueue = summarize(t.queue), summarize(t.e2eQueue), summarize(t.ttftQueue)
	s.ServerDecodeTPS, s.ServerPromptMs, s.ServerLoadMs = summarize(t.srvDecode), summarize(t.srvPrompt), summarize(t.srvLoad)
	s.ServerPrefill = summarize(t.srvPrefill)
	s.Samples = jsonSamples{TPS: t.tps, TTFTMs: t.ttft, TPOTMs: t.tpot, E2EMs: t.e2e}
	s.Checks, s.Cross = trustChecks(records)
	s.Parallel = serverParallelism(records, s.Duration, s.Concurrency)
	if s.Samples.TPS == nil {
		s.Samples.TPS, s.Samples.E2EMs = []float64{}, []float64{}
	}
	s.TPS, s.E2E, s.Connect = summarize(t.tps), summarize(t.e2e), summarize(t.connect)
	s.TTFT, s.TPOT, s.ITL, s.DecodeTPS = summarize(t.ttft), summarize(t.tpot), t.itl.dist(), summarize(t.decode)
	if t.reasoning {
		s.TTFO = summarize(t.ttfo)
	}
	for reason, n := range t.reasons {
		s.Errors = append(s.Errors, ErrorCount{Reason: reason, Count: n})
	}
	slices.SortFunc(s.Errors, func(a, b ErrorCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
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

// finishedRun is everything a run's files are rendered from.
type finishedRun struct {
	cfg     *config // nil for a rebuilt report, whose configuration is unknown
	baseURL string  // the endpoint measured
	started time.Time
	s       Summary
	levels  []sweepLevel
	records []Record
}

// jsonSamples are the per-request values behind the headline figures, so
// that tpsbench compare can test a difference for significance.
type jsonSamples struct {
	TPS    []float64 `json:"tps"`
	TTFTMs []float64 `json:"ttft_ms,omitempty"`
	TPOTMs []float64 `json:"tpot_ms,omitempty"`
	E2EMs  []float64 `json:"e2e_ms"`
}

// noteHealth puts the client's health in s and, when it was client-bound,
// a finding that says so: only when some answer came, since the client's
// delays are weighed against the answers' latency.
func noteHealth(s *Summary, h clientHealth, simulated bool) {
	s.Client = &h
	if s.OK == 0 {
		return
	}
	latency := s.E2E.Median
	if s.TTFT.N > 0 {
		latency = s.TTFT.Median
	}
	d := time.Duration(latency * float64(time.Millisecond))
	if h.clientBound(d) {
		s.Checks = append(s.Checks, clientBoundFinding{health: h, latency: d, simulated: simulated})
	}
}

// sweepLevel is one level of a sweep and its figures.
type sweepLevel struct {
	label string
	s     Summary
}

// modelResult is one model's summary in a several-model run.
type modelResult struct {
	model string
	s     Summary
}
