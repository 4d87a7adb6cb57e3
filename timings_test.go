package main

import (
	"context"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
)

// Server-side timings, as the fixtures recorded them.
func TestServerTimingsFromFixtures(t *testing.T) {
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

// Ollama's native stream: NDJSON lines, each stamped as it arrives, ending
// with done: true and the server's counts.
func TestOllamaNativeStreamFixture(t *testing.T) {
	c := testClient(t, true, false)
	c.native = true
	resp := readFixture(t, "ollama-i-api-chat-stream.http")
	defer resp.Body.Close()
	rec := newRecord(0, true)
	rec.Send = 0
	c.readResponse(context.Background(), resp, &rec)
	c.settle(&rec)
	if !rec.OK || len(rec.Chunks) != 16 || rec.OutputTokens != 16 || rec.TokenSource != "usage" || rec.InputTokens != 31 ||
		!rec.DoneSeen || rec.FinishReason != "length" || rec.Server == nil || rec.Server.LoadMs != 18.07679 {
		t.Errorf("record %+v, server %+v", rec, rec.Server)
	}
	// Without --api ollama the same answer is named for what it is.
	rec = replay(t, "ollama-i-api-chat-stream.http", true, false)
	if rec.OK || !strings.Contains(rec.Err, "Ollama's native API answers NDJSON") {
		t.Errorf("as SSE: ok=%v err=%q", rec.OK, rec.Err)
	}
}

func TestOllamaNativeRequest(t *testing.T) {
	var path string
	var body string
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write([]byte(`{"model":"m","message":{"role":"assistant","content":"hi there"},"done":true,"done_reason":"stop","prompt_eval_count":5,"prompt_eval_duration":1000000,"eval_count":2,"eval_duration":20000000,"load_duration":500000}`))
	})
	out, _, code := runCLI(t, "1", "--base-url", url, "--api", "ollama", "--requests", "1", "--max-tokens", "7")
	if code != 0 || path != "/api/chat" || !strings.Contains(body, `"options":{"num_predict":7,"temperature":0.2}`) || !strings.Contains(body, `"stream":false`) {
		t.Errorf("exit %d, path %q, body %s\n%s", code, path, body, out)
	}
	if !strings.Contains(out, "Tokens: output=2 input=5 (source: usage 1, tiktoken 0)") {
		t.Errorf("tokens from eval_count:\n%s", out)
	}
}

// Against the simulator, in both shapes that carry server timings: the
// server's decode rate and prompt time stand beside the client's.
func TestServerSideEndToEnd(t *testing.T) {
	for _, shape := range [][]string{{"--api", "ollama"}, {"--sim-style", "llamacpp"}} {
		args := append([]string{"2", "--stream", "--requests", "4", "--sim", "--sim-ttft", "20ms", "--sim-rate", "200", "--sim-jitter", "0", "--max-tokens", "16"}, shape...)
		out, _, code := runCLI(t, args...)
		for _, want := range []string{"Server-side (the server's own timings, 4 answers):", "    decode TPS (tokens/sec): mean=", "(client decode TPS median=", "    tokens: server 64, client 64"} {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("%v: exit %d; output lacks %q:\n%s", shape, code, want, out)
			}
		}
	}
}
