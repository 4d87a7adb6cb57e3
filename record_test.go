package main

import (
	"io"
	"math"
	"net/http"
	"testing"
)

// Server-side timings, as the fixtures recorded them.
func TestServerTimingsFromFixtures(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file   string
		stream bool
		want   ServerTimes
	}{
		{"llamacpp-a-nonstream.http", false, ServerTimes{PromptTokens: 31, DecodeTokens: 16, PromptMs: 5.266, DecodeMs: 37.725, LoadMs: -1}},
		{"llamacpp-c-stream-include-usage.http", true, ServerTimes{PromptTokens: 1, DecodeTokens: 16, PromptMs: 2.641, DecodeMs: 17.014, LoadMs: -1}},
		{"ollama-i2-api-chat-nonstream.http", false, ServerTimes{PromptTokens: 31, DecodeTokens: 16, PromptMs: 38.265236, DecodeMs: 157.245335, LoadMs: 17.867404}},
	} {
		rec := replay(t, tt.file, tt.stream, false)
		if rec.Server == nil || *rec.Server != tt.want {
			t.Errorf("%s: server timings %+v; want %+v", tt.file, rec.Server, tt.want)
		}
	}
	if tps := (&ServerTimes{DecodeTokens: 16, DecodeMs: 157.245335}).DecodeTPS(); math.Abs(tps-101.75) > 0.01 {
		t.Errorf("decode TPS = %v; want 101.75 (Ollama's eval rate: eval_count / eval_duration)", tps)
	}
}

// A count no answer can have (a wrapped integer, a negative) fails its
// request with the reason, whether in usage or in the server's timings,
// streamed or not; the run's sums stay sane and the run exits 1.
func TestAbsurdUsageRejected(t *testing.T) {
	t.Parallel()
	const huge = "9223372036854775807"
	for _, tt := range []struct {
		name, answer, want string
		stream             bool
	}{
		{"completion", `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"completion_tokens":` + huge + `}}`,
			"absurd usage: completion_tokens " + huge, false},
		{"prompt", `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":-5,"completion_tokens":1}}`,
			"absurd usage: prompt_tokens -5", false},
		{"cached", `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":` + huge + `}}}`,
			"absurd usage: cached_tokens " + huge, false},
		{"timings", `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"timings":{"predicted_n":` + huge + `,"prompt_n":1}}`,
			"absurd server timings: generated tokens " + huge, false},
		{"streamed", chunk("hi") + `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"completion_tokens":` + huge + `}}` + "\n\ndata: [DONE]\n\n",
			"absurd usage: completion_tokens " + huge, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.stream {
					w.Header().Set("Content-Type", "text/event-stream")
				}
				io.WriteString(w, tt.answer)
			})
			args := []string{"2", "--base-url", url, "--requests", "2"}
			if tt.stream {
				args = append(args, "--stream")
			}
			doc, _ := runJSON(t, 1, args...)
			if doc.Requests.Failed != 2 || len(doc.Errors) != 1 || doc.Errors[0].Reason != tt.want {
				t.Errorf("failed %d, errors %+v; want both failed with %q", doc.Requests.Failed, doc.Errors, tt.want)
			}
			if doc.Tokens.Output != 0 || doc.OutputThroughputTokS != 0 {
				t.Errorf("tokens %+v, throughput %v; want nothing counted", doc.Tokens, doc.OutputThroughputTokS)
			}
		})
	}
}
