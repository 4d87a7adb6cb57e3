package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// The probe's words: probe.go finds out what an endpoint does, and this file
// turns those facts into the table's rows (text and JSON).

// probeRow is one line of the probe's table.
type probeRow struct {
	Check  string `json:"check"`
	Result string `json:"result"`
	Advice string `json:"advice,omitempty"`
}

// probeReport is what the probe found, worded.
type probeReport struct {
	Endpoint   string     `json:"endpoint"`
	Proxy      string     `json:"proxy,omitempty"` // the proxy the probe went through (HTTP_PROXY)
	Model      string     `json:"model"`
	Rows       []probeRow `json:"checks"`
	MetricsURL string     `json:"metrics_url,omitempty"`
}

// The advice that several rows give.
const (
	adviceTiktoken = "output tokens will be counted with tiktoken (an estimate)"
	adviceKey      = "check the API key: --api-key, or --header for another scheme"
)

// keyRefused reports whether status says the credentials were refused.
func keyRefused(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}

// probeTable collects the rows; every result passes through show, since
// servers echo what they were sent (an API key among it) and their words
// may hold control characters.
type probeTable struct {
	rows []probeRow
	show func(string) string
}

func (t *probeTable) add(check, result, advice string) {
	t.rows = append(t.rows, probeRow{check, t.show(result), advice})
}

// newProbeReport words the probe's facts; show makes a result fit to show
// (the Client's text: secrets redacted, control characters escaped).
func newProbeReport(f *probeFacts, show func(string) string) *probeReport {
	t := &probeTable{show: show}
	t.models(f)
	if f.unknownStatus != 0 {
		t.unknownModel(f.unknownStatus)
	}
	t.plain(f.plain)
	switch {
	case f.streamErr != nil:
		t.add("stream", "failed: "+f.streamErr.Error(), "")
	case f.stream.whole:
		t.add("stream", "ignored, the answer came whole", "with --stream, TTFT, TPOT and ITL cannot be measured: the run says so")
	default:
		t.stream(f.stream)
	}
	if mc := f.maxCompletion; mc != nil {
		t.maxCompletion(mc, f.plain)
	}
	if f.warmTTFT > 0 {
		t.coldStart(f.stream.ttft, f.warmTTFT)
	}
	if f.ollama {
		t.add("Ollama", "version "+f.ollamaVersion, "--api ollama gives the server's own eval rate and load time")
	}
	rep := &probeReport{Endpoint: redactURL(f.base), Proxy: f.proxy, Model: f.model}
	if f.metricsURL != "" {
		rep.MetricsURL = redactURL(f.metricsURL)
		t.add("Prometheus /metrics", "found at "+rep.MetricsURL, "--metrics-url (or --probe) adds the server's counters to the report")
	} else if f.metricsAsked {
		t.add("Prometheus /metrics", "none", "")
	}
	rep.Rows = t.rows
	return rep
}

// maxCompletion words the max_completion_tokens stream: chunks counted,
// or, from a server that answered it whole, its usage (when it gave one).
func (t *probeTable) maxCompletion(mc *streamSeen, plain plainAnswer) {
	got, what := mc.tokenChunks, fmt.Sprintf("%d+ chunks", mc.tokenChunks)
	if mc.whole {
		if got, what = mc.completion, fmt.Sprintf("%d tokens", mc.completion); got < 0 {
			return
		}
	}
	if got > probeAsked {
		t.add("max_completion_tokens", fmt.Sprintf("ignored (asked %d, got %s)", probeAsked, what), maxTokensAdvice(plain))
	} else {
		t.add("max_completion_tokens", "honoured", "")
	}
}

// maxTokensAdvice is what an ignored max_completion_tokens means for a
// run, which sends max_tokens: what the plain answer showed of it.
func maxTokensAdvice(a plainAnswer) string {
	switch {
	case a.err != nil || a.status/100 != 2 || a.completion < 0:
		return "tpsbench sends max_tokens"
	case a.completion <= probeAsked:
		return "tpsbench sends max_tokens, which it honours"
	}
	return "tpsbench sends max_tokens, which it ignores too"
}

// models words GET /models: reachable, and the model listed?
func (t *probeTable) models(f *probeFacts) {
	switch {
	case f.modelsStatus/100 == 2:
		t.add("reachable", fmt.Sprintf("yes (GET /models: HTTP %d)", f.modelsStatus), "")
	case f.modelsStatus == 404:
		t.add("reachable", "yes, but GET /models answered HTTP 404", "no model list here: check that --base-url ends in /v1")
	case keyRefused(f.modelsStatus):
		t.add("reachable", fmt.Sprintf("yes, but GET /models answered HTTP %d", f.modelsStatus), adviceKey)
	default:
		t.add("reachable", fmt.Sprintf("yes, but GET /models answered HTTP %d", f.modelsStatus), "")
	}
	switch {
	case len(f.models) == 0:
		t.add("model listed", "no model list", "")
	case slices.Contains(f.models, f.model) || slices.Contains(f.models, f.model+":latest"):
		t.add("model listed", "yes", "")
	default:
		t.add("model listed", "no: the server lists "+strings.Join(f.models, ", "), "check --model")
	}
}

// unknownModel words the answer to a model name no server has (any 2xx
// status reads as accepted). A redirect, or credentials refused, say
// nothing of model names.
func (t *probeTable) unknownModel(status int) {
	switch {
	case status/100 == 2:
		t.add("unknown model names", "accepted (HTTP 200)", "a typo in --model would go unnoticed: check the model name yourself")
	case status/100 == 3:
		t.add("unknown model names", fmt.Sprintf("not tested: the request was redirected (HTTP %d)", status), "")
	case keyRefused(status):
		t.add("unknown model names", fmt.Sprintf("not tested: the request was refused (HTTP %d)", status), adviceKey)
	default:
		t.add("unknown model names", fmt.Sprintf("rejected (HTTP %d)", status), "")
	}
}

// plain words the non-streamed answer: usage and max_tokens.
func (t *probeTable) plain(a plainAnswer) {
	switch n := a.completion; {
	case a.err != nil:
		t.add("answer (not streamed)", "failed: "+a.err.Error(), "")
	case a.status/100 != 2:
		t.add("answer (not streamed)", a.message, refusalAdvice(a.status))
	case n < 0:
		t.add("usage (not streamed)", "missing", adviceTiktoken)
	default:
		t.add("usage (not streamed)", "reported", "")
		if n <= probeAsked {
			t.add("max_tokens", fmt.Sprintf("honoured (asked %d, got %d)", probeAsked, n), "")
		} else {
			t.add("max_tokens", fmt.Sprintf("ignored (asked %d, got %d)", probeAsked, n), "answers will be longer than --max-tokens")
		}
	}
}

// refusalAdvice is what to check when the plain question got status, not
// 2xx: the key when it was refused, nothing more for a redirect (its line
// says where it pointed), else the model and the URL.
func refusalAdvice(status int) string {
	switch {
	case keyRefused(status):
		return adviceKey
	case status/100 == 3:
		return ""
	}
	return "check --model and --base-url"
}

// usageWords is where a stream's usage came, worded.
var usageWords = map[usagePlace]string{
	usageAbsent:      "missing, even with stream_options.include_usage",
	usageOwnChunk:    "on its own chunk with empty choices (as OpenAI, vLLM and Ollama send it)",
	usageFinishChunk: "on the finish chunk (as llama.cpp's server sends it)",
	usageEveryChunk:  "on every chunk (the last one counts)",
}

// stream words the first stream: usage, role-only head, reasoning, tokens
// per chunk, [DONE], server timings.
func (t *probeTable) stream(s streamSeen) {
	advice := ""
	if s.usage == usageAbsent {
		advice = adviceTiktoken
	}
	t.add("usage (streamed)", usageWords[s.usage], advice)
	if s.roleOnlyHead {
		t.add("first chunk", "role only, no token (tpsbench does not stamp TTFT on it)", "")
	} else {
		t.add("first chunk", "carries a token", "")
	}
	if s.reasoning != "" {
		t.add("reasoning field", s.reasoning, "TTFT counts reasoning tokens; TTFO is the first answer token")
	} else {
		t.add("reasoning field", "none seen", "")
	}
	if n := s.completion; n > 0 && s.tokenChunks > 0 {
		per := float64(n) / float64(s.tokenChunks)
		advice := ""
		if per > 1.1 {
			advice = "several tokens per chunk: ITL is per chunk and coarse"
		}
		t.add("tokens per chunk", fmt.Sprintf("%.1f (%d tokens in %d chunks)", per, n, s.tokenChunks), advice)
	}
	if s.done {
		t.add("[DONE]", "sent", "")
	} else {
		t.add("[DONE]", "missing", "streams end on finish_reason instead")
	}
	if s.timings {
		t.add("server timings", "llama.cpp's timings object", "the report shows the server's decode rate beside the client's")
	}
}

// coldStart compares the first answer's TTFT with the next ones'.
func (t *probeTable) coldStart(first, warm time.Duration) {
	times := fmt.Sprintf("first TTFT %s, then %s", first.Round(time.Millisecond), warm.Round(time.Millisecond))
	if first > 3*warm && first-warm > 100*time.Millisecond {
		t.add("cold start", times, "the model was loading: use --warmup")
	} else {
		t.add("cold start", "no ("+times+")", "")
	}
}

// writeProbe prints the probe's table.
func writeProbe(w io.Writer, rep *probeReport) {
	endpoint := rep.Endpoint
	if rep.Proxy != "" {
		endpoint += " through proxy " + rep.Proxy
	}
	fmt.Fprintf(w, "Probe of %s, model %s:\n", endpoint, rep.Model)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rep.Rows {
		if r.Advice != "" {
			fmt.Fprintf(tw, "  %s\t%s\t-> %s\n", r.Check, r.Result, r.Advice)
		} else {
			fmt.Fprintf(tw, "  %s\t%s\t\n", r.Check, r.Result)
		}
	}
	tw.Flush()
}
