package main

import (
	"context"
	"strings"
	"testing"
)

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
