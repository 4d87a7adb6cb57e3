package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tpsbench/tpsbench/internal/sim"
)

func TestCLIAgainstSimulator(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		wants []string
	}{
		{
			name: "stream with usage",
			args: []string{"3", "--stream", "--requests-per-thread", "2"},
			wants: []string{
				"Starting benchmark: threads=3, requests_per_thread=2, total=6\n",
				"Samples: 6 ok / 0 failed (total 6)\n",
				"Tokens: output=96 input=",
				"(source: usage 6, tiktoken 0)\n",
				"TTFT (ms):\n", "TPOT (ms/token):\n", "ITL (ms, per chunk):\n", "Decode TPS (tokens/sec):\n",
				"Chunks: 96 token-bearing for 96 tokens\n",
			},
		},
		{
			// The simulator's words are one token each: tiktoken must agree
			// with the usage the simulator would have sent.
			name:  "no usage: tiktoken counts",
			args:  []string{"2", "--stream", "--sim-no-usage"},
			wants: []string{"Samples: 10 ok / 0 failed (total 10)\n", "Tokens: output=160 input=n/a (source: usage 0, tiktoken 10)\n"},
		},
		{
			name:  "force tiktoken",
			args:  []string{"2", "--force-tiktoken"},
			wants: []string{"Tokens: output=160 input=", "(source: usage 0, tiktoken 10)\n"},
		},
		{
			name:  "not streamed: no TTFT",
			args:  []string{"2", "--requests-per-thread", "1"},
			wants: []string{"Samples: 2 ok / 0 failed (total 2)\n", "TPS (tokens/sec):\n    mean=", "E2E latency (ms):\n"},
		},
		{
			name:  "options before the threads",
			args:  []string{"--model", "qwen2.5:7b", "--requests-per-thread", "1", "4"},
			wants: []string{"threads=4, requests_per_thread=1, total=4\n", "model=qwen2.5:7b, timeout=120.0s, max_tokens=16\n"},
		},
		{
			name:  "openai shape: a role-only first chunk is no token",
			args:  []string{"2", "--stream", "--sim-style", "openai"},
			wants: []string{"Samples: 10 ok / 0 failed (total 10)\n", "Chunks: 160 token-bearing for 160 tokens\n"},
		},
		{
			name:  "llama.cpp shape: usage on the finish chunk",
			args:  []string{"2", "--stream", "--sim-style", "llamacpp"},
			wants: []string{"(source: usage 10, tiktoken 0)\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, append(tt.args, fastSim...)...)
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", code, errOut, out)
			}
			for _, want := range tt.wants {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "TTFT (ms):") != strings.Contains(strings.Join(tt.args, " "), "--stream") {
				t.Errorf("TTFT shown = %v; want it exactly when streaming:\n%s", strings.Contains(out, "TTFT (ms):"), out)
			}
		})
	}
}

// The client's timestamps are held against the simulator's own record of
// when it received each request and wrote each token. Both run in this
// process on one monotonic clock, so causality gives exact bounds: the
// client sends before the server receives, and the server writes a token
// before the client can read it.
func TestTimingAgainstSimulatorTimeline(t *testing.T) {
	for _, style := range sim.Styles {
		t.Run(string(style), func(t *testing.T) {
			cfg := sim.Config{TTFT: 30 * time.Millisecond, TokenRate: 200, Jitter: 0.5, Style: style, Seed: 7}
			client, records, byID := simRun(t, cfg, 4, 3, true)
			if len(records) != 12 || len(byID) != 12 {
				t.Fatalf("%d client records, %d simulator records; want 12 each", len(records), len(byID))
			}
			at := func(d time.Duration) time.Time { return client.start.Add(d) }
			for _, r := range records {
				s, found := byID[r.ResponseID]
				if !r.OK || !found {
					t.Fatalf("record %d: ok=%v id=%q err=%q; want ok and known to the simulator", r.Index, r.OK, r.ResponseID, r.Err)
				}
				if len(r.Chunks) != len(s.TokensSent) || r.OutputTokens != s.CompletionTokens {
					t.Fatalf("%s: %d chunks, %d tokens; simulator wrote %d tokens", s.ID, len(r.Chunks), r.OutputTokens, len(s.TokensSent))
				}
				if at(r.Send).After(s.Received) {
					t.Errorf("%s: t_send %v after the simulator received it", s.ID, at(r.Send).Sub(s.Received))
				}
				for i, c := range r.Chunks {
					if at(c).Before(s.TokensSent[i]) {
						t.Errorf("%s: token %d stamped %v before the simulator wrote it", s.ID, i, s.TokensSent[i].Sub(at(c)))
					}
				}
				// TTFT is at least the server's own time to first token, and
				// not wildly more on loopback.
				ttft, _ := r.TTFT()
				serverTTFT := s.TokensSent[0].Sub(s.Received)
				if ttft < serverTTFT || ttft > serverTTFT+time.Second {
					t.Errorf("%s: TTFT %v; simulator's own %v", s.ID, ttft, serverTTFT)
				}
			}
		})
	}
}

// Non-streaming E2E covers the server's whole answer time.
func TestNonStreamE2EAgainstSimulator(t *testing.T) {
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

// A reasoning model's thinking tokens are tokens: TTFT counts from the first
// of them, TTFO from the first answer token, and tiktoken counts both.
func TestReasoningStream(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, `data: {"choices":[{"delta":{"role":"assistant","content":""}}]}`+"\n\n")
		io.WriteString(w, `data: {"choices":[{"delta":{"reasoning_content":" the"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, `data: {"choices":[{"delta":{"reasoning":" of"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, `data: {"choices":[{"delta":{"content":" and"}}]}`+"\n\n")
		io.WriteString(w, `data: {"choices":[{"delta":{},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
	})
	out, _, code := runCLI(t, "1", "--base-url", url, "--stream", "--requests-per-thread", "2")
	for _, want := range []string{"Samples: 2 ok / 0 failed", "(source: usage 0, tiktoken 2)", "Tokens: output=6 ", "TTFO (ms, first answer after reasoning):", "Chunks: 6 token-bearing for 6 tokens"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}
}
