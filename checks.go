package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// crossCheck compares the server's usage with tiktoken's count of the same
// text, over the answers that have both.
type crossCheck struct {
	N             int
	Median, Worst float64 // relative difference, (tiktoken - usage) / usage
}

// trustChecks finds, in the records alone, what lowers trust in a figure:
// guessed token counts, an ignored max_tokens, several tokens per chunk, a
// first request that paid for loading the model. It also returns the token
// cross-check.
func trustChecks(records []Record) ([]string, crossCheck) {
	var notes []string
	var ok []*Record
	for i := range records {
		if r := &records[i]; r.OK && !r.Warmup {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return nil, crossCheck{}
	}

	noUsage, over, overMax, chunks, tokens := 0, 0, 0, 0, 0
	cachedAnswers, cached, prompt, zeroPrompt := 0, 0, 0, 0
	var diffs []float64
	for _, r := range ok {
		if r.UsageTokens < 0 {
			noUsage++
		}
		if r.CachedTokens > 0 {
			cachedAnswers++
			cached += r.CachedTokens
			prompt += max(r.InputTokens, 0)
		}
		if r.InputTokens == 0 {
			zeroPrompt++
		}
		if r.MaxTokens > 0 && r.OutputTokens > r.MaxTokens {
			over++
			overMax = max(overMax, r.OutputTokens)
		}
		if r.Stream && len(r.Chunks) > 0 {
			chunks += len(r.Chunks)
			tokens += r.OutputTokens
		}
		if r.UsageTokens > 0 && r.TiktokenTokens >= 0 {
			diffs = append(diffs, float64(r.TiktokenTokens-r.UsageTokens)/float64(r.UsageTokens))
		}
	}
	if noUsage > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d answers had no usage: their output tokens are tiktoken's estimate, not the model's own count", noUsage, len(ok)))
	}
	if over > 0 {
		notes = append(notes, fmt.Sprintf("%d answers were longer than max_tokens (up to %d tokens): the server ignored the cap, so answers are longer than asked", over, overMax))
	}
	if chunks > 0 && float64(tokens) > 1.1*float64(chunks) {
		notes = append(notes, fmt.Sprintf("%d chunks carried %d tokens (%.1f per chunk): the server sends several tokens at a time, so ITL (per chunk) is coarse", chunks, tokens, float64(tokens)/float64(chunks)))
	}
	if cachedAnswers > 0 {
		notes = append(notes, fmt.Sprintf("%d answers had cached prompt tokens (%d of their %d prompt tokens): the server skipped that prompt processing, so TTFT says little about prefill (make prompts differ: --input-tokens)", cachedAnswers, cached, prompt))
	}
	if zeroPrompt > 0 {
		notes = append(notes, fmt.Sprintf("%d answers reported 0 prompt tokens: the prompt was cached or not counted, so prompt-processing figures mean little", zeroPrompt))
	}
	if note := coldStart(ok); note != "" {
		notes = append(notes, note)
	}
	if n, worst := modelLoads(ok); n > 0 {
		notes = append(notes, fmt.Sprintf("%d measured requests waited for the model to load (up to %.2f s, the server's load_duration): a cold start, or the model reloaded mid-run (a change of num_ctx or other options, or keep_alive running out)", n, worst/1000))
	}
	busy := 0
	for i := range records {
		if !records[i].Warmup && records[i].HTTPStatus == 503 && strings.Contains(records[i].Err, "server busy") {
			busy++
		}
	}
	if busy > 0 {
		notes = append(notes, fmt.Sprintf("%d requests got HTTP 503 \"server busy\": the server's queue was full (Ollama: OLLAMA_MAX_QUEUE, 512 by default), so they were refused, not measured", busy))
	}

	var cross crossCheck
	if len(diffs) > 0 {
		slices.Sort(diffs)
		cross.N, cross.Median = len(diffs), percentileSorted(diffs, 50)
		cross.Worst = slices.MaxFunc(diffs, func(a, b float64) int {
			return cmpFloat(math.Abs(a), math.Abs(b))
		})
	}
	return notes, cross
}

// modelLoads counts answers whose server timings say they waited for a
// model load (Ollama reports a few ms of load_duration even when loaded).
func modelLoads(ok []*Record) (int, float64) {
	n, worst := 0, 0.0
	for _, r := range ok {
		if r.Server != nil && r.Server.LoadMs > 250 {
			n++
			worst = max(worst, r.Server.LoadMs)
		}
	}
	return n, worst
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// coldStart says so when the first request was much slower than the rest
// (by TTFT when streamed, else E2E): the server was likely loading the model.
func coldStart(ok []*Record) string {
	if len(ok) < 5 {
		return ""
	}
	first := slices.MinFunc(ok, func(a, b *Record) int { return cmpFloat(float64(a.Send), float64(b.Send)) })
	latency := func(r *Record) time.Duration {
		if d, ok := r.TTFT(); ok {
			return d
		}
		return r.E2E()
	}
	var rest []float64
	for _, r := range ok {
		if r != first {
			rest = append(rest, float64(latency(r)))
		}
	}
	slices.Sort(rest)
	median := time.Duration(percentileSorted(rest, 50))
	if l := latency(first); l > 3*median && l-median > 100*time.Millisecond {
		return fmt.Sprintf("the first request took %s against a median of %s for the rest: probably the model loading; --warmup keeps such requests out of the figures",
			l.Round(time.Millisecond), median.Round(time.Millisecond))
	}
	return ""
}

// parallelism estimates how many requests the server really generates at
// once, from the run's own timings: over the time some stream was between
// its first and last token, the level of overlap that held for 90% of it.
// When that is well below the requests in flight, the rest waited in the
// server's queue, which shows as TTFT climbing with queue position.
type parallelism struct {
	Estimate   float64       // answers generating at once
	InFlight   float64       // requests in flight, on average (Little's law)
	Waited     int           // requests whose first token came late
	Requests   int           // streamed ok requests looked at
	MedianWait time.Duration // their median wait beyond the quickest TTFT
}

func serverParallelism(records []Record, duration time.Duration, inFlight float64) parallelism {
	var p parallelism
	type edge struct {
		at    time.Duration
		delta int
	}
	var edges []edge
	var decode, waits []float64
	minTTFT := time.Duration(math.MaxInt64)
	var ttfts []time.Duration
	for i := range records {
		r := &records[i]
		ttft, ok := r.TTFT()
		if !r.OK || r.Warmup || !ok {
			continue
		}
		edges = append(edges, edge{r.First(), 1}, edge{r.Last(), -1})
		decode = append(decode, float64(r.Last()-r.First()))
		ttfts = append(ttfts, ttft)
		minTTFT = min(minTTFT, ttft)
	}
	if len(ttfts) < 2 || duration <= 0 {
		return p
	}
	// Time spent at each level of overlap.
	slices.SortFunc(edges, func(a, b edge) int { return cmpFloat(float64(a.at), float64(b.at)) })
	atLevel := map[int]time.Duration{}
	level, busy := 0, time.Duration(0)
	for i, e := range edges {
		if i > 0 && level > 0 {
			d := e.at - edges[i-1].at
			atLevel[level] += d
			busy += d
		}
		level += e.delta
	}
	var covered time.Duration
	for l := 1; busy > 0; l++ {
		if covered += atLevel[l]; covered >= busy*9/10 {
			p.Estimate = float64(l)
			break
		}
	}
	slices.Sort(decode)
	slack := max(50*time.Millisecond, time.Duration(percentileSorted(decode, 50)/2))
	for _, t := range ttfts {
		if t-minTTFT > slack {
			waits = append(waits, float64(t-minTTFT))
		}
	}
	p.InFlight, p.Requests, p.Waited = inFlight, len(ttfts), len(waits)
	if len(waits) > 0 {
		slices.Sort(waits)
		p.MedianWait = time.Duration(percentileSorted(waits, 50))
	}
	return p
}

// String is the report's line, when requests waited in the server.
func (p parallelism) String() string {
	if p.Waited == 0 || p.Estimate >= p.InFlight-0.5 {
		return ""
	}
	return fmt.Sprintf("the server appears to run %s at a time while %.1f were in flight on average: %d of %d requests waited for their first token, median %s longer than the quickest",
		plural(int(p.Estimate), "request"), p.InFlight, p.Waited, p.Requests, p.MedianWait.Round(time.Millisecond))
}
