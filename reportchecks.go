package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/tpsbench/tpsbench/internal/ollama"
)

// The words of the findings and of the client's own health: what the
// report and the JSON's "checks" say.

// findingText words one finding.
func findingText(f finding) string {
	switch f := f.(type) {
	case noUsageFinding:
		return fmt.Sprintf("%d of %d answers had no usage: their output tokens are tiktoken's estimate, not the model's own count", f.answers, f.of)
	case approxCountFinding:
		return fmt.Sprintf("%d answers held text with no word break for over %d bytes: tiktoken counted it in pieces, so their counts may be a few tokens off", f.answers, maxRun)
	case overMaxFinding:
		return fmt.Sprintf("%d answers were longer than max_tokens (up to %d tokens): the server ignored the cap, so answers are longer than asked", f.answers, f.longest)
	case shortFixedFinding:
		return fmt.Sprintf("%d of %d answers were shorter than the %d tokens asked with --fixed-output (the shortest %d tokens): the server ignored the request to ignore EOS (ignore_eos, min_tokens), so answer lengths vary", f.answers, f.of, f.asked, f.shortest)
	case wholeAnswerFinding:
		return fmt.Sprintf("%d of %d answers came back whole, not streamed, though --stream asked: the server ignores stream; TTFT/TPOT are not measured for them", f.answers, f.of)
	case chunkingFinding:
		return fmt.Sprintf("%d chunks carried %d tokens (%.1f per chunk): the server sends several tokens at a time, so ITL (per chunk) is coarse", f.chunks, f.tokens, float64(f.tokens)/float64(f.chunks))
	case cachedFinding:
		return fmt.Sprintf("%d answers had cached prompt tokens (%d of their %d prompt tokens): the server skipped that prompt processing, so TTFT says little about prefill (make prompts differ: --input-tokens)", f.answers, f.cached, f.prompt)
	case zeroPromptFinding:
		return fmt.Sprintf("%d answers reported 0 prompt tokens: the prompt was cached or not counted, so prompt-processing figures mean little", f.answers)
	case coldStartFinding:
		first := "the first request took "
		if f.requests > 1 {
			first = fmt.Sprintf("the first %d requests took up to ", f.requests)
		}
		return fmt.Sprintf("%s%s against a median of %s for the rest: probably the model loading; --warmup keeps such requests out of the figures",
			first, f.first.Round(time.Millisecond), f.median.Round(time.Millisecond))
	case modelLoadFinding:
		return fmt.Sprintf("%d measured requests waited for the model to load (up to %.2f s, the server's load_duration): a cold start, or the model reloaded mid-run (a change of num_ctx or other options, or keep_alive running out)", f.answers, f.worstMs/1000)
	case serverBusyFinding:
		return fmt.Sprintf("%d requests got HTTP 503 \"server busy\": the server's queue was full (Ollama: OLLAMA_MAX_QUEUE, 512 by default), so they were refused, not measured", f.requests)
	case clientBoundFinding:
		return clientBoundText(f)
	}
	return fmt.Sprintf("%v", f)
}

// clientBoundText says why the client, not the server, may have limited
// the figures.
func clientBoundText(f clientBoundFinding) string {
	h, limit := f.health, boundLimit(f.latency)
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
	msg := "client-bound: " + strings.Join(why, "; ") + ": figures above understate the server (give the client more CPU, or fewer threads)"
	if f.simulated {
		msg += " (with --sim the simulator runs in this process too: use 'tpsbench sim' apart for a fair measure)"
	}
	return msg
}

// clientLine is the report's "Client:" line.
func clientLine(h clientHealth) string {
	return fmt.Sprintf("CPU %.2f s over %.2f s (%.0f%% of %s), ready goroutines waited p50 %s / p99 %s, GC pauses p99 %s",
		h.CPU.Seconds(), h.Wall.Seconds(), 100*h.utilisation(), plural(h.Cores, "core"), fmtMs(h.SchedP50), fmtMs(h.SchedP99), fmtMs(h.GCPauseP99))
}

// parallelismLine is the report's line when requests waited in the server,
// or "".
func parallelismLine(p parallelism) string {
	if p.Waited == 0 || p.Estimate >= p.InFlight-0.5 {
		return ""
	}
	return fmt.Sprintf("the server appears to run %s at a time while %.1f were in flight on average: %d of %d requests waited for their first token, median %s longer than the quickest",
		plural(int(p.Estimate), "request"), p.InFlight, p.Waited, p.Requests, p.MedianWait.Round(time.Millisecond))
}

func fmtMs(d time.Duration) string { return fmt.Sprintf("%.2f ms", toMs(d)) }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// fingerprintLine says what produced a run's numbers, on one line.
func fingerprintLine(fp fingerprint) string {
	server := fp.Server
	if fp.ServerVersion != "" {
		server += " " + fp.ServerVersion
	}
	model := fp.Model
	if fp.Ollama != nil {
		model += " (" + describeOllama(fp.Ollama) + ")"
	}
	gpus := "not looked for (remote endpoint)"
	switch {
	case len(fp.GPUs) > 0:
		gpus = strings.Join(fp.GPUs, "; ")
	case fp.GPUsLooked || fp.GPUs != nil:
		gpus = "none found"
	}
	line := fmt.Sprintf("tpsbench %s; server %s; model %s; client %s, %s x%d; GPU %s", fp.Tool, server, model, fp.OS, fp.CPU, fp.Cores, gpus)
	if fp.Proxy != "" {
		line += "; proxy " + fp.Proxy
	}
	return line
}

// differencesText words how two fingerprints differ.
func differencesText(diffs []fpDifference) string {
	parts := make([]string, len(diffs))
	for i, d := range diffs {
		parts[i] = fmt.Sprintf("%s (%q vs %q)", d.what, d.a, d.b)
	}
	return strings.Join(parts, ", ")
}

// describeOllama names the model build an Ollama server serves: family,
// parameter size, quantization and the digest's first 12 characters.
func describeOllama(o *ollama.Info) string {
	var parts []string
	for _, p := range []string{o.Family, o.ParameterSize, o.Quantization} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if o.Digest != "" {
		parts = append(parts, "digest "+o.Digest[:min(12, len(o.Digest))])
	}
	if len(parts) == 0 {
		return "no details"
	}
	return strings.Join(parts, ", ")
}
