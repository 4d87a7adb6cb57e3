package main

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The records alone show an ignored max_tokens, several tokens a chunk and a
// cold start; a healthy run shows nothing.
func TestTrustChecks(t *testing.T) {
	t.Parallel()
	var recs []Record
	for i := range 6 {
		// 8 tokens in 4 chunks; the server was asked for 4.
		r := streamRec(i*1000, 8, i*1000+100, i*1000+110, i*1000+120, i*1000+130)
		r.MaxTokens = 4
		r.TiktokenTokens = 6
		recs = append(recs, r)
	}
	late := recs[0].Chunks.All()
	late[0] = 900 * time.Millisecond // the first request waited 900 ms for its first token
	recs[0].Chunks = arrivalsOf(late...)
	recs[0].FirstAnswer = recs[0].Chunks.At(0)
	found, cross := trustChecks(recs)
	want := []finding{overMaxFinding{answers: 6, longest: 8}, chunkingFinding{chunks: 24, tokens: 48}, coldStartFinding{requests: 1, first: 900 * time.Millisecond, median: 100 * time.Millisecond}}
	if !slices.Equal(found, want) {
		t.Errorf("findings %+v; want %+v", found, want)
	}
	var notes []string
	for _, f := range found {
		notes = append(notes, findingText(f))
	}
	for _, want := range []string{
		"6 answers were longer than max_tokens (up to 8 tokens)",
		"24 chunks carried 48 tokens (2.0 per chunk)",
		"the first request took 900ms against a median of 100ms",
	} {
		if !strings.Contains(strings.Join(notes, "\n"), want) {
			t.Errorf("checks lack %q: %q", want, notes)
		}
	}
	if cross.N != 6 || cross.Median != -0.25 || cross.Worst != -0.25 {
		t.Errorf("cross-check = %+v; want 6 answers at -25%%", cross)
	}
	// A healthy run raises nothing.
	healthy := []Record{streamRec(0, 2, 100, 200), streamRec(0, 2, 100, 200)}
	if found, _ := trustChecks(healthy); len(found) != 0 {
		t.Errorf("healthy run: %v", found)
	}
}

// Checks of a live run reach the report: answers without usage, and the
// token cross-check when asked for.
func TestNoUsageCheckEndToEnd(t *testing.T) {
	t.Parallel()
	doc, _ := runJSON(t, 0, withSim(fastSim, "2", "--stream", "--requests", "4", "--sim-no-usage")...)
	if !slices.Contains(doc.Checks, findingText(noUsageFinding{answers: 4, of: 4})) {
		t.Errorf("no check for missing usage: %q", doc.Checks)
	}
	doc, _ = runJSON(t, 0, withSim(fastSim, "2", "--stream", "--requests", "4", "--cross-check")...)
	noUsage := func(c string) bool { return strings.Contains(c, "had no usage") }
	if cross := doc.TokenCrossCheck; slices.ContainsFunc(doc.Checks, noUsage) || cross == nil || *cross != (jsonCross{Answers: 4}) {
		t.Errorf("healthy simulated run: checks %q, cross-check %+v; want tiktoken to agree with usage over 4 answers", doc.Checks, cross)
	}
}

// Thinking tokens reported apart, and cached prompts flagged.
func TestReasoningTokensAndCachedPrompts(t *testing.T) {
	t.Parallel()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"choices":[{"message":{"reasoning_content":"hmm","content":"hi"},"finish_reason":"stop"}],`+
			`"usage":{"prompt_tokens":40,"completion_tokens":12,"completion_tokens_details":{"reasoning_tokens":9},"prompt_tokens_details":{"cached_tokens":32}}}`)
	})
	doc, text := runJSON(t, 0, "2", "--base-url", url, "--requests", "4")
	if tok := doc.Tokens; tok.Reasoning != 36 || tok.Output != 48 || !strings.Contains(text, "(the server's reasoning_tokens, 4 answers)") {
		t.Errorf("tokens %+v; want 36 of 48 thinking, over 4 answers:\n%s", tok, text)
	}
	if !slices.Contains(doc.Checks, findingText(cachedFinding{answers: 4, cached: 128, prompt: 160})) {
		t.Errorf("no check for cached prompts: %q", doc.Checks)
	}
}

// Ollama's load_duration shows which requests waited for the model: the
// first (no preload) and the one after the simulated reload.
func TestColdStartAndReloadsCaught(t *testing.T) {
	t.Parallel()
	doc, _ := runJSON(t, 0, withSim(slowSim, "1", "--stream", "--api", "ollama", "--requests", "6", "--no-preload",
		"--sim-load-time", "300ms", "--sim-reload-every", "4")...)
	srv := doc.ServerSide
	if srv == nil || srv.LoadMs == nil || srv.LoadMs.Count != 2 || srv.LoadMs.Mean < 300 || srv.LoadMs.Max >= 400 {
		t.Fatalf("server side %+v; want 2 answers that waited 300 ms for the model", srv)
	}
	if want := findingText(modelLoadFinding{answers: 2, worstMs: float64(srv.LoadMs.Max)}); !slices.Contains(doc.Checks, want) {
		t.Errorf("checks %q; want %q", doc.Checks, want)
	}
}

// Without a preload, every request sent while the model loaded waited for
// it, and the cold-start check counts them all.
func TestColdStartCountsEveryRequestThatWaited(t *testing.T) {
	t.Parallel()
	doc, _ := runJSON(t, 0, withSim(slowSim, "2", "--stream", "--requests", "10", "--no-preload", "--sim-load-time", "400ms")...)
	want := "the first 2 requests took up to "
	if !slices.ContainsFunc(doc.Checks, func(c string) bool { return strings.HasPrefix(c, want) }) {
		t.Errorf("checks %q; want one starting %q", doc.Checks, want)
	}
}

// The server's parallelism, estimated from the client's timings alone,
// matches the simulator's.
func TestParallelismEstimate(t *testing.T) {
	t.Parallel()
	for _, parallel := range []int{1, 2} {
		t.Run(strconv.Itoa(parallel), func(t *testing.T) {
			t.Parallel()
			doc, _ := runJSON(t, 0, withSim(slowSim, "6", "--stream", "--requests", "12", "--sim-parallel", strconv.Itoa(parallel))...)
			// The report's line needs some request to have waited, and an
			// estimate well below the requests in flight.
			p := doc.ServerParallelism
			if p == nil || float64(p.Estimate) != float64(parallel) || p.Waited == 0 || p.Estimate >= p.InFlight-0.5 {
				t.Errorf("parallelism %+v; want %d at a time, requests waiting", p, parallel)
			}
		})
	}
}

// Requests the server refused as busy are failures, and a check says why.
func TestServerBusyCountedApart(t *testing.T) {
	t.Parallel()
	doc, _ := runJSON(t, 1, withSim(slowSim, "6", "--stream", "--requests", "12", "--sim-parallel", "1", "--sim-max-queue", "1")...)
	busy := 0
	for _, e := range doc.Errors {
		if strings.HasPrefix(e.Reason, "HTTP 503: server busy") {
			busy += e.Count
		}
	}
	if busy == 0 || !slices.Contains(doc.Checks, findingText(serverBusyFinding{requests: busy})) {
		t.Errorf("errors %v, checks %q; want the 503s counted and named", doc.Errors, doc.Checks)
	}
}

// --fixed-output asks for exactly --max-tokens; a server that ignores the
// request to ignore EOS (here the simulator, like Ollama) answers shorter,
// and a check says how many, in the run and in its rebuilt report. Without
// --fixed-output short answers are no finding.
func TestFixedOutputShortAnswersFlagged(t *testing.T) {
	t.Parallel()
	args := withSim(fastSim, "2", "--requests", "4", "--sim-output-tokens", "5", "--fixed-output")
	want := "4 of 4 answers were shorter than the 16 tokens asked with --fixed-output (the shortest 5 tokens)"
	for _, stream := range []bool{false, true} {
		args := args
		if stream {
			args = append(slices.Clone(args), "--stream")
		}
		r := runAndRebuild(t, "--json", "run.json", args...)
		for _, path := range []string{r.live, r.rebuilt} {
			var doc jsonSummary
			readJSON(t, path, &doc)
			if !slices.ContainsFunc(doc.Checks, func(c string) bool { return strings.HasPrefix(c, want) }) {
				t.Errorf("stream=%v %s: checks %q; want %q", stream, path, doc.Checks, want)
			}
		}
	}
	doc, _ := runJSON(t, 0, withSim(fastSim, "2", "--requests", "4", "--sim-output-tokens", "5")...)
	if slices.ContainsFunc(doc.Checks, func(c string) bool { return strings.Contains(c, "--fixed-output") }) {
		t.Errorf("without --fixed-output: checks %q; want no finding of short answers", doc.Checks)
	}
}

// Which answers are short: the server's own count below max_tokens, or,
// without usage, an answer that ended by itself (finish_reason stop); not
// tiktoken's estimate, which may miscount an answer cut at the cap.
func TestFixedOutputShortCheck(t *testing.T) {
	t.Parallel()
	rec := func(usage int, finish string) Record {
		r := streamRec(0, max(usage, 3), 100, 200)
		r.MaxTokens, r.FixedOutput, r.FinishReason, r.UsageTokens = 8, true, finish, usage
		if usage < 0 {
			r.TokenSource = "tiktoken"
		}
		return r
	}
	recs := []Record{rec(8, "length"), rec(5, "stop"), rec(3, "length"), rec(-1, "stop"), rec(-1, "length")}
	found, _ := trustChecks(recs)
	if !slices.Contains(found, finding(shortFixedFinding{answers: 3, of: 5, asked: 8, shortest: 3})) {
		t.Errorf("findings %+v; want 3 of 5 short, the shortest 3 tokens", found)
	}
}
