package main

import (
	"math"
	"slices"
	"strings"
	"time"
)

// tokenCrossCheck compares the server's usage with tiktoken's count of the same
// text, over the answers that have both.
type tokenCrossCheck struct {
	N             int
	Median, Worst float64 // relative difference, (tiktoken - usage) / usage
}

// finding is one thing found in a run that lowers trust in a figure. It is
// data: the report words it (findingText).
type finding interface{ isFinding() }

// The findings trustChecks can return, each with the numbers its text
// needs.
type (
	// noUsageFinding: answers without usage, counted by tiktoken.
	noUsageFinding struct{ answers, of int }
	// approxCountFinding: answers whose tiktoken count cut text without a
	// word break.
	approxCountFinding struct{ answers int }
	// overMaxFinding: answers longer than max_tokens; the longest.
	overMaxFinding struct{ answers, longest int }
	// shortFixedFinding: with --fixed-output, answers shorter than the
	// tokens asked; the shortest.
	shortFixedFinding struct{ answers, of, asked, shortest int }
	// wholeAnswerFinding: answers that came whole though a stream was
	// asked: the server ignores "stream".
	wholeAnswerFinding struct{ answers, of int }
	// chunkingFinding: several tokens per chunk, so ITL is coarse.
	chunkingFinding struct{ chunks, tokens int }
	// cachedFinding: answers with cached prompt tokens.
	cachedFinding struct{ answers, cached, prompt int }
	// zeroPromptFinding: answers that reported 0 prompt tokens.
	zeroPromptFinding struct{ answers int }
	// coldStartFinding: the first requests (those sent before any answer
	// came) were much slower than the rest.
	coldStartFinding struct {
		requests      int
		first, median time.Duration // first: the slowest of them
	}
	// modelLoadFinding: requests that waited for the model to load.
	modelLoadFinding struct {
		answers int
		worstMs float64
	}
	// serverBusyFinding: requests refused with 503 "server busy".
	serverBusyFinding struct{ requests int }
	// clientBoundFinding: the client, not the server, may have limited the
	// figures.
	clientBoundFinding struct {
		health    clientHealth
		latency   time.Duration // the run's median TTFT (or E2E)
		simulated bool          // the simulator ran in this process
	}
)

func (noUsageFinding) isFinding()     {}
func (approxCountFinding) isFinding() {}
func (overMaxFinding) isFinding()     {}
func (shortFixedFinding) isFinding()  {}
func (chunkingFinding) isFinding()    {}
func (wholeAnswerFinding) isFinding() {}
func (cachedFinding) isFinding()      {}
func (zeroPromptFinding) isFinding()  {}
func (coldStartFinding) isFinding()   {}
func (modelLoadFinding) isFinding()   {}
func (serverBusyFinding) isFinding()  {}
func (clientBoundFinding) isFinding() {}

// trustChecks finds, in the records alone, what lowers trust in a figure:
// guessed token counts, an ignored max_tokens, several tokens per chunk, a
// first request that paid for loading the model. It also returns the token
// cross-check.
func trustChecks(records []Record) ([]finding, tokenCrossCheck) {
	var ok []*Record
	for i := range records {
		if r := &records[i]; r.OK && !r.Warmup {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return nil, tokenCrossCheck{}
	}
	found := answerChecks(ok)
	if f, found1 := coldStart(ok); found1 {
		found = append(found, f)
	}
	if n, worst := modelLoads(ok); n > 0 {
		found = append(found, modelLoadFinding{n, worst})
	}
	busy := 0
	for i := range records {
		if !records[i].Warmup && records[i].HTTPStatus == 503 && strings.Contains(records[i].Err, "server busy") {
			busy++
		}
	}
	if busy > 0 {
		found = append(found, serverBusyFinding{busy})
	}
	return found, crossChecked(ok)
}

// answerChecks looks at what the ok answers say of themselves.
func answerChecks(ok []*Record) []finding {
	noUsage, approx, over, overMax, chunks, tokens, whole := 0, 0, 0, 0, 0, 0, 0
	cachedAnswers, cached, prompt, zeroPrompt := 0, 0, 0, 0
	for _, r := range ok {
		if r.UsageTokens < 0 {
			noUsage++
		}
		if r.TokensApprox {
			approx++
		}
		if r.StreamIgnored {
			whole++
		}
		if r.CachedTokens > 0 {
			cachedAnswers++
			cached = addSat(cached, r.CachedTokens)
			prompt = addSat(prompt, max(r.InputTokens, 0))
		}
		if r.InputTokens == 0 {
			zeroPrompt++
		}
		if r.MaxTokens > 0 && r.OutputTokens > r.MaxTokens {
			over++
			overMax = max(overMax, r.OutputTokens)
		}
		if n := r.Chunks.Len(); r.Stream && n > 0 {
			chunks += n
			tokens = addSat(tokens, r.OutputTokens)
		}
	}
	var found []finding
	if noUsage > 0 {
		found = append(found, noUsageFinding{noUsage, len(ok)})
	}
	if approx > 0 {
		found = append(found, approxCountFinding{approx})
	}
	if over > 0 {
		found = append(found, overMaxFinding{over, overMax})
	}
	if f, ok := shortFixed(ok); ok {
		found = append(found, f)
	}
	if whole > 0 {
		found = append(found, wholeAnswerFinding{whole, len(ok)})
	}
	if chunks > 0 && float64(tokens) > 1.1*float64(chunks) {
		found = append(found, chunkingFinding{chunks, tokens})
	}
	if cachedAnswers > 0 {
		found = append(found, cachedFinding{cachedAnswers, cached, prompt})
	}
	if zeroPrompt > 0 {
		found = append(found, zeroPromptFinding{zeroPrompt})
	}
	return found
}

// shortFixed finds, among the answers that asked for exactly max_tokens
// (--fixed-output), those that came back shorter: by the server's own
// count, or, without one, by ending of themselves (finish_reason stop).
// tiktoken's estimate alone proves nothing: it may miscount an answer cut
// at the cap.
func shortFixed(ok []*Record) (shortFixedFinding, bool) {
	var f shortFixedFinding
	for _, r := range ok {
		if !r.FixedOutput || r.MaxTokens <= 0 {
			continue
		}
		f.of++
		n := r.UsageTokens
		if n < 0 && r.FinishReason == "stop" {
			n = r.OutputTokens
		}
		if n >= 0 && n < r.MaxTokens {
			if f.answers == 0 || n < f.shortest {
				f.shortest = n
			}
			f.answers++
			f.asked = max(f.asked, r.MaxTokens)
		}
	}
	return f, f.answers > 0
}

// crossChecked compares usage with tiktoken's count over the answers that
// have both.
func crossChecked(ok []*Record) tokenCrossCheck {
	var diffs []float64
	for _, r := range ok {
		if r.UsageTokens > 0 && r.TiktokenTokens >= 0 {
			diffs = append(diffs, float64(r.TiktokenTokens-r.UsageTokens)/float64(r.UsageTokens))
		}
	}
	var cross tokenCrossCheck
	if len(diffs) > 0 {
		slices.Sort(diffs)
		cross.N, cross.Median = len(diffs), percentileSorted(diffs, 50)
		cross.Worst = slices.MaxFunc(diffs, func(a, b float64) int {
			return cmpFloat(math.Abs(a), math.Abs(b))
		})
	}
	return cross
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

// coldStart finds first requests much slower than the rest (by TTFT when
// streamed, else E2E): the server was likely loading the model. The first
// requests are those sent before any answer came: all of them waited for
// the same load.
func coldStart(ok []*Record) (coldStartFinding, bool) {
	if len(ok) < 5 {
		return coldStartFinding{}, false
	}
	latency := func(r *Record) time.Duration {
		if d, ok := r.TTFT(); ok {
			return d
		}
		return r.E2E()
	}
	firstAnswer := slices.Min(recordTimes(ok, func(r *Record) time.Duration { return r.Send + latency(r) }))
	var early []*Record
	var rest []float64
	for _, r := range ok {
		if r.Send < firstAnswer {
			early = append(early, r)
		} else {
			rest = append(rest, float64(latency(r)))
		}
	}
	if len(rest) == 0 {
		return coldStartFinding{}, false
	}
	slices.Sort(rest)
	f := coldStartFinding{median: time.Duration(percentileSorted(rest, 50))}
	for _, r := range early {
		if l := latency(r); l > 3*f.median && l-f.median > 100*time.Millisecond {
			f.requests++
			f.first = max(f.first, l)
		}
	}
	return f, f.requests > 0
}

// recordTimes is a time of each record.
func recordTimes(rs []*Record, at func(*Record) time.Duration) []time.Duration {
	times := make([]time.Duration, len(rs))
	for i, r := range rs {
		times[i] = at(r)
	}
	return times
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
