package main

import (
	"math"
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
