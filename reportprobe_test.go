package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// healthyFacts is what the probe finds on a well-behaved server.
func healthyFacts() *probeFacts {
	return &probeFacts{
		base: "http://h:8080/v1", model: "m", modelsStatus: 200, models: []string{"m"}, unknownStatus: 404,
		plain:         plainAnswer{status: 200, completion: 4},
		stream:        streamSeen{ttft: 50 * time.Millisecond, tokenChunks: 8, completion: 8, usage: usageOwnChunk, done: true},
		maxCompletion: &streamSeen{tokenChunks: 4},
		warmTTFT:      40 * time.Millisecond, metricsAsked: true,
	}
}

// The renderer words each fact as the probe's table always has.
func TestProbeReportRows(t *testing.T) {
	t.Parallel()
	const adviceKey = "check the API key: --api-key, or --header for another scheme"
	tests := []struct {
		name   string
		change func(f *probeFacts)
		check  string
		want   probeRow // Check is filled from check
	}{
		{"usage missing", func(f *probeFacts) { f.stream.usage = usageAbsent }, "usage (streamed)",
			probeRow{Result: "missing, even with stream_options.include_usage", Advice: "output tokens will be counted with tiktoken (an estimate)"}},
		{"usage on its own chunk", func(*probeFacts) {}, "usage (streamed)",
			probeRow{Result: "on its own chunk with empty choices (as OpenAI, vLLM and Ollama send it)"}},
		{"usage on the finish chunk", func(f *probeFacts) { f.stream.usage = usageFinishChunk }, "usage (streamed)",
			probeRow{Result: "on the finish chunk (as llama.cpp's server sends it)"}},
		{"usage on every chunk", func(f *probeFacts) { f.stream.usage = usageEveryChunk }, "usage (streamed)",
			probeRow{Result: "on every chunk (the last one counts)"}},
		{"one token per chunk", func(*probeFacts) {}, "tokens per chunk", probeRow{Result: "1.0 (8 tokens in 8 chunks)"}},
		{"several tokens per chunk", func(f *probeFacts) { f.stream.tokenChunks = 2 }, "tokens per chunk",
			probeRow{Result: "4.0 (8 tokens in 2 chunks)", Advice: "several tokens per chunk: ITL is per chunk and coarse"}},
		{"just over one token per chunk", func(f *probeFacts) { f.stream.completion, f.stream.tokenChunks = 11, 10 }, "tokens per chunk",
			probeRow{Result: "1.1 (11 tokens in 10 chunks)"}},
		{"no usage, no tokens per chunk", func(f *probeFacts) { f.stream.completion = -1 }, "tokens per chunk", probeRow{}},
		{"usage missing, not streamed", func(f *probeFacts) { f.plain.completion = -1 }, "usage (not streamed)",
			probeRow{Result: "missing", Advice: "output tokens will be counted with tiktoken (an estimate)"}},
		{"max_tokens ignored", func(f *probeFacts) { f.plain.completion = 9 }, "max_tokens",
			probeRow{Result: "ignored (asked 4, got 9)", Advice: "answers will be longer than --max-tokens"}},
		{"plain answer refused", func(f *probeFacts) { f.plain = plainAnswer{status: 401, message: "HTTP 401: bad key sk-abcd1234"} }, "answer (not streamed)",
			probeRow{Result: "HTTP 401: bad key [redacted]", Advice: adviceKey}},
		{"plain answer forbidden", func(f *probeFacts) { f.plain = plainAnswer{status: 403, message: "HTTP 403: forbidden"} }, "answer (not streamed)",
			probeRow{Result: "HTTP 403: forbidden", Advice: adviceKey}},
		{"plain answer not found", func(f *probeFacts) { f.plain = plainAnswer{status: 404, message: "HTTP 404: no such model"} }, "answer (not streamed)",
			probeRow{Result: "HTTP 404: no such model", Advice: "check --model and --base-url"}},
		{"plain answer redirected", func(f *probeFacts) { f.plain = plainAnswer{status: 302, message: "HTTP 302: redirected to http://b/"} }, "answer (not streamed)",
			probeRow{Result: "HTTP 302: redirected to http://b/"}},
		{"unknown model redirected", func(f *probeFacts) { f.unknownStatus = 307 }, "unknown model names",
			probeRow{Result: "not tested: the request was redirected (HTTP 307)"}},
		{"unknown model refused for the key", func(f *probeFacts) { f.unknownStatus = 401 }, "unknown model names",
			probeRow{Result: "not tested: the request was refused (HTTP 401)", Advice: adviceKey}},
		{"unknown model accepted with 201", func(f *probeFacts) { f.unknownStatus = 201 }, "unknown model names",
			probeRow{Result: "accepted (HTTP 200)", Advice: "a typo in --model would go unnoticed: check the model name yourself"}},
		{"model listed as :latest", func(f *probeFacts) { f.models = []string{"a", "m:latest"} }, "model listed", probeRow{Result: "yes"}},
		{"model not listed", func(f *probeFacts) { f.models = []string{"a", "b"} }, "model listed",
			probeRow{Result: "no: the server lists a, b", Advice: "check --model"}},
		{"max_completion_tokens ignored", func(f *probeFacts) { f.maxCompletion.tokenChunks = 24 }, "max_completion_tokens",
			probeRow{Result: "ignored (asked 4, got 24+ chunks)", Advice: "tpsbench sends max_tokens, which it honours"}},
		{"both caps ignored", func(f *probeFacts) { f.plain.completion, f.maxCompletion.tokenChunks = 9, 24 }, "max_completion_tokens",
			probeRow{Result: "ignored (asked 4, got 24+ chunks)", Advice: "tpsbench sends max_tokens, which it ignores too"}},
		{"max_completion_tokens ignored, max_tokens unknown", func(f *probeFacts) { f.plain.completion, f.maxCompletion.tokenChunks = -1, 24 }, "max_completion_tokens",
			probeRow{Result: "ignored (asked 4, got 24+ chunks)", Advice: "tpsbench sends max_tokens"}},
		{"GET /models not found", func(f *probeFacts) { f.modelsStatus, f.models = 404, nil }, "reachable",
			probeRow{Result: "yes, but GET /models answered HTTP 404", Advice: "no model list here: check that --base-url ends in /v1"}},
		{"GET /models refused", func(f *probeFacts) { f.modelsStatus, f.models = 401, nil }, "reachable",
			probeRow{Result: "yes, but GET /models answered HTTP 401", Advice: adviceKey}},
		{"cold start", func(f *probeFacts) { f.stream.ttft = 2 * time.Second }, "cold start",
			probeRow{Result: "first TTFT 2s, then 40ms", Advice: "the model was loading: use --warmup"}},
		{"slow but not cold", func(f *probeFacts) { f.stream.ttft, f.warmTTFT = 100*time.Millisecond, 30*time.Millisecond }, "cold start",
			probeRow{Result: "no (first TTFT 100ms, then 30ms)"}},
		{"stream failed", func(f *probeFacts) { f.streamErr = errors.New("HTTP 500: boom"); f.warmTTFT = 0 }, "stream",
			probeRow{Result: "failed: HTTP 500: boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := healthyFacts()
			tt.change(f)
			rep := newProbeReport(f, newClient(clientSpec{apiKey: "sk-abcd1234"}).text)
			var got probeRow
			for _, r := range rep.Rows {
				if r.Check == tt.check {
					got = r
				}
			}
			if tt.want != (probeRow{}) {
				tt.want.Check = tt.check
			}
			if got != tt.want {
				t.Errorf("%s row = %+v; want %+v", tt.check, got, tt.want)
			}
		})
	}
}

// The whole table, in its order, for a llama.cpp-like server that also
// answers Ollama's /api/version; passwords in URLs are hidden.
func TestWriteProbe(t *testing.T) {
	t.Parallel()
	f := healthyFacts()
	f.base = "http://u:secret@h:8080/v1"
	f.stream.usage, f.stream.roleOnlyHead, f.stream.reasoning, f.stream.timings = usageFinishChunk, true, "reasoning_content", true
	f.maxCompletion = nil
	f.ollama, f.ollamaVersion = true, "0.5.1"
	f.metricsURL = "http://u:secret@h:8080/metrics"
	rep := newProbeReport(f, func(s string) string { return s })
	var b strings.Builder
	writeProbe(&b, rep)
	// Lines as quoted strings: the table's trailing padding is part of it.
	want := strings.Join([]string{
		"Probe of http://u:xxxxx@h:8080/v1, model m:\n",
		"  reachable             yes (GET /models: HTTP 200)                               \n",
		"  model listed          yes                                                       \n",
		"  unknown model names   rejected (HTTP 404)                                       \n",
		"  usage (not streamed)  reported                                                  \n",
		"  max_tokens            honoured (asked 4, got 4)                                 \n",
		"  usage (streamed)      on the finish chunk (as llama.cpp's server sends it)      \n",
		"  first chunk           role only, no token (tpsbench does not stamp TTFT on it)  \n",
		"  reasoning field       reasoning_content                                         -> TTFT counts reasoning tokens; TTFO is the first answer token\n",
		"  tokens per chunk      1.0 (8 tokens in 8 chunks)                                \n",
		"  [DONE]                sent                                                      \n",
		"  server timings        llama.cpp's timings object                                -> the report shows the server's decode rate beside the client's\n",
		"  cold start            no (first TTFT 50ms, then 40ms)                           \n",
		"  Ollama                version 0.5.1                                             -> --api ollama gives the server's own eval rate and load time\n",
		"  Prometheus /metrics   found at http://u:xxxxx@h:8080/metrics                    -> --metrics-url (or --probe) adds the server's counters to the report\n",
	}, "")
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	if rep.MetricsURL != "http://u:xxxxx@h:8080/metrics" {
		t.Errorf("metrics URL %q", rep.MetricsURL)
	}
}
