package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

// Every figure of a small mixed run, computed by hand from the definitions.
func TestSummarizeRecordsFollowsMetrics(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	s := summarizeRecords([]Record{streamRec(0, 1, 100)}, sloBounds{})
	if s.TTFT.N != 1 || s.TPOT.N != 0 || s.ITL.N != 0 || s.DecodeTPS.N != 0 {
		t.Errorf("n of TTFT/TPOT/ITL/decode = %d/%d/%d/%d; want 1/0/0/0", s.TTFT.N, s.TPOT.N, s.ITL.N, s.DecodeTPS.N)
	}
}

// Against the simulator, in both shapes that carry server timings: the
// server's decode rate and prompt time stand beside the client's.
func TestServerSideEndToEnd(t *testing.T) {
	t.Parallel()
	for _, shape := range [][]string{{"--api", "ollama"}, {"--sim-style", "llamacpp"}} {
		t.Run(strings.Join(shape, " "), func(t *testing.T) {
			t.Parallel()
			doc, _ := runJSON(t, 0, append(withSim(slowSim, "2", "--stream", "--requests", "4"), shape...)...)
			srv := doc.ServerSide
			if srv == nil || srv.Answers != 4 || srv.ServerTokens != 64 || srv.ClientTokens != 64 || srv.DecodeTPS == nil || srv.DecodeTPS.Count != 4 || doc.DecodeTPS == nil {
				t.Errorf("server side %+v, client decode TPS %+v; want the server's decode rate of 4 answers, 64 tokens, beside the client's", srv, doc.DecodeTPS)
			}
		})
	}
}

// Sums of token counts cannot wrap, even over records no live run would
// keep (a records file written by hand or by another tool): they stop at
// the largest int.
func TestTokenSumsSaturate(t *testing.T) {
	t.Parallel()
	var records []Record
	for i := range 3 {
		r := streamRec(10*i, math.MaxInt, 100, 200)
		r.InputTokens, r.ReasonTokens, r.CachedTokens = math.MaxInt, math.MaxInt, math.MaxInt
		r.Server = &ServerTimes{PromptTokens: 1, DecodeTokens: math.MaxInt, PromptMs: 1, DecodeMs: 1, LoadMs: -1}
		records = append(records, r)
	}
	s := summarizeRecords(records, sloBounds{})
	for name, v := range map[string]int{"output": s.OutputTokens, "input": s.InputTokens, "reasoning": s.ReasonTokens,
		"server": s.ServerTokens, "client": s.ClientTokens} {
		if v != math.MaxInt {
			t.Errorf("%s tokens = %d; want the sum to stop at %d", name, v, math.MaxInt)
		}
	}
	if s.OutputThroughput <= 0 {
		t.Errorf("output throughput = %v; want positive", s.OutputThroughput)
	}
	if f, ok := findFinding[cachedFinding](s.Checks); !ok || f.cached != math.MaxInt || f.prompt != math.MaxInt {
		t.Errorf("cached finding %+v (found %v); want sums stopped at the largest int", f, ok)
	}
}

// findFinding returns the first finding of type F.
func findFinding[F finding](found []finding) (F, bool) {
	for _, f := range found {
		if x, ok := f.(F); ok {
			return x, true
		}
	}
	var zero F
	return zero, false
}

// The client-bound finding needs answers to weigh the client's delays
// against: when every request failed, there is no latency and no finding.
func TestClientBoundNeedsAnswers(t *testing.T) {
	t.Parallel()
	slow := clientHealth{Wall: time.Second, CPU: 100 * time.Millisecond, Cores: 2, SchedP50: 10 * time.Microsecond, SchedP99: 20 * time.Millisecond}
	bound := func(s Summary) bool {
		for _, c := range s.Checks {
			if _, ok := c.(clientBoundFinding); ok {
				return true
			}
		}
		return false
	}
	recs := goldenRecords()
	if s := summarise(recs[8:], runFacts{health: &slow}); bound(s) {
		t.Errorf("every request failed, yet the client is called the bottleneck: %v", s.Checks)
	}
	if s := summarise(recs, runFacts{health: &slow}); !bound(s) {
		t.Errorf("20 ms of scheduling delay at p99 against a median TTFT near 150 ms: want the client-bound finding, got %v", s.Checks)
	}
}
