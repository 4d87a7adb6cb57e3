package main

import (
	"strings"
	"testing"
)

func TestReplayFixtures(t *testing.T) {
	// Expectations were read off the fixtures independently (a Python
	// script over the raw files), not from this client.
	tests := []struct {
		file     string
		stream   bool // the recorded request asked for a stream
		ok       bool
		chunks   int         // token-bearing chunks
		tokens   int         // output tokens
		source   tokenSource // where they came from
		input    int         // prompt tokens, -1 when not reported
		finish   string
		done     bool     // [DONE] seen
		kind     failKind // failure class
		errMatch string   // substring of the failure reason
	}{
		{file: "llamacpp-a-nonstream.http", ok: true, tokens: 16, source: "usage", input: 31, finish: "length"},
		{file: "llamacpp-b-stream.http", stream: true, ok: true, chunks: 16, tokens: 16, source: "usage", input: 31, finish: "length", done: true},
		{file: "llamacpp-c-stream-include-usage.http", stream: true, ok: true, chunks: 16, tokens: 16, source: "usage", input: 31, finish: "length", done: true},
		{file: "llamacpp-d-unknown-model.http", ok: true, tokens: 8, source: "usage", input: 31, finish: "length"},
		{file: "llamacpp-d2-unknown-model-stream.http", stream: true, ok: true, chunks: 8, tokens: 8, source: "usage", input: 31, finish: "length", done: true},
		{file: "llamacpp-e-malformed-json.http", kind: failHTTP, input: -1, errMatch: "HTTP 500: [json.exception.parse_error.101] parse error at line 1, column 67"},
		{file: "llamacpp-e2-malformed-json-stream.http", stream: true, kind: failHTTP, input: -1, errMatch: "HTTP 500: [json.exception"},
		{file: "llamacpp-f-max-tokens-1-nonstream.http", ok: true, tokens: 1, source: "usage", input: 31, finish: "length"},
		{file: "llamacpp-f-max-tokens-1-stream.http", stream: true, ok: true, chunks: 1, tokens: 1, source: "usage", input: 31, finish: "length", done: true},
		{file: "llamacpp-g-system-user-temp-nonstream.http", ok: true, tokens: 64, source: "usage", input: 58, finish: "length"},
		{file: "llamacpp-g-system-user-temp-stream.http", stream: true, ok: true, chunks: 64, tokens: 64, source: "usage", input: 58, finish: "length", done: true},
		{file: "llamacpp-h-legacy-completions-stream.http", stream: true, ok: true, chunks: 8, tokens: 8, source: "usage", input: 5, finish: "length", done: true},
		{file: "llamacpp-h2-legacy-completions-nonstream.http", ok: true, tokens: 8, source: "usage", input: 5, finish: "length"},
		{file: "llamacpp-h3-legacy-completions-stream-include-usage.http", stream: true, ok: true, chunks: 8, tokens: 8, source: "usage", input: 5, finish: "length", done: true},
		{file: "llamacpp-x-bearer-auth-ignored.http", ok: true, tokens: 2, source: "usage", input: 29, finish: "length"},
		{file: "llamacpp-x-empty-messages.http", ok: true, tokens: 4, source: "usage", input: 11, finish: "length"},
		{file: "llamacpp-x-health-while-loading.http", kind: failHTTP, input: -1, errMatch: "HTTP 503: Loading model"},
		{file: "llamacpp-x-native-completion-stream.http", stream: true, kind: failStream, input: -1, errMatch: "stream ended early"},
		{file: "llamacpp-x-prompt-too-long.http", ok: true, tokens: 4, source: "usage", input: 933, finish: "length"},
		{file: "llamacpp-x-wrong-method-get-chat.http", kind: failHTTP, input: -1, errMatch: "HTTP 404: File Not Found"},
		{file: "llamacpp-x-wrong-path.http", kind: failHTTP, input: -1, errMatch: "HTTP 404: File Not Found"},
		{file: "ollama-a-nonstream.http", ok: true, tokens: 16, source: "usage", input: 31, finish: "length"},
		// Without include_usage Ollama reports no usage: tiktoken counts (the
		// counts are cl100k_base's, pinned here; tokens_test.go checks the
		// encoder itself against known token IDs).
		{file: "ollama-b-stream.http", stream: true, ok: true, chunks: 16, tokens: 19, source: "tiktoken", input: -1, finish: "length", done: true},
		{file: "ollama-c-stream-include-usage.http", stream: true, ok: true, chunks: 16, tokens: 16, source: "usage", input: 31, finish: "length", done: true},
		{file: "ollama-d-unknown-model.http", kind: failHTTP, input: -1, errMatch: "HTTP 404: model 'no-such-model' not found"},
		{file: "ollama-d2-unknown-model-stream.http", stream: true, kind: failHTTP, input: -1, errMatch: "HTTP 404: model 'no-such-model' not found"},
		{file: "ollama-e-malformed-json.http", kind: failHTTP, input: -1, errMatch: "HTTP 400: unexpected EOF"},
		{file: "ollama-e2-malformed-json-stream.http", stream: true, kind: failHTTP, input: -1, errMatch: "HTTP 400: unexpected EOF"},
		{file: "ollama-f-max-tokens-1-nonstream.http", ok: true, tokens: 1, source: "usage", input: 31, finish: "length"},
		{file: "ollama-f-max-tokens-1-stream.http", stream: true, ok: true, chunks: 1, tokens: 1, source: "usage", input: 31, finish: "length", done: true},
		{file: "ollama-g-system-user-temp-nonstream.http", ok: true, tokens: 64, source: "usage", input: 58, finish: "length"},
		{file: "ollama-g-system-user-temp-stream.http", stream: true, ok: true, chunks: 64, tokens: 64, source: "usage", input: 58, finish: "length", done: true},
		{file: "ollama-h-legacy-completions-stream.http", stream: true, ok: true, chunks: 8, tokens: 9, source: "tiktoken", input: -1, finish: "length", done: true},
		{file: "ollama-h2-legacy-completions-nonstream.http", ok: true, tokens: 8, source: "usage", input: 32, finish: "length"},
		// Ollama's native API is not OpenAI-shaped: NDJSON is not one JSON body.
		{file: "ollama-i-api-chat-stream.http", stream: true, kind: failMalformed, input: -1, errMatch: "not an SSE stream: Content-Type application/x-ndjson"},
		// Ollama's native answer: tokens from eval_count, the prompt from prompt_eval_count.
		{file: "ollama-i2-api-chat-nonstream.http", ok: true, tokens: 16, source: "usage", input: 31, finish: "length"},
		{file: "ollama-i3-api-chat-unknown-model.http", kind: failHTTP, input: -1, errMatch: "HTTP 404: model 'no-such-model' not found"},
		{file: "ollama-x-bearer-auth-ignored.http", ok: true, tokens: 2, source: "usage", input: 29, finish: "length"},
		{file: "ollama-x-empty-messages.http", kind: failHTTP, input: -1, errMatch: "HTTP 400: [] is too short - 'messages'"},
		{file: "ollama-x-missing-model-field.http", kind: failHTTP, input: -1, errMatch: "HTTP 400: model is required"},
		{file: "ollama-x-no-max-tokens-stop-seq.http", stream: true, ok: true, chunks: 4, tokens: 9, source: "tiktoken", input: -1, finish: "stop", done: true},
		{file: "ollama-x-prompt-too-long.http", ok: true, tokens: 4, source: "usage", input: 4096, finish: "length"},
		{file: "ollama-x-wrong-method-get-chat.http", kind: failHTTP, input: -1, errMatch: "HTTP 405: 405 method not allowed"},
		{file: "ollama-x-wrong-path.http", kind: failHTTP, input: -1, errMatch: "HTTP 404: 404 page not found"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".http"), func(t *testing.T) {
			rec := replay(t, tt.file, tt.stream, false)
			if rec.OK != tt.ok || rec.FailKind != tt.kind {
				t.Fatalf("ok=%v kind=%q err=%q; want ok=%v kind=%q", rec.OK, rec.FailKind, rec.Err, tt.ok, tt.kind)
			}
			if !strings.Contains(rec.Err, tt.errMatch) {
				t.Errorf("err = %q; want it to contain %q", rec.Err, tt.errMatch)
			}
			if got := len(rec.Chunks); got != tt.chunks {
				t.Errorf("token-bearing chunks = %d; want %d", got, tt.chunks)
			}
			if tt.ok && (rec.OutputTokens != tt.tokens || rec.TokenSource != tt.source) {
				t.Errorf("tokens = %d from %q; want %d from %q", rec.OutputTokens, rec.TokenSource, tt.tokens, tt.source)
			}
			if rec.InputTokens != tt.input {
				t.Errorf("input tokens = %d; want %d", rec.InputTokens, tt.input)
			}
			if rec.FinishReason != tt.finish {
				t.Errorf("finish = %q; want %q", rec.FinishReason, tt.finish)
			}
			if rec.DoneSeen != tt.done {
				t.Errorf("[DONE] seen = %v; want %v", rec.DoneSeen, tt.done)
			}
			if tt.ok && tt.stream && rec.FirstAnswer != rec.First() {
				t.Errorf("first answer chunk at %v, first token chunk at %v; want the same (no reasoning)", rec.FirstAnswer, rec.First())
			}
		})
	}
}
