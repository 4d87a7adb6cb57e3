package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
)

// BenchmarkDoNonStream measures whole non-streaming round trips against
// the in-process simulator (server costs included: the self-benchmark in
// bench/ separates them), 64 at a time.
func BenchmarkDoNonStream(b *testing.B) {
	r, _ := simRunner(b, sim.Config{MaxTokens: 1}, &config{threads: 64, maxTokens: 1})
	body, err := r.body(requestKey{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(32)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := r.client.Do(context.Background(), 0, body); rec.FailKind != "" {
				b.Fatal(rec.Err)
			}
		}
	})
}

// Every recorded response, replayed through the client, settles into the
// Record its server meant.
func TestReplayFixtures(t *testing.T) {
	t.Parallel()
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
			t.Parallel()
			rec := replay(t, tt.file, tt.stream, false)
			if rec.OK != tt.ok || rec.FailKind != tt.kind {
				t.Fatalf("ok=%v kind=%q err=%q; want ok=%v kind=%q", rec.OK, rec.FailKind, rec.Err, tt.ok, tt.kind)
			}
			if !strings.Contains(rec.Err, tt.errMatch) {
				t.Errorf("err = %q; want it to contain %q", rec.Err, tt.errMatch)
			}
			if got := rec.Chunks.Len(); got != tt.chunks {
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

// Non-streaming E2E covers the server's whole answer time.
func TestNonStreamE2EAgainstSimulator(t *testing.T) {
	t.Parallel()
	cfg := sim.Config{TTFT: 20 * time.Millisecond, TokenRate: 400, Style: sim.StyleOllama}
	client, records, byID := simRun(t, cfg, 2, 2, false)
	for _, r := range records {
		s := byID[r.ResponseID]
		if !r.OK || r.Stream || r.OutputTokens != 8 || r.TokenSource != "usage" {
			t.Fatalf("record %+v; want ok, not streamed, 8 tokens from usage", r)
		}
		if client.start.Add(r.Done).Before(s.Sent) || client.start.Add(r.Send).After(s.Received) {
			t.Errorf("%s: client interval does not contain the server's", s.ID)
		}
	}
}

// eventStream is the Content-Type of a stream of server-sent events.
const eventStream = "text/event-stream"

// answer is a handler that answers every request with status and body,
// typed as contentType unless that is "".
func answer(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// gzipped answers with body, compressed whether or not it was asked to.
func gzipped(contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, body)
		zw.Close()
	}
}

// Each way a request can fail is counted with its own reason, and the run
// exits 1.
func TestCLIFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		args    []string
		reason  string // why every request failed
	}{
		{name: "404 with OpenAI-style body", reason: `HTTP 404: model "foo" not found`,
			handler: answer(404, "", `{"error":{"message":"model \"foo\" not found","type":"not_found_error"}}`)},
		{name: "500 with Ollama-style body", reason: "HTTP 500: llama runner process has terminated",
			handler: answer(500, "", `{"error":"llama runner process has terminated"}`)},
		{
			name: "503 plain text",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "server busy, please try again.", 503)
			},
			reason: "HTTP 503: server busy, please try again.",
		},
		{name: "malformed JSON", reason: "malformed response: invalid JSON: unexpected end of JSON input at offset 23",
			handler: answer(200, "application/json", `{"choices":[{"message":`)},
		{name: "malformed SSE chunk", args: []string{"--stream"}, reason: "malformed stream chunk: invalid JSON: expected a string as object key at offset 1",
			handler: answer(200, eventStream, "data: {not json\n\n")},
		{name: "error event in stream", args: []string{"--stream"}, reason: "error in stream: out of memory",
			handler: answer(200, eventStream, chunk("a")+`data: {"error":{"message":"out of memory","type":"server_error"}}`+"\n\n")},
		{name: "stream ends without finish or [DONE]", args: []string{"--stream"}, reason: "stream ended early: no finish_reason and no [DONE]",
			handler: answer(200, eventStream, chunk("a"))},
		{
			name: "stream cut mid-way",
			args: []string{"--stream"},
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", eventStream)
				io.WriteString(w, chunk("a")+chunk("b"))
				w.(http.Flusher).Flush()
				conn, buf, _ := w.(http.Hijacker).Hijack()
				buf.Flush()
				conn.Close() // no terminating chunk: the body ends in error
			},
			reason: "stream cut mid-answer: connection closed by the server",
		},
		{name: "gzip'd stream", args: []string{"--stream"}, handler: gzipped(eventStream, chunk("a")+"data: [DONE]\n\n"),
			reason: "the server sent a compressed answer (Content-Encoding: gzip), which was not asked for"},
		{name: "gzip'd answer", handler: gzipped("application/json", okAnswer),
			reason: "the server sent a compressed answer (Content-Encoding: gzip), which was not asked for"},
		{name: "empty completion", reason: "empty completion: no text in the answer",
			handler: answer(200, "", `{"choices":[{"message":{"role":"assistant","content":""},"finish_reason":"stop"}],"usage":{"completion_tokens":0}}`)},
		{
			name: "timeout",
			args: []string{"--timeout", "0.05", "--stream"},
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body) // then the server notices the client leave
				select {                    // never answers; the client gives up
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			},
			reason: "timeout after 50ms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := serve(t, tt.handler)
			doc, _ := runJSON(t, 1, append([]string{"2", "--base-url", url, "--requests-per-thread", "2"}, tt.args...)...)
			if r := doc.Requests; r.Sent != 4 || r.OK != 0 || r.Failed != 4 || !slices.Equal(doc.Errors, []ErrorCount{{tt.reason, 4}}) {
				t.Errorf("requests %+v, errors %v; want all 4 failed with %q", r, doc.Errors, tt.reason)
			}
		})
	}
}

// allocated is how many bytes f allocated, process-wide: the test that uses
// it must not run in parallel with others.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A server that announces 8 GiB and sends 11 bytes costs the client no
// more than those bytes: the Content-Length sizes nothing. Not parallel:
// it counts the process's allocations.
func TestContentLengthNotTrusted(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.FormatInt(8<<30, 10))
		io.WriteString(w, `{"choices":`) // 11 bytes, then the server gives up
	})
	c := newClient(clientSpec{baseURL: url, timeout: time.Minute, pool: 1})
	var rec Record
	n := allocated(func() { rec = c.Do(t.Context(), 0, []byte(`{}`)) })
	if rec.FailKind != failNetwork {
		t.Errorf("record %q %q; want a body cut short", rec.FailKind, rec.Err)
	}
	t.Logf("allocated %d KiB", n>>10)
	if n > 16<<20 {
		t.Errorf("reading 11 bytes announced as 8 GiB allocated %d MiB; want under 16 MiB", n>>20)
	}
}

// A non-streamed answer just under the 64 MiB cap, sent without a
// Content-Length, is read into a buffer that grows no further than the
// cap: about twice its size allocated in all, not the four times of a
// buffer doubled to 128 MiB. Not parallel: it counts the process's
// allocations.
func TestWholeAnswerBoundedAlloc(t *testing.T) {
	const size = maxWholeBody - 256
	head := `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"completion_tokens":1},"pad":"`
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, head)
		pad := bytes.Repeat([]byte("x"), 32<<10)
		for left := size - len(head) - 2; left > 0; left -= len(pad) {
			w.Write(pad[:min(left, len(pad))])
		}
		io.WriteString(w, `"}`)
	})
	c := newClient(clientSpec{baseURL: url, timeout: time.Minute, pool: 1})
	var rec Record
	n := allocated(func() { rec = c.Do(t.Context(), 0, []byte(`{}`)) })
	if !rec.OK && rec.FailKind != "" {
		t.Fatalf("record %q %q; want the answer read", rec.FailKind, rec.Err)
	}
	t.Logf("allocated %d MiB", n>>20)
	if limit := uint64(size) * 5 / 2; n > limit {
		t.Errorf("reading a %d MiB answer allocated %d MiB; want under %d MiB", size>>20, n>>20, limit>>20)
	}
}

// A server that ignores "stream" and answers --stream with whole JSON
// answers: each is read whole, its tokens counted, and marked as not
// streamed (TTFT leaves it out), and the run says so; report says the same
// from the records, and the probe names it.
func TestStreamIgnoredByServer(t *testing.T) {
	t.Parallel()
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"a","choices":[{"message":{"content":"hello there"},"finish_reason":"stop"}],"usage":{"completion_tokens":3,"prompt_tokens":5}}`)
	})
	recs := testPath(t, "run.jsonl")
	s, text := runJSON(t, 0, "--base-url", url, "--stream", "--requests", "4", "--records", recs, "1")
	const want = "4 of 4 answers came back whole, not streamed, though --stream asked: the server ignores stream; TTFT/TPOT are not measured for them"
	if s.Requests.OK != 4 || s.Tokens.Output != 12 || s.TTFTMs != nil || !slices.Contains(s.Checks, want) {
		t.Errorf("ok %d, output %d, TTFT %v, checks %q; want 4, 12, none, and %q", s.Requests.OK, s.Tokens.Output, s.TTFTMs, s.Checks, want)
	}
	expectText(t, text, want)
	out, _ := runExpect(t, 0, "report", recs)
	expectText(t, out, want)
	expectProbe(t, map[string]string{"stream": "ignored, the answer came whole", "max_completion_tokens": "honoured"}, "--base-url", url)
}

// A large non-streamed answer (its text escaped, as any answer of several
// lines) costs its body's buffer, doubled as it came (twice its size
// allocated in all), and, when its text is wanted (no usage), one buffer
// of the body's size for the text, drawn from the client's budget: never
// the copies of a text grown piece by piece, nor of its escapes resolved.
// The budget is whole again once it is settled. Not parallel: it counts
// the process's allocations.
func TestWholeAnswerTextWithinBudget(t *testing.T) {
	const size = 16 << 20
	for _, tt := range []struct {
		usage string
		limit uint64 // allocated, in answer sizes, times 2
	}{
		{`,"usage":{"completion_tokens":1}`, 5},
		{``, 7},
	} {
		head, tail := `{"choices":[{"message":{"content":"`, `"},"finish_reason":"stop"}]`+tt.usage+`}`
		url := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, head)
			words := bytes.Repeat([]byte(`word\n`), 4<<10)
			left := size - len(head) - len(tail)
			for ; left >= len(words); left -= len(words) {
				w.Write(words)
			}
			io.WriteString(w, strings.Repeat(" ", left)+tail)
		})
		c := testClientAt(t, url, false, false)
		c.tokens.counter = &pieceRecorder{}
		var rec Record
		n := allocated(func() { rec = c.Do(t.Context(), 0, []byte(`{}`)) })
		c.settle(&rec)
		if !rec.OK {
			t.Fatalf("usage %q: record %q %q; want the answer read", tt.usage, rec.FailKind, rec.Err)
		}
		t.Logf("usage %q: allocated %d MiB", tt.usage, n>>20)
		if limit := uint64(size) * tt.limit / 2; n > limit {
			t.Errorf("usage %q: reading a %d MiB answer allocated %d MiB; want under %d MiB", tt.usage, size>>20, n>>20, limit>>20)
		}
		if left := c.tokens.budget.left.Load(); left != textBudgetBytes {
			t.Errorf("usage %q: %d bytes of the budget left after the answer; want all %d", tt.usage, left, textBudgetBytes)
		}
	}
}
